package topology

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology/arm"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// aliasBomb is a native design of about 5.5 KB whose aliases nest four
// levels of n: n firewall policies of n rule collection groups of n
// collections of n rules, n⁴ rules (810,000 for n = 30), as the hostile file
// of issue 10 did. Only the first item of each level is written out.
func aliasBomb(n int) string {
	var b strings.Builder
	b.WriteString("egress: v1\nfirewallPolicies:\n  - name: p0\n    ruleCollectionGroups: &g\n      - name: g0\n        priority: 100\n        collections: &c\n")
	b.WriteString("          - name: c0\n            priority: 100\n            action: Allow\n            rules: &r\n")
	for i := range n {
		fmt.Fprintf(&b, "              - {name: r%d, type: NetworkRule}\n", i)
	}
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "          - {name: c%d, priority: %d, rules: *r}\n", i, 100+i)
	}
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "      - {name: g%d, priority: %d, collections: *c}\n", i, 100+i)
	}
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, "  - {name: p%d, ruleCollectionGroups: *g}\n", i)
	}
	return b.String()
}

// expanded returns the values of a document with its aliases expanded, and
// as written, with no limit.
func expanded(t *testing.T, data string) (values, text int) {
	t.Helper()
	defer setLimits(maxYAMLValues, maxYAMLDepth, maxAliasExpansion)
	setLimits(1<<62, 1<<30, 1<<62)
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal([]byte(data), &doc))
	w := yamlWalker{sizes: map[*yaml.Node]yamlSize{}}
	w.walk(&doc, 0)
	require.NoError(t, w.err)
	return w.values, w.text
}

func setLimits(values, depth, alias int) {
	maxYAMLValues, maxYAMLDepth, maxAliasExpansion = values, depth, alias
}

// TestAliasBomb: one alias budget covers the whole document (each nested
// decode had its own): the 5.5 KB bomb fails before anything is decoded,
// with a positioned error, allocating little.
func TestAliasBomb(t *testing.T) {
	bomb := aliasBomb(30)
	require.Less(t, len(bomb), 6000)
	values, text := expanded(t, bomb)
	require.Less(t, text, 500, "the document as written is small")
	require.Greater(t, values, 810000*3, "and expands to 810,000 rules of 3 values each")

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := ParseNative("bomb.yaml", []byte(bomb))
	runtime.ReadMemStats(&after)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Regexp(t, `^bomb.yaml:\d+:\d+: input too large: aliases expand to more than 1048576 values \(MaxAliasExpansion\)$`, err.Error())
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(8<<20), "rejected from the node tree, not after decoding")

	// Below the budget, aliases are expanded as before.
	m, err := ParseNative("small.yaml", []byte(aliasBomb(3)))
	require.NoError(t, err)
	require.Len(t, m.FirewallPolicies, 3)
	n := 0
	for _, p := range m.FirewallPolicies {
		for _, g := range p.RuleCollectionGroups {
			for _, c := range g.Collections {
				n += len(c.Rules)
			}
		}
	}
	assert.Equal(t, 81, n)

	// The same budget holds in an overlay.
	overlay := "egress: overlay/v1\nchanges:\n  - add:\n" + strings.ReplaceAll(strings.TrimPrefix(aliasBomb(30), "egress: v1\n"), "\n", "\n      ")
	err = (&Model{}).ApplyOverlay("bomb.yaml", []byte("egress: overlay/v1\nchanges:\n  - add:\n      "+overlay[len("egress: overlay/v1\nchanges:\n  - add:\n"):]))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "MaxAliasExpansion")
}

// TestYAMLLimits: YAML has the JSON limits of package arm, values and depth,
// counted with aliases expanded, before anything is decoded.
func TestYAMLLimits(t *testing.T) {
	assert.Equal(t, arm.MaxValues, maxYAMLValues)
	assert.Equal(t, arm.MaxDepth, maxYAMLDepth)
	defer setLimits(maxYAMLValues, maxYAMLDepth, maxAliasExpansion)
	setLimits(1000, arm.MaxDepth, MaxAliasExpansion)

	routes := func(n int) string { // 3 + 1 + 1 + 1 + n*(1+4) values
		var b strings.Builder
		b.WriteString("egress: v1\nrouteTables:\n  - name: rt\n    routes:\n")
		for i := range n {
			fmt.Fprintf(&b, "      - {name: r%d, prefix: 10.0.%d.0/24, nextHop: None}\n", i, i%256)
		}
		return b.String()
	}
	// 1 (top mapping) + egress + routeTables list + table mapping + name + routes list = 6, then 4 a route.
	_, err := ParseNative("ok.yaml", []byte(routes(248)))
	require.NoError(t, err, "998 values")
	_, err = ParseNative("big.yaml", []byte(routes(249)))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, "big.yaml:253:30: input too large: more than 1000 YAML values", err.Error())

	// Aliases count as what they expand to.
	_, err = ParseNative("alias.yaml", []byte(routes(100)+"  - {name: rt2, routes: *r}\n"))
	require.Error(t, err) // unknown anchor: yaml.v3's own error
	_, err = ParseNative("alias.yaml", []byte(strings.Replace(routes(150), "    routes:\n", "    routes: &r\n", 1)+"  - {name: rt2, routes: *r}\n"))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "alias.yaml:155:25: input too large: more than 1000 YAML values")

	// Depth: 64 nested lists pass, 65 fail, also through an alias.
	deep := func(n int) string {
		return "egress: v1\nname: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "\n"
	}
	_, err = parseYAML("deep.yaml", []byte(deep(63)), "a design") // the top mapping is the 64th level
	require.NoError(t, err)
	_, err = parseYAML("deep.yaml", []byte(deep(64)), "a design")
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, "deep.yaml:2:70: input too large: lists and mappings nested deeper than 64 levels", err.Error())
	_, err = parseYAML("deep.yaml", []byte("a: &x "+strings.Repeat("[", 62)+strings.Repeat("]", 62)+"\nb: [*x]\n"), "a design")
	require.NoError(t, err, "64 levels through the alias")
	_, err = parseYAML("deep.yaml", []byte("a: &x "+strings.Repeat("[", 63)+strings.Repeat("]", 63)+"\nb: [*x]\n"), "a design")
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Equal(t, "deep.yaml:2:5: input too large: alias *x nests lists and mappings deeper than 64 levels", err.Error())
}

// TestYAMLDocument: one document, no alias of an enclosing node, anchors in
// keys are walked.
func TestYAMLDocument(t *testing.T) {
	_, err := ParseNative("two.yaml", []byte("egress: v1\n---\negress: v1\n"))
	require.ErrorIs(t, err, ErrSyntax)
	assert.Equal(t, "two.yaml:2:1: syntax error: more than one YAML document; a design is one document", err.Error())
	err = (&Model{}).ApplyOverlay("two.yaml", []byte("egress: overlay/v1\n---\n- x\n"))
	require.ErrorIs(t, err, ErrSyntax)
	assert.Contains(t, err.Error(), "more than one YAML document; an overlay is one document")

	_, err = ParseNative("empty.yaml", nil)
	require.ErrorIs(t, err, ErrSyntax, "no document")

	_, err = ParseNative("cycle.yaml", []byte("egress: v1\nvnets: &x [{name: a, subnets: *x}]\n"))
	require.ErrorIs(t, err, ErrSyntax)
	assert.Equal(t, "cycle.yaml:2:31: syntax error: alias *x refers to a node that contains it", err.Error())
	var doc *yaml.Node
	doc, err = parseYAML("key.yaml", []byte("? &k [1, 2]\n: v\nb: *k\n"), "a design")
	require.NoError(t, err)
	require.NotNil(t, doc)
}

// TestYAMLEncoding: input that is not UTF-8 fails at its first bad byte
// (yaml.v3 said only "invalid leading UTF-8 octet"); UTF-16 is refused as
// the JSON loader refuses it.
func TestYAMLEncoding(t *testing.T) {
	_, err := ParseNative("bad.yaml", []byte("egress: v1\nvnets:\n  - name: vnet-\xe9t\xe9\n"))
	require.ErrorIs(t, err, ErrSyntax)
	assert.Equal(t, "bad.yaml:3:16: syntax error: invalid UTF-8 (byte 0xe9)", err.Error())
	err = (&Model{}).ApplyOverlay("bad.yaml", []byte("egress: overlay/v1\n# caf\xc3\n"))
	assert.EqualError(t, err, "bad.yaml:2:6: syntax error: invalid UTF-8 (byte 0xc3)")
	_, err = ParseNative("utf16.yaml", []byte("\xff\xfee\x00g\x00"))
	assert.ErrorContains(t, err, "utf16.yaml:1:1: syntax error: input is UTF-16 encoded")
	_, err = ParseNative("bom.yaml", []byte("\xef\xbb\xbfegress: v1\nname: caf\xc3\xa9\n"))
	assert.NoError(t, err, "UTF-8 with a byte order mark")
}

// TestYAMLIntegers: integer fields take decimal integers only; yaml.v3 alone
// truncated 100.5 to 100 and read 1e3, 0x64 and 100_0 as numbers.
func TestYAMLIntegers(t *testing.T) {
	design := func(priority string) string {
		return "egress: v1\nnsgs:\n  - name: n\n    rules:\n      - {name: r, priority: " + priority + ", direction: Outbound, access: Allow}\n"
	}
	for _, tc := range []struct{ in, want string }{
		{"100.5", `d.yaml:5:29: priority "100.5": invalid value: want an integer in decimal digits, such as 100`},
		{"1e3", `d.yaml:5:29: priority "1e3": invalid value: want an integer in decimal digits, such as 100`},
		{"0x64", `d.yaml:5:29: priority "0x64": invalid value: want an integer in decimal digits, such as 100`},
		{"100_0", `d.yaml:5:29: priority "100_0": invalid value: want an integer in decimal digits, such as 100`},
		{"0o144", `d.yaml:5:29: priority "0o144": invalid value: want an integer in decimal digits, such as 100`},
		{"0100", `d.yaml:5:29: priority "0100": invalid value: want an integer in decimal digits, such as 100`},
		{"+100", `d.yaml:5:29: priority "+100": invalid value: want an integer in decimal digits, such as 100`},
		{".inf", `d.yaml:5:29: priority ".inf": invalid value: want an integer in decimal digits, such as 100`},
		{"'100'", `d.yaml:5:29: priority "100": invalid value: want an integer, not a quoted string`},
		{"!!str 100", `d.yaml:5:29: priority "100": invalid value: want an integer, not a value tagged !!str`},
		{"[100]", `d.yaml:5:29: priority: invalid value: want an integer, not a list`},
		{"1000000000", `d.yaml:5:29: priority "1000000000": invalid value: too large for an integer field`},
	} {
		_, err := ParseNative("d.yaml", []byte(design(tc.in)))
		require.ErrorIs(t, err, ErrInvalid, tc.in)
		assert.Equal(t, tc.want, err.Error(), tc.in)
		var e *Error
		require.True(t, errors.As(err, &e))
		assert.Equal(t, "priority", e.Field)
	}
	for in, want := range map[string]int{"100": 100, "4096": 4096, "!!int 200": 200, "&p 300": 300} {
		m, err := ParseNative("d.yaml", []byte(design(in)))
		require.NoError(t, err, in)
		assert.Equal(t, want, m.NSGs[0].Rules[0].Priority, in)
	}
	// Every integer field is checked: rule collection groups and
	// collections, admin rules, classic collections, overlay rules.
	for _, doc := range []string{
		"egress: v1\nfirewallPolicies: [{name: p, ruleCollectionGroups: [{name: g, priority: 1e2}]}]\n",
		"egress: v1\nfirewallPolicies: [{name: p, ruleCollectionGroups: [{name: g, priority: 100, collections: [{name: c, priority: 1e2}]}]}]\n",
		"egress: v1\nadminRules: [{name: a, rules: [{name: r, priority: 1e2}]}]\n",
		"egress: v1\nfirewalls: [{name: f, networkRuleCollections: [{name: c, priority: 1e2}]}]\n",
	} {
		_, err := ParseNative("d.yaml", []byte(doc))
		require.ErrorIs(t, err, ErrInvalid, doc)
		assert.Contains(t, err.Error(), `priority "1e2": invalid value`, doc)
	}
	err := (&Model{}).ApplyOverlay("o.yaml", []byte("egress: overlay/v1\nchanges:\n  - setRule: {nsg: n, name: r, priority: 150.5}\n"))
	require.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, `o.yaml:3:42: priority "150.5": invalid value: want an integer in decimal digits, such as 100`, err.Error())
}

// TestYAMLHostileShapes: a list of many bad items, a mapping of many keys
// and a mapping of many duplicate keys cost time linear in the document
// (yaml.v3 compared every pair of keys of a mapping) and keep at most 200
// messages, counting the rest exactly.
func TestYAMLHostileShapes(t *testing.T) {
	n := 50000
	if testing.Short() {
		n = 2000
	}
	last := func(err error) string {
		s := err.Error()
		return s[strings.LastIndexByte(s, '\n')+1:]
	}
	count := func(err error) int {
		return len(strings.Split(err.Error(), "\n")) - 1 // the listed ones, before the trailer
	}
	for _, tc := range []struct {
		name, doc string
		problems  int
	}{
		{"not mappings", "egress: v1\nvnets: [" + strings.Repeat("0, ", n-1) + "0]\n", n},
		{"unknown keys", "egress: v1\nnsgs: [{name: x, rules: [" + strings.Repeat("{bogus: 1}, ", n-1) + "{bogus: 1}]}]\n", n},
		{"duplicate unknown keys", "egress: v1\nvnets: [{" + strings.Repeat("a: 1, ", n-1) + "a: 1}]\n", n + n - 1},
		{"duplicate known keys", "egress: v1\nvnets: [{" + strings.Repeat("name: x, ", n-1) + "name: x}]\n", n - 1},
		{"bad list items", "egress: v1\nasgs: [" + strings.Repeat("[a], ", n-1) + "[a]]\n", n},
	} {
		_, err := ParseNative("h.yaml", []byte(tc.doc))
		require.Error(t, err, tc.name)
		assert.Equal(t, maxProblems, count(err), tc.name)
		assert.Equal(t, fmt.Sprintf("... and %d more problems", tc.problems-maxProblems), last(err), tc.name)
	}
	_, err := ParseNative("d.yaml", []byte("egress: v1\nvnets:\n  - name: a\n    location: x\n    name: b\n"))
	assert.EqualError(t, err, `d.yaml:5: syntax error: mapping key "name" already defined at line 3`, "yaml.v3's words")
}

// TestEmptyListItems: a bare "- " in a list of a design is a problem named
// by its path.
func TestEmptyListItems(t *testing.T) {
	_, err := ParseNative("d.yaml", []byte("egress: v1\nvnets:\n  - name: v\n    addressSpace: [10.0.0.0/16]\n    subnets:\n      - {name: s, prefix: 10.0.1.0/24}\n      -\nnics:\n  -\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"vnets[0].subnets[1]", "nics[0]", "an empty list item"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v: want %q", err, want)
		}
	}
}
