package snat

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"slices"
)

// Demand is a peak number of concurrent connections from one source to one
// destination, attached to the pool its egress draws on.
type Demand struct {
	Pool int // index into the pools given to Evaluate
	// Source names who opens the connections (a NIC, a web app, ...).
	Source string
	// Instance names the backend instance whose ports they use, for pools
	// with ScopeInstance (the source NIC, or the appliance that SNATs for
	// it); "" means Source.
	Instance   string
	Dst        netip.AddrPort
	TCP        bool // false: UDP
	Concurrent int
}

// Contribution is one source's share of a peak.
type Contribution struct {
	Source     string `json:"source"`
	Concurrent int    `json:"concurrent"`
}

// PoolReport is a pool's supply against its peak demand, for one protocol.
type PoolReport struct {
	Pool   Pool   `json:"-"`
	Kind   Kind   `json:"kind"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	TCP    bool   `json:"-"`
	Proto  string `json:"protocol"`
	Supply Supply `json:"supply"`
	// Peak is the largest demand on one destination key (per instance for
	// ScopeInstance pools), PeakKey that key and PeakInstance the instance.
	Peak         int    `json:"peak"`
	PeakKey      string `json:"peakDestination"`
	PeakInstance string `json:"peakInstance,omitempty"`
	// Total is the demand over every destination and instance.
	Total int `json:"total"`
	// Headroom is (supply − peak) / supply, binding on the tighter of the
	// per-key and total limits; negative when demand exceeds supply.
	// HeadroomKnown is false when the supply is unknown (or unlimited).
	Headroom      float64 `json:"headroom"`
	HeadroomKnown bool    `json:"headroomKnown"`
	// Exhausting are the sources of the peak, largest first.
	Exhausting []Contribution `json:"exhausting"`
	// Fix says what would give the pool the wanted headroom, or "".
	Fix string `json:"fix,omitempty"`
}

// Report is the capacity of every pool that has demand.
type Report struct {
	// Target is the headroom Fix aims for (0.2: 20 %).
	Target float64      `json:"targetHeadroom"`
	Pools  []PoolReport `json:"pools"`
}

// Evaluate sets demands against the supply of pools and reports each pool
// and protocol with demand, in the order of pools (TCP before UDP). target
// is the headroom a fix must reach (0 ≤ target < 1). A demand whose Pool is
// out of range, or whose Concurrent is negative, is an error.
func Evaluate(pools []Pool, demands []Demand, target float64) (*Report, error) {
	if target < 0 || target >= 1 || math.IsNaN(target) {
		return nil, fmt.Errorf("snat: target headroom %v is not in [0, 1)", target)
	}
	type gkey struct {
		pool     int
		tcp      bool
		instance string
		dst      string
	}
	groups := map[gkey][]Contribution{}
	totals := map[[2]int]int{}
	for i, d := range demands {
		if d.Pool < 0 || d.Pool >= len(pools) {
			return nil, fmt.Errorf("snat: demand %d (%s → %v) names pool %d of %d", i, d.Source, d.Dst, d.Pool, len(pools))
		}
		if d.Concurrent < 0 {
			return nil, fmt.Errorf("snat: demand %d (%s → %v) has negative concurrency %d", i, d.Source, d.Dst, d.Concurrent)
		}
		s := pools[d.Pool].Supply(d.TCP)
		k := gkey{pool: d.Pool, tcp: d.TCP}
		switch s.Key {
		case KeyEndpoint:
			k.dst = d.Dst.String()
		case KeyAddress:
			k.dst = d.Dst.Addr().String()
		default:
			k.dst = "*"
		}
		if s.Scope == ScopeInstance {
			k.instance = cmp.Or(d.Instance, d.Source)
		}
		groups[k] = append(groups[k], Contribution{d.Source, d.Concurrent})
		totals[[2]int{d.Pool, b2i(d.TCP)}] += d.Concurrent
	}
	r := &Report{Target: target}
	for pi, p := range pools {
		for _, tcp := range []bool{true, false} {
			total, ok := totals[[2]int{pi, b2i(tcp)}]
			if !ok {
				continue
			}
			pr := PoolReport{Pool: p, Kind: p.Kind, ID: p.ID, Name: p.Name, TCP: tcp, Proto: proto(tcp), Supply: p.Supply(tcp), Total: total}
			var peak gkey
			found := false
			for k, cs := range groups {
				if k.pool != pi || k.tcp != tcp {
					continue
				}
				n := sum(cs)
				// The largest group; ties go to the smallest key, for
				// deterministic output.
				if !found || n > pr.Peak || n == pr.Peak && (k.instance < peak.instance || k.instance == peak.instance && k.dst < peak.dst) {
					pr.Peak, peak, found = n, k, true
				}
			}
			pr.PeakKey, pr.PeakInstance = peak.dst, peak.instance
			pr.Exhausting = merged(groups[peak])
			if s := pr.Supply; s.Known && !s.Unlimited && s.PerKey > 0 {
				pr.HeadroomKnown = true
				pr.Headroom = float64(s.PerKey-pr.Peak) / float64(s.PerKey)
				if s.Total > 0 {
					pr.Headroom = min(pr.Headroom, float64(s.Total-total)/float64(s.Total))
				}
			}
			pr.Fix = fix(pr, target)
			r.Pools = append(r.Pools, pr)
		}
	}
	return r, nil
}

// merged sums a group's contributions per source, largest first.
func merged(cs []Contribution) []Contribution {
	by := map[string]int{}
	for _, c := range cs {
		by[c.Source] += c.Concurrent
	}
	out := make([]Contribution, 0, len(by))
	for s, n := range by {
		out = append(out, Contribution{s, n})
	}
	slices.SortFunc(out, func(a, b Contribution) int {
		return cmp.Or(cmp.Compare(b.Concurrent, a.Concurrent), cmp.Compare(a.Source, b.Source))
	})
	return out
}

func sum(cs []Contribution) int {
	n := 0
	for _, c := range cs {
		n += c.Concurrent
	}
	return n
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func proto(tcp bool) string {
	if tcp {
		return "Tcp"
	}
	return "Udp"
}

// need is the supply that gives demand the target headroom.
func need(demand int, target float64) int {
	return int(math.Ceil(float64(demand) / (1 - target)))
}

// fix says what would give pr the target headroom, following each
// method's documented scaling: more public IPs on a NAT gateway or a
// firewall (up to their limits), a larger allocatedOutboundPorts (with
// the frontend IPs it needs) on a load balancer, and a NAT gateway where
// those run out or the supply is unknown.
func fix(pr PoolReport, target float64) string {
	s := pr.Supply
	if s.Unlimited || (pr.HeadroomKnown && pr.Headroom >= target) {
		return ""
	}
	p := pr.Pool
	switch p.Kind {
	case NATGateway:
		if !s.Known {
			return ""
		}
		ips := ceilDiv(need(pr.Peak, target), NATConnsPerIPPerDest.Value)
		if need(pr.Total, target) > NATTotalConnections.Value {
			return fmt.Sprintf("the demand of %s connections exceeds what one NAT gateway holds (%s); split the subnets across several NAT gateways",
				group(pr.Total), group(NATTotalConnections.Value))
		}
		if ips > NATMaxIPs.Value {
			return fmt.Sprintf("%s connections to %s need %d public IP addresses, more than a NAT gateway's %d; spread the sources across NAT gateways or the destination across endpoints",
				group(pr.Peak), pr.PeakKey, ips, NATMaxIPs.Value)
		}
		return fmt.Sprintf("give NAT gateway %s %d public IP address%s (it has %d): add %d", p.Name, ips, plural(ips, "es"), p.IPs, ips-p.IPs)
	case LoadBalancerOutbound, LoadBalancerRule:
		if !s.Known {
			return "attach a NAT gateway to the subnet (64,512 ports per IP, shared on demand)"
		}
		ports := roundUp(need(pr.Peak, target), LBPortGranularity.Value)
		if ports > LBPortsPerFrontendIP.Value {
			return fmt.Sprintf("%s connections from one instance to %s are more than one frontend IP's 64,000 ports: attach a NAT gateway to the subnet", group(pr.Peak), pr.PeakKey)
		}
		fe := ceilDiv(ports*max(p.Backends, 1), LBPortsPerFrontendIP.Value)
		rule := "set allocatedOutboundPorts of outbound rule " + p.Name
		if p.Kind == LoadBalancerRule {
			rule = "disable outbound SNAT on rule " + p.Name + " and add an outbound rule with allocatedOutboundPorts"
		}
		return fmt.Sprintf("%s to %s (for %d backend instance%s that needs %d frontend IP address%s, it has %d), or attach a NAT gateway to the subnet",
			rule, group(ports), p.Backends, plural(p.Backends, "s"), fe, plural(fe, "es"), p.IPs)
	case AzureFirewall:
		if !s.Known {
			return ""
		}
		ips := ceilDiv(need(max(pr.Peak, pr.Total), target), FirewallPortsPerIP.Value*FirewallMinInstances.Value)
		if ips > FirewallMaxPublicIPs.Value {
			return "associate a NAT gateway with AzureFirewallSubnet (64,512 ports per IP, up to 16 IPs): the firewall's 250 public IPs do not suffice"
		}
		return fmt.Sprintf("give Azure Firewall %s %d public IP address%s (it has %d), or associate a NAT gateway with AzureFirewallSubnet", p.Name, ips, plural(ips, "es"), p.IPs)
	case DefaultOutbound, AppService:
		return "use an explicit way out with a documented supply: a NAT gateway on the subnet"
	}
	return ""
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, m int) int { return ceilDiv(a, m) * m }
