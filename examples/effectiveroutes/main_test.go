package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden pins the whole table and JSON output; run with -update after an
// intended change and review the diff.
func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		file   string
		asJSON bool
	}{{"table.golden", false}, {"routes.golden.json", true}} {
		var buf bytes.Buffer
		require.NoError(t, run(&buf, tc.asJSON))
		path := filepath.Join("testdata", tc.file)
		if *update {
			require.NoError(t, os.MkdirAll("testdata", 0o755))
			require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, string(want), buf.String(), "%s differs; rerun with -update if intended", tc.file)
	}
}

// TestDesign checks the behaviours the example is meant to show.
func TestDesign(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf, true))
	var list route.EffectiveRouteList
	require.NoError(t, json.Unmarshal(buf.Bytes(), &list))
	states := map[string]route.State{}
	for _, r := range list.Value {
		if r.NextHopType == route.VirtualNetworkGateway && r.AddressPrefix[0].String() == "10.1.8.0/24" {
			states["bgp-inside-peering"] = r.State
		}
		if r.Source == route.SourceDefault && r.NextHopType == route.Internet {
			states["default-internet"] = r.State
		}
		if r.Name != nil && *r.Name == "storage-eastus-direct" {
			assert.Equal(t, []string{"Storage.EastUS"}, r.DestinationServiceTags)
			assert.Greater(t, len(r.AddressPrefix), 100, "the tag expands to the real file's prefixes")
		}
	}
	assert.Equal(t, route.Invalid, states["bgp-inside-peering"], "BGP route inside the peered range is Invalid")
	assert.Equal(t, route.Invalid, states["default-internet"], "0/0 UDR overrides the Default Internet route")
}
