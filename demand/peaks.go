package demand

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// span is a stretch during which a 5-tuple holds a port: the instants
// from through to, both included, in milliseconds. unclosed: its end is
// the idle-timeout estimate, not a logged E.
type span struct {
	from, to int64
	unclosed bool
}

// edge is a change of the open count at an instant.
type edge struct {
	t           int64
	delta, open int32 // open: the change of the unclosed count
}

// Peaks returns the demand rows, sorted by source IP, MAC, destination,
// protocol and window. It may be called more than once, and Add may
// follow it.
func (e *Estimator) Peaks() []Peak {
	// Group the connections by demand key (a counting sort keeps them in
	// index order within a key, but nothing below depends on that order).
	start := make([]int32, len(e.demands)+1)
	for _, c := range e.conns {
		start[c.d+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	byD := make([]int32, len(e.conns))
	fill := slices.Clone(start[:len(e.demands)])
	for i, c := range e.conns {
		byD[fill[c.d]] = int32(i)
		fill[c.d]++
	}
	order := make([]int32, len(e.demands))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return e.demands[a].key.compare(e.demands[b].key) })

	var (
		out    []Peak
		stamps []stamp
		spans  []span
		edges  []edge
		froms  []int64
		tos    []int64
	)
	for _, d := range order {
		spans = spans[:0]
		tuples := 0
		for _, ci := range byD[start[d]:start[d+1]] {
			stamps = e.spans(&e.conns[ci], stamps[:0], &spans)
			tuples += int(e.conns[ci].tuples)
		}
		if len(spans) == 0 {
			continue
		}
		edges, froms, tos = edges[:0], froms[:0], tos[:0]
		for _, s := range spans {
			u := int32(0)
			if s.unclosed {
				u = 1
			}
			edges = append(edges, edge{t: s.from, delta: 1, open: u}, edge{t: sat(s.to, 1), delta: -1, open: -u})
			froms, tos = append(froms, s.from), append(tos, s.to)
		}
		slices.SortFunc(edges, func(a, b edge) int { return cmp.Compare(a.t, b.t) })
		slices.Sort(froms)
		slices.Sort(tos)
		row := e.demands[d]
		base := Peak{Src: row.key.src, MAC: row.key.mac, Dst: row.key.dst, Proto: row.key.proto, Tuples: tuples}
		out = e.sweep(out, base, edges, froms, tos)
	}
	return out
}

// spans appends connection c's stretches to *out, using stamps as scratch
// space, and returns the scratch for reuse.
func (e *Estimator) spans(c *conn, stamps []stamp, out *[]span) []stamp {
	for s := c.head; s >= 0; s = e.stamps[s].next {
		stamps = append(stamps, e.stamps[s])
	}
	slices.SortFunc(stamps, func(a, b stamp) int {
		if c := cmp.Compare(a.t, b.t); c != 0 {
			return c
		}
		return cmp.Compare(a.kind, b.kind)
	})
	first := len(*out)
	emit := func(s span) {
		// A 5-tuple holds one port: stretches that overlap are one.
		if n := len(*out); n > first && s.from <= (*out)[n-1].to {
			p := &(*out)[n-1]
			p.to = max(p.to, s.to)
			p.unclosed = p.unclosed || s.unclosed
			return
		}
		*out = append(*out, s)
	}
	// The 5-tuple's first tuple opens it when it is a C or an E: the log
	// began while the connection was open.
	open, from := c.firstKind != kindB, c.first
	for _, s := range stamps {
		switch {
		case s.kind == kindB && !open:
			open, from = true, s.t
		case s.kind == kindE && open:
			emit(span{from: from, to: sat(s.t, e.hold)})
			open = false
		}
	}
	if open {
		emit(span{from: from, to: sat(c.last, e.idle), unclosed: true})
	}
	return stamps
}

// sweep appends the rows of one demand key to out: edges sorted by time,
// froms and tos the sorted starts and ends of its stretches.
func (e *Estimator) sweep(out []Peak, base Peak, edges []edge, froms, tos []int64) []Peak {
	var (
		count, open int32
		cur         = -1 // index in out of the current window's row
		curW        int64
	)
	for i := 0; i < len(edges); {
		t := edges[i].t
		for ; i < len(edges) && edges[i].t == t; i++ {
			count += edges[i].delta
			open += edges[i].open
		}
		if count == 0 {
			continue
		}
		end := edges[i].t // the count holds on [t, end); the last edge always brings it to 0
		for segFrom := t; segFrom < end; {
			w, wFrom, wTo := e.windowOf(segFrom)
			segTo := min(end, wTo)
			if cur < 0 || w != curW {
				p := base
				if e.window > 0 {
					p.Window = time.UnixMilli(wFrom).UTC()
				}
				p.Connections = connections(froms, tos, wFrom, wTo)
				out = append(out, p)
				cur, curW = len(out)-1, w
			}
			p := &out[cur]
			switch {
			case int(count) > p.Peak:
				p.Peak, p.Unclosed = int(count), int(open)
				p.At, p.Until = time.UnixMilli(segFrom).UTC(), time.UnixMilli(segTo).UTC()
			case int(count) == p.Peak && p.Until.Equal(time.UnixMilli(segFrom)):
				p.Until = time.UnixMilli(segTo).UTC()
			}
			segFrom = segTo
		}
	}
	return out
}

// windowOf returns the window holding instant t: its number and its
// bounds [from, to). Without windows there is one, from MinInt64 to
// MaxInt64.
func (e *Estimator) windowOf(t int64) (w, from, to int64) {
	if e.window <= 0 {
		return 0, math.MinInt64, math.MaxInt64
	}
	w = t / e.window
	if t%e.window < 0 {
		w--
	}
	from = w * e.window
	return w, from, sat(from, e.window)
}

// connections counts the stretches [froms[i], tos[i]] (each slice sorted)
// that overlap [wFrom, wTo).
func connections(froms, tos []int64, wFrom, wTo int64) int {
	started, _ := slices.BinarySearch(froms, wTo) // froms < wTo
	ended, _ := slices.BinarySearch(tos, wFrom)   // tos < wFrom
	return started - ended
}

// sat returns a+b (b ≥ 0), saturating at MaxInt64.
func sat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
