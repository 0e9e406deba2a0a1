package arm

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
			return nil, &Error{Pos: d.Pos, Field: d.Path, Err: ErrFormat,
				Msg: fmt.Sprintf("duplicate object key %q: also at %s", truncate(d.Key, 100), d.First)}
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
		return nil, &Error{Pos: Pos{File: file}, Err: ErrLimit,
			Msg: fmt.Sprintf("input is larger than the limit of %d bytes (%d MiB): %d bytes", maxInputSize, maxInputSize>>20, size)}
	}
	if size > 0 {
		b.Grow(int(size) + 1)
	}
	n, err := io.Copy(&b, io.LimitReader(r, maxInputSize+1))
	src := &source{name: file, text: b.String()}
	if err != nil {
		return nil, &Error{Pos: src.pos(int(n)), Msg: "reading input: " + err.Error(), Err: err}
	}
	if n > maxInputSize {
		return nil, &Error{Pos: src.pos(int(maxInputSize)), Err: ErrLimit,
			Msg: fmt.Sprintf("input is larger than the limit of %d bytes (%d MiB)", maxInputSize, maxInputSize>>20)}
	}
	return src, nil
}

// parser is a recursive-descent JSON parser over a whole file that records
// the byte offset of every value. It is strict RFC 8259 JSON (what
// encoding/json accepts), plus the limits above. Duplicate object keys are
// kept and recorded (Value.dup, source.dups).
type parser struct {
	src   *source
	s     string
	i     int
	depth int
	n     int // values so far
	stack []Value
	keys  []string
	err   *Error
}

func parseTree(src *source) (*Value, *Error) {
	p := &parser{src: src, s: src.text}
	switch {
	case strings.HasPrefix(p.s, "\xef\xbb\xbf"):
		p.i = 3
	case strings.HasPrefix(p.s, "\xff\xfe"), strings.HasPrefix(p.s, "\xfe\xff"):
		p.fail(0, ErrSyntax, "input is UTF-16 encoded (as PowerShell 5 writes with '>'); re-encode it as UTF-8")
		return nil, p.err
	}
	p.ws()
	if p.i >= len(p.s) {
		p.fail(p.i, ErrSyntax, "empty input: expected a JSON object or array")
		return nil, p.err
	}
	if !p.value() {
		return nil, p.err
	}
	p.ws()
	if p.i < len(p.s) {
		p.fail(p.i, ErrSyntax, "invalid character %s after top-level value", p.char(p.i))
		return nil, p.err
	}
	v := p.stack[0]
	return &v, nil
}

func (p *parser) fail(off int, cat error, format string, args ...any) {
	if p.err == nil {
		p.err = &Error{Pos: p.src.pos(off), Msg: fmt.Sprintf(format, args...), Err: cat}
	}
}

// char quotes the character at offset i for an error message.
func (p *parser) char(i int) string {
	r, _ := utf8.DecodeRuneInString(p.s[i:])
	return strconv.QuoteRune(r)
}

func (p *parser) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) eof(what string) bool {
	if p.i >= len(p.s) {
		p.fail(p.i, ErrSyntax, "unexpected end of input %s", what)
		return true
	}
	return false
}

// value parses one value and pushes it on p.stack. Containers push
// themselves, then their children, and finally move the children into their
// own slice, so no Value is copied more than twice.
func (p *parser) value() bool {
	p.ws()
	if p.eof("looking for a value") {
		return false
	}
	off := p.i
	p.n++
	if p.n > maxValues {
		p.fail(off, ErrLimit, "more than %d JSON values", maxValues)
		return false
	}
	p.stack = append(p.stack, Value{src: p.src, off: uint32(off)})
	v := &p.stack[len(p.stack)-1]
	ok := true
	switch c := p.s[p.i]; {
	case c == '{':
		return p.object()
	case c == '[':
		return p.array()
	case c == '"':
		v.kind = KindString
		v.s, ok = p.str()
	case c == 't':
		v.kind, v.s = KindBool, "true"
		ok = p.lit("true")
	case c == 'f':
		v.kind, v.s = KindBool, "false"
		ok = p.lit("false")
	case c == 'n':
		v.kind = KindNull
		ok = p.lit("null")
	case c == '-' || ('0' <= c && c <= '9'):
		v.kind = KindNumber
		v.s = p.num()
		ok = v.s != ""
	default:
		p.fail(off, ErrSyntax, "invalid character %s looking for beginning of value", p.char(off))
		return false
	}
	return ok
}

func (p *parser) lit(word string) bool {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return true
	}
	for j := 0; j < len(word); j++ {
		if p.i+j >= len(p.s) {
			p.i += j
			p.eof("in literal " + word)
			return false
		}
		if p.s[p.i+j] != word[j] {
			p.fail(p.i+j, ErrSyntax, "invalid character %s in literal %s", p.char(p.i+j), word)
			return false
		}
	}
	return false // unreachable
}

// num scans a number per RFC 8259 and returns its text, or "" after failing.
func (p *parser) num() string {
	s, start, i := p.s, p.i, p.i
	digits := func() bool {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > j
	}
	bad := func(what string) string {
		if i >= len(s) {
			p.i = i
			p.eof("in number")
		} else {
			p.fail(i, ErrSyntax, "invalid character %s %s", p.char(i), what)
		}
		return ""
	}
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return bad("in numeric literal")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return bad("after decimal point in numeric literal")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return bad("in exponent of numeric literal")
		}
	}
	p.i = i
	return s[start:i]
}

// str scans a string starting at the opening quote. Strings without escapes
// (nearly all of them in ARM JSON) share the input's memory.
func (p *parser) str() (string, bool) {
	s := p.s
	start := p.i + 1
	simple, ascii := true, true
	i := start
	for ; i < len(s); i++ {
		c := s[i]
		if !special[c] {
			continue
		}
		if c == '"' {
			break
		}
		if c < 0x20 {
			p.fail(i, ErrSyntax, "invalid control character %s in string", p.char(i))
			return "", false
		}
		if c >= 0x80 {
			ascii = false
			continue
		}
		// c == '\\'
		simple = false
		if i+1 >= len(s) {
			i = len(s)
			break
		}
		switch s[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i++
		case 'u':
			for j := i + 2; j < i+6; j++ {
				if j >= len(s) {
					p.i = len(s)
					p.eof("in string escape")
					return "", false
				}
				if !isHex(s[j]) {
					p.fail(j, ErrSyntax, "invalid character %s in \\u hexadecimal character escape", p.char(j))
					return "", false
				}
			}
			i += 5
		default:
			p.fail(i+1, ErrSyntax, "invalid character %s in string escape code", p.char(i+1))
			return "", false
		}
	}
	if i >= len(s) {
		p.i = len(s)
		p.eof("in string literal")
		return "", false
	}
	p.i = i + 1
	raw := s[start:i]
	if !ascii && !utf8.ValidString(raw) {
		// encoding/json would replace the bytes with U+FFFD, silently.
		for j := start; j < i; {
			r, n := utf8.DecodeRuneInString(s[j:i])
			if r == utf8.RuneError && n == 1 {
				p.fail(j, ErrSyntax, "invalid UTF-8 in string (byte 0x%02x)", s[j])
				return "", false
			}
			j += n
		}
	}
	if simple {
		return raw, true
	}
	if off, ok := loneSurrogate(s, start, i); !ok {
		p.fail(off, ErrSyntax, "invalid string escape %s: a UTF-16 surrogate without its pair", s[off:off+6])
		return "", false
	}
	// Escapes: let encoding/json apply its exact rules (surrogate pairs).
	// The syntax is already checked.
	var out string
	if err := json.Unmarshal([]byte(s[start-1:i+1]), &out); err != nil {
		p.fail(start-1, ErrSyntax, "invalid string: %v", err)
		return "", false
	}
	return out, true
}

// loneSurrogate checks the \u escapes of s[start:end], a string's contents
// with valid syntax: a UTF-16 surrogate must be a high one followed by a low
// one (encoding/json would replace a lone one with U+FFFD). It returns the
// offset of the first bad escape and false.
func loneSurrogate(s string, start, end int) (int, bool) {
	hex4 := func(j int) rune {
		v, _ := strconv.ParseUint(s[j+2:j+6], 16, 16)
		return rune(v)
	}
	for j := start; j < end; j++ {
		if s[j] != '\\' {
			continue
		}
		if s[j+1] != 'u' {
			j++ // a one-character escape, maybe \\
			continue
		}
		switch r := hex4(j); {
		case 0xd800 <= r && r < 0xdc00:
			if j+12 > end || s[j+6] != '\\' || s[j+7] != 'u' {
				return j, false
			}
			if r2 := hex4(j + 6); r2 < 0xdc00 || r2 >= 0xe000 {
				return j, false
			}
			j += 11
		case 0xdc00 <= r && r < 0xe000:
			return j, false
		default:
			j += 5
		}
	}
	return 0, true
}

// special marks the bytes that end the fast scan of a string.
var special = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= 0x80
	}
	return t
}()

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func (p *parser) enter(off int) bool {
	p.depth++
	if p.depth > MaxDepth {
		p.fail(off, ErrLimit, "nesting deeper than %d levels", MaxDepth)
		return false
	}
	return true
}

// array parses an array whose Value is on top of p.stack.
func (p *parser) array() bool {
	me := len(p.stack) - 1
	p.stack[me].kind = KindArray
	if !p.enter(p.i) {
		return false
	}
	p.i++
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == ']' {
		p.i++
		p.depth--
		return true
	}
	for {
		if !p.value() {
			return false
		}
		p.ws()
		if p.eof("in array") {
			return false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			continue
		case ']':
			p.i++
		default:
			p.fail(p.i, ErrSyntax, "invalid character %s after array element", p.char(p.i))
			return false
		}
		break
	}
	p.stack[me].kids = p.pop(me)
	p.depth--
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

// object parses an object whose Value is on top of p.stack.
func (p *parser) object() bool {
	me := len(p.stack) - 1
	p.stack[me].kind = KindObject
	if !p.enter(p.i) {
		return false
	}
	p.i++
	kbase := len(p.keys)
	var seen map[uint64]struct{} // for large objects only
	dup, nonASCII := false, false
	p.ws()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		p.depth--
		return true
	}
	for {
		p.ws()
		if p.eof("looking for an object key") {
			return false
		}
		if p.s[p.i] != '"' {
			p.fail(p.i, ErrSyntax, "invalid character %s looking for beginning of object key string", p.char(p.i))
			return false
		}
		k, ok := p.str()
		if !ok {
			return false
		}
		ascii := isASCII(k)
		if p.dupKey(k, kbase, !ascii || nonASCII, &seen) {
			// Kept, and recorded: the model builder decides whether it
			// matters (see Resource.Duplicates).
			dup = true
		}
		nonASCII = nonASCII || !ascii
		p.ws()
		if p.eof("after object key") {
			return false
		}
		if p.s[p.i] != ':' {
			p.fail(p.i, ErrSyntax, "invalid character %s after object key", p.char(p.i))
			return false
		}
		p.i++
		p.keys = append(p.keys, k)
		if !p.value() {
			return false
		}
		p.ws()
		if p.eof("in object") {
			return false
		}
		switch p.s[p.i] {
		case ',':
			p.i++
			continue
		case '}':
			p.i++
		default:
			p.fail(p.i, ErrSyntax, "invalid character %s after object key:value pair", p.char(p.i))
			return false
		}
		break
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
	p.depth--
	return true
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
