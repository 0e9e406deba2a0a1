package main

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/egresslab/egress/demand"
	"github.com/egresslab/egress/replay"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/snat"
	"github.com/spf13/cobra"
)

// cmdCapacity sets a demand file against the SNAT port supply of each way out.
func cmdCapacity(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "capacity (--demand FILE | --flows PATH...) [--min-headroom PCT]",
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
    - {from: vm-batch-01-nic, to: 52.1.2.3:443, protocol: Tcp, concurrent: 45000}

--flows derives the demand from VNet or NSG flow logs instead: per source NIC (mapped by
MAC address, else private address), destination and protocol, the peak number of
connections open at once in each --window; each window's demand is set against the supply,
and each pool's worst window is reported. Summing per-source peaks within a window
over-counts when sources peak at different instants: the headroom is a lower bound.`,
		Example: `  egress capacity --demand peak.yaml
  egress capacity --demand peak.yaml --min-headroom 20 -o json
  egress capacity --flows logs/ --window 5m`,
		Args: cobra.NoArgs,
	}
	var file string
	var flows []string
	var window, hold time.Duration
	var minHeadroom float64
	fs := cmd.Flags()
	fs.StringVar(&file, "demand", "", "the demand `file`")
	fs.StringSliceVar(&flows, "flows", nil, "derive the demand from flow-log `paths` (files or directories)")
	fs.DurationVar(&window, "window", 5*time.Minute, "with --flows: the `window` each peak is taken in")
	fs.DurationVar(&hold, "hold", 0, "with --flows: how long a closed connection keeps its SNAT port (`duration`; a NAT gateway holds one 65s after a TCP FIN before reusing it for the same destination)")
	fs.Float64Var(&minHeadroom, "min-headroom", 20, "the headroom, in `percent`, every pool must keep; fixes aim for it")
	e.simFlags(cmd)
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error { return e.capacity(file, flows, window, hold, minHeadroom) })
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
	// With --flows: the demand rows read, and those of sources the
	// design has no NIC for.
	Peaks          int      `json:"peaks,omitempty"`
	UnknownSources []string `json:"unknownSources,omitempty"`
}

func (e *env) capacity(file string, flows []string, window, hold time.Duration, minHeadroom float64) error {
	if (file == "") == (len(flows) == 0) {
		return usageErr("give one of --demand and --flows")
	}
	if minHeadroom < 0 || minHeadroom >= 100 {
		return usageErr("--min-headroom %v: want a percentage in [0, 100)", minHeadroom)
	}
	doc := capacityDoc{SchemaVersion: schemaVersion, Rules: snat.Documented()}
	var windows [][]simulate.Demand
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		entries, err := demand.ParseFile(file, data)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		ds := make([]simulate.Demand, len(entries))
		for i, en := range entries {
			ds[i] = simulate.Demand{From: en.From, To: en.To, Protocol: en.Protocol, Concurrent: en.Concurrent}
		}
		windows = [][]simulate.Demand{ds}
	}
	if err := e.compile(); err != nil {
		return err
	}
	if len(flows) > 0 {
		if window <= 0 {
			return usageErr("--window %v: want a positive duration", window)
		}
		peaks, err := demand.FromFiles(flows, demand.Options{Window: window, Hold: hold})
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		doc.Peaks = len(peaks)
		windows, doc.UnknownSources = peakDemands(e.engine, peaks)
	}
	var reps []*simulate.CapacityReport
	for _, ds := range windows {
		rep, err := e.engine.Capacity(ds, minHeadroom/100)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		reps = append(reps, rep)
	}
	rep := worstWindows(reps, minHeadroom/100)
	doc.CapacityReport = rep
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

// peakDemands turns flow-log peaks into one demand list per window, each
// source mapped to its NIC as flow replay maps it ([replay.Mapper]); the
// sources of no NIC are returned, sorted.
func peakDemands(e *simulate.Engine, peaks []demand.Peak) (windows [][]simulate.Demand, unknown []string) {
	nics := replay.NewMapper(e)
	index := map[time.Time]int{}
	seen := map[string]bool{}
	for _, p := range peaks {
		h, ok := nics.NIC(p.MAC, p.Src)
		if !ok {
			k := p.Src.String()
			if p.MAC != "" {
				k += " (MAC " + p.MAC + ")"
			}
			if !seen[k] {
				seen[k] = true
				unknown = append(unknown, k)
			}
			continue
		}
		w, ok := index[p.Window]
		if !ok {
			w = len(windows)
			index[p.Window] = w
			windows = append(windows, nil)
		}
		windows[w] = append(windows[w], simulate.Demand{From: h.ID(), To: p.Dst, Protocol: p.Proto, Concurrent: p.Peak})
	}
	slices.Sort(unknown)
	return windows, unknown
}

// worstWindows keeps, of each pool and protocol, the window with the least
// headroom (an unknown supply: the largest peak), in the order pools first
// appear; the unmetered demands of every window are kept.
func worstWindows(reps []*simulate.CapacityReport, target float64) *simulate.CapacityReport {
	out := &simulate.CapacityReport{Report: snat.Report{Target: target, Pools: []snat.PoolReport{}}, Unmetered: []simulate.UnmeteredDemand{}}
	at := map[[2]string]int{}
	for _, r := range reps {
		for _, p := range r.Pools {
			k := [2]string{p.Kind.String() + " " + p.ID, p.Proto}
			i, ok := at[k]
			if !ok {
				at[k] = len(out.Pools)
				out.Pools = append(out.Pools, p)
				continue
			}
			q := out.Pools[i]
			if p.HeadroomKnown && p.Headroom < q.Headroom || !p.HeadroomKnown && p.Peak > q.Peak {
				out.Pools[i] = p
			}
		}
		out.Unmetered = append(out.Unmetered, r.Unmetered...)
	}
	return out
}
