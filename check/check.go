// Package check runs a file of expectations about a network design — the
// vocabulary of package egresstest, written as YAML — for CI: `egress
// check FILE` exits 0 when all hold and 1 when any fails, each failure with
// its trace, and writes JUnit XML so that CI systems show each expectation
// as a test.
//
//	egress: check/v1
//	name: contoso egress policy
//	checks:
//	  - name: batch leaves through its NAT gateway
//	    flow: {from: vm-batch-01-nic, to: 52.1.2.3, port: 443}
//	    expect: {verdict: Allowed, method: NATGateway, egressIps: [20.81.20.1], notThrough: [fw-hub]}
//	  - name: the app subnet has no direct internet path
//	    noDirectInternet: vnet-spoke-app/snet-app
//	  - name: the data subnet reaches no storage account directly
//	    noReach: {subnet: vnet-spoke-app/snet-data, to: [Storage], protocol: tcp, port: 443}
//	  - name: the batch NAT gateway keeps 20 % SNAT headroom at peak
//	    capacity:
//	      minHeadroom: 20
//	      demand: [{from: vm-batch-01-nic, to: 52.1.2.3:443, concurrent: 30000}]
//	  - name: the change keeps the app's flows as they are
//	    unchangedBy:
//	      overlay: change.yaml
//	      flows: [{from: vm-app-01-nic, to: 52.1.2.3, port: 443}]
//	  - name: the change leaves every flow of the data subnet as it is (exact, on egress maps)
//	    unchangedBy: {overlay: change.yaml, subnet: vnet-spoke-app/snet-data}
//
// A flow's protocol is tcp unless it says udp, icmp or any other name
// ipproto parses; "to" is an address or a host name, which "resolve" maps
// to its address (the simulator does no DNS): the routes and rules see the
// address, the firewall's application rules and an AI account's
// allow-list the name. Parse reports every problem of a file
// with its line; Run evaluates the checks in order. [Schema] is the file's
// JSON Schema.
package check

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/problem"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"go.yaml.in/yaml/v3"
	"go4.org/netipx"
)

// Error is a problem of a check file.
type Error = problem.Error

// ErrInvalid is the category of a check file's problems.
var ErrInvalid = errors.New("invalid check file")

// File is a parsed check file.
type File struct {
	Path   string
	Name   string
	Checks []Check
}

// Kind is what a check asserts.
type Kind uint8

// Kinds of checks.
const (
	KindFlow             Kind = iota // a flow's trace meets expectations
	KindNoDirectInternet             // no NIC of a subnet reaches the internet without a firewall or appliance (on its egress map: any address, port, protocol)
	KindUnchangedBy                  // an overlay changes none of the flows
	KindNoReach                      // no NIC of a subnet reaches a destination set
	KindCapacity                     // every SNAT pool keeps a headroom at a peak demand
)

var kindNames = [...]string{"flow", "noDirectInternet", "unchangedBy", "noReach", "capacity"}

// String returns the kind's name, as the file spells its key.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Check is one expectation.
type Check struct {
	Name string
	Line int
	Kind Kind
	// Flow and Wants, for KindFlow; Flows for KindUnchangedBy.
	Flow  simulate.Flow
	Wants []Want
	Flows []simulate.Flow
	// Subnet, for KindNoDirectInternet and KindNoReach ("vnet/subnet" or
	// an ID); Overlay, for KindUnchangedBy (a path, relative to the check
	// file's directory).
	Subnet  string
	Overlay string
	// To, Protocol and Port, for KindNoReach: the destinations (prefixes,
	// addresses or service tags), and optionally one protocol and port.
	To       []string
	Protocol ipproto.Proto
	Port     uint16
	// Demand, MinHeadroom (0.2: 20 %) and AllowUnknown, for KindCapacity.
	Demand       []simulate.Demand
	MinHeadroom  float64
	AllowUnknown bool
}

// The YAML shapes.
type nFile struct {
	Egress string    `yaml:"egress"`
	Name   string    `yaml:"name"`
	Checks []*nCheck `yaml:"checks"`
}

type nCheck struct {
	Name             string      `yaml:"name"`
	Flow             *nFlow      `yaml:"flow"`
	Expect           *nExpect    `yaml:"expect"`
	NoDirectInternet string      `yaml:"noDirectInternet"`
	UnchangedBy      *nUnchanged `yaml:"unchangedBy"`
	NoReach          *nNoReach   `yaml:"noReach"`
	Capacity         *nCapacity  `yaml:"capacity"`
}

type nCapacity struct {
	MinHeadroom  *float64   `yaml:"minHeadroom"`
	AllowUnknown bool       `yaml:"allowUnknown"`
	Demand       []*nDemand `yaml:"demand"`
}

type nDemand struct {
	From       string `yaml:"from"`
	To         string `yaml:"to"`
	Protocol   string `yaml:"protocol"`
	Concurrent *int   `yaml:"concurrent"`
}

type nNoReach struct {
	Subnet   string   `yaml:"subnet"`
	To       []string `yaml:"to"`
	Protocol string   `yaml:"protocol"`
	Port     uint16   `yaml:"port"`
}

type nFlow struct {
	From     string            `yaml:"from"`
	To       string            `yaml:"to"`
	Port     uint16            `yaml:"port"`
	Protocol string            `yaml:"protocol"`
	Traffic  string            `yaml:"traffic"`
	Resolve  map[string]string `yaml:"resolve"`
}

type nExpect struct {
	Verdict       string   `yaml:"verdict"`
	Reason        string   `yaml:"reason"`
	Method        string   `yaml:"method"`
	EgressIPs     []string `yaml:"egressIps"`
	Through       []string `yaml:"through"`
	NotThrough    []string `yaml:"notThrough"`
	DecidedBy     string   `yaml:"decidedBy"`
	Assumes       []string `yaml:"assumes"`
	WouldBeDenied *bool    `yaml:"wouldBeDenied"`
}

type nUnchanged struct {
	Overlay string   `yaml:"overlay"`
	Flows   []*nFlow `yaml:"flows"`
	Subnet  string   `yaml:"subnet"`
}

// Parse reads a check file; every problem is reported, with its line.
func Parse(path string, data []byte) (*File, error) {
	var p problem.List
	bad := func(line int, field, value, format string, args ...any) {
		p.Add(&Error{Pos: problem.Pos{File: path, Line: line, Col: 1}, Field: field, Value: value, Kind: ErrInvalid, Detail: fmt.Sprintf(format, args...)})
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		bad(1, "", "", "%v", err)
		return nil, p.Err()
	}
	var nf nFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&nf); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			for _, m := range te.Errors {
				bad(lineOf(m), "", "", "%s", m)
			}
		} else {
			bad(1, "", "", "%v", err)
		}
		return nil, p.Err()
	}
	if nf.Egress != "check/v1" {
		bad(1, "egress", nf.Egress, `a check file starts with "egress: check/v1"`)
		return nil, p.Err()
	}
	lines := checkLines(&root)
	f := &File{Path: path, Name: nf.Name}
	for i, nc := range nf.Checks {
		line := 1
		if i < len(lines) {
			line = lines[i]
		}
		if nc == nil {
			bad(line, fmt.Sprintf("checks[%d]", i), "", "an empty check")
			continue
		}
		c := Check{Name: nc.Name, Line: line}
		if c.Name == "" {
			bad(line, fmt.Sprintf("checks[%d].name", i), "", "every check has a name (the test's name in JUnit)")
		}
		n := 0
		for _, set := range []bool{nc.Flow != nil, nc.NoDirectInternet != "", nc.UnchangedBy != nil, nc.NoReach != nil, nc.Capacity != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			bad(line, fmt.Sprintf("checks[%d]", i), nc.Name, "a check has exactly one of flow (with expect), noDirectInternet, noReach, unchangedBy, capacity")
			continue
		}
		switch {
		case nc.Flow != nil:
			c.Kind = KindFlow
			fl, err := flowOf(nc.Flow)
			if err != nil {
				bad(line, fmt.Sprintf("checks[%d].flow", i), nc.Name, "%v", err)
			}
			c.Flow = fl
			if nc.Expect == nil {
				bad(line, fmt.Sprintf("checks[%d].expect", i), nc.Name, "a flow check says what it expects")
				continue
			}
			ws, errs := wantsOf(nc.Expect)
			for _, err := range errs {
				bad(line, fmt.Sprintf("checks[%d].expect", i), nc.Name, "%v", err)
			}
			c.Wants = ws
		case nc.NoDirectInternet != "":
			c.Kind, c.Subnet = KindNoDirectInternet, nc.NoDirectInternet
		case nc.NoReach != nil:
			c.Kind, c.Subnet, c.To, c.Port = KindNoReach, nc.NoReach.Subnet, nc.NoReach.To, nc.NoReach.Port
			field := fmt.Sprintf("checks[%d].noReach", i)
			if c.Subnet == "" {
				bad(line, field+".subnet", nc.Name, "the subnet whose NICs must not reach the destinations")
			}
			if len(c.To) == 0 {
				bad(line, field+".to", nc.Name, "the destinations: prefixes, addresses or service tags")
			}
			if nc.NoReach.Protocol != "" {
				p, err := ipproto.Parse(nc.NoReach.Protocol)
				if err != nil {
					bad(line, field+".protocol", nc.NoReach.Protocol, "%v", err)
				}
				c.Protocol = p
			}
			if c.Port != 0 && !c.Protocol.HasPorts() {
				bad(line, field+".port", strconv.Itoa(int(c.Port)), "%s", portWithout(nc.NoReach.Protocol, c.Protocol))
			}
		case nc.Capacity != nil:
			c.Kind, c.AllowUnknown, c.MinHeadroom = KindCapacity, nc.Capacity.AllowUnknown, 0.2
			field := fmt.Sprintf("checks[%d].capacity", i)
			if m := nc.Capacity.MinHeadroom; m != nil {
				if *m < 0 || *m >= 100 {
					bad(line, field+".minHeadroom", fmt.Sprint(*m), "a percentage in [0, 100)")
				}
				c.MinHeadroom = *m / 100
			}
			if len(nc.Capacity.Demand) == 0 {
				bad(line, field+".demand", nc.Name, "the peak demand: from, to (address:port), protocol, concurrent")
			}
			for j, d := range nc.Capacity.Demand {
				if d == nil {
					continue
				}
				df := fmt.Sprintf("%s.demand[%d]", field, j)
				sd := simulate.Demand{From: d.From, Protocol: ipproto.TCP}
				if d.From == "" {
					bad(line, df+".from", "", "the source")
				}
				to, err := netip.ParseAddrPort(d.To)
				if err != nil || to.Port() == 0 {
					bad(line, df+".to", d.To, "an address and port (52.1.2.3:443)")
				}
				sd.To = to
				switch strings.ToLower(d.Protocol) {
				case "", "tcp":
				case "udp":
					sd.Protocol = ipproto.UDP
				default:
					bad(line, df+".protocol", d.Protocol, "Tcp or Udp")
				}
				if d.Concurrent == nil || *d.Concurrent < 0 {
					bad(line, df+".concurrent", "", "the peak number of connections open at once (0 or more)")
				} else {
					sd.Concurrent = *d.Concurrent
				}
				c.Demand = append(c.Demand, sd)
			}
		default:
			c.Kind, c.Overlay, c.Subnet = KindUnchangedBy, nc.UnchangedBy.Overlay, nc.UnchangedBy.Subnet
			if c.Overlay == "" {
				bad(line, fmt.Sprintf("checks[%d].unchangedBy.overlay", i), nc.Name, "the overlay to apply")
			}
			for j, nfl := range nc.UnchangedBy.Flows {
				if nfl == nil {
					continue
				}
				fl, err := flowOf(nfl)
				if err != nil {
					bad(line, fmt.Sprintf("checks[%d].unchangedBy.flows[%d]", i, j), nc.Name, "%v", err)
				}
				c.Flows = append(c.Flows, fl)
			}
			if len(c.Flows) == 0 && c.Subnet == "" {
				bad(line, fmt.Sprintf("checks[%d].unchangedBy", i), nc.Name, "the flows that must not change, or the subnet none of whose flows may change (or both)")
			}
		}
		f.Checks = append(f.Checks, c)
	}
	if len(nf.Checks) == 0 {
		bad(1, "checks", "", "no checks")
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// portWithout says why a port given with protocol p (spelled given, ""
// when absent) is rejected: only TCP and UDP have ports, and a port
// silently dropped would make a check pass that tests nothing.
func portWithout(given string, p ipproto.Proto) string {
	if given == "" {
		return "a port needs a protocol with ports (protocol: tcp or udp); without one the check covers every protocol"
	}
	return "a port needs a protocol with ports (tcp or udp), not " + p.String()
}

// lineOf reads the "line N:" of a yaml.v3 message.
func lineOf(msg string) int {
	var n int
	if _, err := fmt.Sscanf(msg, "line %d:", &n); err == nil {
		return n
	}
	return 1
}

// checkLines returns the line of each element of the checks list.
func checkLines(root *yaml.Node) []int {
	if len(root.Content) == 0 {
		return nil
	}
	doc := root.Content[0]
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i].Value == "checks" {
			var out []int
			for _, c := range doc.Content[i+1].Content {
				out = append(out, c.Line)
			}
			return out
		}
	}
	return nil
}

func flowOf(n *nFlow) (simulate.Flow, error) {
	f := simulate.Flow{From: n.From, Port: n.Port, Protocol: ipproto.TCP}
	var errs []string
	if n.From == "" {
		errs = append(errs, "from: the flow's source (a NIC, an AI services account, a web app)")
	}
	if n.Protocol != "" {
		p, err := ipproto.Parse(n.Protocol)
		if err != nil {
			errs = append(errs, "protocol: "+err.Error())
		}
		f.Protocol = p
	}
	switch a, err := netip.ParseAddr(n.To); {
	case n.To == "":
		errs = append(errs, "to: the destination (an address or a host name)")
	case err == nil:
		f.To = a
	default:
		f.ToFQDN = n.To
	}
	if len(n.Resolve) > 0 {
		ip, ok := n.Resolve[n.To]
		if !ok || f.ToFQDN == "" {
			errs = append(errs, "resolve: it maps the destination name \""+n.To+"\" to an address")
		} else if a, err := netip.ParseAddr(ip); err != nil {
			errs = append(errs, "resolve: "+n.To+": \""+ip+"\" is not an address")
		} else {
			// The address for the routes and rules; the name for the
			// firewall's application rules and an AI account's allow-list.
			f.To, f.Host = a, n.To
		}
	}
	if f.Protocol.HasPorts() && f.Port == 0 {
		errs = append(errs, "port: "+f.Protocol.String()+" needs a destination port")
	}
	if !f.Protocol.HasPorts() && f.Port != 0 {
		errs = append(errs, "port: "+portWithout(n.Protocol, f.Protocol))
	}
	if n.Traffic != "" {
		c, err := topology.ParseWebAppTraffic(n.Traffic)
		if err != nil {
			errs = append(errs, "traffic: "+err.Error())
		}
		f.Traffic = c
	}
	if len(errs) > 0 {
		return f, errors.New(strings.Join(errs, "; "))
	}
	return f, nil
}

func wantsOf(x *nExpect) ([]Want, []error) {
	var ws []Want
	var errs []error
	if x.Verdict != "" {
		var v simulate.Verdict
		if err := v.UnmarshalText([]byte(x.Verdict)); err != nil {
			errs = append(errs, fmt.Errorf("verdict: %w", err))
		}
		ws = append(ws, Verdict(v))
	}
	if x.Reason != "" {
		var r simulate.Reason
		if err := r.UnmarshalText([]byte(x.Reason)); err != nil {
			errs = append(errs, fmt.Errorf("reason: %w", err))
		}
		ws = append(ws, Reason(r))
	}
	if x.Method != "" {
		var m simulate.Method
		if err := m.UnmarshalText([]byte(x.Method)); err != nil {
			errs = append(errs, fmt.Errorf("method: %w", err))
		}
		ws = append(ws, Method(m))
	}
	if x.EgressIPs != nil {
		for _, s := range x.EgressIPs {
			if _, err := netip.ParseAddr(s); err != nil {
				errs = append(errs, fmt.Errorf("egressIps: %q is not an address", s))
			}
		}
		ws = append(ws, EgressIPs(x.EgressIPs...))
	}
	for _, h := range x.Through {
		ws = append(ws, Through(h))
	}
	for _, h := range x.NotThrough {
		ws = append(ws, NotThrough(h))
	}
	if x.DecidedBy != "" {
		ws = append(ws, DecidedBy(x.DecidedBy))
	}
	for _, a := range x.Assumes {
		ws = append(ws, Assumes(a))
	}
	if x.WouldBeDenied != nil {
		ws = append(ws, WouldBeDenied(*x.WouldBeDenied))
	}
	if len(ws) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("expects nothing: give a verdict, a method, egress IPs or another expectation"))
	}
	return ws, errs
}

// Result is one check's outcome.
type Result struct {
	Name     string   `json:"name"`
	Line     int      `json:"line"`
	Kind     string   `json:"kind"`
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures"`
	// Trace is the flow's trace (a flow check), or a witness's (a failed
	// noDirectInternet check).
	Trace *simulate.Result `json:"trace,omitempty"`
}

// Report is the outcome of a file's checks.
type Report struct {
	SchemaVersion int      `json:"schemaVersion"`
	File          string   `json:"file"`
	Name          string   `json:"name"`
	Passed        int      `json:"passed"`
	Failed        int      `json:"failed"`
	Results       []Result `json:"results"`
}

// SchemaVersion is the version of the report's JSON form.
const SchemaVersion = 1

// Env is what Run needs besides the engine: how to build the engine of
// the design with an overlay applied (a path relative to the check file is
// already joined).
type Env struct {
	WithOverlay func(path string) (*simulate.Engine, error)
}

// Run evaluates the file's checks in order against e. An error is a check
// that cannot be evaluated (an unknown source, an overlay that does not
// load); the failures of checks that can are in the report.
func Run(e *simulate.Engine, f *File, env Env) (*Report, error) {
	rep := &Report{SchemaVersion: SchemaVersion, File: f.Path, Name: f.Name, Results: []Result{}}
	for _, c := range f.Checks {
		res := Result{Name: c.Name, Line: c.Line, Kind: c.Kind.String(), Failures: []string{}}
		where := fmt.Sprintf("%s:%d: check %q", f.Path, c.Line, c.Name)
		switch c.Kind {
		case KindFlow:
			r, err := trace(e, c.Flow)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			res.Trace = r
			for _, w := range c.Wants {
				if msg := w(r); msg != "" {
					res.Failures = append(res.Failures, "want "+msg)
				}
			}
		case KindNoDirectInternet, KindNoReach:
			var err error
			if c.Kind == KindNoReach {
				res.Failures, res.Trace, err = NoReach(e, c.Subnet, c.To, c.Protocol, c.Port)
			} else {
				res.Failures, res.Trace, err = subnetLeaks(e, c.Subnet, nil, 0, 0)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			if res.Failures == nil {
				res.Failures = []string{}
			}
		case KindCapacity:
			cr, err := e.Capacity(c.Demand, c.MinHeadroom)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			res.Failures = append(res.Failures, HeadroomFailures(cr, c.MinHeadroom, c.AllowUnknown)...)
		case KindUnchangedBy:
			if env.WithOverlay == nil {
				return nil, fmt.Errorf("%s: no way to load the overlay %s", where, c.Overlay)
			}
			after, err := env.WithOverlay(c.Overlay)
			if err != nil {
				return nil, fmt.Errorf("%s: overlay %s: %w", where, c.Overlay, err)
			}
			for _, ch := range simulate.Diff(e, after, c.Flows) {
				res.Failures = append(res.Failures, "changed: "+ch.String())
			}
			if c.Subnet != "" {
				failures, err := Unchanged(e, after, c.Subnet)
				if err != nil {
					return nil, fmt.Errorf("%s: unchangedBy.subnet: %w", where, err)
				}
				res.Failures = append(res.Failures, failures...)
			}
		}
		res.Passed = len(res.Failures) == 0
		if res.Passed {
			rep.Passed++
		} else {
			rep.Failed++
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

// Unchanged decides an unchangedBy expectation with a subnet exactly, on
// the egress maps of the NICs of subnet ("vnet/subnet" or an ID) on both
// networks ([simulate.DiffMaps]): it returns one failure per set of flows
// of a NIC whose outcome or egress IPs differ on after, naming the NIC,
// the set, both outcomes, a witness flow and the route or rule that
// differs for it. A NIC of the subnet that after does not hold fails too.
// A subnet with no NIC is an error: a typo must not pass.
func Unchanged(before, after *simulate.Engine, subnet string) ([]string, error) {
	nics, err := subnetNICs(before, subnet)
	if err != nil {
		return nil, err
	}
	var failures []string
	missing, err := simulate.DiffReach(context.Background(), before, after, nics, nil, func(h simulate.NIC, cs []simulate.MapChange) error {
		for _, c := range cs {
			cl := simulate.ReachClass{Prefixes: c.Prefixes, Protocols: c.Protocols, OtherProtocols: c.OtherProtocols, Ports: c.Ports}
			msg := fmt.Sprintf("changed: %s: %s %s to %s: %s -> %s", h.Name(), cl.ProtocolString(), cl.PortString(), cl.PrefixString(3),
				outcomeString(c.Before, c.BeforeIPs), outcomeString(c.After, c.AfterIPs))
			if d := simulate.Diff(before, after, []simulate.Flow{c.Witness}); len(d) > 0 {
				msg += "; e.g. " + d[0].String()
			}
			failures = append(failures, msg)
		}
		return nil
	})
	for _, h := range missing {
		failures = append(failures, fmt.Sprintf("changed: %s is not in the network after the overlay", h.Name()))
	}
	return failures, err
}

func outcomeString(o simulate.Outcome, ips []netip.Addr) string {
	s := o.Verdict.String() + " via " + o.Method.String()
	for _, a := range ips {
		s += " " + a.String()
	}
	return s
}

// NoReach decides a noReach expectation exactly, on the egress maps
// ([simulate.Engine.Reach]) of the NICs of subnet ("vnet/subnet" or an
// ID): it returns one failure per class of flows that a NIC sends to a
// destination of to (prefixes, addresses or service tags, expanded
// through the network's service-tag data) and that is Allowed or Unknown,
// naming the NIC, the class, why and a witness flow, with the trace of the
// first witness. Protocol p 0 means every protocol; port 0, every port
// (a port needs a protocol with ports). A subnet with no NIC, or an
// unknown destination, is an error: a typo must not pass.
func NoReach(e *simulate.Engine, subnet string, to []string, p ipproto.Proto, port uint16) ([]string, *simulate.Result, error) {
	if port != 0 && !p.HasPorts() {
		return nil, nil, errors.New("port: " + portWithout(p.String(), p))
	}
	set, err := destinationSet(e, to)
	if err != nil {
		return nil, nil, err
	}
	return subnetLeaks(e, subnet, set, p, port)
}

// subnetLeaks returns the failures of the NICs of subnet on their egress
// maps: the classes to set (restricted to p and port) that are Allowed or
// Unknown, or with a nil set the classes that leave for the internet
// directly.
func subnetLeaks(e *simulate.Engine, subnet string, set *netipx.IPSet, p ipproto.Proto, port uint16) ([]string, *simulate.Result, error) {
	nics, err := subnetNICs(e, subnet)
	if err != nil {
		return nil, nil, err
	}
	var failures []string
	var first *simulate.Result
	// The maps of NICs alike are built once (Engine.ReachAll).
	_ = e.ReachAll(context.Background(), simulate.ReachAllOptions{NICs: nics}, func(h simulate.NIC, m *simulate.EgressMap) error {
		var leaks []simulate.ReachClass
		if set == nil {
			for _, cl := range m.DirectInternet() {
				leaks = append(leaks, *cl)
			}
		} else {
			for _, cl := range m.Restrict(set, p, port) {
				if v := cl.Decision.Verdict; v == simulate.Allowed || v == simulate.Unknown {
					leaks = append(leaks, cl)
				}
			}
		}
		for _, cl := range leaks {
			w := cl.Witness
			msg := fmt.Sprintf("%s: %v %s %s to %s (%s), e.g. %v", h.Name(), cl.Decision.Verdict, cl.ProtocolString(), cl.PortString(), cl.PrefixString(3), m.Explain(&cl), w.To)
			if w.Protocol.HasPorts() {
				msg += fmt.Sprintf(":%d", w.Port)
			}
			failures = append(failures, msg+"/"+w.Protocol.String())
			if first == nil {
				if r, err := e.Trace(w); err == nil {
					first = r
				}
			}
		}
		return nil
	})
	return failures, first, nil
}

// trace traces a flow from any source.
func trace(e *simulate.Engine, f simulate.Flow) (*simulate.Result, error) {
	s, err := e.Source(f.From)
	if err != nil {
		return nil, err
	}
	return e.TraceFrom(s, f)
}

// subnetNICs returns the NICs of a subnet, named "vnet/subnet" or by ID;
// no NIC is an error: a typo must not pass.
func subnetNICs(e *simulate.Engine, subnet string) ([]simulate.NIC, error) {
	var in []simulate.NIC
	for _, h := range e.NICs() {
		s := h.Subnet()
		if strings.EqualFold(string(s.ID()), subnet) || strings.EqualFold(s.VNet().Name()+"/"+s.Name(), subnet) {
			in = append(in, h)
		}
	}
	if len(in) == 0 {
		return nil, fmt.Errorf("no NIC in subnet %q", subnet)
	}
	return in, nil
}

// destinationSet builds the set of prefixes, addresses and service tags
// (through the network's service-tag data).
func destinationSet(e *simulate.Engine, to []string) (*netipx.IPSet, error) {
	var b netipx.IPSetBuilder
	for _, s := range to {
		if p, err := netip.ParsePrefix(s); err == nil {
			b.AddPrefix(p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(s); err == nil {
			b.Add(a)
			continue
		}
		tags := e.Network().Tags()
		if tags == nil {
			return nil, fmt.Errorf("to: %q is not a prefix or an address, and there is no service-tag data", s)
		}
		ps, _, ok := tags.ServiceTag(s)
		if !ok {
			return nil, fmt.Errorf("to: %q is not a prefix, an address or a service tag", s)
		}
		for _, p := range ps {
			b.AddPrefix(p)
		}
	}
	return b.IPSet()
}

// String renders the report as `egress check` prints it: one line per
// check, failures indented with their trace.
func (r *Report) String() string {
	var b strings.Builder
	for _, res := range r.Results {
		mark := "PASS"
		if !res.Passed {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "%s  %s (%s:%d)\n", mark, res.Name, r.File, res.Line)
		for _, f := range res.Failures {
			fmt.Fprintf(&b, "      %s\n", f)
		}
		if !res.Passed && res.Trace != nil {
			for _, l := range strings.Split(strings.TrimRight(res.Trace.String(), "\n"), "\n") {
				fmt.Fprintf(&b, "      | %s\n", l)
			}
		}
	}
	fmt.Fprintf(&b, "%d checks: %d passed, %d failed\n", r.Passed+r.Failed, r.Passed, r.Failed)
	return b.String()
}

//go:embed check.schema.json
var schema []byte

// Schema returns the JSON Schema (draft 2020-12) of check files.
func Schema() []byte { return bytes.Clone(schema) }

// HeadroomFailures lists the SNAT pools of rep that keep less than min
// headroom, and, unless allowUnknown, those whose supply is not documented
// (a capacity check must not pass on a number nobody knows): each names
// the pool, its supply, the peak, the sources that exhaust it first and
// the fix.
func HeadroomFailures(rep *simulate.CapacityReport, min float64, allowUnknown bool) []string {
	var out []string
	for _, p := range rep.Pools {
		switch {
		case p.Supply.Unlimited:
		case !p.HeadroomKnown && !allowUnknown:
			out = append(out, fmt.Sprintf("%s %s (%s): supply unknown: %s; fix: %s", p.Kind, p.Name, p.Proto, p.Supply.Why, p.Fix))
		case p.HeadroomKnown && p.Headroom < min:
			at := p.PeakKey
			if p.PeakInstance != "" {
				at += " from " + p.PeakInstance
			}
			out = append(out, fmt.Sprintf("%s %s (%s): %.1f%% headroom, want %.1f%%: peak %d of %d to %s (%s); exhausting: %v; fix: %s",
				p.Kind, p.Name, p.Proto, 100*p.Headroom, 100*min, p.Peak, p.Supply.PerKey, at, p.Supply.Why, p.Exhausting, p.Fix))
		}
	}
	return out
}
