package main

import (
	"cmp"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/egresslab/egress/demand"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/snat"
	"github.com/spf13/cobra"
)

// cmdCapacity sets a demand file against the SNAT port supply of each way out.
func cmdCapacity(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "capacity --demand FILE [--min-headroom PCT]",
		Short: "SNAT port headroom of every egress path for a peak demand (exit 1 below --min-headroom)",
		Long: `Set a peak demand — concurrent connections from sources to destinations, one line each in
a demand file — against the SNAT port supply of the way each flow leaves, as Microsoft
Learn documents it: a NAT gateway's 64,512 ports and 50,000 connections per destination
endpoint per public IP, shared by every source behind it; a load balancer's ports per
backend instance (allocatedOutboundPorts, or the default table by pool size); an Azure
Firewall's 2,496 ports per public IP per instance (two instances guaranteed); an instance
public IP's all ports. Default outbound access and App Service have no documented supply:
they are reported as Unknown, never as a number.

For each pool and protocol: supply, peak demand (per destination, per instance where ports
are preallocated), headroom, the sources that exhaust it first and what would fix it.
Flows that are denied or leave without Azure SNAT are listed as unmetered. Exit 1 when a
pool with a known supply has less headroom than --min-headroom.

A demand file:

  demand:
    - {from: vm-batch-01-nic, to: 52.1.2.3:443, protocol: Tcp, concurrent: 45000}`,
		Example: `  egress capacity --demand peak.yaml
  egress capacity --demand peak.yaml --min-headroom 20 -o json`,
		Args: cobra.NoArgs,
	}
	var file string
	var minHeadroom float64
	fs := cmd.Flags()
	fs.StringVar(&file, "demand", "", "the demand `file` (required)")
	fs.Float64Var(&minHeadroom, "min-headroom", 20, "the headroom, in `percent`, every pool must keep; fixes aim for it")
	e.simFlags(cmd)
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error { return e.capacity(file, minHeadroom) })
	return cmd
}

// capacityDoc is egress capacity's JSON document.
type capacityDoc struct {
	SchemaVersion int `json:"schemaVersion"`
	*simulate.CapacityReport
	// Rules are the documented numbers, with their sources.
	Rules []snat.Rule `json:"rules"`
	// Failing counts the pools below the target headroom.
	Failing int `json:"failing"`
}

func (e *env) capacity(file string, minHeadroom float64) error {
	if file == "" {
		return usageErr("--demand is required")
	}
	if minHeadroom < 0 || minHeadroom >= 100 {
		return usageErr("--min-headroom %v: want a percentage in [0, 100)", minHeadroom)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	entries, err := demand.ParseFile(file, data)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := e.compile(); err != nil {
		return err
	}
	ds := make([]simulate.Demand, len(entries))
	for i, en := range entries {
		ds[i] = simulate.Demand{From: en.From, To: en.To, Protocol: en.Protocol, Concurrent: en.Concurrent}
	}
	rep, err := e.engine.Capacity(ds, minHeadroom/100)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	doc := capacityDoc{SchemaVersion: schemaVersion, CapacityReport: rep, Rules: snat.Documented()}
	for _, p := range rep.Pools {
		if p.HeadroomKnown && p.Headroom < rep.Target {
			doc.Failing++
		}
	}
	if err := e.print(doc, func() *table { return capacityRows(doc) }, nil); err != nil {
		return err
	}
	if doc.Failing > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d pools below %v%% headroom", doc.Failing, len(rep.Pools), minHeadroom)}
	}
	return nil
}

var capacityHeader = []string{"Pool", "Kind", "Protocol", "Supply", "Peak", "At", "Headroom", "Exhausting", "Fix"}

func capacityRows(doc capacityDoc) *table {
	t := &table{header: capacityHeader}
	for _, p := range doc.Pools {
		supply := "Unknown"
		switch {
		case p.Supply.Unlimited:
			supply = "all ports"
		case p.Supply.Known:
			supply = strconv.Itoa(p.Supply.PerKey) + " per " + p.Supply.Key.String()
			if p.Supply.Scope == snat.ScopeInstance {
				supply += " per instance"
			}
		}
		at := p.PeakKey
		if p.PeakInstance != "" {
			at += " from " + p.PeakInstance
		}
		head := "Unknown"
		if p.HeadroomKnown {
			head = strconv.FormatFloat(100*p.Headroom, 'f', 1, 64) + "%"
		} else if p.Supply.Unlimited {
			head = "-"
		}
		var ex []string
		for i, c := range p.Exhausting {
			if i == 3 {
				ex = append(ex, "...")
				break
			}
			ex = append(ex, c.Source+" "+strconv.Itoa(c.Concurrent))
		}
		t.add(p.Name, p.Kind.String(), p.Proto, supply, strconv.Itoa(p.Peak), at, head, strings.Join(ex, ", "), cmp.Or(p.Fix, "-"))
	}
	for _, u := range doc.Unmetered {
		t.add("-", "unmetered", "-", "-", strconv.Itoa(u.Demand.Concurrent), u.To+" from "+u.From, "-", "-", u.Verdict.String()+": "+u.Reason)
	}
	return t
}
