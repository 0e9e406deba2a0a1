package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// egress runs the CLI in-process and returns its exit code and outputs.
func egress(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	code, _, stderr := egress()
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "usage: egress <command>")
	code, _, stderr = egress("frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)
	code, _, _ = egress("routes", "--nic", "vm-app-01-nic", "-o", "yaml")
	assert.Equal(t, 2, code)
	code, _, stderr = egress("routes")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--nic is required")
}

func TestRoutesDefaultDesign(t *testing.T) {
	code, out, stderr := egress("routes", "--nic", "vm-app-01-nic")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "User     Active   0.0.0.0/0")
	assert.Contains(t, out, "VirtualNetworkServiceEndpoint")

	code, out, _ = egress("routes", "--nic", "vm-app-01-nic", "-o", "json")
	require.Equal(t, 0, code)
	var list route.EffectiveRouteList
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	assert.NotEmpty(t, list.Value)
	assert.True(t, strings.HasPrefix(out, "{\n  \"nextLink\": null,\n  \"value\": ["), "az's JSON shape")

	// Deterministic output.
	_, again, _ := egress("routes", "--nic", "vm-app-01-nic", "-o", "json")
	assert.Equal(t, out, again)
}

func TestRoutesUnknownNIC(t *testing.T) {
	code, _, stderr := egress("routes", "--nic", "nope")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `no NIC named "nope"; the model has: pe-sql.nic, vm-app-01-nic`)
}

func TestValidate(t *testing.T) {
	code, out, _ := egress("validate")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "valid: 4 VNets")

	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("egress: v1\nvnets:\n  - name: v\n    addressSpace: [10.0.0.0/16]\n    subnets: [{name: s, prefix: 10.9.0.0/24}]\n"), 0o644))
	code, out, _ = egress("validate", "--topology", bad)
	assert.Equal(t, 1, code, "problems exit 1")
	assert.Contains(t, out, "bad.yaml:5:")
	assert.Contains(t, out, "outside the VNet's address space")
	assert.Contains(t, out, "1 problems")

	code, out, _ = egress("validate", "--topology", bad, "-o", "json")
	assert.Equal(t, 1, code)
	var res validateResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.False(t, res.Valid)
	assert.Len(t, res.Problems, 1)

	code, _, stderr := egress("validate", "--topology", filepath.Join(dir, "missing.yaml"))
	assert.Equal(t, 2, code, "unreadable input exits 2")
	assert.Contains(t, stderr, "missing.yaml")
}
