package arm

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const schema = `"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0"`

const tmplScope = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template/providers/"

// parseT parses a template text with opts.
func parseT(t testing.TB, opts Options, in string) ([]Resource, error) {
	t.Helper()
	return ParseWith("t.json", strings.NewReader(in), opts)
}

// ids returns "type name" of each resource, IDs relative to the placeholder
// scope.
func ids(rs []Resource) []string {
	var out []string
	for _, r := range rs {
		out = append(out, strings.TrimPrefix(r.ID, tmplScope))
	}
	return out
}

// prop returns a property of r's body as JSON ("unresolved: ..." if so).
func prop(r Resource, path ...string) string {
	v := r.Body
	for _, p := range path {
		if n, err := fmt.Sscanf(p, "%d", new(int)); err == nil && n == 1 {
			var i int
			fmt.Sscanf(p, "%d", &i)
			v = v.Index(i)
			continue
		}
		if m, ok := memberOf(v, p); ok {
			v = m
		} else {
			v = v.Get(p)
		}
	}
	if why, ok := v.Unresolved(); ok {
		return "unresolved: " + why
	}
	if v == nil {
		return "absent"
	}
	return string(appendJSON(nil, v))
}

// TestCopyLoops: resource, property and variable iteration ("Resource
// iteration", "Property iteration", "Variable iteration in ARM
// templates"), copyIndex with a loop name and an offset.
func TestCopyLoops(t *testing.T) {
	in := `{` + schema + `,
 "parameters": {"spokes": {"type": "array", "defaultValue": ["a", "b", "c"]}},
 "variables": {
   "copy": [{"name": "prefixes", "count": "[length(parameters('spokes'))]", "input": "[format('10.{0}.0.0/16', copyIndex('prefixes', 1))]"}],
   "disks": {"copy": [{"name": "list", "count": 2, "input": {"lun": "[copyIndex('list')]"}}]}
 },
 "resources": [
  {"copy": {"name": "vnets", "count": "[length(parameters('spokes'))]", "mode": "serial", "batchSize": 1},
   "type": "Microsoft.Network/virtualNetworks", "name": "[concat('vnet-', parameters('spokes')[copyIndex()])]",
   "properties": {
     "addressSpace": {"addressPrefixes": ["[variables('prefixes')[copyIndex()]]"]},
     "copy": [{"name": "subnets", "count": 2, "input": {
       "name": "[format('snet-{0}-{1}', copyIndex(), copyIndex('subnets', 10))]",
       "properties": {"addressPrefix": "[cidrSubnet(variables('prefixes')[copyIndex('vnets')], 24, copyIndex('subnets'))]"}}}],
     "disks": "[variables('disks').list]"}},
  {"copy": {"name": "none", "count": 0}, "type": "Microsoft.Network/routeTables", "name": "[concat('rt', copyIndex())]"}
 ]}`
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/virtualNetworks/vnet-a", "Microsoft.Network/virtualNetworks/vnet-b", "Microsoft.Network/virtualNetworks/vnet-c"}, ids(res))
	assert.Equal(t, `["10.3.0.0/16"]`, prop(res[2], "properties", "addressSpace", "addressPrefixes"))
	assert.Equal(t, `[{"name":"snet-1-10","properties":{"addressPrefix":"10.2.0.0/24"}},{"name":"snet-1-11","properties":{"addressPrefix":"10.2.1.0/24"}}]`,
		prop(res[1], "properties", "subnets"))
	assert.Equal(t, `[{"lun":0},{"lun":1}]`, prop(res[0], "properties", "disks"))
	// The property copy becomes the property in place of "copy".
	assert.Equal(t, []string{"addressSpace", "subnets", "disks"}, res[0].Body.Get("properties").Keys())
	// Every copy points at the one declaration.
	assert.Equal(t, res[0].Pos, res[2].Pos)

	// A count that depends on an unknown value fails a needed resource and
	// leaves out one that is not needed.
	in = `{` + schema + `, "parameters": {"n": {"type": "int"}}, "resources": [
  {"copy": {"name": "c", "count": "[parameters('n')]"}, "type": "Microsoft.Compute/virtualMachines", "name": "[concat('vm', copyIndex())]"},
  {"type": "Microsoft.Network/routeTables", "name": "rt"}]}`
	_, err = parseT(t, Options{}, in)
	require.ErrorIs(t, err, ErrExpression)
	assert.Equal(t, `t.json:2:35: copy.count: unresolved template expression: template resource resources[0] (Microsoft.Compute/virtualMachines): its copy.count cannot be evaluated offline: parameter "n" has no value: give one in a parameters file or as n=VALUE (declared at t.json:1:145)`, err.Error())
	res, err = parseT(t, Options{Needed: func(typ string) bool { return strings.HasPrefix(typ, "Microsoft.Network/") }}, in)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/routeTables/rt"}, ids(res))

	for _, tc := range []struct{ count, want string }{
		{`-1`, "copy count -1 is negative"},
		{`"[string(1)]"`, `copy count must be an integer, found string "1"`},
		{`801`, "copy count 801 is over the limit of 800 iterations"},
	} {
		_, err := parseT(t, Options{}, `{`+schema+`, "resources": [{"copy": {"name": "c", "count": `+tc.count+`}, "type": "Microsoft.Network/routeTables", "name": "[concat('rt', copyIndex())]"}]}`)
		require.Error(t, err, tc.count)
		assert.Contains(t, err.Error(), tc.want)
	}
	// The limit is an option.
	_, err = parseT(t, Options{Limits: Limits{MaxCopy: 3}}, `{`+schema+`, "resources": [{"copy": {"name": "c", "count": 4}, "type": "Microsoft.Network/routeTables", "name": "[concat('rt', copyIndex())]"}]}`)
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "copy count 4 is over the limit of 3 iterations")
}

// TestCondition: "Conditional deployment in ARM templates": a resource whose
// condition is false is not deployed; conditions may vary by copy.
func TestCondition(t *testing.T) {
	in := `{` + schema + `, "parameters": {"deployRt": {"type": "bool", "defaultValue": false}},
 "resources": [
  {"condition": "[parameters('deployRt')]", "type": "Microsoft.Network/routeTables", "name": "rt"},
  {"condition": true, "type": "Microsoft.Network/routeTables", "name": "rt2"},
  {"copy": {"name": "z", "count": 4}, "condition": "[equals(mod(copyIndex(), 2), 0)]", "type": "Microsoft.Network/routeTables", "name": "[format('rt-{0}', copyIndex())]"}
 ]}`
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/routeTables/rt2", "Microsoft.Network/routeTables/rt-0", "Microsoft.Network/routeTables/rt-2"}, ids(res))
	ps, err := NewParameters(nil, "deployRt=true")
	require.NoError(t, err)
	res, err = parseT(t, Options{Parameters: ps}, in)
	require.NoError(t, err)
	assert.Len(t, res, 4)
	require.NoError(t, ps.Unused())

	_, err = parseT(t, Options{}, `{`+schema+`, "resources": [{"condition": "yes", "type": "Microsoft.Network/routeTables", "name": "rt"}]}`)
	require.ErrorIs(t, err, ErrExpression)
	assert.Contains(t, err.Error(), `its condition cannot be evaluated offline: condition must be true or false, found string "yes"`)
}

// nested is a template with a nested deployment into resource group rg2,
// with the given evaluation scope.
func nested(scope string) string {
	params := ""
	if scope == "inner" {
		params = `"parameters": {"prefix": {"value": "[variables('prefix')]"}, "n": {"value": 2}},`
	}
	return `{` + schema + `,
 "variables": {"prefix": "10.9.0.0/16", "which": "outer"},
 "resources": [{"type": "Microsoft.Resources/deployments", "apiVersion": "2022-09-01", "name": "inner",
   "resourceGroup": "rg2",
   "properties": {"expressionEvaluationOptions": {"scope": "` + scope + `"}, "mode": "Incremental", ` + params + `
     "template": {` + schema + `,
       "parameters": {"prefix": {"type": "string"}, "n": {"type": "int", "defaultValue": 1}},
       "variables": {"which": "inner"},
       "resources": [{"type": "Microsoft.Network/virtualNetworks", "name": "[concat('vnet-', variables('which'))]",
         "properties": {"addressSpace": {"addressPrefixes": ["[if(equals(variables('which'), 'inner'), parameters('prefix'), variables('prefix'))]"]},
           "rg": "[resourceGroup().name]", "id": "[resourceId('Microsoft.Network/virtualNetworks', 'x')]", "dep": "[deployment().name]"}}],
       "outputs": {"rg": {"type": "string", "value": "[resourceGroup().name]"}}}}},
  {"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {"fromNested": "[reference('inner').outputs.rg.value]"}}]}`
}

// TestNestedDeployments: "Using linked and nested templates": with the inner
// scope a nested template has its own parameters, variables and resource
// group functions; with outer (the default) it uses the parent's. Its
// resources are deployed to the deployment's resourceGroup either way.
func TestNestedDeployments(t *testing.T) {
	res, err := parseT(t, Options{}, nested("inner"))
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/vnet-inner", res[0].ID)
	assert.Equal(t, "rg2", res[0].ResourceGroup)
	assert.Equal(t, `["10.9.0.0/16"]`, prop(res[0], "properties", "addressSpace", "addressPrefixes"))
	assert.Equal(t, `"rg2"`, prop(res[0], "properties", "rg"))
	assert.Equal(t, `"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/x"`, prop(res[0], "properties", "id"))
	assert.Equal(t, `"inner"`, prop(res[0], "properties", "dep"))
	assert.Equal(t, `"rg2"`, prop(res[1], "properties", "fromNested"))

	res, err = parseT(t, Options{}, nested("outer"))
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/vnet-outer", res[0].ID)
	assert.Equal(t, `["10.9.0.0/16"]`, prop(res[0], "properties", "addressSpace", "addressPrefixes"))
	assert.Equal(t, `"template"`, prop(res[0], "properties", "rg"), "outer scope: the parent's resource group")
	assert.Equal(t, `"`+tmplScope+`Microsoft.Network/virtualNetworks/x"`, prop(res[0], "properties", "id"))
	assert.Equal(t, `"t"`, prop(res[0], "properties", "dep"))

	// Errors: parameters with the outer scope, an undeclared parameter, a
	// linked template, nesting too deep.
	_, err = parseT(t, Options{}, strings.Replace(nested("outer"), `"mode": "Incremental", `, `"mode": "Incremental", "parameters": {"prefix": {"value": "x"}}, `, 1))
	require.ErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), "uses the parent's parameters; set expressionEvaluationOptions.scope to inner")
	_, err = parseT(t, Options{}, strings.Replace(nested("inner"), `"n": {"value": 2}`, `"m": {"value": 2}`, 1))
	require.ErrorIs(t, err, ErrParameter)
	assert.Contains(t, err.Error(), `properties.parameters.m: invalid template parameter: the nested template declares no parameter "m" (it declares "prefix", "n")`)
	_, err = parseT(t, Options{}, `{`+schema+`, "resources": [{"type": "Microsoft.Resources/deployments", "name": "l", "properties": {"mode": "Incremental", "templateLink": {"uri": "https://example.com/t.json"}}}]}`)
	require.ErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), "a linked template cannot be read offline")

	deep := `{` + schema + `, "resources": [{"type": "Microsoft.Network/routeTables", "name": "leaf"}]}`
	for i := range 5 {
		deep = fmt.Sprintf(`{%s, "resources": [{"type": "Microsoft.Resources/deployments", "name": "d%d", "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "template": %s}}]}`, schema, i, deep)
	}
	res, err = parseT(t, Options{}, deep)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/routeTables/leaf"}, ids(res))
	_, err = parseT(t, Options{Limits: Limits{MaxNesting: 4}}, deep)
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "nested deployments nest deeper than 4 levels (Limits.MaxNesting)")

	// A nested deployment into another subscription.
	in := `{` + schema + `, "resources": [{"type": "Microsoft.Resources/deployments", "name": "x", "subscriptionId": "sub2", "resourceGroup": "rg3",
  "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "template": {` + schema + `, "resources": [
   {"type": "Microsoft.Network/routeTables", "name": "rt", "location": "[resourceGroup().location]", "properties": {"sub": "[subscription().subscriptionId]"}}]}}}]}`
	res, err = parseT(t, Options{Location: "westeurope"}, in)
	require.NoError(t, err)
	assert.Equal(t, "/subscriptions/sub2/resourceGroups/rg3/providers/Microsoft.Network/routeTables/rt", res[0].ID)
	assert.Equal(t, `"sub2"`, prop(res[0], "properties", "sub"))
	assert.Equal(t, `unresolved: the location of resource group "rg3" is not known offline (at t.json:3:74)`, prop(res[0], "location"),
		"Options.Location is the location of the deployment's own resource group only")
}

// TestLanguageVersion2: "Resource declaration in ARM templates"
// (languageVersion 2.0): resources keyed by symbolic name, existing
// resources, symbolic dependsOn, reference() by symbolic name and index.
func TestLanguageVersion2(t *testing.T) {
	in := `{` + schema + `, "languageVersion": "2.0",
 "resources": {
  "hub": {"existing": true, "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01", "name": "vnet-hub"},
  "rts": {"copy": {"name": "rts", "count": 2}, "type": "Microsoft.Network/routeTables", "name": "[format('rt{0}', copyIndex())]",
     "properties": {"disableBgpRoutePropagation": "[equals(copyIndex(), 1)]"}},
  "vnet": {"type": "Microsoft.Network/virtualNetworks", "name": "v", "dependsOn": ["rts", "hub"],
     "properties": {"second": "[reference('rts[1]').disableBgpRoutePropagation]", "hubId": "[resourceInfo('hub').id]",
       "rtName": "[resourceInfo('rts[0]').name]", "hubSpace": "[reference('hub').addressSpace]", "all": "[reference('rts')]"}}
 }}`
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/routeTables/rt0", "Microsoft.Network/routeTables/rt1", "Microsoft.Network/virtualNetworks/v"}, ids(res))
	v := res[2]
	assert.Equal(t, "true", prop(v, "properties", "second"))
	assert.Equal(t, `"`+tmplScope+`Microsoft.Network/virtualNetworks/vnet-hub"`, prop(v, "properties", "hubId"))
	assert.Equal(t, `"rt0"`, prop(v, "properties", "rtName"))
	assert.Equal(t, `unresolved: "hub" is an existing resource, deployed outside the template: its runtime state cannot be known offline (at t.json:8:65)`, prop(v, "properties", "hubSpace"))
	assert.Contains(t, prop(v, "properties", "all"), `"rts" is a copy loop: name one of its copies, such as 'rts[0]'`)
}

// TestReference: reference() of a resource in the template returns its
// evaluated properties (or, with 'Full', its declaration); what the template
// does not declare is runtime state and stays unresolved, as does a resource
// outside the template.
func TestReference(t *testing.T) {
	in := `{` + schema + `, "resources": [
  {"type": "Microsoft.Network/publicIPAddresses", "name": "pip", "location": "westeurope", "sku": {"name": "Standard"},
   "properties": {"publicIPAllocationMethod": "Static", "dnsSettings": {"domainNameLabel": "[concat('app-', 'x')]"}}},
  {"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {
    "method": "[reference('pip').publicIPAllocationMethod]",
    "byId": "[reference(resourceId('Microsoft.Network/publicIPAddresses', 'pip'), '2024-05-01').dnsSettings.domainNameLabel]",
    "sku": "[reference('pip', '2024-05-01', 'Full').sku.name]",
    "ip": "[reference('pip').ipAddress]",
    "fqdn": "[reference('pip').dnsSettings.fqdn]",
    "self": "[reference('rt').method]",
    "other": "[reference('/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v').addressSpace]"}}]}`
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	rt := res[1]
	assert.Equal(t, `"Static"`, prop(rt, "properties", "method"))
	assert.Equal(t, `"app-x"`, prop(rt, "properties", "byId"))
	assert.Equal(t, `"Standard"`, prop(rt, "properties", "sku"))
	assert.Equal(t, `unresolved: reference('pip'): property "ipAddress" is runtime state that the template does not declare`, prop(rt, "properties", "ip"))
	assert.Equal(t, `unresolved: reference('pip').dnsSettings: property "fqdn" is runtime state that the template does not declare`, prop(rt, "properties", "fqdn"))
	assert.Contains(t, prop(rt, "properties", "self"), "circular reference: the resource's declaration refers to itself")
	assert.Contains(t, prop(rt, "properties", "other"), "resource /subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/v is not in the template: its runtime state cannot be known offline")
	// The unresolved values are listed, with their fields.
	var fields []string
	for _, e := range rt.Unresolved() {
		fields = append(fields, e.Field)
	}
	assert.Equal(t, []string{"properties.ip", "properties.fqdn", "properties.self", "properties.other"}, fields)
}

// TestParameters: values from defaults, parameters files (applied to the
// templates that declare all their parameters) and name=value overrides
// typed by the declared type; allowedValues and ranges are checked; Key Vault
// references stay unresolved.
func TestParameters(t *testing.T) {
	in := `{` + schema + `, "parameters": {
  "name": {"type": "string", "defaultValue": "rt-default", "allowedValues": ["rt-default", "rt-a", "rt-b", "rt-c"]},
  "count": {"type": "int", "defaultValue": 1, "minValue": 1, "maxValue": 3},
  "flag": {"type": "bool", "defaultValue": false},
  "tags": {"type": "object", "defaultValue": {}},
  "list": {"type": "array", "defaultValue": []},
  "secret": {"type": "securestring"},
  "opt": {"type": "string", "nullable": true}},
 "resources": [{"copy": {"name": "c", "count": "[parameters('count')]"}, "type": "Microsoft.Network/routeTables", "name": "[concat(parameters('name'), copyIndex())]",
   "properties": {"flag": "[parameters('flag')]", "tags": "[parameters('tags')]", "list": "[parameters('list')]", "secret": "[parameters('secret')]", "opt": "[parameters('opt')]", "lit": "[parameters('name')]"}}]}`
	file := func(text string) *ParameterFile {
		f, err := ParseParameterFile("p.json", strings.NewReader(text))
		require.NoError(t, err)
		return f
	}
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/routeTables/rt-default0"}, ids(res))
	assert.Equal(t, `null`, prop(res[0], "properties", "opt"))
	assert.Contains(t, prop(res[0], "properties", "secret"), `parameter "secret" has no value`)

	f := file(`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#", "contentVersion": "1.0.0.0",
 "parameters": {"name": {"value": "rt-a"}, "count": {"value": 2}, "tags": {"value": {"a": "[not an expression]"}},
  "secret": {"reference": {"keyVault": {"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.KeyVault/vaults/kv"}, "secretName": "pw"}}}}`)
	ps, err := NewParameters([]*ParameterFile{f, file(`{"count": {"value": 3}}`)}, "flag=TRUE", `list=["x", 1]`, "name=rt-b")
	require.NoError(t, err)
	res, err = parseT(t, Options{Parameters: ps}, in)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/routeTables/rt-b0", "Microsoft.Network/routeTables/rt-b1", "Microsoft.Network/routeTables/rt-b2"}, ids(res), "later files and overrides win")
	r := res[0]
	assert.Equal(t, "true", prop(r, "properties", "flag"))
	assert.Equal(t, `{"a":"[not an expression]"}`, prop(r, "properties", "tags"), "values of parameters files are literal")
	assert.Equal(t, "unresolved", r.Body.Get("properties").Get("secret").Kind().String())
	assert.Equal(t, `["x",1]`, prop(r, "properties", "list"))
	assert.Equal(t, `unresolved: parameter "secret" is a Key Vault reference (secret "pw"), which cannot be read offline`, prop(r, "properties", "secret"))
	// A value taken unchanged keeps the position where it is written.
	assert.Equal(t, "p.json:2:85", r.Body.Get("properties").Get("tags").Pos().String())
	assert.Equal(t, "name=rt-b", r.Body.Get("properties").Get("lit").Pos().String())
	require.NoError(t, ps.Unused())

	for _, tc := range []struct {
		override, want string
	}{
		{"count=two", `name=rt-a: parameters.count: invalid template parameter: parameter "count" is of type int: "two" is not an integer`},
		{"count=9", `count=9: parameters.count: invalid template parameter: parameter "count": 9 is above its maxValue 3`},
		{"flag=yes", `flag=yes: parameters.flag: invalid template parameter: parameter "flag" is of type bool: want true or false, not "yes"`},
		{"tags=[1]", `tags=[1]: parameters.tags: invalid template parameter: parameter "tags" is of type object, but its value is array`},
		{"list={", `list={: parameters.list: invalid template parameter: parameter "list" is of type array: "{" is not JSON: unexpected end of input looking for an object key`},
		{"name=rt-z", `name=rt-z: parameters.name: invalid template parameter: parameter "name": "rt-z" is not one of its allowedValues`},
	} {
		ps, err := NewParameters(nil, tc.override)
		require.NoError(t, err)
		_, err = parseT(t, Options{Parameters: ps}, in)
		require.ErrorIs(t, err, ErrParameter, tc.override)
		if tc.override == "count=two" {
			tc.want = strings.Replace(tc.want, "name=rt-a", "count=two", 1)
		}
		assert.Equal(t, tc.want, errorList(err)[0])
	}

	// A file that names a parameter the template lacks does not apply, and
	// Unused says so; so does an override of no declared parameter.
	ps, err = NewParameters([]*ParameterFile{file(`{"parameters": {"name": {"value": "rt-c"}, "other": {"value": 1}}}`)}, "nope=1")
	require.NoError(t, err)
	res, err = parseT(t, Options{Parameters: ps}, in)
	require.NoError(t, err)
	assert.Equal(t, []string{"Microsoft.Network/routeTables/rt-default0"}, ids(res))
	assert.Equal(t, []string{
		`p.json:1:1: invalid template parameter: parameters file applies to no template: none declares all of its parameters (name, other); ARM rejects a parameter its template does not declare`,
		`nope=1: invalid template parameter: no template declares parameter "nope"`,
	}, errorList(ps.Unused()))

	// Parameters files with errors.
	for _, tc := range []struct{ text, want string }{
		{`[1]`, `p.json:1:1: invalid template parameter: a parameters file is a JSON object, found array`},
		{`{"$schema": "x", "contentVersion": "1"}`, `p.json:1:1: parameters: invalid template parameter: parameters file has no "parameters" object`},
		{`{"parameters": {"a": 1}}`, `p.json:1:22: parameters.a: invalid template parameter: expected {"value": ...} or {"reference": ...}, found number`},
		{`{"parameters": {"a": {"x": 1}}}`, `p.json:1:22: parameters.a: invalid template parameter: parameter has neither "value" nor "reference"`},
		{`{"parameters": {"a": {"value": 1}, "A": {"value": 2}}}`, `p.json:1:41: parameters.A: unrecognized ARM JSON: duplicate object key "A": also at p.json:1:22`},
		{`{"parameters": {"a": {"reference": {"secretName": "x"}}}}`, `p.json:1:36: parameters.a.reference: invalid template parameter: expected a Key Vault reference {"keyVault": {"id": ...}, "secretName": ...}`},
		{`{` + schema + `, "resources": []}`, `p.json:1:1: invalid template parameter: this is a template, not a parameters file: give it as a topology`},
		{`{"parameters": `, `p.json:1:16: invalid JSON: unexpected end of input looking for a value`},
	} {
		_, err := ParseParameterFile("p.json", strings.NewReader(tc.text))
		require.Error(t, err, tc.text)
		assert.Equal(t, tc.want, errorList(err)[0])
	}
	_, err = NewParameters(nil, "novalue")
	assert.EqualError(t, err, "novalue: invalid template parameter: want a parameter override of the form name=value")
}

// TestEvalLimits: every limit of the evaluation is a clear error, and a template
// cannot make the evaluation run away.
func TestEvalLimits(t *testing.T) {
	// Output: a string doubled by variables.
	vars := []string{`"v0": "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"`}
	for i := 1; i <= 40; i++ {
		vars = append(vars, fmt.Sprintf(`"v%d": "[concat(variables('v%d'), variables('v%d'))]"`, i, i-1, i-1))
	}
	in := `{` + schema + `, "variables": {` + strings.Join(vars, ",") + `},
 "resources": [{"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {"x": "[variables('v40')]"}}]}`
	_, err := parseT(t, Options{Limits: Limits{MaxOutput: 1 << 20}}, in)
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "template evaluation creates more than 1048576 bytes of values (Limits.MaxOutput)")
	assert.Equal(t, Limits{MaxCopy: 800, MaxResources: 10000, MaxNesting: 32, MaxSteps: 20_000_000, MaxOutput: 128 << 20}, Limits{}.withDefaults())

	// Steps: nested copy loops.
	in = `{` + schema + `, "resources": [{"copy": {"name": "c", "count": 800}, "type": "Microsoft.Network/routeTables", "name": "[concat('rt', copyIndex())]",
  "properties": {"copy": [{"name": "a", "count": 800, "input": {"copy": [{"name": "b", "count": 800, "input": "[copyIndex('b')]"}]}}]}}]}`
	_, err = parseT(t, Options{Limits: Limits{MaxSteps: 100000}}, in)
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "template evaluation takes more than 100000 steps (Limits.MaxSteps)")

	// Resources.
	in = `{` + schema + `, "resources": [{"copy": {"name": "c", "count": 800}, "type": "Microsoft.Network/routeTables", "name": "[concat('rt', copyIndex())]"}]}`
	_, err = parseT(t, Options{Limits: Limits{MaxResources: 100}}, in)
	require.ErrorIs(t, err, ErrLimit)
	assert.Contains(t, err.Error(), "the template declares more than 100 resources, copies and nested deployments included (Limits.MaxResources)")
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	assert.Len(t, res, 800)

	// Circular variables and parameters.
	_, err = parseT(t, Options{}, `{`+schema+`, "variables": {"a": "[variables('b')]", "b": "[variables('a')]"}, "resources": [{"type": "Microsoft.Network/routeTables", "name": "[variables('a')]"}]}`)
	require.ErrorIs(t, err, ErrExpression)
	assert.Contains(t, err.Error(), `variable "a" refers to itself`)
	_, err = parseT(t, Options{}, `{`+schema+`, "parameters": {"a": {"type": "string", "defaultValue": "[parameters('a')]"}}, "resources": [{"type": "Microsoft.Network/routeTables", "name": "[parameters('a')]"}]}`)
	require.ErrorIs(t, err, ErrExpression)
	assert.Contains(t, err.Error(), `parameter "a" refers to itself through its defaultValue`)

	// padLeft, replace and format cannot make huge strings.
	for _, e := range []string{"[padLeft('a', 1000000000)]", "[format('{0,9999}{0,9999}', 'a')]"} {
		got := evalIn(t, Options{Limits: Limits{MaxOutput: 10000}}, "", e)
		assert.Contains(t, got, "Limits.MaxOutput", e)
	}
}

// TestUserFunctions: "User-defined functions in ARM templates".
func TestUserFunctions(t *testing.T) {
	sections := `"functions": [{"namespace": "contoso", "members": {"uniqueName": {
  "parameters": [{"name": "namePrefix", "type": "string"}],
  "output": {"type": "string", "value": "[concat(toLower(parameters('namePrefix')), '-', uniqueString(resourceGroup().id))]"}}}}]`
	assert.Equal(t, `"rt-`+uniqueString([]string{"/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/template"})+`"`,
		evalIn(t, Options{}, sections, "[contoso.uniqueName('RT')]"))
	assert.Contains(t, evalIn(t, Options{}, sections, "[contoso.uniqueName()]"), "contoso.uniqueName takes 1 arguments, not 0")
}

// TestScopeFromLiteralIDs: without a given scope, a template whose literal
// IDs name its own resources in one resource group is evaluated there, IDs
// built by resourceId() included.
func TestScopeFromLiteralIDs(t *testing.T) {
	in := `{` + schema + `, "parameters": {"rt": {"type": "string", "defaultValue": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/routeTables/rt"}},
 "resources": [{"type": "Microsoft.Network/routeTables", "name": "rt"},
  {"type": "Microsoft.Network/virtualNetworks", "name": "v", "properties": {"subnets": [{"name": "a", "properties": {"routeTable": {"id": "[parameters('rt')]"}}}],
    "self": "[resourceId('Microsoft.Network/virtualNetworks', 'v')]"}}]}`
	res, err := parseT(t, Options{}, in)
	require.NoError(t, err)
	assert.Equal(t, "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v", res[1].ID)
	assert.Equal(t, `"/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/v"`, prop(res[1], "properties", "self"))
	// Given, the scope wins.
	res, err = parseT(t, Options{SubscriptionID: "s2", ResourceGroup: "rg2"}, in)
	require.NoError(t, err)
	assert.Equal(t, "/subscriptions/s2/resourceGroups/rg2/providers/Microsoft.Network/virtualNetworks/v", res[1].ID)
}

// TestSubscriptionDeployment: a subscription deployment template declares
// resource groups (containers, not returned) and deploys into them.
func TestSubscriptionDeployment(t *testing.T) {
	in := `{"$schema": "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#", "contentVersion": "1.0.0.0",
 "resources": [{"type": "Microsoft.Resources/resourceGroups", "name": "rg-net", "location": "westeurope"},
  {"type": "Microsoft.Resources/deployments", "name": "net", "resourceGroup": "rg-net", "location": "[deployment().location]",
   "properties": {"expressionEvaluationOptions": {"scope": "inner"}, "template": {` + schema + `, "resources": [
     {"type": "Microsoft.Network/routeTables", "name": "rt", "properties": {"rg": "[resourceGroup().name]"}}]}}},
  {"type": "Microsoft.Authorization/roleAssignments", "name": "ra", "properties": {"scope": "[subscription().id]", "rgFn": "[resourceGroup().name]"}}]}`
	res, err := parseT(t, Options{SubscriptionID: "s1", Location: "westeurope"}, in)
	require.NoError(t, err)
	require.Len(t, res, 2)
	assert.Equal(t, "/subscriptions/s1/resourceGroups/rg-net/providers/Microsoft.Network/routeTables/rt", res[0].ID)
	assert.Equal(t, `"rg-net"`, prop(res[0], "properties", "rg"))
	assert.Equal(t, "/subscriptions/s1/providers/Microsoft.Authorization/roleAssignments/ra", res[1].ID)
	assert.Contains(t, prop(res[1], "properties", "rgFn"), "a subscription deployment has no resource group")

	_, err = parseT(t, Options{}, `{"$schema": "https://schema.management.azure.com/schemas/2019-08-01/managementGroupDeploymentTemplate.json#", "resources": []}`)
	require.ErrorIs(t, err, ErrFormat)
	assert.Contains(t, err.Error(), "management-group and tenant deployment templates are not supported")
}

// TestEscapes: "[[" escapes a literal string that would be an expression
// ("Syntax and expressions in ARM templates", Escape characters); strings
// that do not end with "]" are literal as they are.
func TestEscapes(t *testing.T) {
	runExprCases(t, Options{}, `"parameters": {"p": {"type": "string", "defaultValue": "[[test value]"}}`, []exprCase{
		{"[[test value]", `"[test value]"`},
		{"[test] value", `"[test] value"`},
		{"[parameters('p')]", `"[test value]"`},
		{"[concat('[', 'x', ']')]", `"[x]"`},
		{"[ concat ( 'a' , 'b' ) ]", `"ab"`},
		{"['it''s']", `"it's"`},
	})
}

func TestErrorsAreErrors(t *testing.T) {
	// Every problem a template can have is an *Error with a position.
	_, err := parseT(t, Options{}, `{`+schema+`, "parameters": 1, "variables": [], "resources": [{"type": "Microsoft.Network/routeTables", "name": "[variables('x')]"}]}`)
	require.Error(t, err)
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ae *Error
		require.True(t, errors.As(e, &ae), "%v", e)
		assert.True(t, ae.Pos.IsValid(), "%v", e)
	}
	assert.Equal(t, []string{
		"t.json:1:139: parameters: unrecognized ARM JSON: expected an object of parameter declarations, found number",
		"t.json:1:155: variables: unrecognized ARM JSON: expected an object of variables, found array",
		`t.json:1:225: resources[0]: name: unresolved template expression: variable "x" is not declared (the template declares none)`,
	}, errorList(err))
}

// TestEvalWorkBounded: functions whose work grows faster than their output
// (union and intersection of long arrays, indexOf in long strings, arrays
// doubled by variables) are bounded by the limits, not by patience.
func TestEvalWorkBounded(t *testing.T) {
	lim := Options{Limits: Limits{MaxSteps: 200000, MaxOutput: 16 << 20}}
	for _, tc := range []struct{ expr, want string }{
		{"[length(union(range(0, 10000), range(10000, 10000)))]", "20000"},
		{"[length(intersection(range(0, 10000), range(5000, 10000)))]", "5000"},
		{"[indexOf(padLeft('b', 100000, 'a'), padLeft('b', 50000, 'a'))]", "50000"},
		{"[lastIndexOf(padLeft('b', 10000, 'é'), 'éb')]", "9998"},
	} {
		start := time.Now()
		assert.Equal(t, tc.want, evalIn(t, lim, "", tc.expr), tc.expr)
		assert.Less(t, time.Since(start), 2*time.Second, tc.expr)
	}
	vars := `"variables": {"a0": "[range(0, 1000)]"`
	for i := 1; i < 40; i++ {
		vars += fmt.Sprintf(`, "a%d": "[concat(variables('a%d'), variables('a%d'))]"`, i, i-1, i-1)
	}
	got := evalIn(t, lim, vars+"}", "[length(variables('a39'))]")
	assert.Contains(t, got, "Limits.Max")
}
