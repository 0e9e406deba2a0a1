package topology_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
	"github.com/egresslab/egress/topology/arm"
)

var (
	bigARMOnce sync.Once
	bigARMData []byte
)

// bigARMExport is the network of bigDesign (a hub per 400 spokes, spokes of
// one subnet with its NSG of 20 rules and the shared route table, 10 NICs
// per spoke: 10,000 NICs for 1,000 VNets) as a Resource Graph export in
// REST shape, with what makes merging work: every subnet also exported on
// its own, the route inline in its table and again on its own, and every
// association mirrored on the other side (the NSGs' and the route table's
// subnets; the NSGs' networkInterfaces, empty).
func bigARMExport(vnets, nicsPer int) []byte {
	const p = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg/providers/Microsoft.Network/"
	ref := func(id string) map[string]any { return map[string]any{"id": id} }
	var rows []any
	add := func(id, typ string, props map[string]any) {
		rows = append(rows, map[string]any{"id": id, "name": id[len(id)-len(lastSeg(id)):], "type": typ, "location": "eastus",
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

func lastSeg(id string) string {
	for i := len(id) - 1; i >= 0; i-- {
		if id[i] == '/' {
			return id[i+1:]
		}
	}
	return id
}

func bigARM(tb testing.TB) []byte {
	bigARMOnce.Do(func() { bigARMData = bigARMExport(1001, 10) })
	return bigARMData
}

// TestBigARMExport: the benchmark's export is what it says: 10,000 NICs,
// every declaration merged, every association carried over, valid.
func TestBigARMExport(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 10,000-NIC export")
	}
	data := bigARM(t)
	rs, err := arm.ParseKeepDuplicates("big.json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	m, err := topology.FromARM(rs)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.NICs) != 10000 || len(m.VNets) != 1003 || len(m.RouteTables[0].Routes) != 1 {
		t.Fatalf("%d NICs, %d VNets, %d routes", len(m.NICs), len(m.VNets), len(m.RouteTables[0].Routes))
	}
	for _, v := range m.VNets {
		if len(v.Subnets) != 1 {
			t.Fatalf("%s has %d subnets", v.Name, len(v.Subnets))
		}
	}
	if err := m.Validate(defaultTags(t)); err != nil {
		t.Fatal(err)
	}
	if w := m.Warnings(); len(w) != 0 {
		t.Fatal(w)
	}
}

// BenchmarkMergeValidate loads the 10,000-NIC ARM export as LoadFiles does
// (parse keeping duplicates, build one model from every resource, merge the
// duplicates, carry associations over, validate with the real service
// tags: every route table compiled per subnet, every NSG checked). It
// reports each phase and the ratio of the whole to a plain encoding/json
// decode of the same bytes into any, measured in the same run. Run with
// -cpu 1 for the one-core figure.
func BenchmarkMergeValidate(b *testing.B) {
	data := bigARM(b)
	tags, err := servicetag.Default()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var parse, build, validate, decode time.Duration
	for b.Loop() {
		t0 := time.Now()
		rs, err := arm.ParseKeepDuplicates("big.json", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		m, err := topology.FromARM(rs)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := m.Validate(tags); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			b.Fatal(err)
		}
		parse, build, validate, decode = parse+t1.Sub(t0), build+t2.Sub(t1), validate+t3.Sub(t2), decode+time.Since(t3)
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Milliseconds()) / n }
	b.ReportMetric(ms(parse), "ms-parse")
	b.ReportMetric(ms(build), "ms-build+merge")
	b.ReportMetric(ms(validate), "ms-validate")
	b.ReportMetric(ms(parse+build+validate), "ms-load")
	b.ReportMetric(ms(decode), "ms-json-decode")
	b.ReportMetric(float64(parse+build+validate)/float64(decode), "x-json-decode")
}
