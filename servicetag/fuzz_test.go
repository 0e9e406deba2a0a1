package servicetag_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/servicetag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(docExample))
	f.Add([]byte(file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": ["10.0.0.1/8", "x", 5, null, "::ffff:10.0.0.0/104"], "networkFeatures": ["API", "XYZ", null]}}`)))
	f.Add([]byte(file(`{"name": "Storage", "id": "Storage", "properties": {"addressPrefixes": []}}`, `{"name": "storage", "id": "storage"}`)))
	f.Add([]byte(file(`{"NAME": "b", "Id": "b", "properties": {"addressPrefixes": ["\u0031\u0039\u0032.0.2.0/24", "2001:DB8::/32", "192.0.2.0/24"], "networkFeatures": null, "x": [[{}]]}}`)))
	f.Add([]byte(`{"changeNumber": "1", "cloud": 5, "values": {}}`))
	f.Add([]byte(`{"changeNumber": 1, "cloud": "x", "values": [5, null, [], "s", {"name": 1}]} x`))
	f.Add([]byte(`[{"changeNumber": 1}]`))
	f.Add([]byte(""))
	gov, err := os.ReadFile("testdata/ServiceTags_AzureGovernment_slice.json.gz")
	require.NoError(f, err)
	f.Add(gov)
	zr, err := gzip.NewReader(bytes.NewReader(gov))
	require.NoError(f, err)
	govJSON, err := io.ReadAll(zr)
	require.NoError(f, err)
	f.Add(govJSON)

	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := servicetag.Parse(bytes.NewReader(data))
		gzipped := len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b
		if err != nil {
			assert.Nil(t, set, "no partial result")
			for _, e := range problems(t, err) {
				assert.True(t, errors.Is(e, servicetag.ErrSyntax) || errors.Is(e, servicetag.ErrInvalid) || errors.Is(e, servicetag.ErrTooLarge),
					"%v has no category", e)
				if !gzipped && e.Pos.Line > 0 {
					off := offsetOf(string(data), e.Pos.Line, e.Pos.Col)
					assert.True(t, off >= 0 && off <= len(data), "%v: position outside the input", e)
				}
			}
			if !gzipped && json.Valid(data) {
				assert.NotErrorIs(t, err, servicetag.ErrSyntax, "valid JSON")
			}
			return
		}
		if !gzipped {
			require.True(t, json.Valid(data), "Parse accepted invalid JSON")
		}
		require.NotNil(t, set)
		assert.NotEmpty(t, set.Cloud())
		assert.GreaterOrEqual(t, set.ChangeNumber(), 0)
		names := set.Names()
		require.Len(t, names, set.Len())
		i := 0
		for tag := range set.All() {
			name := tag.Name()
			require.Equal(t, names[i], name)
			i++
			require.NotEmpty(t, name)
			assert.False(t, servicetag.IsVirtual(name))
			assert.Equal(t, strings.ToLower(tag.Region()), tag.Region())

			prefixes, region, ok := set.ServiceTag(name)
			require.True(t, ok, "ServiceTag(%q)", name)
			assert.Equal(t, tag.Region(), region)
			assert.Equal(t, tag.Prefixes(), append([]netip.Prefix(nil), prefixes...))
			for j, p := range prefixes {
				require.True(t, p.IsValid(), "%s: %v", name, p)
				require.Equal(t, p.Masked(), p, "%s: %v", name, p)
				require.False(t, p.Addr().Is4In6())
				if j > 0 {
					require.Equal(t, -1, prefixes[j-1].Compare(p), "%s: %v then %v", name, prefixes[j-1], p)
				}
			}
			for _, other := range []string{strings.ToLower(name), strings.ToUpper(name)} {
				if isASCII(name) {
					got, ok := set.Tag(other)
					require.True(t, ok, "Tag(%q)", other)
					assert.Equal(t, tag, got)
				}
			}

			f := tag.Features()
			text, err := f.MarshalText()
			require.NoError(t, err)
			var back servicetag.Features
			require.NoError(t, back.UnmarshalText(text))
			assert.Equal(t, f, back)
		}
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// BenchmarkParse parses the uncompressed public file from memory, next to
// a baseline that only decodes it with encoding/json, into strings.
func BenchmarkParse(b *testing.B) {
	data := publicJSON(b)
	b.Run("Parse", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := servicetag.Parse(bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("baseline=json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			var v struct {
				Values []struct {
					Name       string
					Properties struct {
						AddressPrefixes []string
					}
				}
			}
			if err := json.Unmarshal(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkServiceTag(b *testing.B) {
	set := defaultSet(b)
	for _, bm := range []struct{ name, tag string }{
		{"hit", "Storage.EastUS"},
		{"hit/other-case", "storage.eastus"},
		{"hit/large", "AzureCloud"},
		{"miss", "Storage.Atlantis"},
		{"virtual", "VirtualNetwork"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _, ok := set.ServiceTag(bm.tag)
				if ok != (bm.name[:3] == "hit") {
					b.Fatal(ok)
				}
			}
		})
	}
}
