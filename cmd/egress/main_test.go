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
	return egressIn("", args...)
}

// egressIn runs the CLI with stdin as its standard input.
func egressIn(stdin string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	code, _, stderr := egress()
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "Usage:\n  egress <command> [flags]")
	code, _, stderr = egress("frobnicate")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `unknown command "frobnicate"`)
	code, _, stderr = egress("routes", "--nic", "vm-app-01-nic", "-o", "xml")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `-o "xml": want table`)
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

func TestTrace(t *testing.T) {
	code, out, stderr := egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Allowed: leaves to the internet")
	assert.Contains(t, out, "egress: NATGateway 20.81.20.1")

	code, out, _ = egress("trace", "--from", "vm-app-01-nic", "--to", "52.1.2.3:443", "-o", "json")
	require.Equal(t, 0, code)
	var r map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	for _, k := range []string{"schemaVersion", "verdict", "egressMethod", "egressIpAddresses", "hops", "assumptions"} {
		assert.Contains(t, r, k)
	}
	assert.Equal(t, "Public changeNumber 376", r["serviceTags"], "results say which tag file they used")
	assert.Equal(t, "Denied", r["verdict"], "the hub firewall's policy has no rule for a nameless HTTPS flow")
	assert.Equal(t, "AzureFirewall fw-hub: no rule matched (default deny)", r["decidedBy"])
	code, out, _ = egress("trace", "--from", "vm-app-01-nic", "--to", "api.contoso.com:443", "--resolve", "api.contoso.com=52.1.2.3", "-o", "json")
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Equal(t, "Allowed", r["verdict"], "allowed by contoso-apis; the WindowsUpdate FQDN-tag rule before it cannot be decided offline but would also allow")
	assert.Equal(t, "AzureFirewall", r["egressMethod"])
	code, out, _ = egress("trace", "--from", "vm-app-01-nic", "--to", "52.1.2.3:443", "-o", "json", "--firewall", "allow")
	require.Equal(t, 0, code)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Equal(t, "Allowed", r["verdict"])
	assert.Equal(t, "AzureFirewall", r["egressMethod"])
	assert.Equal(t, []any{"20.81.10.1", "20.81.10.2"}, r["egressIpAddresses"])

	code, out, _ = egress("trace", "--from", "vm-batch-01-nic", "--to", "api.example.com:443", "--resolve", "api.example.com=52.9.9.9", "--protocol", "any", "-o", "json")
	require.Equal(t, 0, code)
	var rs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &rs))
	require.Len(t, rs, 3, "tcp, udp and icmp")
	assert.Equal(t, "NoEgress", rs[2]["verdict"], "ICMP does not go through a NAT gateway")

	for mode, want := range map[string]string{"unknown": "Unknown", "allowed": "Allowed", "blocked": "NoEgress"} {
		code, out, _ = egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:25", "--smtp", mode, "-o", "json")
		require.Equal(t, 0, code)
		require.NoError(t, json.Unmarshal([]byte(out), &r))
		assert.Equal(t, want, r["verdict"], "TCP 25 with --smtp %s", mode)
	}
	code, _, stderr = egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:25", "--smtp", "maybe")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "want unknown, allowed or blocked")

	code, _, stderr = egress("trace", "--from", "vm-batch-01-nic", "--to", "api.example.com:443")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "no resolver")
	code, _, _ = egress("trace", "--from", "vm-batch-01-nic", "--to", "1.2.3.4:99999")
	assert.Equal(t, 2, code)

	// JSON is not HTML-escaped: "->" prints as it is.
	code, out, _ = egress("trace", "--from", "vm-partner-01-nic", "--to", "10.1.1.4:443", "-o", "json")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"decidedBy": "route 10.0.0.0/8 -> None (Default)"`)
	assert.NotContains(t, out, `\u003e`)

	// TCP and UDP need a destination port; ICMP and "any" do not.
	for _, args := range [][]string{{"--to", "52.1.2.3"}, {"--to", "52.1.2.3:0"}, {"--to", "52.1.2.3", "--protocol", "udp"}, {"--to", "[2001:db8::1]:0"}} {
		code, out, stderr = egress(append([]string{"trace", "--from", "vm-batch-01-nic"}, args...)...)
		assert.Equal(t, 2, code, "%v: %s", args, out)
		assert.Regexp(t, `needs a destination port|port 0`, stderr, "%v", args)
	}
	code, out, _ = egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3", "--protocol", "icmp")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "52.1.2.3 Icmp\n")
	code, out, stderr = egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3", "--protocol", "any", "-o", "json")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "tracing ICMP only")
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Equal(t, "Icmp", r["flow"].(map[string]any)["protocol"])
}

func TestNextHopAndVerify(t *testing.T) {
	code, out, _ := egress("next-hop", "--nic", "vm-batch-01-nic", "--dest-ip", "10.0.2.4", "-o", "json")
	require.Equal(t, 0, code)
	// Network Watcher's NextHopType enum has no peering value: VnetLocal.
	assert.JSONEq(t, `{"nextHopType":"VnetLocal","nextHopIpAddress":"","routeTableId":"System Route","schemaVersion":1}`, out)
	// routes keeps the effective-routes vocabulary.
	code, out, _ = egress("routes", "--nic", "vm-batch-01-nic", "-o", "json")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `"VNetPeering"`)
	for _, tc := range []struct{ nic, dst, want string }{
		{"vm-batch-01-nic", "52.1.2.3", "Internet"}, {"vm-app-01-nic", "52.1.2.3", "VirtualAppliance"},
		{"vm-partner-01-nic", "10.1.1.4", "None"}, {"vm-app-01-nic", "10.1.2.10", "VnetLocal"}, // the private endpoint's /32
		{"vm-shared-01-nic", "192.168.1.1", "VirtualNetworkGateway"},
	} {
		code, out, _ = egress("next-hop", "--nic", tc.nic, "--dest-ip", tc.dst, "-o", "json")
		require.Equal(t, 0, code)
		assert.Contains(t, out, `"nextHopType": "`+tc.want+`"`, "%s -> %s", tc.nic, tc.dst)
	}
	code, _, stderr := egress("next-hop", "--nic", "vm-batch-01-nic", "--dest-ip", "10.0.2.4", "--source-ip", "10.9.9.9")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "not an address of NIC")

	code, out, _ = egress("verify", "--nic", "vm-app-01-nic", "--direction", "Outbound", "--local", "10.1.1.4:50000", "--remote", "8.8.8.8:445", "-o", "json")
	require.Equal(t, 0, code)
	assert.JSONEq(t, `{"access":"Deny","ruleName":"securityRules/deny-smb-out","schemaVersion":1}`, out)
	code, out, _ = egress("verify", "--nic", "vm-app-01-nic", "--direction", "Outbound", "--local", "10.1.1.4:50000", "--remote", "8.8.8.8:443", "-o", "json")
	require.Equal(t, 0, code)
	assert.JSONEq(t, `{"access":"Allow","ruleName":"defaultSecurityRules/AllowVnetOutBound","schemaVersion":1}`, out, "the 0/0 UDR puts everything in VirtualNetwork (issue #22178)")
}

func TestRulesAndAudit(t *testing.T) {
	code, out, _ := egress("rules", "--nic", "vm-app-01-nic", "-o", "json")
	require.Equal(t, 0, code)
	var list map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	assert.Contains(t, list, "value")
	code, out, _ = egress("rules", "--nic", "vm-data-01-nic")
	require.Equal(t, 0, code)
	assert.Contains(t, out, "securityRules/allow-sql-from-app")
	assert.Contains(t, out, "asg-app")

	code, out, _ = egress("audit")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "default-outbound-access")
	code, _, _ = egress("audit", "--fail-on", "high")
	assert.Equal(t, 1, code, "high findings fail the command")
}

func TestWhatIfAndOverlay(t *testing.T) {
	overlay := filepath.Join("..", "..", "examples", "overlays", "batch-behind-firewall.yaml")
	code, out, stderr := egress("whatif", "--overlay", overlay, "--sample")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "vm-batch-01-nic -> 52.0.0.1/443 Tcp\n  before: Allowed via NATGateway 20.81.20.1\n  after:  Denied via None")
	assert.Contains(t, out, "vm-legacy-01-nic -> 52.0.0.1/443 Tcp\n  before: Allowed via DefaultOutbound\n  after:  Allowed via NATGateway 20.81.20.2")

	// The overlay also applies to any other command.
	code, out, _ = egress("trace", "--from", "vm-legacy-01-nic", "--to", "52.1.2.3:443", "--overlay", overlay)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "egress: NATGateway 20.81.20.2")

	code, _, stderr = egress("whatif")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "--overlay is required")
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("egress: overlay/v1\nchanges:\n  - setNic: {nic: ghost}\n"), 0o644))
	code, _, stderr = egress("trace", "--from", "vm-legacy-01-nic", "--to", "52.1.2.3:443", "--overlay", bad)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `bad.yaml:3:5: network interface "ghost": dangling reference`)
}
