package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// egress capacity on the embedded design: the batch subnet's NAT gateway
// (one public IP: 50,000 connections per destination endpoint) keeps 10 %
// headroom at a 45,000-connection peak, below the 20 % target: exit 1, with
// the fix; default outbound access is Unknown, the app subnet's denied flow
// unmetered.
func TestCapacityCommand(t *testing.T) {
	code, out, stderr := egress("capacity", "--demand", "testdata/capacity-peak.yaml")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "1 of 2 pools below 20% headroom")
	golden(t, "capacity.txt", out)

	code, out, _ = egress("capacity", "--demand", "testdata/capacity-peak.yaml", "--min-headroom", "5", "-o", "json")
	assert.Equal(t, 0, code, "10 % headroom meets a 5 % target")
	var doc struct {
		Pools []struct {
			Kind          string  `json:"kind"`
			Headroom      float64 `json:"headroom"`
			HeadroomKnown bool    `json:"headroomKnown"`
			Fix           string  `json:"fix"`
			Supply        struct {
				PerKey int      `json:"perDestination"`
				Rules  []string `json:"rules"`
			} `json:"supply"`
		} `json:"pools"`
		Unmetered []struct {
			From    string `json:"from"`
			Verdict string `json:"verdict"`
		} `json:"unmetered"`
		Rules []struct {
			Source string `json:"source"`
		} `json:"rules"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Len(t, doc.Pools, 2)
	assert.Equal(t, "NATGateway", doc.Pools[0].Kind)
	assert.InDelta(t, 0.1, doc.Pools[0].Headroom, 1e-9)
	assert.Equal(t, 50000, doc.Pools[0].Supply.PerKey)
	assert.Empty(t, doc.Pools[0].Fix, "no fix needed at a 5 % target")
	assert.False(t, doc.Pools[1].HeadroomKnown)
	require.Len(t, doc.Unmetered, 1)
	assert.Equal(t, "Denied", doc.Unmetered[0].Verdict)
	for _, r := range doc.Rules {
		assert.Contains(t, r.Source, "https://learn.microsoft.com/")
	}
}

func TestCapacityCommandErrors(t *testing.T) {
	code, _, stderr := egress("capacity")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "give one of --demand and --flows")

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("demand:\n  - {from: nope, to: 52.1.2.3:443, concurrent: 1}\n  - {from: vm-batch-01-nic, to: 52.1.2.3, concurrent: 1}\n"), 0o600))
	code, _, stderr = egress("capacity", "--demand", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "bad.yaml:3:5: demand 2: to \"52.1.2.3\"")

	unknown := filepath.Join(t.TempDir(), "unknown.yaml")
	require.NoError(t, os.WriteFile(unknown, []byte("demand:\n  - {from: nope, to: 52.1.2.3:443, concurrent: 1}\n"), 0o600))
	code, _, stderr = egress("capacity", "--demand", unknown)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `demand 1:`)
	assert.Contains(t, stderr, `nope`)
}

// --flows: three overlapping connections from vm-batch-01-nic (mapped by
// its private address: the log's MAC is not in the design) to one
// endpoint make a peak of 3; a source the design does not hold is listed.
func TestCapacityFromFlowLogs(t *testing.T) {
	tuple := func(ms int64, src string, sport int, state string) string {
		return fmt.Sprintf("%q", fmt.Sprintf("%d,%s,52.1.2.3,%d,443,6,O,%s,NX,0,0,0,0", ms, src, sport, state))
	}
	t0 := int64(1746352800000)
	tuples := []string{
		tuple(t0, "10.2.1.4", 50001, "B"), tuple(t0+1000, "10.2.1.4", 50002, "B"), tuple(t0+2000, "10.2.1.4", 50003, "B"),
		tuple(t0+3000, "10.2.1.4", 50001, "E"), tuple(t0+4000, "10.2.1.4", 50002, "E"), tuple(t0+5000, "10.2.1.4", 50003, "E"),
		tuple(t0+6000, "10.2.1.4", 50004, "B"), tuple(t0+7000, "10.2.1.4", 50004, "E"),
		tuple(t0, "10.99.0.9", 40000, "B"), tuple(t0+1000, "10.99.0.9", 40000, "E"),
	}
	log := `{"records": [{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": "00224800FFFF", "category": "FlowLogFlowEvent",
  "operationName": "FlowLogFlowEvent", "flowRecords": {"flows": [{"aclID": "a", "flowGroups": [{"rule": "DefaultRule_AllowInternetOutBound",
  "flowTuples": [` + strings.Join(tuples, ",") + `]}]}]}}]}`
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "PT1H.json"), []byte(log), 0o600))
	code, out, stderr := egress("capacity", "--flows", dir, "-o", "json")
	require.Equal(t, 0, code, stderr)
	var doc struct {
		Pools []struct {
			Name       string `json:"name"`
			Peak       int    `json:"peak"`
			Exhausting []struct {
				Source     string `json:"source"`
				Concurrent int    `json:"concurrent"`
			} `json:"exhausting"`
		} `json:"pools"`
		Peaks          int      `json:"peaks"`
		UnknownSources []string `json:"unknownSources"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc), out)
	require.Len(t, doc.Pools, 1)
	assert.Equal(t, "natgw-batch", doc.Pools[0].Name)
	assert.Equal(t, 3, doc.Pools[0].Peak)
	assert.Equal(t, "vm-batch-01-nic", doc.Pools[0].Exhausting[0].Source)
	assert.Equal(t, 2, doc.Peaks)
	assert.Equal(t, []string{"10.99.0.9 (MAC 00224800FFFF)"}, doc.UnknownSources)
}
