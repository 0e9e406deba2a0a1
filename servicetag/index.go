package servicetag

import (
	"errors"
	"net/netip"
	"strings"
)

// The index is the embedded copy's Set, encoded so that [Default] can
// rebuild it in about a millisecond instead of parsing 4 MB of JSON. It is
// generated from data/ServiceTags_Public_20251109.json.gz by go generate
// (the encoder is encodeIndex, in index_test.go), and TestDefaultIndex
// checks that it is up to date and that it decodes to the Set that Parse
// makes of the file, tag for tag.
//
// The layout, with every count and integer an unsigned varint and every
// string a varint length and its bytes:
//
//	indexMagic
//	changeNumber, cloud, the number of tags, of IPv4 and of IPv6 prefixes
//	each tag, in the order of Set.tags (sorted by key):
//		name, key, region, systemService, regionID, changeNumber, features,
//		the number of IPv4 prefixes and of IPv6 prefixes,
//		each IPv4 prefix: 4 address bytes, the length
//		each IPv6 prefix: 16 address bytes, the length
const indexMagic = "egress servicetag index 1\n"

// errIndex is what decodeIndex returns for an index it cannot read.
var errIndex = errors.New("servicetag: the embedded index is broken")

// decodeIndex returns the Set that index encodes. Its strings share the
// memory of index.
func decodeIndex(index string) (*Set, error) {
	d := indexDecoder{s: index}
	if !strings.HasPrefix(index, indexMagic) {
		return nil, errIndex
	}
	d.i = len(indexMagic)
	s := &Set{}
	s.changeNumber = d.int()
	s.cloud = d.str()
	ntags, n4, n6 := d.int(), d.int(), d.int()
	// Each tag takes at least 9 bytes, each prefix 5 or 17: counts that
	// the rest cannot hold are refused before anything is allocated.
	if d.bad || ntags > len(index)/9 || n4 > len(index)/5 || n6 > len(index)/17 {
		return nil, errIndex
	}
	s.tags = make([]tagRec, ntags)
	s.index = make(map[string]int32, ntags)
	flat := make([]netip.Prefix, 0, n4+n6)
	for i := range s.tags {
		t := &s.tags[i]
		t.name, t.key, t.region, t.systemService = d.str(), d.str(), d.str(), d.str()
		t.regionID, t.changeNumber, t.features = d.int(), d.int(), Features(d.int())
		k4, k6 := d.int(), d.int()
		if d.bad || k4 > n4+n6-len(flat) || k6 > n4+n6-len(flat)-k4 || len(index)-d.i < 5*k4+17*k6 {
			return nil, errIndex
		}
		lo := len(flat)
		for range k4 {
			b := index[d.i : d.i+5]
			flat = append(flat, netip.PrefixFrom(netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]}), int(b[4])))
			d.i += 5
		}
		for range k6 {
			var a [16]byte
			copy(a[:], index[d.i:d.i+16])
			flat = append(flat, netip.PrefixFrom(netip.AddrFrom16(a), int(index[d.i+16])))
			d.i += 17
		}
		t.prefixes = flat[lo:len(flat):len(flat)]
		for _, p := range t.prefixes {
			if !p.IsValid() {
				return nil, errIndex
			}
		}
		if i > 0 && s.tags[i-1].key >= t.key {
			return nil, errIndex
		}
		s.index[t.key] = int32(i)
	}
	if d.bad || d.i != len(index) {
		return nil, errIndex
	}
	if ntags == 0 {
		s.tags, s.index = nil, nil
	}
	return s, nil
}

// indexDecoder reads the varints and strings of an index. After reading
// past the end, or a varint that overflows an int, it sets bad and reads
// zeros.
type indexDecoder struct {
	s   string
	i   int
	bad bool
}

func (d *indexDecoder) int() int {
	var v uint64
	for shift := 0; shift < 63; shift += 7 {
		if d.i >= len(d.s) {
			break
		}
		c := d.s[d.i]
		d.i++
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			if v > 1<<62 {
				break
			}
			return int(v)
		}
	}
	d.bad = true
	return 0
}

func (d *indexDecoder) str() string {
	n := d.int()
	if d.bad || n > len(d.s)-d.i {
		d.bad = true
		return ""
	}
	s := d.s[d.i : d.i+n]
	d.i += n
	return s
}
