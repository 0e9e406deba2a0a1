package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReachHostConditioned: the hub firewall's application rules appear in
// a NIC's map as flows conditioned on the server name, in the table and in
// JSON, each with a witness that names the host; --hosts=false and --host
// leave them out.
func TestReachHostConditioned(t *testing.T) {
	args := []string{"reach", "--from", "vm-app-01-nic", "--to", "52.0.0.0/8", "--port", "443", "--protocol", "tcp"}
	code, out, stderr := egress(args...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "Flows whose outcome depends on the server name they give")
	assert.Regexp(t, `\*\.contoso\.com \(x\.contoso\.com\) +Allowed +AzureFirewall +Tcp +443 +52\.0\.0\.0/9 .* +Denied +52\.0\.0\.0 Tcp/443 .*contoso-apis`, out)
	assert.Regexp(t, `api\.partner\.example +Allowed +AzureFirewall`, out)
	assert.Regexp(t, `any other \(other\.invalid\) +Unknown`, out, "WindowsUpdate's FQDN tag cannot be resolved offline")

	code, out, stderr = egress(append(args, "-o", "json")...)
	require.Equal(t, 0, code, stderr)
	var doc struct {
		HostConditioned []struct {
			Pattern, Host, Firewall, Rule string
			WithoutHost                   struct{ Verdict string } `json:"withoutHost"`
			WithHost                      struct {
				Verdict      string
				EgressMethod string
				EgressIPs    []string `json:"egressIpAddresses"`
			} `json:"withHost"`
			Witness struct {
				FQDN string `json:"fqdn"`
				Port int    `json:"port"`
			} `json:"witness"`
		} `json:"hostConditioned"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	require.Len(t, doc.HostConditioned, 3)
	c := doc.HostConditioned[0]
	assert.Equal(t, "*.contoso.com", c.Pattern)
	assert.Equal(t, "x.contoso.com", c.Host)
	assert.Equal(t, "fw-hub", c.Firewall)
	assert.Contains(t, c.Rule, "contoso-apis")
	assert.Equal(t, "Denied", c.WithoutHost.Verdict)
	assert.Equal(t, "Allowed", c.WithHost.Verdict)
	assert.Equal(t, []string{"20.81.10.1", "20.81.10.2"}, c.WithHost.EgressIPs)
	assert.Equal(t, 443, c.Witness.Port)

	for _, extra := range [][]string{{"--hosts=false"}, {"--host", "x.contoso.com"}} {
		code, out, stderr = egress(append(args, extra...)...)
		require.Equal(t, 0, code, stderr)
		assert.NotContains(t, out, "depends on the server name", "%v", extra)
	}
	// A NIC whose flows reach no firewall has none.
	code, out, _ = egress("reach", "--from", "vm-batch-01-nic")
	require.Equal(t, 0, code)
	assert.NotContains(t, out, "depends on the server name")
}
