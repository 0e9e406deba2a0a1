package simulate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/topology"
)

// Verdict is the outcome of a flow.
//
// The zero value is [Unknown].
type Verdict uint8

// Verdicts.
const (
	// Unknown: the answer depends on something egress does not evaluate (an
	// Azure Firewall's rules before the firewall engine, an NVA set to
	// unknown, an internal load balancer's backend choice); the result says
	// what.
	Unknown Verdict = iota
	// Allowed: the flow reaches its destination, or leaves Azure.
	Allowed
	// Denied: a security rule (NSG or admin rule) denies it.
	Denied
	// Dropped: routing drops it: a None route, an appliance without IP
	// forwarding, an address nobody has, a loop, a peering that does not
	// allow forwarded traffic.
	Dropped
	// NoEgress: it is routed to the internet but has no way out (a private
	// subnet without NAT gateway, public IP or load-balancer outbound).
	NoEgress
	// Invalid: the flow given to [Engine.Classify] cannot be decided as
	// given (no protocol, a TCP or UDP flow without a destination port, an
	// invalid destination address or NIC handle); nothing is assumed in its
	// place. [Engine.Trace] reports such a flow as an error instead.
	Invalid
	numVerdicts
)

var verdictNames = [numVerdicts]string{"Unknown", "Allowed", "Denied", "Dropped", "NoEgress", "Invalid"}

// String returns the verdict's name.
func (v Verdict) String() string {
	if v < numVerdicts {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", uint8(v))
}

// MarshalText implements [encoding.TextMarshaler].
func (v Verdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (v *Verdict) UnmarshalText(b []byte) error {
	i, err := parseName(verdictNames[:], b, "verdict")
	if err == nil {
		*v = Verdict(i)
	}
	return err
}

// Method is how a flow leaves (or where it ends), with its egress address.
//
// The zero value is [MethodNone].
type Method uint8

// Egress methods, in the precedence Azure applies to internet-bound traffic
// after routing (https://learn.microsoft.com/azure/nat-gateway/nat-overview:
// NAT gateway, then instance-level public IP, then load-balancer outbound,
// then default outbound access), plus the ends that are not the internet.
const (
	MethodNone             Method = iota // no egress: dropped, denied, or no way out
	MethodNATGateway                     // the subnet's NAT gateway public IP(s)
	MethodInstancePublicIP               // the IP configuration's own public IP
	MethodLoadBalancer                   // a public load balancer's outbound rule or load-balancing rule SNAT
	MethodDefaultOutbound                // Azure's default outbound access: an implicit, unstable Microsoft IP
	MethodAzureFirewall                  // SNAT by an Azure Firewall to its public IP(s)
	MethodGateway                        // leaves through a VPN/ExpressRoute gateway: on-premises decides
	MethodServiceEndpoint                // reaches the service over the backbone with the private source IP
	MethodPrivateEndpoint                // reaches a private endpoint: never leaves the network
	MethodPrivate                        // delivered inside the VNet or a peered VNet
	MethodPlatform                       // Azure platform address (168.63.129.16, 169.254.169.254), host-local
	MethodAppService                     // an App Service app's shared outbound addresses (outboundIpAddresses, one per connection)
	MethodServiceManaged                 // a PaaS service's own call (an AI services account): Microsoft-managed addresses, not shown
	numMethods
)

var methodNames = [numMethods]string{"None", "NATGateway", "InstancePublicIP", "LoadBalancer", "DefaultOutbound",
	"AzureFirewall", "VirtualNetworkGateway", "ServiceEndpoint", "PrivateEndpoint", "Private", "Platform", "AppServiceOutbound", "ServiceManaged"}

// String returns the method's name.
func (m Method) String() string {
	if m < numMethods {
		return methodNames[m]
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// MarshalText implements [encoding.TextMarshaler].
func (m Method) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler].
func (m *Method) UnmarshalText(b []byte) error {
	i, err := parseName(methodNames[:], b, "egress method")
	if err == nil {
		*m = Method(i)
	}
	return err
}

// LeavesAzure reports whether the method takes traffic to the internet with
// an Azure public source address.
func (m Method) LeavesAzure() bool {
	return m >= MethodNATGateway && m <= MethodAzureFirewall || m == MethodAppService || m == MethodServiceManaged
}

// Flow is one flow to simulate: from a NIC to a destination.
type Flow struct {
	// From names the source NIC: its name or resource ID.
	From string
	// To is the destination address; when invalid, ToFQDN is resolved.
	To netip.Addr
	// ToFQDN is a destination host name, resolved through Options.Resolver;
	// it is also the name Azure Firewall application rules see (SNI, Host).
	ToFQDN string
	// Host overrides the name application rules see, for a flow given by
	// address (To) whose client still sends a name.
	Host string
	// Protocol is the IP protocol; zero means TCP (a Flow is a request,
	// and TCP its common case; Engine.Classify, the hot path, assumes nothing).
	Protocol ipproto.Proto
	// Port is the destination port (TCP, UDP).
	Port uint16
	// SrcPort is the source port; zero means an ephemeral port (49152).
	SrcPort uint16
	// Traffic is, for a flow from a web app ([Engine.TraceFrom]), which of
	// its traffic it is: its application's own (the zero value) or
	// configuration traffic (content share, image pull, ...), which the
	// app's settings route separately. Other sources ignore it.
	Traffic topology.WebAppTraffic
}

// EphemeralPort is the source port used when a Flow gives none: the first
// port of IANA's dynamic range.
const EphemeralPort = 49152

// String formats the flow as "from -> to:port/proto".
func (f Flow) String() string {
	to := f.ToFQDN
	if f.To.IsValid() {
		to = f.To.String()
	}
	p := f.Protocol
	if p == ipproto.Unknown {
		p = ipproto.TCP
	}
	if p.HasPorts() {
		return fmt.Sprintf("%s -> %s:%d/%v", f.From, to, f.Port, p)
	}
	return fmt.Sprintf("%s -> %s/%v", f.From, to, p)
}

// parseName returns the index of b in names, in any letter case; an unknown
// name is an error naming what was parsed and the names it could be.
func parseName(names []string, b []byte, what string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(n, string(b)) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown %s %q: want %s or %s", what, b, strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
}

// nameOf returns names[i], or typ(i) for a value outside the names.
func nameOf(names []string, i int, typ string) string {
	if i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", typ, i)
}
