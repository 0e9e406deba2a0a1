package main

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"go4.org/netipx"
)

// reachHostDoc is one set of flows of egress reach's hostConditioned: flows
// whose outcome changes when they name a server that a firewall's
// application rules tell apart (simulate.HostClass).
type reachHostDoc struct {
	Firewall string `json:"firewall"`
	// Pattern is the target FQDN or URL host ("" for a name no target
	// names), Host the name the flows give.
	Pattern string `json:"pattern"`
	Host    string `json:"host"`
	Rule    string `json:"rule,omitempty"`
	URL     bool   `json:"url,omitempty"`
	// Destinations, Protocols and Ports are the flows.
	Destinations []netip.Prefix `json:"destinations"`
	Protocols    []string       `json:"protocols"`
	Ports        []string       `json:"ports"`
	// Without is the outcome of the same flows naming no server.
	Without reachOutcomeDoc `json:"withoutHost"`
	// With is their outcome when they name Host.
	With      reachOutcomeDoc   `json:"withHost"`
	DecidedBy string            `json:"decidedBy,omitempty"`
	Witness   simulate.FlowInfo `json:"witness"`
}

// reachOutcomeDoc is an outcome: verdict, reason, egress method and IPs.
type reachOutcomeDoc struct {
	Verdict      simulate.Verdict `json:"verdict"`
	ReasonCode   simulate.Reason  `json:"reasonCode"`
	EgressMethod simulate.Method  `json:"egressMethod"`
	EgressIPs    []netip.Addr     `json:"egressIpAddresses"`
}

// reachHosts returns the flows of NIC h, kept by --to, --protocol and
// --port, whose outcome depends on the server name they give
// (Engine.ReachHosts, over m, h's map without a name).
func (e *env) reachHosts(h simulate.NIC, m *simulate.EgressMap, set *netipx.IPSet, proto ipproto.Proto, port uint16) ([]reachHostDoc, error) {
	out := []reachHostDoc{}
	for _, hc := range e.engine.ReachHosts(h, m) {
		c := hc.Change
		cl := simulate.ReachClass{Prefixes: c.Prefixes, Protocols: c.Protocols, OtherProtocols: c.OtherProtocols, Ports: c.Ports, Witness: c.Witness}
		if set != nil || proto != ipproto.Unknown || port != 0 {
			one := &simulate.EgressMap{Classes: []simulate.ReachClass{cl}}
			kept := one.Restrict(set, proto, port)
			if len(kept) == 0 {
				continue
			}
			cl = kept[0]
			cl.Witness.Host = hc.Host
		}
		r, err := e.engine.Trace(cl.Witness)
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		d := reachHostDoc{Firewall: hc.Firewall, Pattern: hc.Pattern, Host: hc.Host, Rule: hc.Rule, URL: hc.URL,
			Destinations: cl.Prefixes, Protocols: strings.Split(cl.ProtocolString(), ","), Ports: []string{},
			Without:   reachOutcomeDoc{Verdict: c.Before.Verdict, ReasonCode: c.Before.Reason, EgressMethod: c.Before.Method, EgressIPs: nonNil(c.BeforeIPs)},
			With:      reachOutcomeDoc{Verdict: r.Verdict, ReasonCode: c.After.Reason, EgressMethod: r.EgressMethod, EgressIPs: nonNil(r.EgressIPs)},
			DecidedBy: r.DecidedBy, Witness: r.Flow}
		for _, p := range cl.Ports {
			d.Ports = append(d.Ports, p.String())
		}
		out = append(out, d)
	}
	return out, nil
}

func nonNil(a []netip.Addr) []netip.Addr {
	if a == nil {
		return []netip.Addr{}
	}
	return a
}

// reachHostRows are the host-conditioned flows as rows.
func reachHostRows(ds []reachHostDoc) *table {
	t := &table{header: []string{"If The Name Is", "Verdict", "Egress Method", "Protocols", "Ports", "Destinations", "Without A Name", "Witness", "Decided By"}}
	for _, d := range ds {
		name := d.Pattern
		if name == "" {
			name = "any other (" + d.Host + ")"
		} else if d.Pattern != d.Host {
			name += " (" + d.Host + ")"
		}
		t.add(name, d.With.Verdict.String(), d.With.EgressMethod.String(), strings.Join(d.Protocols, ","), joinOrDash(d.Ports), shortPrefixes(d.Destinations),
			d.Without.Verdict.String(), witnessString(d.Witness), d.DecidedBy)
	}
	return t
}

// joinOrDash joins s with commas, or is "-" for none.
func joinOrDash(s []string) string {
	if len(s) == 0 {
		return "-"
	}
	return strings.Join(s, ",")
}

// witnessString is a witness flow as the tables show it: "52.0.0.1 Tcp/443".
func witnessString(f simulate.FlowInfo) string {
	w := f.Destination.String() + " " + f.Protocol.String()
	if f.Protocol.HasPorts() {
		w += "/" + strconv.Itoa(int(f.Port))
	}
	return w
}

// shortPrefixes lists at most three prefixes, then their count.
func shortPrefixes(ps []netip.Prefix) string {
	s := make([]string, 0, 4)
	for i, p := range ps {
		if i == 3 {
			s = append(s, "... ("+strconv.Itoa(len(ps))+" prefixes)")
			break
		}
		s = append(s, p.String())
	}
	return strings.Join(s, " ")
}

// writeReach writes reach's table, then the host-conditioned flows under a
// heading.
func (e *env) writeReach(w io.Writer, doc reachDoc) error {
	if err := reachRows(doc).write(w, e.noHeaders); err != nil {
		return err
	}
	if len(doc.HostConditioned) == 0 {
		return nil
	}
	fmt.Fprintf(w, "\nFlows whose outcome depends on the server name they give (TLS SNI, HTTP Host; --host maps one name):\n")
	return reachHostRows(doc.HostConditioned).write(w, e.noHeaders)
}
