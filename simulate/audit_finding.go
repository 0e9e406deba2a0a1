package simulate

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// AuditSchemaVersion is the version of the JSON form of [AuditReport] (its
// "schemaVersion" field). It changes only when a field changes meaning or
// disappears; new fields, checks, scope kinds and probe names may appear
// within a version.
//
// Version 1:
//
//	{
//	  "schemaVersion": 1,
//	  "serviceTags": "Public changeNumber 376",        // omitted when unknown
//	  "probes": {"internetAddress": "52.0.0.1",        // the ProbeSet used
//	             "outbound": [{"service": "HTTPS", "protocol": "Tcp", "port": 443}, ...],
//	             "inbound":  [{"service": "SSH", "protocol": "Tcp", "port": 22}, ...]},
//	  "findings": [{
//	    "check": "direct-internet",                    // a Check
//	    "severity": "high",                            // high, medium or low
//	    "scope": {"kind": "Subnet", "id": "...", "name": "vnet/snet"},
//	    "message": "...",
//	    "evidence": "...",                             // of one representative NIC, named in it
//	    "nicCount": 2,
//	    "nics": [{"name": "...", "id": "..."}, ...],   // every NIC concerned; [] for none
//	    "probes": [...],                               // ProbeResult, checks that probe
//	    "witness": {"from": "...", "protocol": "Udp", "destination": "52.1.2.3", "port": 123,
//	                "verdict": "Allowed", "egressMethod": "NATGateway", "path": "Source vm (10.1.1.4) -> Internet (52.1.2.3)"},
//	    "classes": ["Udp 123 to 52.1.2.3/32: Allowed via NATGateway"], // the witness and classes: checks proved on egress maps
//	    "prefixes": [...]                              // TagPrefix, vnet-tag-widened only
//	  }]
//	}
const AuditSchemaVersion = 1

// AuditReport is the answer of [Engine.Audit]: the findings and what the
// checks probed with. Its JSON form is stable (see [AuditSchemaVersion]).
type AuditReport struct {
	SchemaVersion int `json:"schemaVersion"`
	// ServiceTags names the service-tag data the engine used, or "".
	ServiceTags string `json:"serviceTags,omitempty"`
	// Probes are the flows the checks that probe sent (see [AuditProbes]).
	Probes ProbeSet `json:"probes"`
	// Findings are sorted by check, then severity (most severe first), then
	// scope ID (case-insensitively), then message. Never nil.
	Findings []Finding `json:"findings"`
	// Summary gives the report's key figures.
	Summary AuditSummary `json:"summary"`
}

// AuditSummary is an audit's key figures, the indicators data-egress
// guardrails are tracked by: findings by severity and by check, and the
// share of PaaS sources whose egress is controlled.
type AuditSummary struct {
	Findings   int              `json:"findings"`
	BySeverity map[Severity]int `json:"bySeverity"` // never nil
	ByCheck    map[Check]int    `json:"byCheck"`    // never nil
	// AIAccounts counts the AI services accounts, AIAccountsRestricted
	// those with restrictOutboundNetworkAccess on.
	AIAccounts           int `json:"aiAccounts"`
	AIAccountsRestricted int `json:"aiAccountsRestricted"`
	// WebApps counts the App Service and Functions apps, WebAppsRouted
	// those whose internet traffic enters their integration subnet (an app
	// on gateway-required integration, which egress does not model, is in
	// neither count's second part).
	WebApps       int `json:"webApps"`
	WebAppsRouted int `json:"webAppsRouted"`
	// PerimeterAssociations counts the network security perimeter
	// associations, PerimeterAssociationsEnforced those in Enforced mode.
	PerimeterAssociations         int `json:"perimeterAssociations"`
	PerimeterAssociationsEnforced int `json:"perimeterAssociationsEnforced"`
}

// summarize fills r.Summary from its findings and the network's PaaS
// sources.
func (r *AuditReport) summarize(ai, aiRestricted, apps, appsRouted, assocs, enforced int) {
	s := AuditSummary{Findings: len(r.Findings), BySeverity: map[Severity]int{}, ByCheck: map[Check]int{},
		AIAccounts: ai, AIAccountsRestricted: aiRestricted, WebApps: apps, WebAppsRouted: appsRouted,
		PerimeterAssociations: assocs, PerimeterAssociationsEnforced: enforced}
	for _, f := range r.Findings {
		s.BySeverity[f.Severity]++
		s.ByCheck[f.Check]++
	}
	r.Summary = s
}

// Worst returns the highest severity among the findings, or [SeverityNone]
// when there are none.
func (r *AuditReport) Worst() Severity {
	w := SeverityNone
	for _, f := range r.Findings {
		w = max(w, f.Severity)
	}
	return w
}

// FailsAt reports whether a finding is at least as severe as threshold, the
// rule of `egress audit --fail-on`. The threshold [SeverityNone] never fails.
func (r *AuditReport) FailsAt(threshold Severity) bool {
	return threshold != SeverityNone && r.Worst() >= threshold
}

// Severity ranks a finding. Severities are ordered: SeverityLow <
// SeverityMedium < SeverityHigh, so they compare with < and max. The zero
// value, SeverityNone, is no finding's severity: it is the threshold that
// nothing fails ([AuditReport.FailsAt]).
type Severity uint8

// Severities, from none to high. What each check gives is documented on its
// [Check] constant.
const (
	SeverityNone   Severity = iota // not a finding's severity; the threshold nothing reaches
	SeverityLow                    // hygiene: worth fixing, not an exposure today
	SeverityMedium                 // weakens a control; an exposure under conditions the finding names
	SeverityHigh                   // an exposure or bypass of deny-by-default egress as the model stands
	numSeverities
)

var severityNames = [numSeverities]string{"none", "low", "medium", "high"}

// String returns "none", "low", "medium" or "high".
func (s Severity) String() string { return nameOf(severityNames[:], int(s), "Severity") }

// MarshalText implements [encoding.TextMarshaler].
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], in any letter case:
// "none", "low", "medium" or "high".
func (s *Severity) UnmarshalText(b []byte) error {
	i, err := parseName(severityNames[:], b, "severity")
	if err == nil {
		*s = Severity(i)
	}
	return err
}

// ScopeKind says what a [Scope] is.
type ScopeKind uint8

// Scope kinds. Findings about NICs are aggregated to a subnet, or to a whole
// virtual network; findings about one resource name it.
const (
	ScopeSubnet               ScopeKind = iota // a subnet: every NIC named in the finding is in it
	ScopeVirtualNetwork                        // a VNet: the finding holds for every NIC the check evaluated in each of its subnets (two or more)
	ScopeSecurityRule                          // an NSG security rule (ID: the NSG's ID + "/securityRules/" + name)
	ScopeFirewallRule                          // an Azure Firewall rule (ID: the policy's rule collection group, or the firewall)
	ScopeAIAccount                             // an Azure AI services account
	ScopeWebApp                                // an App Service or Functions app
	ScopeContainerGroup                        // an Azure Container Instances container group
	ScopePerimeterAssociation                  // a network security perimeter's resource association
	numScopeKinds
)

var scopeKindNames = [numScopeKinds]string{"Subnet", "VirtualNetwork", "SecurityRule", "FirewallRule", "AIAccount", "WebApp", "ContainerGroup", "PerimeterAssociation"}

// String returns the kind's name, e.g. "Subnet".
func (k ScopeKind) String() string { return nameOf(scopeKindNames[:], int(k), "ScopeKind") }

// MarshalText implements [encoding.TextMarshaler].
func (k ScopeKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], in any letter case.
func (k *ScopeKind) UnmarshalText(b []byte) error {
	i, err := parseName(scopeKindNames[:], b, "scope kind")
	if err == nil {
		*k = ScopeKind(i)
	}
	return err
}

// Scope is what a finding is about: a subnet or VNet (for findings about
// NICs), or one resource.
type Scope struct {
	Kind ScopeKind `json:"kind"`
	ID   string    `json:"id"`   // resource ID
	Name string    `json:"name"` // "vnet/subnet", "vnet", "nsg/rule", "policy/group/collection/rule", "account"
}

// NICRef names a NIC in a finding.
type NICRef struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// Finding is one audit result: one check, at one scope, with the NICs it
// concerns. Findings about NICs are aggregated: one Finding per check,
// scope and message (NICs whose finding reads differently, such as another
// set of open ports, get their own Finding), listing every NIC, with the
// evidence of one representative.
type Finding struct {
	Check    Check    `json:"check"`
	Severity Severity `json:"severity"`
	Scope    Scope    `json:"scope"`
	Message  string   `json:"message"`
	// Evidence is what the representative NIC (named in it) or the resource
	// shows: a decision, a route, a rule.
	Evidence string `json:"evidence,omitempty"`
	// NICCount is len(NICs).
	NICCount int `json:"nicCount"`
	// NICs are the NICs the finding concerns, sorted by name then ID; empty
	// (never nil) for a resource finding that concerns none.
	NICs []NICRef `json:"nics"`
	// Probes are the probed flows of the representative NIC, in the order of
	// the ProbeSet, for the checks that probe (direct-internet,
	// nsg-allows-internet-inbound, vnet-tag-widened).
	Probes []ProbeResult `json:"probes,omitempty"`
	// Witness is, for the checks proved on egress maps (direct-internet,
	// default-outbound-access, unstable-egress-ip,
	// container-group-no-nat-gateway, webapp-internet-bypasses-vnet), a
	// flow of the representative that shows the finding, with its path.
	Witness *Witness `json:"witness,omitempty"`
	// Classes describe, for the same checks, the classes of the
	// representative's egress map that show the finding (protocols, ports,
	// destination prefixes, outcome), in map order: at most eight, then
	// one line counting the rest.
	Classes []string `json:"classes,omitempty"`
	// Prefixes are, for vnet-tag-widened, the prefixes that widened the
	// VirtualNetwork tag and where each came from.
	Prefixes []TagPrefix `json:"prefixes,omitempty"`
	// Policy is the Azure Policy definition that audits or denies what the
	// finding reports, where one exists: built-in when there is one, else
	// Azure Landing Zones' (BuiltIn false): a team can go from the audit to
	// enforcement.
	Policy *PolicyDefinition `json:"policy,omitempty"`
}

// PolicyDefinition names an Azure Policy definition: a built-in one, or
// one that Azure Landing Zones (Azure/Enterprise-Scale) deploys as a
// custom definition at its management groups.
type PolicyDefinition struct {
	// ID is the built-in definition's ID
	// (/providers/Microsoft.Authorization/policyDefinitions/<guid>), or a
	// custom definition's name (its ID depends on the management group).
	ID          string `json:"id"`
	DisplayName string `json:"displayName"` // as Azure Policy shows it
	BuiltIn     bool   `json:"builtIn"`
	// Source is where the definition is published, for a custom one.
	Source string `json:"source,omitempty"`
}

// TagOrigin says where a prefix of the VirtualNetwork service tag comes from.
type TagOrigin uint8

// Origins of a prefix that widens the VirtualNetwork tag beyond the VNet and
// its peers
// (https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags).
const (
	OriginUserRoute TagOrigin = iota // "address prefixes used on user-defined routes" of the subnet's route table
	OriginGateway                    // "all connected on-premises address spaces": learned or configured at the gateway
	numTagOrigins
)

var tagOriginNames = [numTagOrigins]string{"UserDefinedRoute", "Gateway"}

// String returns "UserDefinedRoute" or "Gateway".
func (o TagOrigin) String() string { return nameOf(tagOriginNames[:], int(o), "TagOrigin") }

// MarshalText implements [encoding.TextMarshaler].
func (o TagOrigin) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], in any letter case.
func (o *TagOrigin) UnmarshalText(b []byte) error {
	i, err := parseName(tagOriginNames[:], b, "tag origin")
	if err == nil {
		*o = TagOrigin(i)
	}
	return err
}

// TagPrefix is one prefix of a subnet's VirtualNetwork tag that lies beyond
// the VNet's address space and its peers', with where it came from.
type TagPrefix struct {
	Prefix netip.Prefix `json:"prefix"`
	Origin TagOrigin    `json:"origin"`
	// From names the resource: `route table rt-x, route "default-via-fw"`,
	// or `gateway vpngw-hub (BGP)`.
	From string `json:"from"`
}

// sortFindings puts findings in the report's order (see [AuditReport]).
func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(strings.Compare(string(a.Check), string(b.Check)), cmp.Compare(b.Severity, a.Severity),
			strings.Compare(strings.ToLower(a.Scope.ID), strings.ToLower(b.Scope.ID)), strings.Compare(a.Scope.Name, b.Scope.Name),
			strings.Compare(a.Message, b.Message))
	})
}
