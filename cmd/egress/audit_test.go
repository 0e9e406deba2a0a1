package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAuditTable(t *testing.T) {
	code, out, stderr := egress("audit")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	assert.Regexp(t, `^Severity +Check +Scope +NICs +Finding$`, lines[0])
	assert.Equal(t, "probed 52.0.0.1: outbound Tcp/443 Tcp/80 Tcp/22 Tcp/25 Tcp/445 Tcp/3389 Udp/53 Udp/123; inbound Tcp/22 Tcp/3389 Udp/3389", lines[len(lines)-3])
	assert.Equal(t, "19 findings: 8 high, 5 medium, 6 low", lines[len(lines)-2])
	assert.Equal(t, "AI services accounts restricted: 1 of 3; web apps whose internet traffic enters their VNet: 1 of 1; perimeter associations enforced: 1 of 3", lines[len(lines)-1])
	require.Len(t, lines, 19+4, "one line per finding, plus the header, the probes, the count and the PaaS figures")
	assert.Regexp(t, `^high +direct-internet +vnet-spoke-batch/snet-batch +1: vm-batch-01-nic +reaches the internet without passing a firewall or appliance \(proved over every address, protocol and port\): Tcp 1-24,26-65535, Udp 1-65535 to `, findLine(lines, "direct-internet", "vnet-spoke-batch/snet-batch "))
	assert.Regexp(t, `^medium +ai-outbound-unrestricted +vision-legacy +- +restrictOutboundNetworkAccess is off`, findLine(lines, "ai-outbound-unrestricted", "vision-legacy"))
	assert.Regexp(t, `^medium +perimeter-not-enforced +nsp-data/foundry-research +- +perimeter association of foundry-research is not enforced`, findLine(lines, "perimeter-not-enforced", "foundry"))
	assert.Regexp(t, `^high +vnet-tag-widened +vnet-spoke-app/snet-app +2: vm-app-01-nic, vm-app-02-nic +the VirtualNetwork service tag reaches beyond the VNet and its peers: 0\.0\.0\.0/0 `, findLine(lines, "vnet-tag-widened", "snet-app"))
	assert.NotContains(t, out, "any port")

	// Same input, same bytes.
	_, again, _ := egress("audit")
	assert.Equal(t, out, again)
}

func findLine(lines []string, check, also string) string {
	for _, l := range lines {
		if strings.Contains(l, " "+check+" ") && strings.Contains(l, also) {
			return l
		}
	}
	return ""
}

func TestAuditJSON(t *testing.T) {
	code, out, stderr := egress("audit", "-o", "json")
	require.Equal(t, 0, code, stderr)
	var rep simulate.AuditReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	assert.Equal(t, simulate.AuditSchemaVersion, rep.SchemaVersion)
	assert.Equal(t, simulate.AuditProbes(), rep.Probes)
	require.Len(t, rep.Findings, 19)
	assert.Equal(t, 19, rep.Summary.Findings)
	assert.Equal(t, 1, rep.Summary.ByCheck[simulate.CheckAINoOwner], "vision-legacy has no owner tag")
	var raw struct {
		SchemaVersion int              `json:"schemaVersion"`
		Findings      []map[string]any `json:"findings"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	assert.Equal(t, 1, raw.SchemaVersion)
	for _, f := range raw.Findings {
		for _, k := range []string{"check", "severity", "scope", "message", "nicCount", "nics"} {
			assert.Contains(t, f, k)
		}
		assert.Contains(t, []any{"high", "medium", "low"}, f["severity"])
	}
	for _, f := range rep.Findings {
		if f.Check == simulate.CheckDirectInternet && f.Scope.Name == "vnet-spoke-batch/snet-batch" {
			assert.Equal(t, simulate.ScopeSubnet, f.Scope.Kind)
			assert.Equal(t, []simulate.NICRef{
				{Name: "vm-batch-01-nic", ID: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/networkInterfaces/vm-batch-01-nic"},
			}, f.NICs)
			assert.Len(t, f.Probes, 8)
			require.NotNil(t, f.Witness, "the finding is proved on the egress map, with a witness")
			assert.Equal(t, "Source vm-batch-01-nic (10.2.1.4) -> Internet (52.0.0.1)", f.Witness.Path)
			assert.Equal(t, simulate.MethodNATGateway, f.Witness.Method)
			assert.NotEmpty(t, f.Classes)
		}
	}
	_, again, _ := egress("audit", "-o", "json")
	assert.Equal(t, out, again, "same input, same bytes")
}

func TestAuditFailOn(t *testing.T) {
	code, _, stderr := egress("audit", "--fail-on", "high")
	assert.Equal(t, 1, code, "the default design has high findings")
	assert.Contains(t, stderr, "findings at or above high")
	code, out, _ := egress("audit", "--fail-on", "HIGH", "-o", "json")
	assert.Equal(t, 1, code)
	assert.True(t, json.Valid([]byte(out)), "the report is printed before the command fails")
	code, _, _ = egress("audit", "--fail-on", "none")
	assert.Equal(t, 0, code)
	code, _, stderr = egress("audit", "--fail-on", "critical")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown severity "critical": want none, low, medium or high`)

	// A design whose worst finding is medium.
	design := filepath.Join(t.TempDir(), "ai.yaml")
	require.NoError(t, os.WriteFile(design, []byte(`egress: v1
location: eastus
vnets:
  - {name: v, addressSpace: [10.1.0.0/16], subnets: [{name: s, prefix: 10.1.1.0/24}]}
aiAccounts:
  - {name: vision, kind: ComputerVision}
`), 0o644))
	for sev, want := range map[string]int{"high": 0, "medium": 1, "low": 1, "none": 0} {
		code, out, stderr := egress("audit", "--topology", design, "--fail-on", sev)
		assert.Equal(t, want, code, "--fail-on %s: %s%s", sev, out, stderr)
	}
}

// Issue 9: 10,000 NICs gave 21,000 lines. The table has one line per
// finding; the JSON keeps every NIC.
func TestAuditManyNICs(t *testing.T) {
	nics := 2000
	if testing.Short() {
		nics = 500
	}
	var b strings.Builder
	b.WriteString("egress: v1\nlocation: eastus\nvnets:\n  - name: v\n    addressSpace: [10.1.0.0/16]\n    subnets:\n")
	b.WriteString("      - {name: a, prefix: 10.1.0.0/20, nsg: nsg}\n      - {name: b, prefix: 10.1.16.0/20}\n")
	b.WriteString("nsgs:\n  - name: nsg\n    rules:\n      - {name: ssh, priority: 100, direction: Inbound, access: Allow, protocol: Tcp, source: Internet, destinationPorts: \"22\"}\n")
	b.WriteString("nics:\n")
	for i := range nics {
		sub, base := "a", 0
		if i%2 == 1 {
			sub, base = "b", 16
		}
		fmt.Fprintf(&b, "  - {name: nic-%d, subnet: v/%s, ip: 10.1.%d.%d}\n", i, sub, base+i/2/250, 4+i/2%250)
	}
	design := filepath.Join(t.TempDir(), "many.yaml")
	require.NoError(t, os.WriteFile(design, []byte(b.String()), 0o644))

	code, out, stderr := egress("audit", "--topology", design)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	assert.LessOrEqual(t, len(lines), 10, "findings per subnet or VNet, not per NIC:\n%s", out)
	// Subnet a's NSG keeps 0.0.0.0/8 in (its Internet tag does not hold
	// it), subnet b has no NSG: their classes differ, one line each.
	// The line names a subnet's first three NICs in name order.
	first3 := func(odd int) string {
		var names []string
		for i := odd; i < nics; i += 2 {
			names = append(names, fmt.Sprintf("nic-%d", i))
		}
		slices.Sort(names)
		return strings.Join(names[:3], ", ")
	}
	assert.Regexp(t, fmt.Sprintf(`direct-internet +v/a +%d: %s, … `, nics/2, first3(0)), out)
	assert.Regexp(t, fmt.Sprintf(`direct-internet +v/b +%d: %s, … `, nics/2, first3(1)), out)
	assert.Regexp(t, fmt.Sprintf(`nsg-allows-internet-inbound +nsg/ssh +%d: %s, … `, nics/2, first3(0)), out)

	code, out, _ = egress("audit", "--topology", design, "-o", "json")
	require.Equal(t, 0, code)
	var rep simulate.AuditReport
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	for _, f := range rep.Findings {
		if f.Check == simulate.CheckDirectInternet {
			assert.Len(t, f.NICs, nics/2, "-o json keeps every NIC")
		}
	}
}

// TestAuditProgressBar: the bar draws on a writer it is given; in a pipe
// (the tests' stderr) audit prints nothing on stderr.
func TestAuditProgressBar(t *testing.T) {
	var b strings.Builder
	p := progressBar(&b, "auditing NICs")
	p(256, 600)
	p(600, 600)
	assert.Contains(t, b.String(), "auditing NICs")
	assert.Contains(t, b.String(), "(256/600)")
	assert.True(t, strings.HasSuffix(b.String(), "\r"), "cleared when done")

	e := &env{stderr: os.Stderr, getenv: func(k string) string {
		if k == "CI" {
			return "true"
		}
		return ""
	}}
	assert.Nil(t, e.progress("x"), "never in CI")
	e = &env{stderr: &b, getenv: func(string) string { return "" }}
	assert.Nil(t, e.progress("x"), "not a terminal")

	code, _, stderr := egress("audit")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
}
