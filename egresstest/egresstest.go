// Package egresstest turns what-if questions about a network design into Go
// tests: load the design (and a proposed change), state what a flow must do,
// and on failure read the flow's whole trace in the test log.
//
//	e := egresstest.Load(t, simulate.Options{}, "hubspoke.yaml")
//	egresstest.Expect(t, e, egresstest.TCP("vm-app-01-nic", "52.1.2.3", 443),
//		egresstest.Verdict(simulate.Denied), egresstest.Through("fw-hub"))
//	egresstest.NoDirectInternet(t, e, "vnet-spoke-app/snet-app")
//	egresstest.NoReach(t, e, "vnet-spoke-app/snet-data", "Storage", "10.50.0.0/16")
//
//	after := egresstest.LoadWith(t, simulate.Options{}, []string{"hubspoke.yaml"}, "change.yaml")
//	egresstest.Unchanged(t, e, after, flows...)
//
// Every helper calls t.Helper, reports all that is wrong with a flow at once
// (t.Errorf), and stops the test (t.Fatalf) only when it cannot go on: a
// design that does not load, a flow whose source NIC does not exist.
package egresstest

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/check"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

// Load loads designs as [topology.Load] does (native YAML designs and ARM
// exports, one resource set, validated, refusing the resources Azure would
// reject) and compiles the network with opts. Service tags are the embedded
// copy (servicetag.Default; [Compile] takes others). Any problem fails t at
// once, with every message of the loader.
func Load(t testing.TB, opts simulate.Options, files ...string) *simulate.Engine {
	t.Helper()
	return Compile(t, topology.LoadOptions{Files: files}, opts)
}

// LoadWith is [Load] with overlays (egress: overlay/v1 files) applied in
// order on top of the designs, then validated again: the engine of a
// proposed change.
func LoadWith(t testing.TB, opts simulate.Options, files []string, overlays ...string) *simulate.Engine {
	t.Helper()
	return Compile(t, topology.LoadOptions{Files: files, Overlays: overlays}, opts)
}

// Parse is [Load] for one native design given as text (for designs written
// inside the test), named after the test.
func Parse(t testing.TB, opts simulate.Options, design string) *simulate.Engine {
	t.Helper()
	return Compile(t, topology.LoadOptions{Inputs: []topology.Input{{Name: t.Name() + ".yaml", Data: []byte(design)}}}, opts)
}

// Compile is the pipeline under [Load]: it loads the network of lo
// ([topology.Load]) and compiles it with opts. lo.Tags defaults to the
// embedded service tags, and lo.RefuseRejected is set: a design under test
// must be one Azure accepts. Any problem fails t at once, with every
// message of the loader, naming the step that failed.
func Compile(t testing.TB, lo topology.LoadOptions, opts simulate.Options) *simulate.Engine {
	t.Helper()
	if lo.Tags == nil {
		tags, err := servicetag.Default()
		if err != nil {
			t.Fatalf("egresstest: the embedded service tags: %v", err)
		}
		lo.Tags = tags
	}
	lo.RefuseRejected = true
	n, err := topology.Load(lo)
	if err != nil {
		t.Fatalf("egresstest: %v", err)
	}
	return simulate.Compile(n, opts)
}

// TCP is a TCP flow from a source — a NIC, an AI services account or a web
// app, by name or resource ID ([simulate.Engine.Source]) — to an IP address
// or a host name on a port. A host name is resolved through
// Options.Resolver for NICs and web apps (and is the name firewall
// application rules see); an AI services account matches the name itself
// against its allowedFqdnList.
func TCP(from, to string, port uint16) simulate.Flow { return flow(from, to, ipproto.TCP, port) }

// UDP is [TCP] for UDP.
func UDP(from, to string, port uint16) simulate.Flow { return flow(from, to, ipproto.UDP, port) }

func flow(from, to string, p ipproto.Proto, port uint16) simulate.Flow {
	f := simulate.Flow{From: from, Protocol: p, Port: port}
	if a, err := netip.ParseAddr(to); err == nil {
		f.To = a
	} else {
		f.ToFQDN = to
	}
	return f
}

// As sets the traffic class of a flow from a web app: its application's
// own traffic (the default) or a class of configuration traffic, which the
// app's settings route separately.
//
//	egresstest.Expect(t, e, egresstest.As(egresstest.TCP("app-orders", "52.1.2.3", 445), topology.TrafficContentShare),
//		egresstest.Method(simulate.MethodAppService))
func As(f simulate.Flow, class topology.WebAppTraffic) simulate.Flow {
	f.Traffic = class
	return f
}

// Want is one expectation about a trace: it returns "" when the result
// meets it, else what was expected (the failure shows what happened). The
// vocabulary is package check's, which `egress check` files use too.
type Want = check.Want

// Verdict expects the flow's verdict.
func Verdict(v simulate.Verdict) Want { return check.Verdict(v) }

// Reason expects the reason code (why the flow ended as it did).
func Reason(c simulate.Reason) Want { return check.Reason(c) }

// Method expects the egress method.
func Method(m simulate.Method) Want { return check.Method(m) }

// EgressIPs expects exactly these public source addresses, in any order
// (none: the flow leaves with no Azure public address).
func EgressIPs(ips ...string) Want { return check.EgressIPs(ips...) }

// Through expects the path to cross a hop with this name: an Azure
// Firewall, an NVA's NIC, the destination NIC (names compare without letter
// case).
func Through(name string) Want { return check.Through(name) }

// NotThrough expects the path not to cross a hop with this name.
func NotThrough(name string) Want { return check.NotThrough(name) }

// DecidedBy expects the rule that denied the flow to contain text, e.g. an
// NSG rule's name or "AzureFirewall fw-hub".
func DecidedBy(text string) Want { return check.DecidedBy(text) }

// Assumes expects the result to state an assumption containing text: a
// PaaS assumption's id ("A-6"), or words of any other.
func Assumes(text string) Want { return check.Assumes(text) }

// WouldBeDenied expects the flow to be (true) or not to be (false) one
// that is allowed only because a control on its path is not enforced: a
// network security perimeter association in Learning or Audit mode whose
// rules do not allow it ([simulate.Result.WouldBeDenied]). It is the
// audit-before-deny check: which flows break once the perimeter is
// enforced.
func WouldBeDenied(want bool) Want { return check.WouldBeDenied(want) }

// Expect traces f and checks every want. On failure it reports the flow,
// every unmet expectation and the whole trace. It returns the trace for
// further checks; a flow that cannot be traced (an unknown source,
// an unresolvable name) stops the test. f.From names a NIC, an AI services
// account or a web app ([simulate.Engine.Source]): flows from PaaS
// resources are checked like a NIC's.
func Expect(t testing.TB, e *simulate.Engine, f simulate.Flow, wants ...Want) *simulate.Result {
	t.Helper()
	src, err := e.Source(f.From)
	if err != nil {
		t.Fatalf("egresstest: %v: %v", f, err)
	}
	r, err := e.TraceFrom(src, f)
	if err != nil {
		t.Fatalf("egresstest: %v: %v", f, err)
	}
	var unmet []string
	for _, w := range wants {
		if msg := w(r); msg != "" {
			unmet = append(unmet, msg)
		}
	}
	if len(unmet) > 0 {
		t.Errorf("%v: want %s; got:\n%s", f, strings.Join(unmet, ", "), r)
	}
	return r
}

// NoDirectInternet fails t for each NIC of the subnet (named "vnet/subnet",
// or by resource ID) that reaches the internet without crossing an Azure
// Firewall or an NVA: each direct-internet finding of [simulate.Engine.Audit]
// about one of its NICs, proved on the NIC's egress map (any address,
// protocol and port), with the finding's message and evidence.
// It stops the test when no NIC is in that subnet: a typo must not pass.
func NoDirectInternet(t testing.TB, e *simulate.Engine, subnet string) {
	t.Helper()
	in := map[string]bool{}
	for _, h := range e.NICs() {
		s := h.Subnet()
		if strings.EqualFold(string(s.ID()), subnet) || strings.EqualFold(s.VNet().Name()+"/"+s.Name(), subnet) {
			in[strings.ToLower(h.ID())] = true
		}
	}
	if len(in) == 0 {
		t.Fatalf("egresstest: no NIC in subnet %q", subnet)
	}
	for _, f := range e.Audit().Findings {
		if f.Check != simulate.CheckDirectInternet {
			continue
		}
		for _, n := range f.NICs {
			if in[strings.ToLower(n.ID)] {
				t.Errorf("%s: %s (%s)", n.Name, f.Message, f.Evidence)
			}
		}
	}
}

// NoDirectInternetExact is [NoDirectInternet] decided on the NICs' egress
// maps ([simulate.Engine.ReachAll], which builds the maps of NICs alike
// once) rather than on probes: it fails t for each
// class of flows, to any address, protocol and port, that a NIC of the
// subnet sends to the internet without crossing an Azure Firewall or an NVA
// ([simulate.EgressMap.DirectInternet]), naming the class and a witness
// flow. Flows that name a server (firewall application rules) are not in
// the maps, and cannot leave directly anyway: those rules are on a
// firewall. It stops the test when no NIC is in that subnet.
func NoDirectInternetExact(t testing.TB, e *simulate.Engine, subnet string) {
	t.Helper()
	var nics []simulate.NIC
	for _, h := range e.NICs() {
		s := h.Subnet()
		if strings.EqualFold(string(s.ID()), subnet) || strings.EqualFold(s.VNet().Name()+"/"+s.Name(), subnet) {
			nics = append(nics, h)
		}
	}
	if len(nics) == 0 {
		t.Fatalf("egresstest: no NIC in subnet %q", subnet)
	}
	// The maps of NICs alike are built once (Engine.ReachAll).
	_ = e.ReachAll(context.Background(), simulate.ReachAllOptions{NICs: nics}, func(h simulate.NIC, m *simulate.EgressMap) error {
		for _, c := range m.DirectInternet() {
			w := c.Witness
			port := ""
			if w.Protocol.HasPorts() {
				port = fmt.Sprintf(":%d", w.Port)
			}
			t.Errorf("%s: reaches the internet without passing a firewall or appliance: %s %s to %s (%s), e.g. %v%s/%v",
				h.Name(), c.ProtocolString(), c.PortString(), c.PrefixString(3), m.Explain(c), w.To, port, w.Protocol)
		}
		return nil
	})
}

// NoReach fails t for each class of flows, of any protocol and port, that
// a NIC of the subnet (named "vnet/subnet", or by resource ID) sends to
// one of the destinations (prefixes, addresses or service tags) and that
// is Allowed or Unknown, decided exactly on the NICs' egress maps
// ([check.NoReach]); the first failure carries the witness flow's trace.
// It stops the test when no NIC is in that subnet or a destination is
// neither a prefix, an address nor a service tag: a typo must not pass.
func NoReach(t testing.TB, e *simulate.Engine, subnet string, destinations ...string) {
	t.Helper()
	noReach(t, e, subnet, 0, 0, destinations)
}

// NoReachPort is [NoReach] for one protocol and destination port (port 0:
// any; a port needs TCP or UDP).
func NoReachPort(t testing.TB, e *simulate.Engine, subnet string, p ipproto.Proto, port uint16, destinations ...string) {
	t.Helper()
	noReach(t, e, subnet, p, port, destinations)
}

func noReach(t testing.TB, e *simulate.Engine, subnet string, p ipproto.Proto, port uint16, destinations []string) {
	t.Helper()
	if len(destinations) == 0 {
		t.Fatalf("egresstest: NoReach %s: no destinations", subnet)
	}
	failures, trace, err := check.NoReach(e, subnet, destinations, p, port)
	if err != nil {
		t.Fatalf("egresstest: NoReach %s: %v", subnet, err)
	}
	for i, msg := range failures {
		if i == 0 && trace != nil {
			msg += "; trace:\n" + trace.String()
		}
		t.Errorf("%s", msg)
	}
}

// Unchanged fails t for each flow whose verdict, egress method, egress
// addresses or path differ between before and after (see [simulate.Diff]),
// naming the first hop where they part.
func Unchanged(t testing.TB, before, after *simulate.Engine, flows ...simulate.Flow) {
	t.Helper()
	for _, c := range simulate.Diff(before, after, flows) {
		t.Errorf("changed: %v", c)
	}
}

// UnchangedSubnet fails t for each set of flows of a NIC of subnet
// ("vnet/subnet" or an ID) whose outcome or egress IPs differ between
// before and after, over every destination, protocol and port (exact, on
// the NICs' egress maps: [check.Unchanged]), each with a witness and the
// route or rule that differs for it. A subnet with no NIC stops the test.
func UnchangedSubnet(t testing.TB, before, after *simulate.Engine, subnet string) {
	t.Helper()
	failures, err := check.Unchanged(before, after, subnet)
	if err != nil {
		t.Fatalf("egresstest: UnchangedSubnet %s: %v", subnet, err)
	}
	for _, msg := range failures {
		t.Errorf("%s", msg)
	}
}

// Headroom fails t for each SNAT pool that keeps less than min headroom
// (0.2: 20 %) at the peak demands ([simulate.Engine.Capacity]), naming
// the pool, its supply, the peak, the sources that exhaust it first and
// the fix ([check.HeadroomFailures]). A pool whose supply is not
// documented (default outbound access, App Service) fails too unless
// allowUnknown: a capacity check must not pass on a number nobody knows.
// Bad demands stop the test.
func Headroom(t testing.TB, e *simulate.Engine, min float64, allowUnknown bool, demands ...simulate.Demand) *simulate.CapacityReport {
	t.Helper()
	rep, err := e.Capacity(demands, min)
	if err != nil {
		t.Fatalf("egresstest: %v", err)
	}
	for _, msg := range check.HeadroomFailures(rep, min, allowUnknown) {
		t.Errorf("%s", msg)
	}
	return rep
}
