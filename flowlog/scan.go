package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// scanner is a pull JSON tokenizer over a stream: just what the flow-log
// layouts need (objects, arrays, strings, integers, and skipping anything
// else), with the position of every byte for errors. It keeps a window of
// the input: memory is bounded by the largest token, not the stream.
type scanner struct {
	src  io.Reader
	buf  []byte
	pos  int  // next byte to read in buf
	eof  bool // src is exhausted
	rerr error
	// base is the absolute offset of buf[0]. lines counts the newlines
	// before the absolute offset counted, and lastNL is the offset just past
	// the last of them: positions are asked for in increasing order, so
	// counting is linear in the input.
	base, counted, lines, lastNL int64
}

const minRead = 64 << 10

func (s *scanner) init(src io.Reader) {
	s.src = src
	if s.buf == nil {
		s.buf = make([]byte, 0, 2*minRead)
	}
	s.buf, s.pos, s.eof, s.rerr, s.lines, s.lastNL, s.base, s.counted = s.buf[:0], 0, false, nil, 0, 0, 0, 0
}

// more reads more input, keeping buf[s.pos:]; it reports whether any
// arrived.
func (s *scanner) more() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		s.countTo(s.pos)
		s.base += int64(s.pos)
		n := copy(s.buf, s.buf[s.pos:])
		s.buf, s.pos = s.buf[:n], 0
	}
	if cap(s.buf)-len(s.buf) < minRead {
		nb := make([]byte, len(s.buf), 2*cap(s.buf)+minRead)
		copy(nb, s.buf)
		s.buf = nb
	}
	for {
		n, err := s.src.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		if err != nil {
			s.eof = true
			if !errors.Is(err, io.EOF) {
				s.rerr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// countTo counts the newlines up to buf[at], from where counting stopped.
func (s *scanner) countTo(at int) {
	from := int(s.counted - s.base)
	if from < 0 || from >= at {
		return
	}
	seg := s.buf[from:at]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		s.lines += int64(n)
		s.lastNL = s.base + int64(from+bytes.LastIndexByte(seg, '\n')) + 1
	}
	s.counted = s.base + int64(at)
}

// position returns the line and column (1-based, in bytes) of buf[at]; at
// is never before a position asked for earlier.
func (s *scanner) position(at int) (line, col int) {
	at = min(at, len(s.buf))
	s.countTo(at)
	return int(s.lines) + 1, int(s.base+int64(at)-s.lastNL) + 1
}

// ws skips white space and returns the next byte without consuming it; ok
// is false at the end of the input.
func (s *scanner) ws() (byte, bool) {
	for {
		for s.pos < len(s.buf) {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, true
			}
		}
		if !s.more() {
			return 0, false
		}
	}
}

// errSyntax is the error of bad input at a position.
type errSyntax struct {
	line, col int
	msg       string
}

// bad returns an error at the current position.
func (s *scanner) bad(format string, args ...any) *errSyntax {
	l, c := s.position(s.pos)
	return &errSyntax{line: l, col: c, msg: fmt.Sprintf(format, args...)}
}

// expect consumes byte c (after white space).
func (s *scanner) expect(c byte) *errSyntax {
	b, ok := s.ws()
	if !ok {
		return s.bad("unexpected end of input, want %q", c)
	}
	if b != c {
		return s.bad("unexpected %q, want %q", b, c)
	}
	s.pos++
	return nil
}

// next reports whether a list continues after an element (consuming ","),
// or ends (consuming close).
func (s *scanner) next(close byte) (bool, *errSyntax) {
	b, ok := s.ws()
	if !ok {
		return false, s.bad("unexpected end of input, want \",\" or %q", close)
	}
	s.pos++
	switch b {
	case ',':
		return true, nil
	case close:
		return false, nil
	}
	s.pos--
	return false, s.bad("unexpected %q, want \",\" or %q", b, close)
}

// open consumes "{" or "[" and reports whether the container is empty
// (consuming its close too).
func (s *scanner) open(c, close byte) (empty bool, err *errSyntax) {
	if err := s.expect(c); err != nil {
		return false, err
	}
	b, ok := s.ws()
	if ok && b == close {
		s.pos++
		return true, nil
	}
	return false, nil
}

// str appends the next string's contents, unescaped, to dst.
func (s *scanner) str(dst []byte) ([]byte, *errSyntax) {
	if err := s.expect('"'); err != nil {
		return dst, err
	}
	for {
		i := s.pos
		for i < len(s.buf) {
			c := s.buf[i]
			if c == '"' {
				dst = append(dst, s.buf[s.pos:i]...)
				s.pos = i + 1
				return dst, nil
			}
			if c == '\\' || c < 0x20 {
				break
			}
			i++
		}
		dst = append(dst, s.buf[s.pos:i]...)
		s.pos = i
		if i == len(s.buf) {
			if !s.more() {
				return dst, s.bad("unterminated string")
			}
			continue
		}
		if s.buf[i] < 0x20 {
			return dst, s.bad("control character in a string")
		}
		// An escape: make sure it is whole in the buffer.
		for len(s.buf)-s.pos < 6 && s.more() {
		}
		if s.pos+1 >= len(s.buf) {
			return dst, s.bad("unterminated string")
		}
		e := s.buf[s.pos+1]
		s.pos += 2
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if s.pos+4 > len(s.buf) {
				return dst, s.bad("short \\u escape")
			}
			var r rune
			for _, h := range s.buf[s.pos : s.pos+4] {
				switch {
				case h >= '0' && h <= '9':
					r = r<<4 | rune(h-'0')
				case h >= 'a' && h <= 'f':
					r = r<<4 | rune(h-'a'+10)
				case h >= 'A' && h <= 'F':
					r = r<<4 | rune(h-'A'+10)
				default:
					return dst, s.bad("bad \\u escape")
				}
			}
			s.pos += 4
			dst = utf8.AppendRune(dst, r) // a lone surrogate becomes U+FFFD
		default:
			s.pos -= 2
			return dst, s.bad("bad escape \\%c", e)
		}
	}
}

// uint reads a non-negative integer; a fraction or exponent is an error
// (the counters and versions it reads are integers).
func (s *scanner) uint() (uint64, *errSyntax) {
	b, ok := s.ws()
	if !ok {
		return 0, s.bad("unexpected end of input, want a number")
	}
	if b < '0' || b > '9' {
		return 0, s.bad("unexpected %q, want a non-negative integer", b)
	}
	var n uint64
	digits := 0
	for {
		for s.pos < len(s.buf) {
			c := s.buf[s.pos]
			if c < '0' || c > '9' {
				if c == '.' || c == 'e' || c == 'E' {
					return 0, s.bad("want an integer")
				}
				return n, nil
			}
			if digits++; digits > 19 {
				return 0, s.bad("integer too large")
			}
			n = n*10 + uint64(c-'0')
			s.pos++
		}
		if !s.more() {
			return n, nil
		}
	}
}

// skip skips one value of any kind, nested values included.
func (s *scanner) skip() *errSyntax {
	b, ok := s.ws()
	if !ok {
		return s.bad("unexpected end of input, want a value")
	}
	switch b {
	case '"':
		_, err := s.str(nil)
		return err
	case '{', '[':
		close := byte('}')
		if b == '[' {
			close = ']'
		}
		empty, err := s.open(b, close)
		if err != nil || empty {
			return err
		}
		for {
			if b == '{' {
				if _, err := s.str(nil); err != nil {
					return err
				}
				if err := s.expect(':'); err != nil {
					return err
				}
			}
			if err := s.skip(); err != nil {
				return err
			}
			more, err := s.next(close)
			if err != nil || !more {
				return err
			}
		}
	}
	// A number, true, false or null: letters, digits, signs, dots.
	n := 0
	for {
		for s.pos < len(s.buf) {
			c := s.buf[s.pos]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c == '-' || c == '+' || c == '.' || c == 'E') {
				if n == 0 {
					return s.bad("unexpected %q, want a value", c)
				}
				return nil
			}
			s.pos++
			n++
		}
		if !s.more() {
			return nil
		}
	}
}

// isNull consumes a null and reports whether the next value was one.
func (s *scanner) isNull() bool {
	b, ok := s.ws()
	if !ok || b != 'n' {
		return false
	}
	for len(s.buf)-s.pos < 4 && s.more() {
	}
	if bytes.HasPrefix(s.buf[s.pos:], []byte("null")) {
		s.pos += 4
		return true
	}
	return false
}
