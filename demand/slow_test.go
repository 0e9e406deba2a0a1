package demand_test

import (
	"cmp"
	"net/netip"
	"slices"
	"time"

	"github.com/egresslab/egress/demand"
	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/ipproto"
)

// slowPeaks is the reference for Estimator: the package doc's rules read
// literally, over every tuple kept in memory, with the open count
// evaluated by brute force at every instant where it can change. It
// shares no code with the estimator.
func slowPeaks(flows []flowlog.Flow, opts demand.Options) []demand.Peak {
	idle := opts.Idle.Milliseconds()
	if opts.Idle == 0 {
		idle = (4 * time.Minute).Milliseconds()
	}
	hold, window := opts.Hold.Milliseconds(), opts.Window.Milliseconds()

	type key struct {
		mac   string
		src   netip.Addr
		dst   netip.AddrPort
		proto ipproto.Proto
	}
	type five struct {
		k    key
		port uint16
	}
	tuples := map[key]int{}
	byFive := map[five][]flowlog.Flow{}
	for _, f := range flows {
		if f.Direction != flowlog.Outbound || f.Decision == flowlog.Denied || f.State == flowlog.DeniedState ||
			f.SrcPort == 0 || (f.Proto != ipproto.TCP && f.Proto != ipproto.UDP) ||
			!f.Src.IsValid() || !f.Dst.IsValid() || f.Time < 0 || f.Time > 253402300799999 {
			continue
		}
		k := key{f.MAC, f.Src, netip.AddrPortFrom(f.Dst, f.DstPort), f.Proto}
		tuples[k]++
		byFive[five{k, f.SrcPort}] = append(byFive[five{k, f.SrcPort}], f)
	}

	type stretch struct {
		from, to int64
		unclosed bool
	}
	stretches := map[key][]stretch{}
	rank := func(s flowlog.State) int {
		switch s {
		case flowlog.Begin:
			return 0
		case flowlog.End:
			return 2
		}
		return 1 // C, and NSG v1's stateless tuples
	}
	for ft, ts := range byFive {
		slices.SortFunc(ts, func(a, b flowlog.Flow) int {
			return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(rank(a.State), rank(b.State)))
		})
		var lives []stretch
		open, from := false, int64(0)
		for i, t := range ts {
			switch rank(t.State) {
			case 0: // B opens
				if !open {
					open, from = true, t.Time
				}
			case 1: // C opens only as the 5-tuple's first tuple
				if !open && i == 0 {
					open, from = true, t.Time
				}
			case 2: // E closes; as the first tuple it is a connection of its own
				if open {
					lives = append(lives, stretch{from, t.Time + hold, false})
					open = false
				} else if i == 0 {
					lives = append(lives, stretch{t.Time, t.Time + hold, false})
				}
			}
		}
		if open {
			lives = append(lives, stretch{from, ts[len(ts)-1].Time + idle, true})
		}
		// One port per 5-tuple: overlapping lives are one stretch.
		slices.SortFunc(lives, func(a, b stretch) int { return cmp.Compare(a.from, b.from) })
		var merged []stretch
		for _, l := range lives {
			if n := len(merged); n > 0 && l.from <= merged[n-1].to {
				merged[n-1].to = max(merged[n-1].to, l.to)
				merged[n-1].unclosed = merged[n-1].unclosed || l.unclosed
				continue
			}
			merged = append(merged, l)
		}
		stretches[ft.k] = append(stretches[ft.k], merged...)
	}

	var out []demand.Peak
	for k, ss := range stretches {
		// The windows the stretches touch.
		type win struct{ from, to int64 }
		var wins []win
		if window == 0 {
			wins = []win{{-1 << 62, 1 << 62}}
		} else {
			seen := map[int64]bool{}
			for _, s := range ss {
				for w := floorDiv(s.from, window); w <= floorDiv(s.to, window); w++ {
					if !seen[w] {
						seen[w] = true
						wins = append(wins, win{w * window, w*window + window})
					}
				}
			}
		}
		count := func(t int64) (n, unclosed int) {
			for _, s := range ss {
				if s.from <= t && t <= s.to {
					n++
					if s.unclosed {
						unclosed++
					}
				}
			}
			return
		}
		for _, w := range wins {
			cands := []int64{w.from}
			for _, s := range ss {
				for _, c := range []int64{s.from, s.to + 1} {
					if w.from <= c && c < w.to {
						cands = append(cands, c)
					}
				}
			}
			slices.Sort(cands)
			p := demand.Peak{Src: k.src, MAC: k.mac, Dst: k.dst, Proto: k.proto, Tuples: tuples[k]}
			at := int64(0)
			for _, c := range cands {
				if n, u := count(c); n > p.Peak {
					p.Peak, p.Unclosed, at = n, u, c
				}
			}
			if p.Peak == 0 {
				continue
			}
			until := w.to
			for _, c := range cands {
				if n, _ := count(c); c > at && n != p.Peak {
					until = c
					break
				}
			}
			p.At, p.Until = time.UnixMilli(at).UTC(), time.UnixMilli(until).UTC()
			if window > 0 {
				p.Window = time.UnixMilli(w.from).UTC()
			}
			for _, s := range ss {
				if s.from < w.to && s.to >= w.from {
					p.Connections++
				}
			}
			out = append(out, p)
		}
	}
	slices.SortFunc(out, comparePeaks)
	return out
}

// comparePeaks is the documented order of Peaks: source IP, MAC,
// destination, protocol, window.
func comparePeaks(a, b demand.Peak) int {
	return cmp.Or(a.Src.Compare(b.Src), cmp.Compare(a.MAC, b.MAC), a.Dst.Compare(b.Dst),
		cmp.Compare(a.Proto, b.Proto), a.Window.Compare(b.Window))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
