package servicetag_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"github.com/egresslab/egress/problem"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/egresslab/egress/servicetag"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// problems returns the errors that Parse joined, each an *Error.
func problems(t *testing.T, err error) []*servicetag.Error {
	t.Helper()
	require.Error(t, err)
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else {
		errs = []error{err}
	}
	out := make([]*servicetag.Error, len(errs))
	for i, e := range errs {
		require.ErrorAs(t, e, &out[i])
	}
	return out
}

// offsetOf returns the byte offset of a 1-based line and column in s.
func offsetOf(s string, line, col int) int {
	off := 0
	for range line - 1 {
		i := strings.IndexByte(s[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off + col - 1
}

// file wraps tag elements into a top level that is otherwise valid, one
// element per line from line 2.
func file(elems ...string) string {
	return `{"changeNumber": 1, "cloud": "Public", "values": [` + "\n" + strings.Join(elems, ",\n") + "\n]}"
}

// want is one expected problem: the message after "L:C: ",
// and the text that starts at L:C in the input.
type want struct {
	msg, at string
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind error
		want []want
	}{
		{"empty", "", servicetag.ErrSyntax, []want{{"empty input", ""}}},
		{"blank", " \n ", servicetag.ErrSyntax, []want{{"empty input", ""}}},
		{"top-level array", `[{"name": "a"}]`, servicetag.ErrInvalid, []want{{"top-level value is array, want object", "["}}},
		{"top-level string", ` "x"`, servicetag.ErrInvalid, []want{{"top-level value is string, want object", `"x"`}}},
		{"top-level null", "null", servicetag.ErrInvalid, []want{{"top-level value is null, want object", "null"}}},
		{"top-level huge number", "1E700", servicetag.ErrInvalid, []want{{"top-level value is number, want object", "1E700"}}},
		{"top-level array, malformed", "[1,,2]", servicetag.ErrSyntax, []want{{"invalid character ',' looking for beginning of value", ",2]"}}},
		{"not JSON", "changeNumber: 1", servicetag.ErrSyntax, []want{{"invalid character 'c' looking for beginning of value", "changeNumber"}}},
		{"truncated", strings.TrimSuffix(file(`{"name": "a", "id": "a"`), "\n]}"), servicetag.ErrSyntax, []want{{"unexpected end of input in object", ""}}},
		{"double comma", `{"changeNumber": 1,, "cloud": "Public"}`, servicetag.ErrSyntax,
			[]want{{"invalid character ',' looking for beginning of object key string", `, "cloud"`}}},
		{"bad token in a tag", file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [10.0.0.0/8]}}`), servicetag.ErrSyntax,
			[]want{{"invalid character '.' after array element", ".0.0/8"}}},
		{"trailing data", `{"changeNumber": 1, "cloud": "Public", "values": []} x`, servicetag.ErrSyntax,
			[]want{{"invalid character 'x' after top-level value", "x"}}},
		{"second object", `{"changeNumber": 1, "cloud": "Public", "values": []}` + "\n{}", servicetag.ErrSyntax,
			[]want{{"invalid character '{' after top-level value", "{}"}}},
		{"missing top-level fields", `{"values": []}`, servicetag.ErrInvalid,
			[]want{{"missing changeNumber", "{"}, {"missing cloud", "{"}}},
		{"missing values", `{"changeNumber": 1, "cloud": "Public"}`, servicetag.ErrInvalid, []want{{"missing values", "{"}}},
		{"wrong top-level types", `{"changeNumber": "1", "cloud": 5, "values": {}}`, servicetag.ErrInvalid, []want{
			{"changeNumber: got string, want integer", `"1"`},
			{"cloud: got number, want string", "5"},
			{"values: got object, want array", "{}"},
		}},
		{"bad top-level values", `{"changeNumber": 1.5, "cloud": "", "values": null}`, servicetag.ErrInvalid, []want{
			{"changeNumber: got number 1.5, want integer", "1.5"},
			{"cloud: empty", `""`},
			{"values: got null, want array", "null"},
		}},
		{"negative changeNumber, duplicate key", `{"changeNumber": -1, "cloud": "P", "values": [], "Values": []}`, servicetag.ErrInvalid, []want{
			{"changeNumber: -1 is negative", "-1"},
			{"Values: duplicate key", "[]}"},
		}},
		{"elements not objects", file(`5`, `null`, `[]`, `"Storage"`), servicetag.ErrInvalid, []want{
			{"values[0]: got number, want object", "5"},
			{"values[1]: got null, want object", "null"},
			{"values[2]: got array, want object", "[]"},
			{"values[3]: got string, want object", `"Storage"`},
		}},
		{"missing name", file(`{"id": "a", "properties": {"addressPrefixes": []}}`), servicetag.ErrInvalid,
			[]want{{"values[0].name: missing or empty name", `{"id"`}}},
		{"empty name", file(`{"name": "", "id": "", "properties": {"addressPrefixes": []}}`), servicetag.ErrInvalid,
			[]want{{"values[0].name: missing or empty name", `"", "id"`}}},
		{"name not a string", file(`{"name": 5, "id": "a", "properties": {"addressPrefixes": []}}`), servicetag.ErrInvalid,
			[]want{{"values[0].name: got number, want string", "5,"}}},
		{"name differs from id", file(`{"name": "a", "id": "b", "properties": {"addressPrefixes": []}}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0].id: id "b" differs from name "a"`, `"b"`}}},
		{"virtual tag", file(`{"name": "Internet", "id": "Internet", "properties": {"addressPrefixes": []}}`), servicetag.ErrInvalid,
			[]want{{`tag "Internet": values[0].name: "Internet" is a virtual tag, which a service-tags file cannot define`, `"Internet", "id"`}}},
		{"duplicate tag", file(
			`{"name": "Storage", "id": "Storage", "properties": {"addressPrefixes": []}}`,
			`{"name": "storage", "id": "storage", "properties": {"addressPrefixes": []}}`),
			servicetag.ErrInvalid,
			[]want{{`tag "storage": values[1].name: duplicate tag: "Storage" is at 2:1`, `"storage", "id"`}}},
		{"missing properties", file(`{"name": "a", "id": "a"}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0]: missing properties`, `{"name"`}}},
		{"null properties", file(`{"name": "a", "id": "a", "properties": null}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0].properties: got null, want object`, "null"}}},
		{"properties not an object", file(`{"name": "a", "id": "a", "properties": []}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0].properties: got array, want object`, "[]"}}},
		{"missing addressPrefixes", file(`{"name": "a", "id": "a", "properties": {"region": ""}}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0].properties: missing addressPrefixes`, `{"region"`}}},
		{"addressPrefixes not an array", file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": "10.0.0.0/8"}}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0].properties.addressPrefixes: got string, want array`, `"10.0.0.0/8"`}}},
		{"bad prefixes", file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [` +
			`"10.0.0.0/8", "10.0.0.1/8", "1.2.3.4/33", "x", 5, null, "::ffff:10.0.0.0/104", "2001:db8::1/32", "", "fe80::%eth0/64"]}}`),
			servicetag.ErrInvalid, []want{
				{`tag "a": values[0].properties.addressPrefixes[1]: prefix "10.0.0.1/8" has host bits set; want "10.0.0.0/8"`, `"10.0.0.1/8"`},
				{`tag "a": values[0].properties.addressPrefixes[2]: netip.ParsePrefix("1.2.3.4/33"): prefix length out of range`, `"1.2.3.4/33"`},
				{`tag "a": values[0].properties.addressPrefixes[3]: netip.ParsePrefix("x"): no '/'`, `"x"`},
				{`tag "a": values[0].properties.addressPrefixes[4]: got number, want string`, "5,"},
				{`tag "a": values[0].properties.addressPrefixes[5]: got null, want string`, "null"},
				{`tag "a": values[0].properties.addressPrefixes[6]: "::ffff:10.0.0.0/104" is an IPv4-mapped IPv6 prefix; write it as IPv4`, `"::ffff`},
				{`tag "a": values[0].properties.addressPrefixes[7]: prefix "2001:db8::1/32" has host bits set; want "2001:db8::/32"`, `"2001:db8::1/32"`},
				{`tag "a": values[0].properties.addressPrefixes[8]: netip.ParsePrefix(""): no '/'`, `""`},
				{`tag "a": values[0].properties.addressPrefixes[9]: netip.ParsePrefix("fe80::%eth0/64"): IPv6 zones cannot be present in a prefix`, `"fe80`},
			}},
		{"bad networkFeatures", file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "networkFeatures": ["API", "XYZ", null, 3, ""]}}`),
			servicetag.ErrInvalid, []want{
				{`tag "a": values[0].properties.networkFeatures[1]: unknown network feature "XYZ" (want API, NSG, UDR, FW or VSE)`, `"XYZ"`},
				{`tag "a": values[0].properties.networkFeatures[2]: got null, want string`, "null"},
				{`tag "a": values[0].properties.networkFeatures[3]: got number, want string`, "3,"},
				{`tag "a": values[0].properties.networkFeatures[4]: unknown network feature "" (want API, NSG, UDR, FW or VSE)`, `""]`},
			}},
		{"networkFeatures not an array", file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "networkFeatures": "API"}}`),
			servicetag.ErrInvalid, []want{{`tag "a": values[0].properties.networkFeatures: got string, want array`, `"API"`}}},
		{"regionId not an integer", file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "regionId": "32"}}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0].properties.regionId: got string, want integer`, `"32"`}}},
		{"changeNumber not an integer", file(`{"name": "a", "id": "a", "properties": {"changeNumber": 1e3, "addressPrefixes": []}}`), servicetag.ErrInvalid,
			[]want{{`tag "a": values[0].properties.changeNumber: got number 1e3, want integer`, "1e3"}}},
		{"negative numbers", file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "regionId": -1, "changeNumber": -2}}`), servicetag.ErrInvalid, []want{
			{`tag "a": values[0].properties.regionId: -1 is negative`, "-1"},
			{`tag "a": values[0].properties.changeNumber: -2 is negative`, "-2"},
		}},
		{"problems in several tags", file(
			`{"name": "a", "id": "a", "properties": {"addressPrefixes": ["10.0.0.1/8"]}}`,
			`{"name": "b", "id": "b", "properties": {"addressPrefixes": ["10.0.0.0/8"], "networkFeatures": ["NSG"]}}`,
			`{"name": "c", "id": "C", "properties": {"addressPrefixes": ["10.0.0.0/8"], "networkFeatures": ["nsg", "FWX"]}}`),
			servicetag.ErrInvalid, []want{
				{`tag "a": values[0].properties.addressPrefixes[0]: prefix "10.0.0.1/8" has host bits set; want "10.0.0.0/8"`, `"10.0.0.1/8"`},
				{`tag "c": values[2].id: id "C" differs from name "c"`, `"C"`},
				{`tag "c": values[2].properties.networkFeatures[1]: unknown network feature "FWX" (want API, NSG, UDR, FW or VSE)`, `"FWX"`},
			}},
		{"problems then a syntax error", file(
			`{"name": "a", "id": "b", "properties": {"addressPrefixes": []}}`,
			`{"name": "c", "id": "c", "properties": {"addressPrefixes": []}`),
			servicetag.ErrSyntax, []want{
				{`tag "a": values[0].id: id "b" differs from name "a"`, `"b"`},
				{`invalid character ']' after object key:value pair`, "]}"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := servicetag.Parse(strings.NewReader(tt.in))
			assert.Nil(t, set, "no partial result")
			require.ErrorIs(t, err, tt.kind)
			got := problems(t, err)
			require.Len(t, got, len(tt.want), "Parse(%q) = %v", tt.in, err)
			for i, e := range got {
				w := tt.want[i]
				// The message is position, tag, field, category, detail.
				assert.Equal(t, fmt.Sprintf("%d:%d: %s", e.Pos.Line, e.Pos.Col, w.msg), strings.Replace(e.Error(), e.Kind.Error()+": ", "", 1))
				off := offsetOf(tt.in, e.Pos.Line, e.Pos.Col)
				require.True(t, off >= 0 && off <= len(tt.in), "position %d:%d outside the input", e.Pos.Line, e.Pos.Col)
				assert.True(t, strings.HasPrefix(tt.in[off:], w.at), "%d:%d is at %.20q, want %q", e.Pos.Line, e.Pos.Col, tt.in[off:], w.at)
				assert.Equal(t, "", e.Pos.File)
			}
		})
	}
}

func TestParseFileErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ServiceTags_Public_bad.json")
	in := file(`{"name": "Storage", "id": "Storage", "properties": {"addressPrefixes": ["20.38.98.0/23", "20.38.98.1/24"]}}`)
	require.NoError(t, os.WriteFile(path, []byte(in), 0o644))
	_, err := servicetag.ParseFile(path)
	require.ErrorIs(t, err, servicetag.ErrInvalid)
	assert.EqualError(t, err, ""+path+`:2:90: tag "Storage": values[0].properties.addressPrefixes[1]: invalid service-tags file: prefix "20.38.98.1/24" has host bits set; want "20.38.98.0/24"`)
	e := problems(t, err)[0]
	assert.Equal(t, path, e.Pos.File)
	assert.Equal(t, `tag "Storage"`, e.Resource)
	assert.Equal(t, "values[0].properties.addressPrefixes[1]", e.Field)
	assert.Equal(t, 2, e.Pos.Line)
	assert.Equal(t, 90, e.Pos.Col)

	missing := filepath.Join(dir, "nope.json")
	_, err = servicetag.ParseFile(missing)
	require.ErrorIs(t, err, fs.ErrNotExist)
	assert.EqualError(t, err, "servicetag: open "+missing+": no such file or directory")

	// Compressed and broken: the error names the file, and no position.
	gz := filepath.Join(dir, "bad.json.gz")
	require.NoError(t, os.WriteFile(gz, []byte("\x1f\x8b\x08junk"), 0o644))
	_, err = servicetag.ParseFile(gz)
	require.ErrorIs(t, err, servicetag.ErrSyntax)
	assert.EqualError(t, err, gz+": malformed service-tags file: reading gzip-compressed input: unexpected EOF")
}

// publicJSON returns the uncompressed embedded copy of the public file.
func publicJSON(t testing.TB) []byte {
	t.Helper()
	f, err := os.Open("data/ServiceTags_Public_20251109.json.gz")
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return b
}

func TestParseTruncatedRealFile(t *testing.T) {
	full := publicJSON(t)
	cuts := []int{1, len(full) / 3, len(full) - 2}
	if testing.Short() {
		cuts = cuts[:2]
	}
	for _, n := range cuts {
		in := full[:n]
		_, err := servicetag.Parse(bytes.NewReader(in))
		require.ErrorIs(t, err, servicetag.ErrSyntax, "cut at %d", n)
		e := problems(t, err)
		require.Len(t, e, 1)
		assert.Contains(t, e[0].Error(), "unexpected end of input")
		assert.Equal(t, bytes.Count(in, []byte("\n"))+1, e[0].Pos.Line, "the error is on the last line")
	}
}

// A bad prefix in the real file is reported at its line in the file.
func TestParseRealFileBadPrefix(t *testing.T) {
	full := publicJSON(t)
	// The first prefix of Storage.EastUS, which Storage lists too.
	tag := bytes.Index(full, []byte(`"name": "Storage.EastUS"`))
	require.Positive(t, tag)
	old := []byte(`"13.68.163.32/28"`)
	i := tag + bytes.Index(full[tag:], old)
	require.Greater(t, i, tag)
	in := bytes.Clone(full)
	copy(in[i:], `"13.68.163.33/28"`)
	_, err := servicetag.Parse(bytes.NewReader(in))
	require.ErrorIs(t, err, servicetag.ErrInvalid)
	e := problems(t, err)
	require.Len(t, e, 1)
	assert.Equal(t, `tag "Storage.EastUS"`, e[0].Resource)
	assert.Equal(t, bytes.Count(full[:i], []byte("\n"))+1, e[0].Pos.Line)
	assert.Equal(t, i-bytes.LastIndexByte(full[:i], '\n'), e[0].Pos.Col)
	assert.Regexp(t, `^\d+:11: tag "Storage.EastUS": values\[\d+\]\.properties\.addressPrefixes\[0\]: invalid service-tags file: prefix "13.68.163.33/28" has host bits set; want "13.68.163.32/28"$`, e[0].Error())
}

func TestParseTooManyProblems(t *testing.T) {
	bad := strings.Repeat(`"10.0.0.1/8", `, problem.Max+50)
	in := file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [` + bad + `"10.0.0.0/8"]}}`)
	_, err := servicetag.Parse(strings.NewReader(in))
	require.ErrorIs(t, err, servicetag.ErrInvalid)
	e := problems(t, err)
	require.Len(t, e, problem.Max)
	assert.Equal(t, "values[0].properties.addressPrefixes[199]", e[199].Field)
	var es *problem.Errors
	require.ErrorAs(t, err, &es)
	assert.Equal(t, problem.Max+50, es.Total)
	assert.True(t, strings.HasSuffix(err.Error(), "\n... and 50 more problems"))
}

// spaces is an endless reader of JSON white space.
type spaces struct{}

var blank = bytes.Repeat([]byte(" "), 64<<10)

func (spaces) Read(b []byte) (int, error) {
	return copy(b, blank), nil
}

func TestParseTooLarge(t *testing.T) {
	// Parse stops reading after MaxSize+1 bytes of an endless input.
	_, err := servicetag.Parse(spaces{})
	require.ErrorIs(t, err, servicetag.ErrTooLarge)
	assert.EqualError(t, err, "service-tags file too large: larger than 64 MiB (MaxSize)")

	// The limit applies after decompression: 65 gzip members of 1 MiB of
	// spaces each, about 70 KiB compressed.
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	require.NoError(t, err)
	_, err = io.Copy(zw, io.LimitReader(spaces{}, 1<<20))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	bomb := bytes.Repeat(member.Bytes(), servicetag.MaxSize>>20+1)
	_, err = servicetag.Parse(bytes.NewReader(bomb))
	require.ErrorIs(t, err, servicetag.ErrTooLarge)

	// Just under the limit is fine (and takes the white space).
	in := append([]byte(file()), bytes.Repeat([]byte(" "), 1<<20)...)
	set, err := servicetag.Parse(bytes.NewReader(in))
	require.NoError(t, err)
	assert.Equal(t, 0, set.Len())
}

// Nesting is limited to 10,000 levels, as in encoding/json; deeper input is
// a syntax error, not a stack overflow.
func TestParseDeepNesting(t *testing.T) {
	const depth = 100_000
	for _, in := range []string{
		file(`{"name": "a", "id": "a", "extra": ` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `, "properties": {"addressPrefixes": []}}`),
		`{"changeNumber": 1, "cloud": "x", "extra": ` + strings.Repeat(`{"a":`, depth),
		`{"changeNumber": ` + strings.Repeat("[", depth),
	} {
		_, err := servicetag.Parse(strings.NewReader(in))
		require.ErrorIs(t, err, servicetag.ErrSyntax)
		assert.Contains(t, err.Error(), "nesting deeper than 10000 levels")
	}
	// Nesting that encoding/json accepts, in an ignored field, is fine.
	in := file(`{"name": "a", "id": "a", "extra": ` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `, "properties": {"addressPrefixes": []}}`)
	_, err := servicetag.Parse(strings.NewReader(in))
	require.NoError(t, err)
}

func TestErrorFormat(t *testing.T) {
	inner := errors.New("what is wrong")
	tests := []struct {
		e    servicetag.Error
		want string
	}{
		{servicetag.Error{Kind: servicetag.ErrInvalid, Cause: inner, Detail: inner.Error()}, "invalid service-tags file: what is wrong"},
		{servicetag.Error{Pos: problem.Pos{File: "f.json"}, Kind: servicetag.ErrInvalid, Cause: inner, Detail: inner.Error()}, "f.json: invalid service-tags file: what is wrong"},
		{servicetag.Error{Pos: problem.Pos{File: "f.json", Line: 3, Col: 7}, Kind: servicetag.ErrSyntax, Cause: inner, Detail: inner.Error()}, "f.json:3:7: malformed service-tags file: what is wrong"},
		{servicetag.Error{Pos: problem.Pos{Line: 3, Col: 7}, Resource: `tag "Storage"`, Field: "values[0].id", Kind: servicetag.ErrInvalid, Cause: inner, Detail: inner.Error()},
			`3:7: tag "Storage": values[0].id: invalid service-tags file: what is wrong`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.e.Error())
		assert.ErrorIs(t, &tt.e, inner)
		assert.ErrorIs(t, &tt.e, tt.e.Kind)
	}
}

// Finding the positions of many problems late in a long array takes one
// pass over it, not one per problem.
func TestParseManyProblemsLateInLongArray(t *testing.T) {
	var b strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&b, `"10.%d.%d.0/24", `, i>>8&0xff, i&0xff)
	}
	b.WriteString(strings.Repeat(`"10.0.0.1/8", `, problem.Max+50))
	b.WriteString(`"10.0.0.0/8"`)
	in := file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [` + b.String() + `]}}`)
	start := time.Now()
	_, err := servicetag.Parse(strings.NewReader(in))
	elapsed := time.Since(start)
	e := problems(t, err)
	require.Len(t, e, problem.Max)
	assert.Equal(t, "values[0].properties.addressPrefixes[200000]", e[0].Field)
	assert.Equal(t, "values[0].properties.addressPrefixes[200199]", e[199].Field)
	off := offsetOf(in, e[199].Pos.Line, e[199].Pos.Col)
	assert.True(t, strings.HasPrefix(in[off:], `"10.0.0.1/8"`))
	t.Logf("%v", elapsed)
}

// TestParseFileTooLarge: a file larger than MaxSize is refused by its size,
// before it is read (a sparse file: nothing to read but zeros).
func TestParseFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ServiceTags_Public.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(servicetag.MaxSize+1))
	require.NoError(t, f.Close())
	_, err = servicetag.ParseFile(path)
	require.ErrorIs(t, err, servicetag.ErrTooLarge)
	assert.EqualError(t, err, path+": service-tags file too large: larger than 64 MiB (MaxSize): 67108865 bytes")
}
