package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/spf13/cobra"
	"go4.org/netipx"
)

// reachQueries are egress reach's --query values, each an EgressMap query.
var reachQueries = []string{"direct-internet", "default-outbound", "dropped-after-allowed"}

// cmdReach prints a source's egress map: a NIC's, a container group's or a
// web app's.
func cmdReach(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "reach --from SOURCE [--to PREFIX|TAG] [--protocol P] [--port N]",
		Short: "Every destination of a NIC, container group or web app at once: classes of flows with one outcome each",
		Long: `Map where a source's traffic can go, for every destination at once: destination space (IPv4
and IPv6 addresses, IP protocol, destination port) is cut at every boundary that can change
an outcome along the source's paths (route prefixes, NSG, admin and firewall rule prefixes and
ports, service tags, private and platform ranges), one flow per piece is simulated with the
engine trace uses, and neighbouring pieces with the same outcome are merged. Each class
says what happens to every flow in it and names a witness flow (egress trace explains it).

The source is a NIC, a container group in a subnet or a web app, by name or resource ID, as
trace --from takes it. A container group's flows start in its subnet, from its address; a
web app's application traffic goes as its routing settings send it: into its integration
subnet, or out from its own outbound addresses (its configuration traffic, --traffic of
trace, is not mapped). An AI services account has no map: host names, not addresses,
decide its calls (egress trace --from decides one).

The map is exact, not sampled: a /32 route to the internet, one port opened by a rule or a
BGP prefix around the firewall shows up as its own class. It covers flows that name no
server; --host maps the flows that name one (TLS SNI, HTTP Host), which Azure Firewall
application rules match. For a NIC, a second table lists the flows whose outcome changes when
they name a server: one name per target FQDN of the application rules of every firewall the
NIC's flows can reach ("allowed if the SNI matches *.contoso.com"), and one name that no
target names (--hosts=false skips them; -o json lists them as hostConditioned).

--all and --subnet map many NICs at once (NICs whose maps provably coincide share the work)
and print one summary per NIC: its classes, whether some flow reaches the internet without a
firewall or NVA (with a witness), and whether some leaves through default outbound access.

--to, --protocol and --port restrict the map to those flows; --query keeps the classes that
answer a question: direct-internet (allowed to the internet without a firewall or NVA),
default-outbound (leaving through default outbound access), dropped-after-allowed (every
security rule allows, a route with next hop None drops).`,
		Example: `  # Everything vm-app-01-nic can reach, grouped by outcome
  egress reach --from vm-app-01-nic

  # Can it reach the internet without the firewall? Which flows, with a witness
  egress reach --from vm-app-01-nic --query direct-internet -o json

  # Which ports reach a service tag
  egress reach --from vm-batch-01-nic --to Storage --protocol tcp

  # One destination's classes
  egress reach --from vm-app-01-nic --to 52.1.2.0/24 --port 443

  # A container group's, or a web app's, traffic to the internet
  egress reach --from aci-batch-jobs --query direct-internet
  egress reach --from app-orders --to 52.1.2.0/24 --port 443

  # Every NIC of a subnet (or --all): which reach the internet directly, which use default outbound
  egress reach --subnet vnet-spoke-app/snet-app

  # HTTPS that names api.partner.example: the firewall's application rules decide
  egress reach --from vm-app-01-nic --host api.partner.example --to 52.1.2.0/24 --port 443`,
		Args: cobra.NoArgs,
	}
	var from, to, protocol, query, host, subnet string
	var all, hosts bool
	var port uint16
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "", "the `source`: a NIC, container group or web app, by name or resource ID (or --all, --subnet)")
	fs.BoolVar(&all, "all", false, "map every NIC: one summary line each (classes, direct internet, default outbound)")
	fs.StringVar(&subnet, "subnet", "", "map every NIC of a `subnet` (NAME, VNET/NAME or resource ID): one summary line each")
	_ = cmd.RegisterFlagCompletionFunc("from", e.completeNames(sourceNames))
	fs.StringVar(&to, "to", "", "keep destinations in a `prefix`, an address or a service tag")
	fs.StringVar(&protocol, "protocol", "any", "keep one `protocol`: tcp, udp, icmp, a protocol number, or any")
	fs.Uint16Var(&port, "port", 0, "keep one destination `port` (TCP and UDP)")
	fs.StringVar(&host, "host", "", "map the flows that name this server `name` (TLS SNI, HTTP Host), which firewall application rules match")
	fs.BoolVar(&hosts, "hosts", true, "also map, for a NIC, the flows whose outcome depends on the server name they give (one name per firewall application-rule target); tsv leaves them out")
	fs.StringVar(&query, "query", "", "keep the classes that answer a `question`: "+strings.Join(reachQueries, ", "))
	_ = cmd.RegisterFlagCompletionFunc("to", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("protocol", fixedCompletions([]string{"tcp", "udp", "icmp", "any"}))
	_ = cmd.RegisterFlagCompletionFunc("port", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("query", fixedCompletions(reachQueries))
	_ = cmd.RegisterFlagCompletionFunc("host", cobra.NoFileCompletions)
	e.simFlags(cmd)
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error {
		if all || subnet != "" {
			if from != "" || all && subnet != "" {
				return usageErr("--from, --all and --subnet exclude one another")
			}
			if to != "" || protocol != "any" || port != 0 || query != "" {
				return usageErr("--to, --protocol, --port and --query apply to one NIC's map (--from)")
			}
			return e.reachMany(cmd.Context(), subnet, host)
		}
		return e.reach(from, to, protocol, query, host, port, hosts)
	})
	return cmd
}

// reachDoc is egress reach's JSON document.
type reachDoc struct {
	SchemaVersion int        `json:"schemaVersion"`
	Source        string     `json:"source"`
	SourceID      string     `json:"sourceId"`
	SourceIP      netip.Addr `json:"sourceIpAddress"`
	// SourceKind is the source's kind when it is not a NIC: WebApp or
	// ContainerGroup.
	SourceKind string `json:"sourceKind,omitempty"`
	// Host is the server name the flows give (--host), or "".
	Host string `json:"host,omitempty"`
	// Classes are the classes kept, grouped by outcome.
	Classes []reachClassDoc `json:"classes"`
	// HostConditioned are the flows (of a NIC's map without --host) whose
	// outcome changes when they name a server a firewall's application
	// rules tell apart, one name per target pattern.
	HostConditioned []reachHostDoc `json:"hostConditioned,omitempty"`
	// AtomicClasses is the number of flows simulated to build the map,
	// Boundaries the number of address boundaries it was cut at.
	AtomicClasses int    `json:"atomicClasses"`
	Boundaries    int    `json:"boundaries"`
	ServiceTags   string `json:"serviceTags,omitempty"`
}

// reachClassDoc is one class: its flows and their outcome, and a witness.
type reachClassDoc struct {
	Destinations []netip.Prefix `json:"destinations"`
	Protocols    []string       `json:"protocols"`
	// Ports are the destination port ranges ("443", "1-24"); empty for
	// protocols without ports.
	Ports        []string         `json:"ports"`
	Verdict      simulate.Verdict `json:"verdict"`
	Reason       string           `json:"reason"`
	ReasonCode   simulate.Reason  `json:"reasonCode"`
	EgressMethod simulate.Method  `json:"egressMethod"`
	EgressIPs    []netip.Addr     `json:"egressIpAddresses"`
	// Via names the firewalls and NVAs on the path.
	Via       []string          `json:"via"`
	DecidedBy string            `json:"decidedBy,omitempty"`
	Witness   simulate.FlowInfo `json:"witness"`
}

// reach runs egress reach.
func (e *env) reach(from, to, protocol, query, host string, port uint16, hosts bool) error {
	if from == "" {
		return usageErr("--from is required")
	}
	var proto ipproto.Proto
	if p := strings.ToLower(protocol); p != "any" && p != "*" && p != "" {
		var err error
		if proto, err = ipproto.Parse(protocol); err != nil {
			return usageErr("--protocol %q: want tcp, udp, icmp, a protocol number or any", protocol)
		}
	}
	if query != "" && !slices.Contains(reachQueries, query) {
		return &exitError{code: 2, err: didYouMean(usageErr("--query %q: want %s", query, orList(reachQueries)), query, reachQueries), usage: true}
	}
	if err := e.compile(); err != nil {
		return err
	}
	src, err := e.source(from)
	if err != nil {
		return err
	}
	var set *netipx.IPSet
	if to != "" {
		if set, err = e.reachSet(to); err != nil {
			return err
		}
	}
	m, err := e.engine.ReachFromHost(src, host)
	if errors.Is(err, simulate.ErrNoReach) {
		err = fmt.Errorf("%w (egress trace --from %s --to NAME:PORT decides one call)", err, from)
	}
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	var picked []*simulate.ReachClass
	switch query {
	case "direct-internet":
		picked = m.DirectInternet()
	case "default-outbound":
		picked = m.DefaultOutbound()
	case "dropped-after-allowed":
		picked = m.DroppedAfterAllowed()
	default:
		picked = m.Where(func(*simulate.ReachClass) bool { return true })
	}
	kept := &simulate.EgressMap{Source: m.Source, SourceID: m.SourceID, SourceAddr: m.SourceAddr}
	for _, c := range picked {
		kept.Classes = append(kept.Classes, *c)
	}
	classes := kept.Classes
	if set != nil || proto != ipproto.Unknown || port != 0 {
		classes = kept.Restrict(set, proto, port)
	}
	doc := reachDoc{SchemaVersion: schemaVersion, Source: m.Source, SourceID: m.SourceID, SourceIP: m.SourceAddr, Host: m.Host,
		Classes: []reachClassDoc{}, AtomicClasses: m.Atomic, Boundaries: m.Boundaries, ServiceTags: e.engine.ServiceTags()}
	if src.Kind() != simulate.SourceNIC {
		doc.SourceKind = src.Kind().String()
	}
	for i := range classes {
		c := &classes[i]
		r, err := e.engine.TraceFrom(src, c.Witness)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		cd := reachClassDoc{Destinations: c.Prefixes, Protocols: strings.Split(c.ProtocolString(), ","), Ports: []string{},
			Verdict: c.Decision.Verdict, Reason: r.Reason, ReasonCode: c.Decision.Reason, EgressMethod: c.Decision.Method,
			EgressIPs: r.EgressIPs, Via: []string{}, DecidedBy: r.DecidedBy, Witness: r.Flow}
		for _, p := range c.Ports {
			cd.Ports = append(cd.Ports, p.String())
		}
		for _, hop := range r.Hops {
			if hop.Kind == simulate.HopFirewall || hop.Kind == simulate.HopAppliance {
				cd.Via = append(cd.Via, hop.Name)
			}
		}
		doc.Classes = append(doc.Classes, cd)
	}
	// Grouped by outcome: verdict, method, reason, then the witness.
	slices.SortStableFunc(doc.Classes, func(a, b reachClassDoc) int {
		return cmp.Or(cmp.Compare(a.Verdict, b.Verdict), cmp.Compare(a.EgressMethod, b.EgressMethod), cmp.Compare(a.ReasonCode, b.ReasonCode),
			strings.Compare(strings.Join(a.Via, ","), strings.Join(b.Via, ",")), a.Witness.Destination.Compare(b.Witness.Destination))
	})
	if h, ok := src.NIC(); ok && host == "" && query == "" && hosts {
		if doc.HostConditioned, err = e.reachHosts(h, m, set, proto, port); err != nil {
			return err
		}
	}
	return e.print(doc, func() *table { return reachRows(doc) }, func(w io.Writer) error { return e.writeReach(w, doc) })
}

// reachSet parses --to: a prefix, an address, or a service tag of the
// network's tag data.
func (e *env) reachSet(to string) (*netipx.IPSet, error) {
	var b netipx.IPSetBuilder
	if p, err := netip.ParsePrefix(to); err == nil {
		b.AddPrefix(p.Masked())
	} else if a, err := netip.ParseAddr(to); err == nil {
		b.Add(a.Unmap())
	} else if tags := e.network.Tags(); tags != nil {
		ps, _, ok := tags.ServiceTag(to)
		if !ok {
			return nil, usageErr("--to %q: not a prefix, an address or a service tag", to)
		}
		for _, p := range ps {
			b.AddPrefix(p)
		}
	} else {
		return nil, usageErr("--to %q: not a prefix or an address (no service-tag data to look up a tag)", to)
	}
	return b.IPSet()
}

// reachHeader names the columns of reach's table.
var reachHeader = []string{"Verdict", "Egress Method", "Via", "Protocols", "Ports", "Destinations", "Witness", "Decided By"}

// reachRows are reach's classes as rows, grouped by outcome.
func reachRows(doc reachDoc) *table {
	t := &table{header: reachHeader}
	for _, c := range doc.Classes {
		t.add(c.Verdict.String(), c.EgressMethod.String(), joinOrDash(c.Via), strings.Join(c.Protocols, ","), joinOrDash(c.Ports),
			shortPrefixes(c.Destinations), witnessString(c.Witness), c.DecidedBy)
	}
	return t
}

// reachManyDoc is egress reach --all / --subnet's JSON document.
type reachManyDoc struct {
	SchemaVersion int `json:"schemaVersion"`
	// Subnet is the --subnet asked for, or "" for --all.
	Subnet      string            `json:"subnet,omitempty"`
	Host        string            `json:"host,omitempty"`
	NICs        []reachSummaryDoc `json:"nics"`
	ServiceTags string            `json:"serviceTags,omitempty"`
}

// reachSummaryDoc is one NIC's egress map in brief.
type reachSummaryDoc struct {
	NIC      string     `json:"nic"`
	NICID    string     `json:"nicId"`
	SourceIP netip.Addr `json:"sourceIpAddress"`
	Subnet   string     `json:"subnet"`
	Classes  int        `json:"classes"`
	// DirectInternet: some flow reaches the internet without a firewall or
	// NVA; the witness is one (EgressMap.DirectInternet).
	DirectInternet        bool               `json:"directInternet"`
	DirectInternetWitness *simulate.FlowInfo `json:"directInternetWitness,omitempty"`
	// DefaultOutbound: some flow leaves through default outbound access.
	DefaultOutbound        bool               `json:"defaultOutbound"`
	DefaultOutboundWitness *simulate.FlowInfo `json:"defaultOutboundWitness,omitempty"`
}

// reachMany runs egress reach --all (subnet "") or --subnet.
func (e *env) reachMany(ctx context.Context, subnet, host string) error {
	if err := e.compile(); err != nil {
		return err
	}
	var nics []simulate.NIC
	if subnet != "" {
		var matched []string
		for _, h := range e.engine.NICs() {
			if s := h.Subnet(); reachSubnetIs(s, subnet) {
				nics = append(nics, h)
				if id := string(s.ID()); !slices.Contains(matched, id) {
					matched = append(matched, id)
				}
			}
		}
		switch {
		case len(matched) == 0:
			return usageErr("--subnet %q: no NIC is in a subnet of that name, VNET/NAME or ID", subnet)
		case len(matched) > 1:
			return usageErr("--subnet %q names %d subnets (%s): give VNET/NAME or the resource ID", subnet, len(matched), strings.Join(matched, ", "))
		}
	}
	if ctx == nil {
		ctx = context.Background()
	}
	doc := reachManyDoc{SchemaVersion: schemaVersion, Subnet: subnet, Host: host, NICs: []reachSummaryDoc{}, ServiceTags: e.engine.ServiceTags()}
	witness := func(cs []*simulate.ReachClass) *simulate.FlowInfo {
		if len(cs) == 0 {
			return nil
		}
		w := cs[0].Witness
		return &simulate.FlowInfo{Destination: w.To, Protocol: w.Protocol, Port: w.Port}
	}
	opts := simulate.ReachAllOptions{NICs: nics, Host: host, Progress: e.progress("mapping NICs")}
	if subnet == "" {
		opts.NICs = nil
	}
	err := e.engine.ReachAll(ctx, opts, func(h simulate.NIC, m *simulate.EgressMap) error {
		s := h.Subnet()
		d := reachSummaryDoc{NIC: m.Source, NICID: m.SourceID, SourceIP: m.SourceAddr, Subnet: s.VNet().Name() + "/" + s.Name(), Classes: len(m.Classes)}
		if w := witness(m.DirectInternet()); w != nil {
			w.From, w.FromID = m.Source, m.SourceID
			d.DirectInternet, d.DirectInternetWitness = true, w
		}
		if w := witness(m.DefaultOutbound()); w != nil {
			w.From, w.FromID = m.Source, m.SourceID
			d.DefaultOutbound, d.DefaultOutboundWitness = true, w
		}
		doc.NICs = append(doc.NICs, d)
		return nil
	})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	return e.print(doc, func() *table { return reachManyRows(doc) }, nil)
}

// reachSubnetIs reports whether --subnet name names s: its name, VNET/NAME
// or its resource ID, case-insensitively.
func reachSubnetIs(s topology.SubnetView, name string) bool {
	return strings.EqualFold(s.Name(), name) || strings.EqualFold(s.VNet().Name()+"/"+s.Name(), name) || strings.EqualFold(string(s.ID()), name)
}

// reachManyHeader names the columns of reach --all's table.
var reachManyHeader = []string{"NIC", "Subnet", "Classes", "Direct Internet", "Default Outbound"}

// reachManyRows are the NICs' summaries as rows.
func reachManyRows(doc reachManyDoc) *table {
	t := &table{header: reachManyHeader}
	show := func(on bool, w *simulate.FlowInfo) string {
		if !on {
			return "no"
		}
		s := "yes: " + w.Destination.String() + " " + w.Protocol.String()
		if w.Protocol.HasPorts() {
			s += "/" + strconv.Itoa(int(w.Port))
		}
		return s
	}
	for _, n := range doc.NICs {
		t.add(n.NIC, n.Subnet, strconv.Itoa(n.Classes), show(n.DirectInternet, n.DirectInternetWitness), show(n.DefaultOutbound, n.DefaultOutboundWitness))
	}
	return t
}
