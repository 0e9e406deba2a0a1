package firewall

import (
	"cmp"
	"encoding/binary"
	"math/bits"
	"slices"
	"unsafe"
)

// appIndex decides the conditions of application rules beyond their
// addresses — protocol and port, target names, undecidable parts — as
// interned sets of the application matcher (see ruleSets), so that a flow
// costs a few lookups and one AND whatever the number of rules and names.
type appIndex struct {
	names     nameIndex
	protoKeys []uint32 // AppProtocolType<<16 | port, ascending
	protoSets []uint32
	// Rules with a web category or an FQDN tag without FQDNs (undecidable
	// whenever their protocol and addresses match a named flow), of Allow
	// and of Deny collections.
	undAllow, undDeny uint32
	// Rules whose protocols are unknown (appRule.anyProto), of Allow and
	// of Deny collections: undecidable whenever their addresses and
	// names (or undecidable targets) match an application flow.
	anyAllow, anyDeny uint32
}

// newAppIndex builds the index of apps (in evaluation order; allow[i] is
// rule i's collection action) into b's sets.
func newAppIndex(b *setBuilder, apps []appRule, allow []bool) *appIndex {
	x := &appIndex{names: newNameIndex(b, apps)}
	protos := map[uint32][]int32{}
	for i := range apps {
		if apps[i].anyProto {
			continue
		}
		for _, p := range apps[i].protos {
			k := uint32(p.Type)<<16 | uint32(p.Port)
			if l := protos[k]; len(l) == 0 || l[len(l)-1] != int32(i) {
				protos[k] = append(l, int32(i))
			}
		}
	}
	for k := range protos {
		x.protoKeys = append(x.protoKeys, k)
	}
	slices.Sort(x.protoKeys)
	for _, k := range x.protoKeys {
		x.protoSets = append(x.protoSets, b.list(protos[k]))
	}
	for _, a := range []bool{true, false} {
		for i := range apps {
			if apps[i].undecided && allow[i] == a {
				b.add(i)
			}
		}
		if a {
			x.undAllow = b.take()
		} else {
			x.undDeny = b.take()
		}
		for i := range apps {
			if apps[i].anyProto && allow[i] == a {
				b.add(i)
			}
		}
		if a {
			x.anyAllow = b.take()
		} else {
			x.anyDeny = b.take()
		}
	}
	return x
}

// proto returns the set of rules with protocol entry (t, port).
func (x *appIndex) proto(t AppProtocolType, port uint16) (uint32, bool) {
	i, ok := slices.BinarySearch(x.protoKeys, uint32(t)<<16|uint32(port))
	if !ok {
		return setEmpty, false
	}
	return x.protoSets[i], true
}

// nameIndex maps a flow's name to two sets of application rules: those
// with a target FQDN (or FQDN-tag FQDN) matching it, and those with a
// target URL whose host matches it (their paths are checked rule by rule).
//
// Exact names are hashed (open addressing, linear probing; names compared
// ASCII case-insensitively). Wildcard patterns "*x" match the names that
// end with x — at any character, not only at a label boundary: "*x.com"
// matches "anyx.com" (https://learn.microsoft.com/azure/firewall/firewall-faq,
// wildcards) — so their suffixes sit in a trie read from the last
// character backwards, path-compressed (a node per suffix and per branch),
// each node holding the rules of every suffix on its path. Walking a name
// from its end to the deepest node whose suffix ends it thus gives the
// rules of all wildcards that match it, "*" (the root, suffix "") included;
// an exact entry holds its own rules plus those of the deepest node for
// its name, so a hit in the hash answers alone. A node finds its child for
// a character in one step: the children are numbered by nameCode, and a
// 64-bit map of the codes present ranks them.
type nameIndex struct {
	slots []uint64 // hash>>32<<32 | entry+1, 0 if empty; a power of two long, or empty
	exact []nameEntry
	nodes []suffixNode // nodes[0] is the root
}

type nameEntry struct {
	name    string // lower case, no trailing dot
	fq, url uint32
}

type suffixNode struct {
	label   string // the lower-case characters the node puts before its parent's suffix
	kidMap  uint64 // bit nameCode(c) set if a child's label ends in c
	kids    uint32 // the children, by code: nodes[kids : kids+popcount(kidMap)]
	fq, url uint32 // rules with a wildcard target FQDN, or URL host, whose suffix ends this node's suffix
}

// nameCodes numbers the characters of host names in ascending order —
// '-', '.', digits, '_', letters (either case) — and every other byte 63,
// which no pattern holds (checkHost admits only these). Were a pattern to
// hold another byte, children sharing code 63 would be missed, never
// indexed out of range: a rank counts at most the node's children, and a
// child is taken only if its whole label matches.
var nameCodes = func() (t [256]byte) {
	for i := range t {
		t[i] = 63
	}
	n := byte(0)
	for c := 0; c < 256; c++ {
		if c == '-' || c == '.' || '0' <= c && c <= '9' || c == '_' || 'a' <= c && c <= 'z' {
			t[c] = n
			n++
		}
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = t[c+'a'-'A']
	}
	return t
}()

// namePats lists the rules (ascending) that carry one name or suffix, as
// a target FQDN and as a target URL's host.
type namePats struct{ fq, url []int32 }

func (p *namePats) add(i int, url bool) {
	l := &p.fq
	if url {
		l = &p.url
	}
	if len(*l) == 0 || (*l)[len(*l)-1] != int32(i) {
		*l = append(*l, int32(i))
	}
}

func newNameIndex(b *setBuilder, apps []appRule) nameIndex {
	exact, wild := map[string]*namePats{}, map[string]*namePats{}
	add := func(p fqdnPattern, i int, url bool) {
		m := exact
		if p.wildcard {
			m = wild
		}
		np := m[p.suffix]
		if np == nil {
			np = &namePats{}
			m[p.suffix] = np
		}
		np.add(i, url)
	}
	for i := range apps {
		for _, p := range apps[i].fqdns {
			add(p, i, false)
		}
		for _, u := range apps[i].urls {
			add(u.host, i, true)
		}
	}

	x := nameIndex{nodes: []suffixNode{{}}}
	sufs := make([]string, 0, len(wild))
	for s := range wild {
		sufs = append(sufs, s)
	}
	slices.SortFunc(sufs, compareReversed)
	x.grow(b, sufs, wild, 0, 0, setEmpty, setEmpty)

	names := make([]string, 0, len(exact))
	for s := range exact {
		names = append(names, s)
	}
	slices.Sort(names)
	for _, s := range names {
		v := &x.nodes[x.deepest(s)]
		x.exact = append(x.exact, nameEntry{name: s, fq: b.union(v.fq, exact[s].fq), url: b.union(v.url, exact[s].url)})
	}
	if len(x.exact) > 0 {
		x.slots = make([]uint64, 1<<(bitLen(2*len(x.exact)-1)))
		mask := uint64(len(x.slots) - 1)
		for i, e := range x.exact {
			h := hashFold(e.name)
			j := h & mask
			for x.slots[j] != 0 {
				j = (j + 1) & mask
			}
			x.slots[j] = h>>32<<32 | uint64(i+1)
		}
	}
	return x
}

// union returns set k plus rules.
func (b *setBuilder) union(k uint32, rules []int32) uint32 {
	if len(rules) == 0 {
		return k
	}
	b.or(k)
	return b.list(rules)
}

// grow completes node v, whose suffix is the last depth characters of each
// of sufs (sorted by compareReversed), given its parent's sets fq and url:
// it stores the node's sets and creates its subtree.
func (x *nameIndex) grow(b *setBuilder, sufs []string, own map[string]*namePats, v uint32, depth int, fq, url uint32) {
	if len(sufs) > 0 && len(sufs[0]) == depth { // the node's own suffix sorts first
		o := own[sufs[0]]
		fq, url = b.union(fq, o.fq), b.union(url, o.url)
		sufs = sufs[1:]
	}
	x.nodes[v].fq, x.nodes[v].url = fq, url
	// One child per character before the suffix, reaching as deep as the
	// suffixes that share it do.
	type group struct{ lo, hi, depth int }
	var groups []group
	for lo := 0; lo < len(sufs); {
		c := sufs[lo][len(sufs[lo])-1-depth]
		hi := lo + 1
		for hi < len(sufs) && sufs[hi][len(sufs[hi])-1-depth] == c {
			hi++
		}
		groups = append(groups, group{lo, hi, commonSuffix(sufs[lo], sufs[hi-1])})
		lo = hi
	}
	kids := uint32(len(x.nodes))
	x.nodes[v].kids = kids
	for _, g := range groups {
		s := sufs[g.lo]
		x.nodes[v].kidMap |= 1 << nameCodes[s[len(s)-1-depth]]
		x.nodes = append(x.nodes, suffixNode{label: s[len(s)-g.depth : len(s)-depth]})
	}
	for k, g := range groups {
		x.grow(b, sufs[g.lo:g.hi], own, kids+uint32(k), g.depth, fq, url)
	}
}

// lookup returns the sets of rules whose target FQDNs (fq) and whose target
// URLs' hosts (url) match name, a non-empty name without its trailing dot,
// in any letter case. It allocates nothing.
func (x *nameIndex) lookup(name string) (fq, url uint32) {
	if len(x.slots) > 0 {
		h := hashFold(name)
		mask := uint64(len(x.slots) - 1)
		for j := h & mask; ; j = (j + 1) & mask {
			s := x.slots[j]
			if s == 0 {
				break
			}
			if s>>32 == h>>32 {
				if e := &x.exact[uint32(s)-1]; equalFoldASCII(name, e.name) {
					return e.fq, e.url
				}
			}
		}
	}
	v := &x.nodes[x.deepest(name)]
	return v.fq, v.url
}

// deepest returns the deepest node whose suffix ends name (in any letter
// case): at most one step per character of name, fewer where the trie has
// no branch.
func (x *nameIndex) deepest(name string) uint32 {
	nodes := x.nodes
	v := uint32(0)
	for rest := name; len(rest) > 0; {
		n := &nodes[v]
		code := nameCodes[rest[len(rest)-1]]
		if n.kidMap>>code&1 == 0 {
			break
		}
		k := n.kids + uint32(bits.OnesCount64(n.kidMap&(1<<code-1)))
		label := nodes[k].label
		if len(label) > len(rest) || !equalFoldASCII(rest[len(rest)-len(label):], label) {
			break
		}
		rest = rest[:len(rest)-len(label)]
		v = k
	}
	return v
}

// compareReversed orders strings by their characters read backwards.
func compareReversed(a, b string) int {
	for i := 1; i <= len(a) && i <= len(b); i++ {
		if c := cmp.Compare(a[len(a)-i], b[len(b)-i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// commonSuffix returns the length of the longest common suffix of a and b.
func commonSuffix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[len(a)-1-n] == b[len(b)-1-n] {
		n++
	}
	return n
}

func bitLen(n int) int {
	k := 0
	for ; n > 0; n >>= 1 {
		k++
	}
	return k
}

func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// hashFold hashes s with ASCII letters folded to lower case, eight bytes at
// a time, so that names equal under equalFoldASCII hash alike.
func hashFold(s string) uint64 {
	const k = 0x9e3779b97f4a7c15
	h := uint64(len(s)) * k
	p := unsafe.Slice(unsafe.StringData(s), len(s))
	for len(p) >= 8 {
		h = (h ^ lower8(binary.LittleEndian.Uint64(p))) * k
		h ^= h >> 31
		p = p[8:]
	}
	if len(p) > 0 {
		var t uint64
		for i, c := range p {
			t |= uint64(c) << (8 * i)
		}
		h = (h ^ lower8(t)) * k
	}
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return h ^ h>>32
}

// lower8 folds the ASCII capitals among the eight bytes of x to lower
// case (bytes ≥ 0x80 are left alone), without carries between bytes.
func lower8(x uint64) uint64 {
	const ones = 0x0101010101010101
	low7 := x &^ (0x80 * ones)
	geA := low7 + (0x80-'A')*ones
	gtZ := low7 + (0x80-'Z'-1)*ones
	return x | (geA&^gtZ&^x)&(0x80*ones)>>2
}
