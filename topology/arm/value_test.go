package arm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func parsed(t *testing.T, in string) *Value {
	t.Helper()
	src, err := readSource("v.json", strings.NewReader(in))
	require.NoError(t, err)
	v, perr := parseTree(src) // ParseValue rejects duplicate keys; the tree keeps them
	require.Nil(t, perr)
	return v
}

// TestParseValueDuplicateKeys: ParseValue, whose callers read documents
// whole, rejects a key held twice, naming both positions.
func TestParseValueDuplicateKeys(t *testing.T) {
	_, err := ParseValue("v.json", strings.NewReader(`{"value": [{"nextHop": "a",`+"\n"+` "NextHop": "b"}]}`))
	require.ErrorIs(t, err, ErrFormat)
	assert.EqualError(t, err, `v.json:2:13: value[0].NextHop: unrecognized ARM JSON: duplicate object key "NextHop": also at v.json:1:24`)
}

func TestValueAccessors(t *testing.T) {
	v := parsed(t, `{"name": "n", "Priority": 100, "big": 1e2, "frac": 1.5, "huge": 1e300, "neg": -7,
		"on": true, "off": false, "nil": null, "list": [1, null, "x"], "esc": "a\"b\u00e9\ud83d\ude00", "utf8": "héllo",
		"properties": {"addressPrefix": "10.0.0.0/24", "nat": null}, "nat": {"id": "x"}}`)
	assert.Equal(t, KindObject, v.Kind())
	assert.Equal(t, Pos{File: "v.json", Line: 1, Col: 1}, v.Pos())

	s, ok := v.Get("name").Str()
	assert.True(t, ok)
	assert.Equal(t, "n", s)
	_, ok = v.Get("Priority").Str()
	assert.False(t, ok, "numbers are not strings")

	n, ok := v.Get("priority").Int() // case-insensitive
	assert.True(t, ok)
	assert.Equal(t, int64(100), n)
	n, ok = v.Get("big").Int()
	assert.True(t, ok)
	assert.Equal(t, int64(100), n)
	_, ok = v.Get("frac").Int()
	assert.False(t, ok)
	_, ok = v.Get("huge").Int()
	assert.False(t, ok)
	f, ok := v.Get("frac").Float()
	assert.True(t, ok)
	assert.Equal(t, 1.5, f)
	txt, _ := v.Get("big").Number()
	assert.Equal(t, "1e2", txt)
	n, _ = v.Get("neg").Int()
	assert.Equal(t, int64(-7), n)

	b, ok := v.Get("on").Bool()
	assert.True(t, ok && b)
	b, ok = v.Get("off").Bool()
	assert.True(t, ok && !b)
	_, ok = v.Get("name").Bool()
	assert.False(t, ok)

	assert.Nil(t, v.Get("nil"), "null reads as absent")
	assert.Nil(t, v.Get("missing"))
	assert.Equal(t, 3, v.Get("list").Len())
	assert.Equal(t, KindNull, v.Get("list").Index(1).Kind())
	assert.True(t, v.Get("list").Index(1).IsNull())
	assert.Nil(t, v.Get("list").Index(3))
	assert.Nil(t, v.Get("list").Index(-1))
	assert.Equal(t, Pos{File: "v.json", Line: 2, Col: 60}, v.Get("list").Index(2).Pos())

	esc, _ := v.Get("esc").Str()
	assert.Equal(t, "a\"bé😀", esc)
	u, _ := v.Get("utf8").Str()
	assert.Equal(t, "héllo", u)

	// Prop: properties.<name> first, then <name>; null is absent.
	p, _ := v.Prop("addressPrefix").Str()
	assert.Equal(t, "10.0.0.0/24", p)
	id, _ := v.Prop("nat").Get("id").Str()
	assert.Equal(t, "x", id, "null properties.nat falls back to the lifted nat")
	assert.Equal(t, "n", func() string { s, _ := v.Prop("NAME").Str(); return s }())

	assert.Equal(t, []string{"name", "Priority", "big", "frac", "huge", "neg", "on", "off", "nil", "list", "esc", "utf8", "properties", "nat"}, v.Keys())
	var keys []string
	for k, m := range v.Members() {
		keys = append(keys, k+"="+m.Kind().String())
		if k == "on" {
			break
		}
	}
	assert.Equal(t, []string{"name=string", "Priority=number", "big=number", "frac=number", "huge=number", "neg=number", "on=bool"}, keys)
	var elems []Kind
	for _, e := range v.Get("list").Elems() {
		elems = append(elems, e.Kind())
	}
	assert.Equal(t, []Kind{KindNumber, KindNull, KindString}, elems)
}

func TestValueExactKeyWins(t *testing.T) {
	v := parsed(t, `{"Name": "n", "x": null, "y": 2, "properties": {"Prefix": "p"}}`)
	s, _ := v.Get("name").Str()
	assert.Equal(t, "n", s, "case-insensitive")
	assert.Nil(t, v.Get("x"))
	s, _ = v.Prop("prefix").Str()
	assert.Equal(t, "p", s)
}

// TestValueDuplicateKeys: an object may hold a key twice (RFC 8259 §4 allows
// it); the parser keeps both, and lookups return the last, as encoding/json
// and Json.NET do. Keys that differ only in case are duplicates too, since
// lookups ignore case.
func TestValueDuplicateKeys(t *testing.T) {
	v := parsed(t, `{"Name": "upper", "name": "lower", "x": 1, "X": null, "a": [{"p": 1, "p": 2}]}`)
	s, _ := v.Get("name").Str()
	assert.Equal(t, "lower", s)
	s, _ = v.Get("NAME").Str()
	assert.Equal(t, "lower", s, "the last occurrence, whatever the spelling")
	assert.Nil(t, v.Get("x"), "the last occurrence is null")
	n, _ := v.Get("a").Index(0).Get("p").Int()
	assert.Equal(t, int64(2), n)
	assert.Equal(t, []string{"Name", "name", "x", "X", "a"}, v.Keys(), "every member is kept")
	assert.Equal(t, []DuplicateKey{
		{Key: "name", Path: "name", First: Pos{File: "v.json", Line: 1, Col: 10}, Pos: Pos{File: "v.json", Line: 1, Col: 27}, obj: 0, fold: foldHash("name")},
		{Key: "X", Path: "X", First: Pos{File: "v.json", Line: 1, Col: 41}, Pos: Pos{File: "v.json", Line: 1, Col: 49}, obj: 0, fold: foldHash("x")},
		{Key: "p", Path: "a[0].p", First: Pos{File: "v.json", Line: 1, Col: 67}, Pos: Pos{File: "v.json", Line: 1, Col: 75}, obj: 60, fold: foldHash("p")},
	}, duplicates(v, nil, nil))
}

// TestFoldKeys: duplicate detection folds case exactly as strings.EqualFold
// (the Kelvin sign folds to k), in small objects and in large ones (which
// use hashes).
func TestFoldKeys(t *testing.T) {
	for _, tc := range []struct{ a, b string }{{"name", "NAME"}, {"k", "\u212a"}, {"ſ", "S"}, {"priority", "Priority"}} {
		for _, pad := range []int{0, 20} {
			var b strings.Builder
			b.WriteString("{")
			for i := range pad {
				fmt.Fprintf(&b, `"pad%d": 0, `, i)
			}
			fmt.Fprintf(&b, `"%s": 1, "%s": 2}`, tc.a, tc.b)
			v := parsed(t, b.String())
			assert.True(t, v.dup, "%q and %q with %d other keys", tc.a, tc.b, pad)
			assert.Len(t, duplicates(v, nil, nil), 1)
		}
	}
	for _, k := range []string{"name", "Names", "nam", "ķ"} {
		v := parsed(t, fmt.Sprintf(`{"%s": 1, "name0": 2, "nAme": 3}`, k))
		assert.Equal(t, k == "name", v.dup, k)
	}
	assert.Equal(t, foldHash("PRIORITY"), foldHash("priority"))
	assert.NotEqual(t, foldHash("priority"), foldHash("priorities"))
}

func TestNilValue(t *testing.T) {
	var v *Value
	assert.Equal(t, KindAbsent, v.Kind())
	assert.Equal(t, Pos{}, v.Pos())
	assert.True(t, v.IsNull())
	_, ok := v.Str()
	assert.False(t, ok)
	_, ok = v.Bool()
	assert.False(t, ok)
	_, ok = v.Int()
	assert.False(t, ok)
	_, ok = v.Float()
	assert.False(t, ok)
	_, ok = v.Number()
	assert.False(t, ok)
	assert.Zero(t, v.Len())
	assert.Nil(t, v.Index(0))
	assert.Nil(t, v.Get("a"))
	assert.Nil(t, v.Prop("a").Prop("b"))
	assert.Nil(t, v.Keys())
	for range v.Members() {
		t.Fatal("nil has no members")
	}
	for range v.Elems() {
		t.Fatal("nil has no elements")
	}
	// Scalars answer like nil to container methods.
	s := parsed(t, `"x"`)
	assert.Zero(t, s.Len())
	assert.Nil(t, s.Get("x"))
	assert.Nil(t, s.Index(0))
	assert.Nil(t, s.Keys())
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "object", KindObject.String())
	assert.Equal(t, "absent", KindAbsent.String())
	assert.Equal(t, "Kind(42)", Kind(42).String())
	b, _ := KindArray.MarshalText()
	assert.Equal(t, "array", string(b))
}

func TestParseID(t *testing.T) {
	const base = "/subscriptions/s1/resourceGroups/RG1/providers/Microsoft.Network"
	for _, tc := range []struct {
		id, sub, rg, typ, name, parent string
	}{
		{base + "/virtualNetworks/vnet1", "s1", "RG1", "Microsoft.Network/virtualNetworks", "vnet1", ""},
		{base + "/virtualNetworks/vnet1/subnets/snet1", "s1", "RG1", "Microsoft.Network/virtualNetworks/subnets", "vnet1/snet1", base + "/virtualNetworks/vnet1"},
		{"/SUBSCRIPTIONS/s1/RESOURCEGROUPS/rg/PROVIDERS/microsoft.network/networkinterfaces/n/ipconfigurations/c", "s1", "rg", "microsoft.network/networkinterfaces/ipconfigurations", "n/c", "/SUBSCRIPTIONS/s1/RESOURCEGROUPS/rg/PROVIDERS/microsoft.network/networkinterfaces/n"},
		{"/subscriptions/s1/providers/Microsoft.Network/networkWatchers/w", "s1", "", "Microsoft.Network/networkWatchers", "w", ""},
		{base + "/virtualNetworks/v/providers/Microsoft.Insights/diagnosticSettings/d", "s1", "RG1", "Microsoft.Insights/diagnosticSettings", "d", base + "/virtualNetworks/v"},
	} {
		id, err := ParseID(tc.id)
		require.NoError(t, err, tc.id)
		assert.Equal(t, tc.id, id.String())
		assert.Equal(t, tc.sub, id.SubscriptionID())
		assert.Equal(t, tc.rg, id.ResourceGroup())
		assert.Equal(t, tc.typ, id.Type())
		assert.Equal(t, tc.name, id.Name())
		assert.Equal(t, tc.name[strings.LastIndexByte(tc.name, '/')+1:], id.ShortName())
		assert.Equal(t, strings.ToLower(tc.id), id.Key())
		assert.Equal(t, strings.SplitN(tc.typ, "/", 2)[0], id.Provider())
		p, ok := id.Parent()
		assert.Equal(t, tc.parent != "", ok, "Parent(%s)", tc.id)
		assert.Equal(t, tc.parent, p.String())
		assert.False(t, id.IsZero())
	}
	assert.True(t, ResourceID{}.IsZero())

	for _, bad := range []string{
		"", "vnet1", "/", "/subscriptions", "/subscriptions/s", "/subscriptions/s/resourceGroups/rg",
		"/subscriptions/s/resourceGroups", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/",
		"/subscriptions//resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/providers",
		"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/providers/X/y",
		"/providers/Microsoft.Management/managementGroups/mg",
	} {
		_, err := ParseID(bad)
		assert.ErrorIs(t, err, ErrID, "ParseID(%q)", bad)
	}
	assert.Panics(t, func() { MustParseID("x") })
}

func TestEqualIDs(t *testing.T) {
	a := "/subscriptions/S/resourceGroups/RG/providers/Microsoft.Network/virtualNetworks/V"
	b := strings.ToLower(a)
	assert.True(t, EqualIDs(a, b))
	assert.False(t, EqualIDs(a, b+"x"))
	assert.Equal(t, b, Key(a))
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Format
	}{
		{"", FormatUnknown},
		{" \n\t", FormatUnknown},
		{"{}", FormatJSON},
		{"\ufeff\n  [", FormatJSON},
		{"vnets:\n  - name: a\n", FormatYAML},
		{"# comment\n{}", FormatYAML},
		{"---\n", FormatYAML},
		{"\xff\xfe{\x00", FormatUnknown},
		{"\x00\x01", FormatUnknown},
	} {
		assert.Equal(t, tc.want, Detect([]byte(tc.in)), "Detect(%q)", tc.in)
	}
	assert.Equal(t, "json", FormatJSON.String())
	assert.Equal(t, "yaml", FormatYAML.String())
	assert.Equal(t, "unknown", FormatUnknown.String())
	b, _ := FormatYAML.MarshalText()
	assert.Equal(t, "yaml", string(b))
}

func TestPosClamp(t *testing.T) {
	src := &source{name: "f", text: "ab\ncd\n"}
	var got []string
	for _, off := range []int{-1, 0, 2, 3, 5, 6, 99} {
		got = append(got, src.pos(off).String())
	}
	assert.Equal(t, []string{"f:1:1", "f:1:1", "f:1:3", "f:2:1", "f:2:3", "f:3:1", "f:3:1"}, got)
}
