package nsg

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	"github.com/gaissmai/bart"
	"go4.org/netipx"
)

// Context is what the caller knows about a NIC's network that the three
// context-dependent service tags depend on
// (https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags,
// and MicrosoftDocs/azure-docs issues #22178, #124192, #81801). It is the same
// for every NIC of one subnet, so compile it once per subnet with
// [CompileContext] and share the [*Scope].
//
// The tags expand as follows:
//
//   - VirtualNetwork = AddressSpace ∪ Peered ∪ Gateway ∪ UDR ∪ {168.63.129.16/32}.
//     UDR holds the address prefixes of the routes in the subnet's route
//     table: a UDR 0.0.0.0/0 makes VirtualNetwork 0.0.0.0/0, so the default
//     rule AllowVnetOutBound then allows everything (issue #22178).
//   - Internet = the public address space minus AddressSpace and Peered and
//     minus the platform addresses. The public space is, for IPv4, every
//     address except 0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8,
//     169.254.0.0/16, 172.16.0.0/12, 192.168.0.0/16 and 224.0.0.0/3
//     (multicast and reserved); for IPv6, 2000::/3 (global unicast). This is
//     a choice: Microsoft documents Internet only as "the IP address space
//     that's outside the virtual network and reachable by the public
//     internet"; the observed expansion in the effective-rules view starts at
//     1.0.0.0/8 and skips the private ranges. Gateway and UDR prefixes are
//     not removed, so a public on-premises prefix is in both VirtualNetwork
//     and Internet, as issue #81801 reports. Documentation ranges
//     (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) count as Internet.
//   - AzureLoadBalancer = 168.63.129.16/32, for every NIC.
//
// The zero Context is valid: VirtualNetwork is then only 168.63.129.16/32.
type Context struct {
	AddressSpace []netip.Prefix // the VNet's address space
	Peered       []netip.Prefix // address spaces of peered VNets and of VNets connected through a gateway
	Gateway      []netip.Prefix // prefixes learned through the VNet's gateway (local network gateways, BGP)
	UDR          []netip.Prefix // address prefixes of the user-defined routes of the subnet's route table
}

// nonPublic4 and public6 define the public address space (see [Context]).
var (
	nonPublic4 = []netip.Prefix{
		netip.MustParsePrefix("0.0.0.0/8"),
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("100.64.0.0/10"),
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("172.16.0.0/12"),
		netip.MustParsePrefix("192.168.0.0/16"),
		netip.MustParsePrefix("224.0.0.0/3"),
	}
	public6 = netip.MustParsePrefix("2000::/3")
)

// publicSpace is the public address space less Azure's host address: what
// Internet holds before a VNet's own space is taken out. Built once.
var publicSpace = sync.OnceValue(func() *netipx.IPSet {
	var b netipx.IPSetBuilder
	b.AddPrefix(netip.MustParsePrefix("0.0.0.0/0"))
	for _, p := range nonPublic4 {
		b.RemovePrefix(p)
	}
	b.AddPrefix(public6)
	b.RemovePrefix(hostPrefix)
	s, _ := b.IPSet()
	return s
})

// Scope is a compiled [Context]: the expansions of VirtualNetwork, Internet and
// AzureLoadBalancer for the NICs of one subnet, and a table that gives the
// set of these tags containing an address in one longest-prefix match.
//
// A Scope is immutable and safe for concurrent use. It must not be copied by
// value.
type Scope struct {
	_        [0]sync.Mutex
	v4       scope4            // the IPv4 part of tbl as sorted intervals: the hot path's lookup (first: its inline intervals share the Scope's first lines)
	tbl      bart.Table[uint8] // a partition of the address space by tag membership; a miss is mask 0
	vnet     *netipx.IPSet
	internet *netipx.IPSet
	lb       *netipx.IPSet
	ctx      Context // what it was compiled from, normalized (see [Scope.Context])
}

// CompileContext validates c and compiles it into a [Scope]. Prefixes must be
// valid and without host bits; every problem is reported, joined with
// [errors.Join]. On error the Scope is nil.
func CompileContext(c Context) (*Scope, error) {
	el := &errList{object: "context", name: "Context"}
	var vb, ib, lb netipx.IPSetBuilder
	var norm Context // c with IPv4-mapped prefixes unmapped, for Scope.Context
	add := func(field string, ps []netip.Prefix, dst *[]netip.Prefix, bs ...*netipx.IPSetBuilder) {
		for i, p := range ps {
			if !p.IsValid() || p.Masked() != p {
				el.add("", -1, field+"["+strconv.Itoa(i)+"]", p.String(), ErrAddress, "invalid prefix or host bits set")
				continue
			}
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			*dst = append(*dst, p)
			for _, b := range bs {
				b.AddPrefix(p)
			}
		}
	}
	var own netipx.IPSetBuilder
	add("AddressSpace", c.AddressSpace, &norm.AddressSpace, &vb, &own)
	add("Peered", c.Peered, &norm.Peered, &vb, &own)
	add("Gateway", c.Gateway, &norm.Gateway, &vb)
	add("UDR", c.UDR, &norm.UDR, &vb)
	if err := el.err(); err != nil {
		return nil, err
	}
	vb.AddPrefix(hostPrefix)
	lb.AddPrefix(hostPrefix)

	ib.AddSet(publicSpace())
	ownSet, err1 := own.IPSet()
	ib.RemoveSet(ownSet)

	s := &Scope{ctx: norm}
	var err2, err3, err4 error
	s.vnet, err2 = vb.IPSet()
	s.internet, err3 = ib.IPSet()
	s.lb, err4 = lb.IPSet()
	for _, err := range []error{err1, err2, err3, err4} {
		if err != nil { // not reachable with validated prefixes
			el.add("", -1, "", "", ErrAddress, err.Error())
		}
	}
	if err := el.err(); err != nil {
		return nil, err
	}
	// Partition the address space by membership: for each non-empty
	// combination m of the three tags, the addresses in exactly those tags.
	// By construction AzureLoadBalancer (the host address) is inside
	// VirtualNetwork and outside Internet, so four combinations are empty
	// and the host address alone is VirtualNetwork and AzureLoadBalancer:
	// three sets to build, not seven.
	const vnet, inet, lbm = 1 << 0, 1 << 1, 1 << 2
	parts := [...]struct {
		mask     uint8
		add, cut []*netipx.IPSet
		and      *netipx.IPSet
	}{
		{vnet, []*netipx.IPSet{s.vnet}, []*netipx.IPSet{s.internet, s.lb}, nil},
		{inet, []*netipx.IPSet{s.internet}, []*netipx.IPSet{s.vnet}, nil},
		{vnet | inet, []*netipx.IPSet{s.vnet}, nil, s.internet},
		{vnet | lbm, []*netipx.IPSet{s.lb}, nil, nil},
	}
	for _, pt := range parts {
		var b netipx.IPSetBuilder
		for _, set := range pt.add {
			b.AddSet(set)
		}
		if pt.and != nil {
			b.Intersect(pt.and)
		}
		for _, set := range pt.cut {
			b.RemoveSet(set)
		}
		part, _ := b.IPSet()
		for _, p := range part.Prefixes() {
			s.tbl.Insert(p, pt.mask)
		}
	}
	s.v4 = newScope4(&s.tbl)
	return s, nil
}

// scope4 is the IPv4 partition of a Scope as sorted intervals, searched like
// a port dimension: bucket[b] is the interval containing the first address
// whose top byte is b, and a short forward scan finds the address's. Scopes
// have tens of intervals, so the search is nearly always empty: two loads,
// against a trie walk for bart. A bucket with many intervals (thousands of
// learned prefixes in one /8) is binary-searched.
//
// A scope of at most smallScope intervals (a VNet, its peers and the
// Internet tag's cuts: a few tens) also keeps them inline, in small and
// smallMask (n of them), and a lookup counts the starts at or below the
// address: the Scope's own cache lines, no dependent load.
type scope4 struct {
	n         int
	small     [smallScope]uint32
	smallMask [smallScope]uint8
	starts    []uint32     // starts[0] is 0; the intervals cover the space
	masks     []uint8      // the context mask of each interval
	bucket    *[257]uint32 // nil when the intervals are inline
}

// smallScope is the most intervals a scope4 keeps inline.
const smallScope = 32

func newScope4(t *bart.Table[uint8]) scope4 {
	var s scope4
	next := uint64(0) // the first address not yet covered
	push := func(start uint32, m uint8) {
		if n := len(s.masks); n > 0 && s.masks[n-1] == m {
			return
		}
		s.starts = append(s.starts, start)
		s.masks = append(s.masks, m)
	}
	for p, m := range t.AllSorted4() { // disjoint prefixes, in address order
		r := netipx.RangeOfPrefix(p)
		lo, hi := addr4(r.From()), addr4(r.To())
		if uint64(lo) > next {
			push(uint32(next), 0)
		}
		push(lo, m)
		next = uint64(hi) + 1
	}
	if next <= 0xffffffff {
		push(uint32(next), 0)
	}
	if s.n = len(s.starts); s.n <= smallScope {
		copy(s.small[:], s.starts)
		copy(s.smallMask[:], s.masks)
		return s
	}
	s.bucket = new([257]uint32)
	k := 0
	for b := range 256 {
		for k+1 < len(s.starts) && s.starts[k+1] <= uint32(b)<<24 {
			k++
		}
		s.bucket[b] = uint32(k)
	}
	s.bucket[256] = uint32(len(s.starts) - 1)
	return s
}

func addr4(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// mask returns the mask of IPv4 address a.
func (s *scope4) mask(a uint32) uint8 {
	if n := s.n; n <= smallScope {
		k := 0
		for _, x := range s.small[1:n] {
			if x <= a {
				k++
			}
		}
		return s.smallMask[k&(smallScope-1)]
	}
	b := a >> 24
	lo, hi := int(s.bucket[b]), int(s.bucket[b+1]) // starts[lo] <= a, and a's interval is at most hi
	st := s.starts
	for lo < hi {
		if mid := int(uint(lo+hi+1) >> 1); st[mid] <= a {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return s.masks[lo]
}

// defaultScope is the compiled zero Context, used when a NIC has no Scope.
var defaultScope = sync.OnceValue(func() *Scope {
	s, err := CompileContext(Context{})
	if err != nil {
		panic("nsg: compiling the zero Context: " + err.Error()) // unreachable
	}
	return s
})

// mask returns the context-tag mask of address a (unmapped).
func (s *Scope) mask(a netip.Addr) uint8 {
	if a.Is4() {
		return s.v4.mask(addr4(a))
	}
	m, _ := s.tbl.Lookup(a)
	return m
}

// Contains reports whether a is in the expansion of the context tag named
// tag ("VirtualNetwork", "Internet" or "AzureLoadBalancer", any letter case).
// It reports false for any other tag.
func (s *Scope) Contains(tag string, a netip.Addr) bool {
	if set := s.set(tag); set != nil {
		return set.Contains(a.Unmap())
	}
	return false
}

// Prefixes returns the expansion of a context tag as minimal sorted prefixes,
// or nil for any other tag. The result is a fresh slice.
func (s *Scope) Prefixes(tag string) []netip.Prefix {
	if set := s.set(tag); set != nil {
		return set.Prefixes()
	}
	return nil
}

// Context returns what the Scope was compiled from, by origin: the prefixes
// of the VirtualNetwork tag that come from the VNet's address space, from
// peered VNets, from the gateway and from user-defined routes, in the order
// given, with IPv4-mapped prefixes unmapped; 168.63.129.16/32, which the tag
// always holds, is not listed. It lets a caller say why the tag holds a
// prefix, e.g. that a UDR 0.0.0.0/0 widened it to everything (issue #22178).
// The slices are fresh copies.
func (s *Scope) Context() Context {
	return Context{AddressSpace: slices.Clone(s.ctx.AddressSpace), Peered: slices.Clone(s.ctx.Peered),
		Gateway: slices.Clone(s.ctx.Gateway), UDR: slices.Clone(s.ctx.UDR)}
}

func (s *Scope) set(tag string) *netipx.IPSet {
	switch builtinTags[lower(tag)] {
	case "VirtualNetwork":
		return s.vnet
	case "Internet":
		return s.internet
	case "AzureLoadBalancer":
		return s.lb
	}
	return nil
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
