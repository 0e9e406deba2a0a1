package firewall

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// members lists the rules of set k, for tests.
func (r *ruleSets) members(k uint32) []int {
	var out []int
	p := r.offs[k]
	for j, s := range r.sums[int(k)*r.sumWords : int(k+1)*r.sumWords] {
		for ; s != 0; s &= s - 1 {
			w := j*64 + trailingZeros(s)
			for x := r.pool[p]; x != 0; x &= x - 1 {
				out = append(out, w*64+trailingZeros(x))
			}
			p++
		}
	}
	return out
}

func trailingZeros(x uint64) int {
	n := 0
	for x&1 == 0 {
		x >>= 1
		n++
	}
	return n
}

// randomSet returns a sorted random subset of [0, n) of one of several
// shapes: empty, one rule, sparse, dense, full, a run, or one bit k of
// each word below a split and random above it (so that reading a word of
// the wrong rank shows).
func randomSet(r *rand.Rand, n int) []int32 {
	var out []int32
	switch r.IntN(8) {
	case 6, 7:
		split, k := r.IntN(n+1), r.IntN(64)
		for i := range n {
			if i < split && i%64 == k || i >= split && r.IntN(2) == 0 {
				out = append(out, int32(i))
			}
		}
	case 0:
	case 1:
		out = append(out, int32(r.IntN(n)))
	case 2:
		for range 1 + r.IntN(8) {
			out = append(out, int32(r.IntN(n)))
		}
	case 3:
		for i := range n {
			if r.IntN(3) > 0 {
				out = append(out, int32(i))
			}
		}
	case 4:
		for i := range n {
			out = append(out, int32(i))
		}
	default:
		lo := r.IntN(n)
		for i := lo; i < min(n, lo+1+r.IntN(300)); i++ {
			out = append(out, int32(i))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestRuleSets holds the two-level sets and their AND (firstAnd,
// firstMatch, firstUnresolved) to plain slices, at sizes around the word
// (64 rules) and summary-word (4,096 rules) boundaries, where an
// off-by-one in the ranks would show.
func TestRuleSets(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	sizes := []int{1, 2, 63, 64, 65, 200, 4095, 4096, 4097, 8193, 12000}
	rounds := 400
	if testing.Short() {
		sizes, rounds = sizes[:len(sizes)-1], 100
	}
	for _, n := range sizes {
		m := &matcher{n: n}
		b := newSetBuilder(&m.ruleSets, n)
		var sets [][]int32
		var keys []uint32
		for range 40 {
			s := randomSet(r, n)
			k := b.list(s)
			if got := m.members(k); !slices.Equal(got, toInts(s)) {
				t.Fatalf("n=%d: set %d holds %v, want %v", n, k, got, s)
			}
			for i, o := range sets {
				if slices.Equal(o, s) != (keys[i] == k) {
					t.Fatalf("n=%d: sets %v and %v interned as %d and %d", n, o, s, keys[i], k)
				}
			}
			sets, keys = append(sets, s), append(keys, k)
		}
		if n > 4096 {
			// The match lies past the first summary word; below it every
			// word of d holds bit 0 only, so a rank or offset of the wrong
			// summary word reads a word without the match's bit.
			var low []int32
			for i := 0; i < 4096; i += 64 {
				low = append(low, int32(i))
			}
			d := b.list(append(low, int32(n-1)))
			last := b.list([]int32{int32(n - 1)})
			if got, dns := m.firstMatch(last, setFull, setFull, d, setEmpty); got != n-1 || dns {
				t.Fatalf("n=%d: firstMatch of the last rule = %d, %v", n, got, dns)
			}
			if got, dns := m.firstMatch(last, setFull, setFull, setEmpty, d); got != n-1 || !dns {
				t.Fatalf("n=%d: firstMatch of the last rule through DNS = %d, %v", n, got, dns)
			}
			if got := m.firstAnd(last, setFull, d, setFull, 0, n); got != n-1 {
				t.Fatalf("n=%d: firstAnd of the last rule = %d", n, got)
			}
			if got := m.firstUnresolved(last, setFull, setFull, setEmpty, setEmpty, d, n); got != n-1 {
				t.Fatalf("n=%d: firstUnresolved of the last rule = %d", n, got)
			}
		}
		in := func(i int, s []int32) bool { _, ok := slices.BinarySearch(s, int32(i)); return ok }
		for range rounds {
			x := [6]int{r.IntN(len(sets)), r.IntN(len(sets)), r.IntN(len(sets)), r.IntN(len(sets)), r.IntN(len(sets)), r.IntN(len(sets))}
			from, below := r.IntN(n+1), r.IntN(n+1)
			if r.IntN(2) == 0 {
				from, below = 0, n
			}
			a, bb, c, d, e, u := sets[x[0]], sets[x[1]], sets[x[2]], sets[x[3]], sets[x[4]], sets[x[5]]
			ka, kb, kc, kd, ke, ku := keys[x[0]], keys[x[1]], keys[x[2]], keys[x[3]], keys[x[4]], keys[x[5]]
			want := -1
			for i := from; i < below; i++ {
				if in(i, a) && in(i, bb) && in(i, c) && in(i, d) {
					want = i
					break
				}
			}
			if got := m.firstAnd(ka, kb, kc, kd, from, below); got != want {
				t.Fatalf("n=%d: firstAnd in [%d,%d) = %d, want %d", n, from, below, got, want)
			}
			want, wantDNS := -1, false
			for i := range n {
				if in(i, a) && in(i, bb) && in(i, c) && (in(i, d) || in(i, e)) {
					want, wantDNS = i, !in(i, d)
					break
				}
			}
			if got, dns := m.firstMatch(ka, kb, kc, kd, ke); got != want || dns != wantDNS {
				t.Fatalf("n=%d: firstMatch = %d, %v, want %d, %v", n, got, dns, want, wantDNS)
			}
			want = -1
			for i := range below {
				if in(i, a) && in(i, bb) && in(i, c) && in(i, u) && !in(i, d) && !in(i, e) {
					want = i
					break
				}
			}
			if got := m.firstUnresolved(ka, kb, kc, kd, ke, ku, below); got != want {
				t.Fatalf("n=%d: firstUnresolved below %d = %d, want %d", n, below, got, want)
			}
		}
	}
}

func toInts(s []int32) []int {
	out := []int{}
	for _, i := range s {
		out = append(out, int(i))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// TestNameIndex holds the name index to a plain scan of every rule's
// patterns with strings.HasSuffix, on random patterns over a small
// alphabet — so that suffixes overlap inside labels as well as at dots —
// and random and derived names in mixed case, with bytes no pattern holds.
func TestNameIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	word := func(n int) string {
		const alpha = "ab.-_1"
		var sb strings.Builder
		for range n {
			sb.WriteByte(alpha[r.IntN(len(alpha))])
		}
		return sb.String()
	}
	rounds := 200
	if testing.Short() {
		rounds = 40
	}
	for round := range rounds {
		nrules := 1 + r.IntN([]int{5, 70, 300}[round%3])
		apps := make([]appRule, nrules)
		var all []string
		for i := range apps {
			for range r.IntN(6) {
				p := fqdnPattern{suffix: word(r.IntN(7))}
				p.wildcard = p.suffix == "" || r.IntN(2) == 0
				if r.IntN(4) == 0 {
					apps[i].urls = append(apps[i].urls, urlPattern{host: p})
				} else {
					apps[i].fqdns = append(apps[i].fqdns, p)
				}
				all = append(all, p.suffix)
			}
		}
		m := &matcher{n: nrules}
		b := newSetBuilder(&m.ruleSets, nrules)
		x := newNameIndex(b, apps)
		for range 200 {
			var name string
			switch k := r.IntN(4); {
			case k == 0 || len(all) == 0:
				name = word(1 + r.IntN(9))
			case k == 1:
				name = all[r.IntN(len(all))]
			default:
				name = word(r.IntN(3)) + all[r.IntN(len(all))]
			}
			if r.IntN(4) == 0 {
				name = strings.ToUpper(name)
			}
			if r.IntN(10) == 0 {
				name = "\x80" + name + "#"
			}
			if name == "" {
				continue
			}
			lower := strings.ToLower(name)
			var wantFQ, wantURL []int
			for i, a := range apps {
				m := func(ps []fqdnPattern) bool {
					for _, p := range ps {
						if p.wildcard && strings.HasSuffix(lower, p.suffix) || !p.wildcard && lower == p.suffix {
							return true
						}
					}
					return false
				}
				var hosts []fqdnPattern
				for _, u := range a.urls {
					hosts = append(hosts, u.host)
				}
				if m(a.fqdns) {
					wantFQ = append(wantFQ, i)
				}
				if m(hosts) {
					wantURL = append(wantURL, i)
				}
			}
			fq, url := x.lookup(name)
			if got := m.members(fq); !slices.Equal(got, wantFQ) {
				t.Fatalf("round %d: lookup(%q) FQDN rules %v, want %v (rules %+v)", round, name, got, wantFQ, apps)
			}
			if got := m.members(url); !slices.Equal(got, wantURL) {
				t.Fatalf("round %d: lookup(%q) URL rules %v, want %v (rules %+v)", round, name, got, wantURL, apps)
			}
		}
	}
}

// TestHashFold: names equal but for ASCII letter case hash alike, at
// every length around the eight-byte chunks; lower8 folds exactly the 26
// capitals.
func TestHashFold(t *testing.T) {
	for c := range 256 {
		x := uint64(c) << 56
		want := uint64(lowerByte(byte(c))) << 56
		if got := lower8(x | 0x41_5a_00_7f_00_80_ff); got != want|0x61_7a_00_7f_00_80_ff {
			t.Fatalf("lower8 with byte %#x = %#x", c, got)
		}
	}
	s := "WWW.Contoso-Very_Long.Example.COM"
	for n := range len(s) + 1 {
		if hashFold(s[:n]) != hashFold(strings.ToLower(s[:n])) {
			t.Fatalf("hashFold(%q) differs from its lower case", s[:n])
		}
		if n > 0 && hashFold(s[:n]) == hashFold(s[:n-1]) {
			t.Fatalf("hashFold(%q) == hashFold(%q)", s[:n], s[:n-1])
		}
	}
}
