package servicetag

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The differential tests of the parser against its slow twin
// (twin_test.go), which reads with encoding/json: on any input the two
// build the same Set, or report the same problems, message for message and
// position for position. After a syntax error the twin, which has no tree,
// reports that error alone: the parser's must be at the same position, and
// last.

// dumpSet writes everything a Set holds, in order, for comparison.
func dumpSet(s *Set) string {
	var b strings.Builder
	fmt.Fprintf(&b, "changeNumber %d cloud %q tags %d index %d\n", s.changeNumber, s.cloud, len(s.tags), len(s.index))
	for i := range s.tags {
		t := &s.tags[i]
		fmt.Fprintf(&b, "%q %q %q %q %d %d %v %d %v\n", t.name, t.key, t.region, t.systemService, t.regionID, t.changeNumber,
			t.features, s.index[t.key], t.prefixes)
	}
	return b.String()
}

// twinDiff parses data with the parser and the twin, and describes how
// they differ, or returns "".
func twinDiff(data []byte) string {
	p := parser{text: string(data)}
	set, err := p.parse()
	tset, terr := twinParse(string(data))
	switch {
	case err == nil && terr == nil:
		if a, b := dumpSet(set), dumpSet(tset); a != b {
			return fmt.Sprintf("sets differ:\n%s\ntwin:\n%s", a, b)
		}
		return ""
	case err == nil || terr == nil:
		return fmt.Sprintf("error %v, twin %v", err, terr)
	case !errors.Is(terr, ErrSyntax):
		if err.Error() != terr.Error() || errors.Is(err, ErrSyntax) || !errors.Is(err, ErrInvalid) {
			return fmt.Sprintf("problems differ:\n%v\ntwin:\n%v", err, terr)
		}
		return ""
	}
	got, want := err.(interface{ Unwrap() []error }).Unwrap(), terr.(interface{ Unwrap() []error }).Unwrap()
	var syn []*Error
	for _, e := range got {
		if errors.Is(e, ErrSyntax) {
			syn = append(syn, e.(*Error))
		}
	}
	last := got[len(got)-1].(*Error)
	w := want[0].(*Error)
	if len(syn) != 1 || syn[0] != last || last.Pos.Line != w.Pos.Line || last.Pos.Col != w.Pos.Col {
		return fmt.Sprintf("syntax errors differ:\n%v\ntwin:\n%v", err, terr)
	}
	return ""
}

// gunzipFile returns the decompressed contents of a gzip file.
func gunzipFile(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err)
	b, err := io.ReadAll(zr)
	require.NoError(t, err)
	return b
}

// realFiles are the real service-tags files of this package: the public
// cloud's (the embedded default) and the US Government cloud's.
func realFiles(t testing.TB) map[string][]byte {
	return map[string][]byte{
		"Public":     gunzipFile(t, "data/ServiceTags_Public_20251109.json.gz"),
		"Government": gunzipFile(t, "testdata/ServiceTags_AzureGovernment.json.gz"),
	}
}

// TestParseTwinRealFiles: on the real files the parser builds the same Set
// as its twin; and so it does, or fails as the twin does, on copies of them
// with bytes changed at random (seeded).
func TestParseTwinRealFiles(t *testing.T) {
	files := realFiles(t)
	for name, data := range files {
		if name == "Public" && testing.Short() {
			continue // 4 MB through encoding/json's token decoder: seconds under -race
		}
		p := parser{text: string(data)}
		set, err := p.parse()
		require.NoError(t, err, name)
		assert.Positive(t, set.Len(), name)
		assert.Empty(t, twinDiff(data), name)
	}
	gov := files["Government"]
	rng := rand.New(rand.NewPCG(11, 12))
	n := 300
	if testing.Short() {
		n = 25
	}
	const alphabet = "0123456789./:\"{}[], abcxAF-\\\n\xff"
	outcomes := map[string]int{}
	for range n {
		in := bytes.Clone(gov)
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(in))
			in[i] = alphabet[rng.IntN(len(alphabet))]
		}
		require.Empty(t, twinDiff(in), "mutated Government file")
		_, err := twinParse(string(in))
		switch {
		case err == nil:
			outcomes["parsed"]++
		case errors.Is(err, ErrSyntax):
			outcomes["syntax"]++
		default:
			outcomes["invalid"]++
		}
	}
	t.Log(outcomes)
	for _, o := range []string{"parsed", "syntax", "invalid"} {
		assert.Positive(t, outcomes[o], "no mutated file was %s", o)
	}
}

// TestParseTwinCases: the twin agrees on the inputs of TestParseErrors and
// others, and the designed differences are there.
func TestParseTwinCases(t *testing.T) {
	file := func(elems ...string) string {
		return `{"changeNumber": 1, "cloud": "Public", "values": [` + "\n" + strings.Join(elems, ",\n") + "\n]}"
	}
	for _, in := range []string{
		"", " ", `[]`, `"x"`, `null`, `1E700`, `[1,,2]`, `{"changeNumber": 1,, "cloud": "Public"}`,
		`{"values": []}`, `{"changeNumber": "1", "cloud": 5, "values": {}}`, `{"changeNumber": 1.5, "cloud": "", "values": null}`,
		`{"changeNumber": -1, "cloud": "P", "values": [], "Values": []}`, `{"changeNumber": null, "cloud": "P", "values": []}`,
		file(`5`, `null`, `[]`, `"Storage"`),
		file(`{"id": "a", "properties": {"addressPrefixes": []}}`),
		file(`{"name": null, "id": "a", "properties": {"addressPrefixes": []}}`),
		file(`{"name": 5, "id": "a", "properties": {"addressPrefixes": []}}`),
		file(`{"name": "a", "id": "b", "properties": {"addressPrefixes": null}}`),
		file(`{"name": "a", "properties": {"addressPrefixes": []}}`),
		file(`{"name": "Internet", "id": "Internet", "properties": {"addressPrefixes": []}}`),
		file(`{"name": "S", "id": "S", "properties": {"addressPrefixes": []}}`, `{"name": "s", "id": "s", "properties": {"addressPrefixes": []}}`),
		file(`{"name": "a", "id": "a"}`), file(`{"name": "a", "id": "a", "properties": null}`), file(`{"name": "a", "id": "a", "properties": []}`),
		file(`{"name": "a", "id": "a", "properties": {"region": ""}}`),
		file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": "10.0.0.0/8"}}`),
		file(`{"NAME": "b", "Id": "b", "properties": {"addressPrefixes": ["\u0031\u0039\u0032.0.2.0/24", "2001:DB8::/32", "192.0.2.0/24"], "networkFeatures": null, "x": [[{}]]}}`),
		file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": ["10.0.0.0/8", "10.0.0.1/8", "1.2.3.4/33", "x", 5, null, "::ffff:10.0.0.0/104", "2001:db8::1/32", "", "fe80::%eth0/64"]}}`),
		file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "networkFeatures": ["API", "XYZ", null, 3, ""]}}`),
		file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "networkFeatures": "API", "regionId": "32", "changeNumber": 1e3}}`),
		file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "regionId": -1, "changeNumber": -2, "region": "EastUS", "systemService": null}}`),
		file(`{"name": "a", "id": "b", "properties": {"addressPrefixes": []}}`, `{"name": "c", "id": "c", "properties": {"addressPrefixes": []}`),
		file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [` + strings.Repeat(`"10.0.0.1/8", `, 150) + `"10.0.0.0/8"]}}`),
		`{"changeNumber": 1, "cloud": "x", "extra": ` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `, "values": []}`,
	} {
		assert.Empty(t, twinDiff([]byte(in)), "%q", in)
	}
	for _, tc := range []struct{ in, want string }{
		{file(`{"name": "a", "id": "a", "Name": "a", "properties": {"addressPrefixes": []}}`),
			`2:34: tag "a": values[0].name: invalid service-tags file: duplicate key`},
		{file(`{"name": "a", "id": "a", "properties": {"addressPrefixes": [], "AddressPrefixes": ["10.0.0.0/8"]}}`),
			`2:83: tag "a": values[0].properties.addressPrefixes: invalid service-tags file: duplicate key`},
		{file("{\"name\": \"a\xff\", \"id\": \"a\xff\", \"properties\": {\"addressPrefixes\": []}}"), `2:12: malformed service-tags file: invalid UTF-8 in string (byte 0xff)`},
		{file(`{"name": "a\ud800", "id": "a\ud800", "properties": {"addressPrefixes": []}}`), `2:12: malformed service-tags file: invalid string escape \ud800: a UTF-16 surrogate without its pair`},
	} {
		p := parser{text: tc.in}
		_, err := p.parse()
		assert.EqualError(t, err, tc.want)
		assert.Empty(t, twinDiff([]byte(tc.in)))
	}
	// A syntax error after maxProblems problems is still reported.
	in := file(strings.Repeat(`5, `, maxProblems+10) + `x`)
	_, err := Parse(strings.NewReader(in))
	require.ErrorIs(t, err, ErrSyntax)
	assert.Empty(t, twinDiff([]byte(in)))
}

// FuzzParseTwin: as TestParseTwinCases, on any input.
func FuzzParseTwin(f *testing.F) {
	f.Add([]byte(`{"changeNumber": 1, "cloud": "P", "values": [{"name": "a", "id": "a", "properties": {"addressPrefixes": ["10.0.0.0/8", "2001:db8::/32"], "networkFeatures": ["NSG"], "regionId": 3}}]}`))
	f.Add([]byte(`{"changeNumber": "1", "cloud": 5, "values": [5, {"name": 1}, {"name": "x", "properties": []}]}`))
	f.Add([]byte(`{"changeNumber": 1, "cloud": "P", "values": [{"name": "a", "id": "a", "properties": {"addressPrefixes": ["10.0.0.1/8", "x", 5]}}, {"name": "A", "id": "A"}]}`))
	f.Add(gunzipFile(f, "testdata/ServiceTags_AzureGovernment_slice.json.gz"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if d := twinDiff(data); d != "" {
			t.Fatalf("%q: %s", data, d)
		}
	})
}
