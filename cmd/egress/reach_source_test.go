package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGoldenReachFrom: egress reach --from a container group and a web app
// (names, as trace --from takes them), in each output format, on the
// embedded design.
func TestGoldenReachFrom(t *testing.T) {
	for _, r := range [][]string{
		{"reach", "--from", "aci-batch-jobs", "--query", "direct-internet"},
		{"reach", "--from", "app-orders", "--to", "52.1.2.0/24", "--port", "443"},
	} {
		for _, format := range formatsData {
			code, out, stderr := egress(append(r, "-o", format)...)
			require.Equal(t, 0, code, "%v: %s", r, stderr)
			golden(t, filepath.Join("output", goldenName(r, "."+format)), out)
		}
	}
}

// TestReachFromCLI: a resource ID works as a name does; an AI services
// account has no map (exit 2, saying why); an unknown source suggests
// names of every kind.
func TestReachFromCLI(t *testing.T) {
	code, byName, stderr := egress("reach", "--from", "app-orders", "-o", "json")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, byName, `"sourceKind": "WebApp"`)
	code, byID, stderr := egress("reach", "--from", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Web/sites/app-orders", "-o", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, byName, byID)

	code, _, stderr = egress("reach", "--from", "oai-contoso")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "no egress map for this source: AI services account oai-contoso")
	assert.Contains(t, stderr, "egress trace --from oai-contoso --to NAME:PORT")

	code, _, stderr = egress("reach", "--from", "aci-batch-job")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "aci-batch-jobs")
}
