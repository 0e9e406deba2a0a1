package simulate

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/snat"
)

// Demand is a peak of concurrent connections from a source to a
// destination: the input of [Engine.Capacity].
type Demand struct {
	// From names the source: a NIC, a web app or a container group, as
	// [Engine.Source] resolves it.
	From string
	// To is the destination address and port.
	To netip.AddrPort
	// Protocol is TCP or UDP; zero means TCP.
	Protocol ipproto.Proto
	// Concurrent is the peak number of connections open at once.
	Concurrent int
}

// CapacityReport is the SNAT port headroom of every pool the demands draw
// on ([snat.Report]), and the demands that draw on none, with why.
type CapacityReport struct {
	snat.Report
	// Unmetered are the demands whose flows do not leave through Azure SNAT
	// (denied, delivered privately, through a gateway, ...), with the
	// flow's verdict and reason.
	Unmetered []UnmeteredDemand `json:"unmetered"`
}

// UnmeteredDemand is a demand no SNAT pool carries.
type UnmeteredDemand struct {
	Demand  Demand  `json:"-"`
	From    string  `json:"from"`
	To      string  `json:"to"`
	Verdict Verdict `json:"verdict"`
	Method  Method  `json:"egressMethod"`
	Reason  string  `json:"reason"`
}

// Capacity traces each demand's flow and sets the demand against the SNAT
// port supply of the way out it takes ([snat.Pool.Supply]): per NAT
// gateway, load balancer outbound rule or rule, Azure Firewall, instance
// public IP, default outbound access or App Service app. A load balancer
// allocates ports per backend instance: the instance is the NIC that
// leaves to the internet (the source, or the appliance that forwards its
// flow). target is the headroom a suggested fix aims for (0.2: 20 %).
//
// A demand that names no source, has a protocol other than TCP or UDP, no
// port, or a negative count is an error naming it.
func (e *Engine) Capacity(demands []Demand, target float64) (*CapacityReport, error) {
	var pools []snat.Pool
	index := map[snat.Pool]int{}
	var ds []snat.Demand
	var unmetered []UnmeteredDemand
	var errs []error
	for i, d := range demands {
		proto := cmp.Or(d.Protocol, ipproto.TCP)
		switch {
		case proto != ipproto.TCP && proto != ipproto.UDP:
			errs = append(errs, fmt.Errorf("demand %d (%s → %v): protocol %v has no SNAT ports; give Tcp or Udp", i+1, d.From, d.To, proto))
			continue
		case !d.To.IsValid() || d.To.Port() == 0:
			errs = append(errs, fmt.Errorf("demand %d (%s → %v): the destination needs an address and a port", i+1, d.From, d.To))
			continue
		case d.Concurrent < 0:
			errs = append(errs, fmt.Errorf("demand %d (%s → %v): concurrent %d is negative", i+1, d.From, d.To, d.Concurrent))
			continue
		}
		s, err := e.Source(d.From)
		if err != nil {
			errs = append(errs, fmt.Errorf("demand %d: %w", i+1, err))
			continue
		}
		r, err := e.TraceFrom(s, Flow{To: d.To.Addr(), Protocol: proto, Port: d.To.Port()})
		if err != nil {
			errs = append(errs, fmt.Errorf("demand %d (%s → %v): %w", i+1, d.From, d.To, err))
			continue
		}
		if r.egress == nil || r.egress.pool.Kind == snat.KindUnknown || r.Verdict != Allowed && r.Verdict != Unknown {
			unmetered = append(unmetered, UnmeteredDemand{Demand: d, From: r.Flow.From, To: d.To.String(), Verdict: r.Verdict, Method: r.EgressMethod, Reason: r.Reason})
			continue
		}
		p := r.egress.pool
		k, ok := index[p]
		if !ok {
			k = len(pools)
			index[p] = k
			pools = append(pools, p)
		}
		ds = append(ds, snat.Demand{Pool: k, Source: r.Flow.From, Instance: egressHop(r), Dst: d.To, TCP: proto == ipproto.TCP, Concurrent: d.Concurrent})
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	rep, err := snat.Evaluate(pools, ds, target)
	if err != nil {
		return nil, err
	}
	return &CapacityReport{Report: *rep, Unmetered: unmetered}, nil
}

// egressHop names the last hop before the internet that is a NIC: the
// instance whose preallocated load-balancer ports the flow uses.
func egressHop(r *Result) string {
	for i := len(r.Hops) - 1; i >= 0; i-- {
		if k := r.Hops[i].Kind; k == HopSource || k == HopAppliance {
			return r.Hops[i].Name
		}
	}
	return r.Flow.From
}
