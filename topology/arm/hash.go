package arm

import (
	"crypto/sha1"
	"encoding/hex"
	"math/bits"
	"strings"
)

// uniqueString and guid as Azure computes them. Microsoft Learn documents
// only their shapes ("String functions for ARM templates": uniqueString is a
// 13-character hash, guid a 36-character GUID of a hash, both of the
// arguments in order). The algorithms below reproduce the values Azure's own
// evaluator gives in the Bicep repository's baselines
// (Azure/bicep src/Bicep.Core.Samples/Files/baselines_bicepparam/Expressions:
// uniqueString('asd', 'asdf', 'asdf') = "iizpqit7ih3cc", guid('asdf') =
// "228d27cc-6fdb-5934-b7ac-1efccebade04"); see TestUniqueStringGuid.

// uniqueString returns ARM's uniqueString of args: the arguments joined with
// "-", hashed with the 64-bit MurmurHash variant of Azure's resource stack
// (two 32-bit lanes of MurmurHash3 x86_128), seed 0, and written as 13
// lower-case base32 digits (RFC 4648 alphabet), most significant first.
func uniqueString(args []string) string {
	h := murmur64([]byte(strings.Join(args, "-")))
	const digits = "abcdefghijklmnopqrstuvwxyz234567"
	var out [13]byte
	for i := range out {
		out[i] = digits[h>>59]
		h <<= 5
	}
	return string(out[:])
}

// murmur64 is the 64-bit hash behind uniqueString.
func murmur64(data []byte) uint64 {
	const c1, c2 = 0x239b961b, 0xab0e9789
	var h1, h2 uint32
	le := func(b []byte) uint32 {
		var v uint32
		for i, c := range b {
			v |= uint32(c) << (8 * i)
		}
		return v
	}
	n := len(data)
	i := 0
	for ; i+8 <= n; i += 8 {
		k1 := le(data[i : i+4])
		k2 := le(data[i+4 : i+8])
		k1 *= c1
		k1 = bits.RotateLeft32(k1, 15)
		k1 *= c2
		h1 ^= k1
		h1 = bits.RotateLeft32(h1, 19)
		h1 += h2
		h1 = h1*5 + 0x561ccd1b
		k2 *= c2
		k2 = bits.RotateLeft32(k2, 17)
		k2 *= c1
		h2 ^= k2
		h2 = bits.RotateLeft32(h2, 13)
		h2 += h1
		h2 = h2*5 + 0x0bcaa747
	}
	if rem := n - i; rem > 0 {
		k1 := le(data[i : i+min(rem, 4)])
		k1 *= c1
		k1 = bits.RotateLeft32(k1, 15)
		k1 *= c2
		h1 ^= k1
		if rem > 4 {
			k2 := le(data[i+4 : n])
			k2 *= c2
			k2 = bits.RotateLeft32(k2, 17)
			k2 *= c1
			h2 ^= k2
		}
	}
	h1 ^= uint32(n)
	h2 ^= uint32(n)
	h1 += h2
	h2 += h1
	h1, h2 = fmix32(h1), fmix32(h2)
	h1 += h2
	h2 += h1
	return uint64(h2)<<32 | uint64(h1)
}

func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// guidNamespace is the namespace of ARM's guid(): a name-based (version 5,
// SHA-1) UUID of the arguments joined with "-" (RFC 9562 section 5.5).
var guidNamespace = [16]byte{0x11, 0xfb, 0x06, 0xfb, 0x71, 0x2d, 0x4d, 0xdd, 0x98, 0xc7, 0xe7, 0x1b, 0xbd, 0x58, 0x88, 0x30}

// guid returns ARM's guid of args, in lower case.
func guid(args []string) string {
	h := sha1.New()
	h.Write(guidNamespace[:])
	h.Write([]byte(strings.Join(args, "-")))
	s := h.Sum(nil)[:16]
	s[6] = s[6]&0x0f | 0x50
	s[8] = s[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], s[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], s[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], s[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], s[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], s[10:16])
	return string(b[:])
}
