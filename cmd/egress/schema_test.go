package main

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// compileSchema compiles egress schema VERB's output.
func compileSchema(t *testing.T, verb string) *jsonschema.Schema {
	t.Helper()
	code, out, stderr := egress("schema", verb)
	require.Equal(t, 0, code, stderr)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(out)))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource(verb+".json", doc))
	s, err := c.Compile(verb + ".json")
	require.NoError(t, err, verb)
	return s
}

// TestSchemaAgainstOutputs: every verb's real -o json outputs, on the
// embedded design and on inputs with problems, validate against egress
// schema VERB (which forbids properties it does not know).
func TestSchemaAgainstOutputs(t *testing.T) {
	bad := write(t, "bad.yaml", "egress: v1\nvnets: [{name: v, addressSpace: [10.0.0.0/16], subnets: [{name: s, prefix: 10.9.0.0/24}]}]\n")
	nsgFiles := []string{"--topology", nsgSnapshot + "vnet.json", "--topology", nsgSnapshot + "nsg-subnet2.json", "--topology", nsgSnapshot + "vm2-nic.json"}
	runs := append(append([][]string{}, dataVerbs...),
		[]string{"version"},
		[]string{"trace", "--from", "vm-batch-01-nic", "--to", "api.example.com:443", "--resolve", "api.example.com=52.9.9.9", "--protocol", "any"},
		[]string{"trace", "--from", "vm-app-01-nic", "--to", "api.contoso.com:443", "--resolve", "api.contoso.com=52.1.2.3"},
		[]string{"trace", "--from", "vm-partner-01-nic", "--to", "10.1.1.4:443"},
		[]string{"trace", "--from", "vm-shared-01-nic", "--to", "192.168.1.1:443"},
		append([]string{"trace", "--from", "vm2-nic", "--to", "93.184.216.34:443"}, nsgFiles...),
		[]string{"rules", "--nic", "vm-data-01-nic"},
		[]string{"reach", "--from", "vm-app-01-nic", "--to", "Storage.EastUS", "--protocol", "tcp"},
		[]string{"rules", "--nic", "vm-batch-01-nic"},
		[]string{"routes", "--nic", "vm-shared-01-nic"},
		[]string{"validate", "--topology", bad},
		append([]string{"validate"}, nsgFiles...),
		append([]string{"audit"}, nsgFiles...),
		append([]string{"list", "nsgs"}, nsgFiles...),
		[]string{"whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--sample", "--from", "vm-legacy-01-nic"},
		[]string{"whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml", "--from", "vm-legacy-01-nic"},
		[]string{"check", write(t, "policy.yaml", "egress: check/v1\nchecks:\n  - name: batch\n    flow: {from: vm-batch-01-nic, to: 52.1.2.3, port: 443}\n    expect: {verdict: Allowed}\n")},
		[]string{"flows", "replay", write(t, "PT1H.json", `{"records": [{"flowLogVersion": 4, "macAddress": "0022480ABCDE", "flowRecords": {"flows": [{"aclID": "a", "flowGroups": [{"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": ["1746352852000,10.1.1.4,52.1.2.3,50000,445,6,O,B,NX,0,0,0,0"]}]}]}}]}`)},
	)
	schemas := map[string]*jsonschema.Schema{}
	for _, v := range runs {
		verb := v[0]
		if verb == "flows" {
			verb = "flows-replay"
		}
		if verb == "whatif" && !slices.Contains(v, "--sample") {
			verb += "-exact" // whatif and diff write MapChange sets, but for --sample, --to and --flows
		}
		if schemas[verb] == nil {
			schemas[verb] = compileSchema(t, verb)
		}
		_, out, stderr := egress(append(v, "-o", "json")...)
		require.NotEmpty(t, out, "%v: %s", v, stderr)
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(out)))
		require.NoError(t, err, "%v", v)
		assert.NoError(t, schemas[verb].Validate(doc), "%v", v)
	}
	assert.Len(t, schemas, len(schemaVerbs), "every schema is tested")
}

// TestSchemaRefuses: the schemas are strict enough to catch a renamed or a
// missing field.
func TestSchemaRefuses(t *testing.T) {
	s := compileSchema(t, "trace")
	_, out, _ := egress("trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443", "-o", "json")
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &doc))
	doc["egressIPs"] = doc["egressIpAddresses"]
	delete(doc, "egressIpAddresses")
	assert.Error(t, s.Validate(doc))

	code, _, stderr := egress("schema", "trcae")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "Did you mean this?\n\ttrace\n")
	code, _, _ = egress("schema")
	assert.Equal(t, 2, code)
}

// Enum fields list their names, in value order, read from the types'
// text forms: a value the library adds appears without a schema edit, and
// a protocol without a name is its number.
func TestSchemaEnums(t *testing.T) {
	names, numbers := enumNames(reflect.TypeFor[simulate.Verdict]())
	assert.Equal(t, []string{"Unknown", "Allowed", "Denied", "Dropped", "NoEgress", "Invalid"}, names)
	assert.False(t, numbers)
	names, _ = enumNames(reflect.TypeFor[simulate.Stage]())
	assert.Equal(t, []string{"AdminRules", "NicNSG", "SubnetNSG", "AzureFirewall", "AllowedFqdnList", "NetworkSecurityPerimeter"}, names)
	names, numbers = enumNames(reflect.TypeFor[ipproto.Proto]())
	assert.Contains(t, names, "Tcp")
	assert.True(t, numbers)
	names, _ = enumNames(reflect.TypeFor[simulate.Reason]())
	assert.Contains(t, names, "InvalidFlow")
	assert.NotContains(t, names, "Reason(200)")
	names, _ = enumNames(reflect.TypeFor[string]())
	assert.Nil(t, names)
}
