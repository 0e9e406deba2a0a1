package nsg

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gaissmai/bart"
)

// Cache shares, between the compilations of many groups, the work that
// depends only on the names their rules resolve: the normalised prefixes of
// each service tag, and the partition of the address space that a
// collection of address sets (service tags, ASG member lists, lists of
// CIDRs) cuts, with the bart table that finds an address's part. A network
// whose NSGs name the same service tags (Storage, Sql.EastUS, AzureCloud,
// ...) then expands each tag and builds each partition once, not once per
// NSG: [Compile] with a Cache costs a few microseconds per rule on top of
// the parts it shares.
//
// A Cache belongs to one set of resolvers: give it, in [Resolvers.Cache],
// only to compilations that use the same TagResolver and ASGResolver
// answering the same way (one load of one network). Groups compiled with a
// Cache classify exactly as groups compiled without one; they share its
// tables, which are immutable.
//
// The zero Cache is ready to use. A Cache is safe for concurrent use by
// compilations running in parallel; it must not be copied after first use.
// It only grows: drop it with the load it served.
type Cache struct {
	mu    sync.Mutex
	tags  map[string][]netip.Prefix // service tag as named -> its normalised prefixes
	parts map[string]*sharedPartition
}

type sharedPartition struct {
	once sync.Once
	p    *partition
}

// tag returns the normalised prefixes of tag, if a compilation with this
// cache resolved it before.
func (c *Cache) tag(name string) ([]netip.Prefix, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ps, ok := c.tags[name]
	return ps, ok
}

// putTag records the normalised prefixes of tag.
func (c *Cache) putTag(name string, ps []netip.Prefix) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tags == nil {
		c.tags = map[string][]netip.Prefix{}
	}
	c.tags[name] = ps
}

// partition is the address space cut by a collection of address sets: tbl
// maps every distinct prefix of the sets to its combination, the sets whose
// prefixes contain it (its own and its supernets' in the table), so that
// one longest-prefix match gives the sets containing an address. combos[0]
// is the empty combination, which a miss stands for. A partition is
// immutable once built.
type partition struct {
	tbl    *bart.Table[uint32]
	v4     *ranges4  // tbl's IPv4 part flattened
	combos [][]int32 // per combination: the sets it holds (indices into the collection), ascending
}

// partitionOf returns the partition of the sets whose canonical keys are
// keys (sorted) and whose prefixes are prefixes (parallel to keys), from the
// cache when one is given.
func (c *Cache) partitionOf(keys []string, prefixes [][]netip.Prefix) *partition {
	if c == nil {
		return buildPartition(prefixes)
	}
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.Itoa(len(k)))
		b.WriteByte(':')
		b.WriteString(k)
	}
	key := b.String()
	c.mu.Lock()
	if c.parts == nil {
		c.parts = map[string]*sharedPartition{}
	}
	sp, ok := c.parts[key]
	if !ok {
		sp = &sharedPartition{}
		c.parts[key] = sp
	}
	c.mu.Unlock()
	sp.once.Do(func() { sp.p = buildPartition(prefixes) })
	return sp.p
}

// buildPartition builds the partition of the sets of prefixes: every
// distinct prefix gets the combination of the sets containing it or a
// supernet of it in the table (flattened, so that the longest match answers
// alone), and identical combinations share one index.
func buildPartition(sets [][]netip.Prefix) *partition {
	p := &partition{tbl: new(bart.Table[uint32]), combos: [][]int32{nil}}
	var setsOf [][]int32 // per distinct prefix (the tbl value at first): the sets containing it
	for id, ps := range sets {
		for _, q := range ps {
			k, ok := p.tbl.Get(q)
			if !ok {
				k = uint32(len(setsOf))
				p.tbl.Insert(q, k)
				setsOf = append(setsOf, nil)
			}
			setsOf[k] = append(setsOf[k], int32(id))
		}
	}
	type entry struct {
		q netip.Prefix
		k uint32
	}
	entries := make([]entry, 0, len(setsOf))
	for q, k := range p.tbl.All() {
		entries = append(entries, entry{q, k})
	}
	comboOf := make([]uint32, len(setsOf))
	ids := map[string]uint32{"": 0}
	var combo []int32
	var key []byte
	for _, e := range entries {
		combo = combo[:0]
		for _, k := range p.tbl.Supernets(e.q) {
			combo = append(combo, setsOf[k]...)
		}
		slices.Sort(combo)
		combo = slices.Compact(combo)
		key = key[:0]
		for _, s := range combo {
			key = strconv.AppendInt(key, int64(s), 10)
			key = append(key, ',')
		}
		id, ok := ids[string(key)]
		if !ok {
			id = uint32(len(p.combos))
			ids[string(key)] = id
			p.combos = append(p.combos, slices.Clone(combo))
		}
		comboOf[e.k] = id
	}
	for _, e := range entries {
		p.tbl.Insert(e.q, comboOf[e.k])
	}
	p.combos = slices.Clip(p.combos)
	p.v4 = newRanges4(p.tbl)
	return p
}
