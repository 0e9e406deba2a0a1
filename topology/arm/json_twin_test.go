package arm

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/egresslab/egress/internal/jsontwin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The differential tests of the JSON parser (parseTree) against
// internal/jsontwin, a slow twin that reads JSON with encoding/json alone:
// whatever the twin makes of an input, the parser must make the same, tree
// and error position alike.

// twinNode returns the tree v in jsontwin's form.
func twinNode(v *Value) *jsontwin.Node {
	n := &jsontwin.Node{Kind: v.kind.String(), Off: int(v.off), Text: v.s}
	if v.kind == KindObject && len(v.keys) > 0 {
		n.Keys = v.keys
	}
	for i := range v.kids {
		n.Kids = append(n.Kids, twinNode(&v.kids[i]))
	}
	return n
}

// twinDups checks the duplicate-key marks of the tree v, the slowest way:
// an object is marked when two of its keys are equal under case folding.
// It returns the number of objects marked, or -1 after a wrong mark.
func twinDups(v *Value) int {
	dup := false
	for i, k := range v.keys {
		for _, k2 := range v.keys[:i] {
			dup = dup || strings.EqualFold(k, k2)
		}
	}
	if dup != v.dup {
		return -1
	}
	n := 0
	if dup {
		n = 1
	}
	for i := range v.kids {
		d := twinDups(&v.kids[i])
		if d < 0 {
			return -1
		}
		n += d
	}
	return n
}

// twinPos is the position of offset off of text, counted the slowest way.
func twinPos(text string, off int) Pos {
	before := text[:min(off, len(text))]
	return Pos{File: "f.json", Line: strings.Count(before, "\n") + 1, Col: len(before) - strings.LastIndexByte(before, '\n')}
}

// twinDiff parses text and describes how the result differs from the
// twin's, or returns "".
func twinDiff(text string) string {
	src := &source{name: "f.json", text: text}
	v, err := parseTree(src)
	want, werr := jsontwin.Read(text, MaxDepth)
	switch {
	case err == nil && werr == nil:
		if got := twinNode(v); !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			return fmt.Sprintf("tree\n%s\ntwin\n%s", g, w)
		}
		if d := twinDups(v); d != src.dups {
			return fmt.Sprintf("%d objects with duplicate keys, twin %d", src.dups, d)
		}
		return ""
	case err == nil || werr == nil:
		return fmt.Sprintf("error %v, twin %v", err, werr)
	}
	kind := "syntax"
	switch {
	case errors.Is(err, ErrLimit):
		kind = "limit"
	case strings.HasPrefix(err.Detail, "invalid UTF-8 in string"):
		kind = "utf8"
	case strings.HasSuffix(err.Detail, "a UTF-16 surrogate without its pair"):
		kind = "surrogate"
	}
	if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrLimit) {
		return fmt.Sprintf("error %v is neither ErrSyntax nor ErrLimit", err)
	}
	if pos := twinPos(text, werr.Off); kind != werr.Kind || err.Pos != pos {
		return fmt.Sprintf("%s error %v, twin %s at %s", kind, err, werr.Kind, pos)
	}
	return ""
}

// TestReaderTwin: the parser builds the same trees, and stops at the same
// errors, as the twin, on every test file (whole and cut short) and on
// inputs that reach each of its errors and limits.
func TestReaderTwin(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		assert.Empty(t, twinDiff(string(data)), file)
		for _, n := range []int{1, len(data) / 3, len(data) / 2, len(data) - 1} {
			assert.Empty(t, twinDiff(string(data[:n])), "%s cut at %d", file, n)
		}
	}
	assert.Empty(t, twinDiff(string(bigExport(t)[:1<<20])), "a big export, cut")
	for _, in := range []string{
		"", " ", "\ufeff", "\ufeff{}", "\xff\xfe[]", "\xfe\xff", "[]", "{}", "[[]]", `{"a":{}}`, `[1,,2]`, `[1 2]`, `{"a" 1}`,
		`{"a": 1 "b": 2}`, `{"a": 1,}`, `{1: 2}`, `{"a": 1`, `{"a"`, `{"a":`, `{`, `[1`, `[`, `tru`, `nul1`, `-`, `-x`, `1.`, `1.e`,
		`[1e]`, `01`, `[] x`, `"ab`, "\"a\tb\"", `"\x"`, `"\u12x4"`, `"\u12`, `"\`, "\"a\xffb\"", `"\ud800"`, `"x\udc00"`, `["\ud83d\ude00"]`,
		"{\"a\":1,\n\"A\":2,\"a\":{\"b\":1,\"B\":2}}", `{"k":1,"\u212a":2}`, `{"a":[true,false,null,-0.5e+3,"x\n"]}`,
		strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		`{` + strings.Repeat(`"k": 1, `, 40) + `"k": 2}`, `{` + strings.Repeat(`"é": 1, `, 20) + `"É": 2}`,
	} {
		assert.Empty(t, twinDiff(in), "%q", in)
	}
}

// FuzzReaderTwin: as TestReaderTwin, on any input.
func FuzzReaderTwin(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{`[]`, `{"a":1,"A":{"b":[1.5e3,"\u00e9\ud83d\ude00",true,null]}}`, "\ufeff[\"\xff\"]", `["\ud800"]`, `{"a" 1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if d := twinDiff(string(data)); d != "" {
			t.Fatalf("%q: %s", data, d)
		}
	})
}
