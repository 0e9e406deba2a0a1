package main

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/spf13/cobra"
)

// cmdWhatIf compares the topology before and after overlays: which flows
// change verdict, path or egress IP, and which route or rule causes it.
func cmdWhatIf(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "whatif --overlay FILE [--from NIC] [--to IP[:PORT]]",
		Short: "What an overlay changes: flows whose verdict, path or egress IP change, and why",
		Long: `Compare the network before and after one or more overlays (egress: overlay/v1): the flows
whose verdict, path or egress IP change, and the route or rule that causes it.

By default the comparison is exact: every NIC's egress maps on the two networks, every
destination, protocol and port, each changed set of flows with a witness traced on both
(--from narrows it to one NIC). --sample compares probe flows instead: from every NIC to an
internet address on TCP 443 and UDP 53, and to every other NIC on TCP 443 (up to 200 NICs);
--to IP[:PORT] probes that destination alone. --flows compares the flows of VNet, NSG or NAT
gateway flow logs (files or directories), each distinct outbound flow once.`,
		Example: `  egress whatif --overlay examples/overlays/batch-behind-firewall.yaml
  egress whatif --overlay change.yaml --from vm-batch-01-nic --to 52.1.2.3:443 -o json
  egress whatif --overlay change.yaml --flows logs/   # the flows the logs saw`,
		Args: cobra.NoArgs,
	}
	var from, to string
	e.nicFlag(cmd, &from, "from", "only flows from this `NIC` (default: every NIC)")
	cmd.Flags().StringVar(&to, "to", "", "probe only this destination `IP[:PORT]` (implies --sample)")
	e.diffFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("to", cobra.NoFileCompletions)
	e.simFlags(cmd)
	e.inputFlags(cmd)
	e.outputFlags(cmd, "table", "json", "yaml", "tsv", "markdown")
	cmd.RunE = e.runE(func() error { return e.whatIf(from, to) })
	return cmd
}

func (e *env) whatIf(from, to string) error {
	if len(e.overlays) == 0 {
		return usageErr("--overlay is required: the change to evaluate")
	}
	overlays := e.overlays
	e.overlays = nil
	if err := e.compile(); err != nil { // before
		return err
	}
	before := e.engine
	after, err := e.loadNetwork(overlays)
	if err != nil {
		return err
	}
	return e.compare(before, simulate.Compile(after, e.opts), from, to, overlays)
}

// diffFlags are whatif's and diff's choice of flows: exact by default,
// --sample for the probes, --flows for the flows of flow logs.
func (e *env) diffFlags(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&e.exact, "exact", false, "compare the NICs' egress maps: every destination, protocol and port (the default; refuses --sample, --to, --flows)")
	cmd.Flags().BoolVar(&e.exact, "exhaustive", false, "the same as --exact")
	cmd.Flags().BoolVar(&e.sample, "sample", false, "compare probe flows, not every flow: to an internet address on tcp/443 and udp/53, and to every other NIC on tcp/443")
	cmd.Flags().Var(&listFlag{&e.flowLogs, "path"}, "flows", "compare the outbound flows of these flow logs (VNet, NSG or NAT gateway flow logs: files or directories; repeatable)")
}

// compare prints the flows whose verdict, path or egress IP differ between
// two engines, and why; label names the change (overlays, or files): by
// default exactly (compareExact), else over the probe flows or the flows
// of flow logs.
func (e *env) compare(before, afterEngine *simulate.Engine, from, to string, label []string) error {
	exact := !e.sample && to == "" && len(e.flowLogs) == 0
	switch {
	case e.exact && !exact:
		return usageErr("--exact compares every flow: it takes no --sample, --to or --flows")
	case e.sample && len(e.flowLogs) > 0:
		return usageErr("--sample and --flows are two sets of flows: give one")
	case to != "" && len(e.flowLogs) > 0:
		return usageErr("--to probes one destination, --flows the logs' flows: give one")
	case exact:
		return e.compareExact(before, afterEngine, from, label)
	}
	var flows []simulate.Flow
	if len(e.flowLogs) > 0 {
		var err error
		if flows, err = e.loggedFlows(before, from); err != nil {
			return err
		}
	} else {
		var probe simulate.WhatIf
		if to != "" {
			f, err := parseDest(to)
			if err != nil || !f.To.IsValid() {
				return usageErr("--to %q: want IP or IP:PORT", to)
			}
			probe.To = f
		}
		if from != "" {
			n, err := e.nic(from)
			if err != nil {
				return err
			}
			probe.From = n
		}
		flows = probe.Flows(before)
	}
	changes := simulate.Diff(before, afterEngine, flows)
	out := []whatifChange{}
	for _, c := range changes {
		out = append(out, whatifChange{SchemaVersion: schemaVersion, From: c.Flow.From, Destination: c.Flow.To.String(), What: c.What, Cause: c.Cause, Before: c.Before, After: c.After})
	}
	name := func(c simulate.Change) string {
		if c.Before != nil {
			return c.Before.Flow.From
		}
		return c.Flow.From
	}
	rows := func() *table {
		t := &table{header: []string{"From", "Destination", "Protocol", "Port", "What", "Before", "After", "Cause"}}
		for _, c := range changes {
			t.add(name(c), c.Flow.To.String(), protoName(c.Flow.Protocol), strconv.Itoa(int(c.Flow.Port)), strings.Join(c.What, ","), summary(c.Before), summary(c.After), c.Cause)
		}
		return t
	}
	if e.output == "markdown" {
		return whatIfMarkdown(e.stdout, changes, len(flows), label)
	}
	return e.print(out, rows, func(w io.Writer) error {
		for _, c := range changes {
			fmt.Fprintf(w, "%s -> %v/%d %v\n  before: %s\n  after:  %s\n  cause:  %s\n", name(c), c.Flow.To, c.Flow.Port, protoName(c.Flow.Protocol),
				summary(c.Before), summary(c.After), c.Cause)
		}
		_, err := fmt.Fprintf(w, "%d of %d flows change\n", len(changes), len(flows))
		return err
	})
}

func protoName(p ipproto.Proto) string {
	if p == ipproto.Unknown {
		return ipproto.TCP.String()
	}
	return p.String()
}

func summary(r *simulate.Result) string {
	if r == nil {
		return "(cannot trace)"
	}
	s := fmt.Sprintf("%s via %s", r.Verdict, r.EgressMethod)
	for _, a := range r.EgressIPs {
		s += " " + a.String()
	}
	return s
}

// whatIfMarkdown writes the changes as a pull-request comment: a summary
// line and a table, with cells escaped for GitHub-flavoured Markdown.
func whatIfMarkdown(w io.Writer, changes []simulate.Change, flows int, overlays []string) error {
	cell := func(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }
	fmt.Fprintf(w, "### egress what-if: %s\n\n", cell(strings.Join(overlays, ", ")))
	if len(changes) == 0 {
		_, err := fmt.Fprintf(w, "No change: none of the %d flows probed changes verdict, path or egress IP.\n", flows)
		return err
	}
	fmt.Fprintf(w, "**%d of %d flows change.**\n\n", len(changes), flows)
	fmt.Fprintln(w, "| From | To | What | Before | After | Cause |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, c := range changes {
		from := c.Flow.From
		if c.Before != nil {
			from = c.Before.Flow.From
		}
		fmt.Fprintf(w, "| %s | %s %s/%d | %s | %s | %s | %s |\n", cell(from), c.Flow.To, protoName(c.Flow.Protocol), c.Flow.Port,
			cell(strings.Join(c.What, ", ")), cell(summary(c.Before)), cell(summary(c.After)), cell(c.Cause))
	}
	return nil
}

// cmdDiff compares the design with another design or export, flow by flow.
func cmdDiff(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff [--base FILE...] --with FILE... [--from NIC] [--to IP[:PORT]]",
		Short: "What another design or export changes: flows whose verdict, path or egress IP change, and why",
		Long: `Compare the topology (--base or --topology) with another (--with: designs, exports,
Terraform plans or states, a directory of them, as --topology takes): the flows whose
verdict, path or egress IP change, and the route or rule that causes it.

By default the comparison is exact: every NIC's egress maps on the two networks, every
destination, protocol and port, each changed set of flows with a witness traced on both
(--from narrows it to one NIC). --sample compares whatif's probe flows instead: from every
NIC of the base to an internet address on TCP 443 and UDP 53, and to every other NIC on TCP
443 (up to 200 NICs); --to IP[:PORT] probes that destination alone. --flows compares the
flows of VNet, NSG or NAT gateway flow logs (files or directories), each distinct outbound
flow once. -o markdown writes a pull-request comment.`,
		Example: `  egress diff --base before.json --with after.json
  egress diff --base state.json --with plan.json -o markdown   # what a Terraform plan changes
  egress diff --topology network/ --with proposed/ --flows flowlogs/
  egress diff --base before.json --with after.json --sample --from vm-app-01-nic`,
		Args: cobra.NoArgs,
	}
	var from, to string
	var with []string
	cmd.Flags().Var(&listFlag{&e.topologies, "file"}, "base", "the base design or export (as --topology; repeatable)")
	cmd.Flags().Var(&listFlag{&with, "file"}, "with", "the design or export to compare with (repeatable; a directory: its .json, .yaml and .yml files)")
	e.nicFlag(cmd, &from, "from", "only flows from this `NIC` (default: every NIC)")
	cmd.Flags().StringVar(&to, "to", "", "probe only this destination `IP[:PORT]` (implies --sample)")
	e.diffFlags(cmd)
	_ = cmd.RegisterFlagCompletionFunc("to", cobra.NoFileCompletions)
	e.simFlags(cmd)
	e.inputFlags(cmd)
	e.outputFlags(cmd, "table", "json", "yaml", "tsv", "markdown")
	cmd.RunE = e.runE(func() error { return e.diff(with, from, to) })
	return cmd
}

func (e *env) diff(with []string, from, to string) error {
	if len(with) == 0 {
		return usageErr("--with is required: the design or export to compare with")
	}
	if err := e.compile(); err != nil {
		return err
	}
	other := *e // the same options, other inputs
	other.topologies, other.resolved, other.files, other.stdinInputs = with, false, nil, nil
	n, err := other.loadNetwork(e.overlays)
	if err != nil {
		return err
	}
	return e.compare(e.engine, simulate.Compile(n, e.opts), from, to, with)
}

// exactChange is one element of whatif/diff --exact -o json: a set of flows
// of one NIC whose outcome differs, with a witness traced on both networks.
type exactChange struct {
	SchemaVersion int                `json:"schemaVersion"`
	From          string             `json:"from"`
	Change        simulate.MapChange `json:"change"`
	Cause         string             `json:"cause"`
	Before        *simulate.Result   `json:"before"`
	After         *simulate.Result   `json:"after"`
}

// compareExact compares the NICs' egress maps on the two networks
// (simulate.DiffMaps): every flow whose outcome changes, as sets with a
// witness each.
func (e *env) compareExact(before, after *simulate.Engine, from string, label []string) error {
	var nics []simulate.NIC
	if from != "" {
		h, err := e.nic(from)
		if err != nil {
			return err
		}
		nics = []simulate.NIC{h}
	} else {
		nics = before.NICs()
	}
	out := []exactChange{}
	missingNICs, err := simulate.DiffReach(context.Background(), before, after, nics, e.progress("mapping NICs"), func(h simulate.NIC, cs []simulate.MapChange) error {
		for _, c := range cs {
			x := exactChange{SchemaVersion: schemaVersion, From: h.Name(), Change: c}
			if d := simulate.Diff(before, after, []simulate.Flow{c.Witness}); len(d) > 0 {
				x.Cause, x.Before, x.After = d[0].Cause, d[0].Before, d[0].After
			} else {
				x.Cause = "the egress IPs differ"
			}
			out = append(out, x)
		}
		return nil
	})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	missing := len(missingNICs)
	if missing > 0 {
		fmt.Fprintf(e.stderr, "egress: %d NICs of the base are not in the other network: not compared\n", missing)
	}
	line := func(x exactChange) (string, string, string, string) {
		c := x.Change
		cl := simulate.ReachClass{Prefixes: c.Prefixes, Protocols: c.Protocols, OtherProtocols: c.OtherProtocols, Ports: c.Ports}
		what := fmt.Sprintf("%s %s to %s", cl.ProtocolString(), cl.PortString(), cl.PrefixString(3))
		w := c.Witness
		wit := fmt.Sprintf("%v %v", w.To, protoName(w.Protocol))
		if w.Protocol.HasPorts() {
			wit += "/" + strconv.Itoa(int(w.Port))
		}
		side := func(o simulate.Outcome, ips []netip.Addr) string {
			s := fmt.Sprintf("%v via %v", o.Verdict, o.Method)
			for _, a := range ips {
				s += " " + a.String()
			}
			return s
		}
		return what, side(c.Before, c.BeforeIPs), side(c.After, c.AfterIPs), wit
	}
	if e.output == "markdown" {
		cell := func(s string) string { return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s) }
		fmt.Fprintf(e.stdout, "### egress what-if (exact): %s\n\n", cell(strings.Join(label, ", ")))
		if len(out) == 0 {
			_, err := fmt.Fprintf(e.stdout, "No change: no flow of the %d NICs compared changes verdict, reason, egress method or egress IPs.\n", len(nics)-missing)
			return err
		}
		fmt.Fprintf(e.stdout, "**%d sets of flows change.**\n\n| From | Flows | Before | After | Witness | Cause |\n|---|---|---|---|---|---|\n", len(out))
		for _, x := range out {
			what, b, a, w := line(x)
			fmt.Fprintf(e.stdout, "| %s | %s | %s | %s | %s | %s |\n", cell(x.From), cell(what), b, a, w, cell(x.Cause))
		}
		return nil
	}
	rows := func() *table {
		t := &table{header: []string{"From", "Flows", "Before", "After", "Witness", "Cause"}}
		for _, x := range out {
			what, b, a, w := line(x)
			t.add(x.From, what, b, a, w, x.Cause)
		}
		return t
	}
	return e.print(out, rows, func(w io.Writer) error {
		for _, x := range out {
			what, b, a, wit := line(x)
			fmt.Fprintf(w, "%s: %s\n  before: %s\n  after:  %s\n  e.g.    %s\n  cause:  %s\n", x.From, what, b, a, wit, x.Cause)
		}
		_, err := fmt.Fprintf(w, "%d sets of flows change, over every destination of %d NICs\n", len(out), len(nics)-missing)
		return err
	})
}
