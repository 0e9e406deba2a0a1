package arm_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/egresslab/egress/topology/arm"
)

// Parse reads az CLI output, whose properties are flattened, and REST output
// alike: Prop finds a property either way.
func ExampleParse() {
	const cli = `[{
  "id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1",
  "name": "vnet1", "type": "Microsoft.Network/virtualNetworks", "location": "westeurope", "resourceGroup": "rg1",
  "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
  "subnets": [
    {"name": "app", "addressPrefix": "10.0.1.0/24", "routeTable": null, "resourceGroup": "rg1"},
    {"name": "data", "properties": {"addressPrefix": "10.0.2.0/24"}}
  ]
}]`
	res, err := arm.Parse("vnets.json", strings.NewReader(cli))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		space, _ := r.Body.Prop("addressSpace").Prop("addressPrefixes").Index(0).Str()
		fmt.Println(r.Pos, r.Name, r.ResourceGroup, space)
		for _, s := range r.Body.Prop("subnets").Elems() {
			name, _ := s.Get("name").Str()
			prefix := s.Prop("addressPrefix")
			p, _ := prefix.Str()
			fmt.Printf("  %s %s at %s, route table: %v\n", name, p, prefix.Pos(), s.Prop("routeTable").Kind())
		}
	}
	// Output:
	// vnets.json:1:2 vnet1 rg1 10.0.0.0/16
	//   app 10.0.1.0/24 at vnets.json:6:38, route table: absent
	//   data 10.0.2.0/24 at vnets.json:7:54, route table: absent
}

// Errors carry file:line:col, the resource and the field, and a category.
func ExampleParse_errors() {
	const bad = `{"value": [
  {"id": "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/routeTables/rt", "type": 42},
  {"name": "orphan"}
]}`
	_, err := arm.Parse("page.json", strings.NewReader(bad))
	fmt.Println(err)
	fmt.Println(errors.Is(err, arm.ErrFormat))
	// Output:
	// page.json:2:101: /subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/routeTables/rt: type: unrecognized ARM JSON: expected a string, found number
	// page.json:3:3: unrecognized ARM JSON: resource (name "orphan") has no "id"
	// true
}

func ExampleParseID() {
	id, err := arm.ParseID("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/app")
	if err != nil {
		fmt.Println(err)
		return
	}
	parent, _ := id.Parent()
	fmt.Println(id.Type())
	fmt.Println(id.Name(), id.ShortName())
	fmt.Println(parent)
	fmt.Println(arm.EqualIDs(parent.String(), "/SUBSCRIPTIONS/S1/resourcegroups/RG1/providers/microsoft.network/virtualnetworks/VNET1"))
	// Output:
	// Microsoft.Network/virtualNetworks/subnets
	// vnet1/app app
	// /subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Network/virtualNetworks/vnet1
	// true
}

func ExampleDetect() {
	fmt.Println(arm.Detect([]byte("\n  {\"value\": []}")))
	fmt.Println(arm.Detect([]byte("vnets:\n  - name: hub\n")))
	// Output:
	// json
	// yaml
}

// ParseWith evaluates a template for a deployment: parameters (here an
// override, typed by the parameter's declared type), copy loops, functions.
// What only a deployment knows is an unresolved value, listed with its
// position and reason, not an error.
func ExampleParseWith() {
	const tmpl = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {"count": {"type": "int", "defaultValue": 1}, "prefix": {"type": "string", "defaultValue": "10.1.0.0/16"}},
  "resources": [{
    "copy": {"name": "spokes", "count": "[parameters('count')]"},
    "type": "Microsoft.Network/virtualNetworks", "apiVersion": "2024-05-01",
    "name": "[format('vnet-{0}', copyIndex(1))]",
    "location": "[resourceGroup().location]",
    "properties": {"addressSpace": {"addressPrefixes": ["[cidrSubnet(parameters('prefix'), 24, copyIndex())]"]}}
  }]
}`
	ps, err := arm.NewParameters(nil, "count=2")
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := arm.ParseWith("main.json", strings.NewReader(tmpl), arm.Options{SubscriptionID: "s1", ResourceGroup: "rg-net", Parameters: ps})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res {
		p, _ := r.Body.Prop("addressSpace").Prop("addressPrefixes").Index(0).Str()
		fmt.Println(r.ID, p)
		for _, e := range r.Unresolved() {
			fmt.Println(" ", e.Field, "unresolved:", e.Detail)
		}
	}
	// Output:
	// /subscriptions/s1/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-1 10.1.0.0/24
	//   location unresolved: the resource group's location is not known offline: give the region (Options.Location; egress --location) (at main.json:9:19)
	// /subscriptions/s1/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-2 10.1.1.0/24
	//   location unresolved: the resource group's location is not known offline: give the region (Options.Location; egress --location) (at main.json:9:19)
}
