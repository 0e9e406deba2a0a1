package simulate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/route"
)

// SchemaVersion is the version of the JSON form of [Result]. It changes only
// when a field changes meaning or disappears; new fields may appear.
const SchemaVersion = 1

// Result is the full answer of [Engine.Trace]: the verdict, what decided it,
// how and from which public address the flow leaves, every hop, and the
// assumptions made. Its JSON form is stable (see [SchemaVersion]).
type Result struct {
	SchemaVersion int      `json:"schemaVersion"`
	Flow          FlowInfo `json:"flow"`
	Verdict       Verdict  `json:"verdict"`
	Reason        string   `json:"reason"`
	ReasonCode    Reason   `json:"reasonCode"`
	// DecidedBy names what decided the flow: the rule that denied it; for an
	// allowed flow the rule that allowed it at each security stage (NSGs,
	// admin rules, firewall), in path order; the route that dropped it.
	DecidedBy      string         `json:"decidedBy,omitempty"`
	EgressMethod   Method         `json:"egressMethod"`
	EgressIPs      []netip.Addr   `json:"egressIpAddresses"`
	EgressPrefixes []netip.Prefix `json:"egressIpPrefixes,omitempty"`
	Hops           []Hop          `json:"hops"`
	Assumptions    []string       `json:"assumptions"`
	// WouldBeDenied: the flow is allowed only because a security control
	// on its path is not enforced (a network security perimeter in
	// Learning or Audit mode whose rules do not allow it); enforcing it
	// denies the flow.
	WouldBeDenied bool `json:"wouldBeDeniedWhenEnforced,omitempty"`
	// ServiceTags names the service-tag data the engine used (for example
	// "Public changeNumber 376"), or "" when the resolver does not say.
	ServiceTags string `json:"serviceTags,omitempty"`

	// egress is the way out the flow took, for [Engine.Capacity]; nil
	// when it does not leave to the internet.
	egress *egressSet
}

// FlowInfo is the flow as simulated, with names resolved.
type FlowInfo struct {
	From        string        `json:"from"`
	FromID      string        `json:"fromId"`
	Source      netip.Addr    `json:"sourceIpAddress"`
	Destination netip.Addr    `json:"destinationIpAddress"`
	FQDN        string        `json:"fqdn,omitempty"`
	Protocol    ipproto.Proto `json:"protocol"`
	Port        uint16        `json:"port"`
	SrcPort     uint16        `json:"sourcePort"`
}

// HopKind says what a hop is.
type HopKind uint8

// Hop kinds.
const (
	HopSource          HopKind = iota // the source NIC
	HopAppliance                      // a network virtual appliance's NIC
	HopFirewall                       // an Azure Firewall
	HopDestination                    // the destination NIC
	HopPrivateEndpoint                // a private endpoint
	HopGateway                        // a VPN/ExpressRoute gateway (towards on-premises)
	HopInternet                       // the internet
	HopService                        // an Azure service over a service endpoint
	HopPlatform                       // an Azure platform address
	HopNowhere                        // where a dropped flow ends
	numHopKinds
)

var hopKindNames = [numHopKinds]string{"Source", "Appliance", "AzureFirewall", "Destination", "PrivateEndpoint",
	"VirtualNetworkGateway", "Internet", "Service", "Platform", "Nowhere"}

// String returns the kind's name.
func (k HopKind) String() string {
	if k < numHopKinds {
		return hopKindNames[k]
	}
	return fmt.Sprintf("HopKind(%d)", uint8(k))
}

// MarshalText implements [encoding.TextMarshaler].
func (k HopKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], in any letter case.
func (k *HopKind) UnmarshalText(b []byte) error {
	i, err := parseName(hopKindNames[:], b, "hop kind")
	if err == nil {
		*k = HopKind(i)
	}
	return err
}

// Hop is one place the flow passes: what it is, the route chosen there (for
// hops that route onwards), the security verdicts applied there, and any
// address translation.
type Hop struct {
	Kind        HopKind        `json:"kind"`
	Name        string         `json:"name,omitempty"`
	ID          string         `json:"id,omitempty"`
	Address     netip.Addr     `json:"ipAddress,omitzero"`
	Security    []SecurityStep `json:"security,omitempty"`
	Route       *RouteStep     `json:"route,omitempty"`
	Translation string         `json:"translation,omitempty"`
	Note        string         `json:"note,omitempty"`
}

// RouteStep is the route chosen at a hop: the effective route that matched.
type RouteStep struct {
	Prefix      netip.Prefix      `json:"addressPrefix"`
	Source      route.Source      `json:"source"`
	Name        string            `json:"name,omitempty"`
	NextHopType route.NextHopType `json:"nextHopType"`
	NextHops    []netip.Addr      `json:"nextHopIpAddress"`
	RouteTable  string            `json:"routeTableId"`
	ServiceTag  string            `json:"serviceTag,omitempty"`
}

// SecurityStep is one security evaluation at a hop: which NSG, admin
// configuration or firewall policy, in which direction, and the rule that
// decided.
type SecurityStep struct {
	Direction string `json:"direction"` // "Outbound", "Inbound", or "Forward" at a firewall
	Stage     Stage  `json:"stage"`     // the admin rules, an NSG, an Azure Firewall, or an AI account's allow-list
	// Group names the NSG or the admin configuration (the NSG stages).
	Group string `json:"nsg,omitempty"`
	// Policy names the firewall policy (the AzureFirewall stage), or is
	// "classic rules" for a firewall decided by its own rule collections.
	Policy string `json:"firewallPolicy,omitempty"`
	// Account names the AI services account whose allowedFqdnList
	// decided (the AllowedFqdnList stage).
	Account string `json:"account,omitempty"`
	// Perimeter and AccessMode name the network security perimeter and the
	// association's access mode (the NetworkSecurityPerimeter stage).
	Perimeter  string `json:"perimeter,omitempty"`
	AccessMode string `json:"accessMode,omitempty"`
	Access     string `json:"access"`
	Rule       string `json:"ruleName"`
	// WouldBeDenied: the step allows the flow only because it is not
	// enforced (a perimeter association in Learning or Audit mode).
	WouldBeDenied bool `json:"wouldBeDeniedWhenEnforced,omitempty"`
}

// Source names what the step evaluated: the NSG, admin configuration,
// firewall policy or AI services account.
func (s SecurityStep) Source() string {
	if s.Policy != "" {
		return s.Policy
	}
	if s.Account != "" {
		return s.Account
	}
	if s.Perimeter != "" {
		return s.Perimeter
	}
	return s.Group
}

// String renders the result as a readable hop list, as `egress trace` prints
// it.
func (r *Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", r.Verdict, r.Reason)
	if r.DecidedBy != "" {
		fmt.Fprintf(&b, " (%s)", r.DecidedBy)
	}
	b.WriteByte('\n')
	for i, h := range r.Hops {
		fmt.Fprintf(&b, "%2d. %s", i+1, h.Kind)
		if h.Name != "" {
			fmt.Fprintf(&b, " %s", h.Name)
		}
		if h.Address.IsValid() {
			fmt.Fprintf(&b, " (%s)", h.Address)
		}
		b.WriteByte('\n')
		for _, s := range h.Security {
			if s.Rule == "" { // an NSG whose rules are unknown
				fmt.Fprintf(&b, "      %s %s %s: %s (its rules are not known)\n", s.Direction, s.Stage, s.Source(), s.Access)
				continue
			}
			fmt.Fprintf(&b, "      %s %s %s: %s by %s\n", s.Direction, s.Stage, s.Source(), s.Access, s.Rule)
			if s.WouldBeDenied {
				fmt.Fprintf(&b, "      (%s mode: denied once Enforced)\n", s.AccessMode)
			}
		}
		if rt := h.Route; rt != nil {
			fmt.Fprintf(&b, "      route %s -> %s", rt.Prefix, rt.NextHopType)
			for _, a := range rt.NextHops {
				fmt.Fprintf(&b, " %s", a)
			}
			fmt.Fprintf(&b, " (%s", rt.Source)
			if rt.Name != "" {
				fmt.Fprintf(&b, " route %q", rt.Name)
			}
			if rt.ServiceTag != "" {
				fmt.Fprintf(&b, " tag %s", rt.ServiceTag)
			}
			b.WriteString(")\n")
		}
		if h.Translation != "" {
			fmt.Fprintf(&b, "      %s\n", h.Translation)
		}
		if h.Note != "" {
			fmt.Fprintf(&b, "      %s\n", h.Note)
		}
	}
	fmt.Fprintf(&b, "egress: %s", r.EgressMethod)
	for _, a := range r.EgressIPs {
		fmt.Fprintf(&b, " %s", a)
	}
	for _, p := range r.EgressPrefixes {
		fmt.Fprintf(&b, " %s", p)
	}
	b.WriteByte('\n')
	if r.WouldBeDenied {
		b.WriteString("when enforced: Denied (a control on the path is in Learning or Audit mode and no rule of it allows the flow)\n")
	}
	for _, a := range r.Assumptions {
		fmt.Fprintf(&b, "assumes: %s\n", a)
	}
	if r.ServiceTags != "" {
		fmt.Fprintf(&b, "service tags: %s\n", r.ServiceTags)
	}
	return b.String()
}
