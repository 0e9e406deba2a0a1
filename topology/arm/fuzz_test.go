package arm

import (
	"github.com/egresslab/egress/problem"

	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// toAny converts a tree to what encoding/json decodes with UseNumber.
func toAny(v *Value) any {
	switch v.Kind() {
	case KindNull:
		return nil
	case KindBool:
		b, _ := v.Bool()
		return b
	case KindNumber:
		s, _ := v.Number()
		return json.Number(s)
	case KindString:
		s, _ := v.Str()
		return s
	case KindArray:
		out := make([]any, 0, v.Len())
		for _, e := range v.Elems() {
			out = append(out, toAny(e))
		}
		return out
	case KindObject:
		out := make(map[string]any, v.Len())
		for k, m := range v.Members() {
			out[k] = toAny(m)
		}
		return out
	}
	return "absent"
}

// checkOffsets checks that every value's offset points at a byte that can
// start a value of its kind.
func checkOffsets(t *testing.T, data string, v *Value) {
	if int(v.off) >= len(data) {
		t.Fatalf("offset %d past the end (%d)", v.off, len(data))
	}
	c := data[v.off]
	ok := false
	switch v.kind {
	case KindNull:
		ok = c == 'n'
	case KindBool:
		ok = c == 't' || c == 'f'
	case KindNumber:
		ok = c == '-' || '0' <= c && c <= '9'
	case KindString:
		ok = c == '"'
	case KindArray:
		ok = c == '['
	case KindObject:
		ok = c == '{'
	}
	if !ok {
		t.Fatalf("value of kind %v at offset %d starts with %q", v.kind, v.off, c)
	}
	for i := range v.kids {
		checkOffsets(t, data, &v.kids[i])
	}
}

// within reports whether p is a position inside data (the end of input
// counts as inside).
func within(data string, p Pos) bool {
	lines := strings.Split(data, "\n")
	return p.Line >= 1 && p.Line <= len(lines) && p.Col >= 1 && p.Col <= len(lines[p.Line-1])+1
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		`[]`, `{}`, `{"value": []}`, `{"data": {"columns": [{"name": "id"}], "rows": [[1]]}}`, `{"a": {"type": "x"}}`,
		`[{"id": "/subscriptions/s/resourceGroups/r/providers/A.B/c/d", "type": "A.B/c"}]`,
		`{"contentVersion": "", "resources": [{"type": "A.B/c", "name": "d", "resources": [{"type": "e", "name": "f"}]}]}`,
		`{"contentVersion": "", "resources": {"x": {"type": "A.B/c", "name": "[[d]", "p": "[e]"}}}`,
		"\ufeff[1e5, -0.5, \"\\u00e9\\ud800\", true, false, null]", "[\"\xff\"]", `[1.]`, `{"a":1,"a":2}`, `{"A":1,"a":{"k":1,"\u212a":2}}`,
		`{"parameters": {}, "responses": {"200": {"body": {"id": "resourceGroups/r/providers/A.B/c/d"}}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text := string(data)
		res, err := Parse("f.json", bytes.NewReader(data))
		if err != nil {
			if res != nil {
				t.Fatal("resources returned with an error")
			}
			for _, ae := range parseErrors(t, err) {
				if !within(text, ae.Pos) || ae.Pos.File != "f.json" {
					t.Fatalf("error position %v outside the input: %v", ae.Pos, ae)
				}
			}
		}
		for _, r := range res {
			if r.Type == "" || r.ID == "" {
				t.Fatalf("resource without type or ID: %+v", r)
			}
			if !within(text, r.Pos) {
				t.Fatalf("resource position %v outside the input", r.Pos)
			}
			if _, err := ParseLooseID(r.ID); err != nil {
				t.Fatalf("resource with a bad ID: %v", err)
			}
			for _, d := range r.Duplicates {
				if !within(text, d.First) || !within(text, d.Pos) || !strings.HasSuffix(d.Path, d.Key) {
					t.Fatalf("duplicate key outside the input: %+v", d)
				}
			}
			if tracked, _ := TrackReads(r); !reflect.DeepEqual(toAny(tracked.Body), toAny(r.Body)) {
				t.Fatal("TrackReads changed the body")
			}
		}

		// Differential: the tree agrees with encoding/json.
		v, verr := ParseValue("f.json", bytes.NewReader(data))
		plain := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		var want any
		dec := json.NewDecoder(bytes.NewReader(plain))
		dec.UseNumber()
		jerr := dec.Decode(&want)
		switch {
		case verr != nil && (errors.Is(verr, ErrLimit) || errors.Is(verr, ErrFormat)):
			// Depth, size or duplicate keys: stricter than encoding/json.
		case verr != nil && json.Valid(plain) && (strings.Contains(verr.Error(), "invalid UTF-8 in string") && !utf8.Valid(plain) ||
			strings.Contains(verr.Error(), "surrogate without its pair") && bytes.Contains(bytes.ToLower(plain), []byte(`\ud`))):
			// Bytes that are not UTF-8, or half a surrogate pair, in a
			// string: encoding/json replaces them with U+FFFD.
		case (verr == nil) != json.Valid(plain):
			t.Fatalf("ParseValue error %v, json.Valid %v", verr, json.Valid(plain))
		case verr == nil:
			checkOffsets(t, text, v)
			if jerr != nil {
				t.Fatalf("json.Valid but Decode fails: %v", jerr)
			}
			if got := toAny(v); !reflect.DeepEqual(got, want) {
				t.Fatalf("tree differs from encoding/json:\n got %#v\nwant %#v", got, want)
			}
		}
	})
}

// parseErrors returns the problems of a Parse error (one *Error, or a
// *problem.Errors of them), failing t if any is not an *Error.
func parseErrors(t *testing.T, err error) []*Error {
	t.Helper()
	list := []error{err}
	if es, ok := err.(*problem.Errors); ok {
		list = es.List
	}
	out := make([]*Error, 0, len(list))
	for _, e := range list {
		var ae *Error
		if !errors.As(e, &ae) {
			t.Fatalf("error %v (%T) is not an *Error", e, e)
		}
		out = append(out, ae)
	}
	return out
}
