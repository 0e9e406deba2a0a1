package jsonpos_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/egresslab/egress/internal/jsonpos"
	"github.com/egresslab/egress/internal/jsontwin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tree reads the next value whole into the Node that jsontwin builds.
func tree(t testing.TB, r *jsonpos.Reader) (*jsontwin.Node, bool) {
	kind, at := r.Peek()
	tok, ok := r.Value()
	if !ok {
		return nil, false
	}
	if tok.Kind != kind || tok.Off != at {
		t.Fatalf("Peek = %v at %d, Value = %v at %d", kind, at, tok.Kind, tok.Off)
	}
	n := &jsontwin.Node{Kind: tok.Kind.String(), Off: tok.Off, Text: tok.Text}
	switch tok.Kind {
	case jsonpos.Array:
		for i := 0; r.Elem(i); i++ {
			kid, ok := tree(t, r)
			if !ok {
				return nil, false
			}
			n.Kids = append(n.Kids, kid)
		}
	case jsonpos.Object:
		for i := 0; ; i++ {
			k, ok := r.Member(i)
			if !ok {
				break
			}
			kid, ok := tree(t, r)
			if !ok {
				return nil, false
			}
			n.Keys = append(n.Keys, k)
			n.Kids = append(n.Kids, kid)
		}
	}
	return n, r.Err() == nil
}

// read reads text whole, as a tree and with Skip, and returns the tree and
// the error; both ways must agree, and agree with jsontwin, the reader's
// slow twin on encoding/json, unless lim has MaxValues, which the twin does
// not know.
func read(t testing.TB, text string, lim jsonpos.Limits) (*jsontwin.Node, *jsonpos.Error) {
	r := jsonpos.NewReader(text, lim)
	v, ok := tree(t, r)
	ok = ok && r.End()
	s := jsonpos.NewReader(text, lim)
	sok := s.Skip() && s.End()
	if ok != sok || !reflect.DeepEqual(r.Err(), s.Err()) {
		t.Fatalf("%q: reading the tree: %v, %v; skipping: %v, %v", text, ok, r.Err(), sok, s.Err())
	}
	if ok != (r.Err() == nil) {
		t.Fatalf("%q: read %v, but error %v", text, ok, r.Err())
	}
	if !ok {
		v = nil
	}
	if lim.MaxValues == 0 {
		twin(t, text, lim.MaxDepth, v, r.Err())
	}
	return v, r.Err()
}

// twin checks the tree or the error that a Reader with that MaxDepth (0
// for encoding/json's) read from text against jsontwin's.
func twin(t testing.TB, text string, maxDepth int, got *jsontwin.Node, err *jsonpos.Error) {
	if maxDepth == 0 {
		maxDepth = 10000
	}
	want, werr := jsontwin.Read(text, maxDepth)
	if err == nil && werr == nil {
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %s\nwant %s", text, dump(got), dump(want))
		}
		return
	}
	if err == nil || werr == nil {
		t.Fatalf("%q: error %v, twin %v", text, err, werr)
	}
	kind := "syntax"
	switch {
	case err.Limit:
		kind = "limit"
	case strings.HasPrefix(err.Msg, "invalid UTF-8 in string"):
		kind = "utf8"
	case strings.HasSuffix(err.Msg, "a UTF-16 surrogate without its pair"):
		kind = "surrogate"
	}
	if kind != werr.Kind || err.Off != werr.Off {
		t.Fatalf("%q: %s error at %d (%s), twin %s at %d", text, kind, err.Off, err.Msg, werr.Kind, werr.Off)
	}
}

// dump formats a tree for a failure message.
func dump(n *jsontwin.Node) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		in, msg string
		off     int
	}{
		{"", "unexpected end of input looking for a value", 0},
		{" \n", "unexpected end of input looking for a value", 2},
		{"[1,,2]", "invalid character ',' looking for beginning of value", 3},
		{"[1 2]", "invalid character '2' after array element", 3},
		{`{"a" 1}`, "invalid character '1' after object key", 5},
		{`{"a": 1 "b": 2}`, "invalid character '\"' after object key:value pair", 8},
		{`{"a": 1,}`, "invalid character '}' looking for beginning of object key string", 8},
		{`{1: 2}`, "invalid character '1' looking for beginning of object key string", 1},
		{`{"a": 1`, "unexpected end of input in object", 7},
		{`{"a"`, "unexpected end of input after object key", 4},
		{`{"a":`, "unexpected end of input looking for a value", 5},
		{`{`, "unexpected end of input looking for an object key", 1},
		{`[1`, "unexpected end of input in array", 2},
		{`[`, "unexpected end of input looking for a value", 1},
		{`tru`, "unexpected end of input in literal true", 3},
		{`nul1`, "invalid character '1' in literal null", 3},
		{`fals`, "unexpected end of input in literal false", 4},
		{`-`, "unexpected end of input in number", 1},
		{`-x`, "invalid character 'x' in numeric literal", 1},
		{`1.`, "unexpected end of input in number", 2},
		{`1.e`, "invalid character 'e' after decimal point in numeric literal", 2},
		{`1e+`, "unexpected end of input in number", 3},
		{`[1e]`, "invalid character ']' in exponent of numeric literal", 3},
		{`01`, "invalid character '1' after top-level value", 1},
		{`[] x`, "invalid character 'x' after top-level value", 3},
		{`"ab`, "unexpected end of input in string literal", 3},
		{"\"a\tb\"", `invalid control character '\t' in string`, 2},
		{`"\x"`, `invalid character 'x' in string escape code`, 2},
		{`"\u12x4"`, `invalid character 'x' in \u hexadecimal character escape`, 5},
		{`"\u12`, "unexpected end of input in string escape", 5},
		{`"\`, "unexpected end of input in string literal", 2},
		{"\"a\xffb\"", "invalid UTF-8 in string (byte 0xff)", 2},
		{`"\ud800"`, `invalid string escape \ud800: a UTF-16 surrogate without its pair`, 1},
		{`"x\udc00"`, `invalid string escape \udc00: a UTF-16 surrogate without its pair`, 2},
		{"\xff\xfe[\x00]\x00", "input is UTF-16 encoded (as PowerShell 5 writes with '>'); re-encode it as UTF-8", 0},
		{"\xfe\xff\x00[", "input is UTF-16 encoded (as PowerShell 5 writes with '>'); re-encode it as UTF-8", 0},
		{"\xef\xbb\xbf", "unexpected end of input looking for a value", 3},
		{"é", `invalid character 'é' looking for beginning of value`, 0},
	} {
		_, err := read(t, tc.in, jsonpos.Limits{})
		require.NotNil(t, err, "%q", tc.in)
		assert.Equal(t, tc.msg, err.Msg, "%q", tc.in)
		assert.Equal(t, tc.msg, err.Error(), "%q", tc.in)
		assert.Equal(t, tc.off, err.Off, "%q: offset", tc.in)
		assert.False(t, err.Limit, "%q", tc.in)
	}
}

func TestLimits(t *testing.T) {
	for _, tc := range []struct {
		in  string
		lim jsonpos.Limits
		msg string
		off int
	}{
		{"[[[1]]]", jsonpos.Limits{MaxDepth: 2}, "nesting deeper than 2 levels", 2},
		{`{"a": {"b": {}}}`, jsonpos.Limits{MaxDepth: 2}, "nesting deeper than 2 levels", 12},
		{"[1, 2, 3]", jsonpos.Limits{MaxValues: 3}, "more than 3 JSON values", 7},
		{`{"a": 1, "b": 2}`, jsonpos.Limits{MaxValues: 2}, "more than 2 JSON values", 14},
	} {
		_, err := read(t, tc.in, tc.lim)
		require.NotNil(t, err, "%q", tc.in)
		assert.Equal(t, tc.msg, err.Msg, "%q", tc.in)
		assert.Equal(t, tc.off, err.Off, "%q", tc.in)
		assert.True(t, err.Limit, "%q", tc.in)
	}
	// At the limits is fine; depth counts levels open at once.
	for _, tc := range []struct {
		in  string
		lim jsonpos.Limits
	}{
		{"[[1],[2],[[]]]", jsonpos.Limits{MaxDepth: 3}},
		{"[1, 2]", jsonpos.Limits{MaxValues: 3}},
		{`{"a": 1}`, jsonpos.Limits{MaxValues: 2}},
	} {
		_, err := read(t, tc.in, tc.lim)
		assert.Nil(t, err, "%q", tc.in)
	}
}

func TestValues(t *testing.T) {
	v, err := read(t, "\xef\xbb\xbf"+` {"a": [1, -2.5e+3, true, false, null, "x\n\u00e9\ud83d\ude00", {}], "": "h\u00e9", "k\"": []}`, jsonpos.Limits{})
	require.Nil(t, err)
	assert.Equal(t, map[string]any{
		"a":   []any{json.Number("1"), json.Number("-2.5e+3"), true, false, nil, "x\né😀", map[string]any{}},
		"":    "hé",
		"k\"": []any{},
	}, v.Any())
}

// A string without escapes shares the text's memory.
func TestNoCopy(t *testing.T) {
	text := `{"key": "value"}`
	allocs := testing.AllocsPerRun(100, func() {
		r := jsonpos.NewReader(text, jsonpos.Limits{})
		r.Value()
		k, _ := r.Member(0)
		tok, _ := r.Value()
		_, more := r.Member(1)
		if k != "key" || tok.Text != "value" || more || !r.End() {
			panic("misread")
		}
	})
	assert.LessOrEqual(t, allocs, 1.0, "only the Reader itself")
}

func TestPeek(t *testing.T) {
	r := jsonpos.NewReader(` [ 1 , "x" ,{}, x]`, jsonpos.Limits{})
	k, off := r.Peek()
	assert.Equal(t, jsonpos.Array, k)
	assert.Equal(t, 1, off)
	_, ok := r.Value()
	require.True(t, ok)
	var kinds []jsonpos.Kind
	for i := 0; r.Elem(i); i++ {
		k, _ := r.Peek()
		kinds = append(kinds, k)
		if !r.Skip() {
			break
		}
	}
	assert.Equal(t, []jsonpos.Kind{jsonpos.Number, jsonpos.String, jsonpos.Object, jsonpos.Invalid}, kinds)
	require.NotNil(t, r.Err())
	assert.Equal(t, "invalid character 'x' looking for beginning of value", r.Err().Msg)
	k, _ = r.Peek()
	assert.Equal(t, jsonpos.Invalid, k, "after an error")
	assert.False(t, r.AtEnd())
	assert.Equal(t, "object", jsonpos.Object.String())
	assert.Equal(t, "invalid", jsonpos.Invalid.String())
	assert.Equal(t, "Kind(9)", jsonpos.Kind(9).String())
}

func TestLines(t *testing.T) {
	text := "ab\n\ncd\n"
	var l jsonpos.Lines
	for _, tc := range []struct{ off, line, col int }{
		{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 2, 1}, {4, 3, 1}, {6, 3, 3}, {7, 4, 1}, {100, 4, 1}, {-5, 1, 1},
	} {
		line, col := l.Position(text, tc.off)
		assert.Equal(t, [2]int{tc.line, tc.col}, [2]int{line, col}, "offset %d", tc.off)
	}
	var empty jsonpos.Lines
	line, col := empty.Position("", 0)
	assert.Equal(t, [2]int{1, 1}, [2]int{line, col})
}

// FuzzReader: the Reader reads what jsontwin, its slow twin on
// encoding/json, reads: the same values at the same offsets, or the same
// error at the same offset. It accepts what encoding/json accepts but
// strings that are not UTF-8 or hold half a surrogate pair (which
// encoding/json replaces with U+FFFD) and nesting deeper than its limit.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		`[]`, `{}`, `{"a": [1, -0.5e3, "x", true, false, null, {"b": {}}]}`, "\ufeff[1]", `["\u00e9\ud83d\ude00"]`,
		`["\ud800"]`, "[\"\xff\"]", `[1.]`, `{"a":1,"a":2}`, `[01]`, `{"a" 1}`, `"\u12"`, " \t\n\r 5 ",
		`[[[[[[[[[1]]]]]]]]]`, `{"a":[{"b":[{"c":[{"d":[{}]}]}]}]}`, "[\"\xff\", \"\\udc00\"", `["\ud83d\u0041"]`,
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, depth uint8) {
		read(t, string(data), jsonpos.Limits{MaxDepth: int(depth%8) * 2})
	})
}
