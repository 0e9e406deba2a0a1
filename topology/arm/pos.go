package arm

import (
	"github.com/egresslab/egress/problem"
	"slices"
	"strings"
	"sync"
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

	once  sync.Once
	lines []int32 // byte offsets at which lines 2, 3, ... start

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
	s.once.Do(func() {
		s.lines = make([]int32, 0, strings.Count(s.text, "\n"))
		for i := 0; i < len(s.text); {
			j := strings.IndexByte(s.text[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			s.lines = append(s.lines, int32(i))
		}
	})
	off = max(0, min(off, len(s.text)))
	// The number of line starts <= off is the 0-based line index.
	i, _ := slices.BinarySearch(s.lines, int32(off+1))
	start := 0
	if i > 0 {
		start = int(s.lines[i-1])
	}
	return Pos{File: s.name, Line: i + 1, Col: off - start + 1}
}
