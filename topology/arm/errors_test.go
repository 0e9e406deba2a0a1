package arm

import (
	"errors"
	"fmt"
	"github.com/egresslab/egress/problem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const vnetID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v"

// errorList flattens the error returned by Parse into its messages.
func errorList(err error) []string {
	var out []string
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, e.Error())
		}
		return out
	}
	return []string{err.Error()}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		cat  error
		want string // the first error, exactly
	}{
		{"empty", "  \n", ErrSyntax, "in.json:2:1: invalid JSON: empty input: expected a JSON object or array"},
		{"truncated", "[{\"id\": \"/subscriptions/s", ErrSyntax, "in.json:1:26: invalid JSON: unexpected end of input in string literal"},
		{"truncated object", "{\"value\": [\n", ErrSyntax, "in.json:2:1: invalid JSON: unexpected end of input looking for a value"},
		{"bad literal", `{"a": tru}`, ErrSyntax, `in.json:1:10: invalid JSON: invalid character '}' in literal true`},
		{"bad char", "[1,\n  x]", ErrSyntax, `in.json:2:3: invalid JSON: invalid character 'x' looking for beginning of value`},
		{"trailing data", `{} {}`, ErrSyntax, `in.json:1:4: invalid JSON: invalid character '{' after top-level value`},
		{"leading zero", `[01]`, ErrSyntax, `in.json:1:3: invalid JSON: invalid character '1' after array element`},
		{"bad fraction", `[1.]`, ErrSyntax, `in.json:1:4: invalid JSON: invalid character ']' after decimal point in numeric literal`},
		{"bad escape", `["a\x"]`, ErrSyntax, `in.json:1:5: invalid JSON: invalid character 'x' in string escape code`},
		{"bad unicode escape", `["\u12g4"]`, ErrSyntax, `in.json:1:7: invalid JSON: invalid character 'g' in \u hexadecimal character escape`},
		{"control char", "[\"a\tb\"]", ErrSyntax, `in.json:1:4: invalid JSON: invalid control character '\t' in string`},
		{"missing colon", `{"a" 1}`, ErrSyntax, `in.json:1:6: invalid JSON: invalid character '1' after object key`},
		{"trailing comma", `{"a": 1,}`, ErrSyntax, `in.json:1:9: invalid JSON: invalid character '}' looking for beginning of object key string`},
		{"UTF-16", "\xff\xfe[\x00]\x00", ErrSyntax, "in.json:1:1: invalid JSON: input is UTF-16 encoded (as PowerShell 5 writes with '>'); re-encode it as UTF-8"},
		{"duplicate key", `{"id": "a",` + "\n" + ` "id": "b"}`, ErrFormat, `in.json:2:8: id: unrecognized ARM JSON: duplicate object key "id": also at in.json:1:8; which one is meant cannot be known`},
		{"duplicate wrapper key", `{"value": [],` + "\n" + ` "Value": []}`, ErrFormat, `in.json:2:11: Value: unrecognized ARM JSON: duplicate object key "Value": also at in.json:1:11; which one is meant cannot be known`},
		{"short ID, bad", `[{"id": "resourceGroups/rg/providers/Microsoft.Network", "type": "Microsoft.Network/virtualNetworks"}]`, ErrID,
			`in.json:1:9: id: invalid resource ID: "resourceGroups/rg/providers/Microsoft.Network": has no {namespace}/{type}/{name} after providers`},
		{"REST example without a body", `{"parameters": {}, "responses": {"202": {}, "204": {}}}`, ErrFormat,
			`in.json:1:33: responses: unrecognized ARM JSON: REST API example has no 200 or 201 response with a body to read (responses: "202", "204")`},
		{"too deep", strings.Repeat("[", 65) + strings.Repeat("]", 65), ErrLimit, "in.json:1:65: input too large: nesting deeper than 64 levels"},
		{"top-level number", ` 42`, ErrFormat, "in.json:1:2: unrecognized ARM JSON: top-level value is a number: expected an ARM resource object, an array of resources, or a wrapper object"},
		{"array of strings", `["a"]`, ErrFormat, "in.json:1:2: unrecognized ARM JSON: array element is a string: expected an ARM resource object, an array of resources, or a wrapper object"},
		{"unknown object", `{"foo": 1, "bar": null}`, ErrFormat, `in.json:1:1: unrecognized ARM JSON: top-level value is not an ARM resource or wrapper: an object with no "type", "id", "name" or "properties", no "value" or "data" array and no template "$schema" (keys: "foo", "bar")`},
		{"value not array", `{"value": 3}`, ErrFormat, "in.json:1:11: value: unrecognized ARM JSON: expected an array of resources, found number"},
		{"data element not object", `{"data": [1]}`, ErrFormat, "in.json:1:11: data[]: unrecognized ARM JSON: expected a resource object, found number"},
		{"no id", `[{"name": "v", "type": "Microsoft.Network/virtualNetworks"}]`, ErrFormat, `in.json:1:2: unrecognized ARM JSON: resource (name "v") has no "id"`},
		{"non-string id", `[{"id": 42, "type": "Microsoft.Network/virtualNetworks"}]`, ErrFormat, "in.json:1:9: id: unrecognized ARM JSON: expected a string, found number"},
		{"non-string type", `[{"id": "` + vnetID + `", "type": ["x"]}]`, ErrFormat, "in.json:1:101: " + vnetID + ": type: unrecognized ARM JSON: expected a string, found array"},
		{"non-string location", `[{"id": "` + vnetID + `", "type": "Microsoft.Network/virtualNetworks", "location": 1}]`, ErrFormat, "in.json:1:150: " + vnetID + ": location: unrecognized ARM JSON: expected a string, found number"},
		{"bad id", `[{"id": "vnet1", "type": "Microsoft.Network/virtualNetworks"}]`, ErrID, `in.json:1:9: id: invalid resource ID: "vnet1": does not start with "/"`},
		{"type mismatch", `[{"id": "` + vnetID + `", "type": "Microsoft.Network/routeTables"}]`, ErrFormat, "in.json:1:101: " + vnetID + `: type: unrecognized ARM JSON: type "Microsoft.Network/routeTables" does not match the resource ID's type "Microsoft.Network/virtualNetworks"`},
		{"duplicate resource", "[{\"id\": \"" + vnetID + "\", \"type\": \"Microsoft.Network/virtualNetworks\"},\n {\"id\": \"" + strings.ToUpper(vnetID) + "\", \"type\": \"Microsoft.Network/virtualNetworks\"}]", ErrDuplicate,
			"in.json:2:2: " + strings.ToUpper(vnetID) + ": duplicate resource: the same ID (compared case-insensitively) is first defined at in.json:1:2"},
		{"template resource without type", `{"contentVersion": "1.0.0.0", "resources": [{"name": "v"}]}`, ErrFormat, `in.json:1:45: type: unrecognized ARM JSON: template resource resources[0] has no "type"`},
		{"template resources not array", `{"contentVersion": "1.0.0.0", "resources": 1}`, ErrFormat, `in.json:1:44: resources: unrecognized ARM JSON: expected an array or (languageVersion 2.0) an object of resources, found number`},
		{"template name segments", `{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Network/virtualNetworks/subnets", "name": "s"}]}`, ErrFormat,
			`in.json:1:107: name: unrecognized ARM JSON: template resource resources[0] "s" (Microsoft.Network/virtualNetworks/subnets): name "s" has 1 segments, type "Microsoft.Network/virtualNetworks/subnets" needs 2`},
		{"template copy loop without copyIndex", `{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "v", "copy": {"name": "c", "count": 2}}]}`, ErrDuplicate,
			`in.json:1:45: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/v: duplicate resource: the same ID (compared case-insensitively) is first defined at in.json:1:45`},
		{"template copy count over Azure's limit", `{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "[concat('v', copyIndex())]", "copy": {"name": "c", "count": 801}}]}`, ErrLimit,
			`in.json:1:160: resources[0]: copy.count: input too large: copy count 801 is over the limit of 800 iterations (Azure's limit; Limits.MaxCopy)`},
		{"template undeclared parameter", `{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "[parameters('n')]"}]}`, ErrExpression,
			`in.json:1:101: resources[0]: name: unresolved template expression: parameter "n" is not declared (the template declares none)`},
		{"template syntax error", `{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {"x": "[concat('a',]"}}]}`, ErrExpression,
			`in.json:1:137: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/v: properties.x: unresolved template expression: invalid template expression "[concat('a',]": expected a value, found end of expression`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Parse("in.json", strings.NewReader(tc.in))
			require.Error(t, err)
			assert.Nil(t, res)
			assert.ErrorIs(t, err, tc.cat)
			assert.Equal(t, tc.want, errorList(err)[0])
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.True(t, e.Pos.IsValid(), "position %v", e.Pos)
		})
	}
}

func TestErrorsBounded(t *testing.T) {
	// A child of a parent without a name: one error, for the parent.
	_, err := Parse("t.json", strings.NewReader(`{"contentVersion": "1.0.0.0", "resources": [{"type": "Microsoft.Network/virtualNetworks",
 "resources": [{"type": "subnets", "name": "a"}]}]}`))
	assert.Equal(t, []string{`t.json:1:45: name: unrecognized ARM JSON: template resource resources[0] has no "name"`}, errorList(err))

	// Hostile sizes do not make hostile messages.
	long := strings.Repeat("x", 100000)
	for _, in := range []string{
		`[{"id": "/` + long + `", "type": "A.B/c"}]`,
		`[{"id": "/subscriptions/s/resourceGroups/rg/providers/A.B/c/` + long + `", "type": "A.B/` + long + `"}]`,
		`{"` + long + `": 1, "` + long + `": 2}`,
		`{"contentVersion": "1.0.0.0", "resources": [{"type": "A.B/c", "name": "d", "` + long + `": "[` + long + `]"}]}`,
		`{"` + long + `": 1}`,
	} {
		_, err := Parse("t.json", strings.NewReader(in))
		require.Error(t, err)
		assert.Less(t, len(err.Error()), 3000, "%.200s", err)
	}
}

// TestTemplateUnresolved: values that cannot be evaluated offline are
// unresolved values, listed by Resource.Unresolved with position, resource,
// field and reason, and do not fail the parse; invalid expressions do.
func TestTemplateUnresolved(t *testing.T) {
	in := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
 "parameters": {"prefix": {"type": "string"}},
 "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "v", "location": "[resourceGroup().location]",
  "tags": {"built": "[utcNow()]"}, "dependsOn": ["[resourceId('x', 'y')]"],
  "properties": {"addressSpace": {"addressPrefixes": ["[parameters('prefix')]"]}, "dhcpOptions": {"dnsServers": ["10.0.0.4"]}}}]}`
	res, err := Parse("t.json", strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, res, 1)
	var got []string
	for v, e := range res[0].Unresolved() {
		assert.Equal(t, KindUnresolved, v.Kind())
		assert.ErrorIs(t, e, ErrExpression)
		got = append(got, e.Error())
	}
	id := "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/v"
	assert.Equal(t, []string{
		`t.json:3:87: ` + id + `: location: unresolved template expression: the resource group's location is not known offline: give the region (Options.Location; egress --location) (at t.json:3:89)`,
		`t.json:4:21: ` + id + `: tags.built: unresolved template expression: utcNow() changes with every deployment: it cannot be evaluated offline (at t.json:4:23)`,
		`t.json:5:55: ` + id + `: properties.addressSpace.addressPrefixes[0]: unresolved template expression: parameter "prefix" has no value: give one in a parameters file or as prefix=VALUE (declared at t.json:2:27)`,
	}, got)
	assert.Empty(t, res[0].Location, "an unresolved location is not a location")
	dns, _ := res[0].Body.Prop("dhcpOptions").Prop("dnsServers").Index(0).Str()
	assert.Equal(t, "10.0.0.4", dns, "what does not depend on an unresolved value is known")
	// Lookups through an unresolved value stay unresolved.
	loc := res[0].Body.Get("location")
	assert.Same(t, loc, loc.Get("anything").Index(3).Prop("x"))

	// A template without expressions has none.
	res, err = ParseFiles("testdata/template.json")
	require.NoError(t, err)
	for _, r := range res {
		for range r.Unresolved() {
			t.Fatalf("%s: unexpected unresolved value", r.ID)
		}
	}
}

// One call reports at most problem.Max problems and counts the rest, in one
// file or across files.
func TestErrorCap(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	n := problem.Max + 50
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		b.WriteString(`{"name": "x"}`)
	}
	b.WriteString("]")
	_, err := Parse("in.json", strings.NewReader(b.String()))
	var es *problem.Errors
	require.ErrorAs(t, err, &es)
	require.Len(t, es.List, problem.Max)
	assert.Equal(t, n, es.Total)
	assert.Equal(t, `in.json:100:1: unrecognized ARM JSON: resource (name "x") has no "id"`, es.List[99].Error())
	assert.True(t, strings.HasSuffix(err.Error(), "\n... and 50 more problems"))

	// ParseFiles caps across files too.
	dir := t.TempDir()
	var paths []string
	for i := range 2 {
		p := filepath.Join(dir, fmt.Sprintf("f%d.json", i))
		require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
		paths = append(paths, p)
	}
	_, err = ParseFiles(paths...)
	require.ErrorAs(t, err, &es)
	require.Len(t, es.List, problem.Max)
	assert.Equal(t, 2*n, es.Total)
	assert.True(t, strings.HasSuffix(err.Error(), fmt.Sprintf("\n... and %d more problems", 2*n-problem.Max)))
}

// spaces is an endless reader of white space.
type spaces struct{}

func (spaces) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLimits(t *testing.T) {
	defer func(n int64, v int) { maxInputSize, maxValues = n, v }(maxInputSize, maxValues)
	maxInputSize, maxValues = 1000, 10

	_, err := Parse("big.json", io.MultiReader(strings.NewReader("[\n"), spaces{}))
	require.ErrorIs(t, err, ErrLimit)
	assert.Equal(t, "big.json:2:999: input too large: larger than the limit of 1000 bytes (0 MiB)", err.Error())

	_, err = Parse("many.json", strings.NewReader("[0,0,0,0,0,0,0,0,0,0,0]"))
	require.ErrorIs(t, err, ErrLimit)
	assert.Equal(t, "many.json:1:20: input too large: more than 10 JSON values", err.Error())

	_, err = Parse("r.json", failReader{})
	assert.EqualError(t, err, "r.json:1:1: disk on fire: while reading the input")

	_, err = Parse("nil.json", nil)
	assert.EqualError(t, err, "nil.json: unrecognized ARM JSON: nil reader")
}

func TestErrorFormat(t *testing.T) {
	e := &Error{Pos: Pos{File: "f.json", Line: 3, Col: 7}, Resource: vnetID, Field: "properties.subnets[0].addressPrefix", Detail: "not a prefix", Kind: ErrFormat}
	assert.Equal(t, "f.json:3:7: "+vnetID+": properties.subnets[0].addressPrefix: unrecognized ARM JSON: not a prefix", e.Error())
	assert.ErrorIs(t, e, ErrFormat)
	assert.Equal(t, "-", Pos{}.String())
	assert.Equal(t, "f.json", Pos{File: "f.json"}.String())
}
