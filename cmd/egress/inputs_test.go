package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const nsgSnapshot = "../../topology/testdata/corpus/snapshot-nsg/"

// TestTopologyDirectory: a directory stands for its .json, .yaml and .yml
// files, sorted; the answer is that of the files named one by one.
func TestTopologyDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"vnet.json", "nsg-subnet2.json", "vm2-nic.json"} {
		b, err := os.ReadFile(nsgSnapshot + f)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, f), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.md"), []byte("not an input"), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.json"), 0o755))

	args := []string{"trace", "--from", "vm2-nic", "--to", "93.184.216.34:443"}
	code, want, _ := egress(append(args, "--topology", filepath.Join(dir, "nsg-subnet2.json"), "--topology", filepath.Join(dir, "vm2-nic.json"), "--topology", filepath.Join(dir, "vnet.json"))...)
	require.Equal(t, 0, code)
	code, out, stderr := egress(append(args, "--topology", dir)...)
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, out)
	assert.Contains(t, stderr, filepath.Join(dir, "nsg-subnet2.json")+":11:7:", "positions name the file in the directory")

	code, _, stderr = egress("validate", "--topology", t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "a directory with no .json, .yaml or .yml file")
}

// TestTopologyStdin: - reads the design from standard input, once.
func TestTopologyStdin(t *testing.T) {
	code, out, stderr := egressIn(string(designs.HubSpoke), "trace", "--topology", "-", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	_, want, _ := egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443")
	assert.Equal(t, want, out)

	// whatif loads twice, stdin is read once.
	code, out, stderr = egressIn(string(designs.HubSpoke), "whatif", "--topology", "-", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--sample")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vm-batch-01-nic -> 52.0.0.1/443 Tcp")

	code, out, _ = egressIn("egress: v1\nvnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: s, prefix: 10.9.0.0/24}]}]\n", "validate", "--topology", "-")
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "<stdin>:2:58: ")
	code, _, stderr = egressIn("egress: v1\nvnets: [\n", "validate", "--topology", "-")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "<stdin>:2")
	code, _, stderr = egress("validate", "--topology", "-", "--topology", "-")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "more than once")
}

// TestEnvironment: EGRESS_TOPOLOGY (a path list) stands for --topology and
// EGRESS_SERVICE_TAGS for --service-tags; the flags win.
func TestEnvironment(t *testing.T) {
	files := []string{nsgSnapshot + "vnet.json", nsgSnapshot + "nsg-subnet2.json", nsgSnapshot + "vm2-nic.json"}
	t.Setenv(envTopology, strings.Join(files, string(os.PathListSeparator))+string(os.PathListSeparator))
	code, out, stderr := egress("validate")
	assert.Equal(t, 1, code, stderr)
	assert.Contains(t, out, `priority "5"`)
	code, out, stderr = egress("validate", "--topology", write(t, "d.yaml", string(designs.HubSpoke)))
	assert.Equal(t, 0, code, "--topology wins: %s", stderr)
	assert.Contains(t, out, "valid: 4 VNets")

	t.Setenv(envTopology, "")
	t.Setenv(envServiceTags, filepath.Join(t.TempDir(), "missing.json"))
	code, _, stderr = egress("validate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "missing.json")
	code, _, stderr = egress("validate", "--service-tags", "../../servicetag/testdata/nope.json")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "nope.json", "--service-tags wins")
}

// --overlay takes a directory: its overlays, applied in name order, as if
// each were given; an empty directory is an input error (exit 2).
func TestOverlayDirectory(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile("../../examples/overlays/batch-behind-firewall.yaml")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "10-batch.yaml"), data, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not an overlay"), 0o644))
	_, want, _ := egress("whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--from", "vm-batch-01-nic")
	code, got, stderr := egress("whatif", "--overlay", dir, "--from", "vm-batch-01-nic")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, got)
	assert.Contains(t, got, "vm-batch-01-nic")

	code, _, stderr = egress("whatif", "--overlay", t.TempDir())
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "a directory with no .json, .yaml or .yml file")
}
