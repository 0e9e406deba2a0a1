package servicetag

import (
	"bytes"
	_ "embed" // the embedded copy's file, for the index's tests
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// defaultGzip is the file that defaultIndex encodes (see its doc comment).
//
//go:embed data/ServiceTags_Public_20251109.json.gz
var defaultGzip []byte

// defaultName is the file name that errors from defaultGzip carry.
const defaultName = "servicetag/data/ServiceTags_Public_20251109.json.gz"

// indexFile is where go generate writes the index (defaultIndex).
const indexFile = "data/ServiceTags_Public_20251109.index"

var updateIndex = flag.Bool("update-index", false, "write "+indexFile+" from "+defaultName+" (go generate)")

// parseDefault parses the embedded copy's file in full, as Default did
// before it had the index.
func parseDefault() (*Set, error) {
	// The last four bytes of a gzip stream hold the uncompressed size (mod
	// 2^32): read into a buffer of the right size at once.
	hint := int(binary.LittleEndian.Uint32(defaultGzip[len(defaultGzip)-4:]))
	return parseData(defaultName, defaultGzip, hint)
}

// encodeIndex returns the index of s, in the layout that index.go
// describes.
func encodeIndex(s *Set) ([]byte, error) {
	n4, n6 := 0, 0
	for _, t := range s.tags {
		for _, p := range t.prefixes {
			if p.Addr().Is4() {
				n4++
			} else {
				n6++
			}
		}
	}
	var b []byte
	num := func(v int) {
		b = binary.AppendUvarint(b, uint64(v))
	}
	str := func(v string) {
		num(len(v))
		b = append(b, v...)
	}
	b = append(b, indexMagic...)
	num(s.changeNumber)
	str(s.cloud)
	num(len(s.tags))
	num(n4)
	num(n6)
	for _, t := range s.tags {
		if t.regionID < 0 || t.changeNumber < 0 {
			return nil, fmt.Errorf("tag %q: negative number", t.name)
		}
		str(t.name)
		str(t.key)
		str(t.region)
		str(t.systemService)
		num(t.regionID)
		num(t.changeNumber)
		num(int(t.features))
		k4 := 0
		for _, p := range t.prefixes {
			if p.Addr().Is4() {
				k4++
			}
		}
		num(k4)
		num(len(t.prefixes) - k4)
		// IPv4 sorts first (netip.Prefix.Compare): the order is kept.
		for _, p := range t.prefixes {
			if p.Addr().Zone() != "" {
				return nil, fmt.Errorf("tag %q: prefix %v has a zone", t.name, p)
			}
			b = append(b, p.Addr().AsSlice()...)
			b = append(b, byte(p.Bits()))
		}
	}
	return b, nil
}

// TestDefaultIndex: the embedded index is up to date (go generate would
// write it byte for byte again), and Default's Set, decoded from it, is the
// Set that a full parse of the file makes: every tag, with all its fields
// and prefixes, and the lookup of every name.
func TestDefaultIndex(t *testing.T) {
	full, err := parseDefault()
	require.NoError(t, err)
	enc, err := encodeIndex(full)
	require.NoError(t, err)
	if *updateIndex {
		require.NoError(t, os.WriteFile(indexFile, enc, 0o644))
		return
	}
	require.True(t, bytes.Equal(enc, []byte(defaultIndex)), "%s is out of date: run go generate ./servicetag", indexFile)

	set, err := Default()
	require.NoError(t, err)
	require.Equal(t, dumpSet(full), dumpSet(set))
	require.Equal(t, 3041, set.Len())
	for tag := range full.All() {
		for _, name := range []string{tag.Name(), tag.t.key} {
			got, region, ok := set.ServiceTag(name)
			want, wregion, _ := full.ServiceTag(name)
			require.True(t, ok, name)
			require.Equal(t, want, got, name)
			require.Equal(t, wregion, region, name)
		}
	}
}

// A broken index is refused, never read past or panicked on: every
// truncation of the real one, and copies with bytes changed.
func TestDecodeIndexBroken(t *testing.T) {
	idx := defaultIndex
	for _, n := range []int{0, 1, len(indexMagic), len(indexMagic) + 1, len(idx) / 3, len(idx) - 17, len(idx) - 1} {
		_, err := decodeIndex(idx[:n])
		assert.ErrorIs(t, err, errIndex, "cut at %d", n)
	}
	_, err := decodeIndex(idx + "x")
	assert.ErrorIs(t, err, errIndex, "a byte more")
	for i := len(indexMagic); i < len(idx); i += len(idx) / 40 {
		b := []byte(idx)
		b[i] ^= 0xff
		decodeIndex(string(b)) // an error or another Set, but no panic
	}
}

// FuzzDecodeIndex: decodeIndex never panics, and what it accepts is a
// well-formed Set.
func FuzzDecodeIndex(f *testing.F) {
	f.Add(defaultIndex[:2000])
	small, _ := encodeIndex(mustParseText(f, `{"changeNumber": 1, "cloud": "P", "values": [
		{"name": "A", "id": "A", "properties": {"region": "x", "addressPrefixes": ["10.0.0.0/8", "2001:db8::/32"], "networkFeatures": ["NSG"]}},
		{"name": "b", "id": "b", "properties": {"addressPrefixes": []}}]}`))
	f.Add(string(small))
	f.Fuzz(func(t *testing.T, idx string) {
		s, err := decodeIndex(idx)
		if err != nil {
			if !errors.Is(err, errIndex) {
				t.Fatal(err)
			}
			return
		}
		for i, tag := range s.tags {
			if s.index[tag.key] != int32(i) {
				t.Fatalf("tag %q is not indexed", tag.key)
			}
		}
	})
}

func mustParseText(t testing.TB, text string) *Set {
	p := parser{text: text}
	s, err := p.parse()
	require.NoError(t, err)
	return s
}

// BenchmarkDefault is what the first call of Default costs, decoding the
// index, next to a full parse of the file it encodes and to encoding/json
// decoding that file (uncompressed) into generic values, the yardstick of
// the CLI's start-up.
func BenchmarkDefault(b *testing.B) {
	text := gunzipFile(b, "data/ServiceTags_Public_20251109.json.gz")
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeIndex(defaultIndex); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseDefault(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline=json.Unmarshal-any", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v any
			if err := json.Unmarshal(text, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
