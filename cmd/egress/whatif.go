package main

import (
	"fmt"
	"io"
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

The flows probed: from every NIC to an internet address on TCP 443 and UDP 53, and to every
other NIC on TCP 443 (up to 200 NICs); --from and --to narrow them.`,
		Example: `  egress whatif --overlay examples/overlays/batch-behind-firewall.yaml
  egress whatif --overlay change.yaml --from vm-batch-01-nic --to 52.1.2.3:443 -o json`,
		Args: cobra.NoArgs,
	}
	var from, to string
	e.nicFlag(cmd, &from, "from", "only flows from this `NIC` (default: every NIC)")
	cmd.Flags().StringVar(&to, "to", "", "only flows to this destination `IP[:PORT]` (default: an internet address on tcp/443 and udp/53, and every other NIC on tcp/443)")
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

// compare prints the flows whose verdict, path or egress IP differ between
// two engines, and why; label names the change (overlays, or files).
func (e *env) compare(before, afterEngine *simulate.Engine, from, to string, label []string) error {
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
	flows := probe.Flows(before)
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
		Use:   "diff --with FILE... [--from NIC] [--to IP[:PORT]]",
		Short: "What another design or export changes: flows whose verdict, path or egress IP change, and why",
		Long: `Compare the topology (--topology, the base) with another (--with: designs or exports,
a directory of them, as --topology takes): the probed flows whose verdict, path or egress
IP change, and the route or rule that causes it. The flows probed are whatif's: from every
NIC of the base to an internet address on TCP 443 and UDP 53, and to every other NIC on
TCP 443 (up to 200 NICs); --from and --to narrow them. -o markdown writes a pull-request
comment.`,
		Example: `  egress diff --topology before.json --with after.json
  egress diff --topology network/ --with proposed/ -o markdown`,
		Args: cobra.NoArgs,
	}
	var from, to string
	var with []string
	cmd.Flags().Var(&listFlag{&with, "file"}, "with", "the design or export to compare with (repeatable; a directory: its .json, .yaml and .yml files)")
	e.nicFlag(cmd, &from, "from", "only flows from this `NIC` (default: every NIC)")
	cmd.Flags().StringVar(&to, "to", "", "only flows to this destination `IP[:PORT]`")
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
