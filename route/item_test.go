package route_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/route"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type itemTags map[string][]netip.Prefix

func (m itemTags) ServiceTag(name string) ([]netip.Prefix, string, bool) {
	ps, ok := m[name]
	return ps, "", ok
}

// Item is shared by the routes of one configured item (every prefix of a
// service-tag route) and differs between items.
func TestRouteItem(t *testing.T) {
	tb, err := route.Compile(route.Config{Name: "s", AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")},
		Tags: itemTags{"Storage": {netip.MustParsePrefix("20.38.0.0/16"), netip.MustParsePrefix("20.60.0.0/16")}},
		RouteTable: &route.RouteTable{Name: "rt", Routes: []route.UserRoute{
			{Name: "tag", AddressPrefix: "Storage", NextHopType: "Internet"},
			{Name: "one", AddressPrefix: "52.0.0.0/8", NextHopType: "None"},
		}}})
	require.NoError(t, err)
	items := map[string][]int{}
	for _, r := range tb.Routes() {
		if r.Source() == route.SourceUser {
			items[r.Name()] = append(items[r.Name()], r.Item())
		}
	}
	require.Len(t, items["tag"], 2)
	require.Len(t, items["one"], 1)
	assert.Equal(t, items["tag"][0], items["tag"][1], "one tag route, one item")
	assert.NotEqual(t, items["tag"][0], items["one"][0])
	m, ok := tb.Lookup(netip.MustParseAddr("20.60.1.1"))
	require.True(t, ok)
	assert.Equal(t, items["tag"][0], m.Route(0).Item())
}
