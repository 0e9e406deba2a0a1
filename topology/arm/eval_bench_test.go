package arm

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// bigTemplate is a Bicep-shaped template of 1,000 resources made by copy
// loops: 400 route tables of 4 routes (a property copy loop), 400 network
// security groups of 5 rules, and a module (a nested deployment) of 200
// virtual networks of 8 subnets each carved with cidrSubnet, named with
// format() from an array parameter. Azure's limit is 800 resources a
// template ("ARM template best practices"); the module keeps each template
// under it.
const bigTemplate = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "metadata": {"_generator": {"name": "bicep", "version": "0.30.23.60470", "templateHash": "1"}},
  "parameters": {
    "location": {"type": "string", "defaultValue": "westeurope"},
    "regions": {"type": "array", "defaultValue": ["weu", "neu", "frc", "gwc"]},
    "nvaIp": {"type": "string", "defaultValue": "10.0.1.4"}
  },
  "variables": {
    "tags": {"workload": "bench", "owner": "[format('team-{0}', parameters('regions')[0])]"},
    "copy": [{"name": "ports", "count": 5, "input": "[string(add(8000, copyIndex('ports')))]"}]
  },
  "resources": [
    {
      "copy": {"name": "rts", "count": 400},
      "type": "Microsoft.Network/routeTables",
      "apiVersion": "2024-05-01",
      "name": "[format('rt-{0}-{1}', parameters('regions')[mod(copyIndex(), length(parameters('regions')))], copyIndex())]",
      "location": "[parameters('location')]",
      "tags": "[variables('tags')]",
      "properties": {
        "disableBgpRoutePropagation": "[equals(mod(copyIndex(), 2), 0)]",
        "copy": [{"name": "routes", "count": 4, "input": {
          "name": "[format('r{0}', copyIndex('routes'))]",
          "properties": {
            "addressPrefix": "[cidrSubnet('10.128.0.0/9', 24, add(mul(copyIndex(), 4), copyIndex('routes')))]",
            "nextHopType": "[if(equals(copyIndex('routes'), 0), 'Internet', 'VirtualAppliance')]",
            "nextHopIpAddress": "[if(equals(copyIndex('routes'), 0), null(), parameters('nvaIp'))]"
          }}}]
      }
    },
    {
      "copy": {"name": "nsgs", "count": 400},
      "type": "Microsoft.Network/networkSecurityGroups",
      "apiVersion": "2024-05-01",
      "name": "[concat('nsg-', padLeft(copyIndex(), 4, '0'))]",
      "location": "[parameters('location')]",
      "properties": {
        "copy": [{"name": "securityRules", "count": "[length(variables('ports'))]", "input": {
          "name": "[format('allow-{0}', variables('ports')[copyIndex('securityRules')])]",
          "properties": {
            "priority": "[add(100, copyIndex('securityRules'))]",
            "direction": "Outbound", "access": "Allow", "protocol": "Tcp",
            "sourcePortRange": "*", "destinationPortRange": "[variables('ports')[copyIndex('securityRules')]]",
            "sourceAddressPrefix": "VirtualNetwork", "destinationAddressPrefix": "Internet"
          }}}]
      }
    },
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "vnets",
      "properties": {
        "expressionEvaluationOptions": {"scope": "inner"},
        "mode": "Incremental",
        "parameters": {"location": {"value": "[parameters('location')]"}, "count": {"value": 200}},
        "template": {
          "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
          "contentVersion": "1.0.0.0",
          "parameters": {"location": {"type": "string"}, "count": {"type": "int"}},
          "resources": [{
            "copy": {"name": "vnets", "count": "[parameters('count')]"},
            "type": "Microsoft.Network/virtualNetworks",
            "apiVersion": "2024-05-01",
            "name": "[format('vnet-{0}', copyIndex())]",
            "location": "[parameters('location')]",
            "properties": {
              "addressSpace": {"addressPrefixes": ["[cidrSubnet('10.0.0.0/8', 16, add(copyIndex(), 1))]"]},
              "copy": [{"name": "subnets", "count": 8, "input": {
                "name": "[format('snet-{0}', copyIndex('subnets'))]",
                "properties": {
                  "addressPrefix": "[cidrSubnet(cidrSubnet('10.0.0.0/8', 16, add(copyIndex(), 1)), 24, copyIndex('subnets'))]",
                  "routeTable": {"id": "[resourceId('Microsoft.Network/routeTables', format('rt-weu-{0}', mul(copyIndex(), 4)))]"}
                }}}]
            }
          }]
        }
      }
    }
  ]
}`

var (
	expandedOnce sync.Once
	expanded     []byte
)

// expandedJSON is the 1,000 evaluated resources as plain JSON: what the
// template would be without expressions.
func expandedJSON(tb testing.TB) []byte {
	expandedOnce.Do(func() {
		res, err := Parse("big.json", strings.NewReader(bigTemplate))
		if err != nil {
			tb.Fatal(err)
		}
		var b bytes.Buffer
		b.WriteString(`{"value": [`)
		for i, r := range res {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(appendJSON(nil, r.Body))
		}
		b.WriteString(`]}`)
		expanded = b.Bytes()
	})
	return expanded
}

func TestBigTemplate(t *testing.T) {
	res, err := Parse("big.json", strings.NewReader(bigTemplate))
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1000 {
		t.Fatalf("%d resources, want 1000", len(res))
	}
	last := res[999]
	if got := prop(last, "properties", "subnets", "7", "properties", "addressPrefix"); got != `"10.200.7.0/24"` {
		t.Errorf("last subnet %s", got)
	}
	if got := prop(res[399], "properties", "routes", "3", "properties", "addressPrefix"); got != `"10.134.63.0/24"` {
		t.Errorf("last route %s", got)
	}
}

// BenchmarkTemplate evaluates bigTemplate: 1,000 resources from copy loops
// (the target is at most 200 ms an evaluation).
func BenchmarkTemplate(b *testing.B) {
	data := []byte(bigTemplate)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Parse("big.json", bytes.NewReader(data))
		if err != nil || len(res) != 1000 {
			b.Fatal(len(res), err)
		}
	}
}

// BenchmarkTemplateBaseline is encoding/json decoding the same template
// into any (no evaluation), for the ratio.
func BenchmarkTemplateBaseline(b *testing.B) {
	data := []byte(bigTemplate)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTemplateExpandedBaseline is encoding/json decoding the 1,000
// resources the template evaluates to, written out as plain JSON: the cost
// of reading the same network had it no expressions.
func BenchmarkTemplateExpandedBaseline(b *testing.B) {
	data := expandedJSON(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		var v any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			b.Fatal(err)
		}
	}
}
