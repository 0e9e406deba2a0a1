package arm

import (
	"strconv"

	"github.com/egresslab/egress/internal/jsonpos"
)

// Pos is a position in an input file: the file name as given to [Parse] or
// [ParseFiles], a 1-based line and a 1-based column. Columns count bytes, not
// characters, like the go/token package and the Go toolchain.
//
// The zero value is the unknown position. A Pos with a file but Line 0 names a
// whole file (for example one that could not be opened). Pos is a small
// comparable value type; copy it freely.
type Pos struct {
	File string
	Line int
	Col  int
}

// IsValid reports whether p names a line in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// String returns "file:line:col", "file" when p has no line, and "-" for the
// zero Pos.
func (p Pos) String() string {
	if p.Line <= 0 {
		if p.File == "" {
			return "-"
		}
		return p.File
	}
	b := make([]byte, 0, len(p.File)+16)
	b = append(b, p.File...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(p.Line), 10)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(p.Col), 10)
	return string(b)
}

// source is one input file: its name and its whole text. Values keep a
// pointer to it and a byte offset, and turn the offset into a line and column
// only when asked (most positions are never printed).
type source struct {
	name  string
	text  string
	whole bool // a value given on a command line: positions name it, with no line

	lines jsonpos.Lines // built on first use

	dups int // objects with duplicate keys
	// In a copy made by TrackReads: the log of duplicate-key lookups, and
	// the source whose line index positions use (Value.Pos).
	log  *ReadLog
	orig *source
}

// pos converts a byte offset into a position. Offsets past the end are
// clamped to the end of the text, so a position is always inside the input
// (the end of input counts as inside, for "unexpected end of input").
func (s *source) pos(off int) Pos {
	if s == nil {
		return Pos{}
	}
	if s.whole {
		return Pos{File: s.name}
	}
	line, col := s.lines.Position(s.text, off)
	return Pos{File: s.name, Line: line, Col: col}
}
