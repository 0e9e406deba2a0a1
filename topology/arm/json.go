package arm

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/egresslab/egress/internal/jsonpos"
)

// Limits on input, enforced by [Parse], [ParseFiles] and [ParseValue]. An
// input beyond them fails with an [Error] wrapping [ErrLimit]; none of them is
// reached by real exports (a 100 MB Resource Graph export of 10,000 network
// resources is about 5 M values, nested at most 15 deep).
const (
	// MaxInputSize is the largest file accepted, in bytes (256 MiB).
	MaxInputSize = 256 << 20
	// MaxDepth is the deepest nesting of arrays and objects accepted. Real
	// ARM resources nest about 12 deep (firewall policy rule collections).
	MaxDepth = 64
	// MaxValues is the most JSON values (scalars, arrays, objects; object
	// keys not counted) accepted in one file. With [MaxInputSize] it bounds
	// the memory of a parsed file to about 1.5 GiB even for pathological
	// inputs such as a file of "[0,0,0,...]"; realistic exports need about 4
	// times their size.
	MaxValues = 16 << 20
)

// The limits in force; tests lower them.
var (
	maxInputSize int64 = MaxInputSize
	maxValues          = MaxValues
)

// ParseValue reads one JSON document from r and returns it as a tree of
// [Value]s with positions, reporting errors against the name file. It reads
// at most [MaxInputSize] bytes and enforces [MaxDepth] and [MaxValues]. A
// leading UTF-8 byte order mark is skipped; UTF-16 input is rejected.
//
// A key that one object holds twice (compared case-insensitively) is an
// error, [ErrFormat], naming both positions: ParseValue's callers read
// documents whole, and no one can tell which value was meant. ([Parse] keeps
// them instead, for the model builder to judge; see [DuplicateKey].)
//
// On error it returns nil and an *[Error] (wrapping ErrSyntax, ErrLimit or
// ErrFormat, or the read error).
func ParseValue(file string, r io.Reader) (*Value, error) {
	src, err := readSource(file, r)
	if err != nil {
		return nil, err
	}
	v, e := parseTree(src)
	if e != nil {
		return nil, e
	}
	if src.dups > 0 {
		if ds := duplicates(v, nil, nil); len(ds) > 0 {
			d := ds[0]
			return nil, &Error{Pos: d.Pos, Field: d.Path, Kind: ErrFormat,
				Detail: fmt.Sprintf("duplicate object key %q: also at %s", truncate(d.Key, 100), d.First)}
		}
	}
	return v, nil
}

// readSource reads all of r, up to MaxInputSize bytes, into a string that
// the tree's strings then share (no copy per string).
func readSource(file string, r io.Reader) (*source, error) {
	var b strings.Builder
	// Size the buffer once when the size is known (files, bytes.Reader,
	// strings.Reader); io.Copy through a LimitReader would grow it by
	// doubling.
	size := int64(-1)
	switch r := r.(type) {
	case *os.File:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	case interface{ Len() int }:
		size = int64(r.Len())
	}
	if size > maxInputSize { // a file known to be too large is not read
		return nil, &Error{Pos: Pos{File: file}, Kind: ErrLimit,
			Detail: fmt.Sprintf("larger than the limit of %d bytes (%d MiB): %d bytes", maxInputSize, maxInputSize>>20, size)}
	}
	if size > 0 {
		b.Grow(int(size) + 1)
	}
	n, err := io.Copy(&b, io.LimitReader(r, maxInputSize+1))
	src := &source{name: file, text: b.String()}
	if err != nil {
		return nil, &Error{Pos: src.pos(int(n)), Kind: err, Detail: "while reading the input"}
	}
	if n > maxInputSize {
		return nil, &Error{Pos: src.pos(int(maxInputSize)), Kind: ErrLimit,
			Detail: fmt.Sprintf("larger than the limit of %d bytes (%d MiB)", maxInputSize, maxInputSize>>20)}
	}
	return src, nil
}

// parser builds the tree of a whole file with the positioned reader of
// internal/jsonpos: strict RFC 8259 JSON (what encoding/json accepts), plus
// the limits above. Duplicate object keys are kept and recorded (Value.dup,
// source.dups).
type parser struct {
	src   *source
	r     *jsonpos.Reader
	stack []Value
	keys  []string
}

func parseTree(src *source) (*Value, *Error) {
	p := &parser{src: src, r: jsonpos.NewReader(src.text, jsonpos.Limits{MaxDepth: MaxDepth, MaxValues: maxValues})}
	if p.r.AtEnd() {
		return nil, &Error{Pos: src.pos(p.r.Off()), Detail: "empty input: expected a JSON object or array", Kind: ErrSyntax}
	}
	if !p.value() || !p.r.End() {
		return nil, p.err()
	}
	v := p.stack[0]
	return &v, nil
}

// err returns the reader's error as an *Error.
func (p *parser) err() *Error {
	e := p.r.Err()
	cat := ErrSyntax
	if e.Limit {
		cat = ErrLimit
	}
	return &Error{Pos: p.src.pos(e.Off), Detail: e.Msg, Kind: cat}
}

// value parses one value and pushes it on p.stack. Containers push
// themselves, then their children, and finally move the children into their
// own slice, so no Value is copied more than twice.
func (p *parser) value() bool {
	t, ok := p.r.Value()
	if !ok {
		return false
	}
	p.stack = append(p.stack, Value{src: p.src, off: uint32(t.Off)})
	v := &p.stack[len(p.stack)-1]
	switch t.Kind {
	case jsonpos.Object:
		return p.object()
	case jsonpos.Array:
		return p.array()
	case jsonpos.String:
		v.kind, v.s = KindString, t.Text
	case jsonpos.Bool:
		v.kind, v.s = KindBool, t.Text
	case jsonpos.Null:
		v.kind = KindNull
	case jsonpos.Number:
		v.kind, v.s = KindNumber, t.Text
	}
	return true
}

// array parses the elements of an array whose Value is on top of p.stack.
func (p *parser) array() bool {
	me := len(p.stack) - 1
	p.stack[me].kind = KindArray
	for i := 0; p.r.Elem(i); i++ {
		if !p.value() {
			return false
		}
	}
	if p.r.Err() != nil {
		return false
	}
	if len(p.stack) > me+1 {
		p.stack[me].kids = p.pop(me)
	}
	return true
}

// pop moves the values above p.stack[me] into a new slice of exactly their
// length.
func (p *parser) pop(me int) []Value {
	kids := make([]Value, len(p.stack)-me-1)
	copy(kids, p.stack[me+1:])
	clear(p.stack[me+1:]) // drop references for the GC
	p.stack = p.stack[:me+1]
	return kids
}

// object parses the members of an object whose Value is on top of p.stack.
func (p *parser) object() bool {
	me := len(p.stack) - 1
	p.stack[me].kind = KindObject
	kbase := len(p.keys)
	var seen map[uint64]struct{} // for large objects only
	dup, nonASCII := false, false
	for i := 0; ; i++ {
		k, ok := p.r.Member(i)
		if !ok {
			break
		}
		ascii := isASCII(k)
		if p.dupKey(k, kbase, !ascii || nonASCII, &seen) {
			// Kept, and recorded: the model builder decides whether it
			// matters (see Resource.Duplicates).
			dup = true
		}
		nonASCII = nonASCII || !ascii
		p.keys = append(p.keys, k)
		if !p.value() {
			return false
		}
	}
	if p.r.Err() != nil {
		return false
	}
	if len(p.keys) == kbase {
		return true
	}
	keys := make([]string, len(p.keys)-kbase)
	copy(keys, p.keys[kbase:])
	p.keys = p.keys[:kbase]
	p.stack[me].keys = keys
	p.stack[me].kids = p.pop(me)
	if dup {
		p.stack[me].dup = true
		p.src.dups++
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// dupKey reports whether k is already a key of the object being parsed,
// whose keys start at p.keys[kbase], comparing keys case-insensitively (as
// [Value.Get] looks them up; [foldEqual]). slow is true when k or an earlier
// key is not ASCII, where case folding may change the length. Small objects
// are scanned; from 16 keys on, a set of folded-key hashes makes the check
// O(1) unless the hash is already there.
func (p *parser) dupKey(k string, kbase int, slow bool, seen *map[uint64]struct{}) bool {
	keys := p.keys[kbase:]
	if len(keys) < 16 {
		for _, x := range keys {
			if (slow || len(x) == len(k)) && foldEqual(x, k) {
				return true
			}
		}
		return false
	}
	if *seen == nil {
		*seen = make(map[uint64]struct{}, 2*len(keys))
		for _, x := range keys {
			(*seen)[foldHash(x)] = struct{}{}
		}
	}
	h := foldHash(k)
	if _, ok := (*seen)[h]; ok {
		for _, x := range keys {
			if foldEqual(x, k) {
				return true
			}
		}
		return false // a hash collision
	}
	(*seen)[h] = struct{}{}
	return false
}

// isASCII reports whether s has only ASCII bytes.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// foldEqual reports whether a and b are equal under Unicode case folding,
// exactly as strings.EqualFold, with a fast path for ASCII keys.
func foldEqual(a, b string) bool {
	if len(a) != len(b) {
		return strings.EqualFold(a, b)
	}
	for i := 0; i < len(a); i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca|cb >= utf8.RuneSelf {
			return strings.EqualFold(a[i:], b[i:])
		}
		if 'A' <= ca && ca <= 'Z' {
			ca += 'a' - 'A'
		}
		if 'A' <= cb && cb <= 'Z' {
			cb += 'a' - 'A'
		}
		if ca != cb {
			return false
		}
	}
	return true
}

// foldHash hashes s (FNV-1a) so that strings equal under case folding hash
// equal: each rune is replaced by the smallest rune of its
// unicode.SimpleFold orbit, which two runes share exactly when
// strings.EqualFold matches them.
func foldHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); {
		r := rune(s[i])
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			i++
		} else {
			var n int
			r, n = utf8.DecodeRuneInString(s[i:])
			i += n
			m := r
			for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
				m = min(m, f)
			}
			r = m
		}
		h ^= uint64(r)
		h *= 1099511628211
	}
	return h
}
