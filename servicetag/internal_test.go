package servicetag

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// parsePrefix4 is a fast path in front of netip.ParsePrefix: whatever it
// accepts, netip.ParsePrefix accepts with the same result, and it accepts
// every IPv4 prefix in netip's canonical form.
func FuzzParsePrefix4(f *testing.F) {
	for _, s := range []string{
		"0.0.0.0/0", "192.0.2.0/24", "255.255.255.255/32", "10.0.0.1/8",
		"1.2.3.4/33", "01.2.3.4/8", "1.2.3.4/08", "1.2.3.4/", "1.2.3/8", "1.2.3.4.5/8",
		"256.0.0.0/8", "1.2.3.4/+8", "1.2.3.4/-0", "1.2.3.4", "1234.1.1.1/8", "2001:db8::/32",
		"::ffff:1.2.3.4/128", "1.2.3.4/8 ", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parsePrefix4(s)
		want, err := netip.ParsePrefix(s)
		if ok {
			require.NoError(t, err, "parsePrefix4(%q) accepted what netip.ParsePrefix rejects", s)
			require.Equal(t, want, got, "parsePrefix4(%q)", s)
		}
		if err == nil && want.Addr().Is4() && want.String() == s {
			assert.True(t, ok, "parsePrefix4(%q) missed a canonical prefix", s)
		}
	})
}

// The fast path takes every IPv4 prefix of the real file.
func TestParsePrefix4Taken(t *testing.T) {
	set, err := Default()
	require.NoError(t, err)
	n, stride := 0, 1
	if testing.Short() {
		stride = 7 // a sample, in CI's race-enabled run
	}
	for tag := range set.All() {
		for i, p := range tag.t.prefixes {
			if p.Addr().Is4() && i%stride == 0 {
				q, ok := parsePrefix4(p.String())
				require.True(t, ok, "parsePrefix4(%q)", p)
				require.Equal(t, p, q)
				n++
			}
		}
	}
	if stride == 1 {
		assert.Equal(t, 71348, n)
	}
}

// The embedded copy is byte for byte the file that the doc comment of
// defaultIndex names.
func TestDefaultChecksum(t *testing.T) {
	zr, err := gzip.NewReader(bytes.NewReader(defaultGzip))
	require.NoError(t, err)
	h := sha256.New()
	n, err := io.Copy(h, zr)
	require.NoError(t, err)
	assert.Equal(t, int64(4182743), n)
	assert.Equal(t, "130224f9b44e2b99642719357c97cc4bfccde788a6bf7a19bb675d17e520d805", hex.EncodeToString(h.Sum(nil)))
}
