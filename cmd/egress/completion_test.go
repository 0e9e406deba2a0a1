package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// complete runs cobra's completion entry point, as the shell scripts do,
// and returns the completions and the directive line.
func complete(t *testing.T, args ...string) ([]string, string) {
	t.Helper()
	code, out, stderr := egress(append([]string{"__complete"}, args...)...)
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[:len(lines)-1], lines[len(lines)-1]
}

func TestCompleteNames(t *testing.T) {
	const noFile = ":4" // ShellCompDirectiveNoFileComp
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"trace", "--from", "vm-b"}, []string{"vm-batch-01-nic"}},
		{[]string{"trace", "--from", "aci"}, []string{"aci-batch-jobs"}}, // a container group
		{[]string{"trace", "--from", "VM-APP"}, []string{"vm-app-01-nic", "vm-app-02-nic"}},
		{[]string{"routes", "--nic", "pe"}, []string{"pe-sql.nic"}},
		{[]string{"rules", "--nic="}, nil}, // every NIC: checked below
		{[]string{"whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--from", "vm-l"}, []string{"vm-legacy-01-nic"}},
		{[]string{"list", "nics", "--vnet", "vnet-s"}, []string{"vnet-spoke-app", "vnet-spoke-batch"}},
		{[]string{"list", "nics", "--subnet", "snet-b"}, []string{"snet-batch"}},
		{[]string{"list", "nics", "--subnet", "vnet-hub/"}, []string{"vnet-hub/AzureFirewallSubnet", "vnet-hub/GatewaySubnet", "vnet-hub/snet-shared"}},
		{[]string{"list", "subnets", "--vnet", "vnet-p"}, []string{"vnet-partner"}},
		{[]string{"list", "firewalls", "--vnet", "nope"}, []string{}},
		{[]string{"trace", "--topology", nsgSnapshot, "--from", "vm2"}, []string{"vm2-nic"}},                                                        // the design the flags name
		{[]string{"trace", "--topology", nsgSnapshot + "vnet.json", "--topology", nsgSnapshot + "vm2-nic.json", "--from", ""}, []string{"vm2-nic"}}, // parsed twice by cobra: each file once
		{[]string{"trace", "-o", "y"}, []string{"yaml"}},
		{[]string{"list", "firewalls", "f"}, []string{"fw-hub"}},
		{[]string{"list", "nsgs", "nsg-"}, []string{"nsg-app", "nsg-data", "nsg-shared"}},
		{[]string{"list", "route-tables", "rt-h"}, []string{"rt-hub-shared"}},
		{[]string{"list", "vnets", "vnet-h"}, []string{"vnet-hub"}},
		{[]string{"list", "subnets", "Gat"}, []string{"GatewaySubnet"}},
		{[]string{"trace", "--protocol", ""}, []string{"tcp", "udp", "icmp", "any"}},
		{[]string{"audit", "--fail-on", "h"}, []string{"high"}},
	} {
		got, directive := complete(t, tc.args...)
		assert.Equal(t, noFile, directive, "%v", tc.args)
		if tc.want != nil {
			if len(tc.want) == 0 {
				tc.want = []string{}
				got = append([]string{}, got...)
			}
			assert.Equal(t, tc.want, got, "%v", tc.args)
		}
	}
	got, _ := complete(t, "rules", "--nic", "")
	assert.Len(t, got, 8, "every NIC of the embedded design")

	// Verbs and list kinds, with their descriptions.
	got, _ = complete(t, "tr")
	assert.Equal(t, []string{"trace\tTrace a flow hop by hop: verdict, deciding rule, egress IP"}, got)
	got, _ = complete(t, "list", "r")
	require.Len(t, got, 1)
	assert.True(t, strings.HasPrefix(got[0], "route-tables\t"), got[0])

	// A design that cannot be loaded completes nothing, and says so.
	_, directive := complete(t, "trace", "--topology", "missing.yaml", "--from", "")
	assert.Equal(t, ":5", directive, "ShellCompDirectiveError|NoFileComp")
	// Files for the file flags.
	_, directive = complete(t, "trace", "--topology", "")
	assert.Equal(t, ":8", directive, "ShellCompDirectiveFilterFileExt")
}

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, stderr := egress("completion", shell)
		require.Equal(t, 0, code, stderr)
		assert.Contains(t, out, "__complete", shell)
		assert.Empty(t, stderr)
	}
	code, _, _ := egress("completion", "tcsh")
	assert.Equal(t, 2, code)
}
