// Package bignet generates the big networks of the benchmarks: a hub per
// 400 spokes, each spoke one subnet with its own NSG of 20 rules (some
// naming real service tags) and the shared route table to the hub's
// firewall, nicsPer NICs per spoke. Design(1001, 10) and ARMExport(1001, 10)
// are the same network of 1,003 VNets, 10,000 NICs and 1,000 NSGs, as a
// native design and as a Resource Graph export (about 25 MB).
package bignet

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Design writes a native design with vnets VNets (a hub peered with every
// spoke), one subnet and nicsPer NICs per spoke, and one NSG of 20 rules per
// spoke, some naming real service tags.
func Design(vnets, nicsPer int) string {
	var b strings.Builder
	hubs := (vnets + 399) / 400 // Azure allows 500 peerings per VNet
	b.WriteString("egress: v1\nlocation: eastus\nvnets:\n")
	for h := range hubs {
		fmt.Fprintf(&b, "  - name: hub%d\n    addressSpace: [172.16.%d.0/24]\n    subnets: [{name: AzureFirewallSubnet, prefix: 172.16.%d.0/26}]\n    peerings:\n", h, h, h)
		for i := 1; i < vnets; i++ {
			if i%hubs == h {
				fmt.Fprintf(&b, "      - {remote: spoke%d, allowForwardedTraffic: true}\n", i)
			}
		}
	}
	for i := 1; i < vnets; i++ {
		fmt.Fprintf(&b, "  - name: spoke%d\n    addressSpace: [10.%d.%d.0/24]\n    subnets: [{name: app, prefix: 10.%d.%d.0/24, nsg: nsg%d, routeTable: rt}]\n    peerings: [{remote: hub%d}]\n",
			i, 1+i/256, i%256, 1+i/256, i%256, i, i%hubs)
	}
	b.WriteString("routeTables:\n  - name: rt\n    routes: [{name: fw, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 172.16.0.4}]\nnsgs:\n")
	tags := []string{"Storage", "AzureKeyVault", "Sql.EastUS", "AzureMonitor", "Internet", "10.0.0.0/8"}
	for i := 1; i < vnets; i++ {
		fmt.Fprintf(&b, "  - name: nsg%d\n    rules:\n", i)
		for r := range 20 {
			fmt.Fprintf(&b, "      - {name: r%d, priority: %d, direction: Outbound, access: Allow, protocol: Tcp, destination: %s, destinationPorts: \"%d\"}\n",
				r, 100+r, tags[(i+r)%len(tags)], 1000+r)
		}
	}
	b.WriteString("nics:\n")
	for i := 1; i < vnets; i++ {
		for n := range nicsPer {
			fmt.Fprintf(&b, "  - {name: nic-%d-%d, subnet: spoke%d/app, ip: 10.%d.%d.%d}\n", i, n, i, 1+i/256, i%256, 4+n)
		}
	}
	return b.String()
}

// ARMExport is the network of Design (a hub per 400 spokes, spokes of
// one subnet with its NSG of 20 rules and the shared route table, 10 NICs
// per spoke: 10,000 NICs for 1,000 VNets) as a Resource Graph export in
// REST shape, with what makes merging work: every subnet also exported on
// its own, the route inline in its table and again on its own, and every
// association mirrored on the other side (the NSGs' and the route table's
// subnets; the NSGs' networkInterfaces, empty).
func ARMExport(vnets, nicsPer int) []byte {
	const p = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/"
	ref := func(id string) map[string]any { return map[string]any{"id": id} }
	var rows []any
	add := func(id, typ string, props map[string]any) {
		rows = append(rows, map[string]any{"id": id, "name": id[len(id)-len(lastSegment(id)):], "type": typ, "location": "eastus",
			"resourceGroup": "rg", "etag": `W/"1"`, "properties": props})
	}
	hubs := (vnets + 399) / 400
	rt := p + "routeTables/rt"
	route := map[string]any{"name": "fw", "id": rt + "/routes/fw", "properties": map[string]any{"addressPrefix": "0.0.0.0/0",
		"nextHopType": "VirtualAppliance", "nextHopIpAddress": "172.16.0.4", "provisioningState": "Succeeded"}}
	var rtSubnets []any
	for h := range hubs {
		hub := fmt.Sprintf("%svirtualNetworks/hub%d", p, h)
		var peerings []any
		for i := 1; i < vnets; i++ {
			if i%hubs == h {
				peerings = append(peerings, map[string]any{"name": fmt.Sprintf("to-spoke%d", i), "properties": map[string]any{
					"remoteVirtualNetwork": ref(fmt.Sprintf("%svirtualNetworks/spoke%d", p, i)), "allowForwardedTraffic": true, "peeringState": "Connected"}})
			}
		}
		add(hub, "Microsoft.Network/virtualNetworks", map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{fmt.Sprintf("172.16.%d.0/24", h)}},
			"subnets":                []any{map[string]any{"name": "AzureFirewallSubnet", "id": hub + "/subnets/AzureFirewallSubnet", "properties": map[string]any{"addressPrefix": fmt.Sprintf("172.16.%d.0/26", h)}}},
			"virtualNetworkPeerings": peerings})
	}
	svc := []string{"Storage", "AzureKeyVault", "Sql.EastUS", "AzureMonitor", "Internet", "10.0.0.0/8"}
	for i := 1; i < vnets; i++ {
		spoke := fmt.Sprintf("%svirtualNetworks/spoke%d", p, i)
		sn := spoke + "/subnets/app"
		nsg := fmt.Sprintf("%snetworkSecurityGroups/nsg%d", p, i)
		subnet := map[string]any{"addressPrefix": fmt.Sprintf("10.%d.%d.0/24", 1+i/256, i%256), "networkSecurityGroup": ref(nsg),
			"routeTable": ref(rt), "provisioningState": "Succeeded"}
		add(spoke, "Microsoft.Network/virtualNetworks", map[string]any{"addressSpace": map[string]any{"addressPrefixes": []string{fmt.Sprintf("10.%d.%d.0/24", 1+i/256, i%256)}},
			"subnets":                []any{map[string]any{"name": "app", "id": sn, "properties": subnet}},
			"virtualNetworkPeerings": []any{map[string]any{"name": "to-hub", "properties": map[string]any{"remoteVirtualNetwork": ref(fmt.Sprintf("%svirtualNetworks/hub%d", p, i%hubs)), "peeringState": "Connected"}}}})
		add(sn, "Microsoft.Network/virtualNetworks/subnets", subnet)
		rtSubnets = append(rtSubnets, ref(sn))
		var rules []any
		for r := range 20 {
			rules = append(rules, map[string]any{"name": fmt.Sprintf("r%d", r), "properties": map[string]any{"priority": 100 + r, "direction": "Outbound",
				"access": "Allow", "protocol": "Tcp", "sourceAddressPrefix": "*", "sourcePortRange": "*", "destinationAddressPrefix": svc[(i+r)%len(svc)],
				"destinationPortRange": fmt.Sprint(1000 + r)}})
		}
		for n := range nicsPer {
			nic := fmt.Sprintf("%snetworkInterfaces/nic-%d-%d", p, i, n)
			add(nic, "Microsoft.Network/networkInterfaces", map[string]any{"ipConfigurations": []any{map[string]any{"name": "ipconfig1", "id": nic + "/ipConfigurations/ipconfig1",
				"properties": map[string]any{"privateIPAddress": fmt.Sprintf("10.%d.%d.%d", 1+i/256, i%256, 4+n), "primary": true, "subnet": ref(sn)}}}})
		}
		add(nsg, "Microsoft.Network/networkSecurityGroups", map[string]any{"securityRules": rules, "subnets": []any{ref(sn)}, "networkInterfaces": []any{}})
	}
	add(rt, "Microsoft.Network/routeTables", map[string]any{"routes": []any{route}, "subnets": rtSubnets})
	add(rt+"/routes/fw", "Microsoft.Network/routeTables/routes", route["properties"].(map[string]any))
	out, err := json.MarshalIndent(map[string]any{"count": len(rows), "data": rows, "skip_token": nil, "total_records": len(rows)}, "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

func lastSegment(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}
