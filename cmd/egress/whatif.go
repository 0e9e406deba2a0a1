package main

import (
	"fmt"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
)

// cmdWhatIf compares the topology before and after overlays: which flows
// change verdict, path or egress IP, and which route or rule causes it.
func cmdWhatIf(e *env, args []string) error {
	fs := e.flags("whatif")
	from := fs.String("from", "", "only flows from this NIC (default: every NIC)")
	to := fs.String("to", "", "only flows to this destination IP[:PORT] (default: an internet address on tcp/443 and udp/53, and every other NIC on tcp/443)")
	e.simFlags(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
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
	afterEngine := simulate.Compile(after, e.opts)
	var probe simulate.WhatIf
	if *to != "" {
		f, err := parseDest(*to)
		if err != nil || !f.To.IsValid() {
			return usageErr("--to %q: want IP or IP:PORT", *to)
		}
		probe.To = f
	}
	if *from != "" {
		n, err := e.nic(*from)
		if err != nil {
			return err
		}
		probe.From = n
	}
	flows := probe.Flows(before)
	changes := simulate.Diff(before, afterEngine, flows)
	if e.output == "json" {
		type change struct {
			From        string           `json:"from"`
			Destination string           `json:"destination"`
			What        []string         `json:"what"`
			Cause       string           `json:"cause"`
			Before      *simulate.Result `json:"before"`
			After       *simulate.Result `json:"after"`
		}
		out := []change{}
		for _, c := range changes {
			out = append(out, change{From: c.Flow.From, Destination: c.Flow.To.String(), What: c.What, Cause: c.Cause, Before: c.Before, After: c.After})
		}
		return e.json(out)
	}
	for _, c := range changes {
		name := c.Flow.From
		if c.Before != nil {
			name = c.Before.Flow.From
		}
		fmt.Fprintf(e.stdout, "%s -> %v/%d %v\n  before: %s\n  after:  %s\n  cause:  %s\n", name, c.Flow.To, c.Flow.Port, protoName(c.Flow.Protocol),
			summary(c.Before), summary(c.After), c.Cause)
	}
	fmt.Fprintf(e.stdout, "%d of %d flows change\n", len(changes), len(flows))
	return nil
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
