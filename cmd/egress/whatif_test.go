package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vnetFlowLog is a VNet flow log blob (schema version 4, the documented
// flowTuples field order: time, source and destination IP, source and
// destination port, protocol, direction, state, encryption, counters;
// https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview#log-format)
// holding tuples.
func vnetFlowLog(tuples ...string) string {
	return `{"records": [{"time": "2026-05-04T10:00:52.000Z", "flowLogVersion": 4, "flowLogGUID": "66aa66aa-66aa-66aa-66aa-66aa66aa66aa",
  "macAddress": "00224800AAAA", "category": "FlowLogFlowEvent", "flowLogResourceID": "/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/FL",
  "targetResourceID": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-spoke-batch",
  "operationName": "FlowLogFlowEvent",
  "flowRecords": {"flows": [{"aclID": "00000000-0000-0000-0000-000000000000", "flowGroups": [{"rule": "DefaultRule_AllowInternetOutBound",
    "flowTuples": ["` + strings.Join(tuples, `", "`) + `"]}]}]}}]}`
}

// TestWhatIfFlowLogs: --flows compares the distinct outbound flows the
// logs saw (inbound tuples and unknown sources left out, and counted), on
// both networks: the overlay sends vm-batch-01-nic's internet traffic to
// the hub firewall, which denies TCP 443 to 52.1.2.3.
func TestWhatIfFlowLogs(t *testing.T) {
	log := write(t, "PT1H.json", vnetFlowLog(
		"1746352852000,10.2.1.4,52.1.2.3,50000,443,6,O,B,NX,0,0,0,0",
		"1746352853000,10.2.1.4,52.1.2.3,50001,443,6,O,B,NX,0,0,0,0",  // the same flow from another source port
		"1746352854000,10.2.1.4,10.2.1.5,50002,22,6,O,B,NX,0,0,0,0",   // within the subnet: unchanged
		"1746352855000,52.9.9.9,10.2.1.4,50003,22,6,I,B,NX,0,0,0,0",   // inbound
		"1746352856000,10.77.0.9,52.1.2.3,50004,443,6,O,B,NX,0,0,0,0", // no NIC of the design
	))
	overlay := "../../examples/overlays/batch-behind-firewall.yaml"
	code, out, stderr := egress("whatif", "--overlay", overlay, "--flows", log)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "egress: 4 outbound flow tuples in 1 files: 2 distinct flows compared; 1 from no NIC of the base")
	assert.Contains(t, out, "vm-batch-01-nic -> 52.1.2.3/443 Tcp\n  before: Allowed via NATGateway 20.81.20.1\n  after:  Denied via None")
	assert.Contains(t, out, "1 of 2 flows change")

	// diff takes the same flows; a directory of blobs is walked.
	data, err := os.ReadFile("../../examples/designs/hubspoke.yaml")
	require.NoError(t, err)
	after := write(t, "after.yaml", strings.Replace(string(data), "        natGateway: natgw-batch\n", "", 1))
	code, out, stderr = egress("diff", "--topology", "../../examples/designs/hubspoke.yaml", "--with", after, "--flows", filepath.Dir(log))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vm-batch-01-nic -> 52.1.2.3/443 Tcp\n  before: Allowed via NATGateway 20.81.20.1\n  after:  Allowed via DefaultOutbound")
	assert.Contains(t, out, "1 of 2 flows change")

	// --from keeps one NIC's flows.
	code, out, stderr = egress("whatif", "--overlay", overlay, "--flows", log, "--from", "vm-app-01-nic")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "0 of 0 flows change")

	// A file that is no flow log names itself.
	bad := write(t, "bad.json", `{"records": [{"flowLogVersion": 4, "flowRecords": {"flows": [{"flowGroups": [{"flowTuples": ["x"]}]}]}}]}`)
	code, _, stderr = egress("whatif", "--overlay", overlay, "--flows", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "bad.json")
}
