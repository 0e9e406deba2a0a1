package main

import (
	"encoding/xml"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckCommand(t *testing.T) {
	// The overlay path is relative to the check file.
	code, out, stderr := egress("check", "testdata/check/policy.yaml")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "3 checks: 3 passed, 0 failed")

	fail := write(t, "fail.yaml", `egress: check/v1
checks:
  - name: the app tier leaves directly
    flow: {from: vm-app-01-nic, to: 52.1.2.3, port: 443}
    expect: {verdict: Allowed, notThrough: [fw-hub]}
`)
	code, out, stderr = egress("check", fail)
	assert.Equal(t, 1, code)
	assert.Contains(t, out, "FAIL  the app tier leaves directly")
	assert.Contains(t, out, "want verdict Allowed")
	assert.Contains(t, stderr, "1 of 1 checks failed")

	code, out, _ = egress("check", fail, "-o", "junit")
	assert.Equal(t, 1, code)
	var doc struct {
		Failures int `xml:"failures,attr"`
	}
	require.NoError(t, xml.Unmarshal([]byte(out), &doc))
	assert.Equal(t, 1, doc.Failures)

	bad := write(t, "bad.yaml", "egress: check/v1\nchecks:\n  - name: x\n")
	code, _, stderr = egress("check", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "bad.yaml:3:")
	assert.Contains(t, stderr, "exactly one of flow")

	code, out, _ = egress("schema", "check-file")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, `"check/v1"`)
}

func TestGraphCommand(t *testing.T) {
	code, out, stderr := egress("graph")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "digraph egress {")
	code, out, _ = egress("graph", "-o", "mermaid", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "flowchart LR")
	assert.Contains(t, out, "NATGateway 20.81.20.1")
	code, _, stderr = egress("graph", "--from", "vm-batch-01-nic")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--from and --to go together")
	code, _, _ = egress("graph", "-o", "svg")
	assert.Equal(t, 2, code)
}

func TestWhatIfMarkdown(t *testing.T) {
	code, out, stderr := egress("whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--sample", "-o", "markdown")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "### egress what-if: ../../examples/overlays/batch-behind-firewall.yaml")
	assert.Contains(t, out, "| From | To | What | Before | After | Cause |")
	assert.Contains(t, out, "| vm-batch-01-nic | 52.0.0.1 Tcp/443 | verdict, egressMethod")

	// By default, exactly: every set of flows that changes, with a witness.
	code, out, stderr = egress("whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "-o", "markdown")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "### egress what-if (exact): ../../examples/overlays/batch-behind-firewall.yaml")
	assert.Contains(t, out, "| From | Flows | Before | After | Witness | Cause |")
	assert.Contains(t, out, "| vm-batch-01-nic | Tcp 1-24,26-65535 to 0.0.0.0/5 8.0.0.0/7 11.0.0.0/8 ... (86 prefixes) | Allowed via NATGateway 20.81.20.1 | Denied via None | 1.0.0.1 Tcp/443 |")
}

func TestDiffCommand(t *testing.T) {
	data, err := os.ReadFile("../../examples/designs/hubspoke.yaml")
	require.NoError(t, err)
	after := write(t, "after.yaml", strings.Replace(string(data), "        natGateway: natgw-batch\n", "", 1))
	code, out, stderr := egress("diff", "--topology", "../../examples/designs/hubspoke.yaml", "--with", after, "--sample", "-o", "markdown")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "**2 of 72 flows change.**")
	assert.Contains(t, out, "| vm-batch-01-nic | 52.0.0.1 Tcp/443 | egressMethod, egressIpAddresses, path | Allowed via NATGateway 20.81.20.1 | Allowed via DefaultOutbound |")
	code, _, stderr = egress("diff")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--with is required")
}

// TestWhatIfExact: the egress maps find what the probes miss: behind its
// NAT gateway, the legacy subnet's ESP and AH no longer leave.
func TestWhatIfExact(t *testing.T) {
	code, out, stderr := egress("whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--exact")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vm-legacy-01-nic: Esp,Ah,other - to 0.0.0.0/5")
	assert.Contains(t, out, "after:  NoEgress via None")
	assert.Contains(t, out, "NAT gateway natgw-legacy does not carry Esp")
	assert.Contains(t, out, "sets of flows change, over every destination of 8 NICs")
	code, probed, _ := egress("whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--sample")
	require.Equal(t, 0, code)
	assert.NotContains(t, probed, "Esp", "the probes are TCP 443 and UDP 53")

	// Exact is the default: --exact changes nothing, and refuses the
	// options that choose other flows.
	code, plain, _ := egress("whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml")
	require.Equal(t, 0, code)
	assert.Equal(t, out, plain)
	for _, extra := range [][]string{{"--sample"}, {"--to", "52.1.2.3:443"}, {"--flows", "../../flowlog/testdata"}} {
		code, _, stderr = egress(append([]string{"whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--exact"}, extra...)...)
		assert.Equal(t, 2, code, "%v", extra)
		assert.Contains(t, stderr, "--exact compares every flow", "%v", extra)
	}
	code, _, stderr = egress("whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--sample", "--flows", "../../flowlog/testdata")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--sample and --flows")
}

// TestDiffTerraformPlan: what a Terraform plan changes for traffic, before
// it is applied: the app NIC's direct internet access becomes forced
// through the hub firewall, probed and exactly.
func TestDiffTerraformPlan(t *testing.T) {
	state, plan := "../../topology/testdata/terraform/state.json", "../../topology/testdata/terraform/plan.json"
	code, out, stderr := egress("diff", "--topology", state, "--with", plan, "--sample")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vm-app-01-nic -> 52.0.0.1/443 Tcp\n  before: Allowed via DefaultOutbound\n  after:  Denied via None")
	code, out, stderr = egress("diff", "--base", state, "--with", plan, "--exact", "--from", "vm-app-01-nic")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "before: Allowed via DefaultOutbound")
	assert.Contains(t, out, `route 0.0.0.0/0 -> VirtualAppliance ("default-via-fw")`)
}
