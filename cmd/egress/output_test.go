package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// dataVerbs are the commands that print data, with arguments that make each
// succeed on the embedded design.
var dataVerbs = append(append([][]string{}, verbs...),
	[]string{"list", "nics"}, []string{"list", "subnets"}, []string{"list", "vnets"},
	[]string{"list", "firewalls"}, []string{"list", "route-tables"}, []string{"list", "nsgs"},
)

// TestJSONAndYAMLAgree: -o yaml is the -o json document, field for field,
// and every JSON document is an object with schemaVersion (or an array of
// them).
func TestJSONAndYAMLAgree(t *testing.T) {
	for _, v := range append(dataVerbs, []string{"version"}, []string{"trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:53", "--protocol", "any"}) {
		code, js, stderr := egress(append(v, "-o", "json")...)
		require.Equal(t, 0, code, "%v: %s", v, stderr)
		code, ys, stderr := egress(append(v, "-o", "yaml")...)
		require.Equal(t, 0, code, "%v: %s", v, stderr)
		var y any
		require.NoError(t, yaml.Unmarshal([]byte(ys), &y), "%v", v)
		b, err := json.Marshal(y)
		require.NoError(t, err)
		assert.JSONEq(t, js, string(b), "%v", v)

		var doc any
		require.NoError(t, json.Unmarshal([]byte(js), &doc))
		objects := []any{doc}
		if a, ok := doc.([]any); ok {
			objects = a
		}
		for _, o := range objects {
			m, ok := o.(map[string]any)
			require.True(t, ok, "%v: an object", v)
			assert.Equal(t, float64(1), m["schemaVersion"], "%v", v)
		}
	}
}

// TestTSVAndNoHeaders: -o tsv prints the rows alone, tab-separated with the
// same number of cells on each line; --no-headers drops the table's header.
func TestTSVAndNoHeaders(t *testing.T) {
	for _, v := range dataVerbs {
		code, out, stderr := egress(append(v, "-o", "tsv")...)
		require.Equal(t, 0, code, "%v: %s", v, stderr)
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		cells := strings.Count(lines[0], "\t")
		for _, l := range lines {
			assert.Equal(t, cells, strings.Count(l, "\t"), "%v: %q", v, l)
			assert.NotContains(t, l, "\x1b[", "no colour in tsv")
		}
	}
	for _, v := range [][]string{{"routes", "--nic", "vm-app-01-nic"}, {"list", "nics"}, {"audit"}} {
		_, with, _ := egress(v...)
		code, without, _ := egress(append(v, "--no-headers")...)
		require.Equal(t, 0, code)
		first, rest, _ := strings.Cut(with, "\n")
		assert.Equal(t, squeeze(rest), squeeze(without), "%v: the rows, aligned without the header", v)
		assert.NotContains(t, without, first, "%v", v)
	}
	_, with, _ := egress("rules", "--nic", "vm-data-01-nic")
	_, without, _ := egress("rules", "--nic", "vm-data-01-nic", "--no-headers")
	assert.Contains(t, with, "Name  ")
	assert.NotContains(t, without, "Name  ")
	assert.Contains(t, without, "NSG nsg-data (subnet)")
}

// TestColour: only on a terminal, never with NO_COLOR or TERM=dumb.
func TestColour(t *testing.T) {
	environ := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	require.NoError(t, err)
	defer f.Close()
	assert.False(t, useColour(f, environ()), "a file is not a terminal")
	assert.False(t, useColour(&strings.Builder{}, environ()))
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		defer tty.Close()
		assert.True(t, useColour(tty, environ()))
		assert.False(t, useColour(tty, environ("NO_COLOR", "1")))
		assert.False(t, useColour(tty, environ("TERM", "dumb")))
	}
	e := &env{colour: true}
	assert.Equal(t, "\x1b[32mAllowed\x1b[0m: leaves", e.paintVerdict("Allowed: leaves"))
	assert.Equal(t, "\x1b[31mDenied\x1b[0m: by", e.paintVerdict("Denied: by"))
	e.colour = false
	assert.Equal(t, "Allowed: leaves", e.paintVerdict("Allowed: leaves"))
	_, out, _ := egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443")
	assert.NotContains(t, out, "\x1b[", "not a terminal")
}

func TestList(t *testing.T) {
	code, out, stderr := egress("list", "nics")
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `(?m)^Name +Resource Group +VNet +Subnet +Private IPs +NSG +Subnet NSG +Route Table +Egress +Internet$`, out)
	assert.Regexp(t, `(?m)^vm-batch-01-nic +design +vnet-spoke-batch +snet-batch +10\.2\.1\.4 +- +- +- +NATGateway +Allowed$`, out)
	assert.Regexp(t, `(?m)^vm-app-01-nic +design +vnet-spoke-app +snet-app +10\.1\.1\.4 +- +nsg-app +rt-spoke-to-fw +AzureFirewall +Denied$`, out)

	code, out, _ = egress("list", "nics", "--vnet", "vnet-spoke-batch", "-o", "json")
	require.Equal(t, 0, code)
	var doc struct {
		SchemaVersion int       `json:"schemaVersion"`
		Kind          string    `json:"kind"`
		Items         []nicItem `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	assert.Equal(t, "nics", doc.Kind)
	require.Len(t, doc.Items, 2)
	assert.Equal(t, "vm-batch-01-nic", doc.Items[0].Name)
	assert.Equal(t, []string{"10.2.1.4"}, doc.Items[0].PrivateIPs)
	assert.Equal(t, "NATGateway", doc.Items[0].EgressMethod)

	code, out, _ = egress("list", "nics", "--subnet", "snet-app", "-o", "tsv")
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(out, "\n"))
	code, out, _ = egress("list", "nic", "--subnet", "vnet-spoke-app/snet-data", "--no-headers")
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(out, "\n"), "an alias")

	code, out, _ = egress("list", "nics", "vm-app-01-nic", "VM-BATCH-01-NIC", "--no-headers")
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(out, "\n"), "NAME arguments")
	code, out, _ = egress("list", "subnets", "snet-app", "vnet-hub/GatewaySubnet", "-o", "tsv")
	require.Equal(t, 0, code)
	assert.Equal(t, 2, strings.Count(out, "\n"), "a subnet by its name or VNET/SUBNET")

	code, out, _ = egress("list", "route-tables")
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)^rt-spoke-to-fw +design +2 +disabled +vnet-spoke-app/snet-app,vnet-spoke-app/snet-appsvc,vnet-spoke-app/snet-data$`, out)
	code, out, _ = egress("list", "firewalls")
	require.Equal(t, 0, code)
	assert.Regexp(t, `(?m)^fw-hub +design +vnet-hub +10\.0\.1\.4 +fwpol-hub +pip-fw-01,pip-fw-02$`, out)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "what to list: nics, subnets"},
		{[]string{"list", "nix"}, "Did you mean this?\n\tnics\n"},
		{[]string{"list", "nics", "--vnet", "vnet-spoke-ap"}, "--vnet: no VNet named \"vnet-spoke-ap\"\n\nDid you mean this?\n\tvnet-spoke-app\n"},
		{[]string{"list", "nics", "--subnet", "snet-bach"}, "Did you mean this?\n\tsnet-batch\n"},
		{[]string{"list", "vnets", "--subnet", "x"}, "unknown flag: --subnet"},
		{[]string{"list", "fw", "fw-hb"}, "no firewall named \"fw-hb\"\n\nDid you mean this?\n\tfw-hub\n"},
		{[]string{"list", "vnets", "vnet-hbu"}, "Did you mean this?\n\tvnet-hub\n"},
		{[]string{"list", "subnets", "snet-shraed"}, "Did you mean this?\n\tsnet-shared\n"},
	} {
		code, _, stderr := egress(tc.args...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, stderr, tc.want, "%v", tc.args)
	}
}

// squeeze collapses the runs of spaces that align a table's columns.
func squeeze(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// trace --from takes any flow source of the design: an AI services
// account's call is decided by its allowedFqdnList and printed by the name
// given, a web app's routed traffic walks its integration subnet, and an
// unknown source suggests the names of every kind (issue 13).
func TestTraceFromPaaS(t *testing.T) {
	code, out, stderr := egress("trace", "--from", "oai-contoso", "--to", "evil.example:443")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(out, "oai-contoso -> evil.example Tcp/443\nDenied: "), out)
	assert.Contains(t, out, "AllowedFqdnList oai-contoso")

	code, out, stderr = egress("trace", "--from", "oai-contoso", "--to", "search-contoso.search.windows.net:443", "-o", "json")
	require.Equal(t, 0, code, stderr)
	var r struct {
		Verdict string `json:"verdict"`
		Flow    struct {
			FQDN string `json:"fqdn"`
		} `json:"flow"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Equal(t, "Allowed", r.Verdict)
	assert.Equal(t, "search-contoso.search.windows.net", r.Flow.FQDN)

	code, out, stderr = egress("trace", "--from", "app-orders", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Denied: denied by the Azure Firewall")
	assert.Contains(t, out, "outboundVnetRouting.allTraffic")

	code, _, stderr = egress("trace", "--from", "app-ordrs", "--to", "52.1.2.3:443")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "Did you mean this?\n\tapp-orders")

	// A container group's flow walks its delegated subnet and leaves through
	// its NAT gateway (container-instances-nat-gateway); its address is a
	// destination (issue 13 item 4).
	code, out, stderr = egress("trace", "--from", "aci-batch-jobs", "--to", "52.1.2.3:443")
	require.Equal(t, 0, code, stderr)
	assert.True(t, strings.HasPrefix(out, "aci-batch-jobs -> 52.1.2.3 Tcp/443\nAllowed: "), out)
	assert.Contains(t, out, " 1. Source aci-batch-jobs (10.2.2.4)\n")
	assert.Contains(t, out, "egress: NATGateway 20.81.20.1\n")
	code, out, stderr = egress("trace", "--from", "vm-batch-01-nic", "--to", "10.2.2.4:8080")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, " 2. Destination aci-batch-jobs (10.2.2.4)\n")
	code, _, stderr = egress("trace", "--from", "aci-batch-job", "--to", "52.1.2.3:443")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "Did you mean this?\n\taci-batch-jobs")
	assert.Equal(t, 1, strings.Count(stderr, "unknown flow source"), "the error once")
}
