// Package jsonpos reads JSON text value by value, with the byte offset of
// every value, for the loaders that report problems as file:line:col: the
// ARM loader (topology/arm) and the service-tags parser (servicetag).
//
// It accepts exactly the JSON of RFC 8259, as encoding/json does, and is
// stricter than encoding/json in three ways:
//   - a string must be valid UTF-8, and its \u escapes must not leave half
//     of a UTF-16 surrogate pair (encoding/json replaces both with U+FFFD
//     without a word);
//   - the caller may limit the nesting depth and the number of values
//     ([Limits]);
//   - text that starts with a UTF-16 byte order mark is refused, saying so.
//
// A leading UTF-8 byte order mark is skipped.
//
// A [Reader] is a pull parser. The caller reads the next value with
// [Reader.Value] (after looking at its kind with [Reader.Peek], if it
// likes, or skipping it whole with [Reader.Skip]), walks an array's
// elements with [Reader.Elem] and an object's members with
// [Reader.Member], and checks that nothing follows the top-level value
// with [Reader.End]. The first syntax error, or the first limit exceeded,
// stops the Reader: every later call reports false, and [Reader.Err]
// returns the error, with its offset. [Lines] turns offsets into lines and
// columns when a position is printed.
//
// Strings without escapes, nearly all of them in real files, share the
// text's memory; reading allocates only for strings with escapes.
package jsonpos

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// Kind is the JSON type of a value, as its first byte tells it.
//
// The zero value is [Invalid]: a byte that cannot start a value, or the end
// of the text.
type Kind uint8

// The kinds of JSON values.
const (
	Invalid Kind = iota // not the start of a value, or the end of the text
	Null                // null
	Bool                // true or false
	Number              // a number
	String              // a string
	Array               // an array
	Object              // an object
)

var kindNames = [...]string{"invalid", "null", "bool", "number", "string", "array", "object"}

// String returns the kind's name in the words of encoding/json's type
// errors: "null", "bool", "number", "string", "array", "object", and
// "invalid" for [Invalid].
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// kindOf is the kind of value that each byte starts.
var kindOf = func() (t [256]Kind) {
	t['n'] = Null
	t['t'], t['f'] = Bool, Bool
	t['-'] = Number
	for c := '0'; c <= '9'; c++ {
		t[c] = Number
	}
	t['"'] = String
	t['['] = Array
	t['{'] = Object
	return t
}()

// Token is the start of a value, as [Reader.Value] returns it.
//
// Token is a small value type; copy it freely.
type Token struct {
	Kind Kind
	// Off is the byte offset of the value's first byte in the text given
	// to [NewReader].
	Off int
	// Text is a string's contents, unescaped; a number's literal text
	// (json.Number's form); "true" or "false" for a bool; and "" for null,
	// arrays and objects.
	Text string
}

// Error is the syntax error or the exceeded limit that stopped a [Reader].
type Error struct {
	// Off is the byte offset of the offending byte, or the length of the
	// text for an unexpected end of it.
	Off int
	// Msg says what is wrong, in the style of encoding/json's syntax
	// errors: "invalid character 'x' after array element".
	Msg string
	// Limit is true when a limit of [Limits] was exceeded, false for a
	// syntax error.
	Limit bool
}

// Error returns e.Msg.
func (e *Error) Error() string { return e.Msg }

// Limits bound what a [Reader] accepts. The zero Limits imposes none.
type Limits struct {
	// MaxDepth is the deepest nesting of arrays and objects accepted; 0
	// for no limit. A Reader's callers recurse once per level, so a caller
	// should set one (encoding/json's is 10,000).
	MaxDepth int
	// MaxValues is the most values accepted, counting scalars, arrays and
	// objects but not object keys; 0 for no limit.
	MaxValues int
}

// Reader reads one JSON text. Build it with [NewReader].
//
// A Reader follows the caller, who must walk the grammar: read a value with
// [Reader.Value], and after an array's or object's opening token, its
// elements with [Reader.Elem] or members with [Reader.Member] until they
// report false. A Reader does not check that it is walked so; walked
// otherwise it reads nonsense, but it never reads past the text.
//
// A Reader is not safe for concurrent use. Its text must be shorter than
// 2 GiB.
type Reader struct {
	s     string
	i     int
	depth int
	n     int // values so far
	lim   Limits
	err   *Error
}

// NewReader returns a Reader of text, bounded by lim. A leading UTF-8 byte
// order mark is skipped. If text starts with a UTF-16 byte order mark, the
// Reader fails at once ([Reader.Err]).
func NewReader(text string, lim Limits) *Reader {
	r := &Reader{s: text, lim: lim}
	switch {
	case strings.HasPrefix(text, "\xef\xbb\xbf"):
		r.i = 3
	case strings.HasPrefix(text, "\xff\xfe"), strings.HasPrefix(text, "\xfe\xff"):
		r.fail(0, "input is UTF-16 encoded (as PowerShell 5 writes with '>'); re-encode it as UTF-8")
	}
	return r
}

// Err returns the error that stopped the Reader, or nil.
func (r *Reader) Err() *Error { return r.err }

// Off returns the offset of the next byte the Reader will read.
func (r *Reader) Off() int { return r.i }

// AtEnd skips white space and reports whether the text ends there (false
// after an error).
func (r *Reader) AtEnd() bool {
	if r.err != nil {
		return false
	}
	r.ws()
	return r.i >= len(r.s)
}

// End checks that only white space follows the top-level value; otherwise
// the Reader fails. It reports whether the text was read without error.
func (r *Reader) End() bool {
	if r.err != nil {
		return false
	}
	r.ws()
	if r.i < len(r.s) {
		r.fail(r.i, "invalid character %s after top-level value", r.char(r.i))
		return false
	}
	return true
}

// Peek skips white space and returns the kind of the next value and its
// offset, without reading it: [Invalid] at the end of the text, after an
// error, or before a byte that starts no value (which [Reader.Value] would
// reject).
func (r *Reader) Peek() (Kind, int) {
	if r.err != nil {
		return Invalid, r.i
	}
	r.ws()
	if r.i >= len(r.s) {
		return Invalid, r.i
	}
	return kindOf[r.s[r.i]], r.i
}

// Value reads the next value: a scalar whole, or the opening bracket of an
// array or object, whose elements or members the caller then reads with
// [Reader.Elem] or [Reader.Member]. It reports false, and the Reader
// fails, if there is no valid value there or a limit is exceeded.
func (r *Reader) Value() (Token, bool) {
	if r.err != nil {
		return Token{}, false
	}
	r.ws()
	if r.eof("looking for a value") {
		return Token{}, false
	}
	off := r.i
	r.n++
	if r.lim.MaxValues > 0 && r.n > r.lim.MaxValues {
		r.limit(off, "more than %d JSON values", r.lim.MaxValues)
		return Token{}, false
	}
	switch kindOf[r.s[off]] {
	case Object:
		return Token{Kind: Object, Off: off}, r.enter(off)
	case Array:
		return Token{Kind: Array, Off: off}, r.enter(off)
	case String:
		s, ok := r.str()
		return Token{Kind: String, Off: off, Text: s}, ok
	case Bool:
		if r.s[off] == 't' {
			return Token{Kind: Bool, Off: off, Text: "true"}, r.lit("true")
		}
		return Token{Kind: Bool, Off: off, Text: "false"}, r.lit("false")
	case Null:
		return Token{Kind: Null, Off: off}, r.lit("null")
	case Number:
		s := r.num()
		return Token{Kind: Number, Off: off, Text: s}, s != ""
	}
	r.fail(off, "invalid character %s looking for beginning of value", r.char(off))
	return Token{}, false
}

// Elem moves to element i of the array whose opening bracket, or element
// i-1, the Reader has just read, and reports true if there is one (read it
// with [Reader.Value]), or false at the closing bracket (which it reads)
// or on an error. Call it with i = 0, 1, 2, ... in turn:
//
//	for i := 0; r.Elem(i); i++ {
//		// read element i
//	}
//	if r.Err() != nil { ... }
func (r *Reader) Elem(i int) bool {
	if r.err != nil {
		return false
	}
	r.ws()
	if i == 0 {
		if r.i < len(r.s) && r.s[r.i] == ']' {
			r.i++
			r.depth--
			return false
		}
		return true
	}
	if r.eof("in array") {
		return false
	}
	switch r.s[r.i] {
	case ',':
		r.i++
		return true
	case ']':
		r.i++
		r.depth--
		return false
	}
	r.fail(r.i, "invalid character %s after array element", r.char(r.i))
	return false
}

// Member moves to member i of the object whose opening brace, or member
// i-1, the Reader has just read. If there is one, it reads its key and the
// colon after it, and returns the key (unescaped) and true; read the value
// with [Reader.Value]. At the closing brace (which it reads), or on an
// error, it returns "" and false. Call it with i = 0, 1, 2, ... in turn,
// as [Reader.Elem]. Keys are returned as they are: a caller that cares
// about duplicate keys looks for them itself.
func (r *Reader) Member(i int) (string, bool) {
	if r.err != nil {
		return "", false
	}
	r.ws()
	if i == 0 {
		if r.i < len(r.s) && r.s[r.i] == '}' {
			r.i++
			r.depth--
			return "", false
		}
	} else {
		if r.eof("in object") {
			return "", false
		}
		switch r.s[r.i] {
		case ',':
			r.i++
		case '}':
			r.i++
			r.depth--
			return "", false
		default:
			r.fail(r.i, "invalid character %s after object key:value pair", r.char(r.i))
			return "", false
		}
		r.ws()
	}
	if r.eof("looking for an object key") {
		return "", false
	}
	if r.s[r.i] != '"' {
		r.fail(r.i, "invalid character %s looking for beginning of object key string", r.char(r.i))
		return "", false
	}
	k, ok := r.str()
	if !ok {
		return "", false
	}
	r.ws()
	if r.eof("after object key") {
		return "", false
	}
	if r.s[r.i] != ':' {
		r.fail(r.i, "invalid character %s after object key", r.char(r.i))
		return "", false
	}
	r.i++
	return k, true
}

// Skip reads the next value whole, checking it as [Reader.Value] and the
// rest would, and reports whether it succeeded. It recurses once per level
// of nesting.
func (r *Reader) Skip() bool {
	t, ok := r.Value()
	if !ok {
		return false
	}
	switch t.Kind {
	case Array:
		for i := 0; r.Elem(i); i++ {
			if !r.Skip() {
				return false
			}
		}
	case Object:
		for i := 0; ; i++ {
			if _, ok := r.Member(i); !ok {
				break
			}
			if !r.Skip() {
				return false
			}
		}
	}
	return r.err == nil
}

func (r *Reader) fail(off int, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Off: off, Msg: fmt.Sprintf(format, args...)}
	}
}

func (r *Reader) limit(off int, format string, args ...any) {
	if r.err == nil {
		r.err = &Error{Off: off, Msg: fmt.Sprintf(format, args...), Limit: true}
	}
}

// char quotes the character at offset i for an error message.
func (r *Reader) char(i int) string {
	c, _ := utf8.DecodeRuneInString(r.s[i:])
	return strconv.QuoteRune(c)
}

func (r *Reader) ws() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *Reader) eof(what string) bool {
	if r.i >= len(r.s) {
		r.fail(r.i, "unexpected end of input %s", what)
		return true
	}
	return false
}

// enter reads the opening bracket at off, one level deeper.
func (r *Reader) enter(off int) bool {
	r.depth++
	if r.lim.MaxDepth > 0 && r.depth > r.lim.MaxDepth {
		r.limit(off, "nesting deeper than %d levels", r.lim.MaxDepth)
		return false
	}
	r.i++
	return true
}

func (r *Reader) lit(word string) bool {
	if strings.HasPrefix(r.s[r.i:], word) {
		r.i += len(word)
		return true
	}
	for j := 0; j < len(word); j++ {
		if r.i+j >= len(r.s) {
			r.i += j
			r.eof("in literal " + word)
			return false
		}
		if r.s[r.i+j] != word[j] {
			r.fail(r.i+j, "invalid character %s in literal %s", r.char(r.i+j), word)
			return false
		}
	}
	return false // not reached: the prefix matched
}

// num scans a number per RFC 8259 and returns its text, or "" after
// failing.
func (r *Reader) num() string {
	s, start, i := r.s, r.i, r.i
	digits := func() bool {
		j := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > j
	}
	bad := func(what string) string {
		if i >= len(s) {
			r.i = i
			r.eof("in number")
		} else {
			r.fail(i, "invalid character %s %s", r.char(i), what)
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
	r.i = i
	return s[start:i]
}

// str scans a string starting at the opening quote. Strings without
// escapes share the text's memory.
func (r *Reader) str() (string, bool) {
	s := r.s
	start := r.i + 1
	simple, ascii := true, true
	i := start
	for ; i < len(s); i++ {
		// Skip eight plain bytes a step: a word none of whose bytes is a
		// quote, a backslash, a control character or part of a multi-byte
		// UTF-8 sequence. A byte's high bit is set in (x-ones)&^x if the
		// byte of x is zero, in (w-0x20*ones)&^w if the byte of w is below
		// 0x20, and in w if the byte is 0x80 or above; a borrow sets it in
		// a higher byte only when a lower one is special, so the test is
		// exact for the word ("Determine if a word has a zero byte", Bit
		// Twiddling Hacks).
		for ; i+8 <= len(s); i += 8 {
			const ones, high = 0x0101010101010101, 0x8080808080808080
			_ = s[i+7]
			w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
				uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
			q, b := w^(ones*'"'), w^(ones*'\\')
			if ((q-ones)&^q|(b-ones)&^b|(w-0x20*ones)&^w|w)&high != 0 {
				break
			}
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if !special[c] {
			continue
		}
		if c == '"' {
			break
		}
		if c < 0x20 {
			r.fail(i, "invalid control character %s in string", r.char(i))
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
					r.i = len(s)
					r.eof("in string escape")
					return "", false
				}
				if !isHex(s[j]) {
					r.fail(j, "invalid character %s in \\u hexadecimal character escape", r.char(j))
					return "", false
				}
			}
			i += 5
		default:
			r.fail(i+1, "invalid character %s in string escape code", r.char(i+1))
			return "", false
		}
	}
	if i >= len(s) {
		r.i = len(s)
		r.eof("in string literal")
		return "", false
	}
	r.i = i + 1
	raw := s[start:i]
	if !ascii && !utf8.ValidString(raw) {
		// encoding/json would replace the bytes with U+FFFD, silently.
		for j := start; j < i; {
			c, n := utf8.DecodeRuneInString(s[j:i])
			if c == utf8.RuneError && n == 1 {
				r.fail(j, "invalid UTF-8 in string (byte 0x%02x)", s[j])
				return "", false
			}
			j += n
		}
	}
	if simple {
		return raw, true
	}
	if off, ok := loneSurrogate(s, start, i); !ok {
		r.fail(off, "invalid string escape %s: a UTF-16 surrogate without its pair", s[off:off+6])
		return "", false
	}
	return unescape(raw), true
}

// unescape returns the contents of a string with escapes, raw, whose syntax
// and surrogate pairs are checked.
func unescape(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	for {
		j := strings.IndexByte(raw, '\\')
		if j < 0 {
			b.WriteString(raw)
			return b.String()
		}
		b.WriteString(raw[:j])
		c := raw[j+1]
		raw = raw[j+2:]
		switch c {
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			c := hex4(raw)
			raw = raw[4:]
			if utf16.IsSurrogate(c) { // a high one, and a low one follows
				c = utf16.DecodeRune(c, hex4(raw[2:]))
				raw = raw[6:]
			}
			b.WriteRune(c)
		default: // '"', '\\', '/'
			b.WriteByte(c)
		}
	}
}

// hex4 returns the value of the four hexadecimal digits at the start of s.
func hex4(s string) rune {
	var v rune
	for _, c := range []byte(s[:4]) {
		switch {
		case c <= '9':
			c -= '0'
		case c >= 'a':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		v = v<<4 | rune(c)
	}
	return v
}

// loneSurrogate checks the \u escapes of s[start:end], a string's contents
// with valid syntax: a UTF-16 surrogate must be a high one followed by a
// low one (encoding/json would replace a lone one with U+FFFD). It returns
// the offset of the first bad escape and false.
func loneSurrogate(s string, start, end int) (int, bool) {
	for j := start; j < end; j++ {
		if s[j] != '\\' {
			continue
		}
		if s[j+1] != 'u' {
			j++ // a one-character escape, maybe \\
			continue
		}
		switch c := hex4(s[j+2:]); {
		case 0xd800 <= c && c < 0xdc00:
			if j+12 > end || s[j+6] != '\\' || s[j+7] != 'u' {
				return j, false
			}
			if c2 := hex4(s[j+8:]); c2 < 0xdc00 || c2 >= 0xe000 {
				return j, false
			}
			j += 11
		case 0xdc00 <= c && c < 0xe000:
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

// Lines turns byte offsets of one text into lines and columns. It indexes
// the text's line starts on first use, which costs O(len(text)); later
// calls cost O(log lines). Most positions are never printed, so a loader
// builds the index only when it reports a problem.
//
// The zero Lines is ready to use. A Lines must always be given the same
// text, and must not be copied after first use. It is safe for concurrent
// use.
type Lines struct {
	once   sync.Once
	starts []int32 // byte offsets at which lines 2, 3, ... start
}

// Position returns the 1-based line and the 1-based column, counted in
// bytes, of offset off in text. An offset outside the text is clamped to
// it: the end of the text counts as inside (for "unexpected end of input").
func (l *Lines) Position(text string, off int) (line, col int) {
	l.once.Do(func() {
		l.starts = make([]int32, 0, strings.Count(text, "\n"))
		for i := 0; i < len(text); {
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			l.starts = append(l.starts, int32(i))
		}
	})
	off = max(0, min(off, len(text)))
	// The number of line starts <= off is the 0-based line index.
	i, _ := slices.BinarySearch(l.starts, int32(off+1))
	start := 0
	if i > 0 {
		start = int(l.starts[i-1])
	}
	return i + 1, off - start + 1
}
