package arm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// evalIn evaluates the template string e as properties.x of a virtual
// network of a template with the extra top-level members sections (such as
// `"parameters": {...}`). It returns the value as compact JSON,
// "unresolved: " and the reason, or "error: " and the parse errors.
func evalIn(t testing.TB, opts Options, sections, e string) string {
	t.Helper()
	q, err := json.Marshal(e)
	require.NoError(t, err)
	if sections != "" {
		sections += ","
	}
	in := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0", ` + sections + `
 "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {"x": ` + string(q) + `}}]}`
	res, err := ParseWith("t.json", strings.NewReader(in), opts)
	if err != nil {
		return "error: " + strings.Join(errorList(err), "\n")
	}
	require.Len(t, res, 1)
	v, _ := memberOf(res[0].Body.Get("properties"), "x")
	if why, ok := v.Unresolved(); ok {
		return "unresolved: " + why
	}
	if v == nil {
		return "absent"
	}
	return string(appendJSON(nil, v))
}

type exprCase struct {
	expr string
	want string // JSON; or a prefix "unresolved: ..." / "error: ..." matched as a substring after the prefix
}

func runExprCases(t *testing.T, opts Options, sections string, cases []exprCase) {
	t.Helper()
	for _, tc := range cases {
		got := evalIn(t, opts, sections, tc.expr)
		switch {
		case strings.HasPrefix(tc.want, "unresolved: "), strings.HasPrefix(tc.want, "error: "):
			prefix, sub, _ := strings.Cut(tc.want, ": ")
			if !strings.HasPrefix(got, prefix+": ") || !strings.Contains(got, sub) {
				t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
			}
		case got != tc.want:
			t.Errorf("%s = %s, want %s", tc.expr, got, tc.want)
		}
	}
}

// TestStringFunctions: "String functions for ARM templates"
// (template-functions-string.md); the expected values are those of the
// page's examples where it gives them.
func TestStringFunctions(t *testing.T) {
	runExprCases(t, Options{}, "", []exprCase{
		{"[concat('prefix', '-', 'abc')]", `"prefix-abc"`},
		{"[concat(createArray('1-1', '1-2', '1-3'), createArray('2-1', '2-2', '2-3'))]", `["1-1","1-2","1-3","2-1","2-2","2-3"]`},
		{"[concat('vm', 3, '-', true())]", `"vm3-True"`},
		{"[concat('a', createArray('b'))]", "unresolved: argument 2 must be a string like the first"},
		{"[concat(createArray('a'), 'b')]", "unresolved: argument 2 must be an array like the first"},
		{"[format('{0}, {1}. Formatted number: {2:N0}', 'Hello', 'User', 8175133)]", `"Hello, User. Formatted number: 8,175,133"`},
		{"[format('->{0}<-', 123)]", `"->123<-"`},
		{"[format('{0,4}|{1,-3}|{{x}}|{0:D3}|{2:X}', 7, 'b', 255)]", `"   7|b  |{x}|007|FF"`},
		{"[format('{1}', 'a')]", "unresolved: format item {1} has no argument"},
		{"[format('{0:C}', 1)]", `unresolved: format "C" of number 1 is not supported`},
		{"[format('{0', 1)]", "unresolved: unmatched '{'"},
		{"[toLower('One Two Three')]", `"one two three"`},
		{"[toUpper('One Two Three')]", `"ONE TWO THREE"`},
		{"[toLower(1)]", "unresolved: argument 1 must be a string, found number 1"},
		{"[replace('123-123-1234', '-', '')]", `"1231231234"`},
		{"[replace('123-123-1234', '1234', 'xxxx')]", `"123-123-xxxx"`},
		{"[replace('abc', '', 'x')]", "unresolved: the string to replace is empty"},
		{"[split('one,two,three', ',')]", `["one","two","three"]`},
		{"[split('one;two,three', createArray(',', ';'))]", `["one","two","three"]`},
		{"[split('a,,b', ',')]", `["a","","b"]`},
		{"[split('abc', '')]", `["abc"]`},
		{"[substring('one two three', 4, 3)]", `"two"`},
		{"[substring('asdfasf', 3)]", `"fasf"`},
		{"[substring('1234567890', 0, 11)]", "unresolved: substring: the index 0 and length 11 must refer to a location within the string of length 10"},
		{"[substring('abc', -1)]", "unresolved: the start index -1 is outside"},
		{"[trim('    one two three   ')]", `"one two three"`},
		{"[startsWith('abcdef', 'ab')]", "true"},
		{"[startsWith('abcdef', 'A')]", "true"},
		{"[startsWith('abcdef', 'e')]", "false"},
		{"[endsWith('abcdef', 'ef')]", "true"},
		{"[endsWith('abcdef', 'F')]", "true"},
		{"[endsWith('abcdef', 'e')]", "false"},
		{"[indexOf('test', 't')]", "0"},
		{"[lastIndexOf('test', 't')]", "3"},
		{"[indexOf('abcdef', 'CD')]", "2"},
		{"[lastIndexOf('abcdef', 'AB')]", "0"},
		{"[indexOf('abcdef', 'z')]", "-1"},
		{"[indexOf('💧abc', 'b')]", "3"},
		{"[padLeft('123', 10, '0')]", `"0000000123"`},
		{"[padLeft(13, 5)]", `"   13"`},
		{"[padLeft('abcdef', 3)]", `"abcdef"`},
		{"[padLeft('a', 3, 'xy')]", "unresolved: the padding must be one character"},
		{"[string(createObject('valueA', 10, 'valueB', 'Example Text'))]", `"{\"valueA\":10,\"valueB\":\"Example Text\"}"`},
		{"[string(createArray('a', 'b', 'c'))]", `"[\"a\",\"b\",\"c\"]"`},
		{"[string(5)]", `"5"`},
		{"[string(true())]", `"True"`},
		{"[string(false)]", `"False"`},
		{"[string('x')]", `"x"`},
		{"[length('One Two Three')]", "13"},
		{"[length('💧')]", "2"},
		{"[first('One Two Three')]", `"O"`},
		{"[last('One Two Three')]", `"e"`},
		{"[take('one two three', 2)]", `"on"`},
		{"[skip('one two three', 4)]", `"two three"`},
		{"[skip('abc', 10)]", `""`},
		{"[take('abc', -1)]", `""`},
		{"[join(createArray('abc', 'def', 'ghi'), '/')]", `"abc/def/ghi"`},
		{"[base64('one, two, three')]", `"b25lLCB0d28sIHRocmVl"`},
		{"[base64ToString('b25lLCB0d28sIHRocmVl')]", `"one, two, three"`},
		{"[base64ToJson(base64('{\"one\": \"a\", \"two\": \"b\"}'))]", `{"one":"a","two":"b"}`},
		{"[base64ToString('!!')]", "unresolved: invalid base64"},
		{"[uriComponent('UB*8h 0+=_)9h9n')]", `"UB%2A8h%200%2B%3D_%299h9n"`},
		{"[uriComponentToString('%20%25%20')]", `" % "`},
		{"[contains('OneTwoThree', 'e')]", "true"},
		{"[contains('OneTwoThree', 'z')]", "false"},
		{"[contains('OneTwoThree', 'one')]", "false"},
		{"[empty('')]", "true"},
		{"[empty('a')]", "false"},
	})
}

// TestUniqueStringGuid: uniqueString and guid give the values Azure's own
// evaluator gives in the Bicep repository's baselines
// (Azure/bicep src/Bicep.Core.Samples/Files/baselines_bicepparam/Expressions/parameters.json),
// and are 13 and 36 characters long as "String functions for ARM templates"
// says; order matters.
func TestUniqueStringGuid(t *testing.T) {
	runExprCases(t, Options{}, "", []exprCase{
		{"[uniqueString('asd', 'asdf', 'asdf')]", `"iizpqit7ih3cc"`},
		{"[guid('asdf')]", `"228d27cc-6fdb-5934-b7ac-1efccebade04"`},
		{"[uniqueString(1)]", "unresolved: argument 1 must be a string"},
		{"[guid()]", "error: guid takes at least 1 arguments, not 0"},
	})
	assert.NotEqual(t, uniqueString([]string{"hello", "world"}), uniqueString([]string{"world", "hello"}))
	assert.NotEqual(t, guid([]string{"hello", "world"}), guid([]string{"world", "hello"}))
	for _, in := range []string{"", "a", "abcd", "abcdefg", "abcdefgh", "abcdefghi", "abcdefghijklm", strings.Repeat("x", 1000), "💧"} {
		u := uniqueString([]string{in})
		assert.Len(t, u, 13, in)
		assert.Equal(t, strings.Trim(u, "abcdefghijklmnopqrstuvwxyz234567"), "", "base32 digits: %s", u)
		g := guid([]string{in})
		assert.Len(t, g, 36)
		assert.Equal(t, byte('5'), g[14], "version 5: %s", g)
		assert.Contains(t, "89ab", string(g[19]), "RFC 4122 variant: %s", g)
	}
	// The 8-byte blocks and the 1-7 byte tails take different paths of the
	// hash: the baseline above covers a block and a 5-byte tail; these
	// pin the others against regressions.
	for in, want := range map[string]string{
		"test":        "rbgf3xv4ufgzg",
		"hello-world": "a7wkljktk6wne",
		"abc":         "cgtzqvhu4i23s",
	} {
		assert.Equal(t, want, uniqueString([]string{in}), in)
	}
}

// TestArrayObjectFunctions: "Array functions" and "Object functions for ARM
// templates", with the pages' example values.
func TestArrayObjectFunctions(t *testing.T) {
	runExprCases(t, Options{}, "", []exprCase{
		{"[createArray(1, 'a', createObject('b', null()))]", `[1,"a",{"b":null}]`},
		{"[createArray()]", `[]`},
		{"[createObject('intProp', 1, 'stringProp', 'abc', 'boolProp', true())]", `{"intProp":1,"stringProp":"abc","boolProp":true}`},
		{"[createObject('a')]", "unresolved: createObject: takes pairs of keys and values"},
		{"[createObject('a', 1, 'A', 2)]", `unresolved: the key "A" is given twice`},
		{"[union(createObject('one', 'a', 'two', 'b', 'three', 'c1'), createObject('three', 'c2', 'four', 'd', 'five', 'e'))]", `{"one":"a","two":"b","three":"c2","four":"d","five":"e"}`},
		{"[union(createArray('one', 'two', 'three'), createArray('three', 'four'))]", `["one","two","three","four"]`},
		{"[union(createObject('property', createObject('one', 'a', 'two', 'b', 'three', 'c1'), 'nestedArray', createArray(1, 2)), createObject('property', createObject('three', 'c2', 'four', 'd', 'five', 'e'), 'nestedArray', createArray(3, 4)))]",
			`{"property":{"one":"a","two":"b","three":"c2","four":"d","five":"e"},"nestedArray":[3,4]}`},
		{"[union(createArray(createArray('one', 'two'), createArray('three')), createArray(createArray('three'), createArray('four', 'two')))]", `[["one","two"],["three"],["four","two"]]`},
		{"[union(createArray(1), createObject())]", "unresolved: argument 2 must be an array like the first"},
		{"[intersection(createObject('one', 'a', 'two', 'b', 'three', 'c'), createObject('one', 'a', 'two', 'z', 'three', 'c'))]", `{"one":"a","three":"c"}`},
		{"[intersection(createArray('one', 'two', 'three'), createArray('two', 'three'))]", `["two","three"]`},
		{"[length(createArray('one', 'two', 'three'))]", "3"},
		{"[length(createObject('a', 1, 'b', 2, 'c', 3, 'd', createObject('e', 1)))]", "4"},
		{"[length(1)]", "unresolved: argument must be a string, array or object"},
		{"[first(createArray('one', 'two', 'three'))]", `"one"`},
		{"[last(createArray('one', 'two', 'three'))]", `"three"`},
		{"[first(createArray())]", "null"},
		{"[contains(createObject('one', 'a', 'two', 'b'), 'ONE')]", "true"},
		{"[contains(createArray('one', 'two', 'three'), 'three')]", "true"},
		{"[contains(createArray('one', 'two', 'three'), 'four')]", "false"},
		{"[contains(createArray(createArray(1)), createArray(1))]", "true"},
		{"[range(1, 3)]", `[1,2,3]`},
		{"[range(-1, 0)]", `[]`},
		{"[range(0, 10001)]", "unresolved: the count 10001 must be from 0 to 10000"},
		{"[range(2147483647, 1)]", "unresolved: startIndex+count must be at most 2147483647"},
		{"[empty(createArray())]", "true"},
		{"[empty(createObject())]", "true"},
		{"[empty(null())]", "true"},
		{"[empty(createArray(1))]", "false"},
		{"[take(createArray('one', 'two', 'three'), 2)]", `["one","two"]`},
		{"[skip(createArray('one', 'two', 'three'), 2)]", `["three"]`},
		{"[items(createObject('item002', createObject('enabled', false()), 'item001', createObject('enabled', true())))]",
			`[{"key":"item001","value":{"enabled":true}},{"key":"item002","value":{"enabled":false}}]`},
		{"[items(createObject('foo', 'abc', 'bar', 123))]", `[{"key":"bar","value":123},{"key":"foo","value":"abc"}]`},
		{"[json('{\"a\": \"b\"}')]", `{"a":"b"}`},
		{"[json('null')]", "null"},
		{"[json('[1, 2, 3]')]", `[1,2,3]`},
		{"[json('\"test\"')]", `"test"`},
		{"[json('{')]", "unresolved: json: invalid JSON"},
		{"[array('a')]", `["a"]`},
		{"[array(createArray(1))]", `[1]`},
		{"[coalesce(null(), null(), 'x')]", `"x"`},
		{"[coalesce(null())]", "null"},
		{"[flatten(createArray(createArray('abc'), createArray('def')))]", `["abc","def"]`},
		{"[objectKeys(createObject('a', 1, 'b', 2))]", `["a","b"]`},
		{"[shallowMerge(createArray(createObject('a', 1, 'b', 2), createObject('b', 3)))]", `{"a":1,"b":3}`},
		{"[tryGet(createObject('a', createArray(1, 2)), 'a', 1)]", "2"},
		{"[tryGet(createObject('a', 1), 'b')]", "null"},
		{"[createObject('a', createArray(1, 2)).a[1]]", "2"},
		{"[createObject('a', 1)['A']]", "1"},
		{"[createObject('a', 1).b]", `unresolved: the object has no property "b" (it has "a")`},
		{"[createArray(1)[1]]", "unresolved: index 1 is out of range: the array has 1 elements"},
		{"[createArray(1).a]", `unresolved: cannot read property "a" of array`},
		{"[null().a]", `unresolved: cannot read property "a" of null`},
		{"[map(range(0, 3), lambda('i', format('Hi {0}!', lambdaVariables('i'))))]", `["Hi 0!","Hi 1!","Hi 2!"]`},
		{"[filter(createArray(1, 2, 3), lambda('i', greater(lambdaVariables('i'), 1)))]", `[2,3]`},
		{"[reduce(createArray('a', 'b', 'c'), '', lambda('acc', 'x', format('{0}-{1}', lambdaVariables('acc'), lambdaVariables('x'))))]", `"-a-b-c"`},
		{"[sort(createArray('c', 'd', 'a'), lambda('a', 'b', less(lambdaVariables('a'), lambdaVariables('b'))))]", `["a","c","d"]`},
		{"[toObject(createArray('a', 'b'), lambda('x', lambdaVariables('x')), lambda('x', toUpper(lambdaVariables('x'))))]", `{"a":"A","b":"B"}`},
		{"[map(createArray(1), 'x')]", "error: argument 2 of map must be a lambda"},
		{"[lambdaVariables('x')]", "error: lambdaVariables('x') is outside a lambda"},
	})
}

// TestLogicalComparisonNumeric: "Logical", "Comparison" and "Numeric
// functions for ARM templates".
func TestLogicalComparisonNumeric(t *testing.T) {
	runExprCases(t, Options{}, "", []exprCase{
		{"[if(equals(1, 1), 'yes', 'no')]", `"yes"`},
		{"[if(false(), 'yes', 'no')]", `"no"`},
		{"[if(true(), 'a', utcNow())]", `"a"`}, // only the chosen branch is evaluated
		{"[if('x', 1, 2)]", "unresolved: the condition must be a bool"},
		{"[if(utcNow(), 1, 2)]", "unresolved: utcNow()"},
		{"[and(true(), true(), false())]", "false"},
		{"[and(true(), true())]", "true"},
		{"[or(false(), false())]", "false"},
		{"[or(false(), true())]", "true"},
		{"[and(false(), utcNow())]", "false"}, // decided without the unknown
		{"[or(utcNow(), true())]", "true"},
		{"[and(true(), utcNow())]", "unresolved: utcNow()"},
		{"[and(1, true())]", "unresolved: argument 1 must be a bool"},
		{"[not(true())]", "false"},
		{"[not('a')]", "unresolved: argument 1 must be a bool"},
		{"[bool('true')]", "true"},
		{"[bool('False')]", "false"},
		{"[bool(0)]", "false"},
		{"[bool(1)]", "true"},
		{"[bool('x')]", `unresolved: cannot convert string "x" to a bool`},
		{"[true]", "true"},
		{"[equals(createArray(1, 2), createArray(1, 2))]", "true"},
		{"[equals(createObject('a', 1, 'b', 2), createObject('b', 2, 'a', 1))]", "true"},
		{"[equals('a', 'A')]", "false"},
		{"[equals(1, '1')]", "false"},
		{"[less(1, 2)]", "true"},
		{"[less('A', 'a')]", "true"},
		{"[greater('a', 'A')]", "true"},
		{"[lessOrEquals(2, 2)]", "true"},
		{"[greaterOrEquals(1, 2)]", "false"},
		{"[less(1, 'a')]", "unresolved: can compare two integers or two strings"},
		{"[add(5, 3)]", "8"},
		{"[sub(7, 3)]", "4"},
		{"[mul(5, 3)]", "15"},
		{"[div(8, 3)]", "2"},
		{"[div(-8, 3)]", "-2"},
		{"[mod(7, 3)]", "1"},
		{"[mod(-7, 3)]", "-1"},
		{"[div(1, 0)]", "unresolved: div: division by zero"},
		{"[mod(1, 0)]", "unresolved: mod: division by zero"},
		{"[add(9223372036854775807, 1)]", "unresolved: overflow a 64-bit integer"},
		{"[mul(4611686018427387904, 2)]", "unresolved: overflow a 64-bit integer"},
		{"[sub(-9223372036854775807, 2)]", "unresolved: overflow a 64-bit integer"},
		{"[add('1', 2)]", "unresolved: add: argument 1 must be an integer"},
		{"[int('4')]", "4"},
		{"[int(' 7 ')]", "7"},
		{"[int('4.5')]", `unresolved: cannot convert string "4.5" to an integer`},
		{"[min(createArray(0, 3, 2, 5, 4))]", "0"},
		{"[min(0, 3, 2, 5, 4)]", "0"},
		{"[max(createArray(0, 3, 2, 5, 4))]", "5"},
		{"[max(0, 3, 2, 5, 4)]", "5"},
		{"[max(createArray())]", "unresolved: the array is empty"},
		{"[-3]", "-3"},
	})
}

// TestCIDRFunctions: "CIDR functions for ARM templates", with the page's
// example values.
func TestCIDRFunctions(t *testing.T) {
	runExprCases(t, Options{}, "", []exprCase{
		{"[parseCidr('10.144.0.0/20')]", `{"network":"10.144.0.0","netmask":"255.255.240.0","broadcast":"10.144.15.255","firstUsable":"10.144.0.1","lastUsable":"10.144.15.254","cidr":20}`},
		{"[parseCidr('fdad:3236:5555::/48')]", `{"network":"fdad:3236:5555::","netmask":"ffff:ffff:ffff::","firstUsable":"fdad:3236:5555::","lastUsable":"fdad:3236:5555:ffff:ffff:ffff:ffff:ffff","cidr":48}`},
		{"[parseCidr('10.0.0.7/31')]", `{"network":"10.0.0.6","netmask":"255.255.255.254","broadcast":"10.0.0.7","firstUsable":"10.0.0.6","lastUsable":"10.0.0.7","cidr":31}`},
		{"[parseCidr('10.0.0.0')]", `unresolved: "10.0.0.0" is not a CIDR range`},
		{"[cidrSubnet('10.144.0.0/20', 24, 0)]", `"10.144.0.0/24"`},
		{"[cidrSubnet('10.144.0.0/20', 24, 4)]", `"10.144.4.0/24"`},
		{"[cidrSubnet('10.144.0.0/20', 24, 15)]", `"10.144.15.0/24"`},
		{"[cidrSubnet('10.144.0.0/20', 24, 16)]", "unresolved: the subnet index 16 is outside the 16 subnets of /24"},
		{"[cidrSubnet('10.144.0.0/20', 19, 0)]", "unresolved: the new prefix length 19 must be from 20 to 32"},
		{"[cidrSubnet('fdad:3236:5555::/48', 52, 1)]", `"fdad:3236:5555:1000::/52"`},
		{"[cidrSubnet('fdad:3236:5555::/48', 52, 4)]", `"fdad:3236:5555:4000::/52"`},
		{"[cidrSubnet('10.0.0.0/8', 32, 16777215)]", `"10.255.255.255/32"`},
		{"[cidrSubnet('::/0', 128, 1)]", `"::1/128"`},
		{"[cidrSubnet('::/0', 64, 9223372036854775807)]", `"7fff:ffff:ffff:ffff::/64"`},
		{"[cidrHost('10.144.3.0/24', 0)]", `"10.144.3.1"`},
		{"[cidrHost('10.144.3.0/24', 4)]", `"10.144.3.5"`},
		{"[cidrHost('10.144.3.0/24', 253)]", `"10.144.3.254"`},
		{"[cidrHost('10.144.3.0/24', 254)]", "unresolved: the host index 254 is outside the usable addresses of 10.144.3.0/24"},
		{"[cidrHost('10.144.3.0/24', -1)]", "unresolved: the host index -1 is negative"},
		{"[cidrHost('fdad:3236:5555:3000::/52', 0)]", `"fdad:3236:5555:3000::1"`},
		{"[cidrHost('fdad:3236:5555:3000::/52', 4)]", `"fdad:3236:5555:3000::5"`},
	})
}

// TestResourceFunctions: resourceId and its variants, subscription(),
// resourceGroup(), deployment() ("Resource functions", "Scope functions"
// and "Deployment functions for ARM templates").
func TestResourceFunctions(t *testing.T) {
	const def = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template"
	runExprCases(t, Options{}, "", []exprCase{
		{"[resourceId('Microsoft.Network/virtualNetworks', 'v1')]", `"` + def + `/providers/Microsoft.Network/virtualNetworks/v1"`},
		{"[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v1', 's1')]", `"` + def + `/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1"`},
		{"[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v1/s1')]", `"` + def + `/providers/Microsoft.Network/virtualNetworks/v1/subnets/s1"`},
		{"[resourceId('rg2', 'Microsoft.Network/virtualNetworks', 'v1')]", `"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v1"`},
		{"[resourceId('s2', 'rg2', 'Microsoft.Network/virtualNetworks', 'v1')]", `"/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v1"`},
		{"[resourceId('Microsoft.Network/virtualNetworks/subnets', 'v1')]", `unresolved: resource type "Microsoft.Network/virtualNetworks/subnets" needs 2 names, given 1`},
		{"[resourceId('a', 'b', 'c', 'Microsoft.Network/virtualNetworks', 'v')]", "unresolved: no resource type (namespace/type) among the first three arguments"},
		{"[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')]", `"/subscriptions/00000000-0000-0000-0000-000000000000/providers/Microsoft.Authorization/roleDefinitions/r1"`},
		{"[subscriptionResourceId('s2', 'Microsoft.Authorization/roleDefinitions', 'r1')]", `"/subscriptions/s2/providers/Microsoft.Authorization/roleDefinitions/r1"`},
		{"[tenantResourceId('Microsoft.Authorization/policyDefinitions', 'p1')]", `"/providers/Microsoft.Authorization/policyDefinitions/p1"`},
		{"[extensionResourceId(resourceId('Microsoft.Network/virtualNetworks', 'v1'), 'Microsoft.Authorization/locks', 'l1')]", `"` + def + `/providers/Microsoft.Network/virtualNetworks/v1/providers/Microsoft.Authorization/locks/l1"`},
		{"[subscription().subscriptionId]", `"00000000-0000-0000-0000-000000000000"`},
		{"[subscription().id]", `"/subscriptions/00000000-0000-0000-0000-000000000000"`},
		{"[subscription().tenantId]", "unresolved: the subscription's tenant is not known offline"},
		{"[resourceGroup().id]", `"` + def + `"`},
		{"[resourceGroup().name]", `"template"`},
		{"[resourceGroup().location]", "unresolved: the resource group's location is not known offline"},
		{"[deployment().name]", `"t"`},
		{"[deployment().properties.template.contentVersion]", `"1.0.0.0"`},
		{"[listKeys(resourceId('Microsoft.Storage/storageAccounts', 's'), '2023-01-01').keys[0].value]", "unresolved: listKeys() reads keys, secrets or state of a deployed resource"},
		{"[utcNow()]", "unresolved: utcNow() changes with every deployment: it cannot be evaluated offline (at t.json:2:"},
		{"[newGuid()]", "unresolved: newGuid() changes with every deployment"},
		{"[environment().suffixes.storage]", "unresolved: environment() depends on the Azure cloud"},
		{"[dateTimeAdd('2020-04-07 14:53:14Z', 'P3Y')]", "unresolved: dateTimeAdd() is not evaluated offline by egress"},
		{"[reference('/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/publicIPAddresses/p').ipAddress]", "unresolved: /subscriptions/s/resourceGroups/r/providers/Microsoft.Network/publicIPAddresses/p is not in the template: its runtime state cannot be known offline"},
		{"[reference('nope')]", `unresolved: resource "nope" is not in the template`},
	})
	opts := Options{SubscriptionID: "sub1", ResourceGroup: "rg-net", Location: "westeurope", DeploymentName: "main"}
	runExprCases(t, opts, "", []exprCase{
		{"[resourceId('Microsoft.Network/virtualNetworks', 'v1')]", `"/subscriptions/sub1/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/v1"`},
		{"[resourceGroup().location]", `"westeurope"`},
		{"[resourceGroup()]", `{"id":"/subscriptions/sub1/resourceGroups/rg-net","name":"rg-net","type":"Microsoft.Resources/resourceGroups","location":"westeurope","properties":{"provisioningState":"Succeeded"}}`},
		{"[deployment().name]", `"main"`},
		{"[uniqueString(resourceGroup().id)]", `"` + uniqueString([]string{"/subscriptions/sub1/resourceGroups/rg-net"}) + `"`},
	})
}

// TestTemplateFunctionErrors: invalid expressions are errors of the parse,
// with the position of the problem inside the expression.
func TestTemplateFunctionErrors(t *testing.T) {
	const vnet = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/Microsoft.Network/virtualNetworks/v: properties.x: unresolved template expression: "
	for _, tc := range []struct{ expr, want string }{
		{"[concat('a',]", "t.json:2:108: " + vnet + `invalid template expression "[concat('a',]": expected a value, found end of expression`},
		{"[concat('a' 'b')]", "t.json:2:108: " + vnet + `invalid template expression "[concat('a' 'b')]": expected ')' or ',' in the arguments of concat, found "'"`},
		{"[concat]", "t.json:2:103: " + vnet + `invalid template expression "[concat]": expected '(' after the function name "concat", found end of expression`},
		{"[1.5]", "t.json:2:97: " + vnet + `invalid template expression "[1.5]": invalid number "1.5": template expressions have integers only`},
		{"['abc]", "t.json:2:97: " + vnet + `invalid template expression "['abc]": unterminated string literal`},
		{"[a.]", "t.json:2:98: " + vnet + `invalid template expression "[a.]": expected '(' after the function name "a", found "."`},
		{"[]", "t.json:2:97: " + vnet + `invalid template expression "[]": expected a value, found end of expression`},
		{"[foo()]", "t.json:2:97: " + vnet + `unknown template function "foo"`},
		{"[toLower()]", "t.json:2:97: " + vnet + `toLower takes 1 arguments, not 0`},
		{"[substring('a', 1, 2, 3)]", "t.json:2:97: " + vnet + `substring takes 1 to 3 arguments, not 4`},
		{"[copyIndex()]", "t.json:2:97: " + vnet + `copyIndex() is outside a resource, variable or output copy loop (property loops need their name)`},
		{"[copyIndex('loop')]", "t.json:2:97: " + vnet + `copyIndex('loop') is outside a copy loop of that name`},
		{"[variables('v')]", "t.json:2:97: " + vnet + `variable "v" is not declared (the template declares none)`},
		{"[parameters('p')]", "t.json:2:97: " + vnet + `parameter "p" is not declared (the template declares none)`},
		{"[contoso.f()]", "t.json:2:97: " + vnet + `unknown user-defined function "contoso.f"`},
		{"[" + strings.Repeat("concat(", 300) + strings.Repeat(")", 300) + "]", "t.json:2:1896: " + vnet + `invalid template expression "` + truncate("["+strings.Repeat("concat(", 300)+strings.Repeat(")", 300)+"]", 200) + `": expression nests deeper than 256 levels`},
		{"[concat('" + strings.Repeat("x", 24576) + "')]", "t.json:2:96: " + vnet + `invalid template expression "` + truncate("[concat('"+strings.Repeat("x", 24576)+"')]", 200) + `": expression of 24588 bytes is longer than Azure's limit of 24576 characters`},
	} {
		got := evalIn(t, Options{}, "", tc.expr)
		assert.Equal(t, "error: "+tc.want, got, tc.expr[:min(len(tc.expr), 40)])
	}
}
