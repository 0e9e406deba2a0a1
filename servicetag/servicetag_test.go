package servicetag_test

import (
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/egresslab/egress/servicetag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docExample is the minimal example of the file's shape in the spec
// (azure-semantics.md §5), with documentation ranges.
const docExample = `{
  "changeNumber": 7,
  "cloud": "Public",
  "values": [
    {
      "name": "AzureCloud",
      "id": "AzureCloud",
      "properties": {
        "changeNumber": 4,
        "region": "",
        "regionId": 0,
        "platform": "Azure",
        "systemService": "",
        "addressPrefixes": ["192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"],
        "networkFeatures": ["API", "NSG"]
      }
    },
    {
      "name": "AzureCloud.eastus",
      "id": "AzureCloud.eastus",
      "properties": {
        "changeNumber": 2,
        "region": "eastus",
        "regionId": 32,
        "platform": "Azure",
        "systemService": "",
        "addressPrefixes": ["192.0.2.0/25"],
        "networkFeatures": ["API", "NSG"]
      }
    },
    {
      "name": "Storage",
      "id": "Storage",
      "properties": {
        "changeNumber": 3,
        "region": "",
        "regionId": 0,
        "platform": "Azure",
        "systemService": "AzureStorage",
        "addressPrefixes": ["192.0.2.0/26", "198.51.100.128/25"],
        "networkFeatures": ["API", "NSG", "UDR", "FW", "VSE"]
      }
    },
    {
      "name": "Storage.EastUS",
      "id": "Storage.EastUS",
      "properties": {
        "changeNumber": 1,
        "region": "eastus",
        "regionId": 32,
        "platform": "Azure",
        "systemService": "AzureStorage",
        "addressPrefixes": ["192.0.2.0/26"],
        "networkFeatures": null
      }
    }
  ]
}`

// pfxs parses prefixes for expected values.
func pfxs(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

func mustParse(t testing.TB, s string) *servicetag.Set {
	t.Helper()
	set, err := servicetag.Parse(strings.NewReader(s))
	require.NoError(t, err)
	require.NotNil(t, set)
	return set
}

func defaultSet(t testing.TB) *servicetag.Set {
	t.Helper()
	set, err := servicetag.Default()
	require.NoError(t, err)
	require.NotNil(t, set)
	return set
}

func TestParseDocExample(t *testing.T) {
	set := mustParse(t, docExample)
	assert.Equal(t, 7, set.ChangeNumber())
	assert.Equal(t, "Public", set.Cloud())
	assert.Equal(t, 4, set.Len())
	assert.Equal(t, []string{"AzureCloud", "AzureCloud.eastus", "Storage", "Storage.EastUS"}, set.Names())

	tests := []struct {
		name     string
		want     []netip.Prefix
		region   string
		regionID int
		service  string
		change   int
		features servicetag.Features
	}{
		{"AzureCloud", pfxs("192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"), "", 0, "", 4, servicetag.API | servicetag.NSG},
		{"AzureCloud.eastus", pfxs("192.0.2.0/25"), "eastus", 32, "", 2, servicetag.API | servicetag.NSG},
		{"Storage", pfxs("192.0.2.0/26", "198.51.100.128/25"), "", 0, "AzureStorage", 3,
			servicetag.API | servicetag.NSG | servicetag.UDR | servicetag.FW | servicetag.VSE},
		{"Storage.EastUS", pfxs("192.0.2.0/26"), "eastus", 32, "AzureStorage", 1, 0},
	}
	for _, tt := range tests {
		got, region, ok := set.ServiceTag(tt.name)
		require.True(t, ok, "ServiceTag(%q)", tt.name)
		assert.Equal(t, tt.want, got, "ServiceTag(%q)", tt.name)
		assert.Equal(t, tt.region, region, "ServiceTag(%q)", tt.name)

		tag, ok := set.Tag(tt.name)
		require.True(t, ok, "Tag(%q)", tt.name)
		assert.Equal(t, tt.name, tag.Name())
		assert.Equal(t, tt.region, tag.Region())
		assert.Equal(t, tt.regionID, tag.RegionID())
		assert.Equal(t, tt.service, tag.SystemService())
		assert.Equal(t, tt.change, tag.ChangeNumber())
		assert.Equal(t, tt.features, tag.Features(), "Tag(%q).Features()", tt.name)
		assert.Equal(t, tt.want, tag.Prefixes())
	}
}

// The counts of the embedded 2025-11-09 file, from azure-semantics.md §5,
// counted again with an independent tool.
func TestDefault(t *testing.T) {
	set := defaultSet(t)
	assert.Equal(t, 376, set.ChangeNumber())
	assert.Equal(t, "Public", set.Cloud())
	assert.Equal(t, 3041, set.Len())

	var v4, v6, dotted int
	features := map[servicetag.Features]int{}
	for tag := range set.All() {
		if strings.Contains(tag.Name(), ".") {
			dotted++
		}
		prefixes, _, ok := set.ServiceTag(tag.Name())
		require.True(t, ok)
		for _, p := range prefixes {
			if p.Addr().Is4() {
				v4++
			} else {
				v6++
			}
		}
		for _, f := range []servicetag.Features{servicetag.API, servicetag.NSG, servicetag.UDR, servicetag.FW, servicetag.VSE} {
			if tag.Features().Has(f) {
				features[f]++
			}
		}
	}
	assert.Equal(t, 71348, v4, "IPv4 prefixes")
	assert.Equal(t, 24475, v6, "IPv6 prefixes")
	assert.Equal(t, 2947, dotted, "dotted names")
	assert.Equal(t, map[servicetag.Features]int{
		servicetag.NSG: 1506, servicetag.API: 1300, servicetag.FW: 969, servicetag.UDR: 968, servicetag.VSE: 9,
	}, features)

	for name, want := range map[string]int{
		"AzureCloud":        13155,
		"Storage":           574,
		"Storage.EastUS":    124,
		"AzureCloud.eastus": 527,
	} {
		prefixes, _, ok := set.ServiceTag(name)
		require.True(t, ok, "ServiceTag(%q)", name)
		assert.Len(t, prefixes, want, "ServiceTag(%q)", name)
	}

	// Default parses once.
	again, err := servicetag.Default()
	require.NoError(t, err)
	assert.Same(t, set, again)
}

func TestDefaultKnownTags(t *testing.T) {
	set := defaultSet(t)

	tag, ok := set.Tag("Storage.EastUS")
	require.True(t, ok)
	assert.Equal(t, "Storage.EastUS", tag.Name())
	assert.Equal(t, "eastus", tag.Region())
	assert.Equal(t, 32, tag.RegionID())
	assert.Equal(t, "AzureStorage", tag.SystemService())
	assert.Equal(t, 48, tag.ChangeNumber())
	assert.Equal(t, servicetag.API|servicetag.NSG|servicetag.UDR|servicetag.FW, tag.Features())
	assert.Equal(t, "13.68.163.32/28", tag.Prefixes()[0].String())

	// The first and last prefixes of AzureCloud in the file.
	cloud, region, ok := set.ServiceTag("AzureCloud")
	require.True(t, ok)
	assert.Equal(t, "", region)
	assert.Contains(t, cloud, netip.MustParsePrefix("4.144.0.0/17"))
	assert.Contains(t, cloud, netip.MustParsePrefix("2a01:111:f403:f910::/62"))

	// Dotted but global: the region comes from the file, not the name.
	for _, name := range []string{"AzureFrontDoor.Frontend", "AzureActiveDirectory.ServiceEndpoint", "AzureMonitor.Core"} {
		prefixes, region, ok := set.ServiceTag(name)
		require.True(t, ok, name)
		assert.Equal(t, "", region, name)
		assert.NotEmpty(t, prefixes, name)
	}

	// The regional tags of one family spell regions differently.
	_, region, ok = set.ServiceTag("AzureCloud.eastus")
	require.True(t, ok)
	assert.Equal(t, "eastus", region)
}

func TestCaseInsensitive(t *testing.T) {
	set := defaultSet(t)
	want, _, ok := set.ServiceTag("Storage.EastUS")
	require.True(t, ok)
	for _, name := range []string{"storage.eastus", "STORAGE.EASTUS", "Storage.eastus", "sToRaGe.EaStUs"} {
		got, region, ok := set.ServiceTag(name)
		require.True(t, ok, "ServiceTag(%q)", name)
		assert.Equal(t, "eastus", region)
		assert.Equal(t, want, got, "ServiceTag(%q)", name)
		tag, ok := set.Tag(name)
		require.True(t, ok, "Tag(%q)", name)
		assert.Equal(t, "Storage.EastUS", tag.Name(), "Tag(%q) keeps the file's spelling", name)
	}
	for _, name := range []string{"AzureCloud.EastUS", "azurecloud.EASTUS"} {
		_, region, ok := set.ServiceTag(name)
		require.True(t, ok, "ServiceTag(%q)", name)
		assert.Equal(t, "eastus", region)
	}
	// Longer than the lookup's stack buffer, and not ASCII: a miss, not a crash.
	for _, name := range []string{strings.Repeat("Storage", 20), "Störage", "", "Storage.", " Storage"} {
		_, _, ok := set.ServiceTag(name)
		assert.False(t, ok, "ServiceTag(%q)", name)
	}
}

func TestVirtual(t *testing.T) {
	set := defaultSet(t)
	for _, name := range []string{
		"VirtualNetwork", "Internet", "AzureLoadBalancer",
		"AzurePlatformDNS", "AzurePlatformIMDS", "AzurePlatformLKM",
		"virtualnetwork", "INTERNET", "azureloadbalancer", "azureplatformdns",
	} {
		assert.True(t, servicetag.IsVirtual(name), "IsVirtual(%q)", name)
		prefixes, region, ok := set.ServiceTag(name)
		assert.False(t, ok, "ServiceTag(%q)", name)
		assert.Nil(t, prefixes)
		assert.Equal(t, "", region)
		tag, ok := set.Tag(name)
		assert.False(t, ok, "Tag(%q)", name)
		assert.Equal(t, servicetag.Tag{}, tag)
	}
	for _, name := range []string{"Storage", "AzureCloud", "VirtualNetwork.eastus", "", "Internet2"} {
		assert.False(t, servicetag.IsVirtual(name), "IsVirtual(%q)", name)
	}
}

// Every tag's prefixes are valid, masked, sorted IPv4 first, and without
// duplicates; names are sorted and unique, in any case.
func TestDefaultInvariants(t *testing.T) {
	set := defaultSet(t)
	names := set.Names()
	require.Len(t, names, set.Len())
	assert.True(t, slices.IsSortedFunc(names, func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	}), "Names() sorted by lower-case name")
	i := 0
	for tag := range set.All() {
		require.Equal(t, names[i], tag.Name(), "All() and Names() agree")
		i++
		ps, _, _ := set.ServiceTag(tag.Name())
		for j, p := range ps {
			require.True(t, p.IsValid())
			require.Equal(t, p.Masked(), p, "%s: %s", tag.Name(), p)
			if j > 0 {
				require.Equal(t, -1, ps[j-1].Compare(p), "%s: %s before %s", tag.Name(), ps[j-1], p)
			}
		}
	}
	assert.Equal(t, names, set.Names(), "Names() is deterministic")
}

// The slice ServiceTag returns is shared, but appending to it copies.
func TestServiceTagSharedSlice(t *testing.T) {
	set := mustParse(t, docExample)
	cloud, _, _ := set.ServiceTag("AzureCloud")
	require.Len(t, cloud, 3)
	assert.Equal(t, len(cloud), cap(cloud))
	_ = append(cloud, netip.MustParsePrefix("203.0.113.0/24"))
	eastus, _, _ := set.ServiceTag("AzureCloud.eastus")
	assert.Equal(t, pfxs("192.0.2.0/25"), eastus, "append to one tag's slice leaves the next tag alone")

	tag, _ := set.Tag("AzureCloud")
	copied := tag.Prefixes()
	copied[0] = netip.MustParsePrefix("203.0.113.0/24")
	again, _, _ := set.ServiceTag("AzureCloud")
	assert.Equal(t, "192.0.2.0/24", again[0].String(), "Prefixes() returns a copy")

	dst := pfxs("10.0.0.0/8")
	dst = tag.AppendPrefixes(dst)
	assert.Equal(t, pfxs("10.0.0.0/8", "192.0.2.0/24", "198.51.100.0/24", "2001:db8::/32"), dst)
}

func TestZeroValues(t *testing.T) {
	var set servicetag.Set
	assert.Equal(t, 0, set.Len())
	assert.Equal(t, 0, set.ChangeNumber())
	assert.Equal(t, "", set.Cloud())
	assert.Empty(t, set.Names())
	_, _, ok := set.ServiceTag("Storage")
	assert.False(t, ok)
	_, ok = set.Tag("Storage")
	assert.False(t, ok)
	for range set.All() {
		t.Fatal("zero Set has a tag")
	}

	var tag servicetag.Tag
	assert.Equal(t, "", tag.Name())
	assert.Equal(t, "", tag.Region())
	assert.Equal(t, 0, tag.RegionID())
	assert.Equal(t, "", tag.SystemService())
	assert.Equal(t, 0, tag.ChangeNumber())
	assert.Equal(t, servicetag.Features(0), tag.Features())
	assert.Empty(t, tag.Prefixes())
	assert.Equal(t, pfxs("10.0.0.0/8"), tag.AppendPrefixes(pfxs("10.0.0.0/8")))
}

// Parse sorts, removes duplicates, and accepts what the real files never
// contain but JSON allows: escapes, other key order, keys in other case,
// unknown keys, empty and null lists.
func TestParseNormalises(t *testing.T) {
	set := mustParse(t, `{"values": [
		{"properties": {"addressPrefixes": ["2001:db8::/48", "198.51.100.0/24", "192.0.2.0/24", "192.0.2.0/25", "192.0.2.0/24"],
		                "region": "EastUS", "future": {"x": [1, 2]}},
		 "id": "B", "name": "B"},
		{"NAME": "a", "Id": "a", "properties": {"addressPrefixes": ["\u0031\u0039\u0032.0.2.0/24", "2001:DB8::/32"], "networkFeatures": []}},
		{"name": "c", "id": "c", "properties": {"addressPrefixes": null}},
		{"name": "d", "id": "d", "properties": {"addressPrefixes": []}}
	], "cloud": "Test", "extra": null, "changeNumber": 0}`)
	assert.Equal(t, []string{"a", "B", "c", "d"}, set.Names())
	b, region, ok := set.ServiceTag("b")
	require.True(t, ok)
	assert.Equal(t, "eastus", region, "region is lower-cased")
	assert.Equal(t, pfxs("192.0.2.0/24", "192.0.2.0/25", "198.51.100.0/24", "2001:db8::/48"), b)
	a, _, _ := set.ServiceTag("A")
	assert.Equal(t, pfxs("192.0.2.0/24", "2001:db8::/32"), a)
	for _, name := range []string{"c", "d"} {
		ps, _, ok := set.ServiceTag(name)
		assert.True(t, ok)
		assert.Empty(t, ps)
	}
}

// A UTF-8 byte-order mark, as some Windows tools write, is ignored.
func TestParseByteOrderMark(t *testing.T) {
	set := mustParse(t, "\ufeff"+docExample)
	assert.Equal(t, 4, set.Len())
	_, err := servicetag.Parse(strings.NewReader("\ufeff{\n  \"changeNumber\": -1, \"cloud\": \"x\", \"values\": []}"))
	assert.EqualError(t, err, "2:19: changeNumber: invalid service-tags file: -1 is negative")
}

func TestParseFileGovernment(t *testing.T) {
	// testdata/ServiceTags_AzureGovernment_slice.json.gz: six tags of
	// ServiceTags_AzureGovernment.json (changeNumber 401, download id 57063),
	// copied from the project's shared/data folder; gzip-compressed input.
	set, err := servicetag.ParseFile("testdata/ServiceTags_AzureGovernment_slice.json.gz")
	require.NoError(t, err)
	assert.Equal(t, "AzureGovernment", set.Cloud())
	assert.Equal(t, 401, set.ChangeNumber())
	assert.Equal(t, []string{
		"ActionGroup", "ActionGroup.USGovVirginia", "AzureFrontDoor.MicrosoftSecurity",
		"Sql.USGovVirginia", "Storage", "Storage.USGovVirginia",
	}, set.Names())

	tag, ok := set.Tag("storage.usgovvirginia")
	require.True(t, ok)
	assert.Equal(t, "usgovvirginia", tag.Region())
	assert.Equal(t, 42, tag.RegionID())
	assert.Equal(t, "AzureStorage", tag.SystemService())
	assert.Equal(t, "API,NSG,UDR,FW", tag.Features().String())
	assert.Len(t, tag.Prefixes(), 20)
	assert.Equal(t, "13.72.43.16/28", tag.Prefixes()[0].String())

	storage, _ := set.Tag("Storage")
	assert.True(t, storage.Features().Has(servicetag.VSE))
	group, _ := set.Tag("ActionGroup.USGovVirginia")
	assert.Equal(t, servicetag.Features(0), group.Features(), "networkFeatures null")
	fd, _ := set.Tag("AzureFrontDoor.MicrosoftSecurity")
	assert.Equal(t, "", fd.Region())
	assert.Equal(t, servicetag.API|servicetag.NSG|servicetag.UDR|servicetag.FW, fd.Features(), "file order NSG,API,UDR,FW")
}

func TestNoAllocs(t *testing.T) {
	set := defaultSet(t)
	for _, name := range []string{"Storage.EastUS", "storage.eastus", "AzureCloud", "NoSuchTag"} {
		var ok bool
		allocs := testing.AllocsPerRun(100, func() {
			_, _, ok = set.ServiceTag(name)
		})
		assert.Zero(t, allocs, "ServiceTag(%q) allocates", name)
		assert.Equal(t, name != "NoSuchTag", ok, "ServiceTag(%q)", name)
		allocs = testing.AllocsPerRun(100, func() {
			_, ok = set.Tag(name)
		})
		assert.Zero(t, allocs, "Tag(%q) allocates", name)
	}
}

func TestDefaultConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	sets := make([]*servicetag.Set, 8)
	for i := range sets {
		wg.Go(func() {
			set, err := servicetag.Default()
			if err == nil {
				sets[i] = set
				set.ServiceTag("Storage")
			}
		})
	}
	wg.Wait()
	for _, s := range sets {
		assert.Same(t, sets[0], s)
	}
}

func TestFeatures(t *testing.T) {
	all := servicetag.API | servicetag.NSG | servicetag.UDR | servicetag.FW | servicetag.VSE
	tests := []struct {
		f    servicetag.Features
		want string
	}{
		{0, ""},
		{servicetag.API, "API"},
		{servicetag.VSE | servicetag.API, "API,VSE"},
		{all, "API,NSG,UDR,FW,VSE"},
		{all | 0x80, "API,NSG,UDR,FW,VSE,0x80"},
		{0x40, "0x40"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.f.String(), "Features(%#x).String()", uint8(tt.f))
		b, err := tt.f.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, tt.want, string(b))
		if tt.f&^all != 0 {
			continue
		}
		var back servicetag.Features
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, tt.f, back, "UnmarshalText(%q)", b)
	}

	var f servicetag.Features
	require.NoError(t, f.UnmarshalText([]byte(" fw , nsg,VSE ")))
	assert.Equal(t, servicetag.FW|servicetag.NSG|servicetag.VSE, f)
	assert.True(t, f.Has(servicetag.NSG|servicetag.FW))
	assert.False(t, f.Has(servicetag.NSG|servicetag.API))
	assert.True(t, f.Has(0))

	err := f.UnmarshalText([]byte("NSG,XYZ"))
	require.Error(t, err)
	assert.Equal(t, `servicetag: unknown network feature "XYZ" in "NSG,XYZ" (want API, NSG, UDR, FW or VSE)`, err.Error())
	assert.Equal(t, servicetag.FW|servicetag.NSG|servicetag.VSE, f, "unchanged after an error")
	require.Error(t, f.UnmarshalText([]byte("NSG,")))
}
