package arm

import (
	"github.com/egresslab/egress/internal/jsonpos"
	"github.com/egresslab/egress/problem"
)

// Pos is a position in an input file: the file name as given to [Parse] or
// [ParseFiles], a 1-based line and a 1-based column counting bytes. It is
// egress's one position type ([problem.Pos]).
type Pos = problem.Pos

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
