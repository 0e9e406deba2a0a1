package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/egresslab/egress/replay"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFlowsReplay replays a VNet flow log of the embedded design's app
// NIC (mapped by address: the design gives no MAC) with one planted
// disagreement: SMB logged as allowed out where nsg-app denies it.
func TestFlowsReplay(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "y=2025/m=05/d=04/h=10/m=00/macAddress=0022480ABCDE/PT1H.json")
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(`{"records": [{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": "0022480ABCDE",
 "category": "FlowLogFlowEvent", "targetResourceID": "/subscriptions/x/resourceGroups/y/providers/Microsoft.Network/virtualNetworks/vnet-spoke-batch",
 "flowRecords": {"flows": [{"aclID": "a", "flowGroups": [
   {"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": ["1746352852000,10.1.1.4,52.1.2.3,50000,443,6,O,B,NX,0,0,0,0",
     "1746352853000,10.1.1.4,52.1.2.3,50001,445,6,O,B,NX,0,0,0,0"]}]}]}}]}`), 0o644))

	code, out, stderr := egress("flows", "replay", dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "1 files, 1 records, 2 flows; 2 decisions compared: 1 agree (1 by another rule), 1 disagree")
	assert.Contains(t, out, "vm-app-01-nic Outbound: logged Allowed by DefaultRule_AllowInternetOutBound, design Denied by UserRule_")

	code, out, stderr = egress("flows", "replay", dir, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var rep replay.Report
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.Len(t, rep.Disagreements, 1)
	assert.Equal(t, p, rep.Disagreements[0].Witness.File)

	code, _, stderr = egress("flows", "replay", dir, "--fail-on-disagreement")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "1 decision and 0 egress disagreements")

	code, _, stderr = egress("flows", "replay", t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "no flow-log files")
}
