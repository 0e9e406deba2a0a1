package topology

import (
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Key returns the case-folded ID. An ID without an upper-case letter is its
// own key (no allocation).
func (r Ref) Key() string {
	s := string(r)
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if !upper {
		return s
	}
	b := make([]byte, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	// b is not kept anywhere else: the string may share its bytes, as
	// strings.Builder's does, saving the copy string(b) would make.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// maxStackKey is the longest ID get folds on the stack; a longer one, or one
// with a non-ASCII letter, is folded by Key.
const maxStackKey = 512

// get looks id up in m, a map keyed by Ref.Key, without building the key:
// the lookups of a load outnumber its resources many times, and each Key
// of a mixed-case ID allocates.
func get[V any](m map[string]V, id Ref) (V, bool) {
	var buf [maxStackKey]byte
	if b, ok := foldASCII(buf[:0], string(id)); ok {
		v, ok := m[string(b)] // no allocation: a map index by a converted []byte
		return v, ok
	}
	v, ok := m[id.Key()]
	return v, ok
}

// foldASCII appends s lower-cased to b, if s is ASCII and fits in b's
// capacity.
func foldASCII(b []byte, s string) ([]byte, bool) {
	if len(s) > cap(b)-len(b) {
		return nil, false
	}
	n := len(b)
	b = b[:n+len(s)]
	d := b[n:]
	for i := range len(s) {
		c := s[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		d[i] = c
	}
	return b, true
}
