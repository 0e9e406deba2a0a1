package topology

import (
	"slices"
	"strings"

	"github.com/egresslab/egress/topology/arm"
)

// tFlowLog is a Network Watcher flow log's resource type
// (https://learn.microsoft.com/azure/templates/microsoft.network/networkwatchers/flowlogs).
const tFlowLog = "Microsoft.Network/networkWatchers/flowLogs"

// FlowLog is a Network Watcher flow log: what it logs and what it leaves
// out, so that a replay of its logs does not read a filtered-out flow as
// a missing one.
type FlowLog struct {
	Meta
	// Target is targetResourceId: a virtual network, subnet or NIC (VNet
	// flow logs) or an NSG (NSG flow logs).
	Target  Ref
	Enabled bool
	// RecordTypes is recordTypes: the flow states logged, a comma-separated
	// combination of B, C, E and D; "" logs them all.
	RecordTypes string
	// FilteringCriteria is enabledFilteringCriteria, an expression over
	// SrcIP, SrcPort, DstIP, DstPort, Protocol, Encryption, Direction and
	// Action (https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-filtering,
	// preview); "" logs all traffic.
	FilteringCriteria string
	// Version is format.version (2 for VNet and NSG v2 logs), 0 when absent.
	Version int
}

// Filtered reports whether the flow log leaves traffic out: some flow
// states (RecordTypes without one of B, C, E, D) or a filtering
// expression.
func (f *FlowLog) Filtered() bool {
	if f.FilteringCriteria != "" {
		return true
	}
	if f.RecordTypes == "" {
		return false
	}
	for _, s := range []string{"B", "C", "E", "D"} {
		if !slices.ContainsFunc(strings.Split(f.RecordTypes, ","), func(t string) bool { return strings.EqualFold(strings.TrimSpace(t), s) }) {
			return true
		}
	}
	return false
}

// flowLog reads a flow log resource (REST, templates, az network watcher
// flow-log show, flattened or not).
func (b *armBuilder) flowLog(meta Meta, v *arm.Value) *FlowLog {
	f := &FlowLog{Meta: meta, Target: Ref(b.str(v.Prop("targetResourceId"))), Enabled: b.boolean(v.Prop("enabled")),
		RecordTypes: b.str(v.Prop("recordTypes")), FilteringCriteria: b.str(v.Prop("enabledFilteringCriteria"))}
	if n, ok := v.Prop("format").Get("version").Int(); ok {
		f.Version = int(n)
	}
	return f
}

// validateFlowLogs checks the flow logs' record types (B, C, E, D).
func (m *Model) validateFlowLogs(p *problems) {
	for _, f := range m.FlowLogs {
		if f.RecordTypes == "" {
			continue
		}
		for _, t := range strings.Split(f.RecordTypes, ",") {
			switch strings.ToUpper(strings.TrimSpace(t)) {
			case "B", "C", "E", "D":
			default:
				p.add(f.Pos, string(f.ID), "recordTypes", f.RecordTypes, ErrInvalid, "a comma-separated combination of B, C, E and D")
			}
		}
	}
}

// FlowLogs returns a copy of the network's flow logs, in model order.
func (n *Network) FlowLogs() []*FlowLog { return clone(n.m.FlowLogs) }
