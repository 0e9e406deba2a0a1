package snat

import (
	"fmt"
	"strings"
)

// Pool is one inventory of SNAT ports: what a flow's egress draws on. The
// simulator fills it from the network; Supply applies the rules.
type Pool struct {
	Kind Kind
	// ID names the resource that provides the ports (the NAT gateway, the
	// outbound rule or load-balancing rule, the firewall, the public IP).
	ID string
	// Name is ID's short name, for tables.
	Name string
	// IPs is the number of public addresses of the flow's family that
	// provide ports: public IPs plus every address of the public IP
	// prefixes (a NAT gateway's, a load balancer's frontends', a
	// firewall's).
	IPs int
	// IPsUnknown: some public IP or prefix is not in the input, so IPs is
	// a lower bound and the supply is not known.
	IPsUnknown bool
	// Allocated is a load balancer outbound rule's allocatedOutboundPorts;
	// 0 is the default allocation table.
	Allocated int
	// Backends is the load balancer backend pool's size (IP
	// configurations), for the default table and the over-allocation check.
	Backends int
}

// Supply is what a pool offers one destination key.
type Supply struct {
	// Known: the documented rules give a number. False for default outbound
	// access, an App Service app's shared outbound, and pools whose inputs
	// are incomplete; Why says which.
	Known bool `json:"known"`
	// Unlimited: no SNAT (an instance-level public IP).
	Unlimited bool `json:"unlimited,omitempty"`
	// PerKey is the number of concurrent connections the pool (or, with
	// ScopeInstance, each instance) can hold to one destination key.
	PerKey int `json:"perDestination"`
	// Total caps concurrent connections over every destination (0: no cap
	// beyond PerKey).
	Total int   `json:"total,omitempty"`
	Scope Scope `json:"scope"`
	Key   Key   `json:"destinationKey"`
	// Rules are the documented numbers used, by Name.
	Rules []string `json:"rules"`
	// Why explains the number, or its absence, in a sentence.
	Why string `json:"why"`
}

// Supply applies the documented rules to p for protocol tcp (true) or UDP
// (false): TCP and UDP are separate inventories of the same size, and a
// load balancer reuses a UDP port per destination IP only.
func (p Pool) Supply(tcp bool) Supply {
	switch p.Kind {
	case NATGateway:
		if p.IPsUnknown || p.IPs == 0 {
			return Supply{Why: "NAT gateway " + p.Name + ": " + unknownIPs(p)}
		}
		ports := p.IPs * NATPortsPerIP.Value
		conns := p.IPs * NATConnsPerIPPerDest.Value
		return Supply{Known: true, PerKey: min(ports, conns), Total: NATTotalConnections.Value, Scope: ScopePool, Key: KeyEndpoint,
			Rules: []string{NATPortsPerIP.Name, NATConnsPerIPPerDest.Name, NATTotalConnections.Name},
			Why: fmt.Sprintf("NAT gateway %s: %d public IP address%s × %s concurrent connections per destination endpoint (%s SNAT ports each), shared by every source behind it, at most %s connections in all",
				p.Name, p.IPs, plural(p.IPs, "es"), group(NATConnsPerIPPerDest.Value), group(NATPortsPerIP.Value), group(NATTotalConnections.Value))}
	case LoadBalancerOutbound, LoadBalancerRule:
		key := KeyEndpoint
		if !tcp {
			key = KeyAddress
		}
		what := "load balancer outbound rule " + p.Name
		if p.Kind == LoadBalancerRule {
			what = "load-balancing rule " + p.Name + " (implicit outbound SNAT)"
		}
		if p.IPsUnknown || p.IPs == 0 {
			return Supply{Why: what + ": " + unknownIPs(p)}
		}
		if p.Allocated > 0 {
			return Supply{Known: true, PerKey: p.Allocated, Scope: ScopeInstance, Key: key, Rules: []string{LBPortsPerFrontendIP.Name},
				Why: fmt.Sprintf("%s: allocatedOutboundPorts %s per backend instance, per %s", what, group(p.Allocated), key)}
		}
		ports, ok := DefaultPorts(p.Backends)
		if !ok {
			return Supply{Why: fmt.Sprintf("%s: the default allocation table has no row for a backend pool of %d instances", what, p.Backends)}
		}
		return Supply{Known: true, PerKey: ports, Scope: ScopeInstance, Key: key, Rules: []string{"lb-default-allocation"},
			Why: fmt.Sprintf("%s: the default allocation gives a backend pool of %d instance%s %s ports per instance, per %s", what, p.Backends, plural(p.Backends, "s"), group(ports), key)}
	case AzureFirewall:
		if p.IPsUnknown || p.IPs == 0 {
			return Supply{Why: "Azure Firewall " + p.Name + ": " + unknownIPs(p)}
		}
		n := p.IPs * FirewallPortsPerIP.Value * FirewallMinInstances.Value
		return Supply{Known: true, PerKey: n, Scope: ScopePool, Key: KeyNone,
			Rules: []string{FirewallPortsPerIP.Name, FirewallMinInstances.Name},
			Why: fmt.Sprintf("Azure Firewall %s: %d public IP address%s × %s ports × %d instances (the documented minimum; more after scale-out, which is not guaranteed); reuse across destinations is not documented, so every connection counts",
				p.Name, p.IPs, plural(p.IPs, "es"), group(FirewallPortsPerIP.Value), FirewallMinInstances.Value)}
	case InstancePublicIP:
		return Supply{Known: true, Unlimited: true, Scope: ScopeInstance, Key: KeyEndpoint, Rules: []string{InstancePublicIPNoSNAT.Name},
			Why: "public IP " + p.Name + " on the IP configuration: SNAT isn't used, the instance has all ephemeral ports"}
	case DefaultOutbound:
		return Supply{Scope: ScopeInstance, Rules: []string{DefaultOutboundUnknown.Name},
			Why: "default outbound access: Azure allocates \"a minimal number of ports\" and does not document how many"}
	case AppService:
		return Supply{Scope: ScopeInstance,
			Why: "App Service shared outbound addresses: the SNAT allocation per app instance, and the instance count, are not in the input"}
	}
	return Supply{Why: "no SNAT port limit applies: the flow does not leave through Azure's SNAT"}
}

func unknownIPs(p Pool) string {
	if p.IPs == 0 && !p.IPsUnknown {
		return "no public IP address of the flow's family"
	}
	return "some of its public IP addresses are not in the input, so its supply is not known"
}

func plural(n int, suffix string) string {
	if n == 1 {
		return ""
	}
	return suffix
}

// group formats n with thousands separators, as Learn writes its numbers.
func group(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + group(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// CheckAllocation reports what Azure rejects in a load balancer outbound
// rule's port allocation (https://learn.microsoft.com/azure/load-balancer/outbound-rules,
// "Modify SNAT port allocation"): a value not a multiple of 8, more than
// 64,000, or more ports for the backend pool than its frontend IPs hold
// (allocated × backends > frontend IPs × 64,000). It returns "" when the
// allocation is accepted or unset (0).
func CheckAllocation(allocated, frontendIPs, backends int) string {
	switch {
	case allocated == 0:
		return ""
	case allocated < 0:
		return fmt.Sprintf("allocatedOutboundPorts %d is negative", allocated)
	case allocated%LBPortGranularity.Value != 0:
		return fmt.Sprintf("allocatedOutboundPorts %d is not a multiple of 8, which Azure rejects", allocated)
	case allocated > LBPortsPerFrontendIP.Value:
		return fmt.Sprintf("allocatedOutboundPorts %d is more than the 64,000 ports of a frontend IP", allocated)
	case frontendIPs > 0 && allocated*backends > frontendIPs*LBPortsPerFrontendIP.Value:
		return fmt.Sprintf("allocatedOutboundPorts %s for %d backend instance%s needs %s ports, more than the %s of %d frontend IP address%s, which Azure rejects",
			group(allocated), backends, plural(backends, "s"), group(allocated*backends), group(frontendIPs*LBPortsPerFrontendIP.Value), frontendIPs, plural(frontendIPs, "es"))
	}
	return ""
}
