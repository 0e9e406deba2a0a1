package topology

import (
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
