// Package jsontwin is the slow twin of internal/jsonpos, for differential
// tests: it reads JSON with encoding/json alone, and finds the offset of
// every value from the decoder's InputOffset, so that what it returns is
// right by construction. Only tests import it.
//
// [Read] returns the tree of a text, or the one error that a jsonpos Reader
// walking the whole text must stop at: encoding/json's syntax error, or,
// where jsonpos is stricter by design, the first string that is not UTF-8
// or holds half a UTF-16 surrogate pair, or the first array or object
// nested deeper than a limit.
package jsontwin

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Node is one JSON value.
type Node struct {
	Kind string // "null", "bool", "number", "string", "array" or "object"
	Off  int    // the offset of its first byte in the text
	// Text is a string's contents (decoded), a number's literal, "true" or
	// "false"; "" otherwise.
	Text string
	Keys []string // an object's keys, in order, duplicates kept
	Kids []*Node  // an array's elements or an object's values, in order
}

// Error is where reading stops, and why.
type Error struct {
	Off int
	// Kind is "syntax" (encoding/json's syntax error: at the offending
	// byte, or at the end of the text for an unexpected end), "utf8" (at
	// the first byte that is not UTF-8, in a string), "surrogate" (at the
	// backslash of a \u escape of half a surrogate pair) or "limit" (at an
	// array or object nested too deep).
	Kind string
}

func (e *Error) Error() string { return e.Kind + " error at offset " + strconv.Itoa(e.Off) }

// Read reads text, which may start with a UTF-8 byte order mark, and
// returns its tree, or the error a jsonpos Reader with that MaxDepth (1 to
// 10,000, encoding/json's own limit) stops at.
func Read(text string, maxDepth int) (*Node, *Error) {
	base := 0
	if strings.HasPrefix(text, "\ufeff") {
		base = 3
	}
	data := []byte(text[base:])
	var stop *Error // encoding/json's verdict on the whole text
	var se *json.SyntaxError
	if err := json.Unmarshal(data, new(json.RawMessage)); errors.As(err, &se) {
		stop = &Error{Off: base + int(se.Offset) - 1, Kind: "syntax"}
		switch {
		case strings.HasPrefix(se.Error(), "unexpected end"),
			// At the end, the scanner reports the space it feeds itself
			// there, if that is invalid.
			strings.HasPrefix(se.Error(), "invalid character ' '") && int(se.Offset) == len(data) && data[len(data)-1] != ' ':
			stop.Off = len(text)
		case strings.Contains(se.Error(), "exceeded max depth"):
			stop.Kind = "limit"
		}
	}
	w := walker{data: data, base: base, maxDepth: maxDepth, dec: json.NewDecoder(bytes.NewReader(data))}
	w.dec.UseNumber()
	n, err := w.value(1)
	switch {
	case err == errStop && stop != nil:
		return nil, stop
	case err != nil:
		return nil, err
	case stop != nil:
		return nil, stop
	}
	return n, nil
}

type walker struct {
	data     []byte
	base     int
	maxDepth int
	dec      *json.Decoder
}

// errStop is a token the decoder refuses: the syntax error that Read
// found stands. (Returned on its own, it says that the decoder refuses
// what encoding/json's validator accepts.)
var errStop = &Error{Kind: "decoder refuses valid JSON"}

// value reads the value that the decoder is before, at nesting depth.
func (w *walker) value(depth int) (*Node, *Error) {
	off := w.next()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, errStop
	}
	n := &Node{Off: w.base + off}
	switch tok := tok.(type) {
	case nil:
		n.Kind = "null"
	case bool:
		n.Kind, n.Text = "bool", strconv.FormatBool(tok)
	case json.Number:
		n.Kind, n.Text = "number", string(tok)
	case string:
		n.Kind, n.Text = "string", tok
		if e := w.checkString(off); e != nil {
			return nil, e
		}
	case json.Delim:
		if depth > w.maxDepth {
			return nil, &Error{Off: n.Off, Kind: "limit"}
		}
		n.Kind = map[json.Delim]string{'[': "array", '{': "object"}[tok]
		for w.dec.More() {
			if tok == '{' {
				koff := w.next()
				k, err := w.dec.Token()
				if err != nil {
					return nil, errStop
				}
				if e := w.checkString(koff); e != nil {
					return nil, e
				}
				n.Keys = append(n.Keys, k.(string))
			}
			kid, e := w.value(depth + 1)
			if e != nil {
				return nil, e
			}
			n.Kids = append(n.Kids, kid)
		}
		if _, err := w.dec.Token(); err != nil { // the closing bracket
			return nil, errStop
		}
	}
	return n, nil
}

// next returns the offset of the next token: past white space and one
// separator after where the decoder stopped.
func (w *walker) next() int {
	off := w.skipSpace(int(w.dec.InputOffset()))
	if off < len(w.data) && (w.data[off] == ':' || w.data[off] == ',') {
		off = w.skipSpace(off + 1)
	}
	return off
}

func (w *walker) skipSpace(off int) int {
	for off < len(w.data) && strings.IndexByte(" \t\n\r", w.data[off]) >= 0 {
		off++
	}
	return off
}

// checkString checks the string the decoder has just read, which started
// at off: it must be UTF-8, and its \u escapes must pair surrogates.
func (w *walker) checkString(off int) *Error {
	raw := w.data[off+1 : w.dec.InputOffset()-1] // between the quotes
	for i := 0; i < len(raw); {
		r, n := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && n == 1 {
			return &Error{Off: w.base + off + 1 + i, Kind: "utf8"}
		}
		i += n
	}
	// The escapes, in order: \X is two bytes, \uXXXX six.
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		if raw[i+1] != 'u' {
			i++
			continue
		}
		c := hex(raw[i+2 : i+6])
		switch {
		case c >= 0xdc00 && c < 0xe000:
			return &Error{Off: w.base + off + 1 + i, Kind: "surrogate"}
		case c >= 0xd800 && c < 0xdc00:
			if i+12 > len(raw) || raw[i+6] != '\\' || raw[i+7] != 'u' {
				return &Error{Off: w.base + off + 1 + i, Kind: "surrogate"}
			}
			if c2 := hex(raw[i+8 : i+12]); c2 < 0xdc00 || c2 >= 0xe000 {
				return &Error{Off: w.base + off + 1 + i, Kind: "surrogate"}
			}
			i += 11
		default:
			i += 5
		}
	}
	return nil
}

func hex(b []byte) int {
	v, _ := strconv.ParseUint(string(b), 16, 16)
	return int(v)
}

// Any returns n as encoding/json decodes it with UseNumber: nil, bool,
// json.Number, string, []any or map[string]any (the last of duplicate keys
// wins).
func (n *Node) Any() any {
	switch n.Kind {
	case "bool":
		return n.Text == "true"
	case "number":
		return json.Number(n.Text)
	case "string":
		return n.Text
	case "array":
		out := make([]any, len(n.Kids))
		for i, k := range n.Kids {
			out[i] = k.Any()
		}
		return out
	case "object":
		out := make(map[string]any, len(n.Kids))
		for i, k := range n.Kids {
			out[n.Keys[i]] = k.Any()
		}
		return out
	}
	return nil
}
