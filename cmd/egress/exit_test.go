package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func write(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

const armVNet = `{"value": [{"id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v", "name": "v",
  "type": "Microsoft.Network/virtualNetworks", "location": "eastus",
  "properties": {"addressSpace": {"addressPrefixes": [%q]}, "subnets": [{"name": "s", "properties": {"addressPrefix": %q}}]}}]}`

// TestExitCodes: 2 for every input that cannot be read or parsed, JSON and
// YAML alike (a YAML syntax error exited 1 and a JSON one 2); 1 only for the
// problems validate finds in a network that loaded.
func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		name, file, content string
		code                int
		want                string
	}{
		{"YAML syntax", "d.yaml", "egress: v1\nvnets: [\n", 2, "d.yaml:2: syntax error"},
		{"YAML unknown field", "d.yaml", "egress: v1\ncolour: blue\n", 2, `unknown field: "colour"`},
		{"YAML bad integer", "d.yaml", "egress: v1\nnsgs: [{name: n, rules: [{name: r, priority: 1e2}]}]\n", 2, `priority "1e2": invalid value`},
		{"YAML bad prefix", "d.yaml", "egress: v1\nvnets: [{name: v, addressSpace: [10.0.0.0/33]}]\n", 2, `not a CIDR prefix`},
		{"YAML invalid UTF-8", "d.yaml", "egress: v1\nname: caf\xe9\n", 2, "d.yaml:2:10: syntax error: invalid UTF-8"},
		{"JSON syntax", "e.json", `{"value": [}`, 2, "e.json:1:12: invalid JSON: invalid character"},
		{"JSON invalid UTF-8", "e.json", "{\"value\": [\"\xff\"]}", 2, "e.json:1:13: invalid JSON: invalid UTF-8 in string"},
		{"JSON bad prefix", "e.json", fmt.Sprintf(armVNet, "10.0.0.0/33", "10.0.0.0/24"), 2, "not a CIDR prefix"},
		{"YAML network problem", "d.yaml", "egress: v1\nvnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: s, prefix: 10.9.0.0/24}]}]\n", 1, "outside the VNet's address space"},
		{"JSON network problem", "e.json", fmt.Sprintf(armVNet, "10.0.0.0/16", "10.9.0.0/24"), 1, "outside the VNet's address space"},
	} {
		path := write(t, tc.file, tc.content)
		code, out, stderr := egress("validate", "--topology", path)
		assert.Equal(t, tc.code, code, "%s: %s%s", tc.name, out, stderr)
		assert.Contains(t, out+stderr, tc.want, tc.name)
		if tc.code == 2 {
			// The other commands exit 2 on any problem of their input.
			code, _, _ = egress("routes", "--nic", "x", "--topology", path)
			assert.Equal(t, 2, code, tc.name)
		}
	}
	code, _, _ := egress("routes", "--nic", "x", "--topology", write(t, "d.yaml", "egress: v1\nvnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: s, prefix: 10.9.0.0/24}]}]\n"))
	assert.Equal(t, 2, code, "a command that needs a valid network")
}

// TestExitCodesAfterOverlays: an overlay that cannot be applied is an input
// error (2); the problems of the network it leaves are validate's (1).
func TestExitCodesAfterOverlays(t *testing.T) {
	code, _, stderr := egress("validate", "--overlay", write(t, "o.yaml", "egress: overlay/v1\nchanges:\n  - setNic: {nic: ghost}\n"))
	assert.Equal(t, 2, code, stderr)
	code, out, _ := egress("validate", "--overlay", write(t, "o.yaml", "egress: overlay/v1\nchanges:\n  - setSubnet: {subnet: vnet-hub/AzureFirewallSubnet, nsg: nsg-app}\n"))
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "Azure does not support an NSG on AzureFirewallSubnet")

	// A learned-routes file larger than the limit is refused by its size,
	// unread (a sparse file).
	big := filepath.Join(t.TempDir(), "routes.json")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(topology.MaxFileSize+1))
	require.NoError(t, f.Close())
	code, _, stderr = egress("validate", "--learned-routes", "vpngw-hub="+big)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "input too large: more than 256 MiB")
}

// TestProblemCount: past the cap of 200 listed problems, the count is of
// every problem (it counted the "... and N more" line as one).
func TestProblemCount(t *testing.T) {
	var b strings.Builder
	b.WriteString("egress: v1\nvnets:\n  - name: v\n    addressSpace: [10.0.0.0/16]\n    subnets:\n")
	for i := range 250 {
		fmt.Fprintf(&b, "      - {name: s%d, prefix: 10.9.%d.0/24}\n", i, i)
	}
	path := write(t, "d.yaml", b.String())
	code, out, _ := egress("validate", "--topology", path)
	assert.Equal(t, 1, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 202)
	assert.Equal(t, "... and 50 more problems", lines[200])
	assert.Equal(t, "250 problems", lines[201])

	code, out, _ = egress("validate", "--topology", path, "-o", "json")
	assert.Equal(t, 1, code)
	var res validateResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Len(t, res.Problems, 200)
	assert.Equal(t, 250, res.ProblemCount)

	code, out, _ = egress("validate", "-o", "json")
	assert.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.True(t, res.Valid)
	assert.Equal(t, 0, res.ProblemCount)
}

// TestRejectedResource: a resource Azure would reject (an NSG rule of
// priority 5) is a problem for validate (1), a warning for the other
// commands, which answer Unknown for the flows it decides, and refused by
// them with --strict (2).
func TestRejectedResource(t *testing.T) {
	nsgDir := "../../topology/testdata/corpus/snapshot-nsg/"
	files := []string{"--topology", nsgDir + "vnet.json", "--topology", nsgDir + "nsg-subnet2.json", "--topology", nsgDir + "vm2-nic.json"}
	code, out, _ := egress(append([]string{"validate"}, files...)...)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, `priority "5": invalid priority: want 100..4096`)

	trace := append([]string{"trace", "--from", "vm2-nic", "--to", "93.184.216.34:443"}, files...)
	code, out, stderr := egress(trace...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, `warning: `+nsgDir+`nsg-subnet2.json:11:7:`)
	assert.Contains(t, stderr, "short resource ID", "the snapshot's short IDs are warnings too")
	assert.Contains(t, out, "Unknown")
	assert.Contains(t, out, "NSG-SUBNET2")

	code, _, stderr = egress(append(trace, "--strict")...)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `priority "5"`)
}
