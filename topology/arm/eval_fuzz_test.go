package arm

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzLimits keep each fuzz input cheap; the limits themselves are what is
// fuzzed for boundedness.
var fuzzLimits = Limits{MaxCopy: 40, MaxResources: 300, MaxNesting: 6, MaxSteps: 200000, MaxOutput: 4 << 20}

// checkParse checks what ParseWith returns for input text: *Errors
// positioned inside the input (or naming the file), resources with valid IDs,
// unresolved values with reasons.
func checkParse(t *testing.T, text string, res []Resource, err error) {
	t.Helper()
	if err != nil {
		if res != nil {
			t.Fatal("resources returned with an error")
		}
		for _, ae := range parseErrors(t, err) {
			if ae.Pos.File != "f.json" || !ae.Pos.IsValid() && ae.Kind != ErrLimit || ae.Pos.IsValid() && !within(text, ae.Pos) {
				t.Fatalf("error position %v outside the input: %v", ae.Pos, ae)
			}
			if len(ae.Error()) > 5000 {
				t.Fatalf("unbounded message: %.300s", ae.Error())
			}
		}
		return
	}
	for _, r := range res {
		if _, err := ParseID(r.ID); err != nil {
			t.Fatalf("resource with a bad ID: %v", err)
		}
		if !within(text, r.Pos) {
			t.Fatalf("resource position %v outside the input", r.Pos)
		}
		for v, e := range r.Unresolved() {
			if why, ok := v.Unresolved(); !ok || why == "" || e.Detail != why || e.Resource != r.ID {
				t.Fatalf("unresolved value %v: %v", v.Kind(), e)
			}
			if p := v.Pos(); p.File == "f.json" && !within(text, p) {
				t.Fatalf("unresolved value at %v outside the input", p)
			}
		}
	}
}

// FuzzEval evaluates arbitrary expression strings (as a property of a
// resource of a template with parameters, variables, a copy loop and a
// nested deployment around it) and arbitrary templates: evaluation never
// panics, stays within its limits, and reports positioned errors.
func FuzzEval(f *testing.F) {
	for _, e := range []string{
		"[concat('a', parameters('p'), variables('v')[0])]", "[format('{0}-{1:N0}', copyIndex(), 1234)]",
		"[cidrSubnet(parameters('net'), 24, copyIndex())]", "[reference('rt0').x]", "[reference(resourceId('Microsoft.Resources/deployments', 'd')).outputs.o.value]",
		"[union(createObject('a', 1), json('{\"b\": [1, 2]}'))]", "[if(equals(mod(copyIndex(), 2), 0), utcNow(), 'x')]",
		"[map(range(0, 3), lambda('i', lambdaVariables('i')))]", "[split(string(createArray(1, true())), ',')]",
		"[substring(uniqueString('a'), 0, 5)]", "[guid(subscription().id, resourceGroup().location)]", "[parseCidr('10.0.0.0/8').broadcast]",
		"[[not an expression]", "[", "[]", "[a(", "['", "[concat(]", "[1.", "[x.y.z()]", "[copyIndex('nope')]",
	} {
		f.Add(e, []byte(nil))
	}
	files, _ := filepath.Glob("testdata/templates/*.json")
	files = append(files, "testdata/template.json", "testdata/template-v2.json", "testdata/template-children.json")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add("", data)
		}
	}
	f.Fuzz(fuzzEvalOne)
}

// fuzzEvalOne is the body of FuzzEval.
func fuzzEvalOne(t *testing.T, expr string, tmpl []byte) {
	{
		opts := Options{Limits: fuzzLimits, Location: "westeurope"}
		if expr != "" {
			q, _ := json.Marshal(expr)
			in := `{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
 "parameters": {"p": {"type": "string", "defaultValue": "x"}, "net": {"type": "string", "defaultValue": "10.1.0.0/16"}},
 "variables": {"v": ["[parameters('p')]", 2]},
 "resources": [
  {"copy": {"name": "c", "count": 3}, "type": "Microsoft.Network/routeTables", "name": "[concat('rt', copyIndex())]", "properties": {"x": ` + string(q) + `}},
  {"type": "Microsoft.Resources/deployments", "name": "d", "properties": {"expressionEvaluationOptions": {"scope": "inner"},
   "parameters": {"i": {"value": ` + string(q) + `}},
   "template": {"contentVersion": "1.0.0.0", "parameters": {"i": {"type": "string"}}, "resources": [], "outputs": {"o": {"type": "string", "value": "[parameters('i')]"}}}}}]}`
			res, err := ParseWith("f.json", strings.NewReader(in), opts)
			checkParse(t, in, res, err)
		}
		if len(tmpl) > 0 {
			res, err := ParseWith("f.json", bytes.NewReader(tmpl), opts)
			checkParse(t, string(tmpl), res, err)
		}
	}
}
