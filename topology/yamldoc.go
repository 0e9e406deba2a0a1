package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"unicode/utf8"

	"github.com/egresslab/egress/topology/arm"
	"go.yaml.in/yaml/v3"
)

// MaxAliasExpansion is the most YAML values that aliases (*name) may add to
// a native document (a design or an overlay) when they are expanded, over
// the whole document. A design that reuses a rule list or a few blocks needs
// far fewer; a 5 KB "billion laughs" document would otherwise expand to
// millions of rules. Expanding 2^20 values costs the typed decoding about a
// second.
const MaxAliasExpansion = 1 << 20

// MaxNativeSize is the largest native YAML document accepted, in bytes (16
// MiB). yaml.v3 holds a whole document as a tree of some 170 bytes a value,
// so 16 MiB of the densest YAML ("[0,0,...]", 2 bytes a value) makes a tree
// about as large as the largest JSON tree package arm accepts
// ([arm.MaxValues] values); a real design is a few MB at most (1,000 VNets
// with 10,000 NICs and 20,000 rules: 3.5 MB). Larger inputs are ARM JSON.
const MaxNativeSize = 16 << 20

// The limits in force on a native document; tests lower them. The value and
// depth limits are package arm's for JSON ([arm.MaxValues], [arm.MaxDepth]).
var (
	maxNativeSize     = MaxNativeSize
	maxYAMLValues     = arm.MaxValues
	maxYAMLDepth      = arm.MaxDepth
	maxAliasExpansion = MaxAliasExpansion
)

// parseYAML parses data, at most maxNativeSize bytes, as one YAML document
// and checks it against the limits before anything is decoded from it: at
// most maxYAMLValues values (scalars, lists and mappings; mapping keys not
// counted, as in JSON) and maxYAMLDepth nested lists and mappings, aliases
// expanded, of which aliases add at most maxAliasExpansion. One budget
// covers the whole document: decoding it afterwards, however its parts are
// decoded, expands no more. what names the document ("a design", "an
// overlay") in errors.
func parseYAML(file string, data []byte, what string) (*yaml.Node, error) {
	if len(data) > maxNativeSize {
		return nil, &Error{Pos: Pos{File: file}, Kind: ErrTooLarge, Detail: fmt.Sprintf("more than %d MiB of YAML (MaxNativeSize); larger networks load as ARM JSON", maxNativeSize>>20)}
	}
	if err := checkUTF8(file, data); err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, yamlErrors(file, err)
	}
	var more yaml.Node
	switch err := dec.Decode(&more); {
	case err == nil:
		return nil, &Error{Pos: Pos{File: file, Line: more.Line, Col: more.Column}, Kind: ErrSyntax, Detail: "more than one YAML document; " + what + " is one document"}
	case !errors.Is(err, io.EOF):
		return nil, yamlErrors(file, err)
	}
	w := yamlWalker{file: file, sizes: map[*yaml.Node]yamlSize{}}
	w.walk(&doc, 0)
	if w.err != nil {
		return nil, w.err
	}
	return &doc, nil
}

// checkUTF8 rejects input that is not UTF-8, at the first bad byte: yaml.v3
// rejects it too, but without saying where, and reads UTF-16 as the YAML
// spec allows while the loaders do not.
func checkUTF8(file string, data []byte) error {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return &Error{Pos: Pos{File: file, Line: 1, Col: 1}, Kind: ErrSyntax, Detail: "input is UTF-16 encoded (as PowerShell 5 writes with '>'); re-encode it as UTF-8"}
	}
	if utf8.Valid(data) {
		return nil
	}
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return &Error{Pos: Pos{File: file, Line: line, Col: col}, Kind: ErrSyntax, Detail: fmt.Sprintf("invalid UTF-8 (byte 0x%02x)", data[i])}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col += n
		}
		i += n
	}
	return nil
}

// yamlSize is a subtree's number of values and its height in lists and
// mappings, aliases expanded.
type yamlSize struct{ values, height int }

// yamlWalker walks a document in order, counting values with aliases
// expanded. The size of every anchored node is kept, so an alias costs O(1)
// and the walk is linear in the document's text however much the aliases
// expand.
type yamlWalker struct {
	file   string
	sizes  map[*yaml.Node]yamlSize // anchored nodes walked; {-1, -1} while being walked
	values int                     // values so far, aliases expanded
	text   int                     // values so far as written
	err    error
}

func (w *yamlWalker) fail(n *yaml.Node, cat error, format string, args ...any) {
	if w.err == nil {
		w.err = &Error{Pos: Pos{File: w.file, Line: n.Line, Col: n.Column}, Kind: cat, Detail: fmt.Sprintf(format, args...)}
	}
}

// walk walks n, inside depth lists and mappings, and returns its size.
func (w *yamlWalker) walk(n *yaml.Node, depth int) yamlSize {
	if w.err != nil {
		return yamlSize{}
	}
	switch n.Kind {
	case yaml.DocumentNode:
		var s yamlSize
		for _, c := range n.Content {
			s = w.walk(c, depth)
		}
		return s
	case yaml.AliasNode:
		s, ok := w.sizes[n.Alias]
		switch {
		case !ok || s.values < 0:
			w.fail(n, ErrSyntax, "alias *%s refers to a node that contains it", n.Value)
			return yamlSize{}
		case depth+s.height > maxYAMLDepth:
			w.fail(n, ErrTooLarge, "alias *%s nests lists and mappings deeper than %d levels", n.Value, maxYAMLDepth)
		}
		w.values = satAdd(w.values, s.values)
		w.check(n)
		return s
	}
	if n.Anchor != "" {
		w.sizes[n] = yamlSize{-1, -1}
	}
	w.values++
	w.text++
	w.check(n)
	s := yamlSize{values: 1}
	if n.Kind == yaml.SequenceNode || n.Kind == yaml.MappingNode {
		if depth+1 > maxYAMLDepth {
			w.fail(n, ErrTooLarge, "lists and mappings nested deeper than %d levels", maxYAMLDepth)
			return s
		}
		for i, c := range n.Content {
			// Plain keys are not counted, as in JSON; keys that are lists,
			// mappings, aliases or anchors are walked like values.
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Kind == yaml.ScalarNode && c.Anchor == "" {
				continue
			}
			cs := w.walk(c, depth+1)
			s.values = satAdd(s.values, cs.values)
			s.height = max(s.height, cs.height)
		}
		s.height++
	}
	if n.Anchor != "" {
		w.sizes[n] = s
	}
	return s
}

// check fails at n once a limit is crossed.
func (w *yamlWalker) check(n *yaml.Node) {
	switch {
	case w.values-w.text > maxAliasExpansion:
		w.fail(n, ErrTooLarge, "aliases expand to more than %d values (MaxAliasExpansion)", maxAliasExpansion)
	case w.values > maxYAMLValues:
		w.fail(n, ErrTooLarge, "more than %d YAML values", maxYAMLValues)
	}
}

// satAdd adds sizes, saturating: aliases of aliases can describe more values
// than an int holds.
func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// topValue returns the scalar value of key in the document's top-level
// mapping, or "".
func topValue(doc *yaml.Node, key string) string {
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return ""
	}
	m := doc.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			v := m.Content[i+1]
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			if v.Kind == yaml.ScalarNode {
				return v.Value
			}
		}
	}
	return ""
}
