package replay_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/egresstest"
	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/replay"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const design = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-app, prefix: 10.1.1.0/24, nsg: nsg-app, natGateway: nat-app}
nsgs:
  - name: nsg-app
    rules:
      - {name: deny-smb-out, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: Internet, destinationPorts: "445"}
      - {name: allow-unused, priority: 200, direction: Inbound, access: Allow, protocol: Tcp, source: 192.0.2.0/24, destinationPorts: "9999"}
publicIps:
  - {name: pip-nat, ip: 20.30.40.50}
natGateways:
  - {name: nat-app, publicIps: [pip-nat]}
nics:
  - {name: vm-a-nic, subnet: vnet-app/snet-app, ip: 10.1.1.4, macAddress: 00-22-48-0A-00-01}
  - {name: vm-b-nic, subnet: vnet-app/snet-app, ip: 10.1.1.5}
`

func write(t testing.TB, dir, rel, data string) string {
	t.Helper()
	p := filepath.Join(dir, rel)
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(data), 0o644))
	return p
}

func vnetLog(mac string, tuples ...string) string {
	return fmt.Sprintf(`{"records": [{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": %q, "category": "FlowLogFlowEvent",
 "targetResourceID": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-app",
 "flowRecords": {"flows": [{"aclID": "acl", "flowGroups": %s}]}}]}`, mac, strings.Join(tuples, ""))
}

func group(rule string, tuples ...string) string {
	b, _ := json.Marshal(tuples)
	return fmt.Sprintf(`[{"rule": %q, "flowTuples": %s}]`, rule, b)
}

// TestReplayPlanted: a log with known agreements and planted
// disagreements, in the documented VNet flow log (v4) and NAT gateway
// layouts, laid out as Azure writes blobs.
func TestReplayPlanted(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{}, design)
	dir := t.TempDir()
	base := "insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/S/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NW/FLOWLOGS/FL/y=2025/m=05/d=04/h=10/m=00/"
	write(t, dir, base+"macAddress=0022480A0001/PT1H.json", vnetLog("0022480A0001", `[
  {"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": ["1746352852000,10.1.1.4,52.1.2.3,50000,443,6,O,B,NX,0,0,0,0", "1746352853000,10.1.1.4,52.1.2.3,50000,443,6,O,E,NX,5,500,4,4000"]},
  {"rule": "UserRule_deny-smb-out", "flowTuples": ["1746352855000,10.1.1.4,52.1.2.5,50002,445,6,O,D,NX,0,0,0,0"]},
  {"rule": "UserRule_deny-8080", "flowTuples": ["1746352854000,10.1.1.4,52.1.2.4,50001,8080,6,O,D,NX,0,0,0,0", "1746352856000,10.1.1.4,52.1.2.6,50003,8080,6,O,D,NX,0,0,0,0"]},
  {"rule": "DefaultRule_AllowVnetInBound", "flowTuples": ["1746352857000,203.0.113.7,10.1.1.4,40000,22,6,I,B,NX,0,0,0,0"]}]`))
	write(t, dir, base+"macAddress=0022480A0002/PT1H.json", vnetLog("0022480A0002", group("DefaultRule_AllowInternetOutBound",
		"1746352860000,10.1.1.5,52.1.2.3,50010,443,6,O,B,NX,0,0,0,0")))
	write(t, dir, base+"macAddress=0022480A0099/PT1H.json", vnetLog("0022480A0099", group("DefaultRule_AllowInternetOutBound",
		"1746352860000,10.9.9.9,52.1.2.3,50010,443,6,O,B,NX,0,0,0,0")))
	write(t, dir, "nat/PT1H.json", `{"records": [
 {"time": "2025-05-04T10:05:00Z", "category": "NatGatewayFlowlogsV1", "properties": {"SourceIP": "10.1.1.4", "DestinationIP": "52.1.2.3", "NatGatewayIP": "20.30.40.50", "PacketsSent": 1, "BytesSent": 10, "PacketsReceived": 1, "BytesReceived": 10, "PacketsSentDropped": 0, "PacketsReceivedDropped": 0}},
 {"time": "2025-05-04T10:06:00Z", "category": "NatGatewayFlowlogsV1", "properties": {"SourceIP": "10.1.1.4", "DestinationIP": "52.1.2.9", "NatGatewayIP": "20.30.40.99", "PacketsSent": 1, "BytesSent": 10, "PacketsReceived": 1, "BytesReceived": 10, "PacketsSentDropped": 0, "PacketsReceivedDropped": 0}}]}`)
	files, err := flowlog.Walk(dir)
	require.NoError(t, err)
	require.Len(t, files, 4)
	rep, err := replay.Run(e, files, replay.Options{})
	require.NoError(t, err)

	assert.Equal(t, 4, rep.Files)
	assert.Equal(t, 10, rep.Flows, "6 + 1 + 1 tuples and 2 NAT records")
	assert.Equal(t, 6, rep.Decisions, "vm-a: 443 B, 445 D, two 8080 D, 22 I B; vm-b: 443 B (the E tuple is a continuation)")
	assert.Equal(t, 3, rep.Agree, "443 and 445 of vm-a, 443 of vm-b (mapped by address)")
	require.Len(t, rep.Disagreements, 2)
	d := rep.Disagreements[0]
	assert.Equal(t, "vm-a-nic", d.NIC)
	assert.Equal(t, "Outbound", d.Direction)
	assert.Equal(t, "Denied", d.LoggedText)
	assert.Equal(t, "UserRule_deny-8080", d.LoggedRule)
	assert.Equal(t, "Allowed", d.Predicted)
	assert.Equal(t, "DefaultRule_AllowInternetOutBound", d.PredictedRule)
	assert.Equal(t, 2, d.Flows)
	assert.Equal(t, uint16(8080), d.Witness.DstPort)
	assert.Equal(t, "52.1.2.4", d.Witness.Dst.String(), "the first in log order")
	require.NotNil(t, d.Trace)
	assert.Equal(t, simulate.Allowed, d.Trace.Verdict)
	in := rep.Disagreements[1]
	assert.Equal(t, "Inbound", in.Direction)
	assert.Equal(t, "Allowed", in.LoggedText)
	assert.Equal(t, "Denied", in.Predicted)
	assert.Equal(t, "DefaultRule_DenyAllInBound", in.PredictedRule)

	assert.Equal(t, 2, rep.EgressChecked)
	assert.Equal(t, 1, rep.EgressAgree)
	require.Len(t, rep.EgressDisagreements, 1)
	assert.Equal(t, "20.30.40.99", rep.EgressDisagreements[0].Observed.String())
	assert.Equal(t, "NATGateway", rep.EgressDisagreements[0].Method)

	assert.Equal(t, []replay.Rule{{NSG: "nsg-app", Name: "allow-unused"}}, rep.DeadRules)
	require.Len(t, rep.Unknown, 1)
	assert.Equal(t, "0022480A0099", rep.Unknown[0].MAC)
	require.NotEmpty(t, rep.TopTalkers)
	assert.Equal(t, "vm-a-nic", rep.TopTalkers[0].NIC)
	assert.Equal(t, uint64(500), rep.TopTalkers[0].BytesSent)
	assert.Contains(t, strings.Join(rep.Gaps, "\n"), "1 of 2 NICs have no macAddress")
	assert.Contains(t, strings.Join(rep.Gaps, "\n"), "TCP port 443")
	assert.Contains(t, rep.String(), "vm-a-nic Outbound: logged Denied by UserRule_deny-8080, design Allowed by DefaultRule_AllowInternetOutBound: 2 flows")
}

// genLogs writes n files of random flows of vm-a, planting k flows to port
// 8080 logged as denied (the design allows them); it returns the files.
func genLogs(t testing.TB, dir string, n, perFile int, r *rand.Rand) (files []string, planted int) {
	for i := range n {
		var tuples []string
		var deny []string
		for j := range perFile {
			if r.IntN(20) == 0 {
				deny = append(deny, fmt.Sprintf("%d,10.1.1.4,52.%d.%d.%d,%d,8080,6,O,D,NX,0,0,0,0", 1746352852000+j, r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(60000)))
				planted++
				continue
			}
			tuples = append(tuples, fmt.Sprintf("%d,10.1.1.4,52.%d.%d.%d,%d,443,6,O,%c,NX,1,100,1,100", 1746352852000+j, r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(60000), "BCE"[r.IntN(3)]))
		}
		groups := []string{}
		tb, _ := json.Marshal(tuples)
		groups = append(groups, fmt.Sprintf(`{"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": %s}`, tb))
		if len(deny) > 0 {
			db, _ := json.Marshal(deny)
			groups = append(groups, fmt.Sprintf(`{"rule": "UserRule_deny-8080", "flowTuples": %s}`, db))
		}
		files = append(files, write(t, dir, fmt.Sprintf("h=%02d/PT1H.json", i), vnetLog("0022480A0001", "["+strings.Join(groups, ",")+"]")))
	}
	return files, planted
}

// TestReplayDeterministic: the same inputs give the same report, byte for
// byte, with one worker or many; the planted disagreements are all found.
func TestReplayDeterministic(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{}, design)
	files, planted := genLogs(t, t.TempDir(), 12, 400, rand.New(rand.NewPCG(5, 6)))
	one, err := replay.Run(e, files, replay.Options{Workers: 1})
	require.NoError(t, err)
	many, err := replay.Run(e, files, replay.Options{Workers: 4})
	require.NoError(t, err)
	a, _ := json.Marshal(one)
	b, _ := json.Marshal(many)
	assert.Equal(t, string(a), string(b))
	require.Len(t, one.Disagreements, 1)
	assert.Equal(t, planted, one.Disagreements[0].Flows)
	assert.Equal(t, one.Decisions-planted, one.Agree)
}

func TestReplayErrors(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{}, design)
	dir := t.TempDir()
	p := write(t, dir, "bad/PT1H.json", `{"records": [{"flowLogVersion": 4, "flowRecords": {"flows": [{"flowGroups": [{"flowTuples": ["1,2"]}]}]}}]}`)
	_, err := replay.Run(e, []string{p}, replay.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad/PT1H.json:1:")
	_, err = replay.Run(e, []string{filepath.Join(dir, "missing.json")}, replay.Options{})
	assert.Error(t, err)
}

// BenchmarkReplay reports flows per second end to end (read, parse, map,
// classify, aggregate) with one worker and with one per core.
func BenchmarkReplay(b *testing.B) {
	e := egresstest.Parse(b, simulate.Options{}, design)
	files, _ := genLogs(b, b.TempDir(), 8, 20000, rand.New(rand.NewPCG(1, 2)))
	for _, w := range []int{1, 0} {
		name := "workers=1"
		if w == 0 {
			name = "workers=GOMAXPROCS"
		}
		b.Run(name, func(b *testing.B) {
			var flows int
			for b.Loop() {
				rep, err := replay.Run(e, files, replay.Options{Workers: w})
				if err != nil {
					b.Fatal(err)
				}
				flows = rep.Flows
			}
			b.ReportMetric(float64(flows)*float64(b.N)/b.Elapsed().Seconds(), "flows/s")
		})
	}
}

// TestReplayFilteredFlowLog: a flow log that records only denied flows
// (recordTypes "D", https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview)
// leaves the rules its NICs' allowed flows would show out of the dead
// rules, and says so.
func TestReplayFilteredFlowLog(t *testing.T) {
	flowLog := `[{"id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/NetworkWatcher_eastus/flowLogs/fl-app",
  "name": "fl-app", "type": "Microsoft.Network/networkWatchers/flowLogs", "location": "eastus",
  "properties": {"targetResourceId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-app",
    "enabled": true, "recordTypes": "D", "format": {"type": "JSON", "version": 2},
    "storageId": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/stlogs"}}]`
	e := egresstest.Compile(t, topologyInputs(design, flowLog), simulate.Options{})
	dir := t.TempDir()
	files := []string{write(t, dir, "PT1H.json", vnetLog("0022480A0001", group("UserRule_deny-smb-out", "1746352855000,10.1.1.4,52.1.2.5,50002,445,6,O,D,NX,0,0,0,0")))}
	rep, err := replay.Run(e, files, replay.Options{})
	require.NoError(t, err)
	assert.Empty(t, rep.DeadRules, "allow-unused may have decided flows the log did not record")
	assert.Contains(t, strings.Join(rep.Gaps, "\n"), `flow log fl-app records only the flow states D`)

	// The same log unfiltered: allow-unused is dead in this window.
	e = egresstest.Compile(t, topologyInputs(design, strings.Replace(flowLog, `"recordTypes": "D", `, "", 1)), simulate.Options{})
	rep, err = replay.Run(e, files, replay.Options{})
	require.NoError(t, err)
	assert.Equal(t, []replay.Rule{{NSG: "nsg-app", Name: "allow-unused"}}, rep.DeadRules)
}

func topologyInputs(design, arm string) topology.LoadOptions {
	return topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}, {Name: "flowlogs.json", Data: []byte(arm)}}}
}

// TestReplayerCounts: files replayed one by one, their counts serialized,
// merged in another order and reported, give Run's report, byte for byte:
// what a distributed run does.
func TestReplayerCounts(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{}, design)
	files, _ := genLogs(t, t.TempDir(), 6, 300, rand.New(rand.NewPCG(8, 9)))
	files = append(files, write(t, t.TempDir(), "nat/PT1H.json", `{"records": [{"time": "2025-05-04T10:05:00Z", "category": "NatGatewayFlowlogsV1", "properties": {"SourceIP": "10.1.1.4", "DestinationIP": "52.1.2.9", "NatGatewayIP": "20.30.40.99", "PacketsSent": 1, "BytesSent": 10, "PacketsReceived": 1, "BytesReceived": 10, "PacketsSentDropped": 0, "PacketsReceivedDropped": 0}}]}`),
		write(t, t.TempDir(), "odd/PT1H.json", vnetLog("0022480A0099", group("r", "1746352860000,10.9.9.9,52.1.2.3,0,0,230,O,D,NX,0,0,0,0", "1746352860000,fd00::9,2001:db8::1,1,2,17,I,B,X,0,0,0,0"))))
	want, err := replay.Run(e, files, replay.Options{})
	require.NoError(t, err)
	rp := replay.NewReplayer(e)
	var total replay.Counts
	for i := len(files) - 1; i >= 0; i-- { // another order
		c, err := rp.File(files[i], i)
		require.NoError(t, err)
		total, err = replay.Merge(c, total)
		require.NoError(t, err)
	}
	got, err := rp.Report(total, files, replay.Options{})
	require.NoError(t, err)
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(got)
	assert.JSONEq(t, string(a), string(b))
	assert.Equal(t, string(a), string(b))
}

// shadowDesign: a subnet NSG whose allow-443-wide always loses to the
// allow-443 above it, whose allow-8080 the NIC NSG's deny-8080 (evaluated
// first outbound) keeps every flow from, and an admin rule collection
// whose AlwaysAllow for DNS decides before both NSGs (so the subnet's
// allow-dns is shadowed by it) and whose allow-ntp never matches.
const shadowDesign = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-app, prefix: 10.1.1.0/24, nsg: nsg-sub}
nsgs:
  - name: nsg-sub
    rules:
      - {name: allow-443, priority: 100, direction: Outbound, access: Allow, protocol: Tcp, destination: Internet, destinationPorts: "443"}
      - {name: allow-443-wide, priority: 200, direction: Outbound, access: Allow, protocol: Tcp, destinationPorts: "443-444"}
      - {name: allow-8080, priority: 300, direction: Outbound, access: Allow, protocol: Tcp, destinationPorts: "8080"}
      - {name: allow-dns, priority: 400, direction: Outbound, access: Allow, protocol: Udp, destinationPorts: "53"}
      - {name: allow-444, priority: 500, direction: Outbound, access: Allow, protocol: Tcp, destinationPorts: "444"}
  - name: nsg-nic
    rules:
      - {name: deny-8080, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destinationPorts: "8080"}
adminRules:
  - name: org
    vnets: [vnet-app]
    rules:
      - {name: always-dns, collection: base, priority: 10, direction: Outbound, access: AlwaysAllow, protocol: Udp, source: ["*"], destination: ["*"], destinationPorts: ["53"]}
      - {name: allow-ntp, collection: base, priority: 20, direction: Outbound, access: Allow, protocol: Udp, source: ["*"], destination: ["*"], destinationPorts: ["123"]}
nics:
  - {name: vm-a-nic, subnet: vnet-app/snet-app, ip: 10.1.1.4, macAddress: 00-22-48-0A-00-01, nsg: nsg-nic}
`

// TestReplayShadowedRules: rules that logged flows match but that never
// decide one are listed with how many flows they match and the rules that
// decide them instead (most flows first: a higher-priority rule of the
// same NSG, an earlier stage's Deny, an admin AlwaysAllow); rules that
// match no logged flow are dead; a rule that decides one flow is neither.
func TestReplayShadowedRules(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{}, shadowDesign)
	tuples := func(port, proto string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("1746352852000,10.1.1.4,52.1.2.%d,%d,%s,%s,O,B,NX,0,0,0,0", i+1, 40000+i, port, proto))
		}
		return out
	}
	var groups []string
	for _, g := range []struct {
		rule        string
		port, proto string
		n           int
	}{{"UserRule_allow-443", "443", "6", 5}, {"DefaultRule_DenyAllOutBound", "8080", "6", 3}, {"DefaultRule_AllowInternetOutBound", "53", "17", 2}, {"DefaultRule_AllowInternetOutBound", "444", "6", 1}} {
		b, _ := json.Marshal(tuples(g.port, g.proto, g.n))
		groups = append(groups, fmt.Sprintf(`{"rule": %q, "flowTuples": %s}`, g.rule, b))
	}
	files := []string{write(t, t.TempDir(), "PT1H.json", vnetLog("0022480A0001", "["+strings.Join(groups, ",")+"]"))}
	rep, err := replay.Run(e, files, replay.Options{})
	require.NoError(t, err)
	assert.Equal(t, 11, rep.Decisions)

	nicRule := func(nsg, name string, flows int) replay.Decider {
		return replay.Decider{Rule: replay.Rule{NSG: nsg, Name: name}, Flows: flows}
	}
	// allow-443-wide matches the 5 flows to 443 and the one to 444, and
	// decides the latter: not shadowed. allow-444 matches that one and
	// loses it to allow-443-wide.
	assert.Equal(t, []replay.ShadowedRule{
		{Rule: replay.Rule{NSG: "nsg-sub", Name: "allow-8080"}, Direction: "Outbound", Flows: 3, DecidedBy: []replay.Decider{nicRule("nsg-nic", "deny-8080", 3)}},
		{Rule: replay.Rule{NSG: "nsg-sub", Name: "allow-dns"}, Direction: "Outbound", Flows: 2, DecidedBy: []replay.Decider{{Rule: replay.Rule{NSG: "org", Collection: "base", Name: "always-dns"}, Flows: 2}}},
		{Rule: replay.Rule{NSG: "nsg-sub", Name: "allow-444"}, Direction: "Outbound", Flows: 1, DecidedBy: []replay.Decider{nicRule("nsg-sub", "allow-443-wide", 1)}},
	}, rep.ShadowedRules)
	assert.Equal(t, []replay.Rule{{NSG: "org", Collection: "base", Name: "allow-ntp"}}, rep.DeadRules)
	text := rep.String()
	assert.Contains(t, text, "rule nsg-sub/allow-8080 (Outbound) matches 3 logged flows and decides none: decided by nsg-nic/deny-8080 3\n")
	assert.Contains(t, text, "rules no logged flow matches: org/base/allow-ntp\n")

	// Split per file and merged, as a distributed run does: the same.
	rp := replay.NewReplayer(e)
	c, err := rp.File(files[0], 0)
	require.NoError(t, err)
	got, err := rp.Report(c, files, replay.Options{})
	require.NoError(t, err)
	assert.Equal(t, rep.ShadowedRules, got.ShadowedRules)
	assert.Equal(t, rep.DeadRules, got.DeadRules)
	// Counts of another design do not fit.
	_, err = replay.NewReplayer(egresstest.Parse(t, simulate.Options{}, design)).Report(c, files, replay.Options{})
	assert.ErrorContains(t, err, "counts of another design")
}
