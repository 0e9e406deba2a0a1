package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoutesNextHopKnownAfterApply: a plan's user route whose next hop IP
// address is known only after apply is listed as such, never with the
// compiled table's placeholder address (RFC 7600's 192.0.0.8), in the
// table, tsv and az's JSON shape.
func TestRoutesNextHopKnownAfterApply(t *testing.T) {
	args := []string{"routes", "--topology", tfTestdata + "nva-plan.json", "--nic", "nic-vm-a"}
	code, out, stderr := egress(args...)
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `User +Active +0\.0\.0\.0/0 +VirtualAppliance +\(known after apply\) +default-via-nva`, out)
	assert.NotContains(t, out, "192.0.0.8")

	code, out, stderr = egress(append(args, "-o", "tsv")...)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "User\tActive\t0.0.0.0/0\tVirtualAppliance\t(known after apply)\tdefault-via-nva")

	code, out, stderr = egress(append(args, "-o", "json")...)
	require.Equal(t, 0, code, stderr)
	assert.NotContains(t, out, "192.0.0.8")
	var doc struct {
		Value []struct {
			Name            *string  `json:"name"`
			NextHopType     string   `json:"nextHopType"`
			NextHopIP       []string `json:"nextHopIpAddress"`
			KnownAfterApply *bool    `json:"nextHopIpAddressKnownAfterApply"`
		} `json:"value"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	var user int
	for _, r := range doc.Value {
		if r.Name != nil && *r.Name == "default-via-nva" {
			user++
			assert.Equal(t, "VirtualAppliance", r.NextHopType)
			assert.NotNil(t, r.NextHopIP, "an empty list, as az gives for no address, not null")
			assert.Empty(t, r.NextHopIP)
			require.NotNil(t, r.KnownAfterApply)
			assert.True(t, *r.KnownAfterApply)
		} else {
			assert.Nil(t, r.KnownAfterApply, "only the unknown next hop carries the field: %v", r.Name)
		}
	}
	assert.Equal(t, 1, user)

	// A known next hop keeps az's exact shape, with no extra field.
	code, out, stderr = egress("routes", "--nic", "vm-app-01-nic", "-o", "json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, `"10.0.1.4"`)
	assert.NotContains(t, out, "KnownAfterApply")
}
