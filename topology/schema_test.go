package topology_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNativeSchemaCommitted keeps testdata/native.schema.json equal to what
// the decoder accepts; run with -update to rewrite it.
func TestNativeSchemaCommitted(t *testing.T) {
	got := topology.NativeSchema()
	var v map[string]any
	require.NoError(t, json.Unmarshal(got, &v))
	if *update {
		require.NoError(t, os.WriteFile("testdata/native.schema.json", got, 0o644))
	}
	want, err := os.ReadFile("testdata/native.schema.json")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "rerun with -update")
	props := v["properties"].(map[string]any)
	assert.Contains(t, props, "vnets")
	assert.Contains(t, props, "nsgs")
}
