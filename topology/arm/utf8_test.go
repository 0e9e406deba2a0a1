package arm

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStringEncoding: a string with bytes that are not UTF-8, or a \u escape
// of half a UTF-16 surrogate pair, fails at the byte or escape;
// encoding/json replaces both with U+FFFD without a word.
func TestStringEncoding(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"[\"a\xffb\"]", "f.json:1:4: invalid JSON: invalid UTF-8 in string (byte 0xff)"},
		{"{\"name\":\n \"caf\xc3\"}", "f.json:2:6: invalid JSON: invalid UTF-8 in string (byte 0xc3)"},
		{"{\"k\xe9y\": 1}", "f.json:1:4: invalid JSON: invalid UTF-8 in string (byte 0xe9)"},
		{"[\"x\\n\xc0\xaf\"]", "f.json:1:6: invalid JSON: invalid UTF-8 in string (byte 0xc0)"}, // an overlong '/', with an escape before it
		{`["\ud800"]`, `f.json:1:3: invalid JSON: invalid string escape \ud800: a UTF-16 surrogate without its pair`},
		{`["ab\udc00"]`, `f.json:1:5: invalid JSON: invalid string escape \udc00: a UTF-16 surrogate without its pair`},
		{`["\ud83d\u0041"]`, `f.json:1:3: invalid JSON: invalid string escape \ud83d: a UTF-16 surrogate without its pair`},
		{`["\ud83d"]`, `f.json:1:3: invalid JSON: invalid string escape \ud83d: a UTF-16 surrogate without its pair`},
	} {
		_, err := ParseValue("f.json", strings.NewReader(tc.in))
		require.ErrorIs(t, err, ErrSyntax, "%q", tc.in)
		assert.Equal(t, tc.want, err.Error(), "%q", tc.in)
	}
	for in, want := range map[string]string{
		`["\ud83d\ude00"]`:    "😀",
		`["\\ud800"]`:         `\ud800`, // an escaped backslash, then text
		`["h\u00e9llo"]`:      "héllo",
		"[\"h\xc3\xa9llo\"]":  "héllo",
		`["\uD83D\uDE00 ok"]`: "😀 ok",
	} {
		v, err := ParseValue("f.json", strings.NewReader(in))
		require.NoError(t, err, "%q", in)
		for _, e := range v.Elems() {
			s, _ := e.Str()
			assert.Equal(t, want, s, "%q", in)
		}
	}
}
