package topology_test

import (
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// load parses and validates a native design given as text.
func load(t *testing.T, yaml string) (*topology.Model, error) {
	t.Helper()
	return topology.LoadNative("design.yaml", []byte(yaml), defaultTags(t))
}

const base = `egress: v1
location: eastus
vnets:
  - name: vnet-a
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-1, prefix: 10.1.1.0/24}
`

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		wants []string
	}{
		{"unknown field (strict decoding)", base + "    colour: blue\n",
			[]string{`design.yaml:8: unknown field: "colour" in a vnet`}},
		{"unknown nested field", strings.Replace(base, "prefix: 10.1.1.0/24}", "prefix: 10.1.1.0/24, routetable: rt}", 1),
			[]string{`design.yaml:7: unknown field: "routetable" in a subnet (known: `}},
		{"wrong type", strings.Replace(base, "[10.1.0.0/16]", "10.1.0.0/16", 1),
			[]string{`design.yaml:5: syntax error: cannot unmarshal !!str`}},
		{"missing version", strings.Replace(base, "egress: v1", "egress: v2", 1),
			[]string{`design.yaml:1:1: egress "v2": invalid value: a native design starts with "egress: v1"`}},
		{"subnet outside its vnet", strings.Replace(base, "10.1.1.0/24", "10.2.1.0/24", 1),
			[]string{`design.yaml:7:9: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/snet-1: addressPrefix "10.2.1.0/24": invalid value: outside the VNet's address space [10.1.0.0/16]`}},
		{"overlapping subnets", base + "      - {name: snet-2, prefix: 10.1.1.128/25}\n",
			[]string{`design.yaml:8:9:`, `snet-2: addressPrefix "10.1.1.128/25": overlapping addresses: overlaps subnet "snet-1" (10.1.1.0/24)`}},
		{"duplicate subnet names", base + "      - {name: SNET-1, prefix: 10.1.2.0/24}\n",
			[]string{`duplicate`}},
		{"host bits", strings.Replace(base, "10.1.1.0/24", "10.1.1.1/24", 1),
			[]string{`design.yaml:7:9: vnet "vnet-a": subnet "snet-1": prefix "10.1.1.1/24": invalid value: host bits set; did you mean 10.1.1.0/24?`}},
		{"subnet too small", strings.Replace(base, "10.1.1.0/24", "10.1.1.0/30", 1),
			[]string{`IPv4 subnets are /2 to /29`}},
		{"NSG on AzureFirewallSubnet", base + "      - {name: AzureFirewallSubnet, prefix: 10.1.9.0/26, nsg: nsg-x}\nnsgs: [{name: nsg-x}]\n",
			[]string{`networkSecurityGroup`, `not allowed: Azure does not support an NSG on AzureFirewallSubnet`}},
		{"NAT gateway on GatewaySubnet", base + "      - {name: GatewaySubnet, prefix: 10.1.255.0/27, natGateway: nat}\nnatGateways: [{name: nat}]\n",
			[]string{`not allowed: a NAT gateway cannot be associated with GatewaySubnet`}},
		{"NIC IP outside its subnet", base + "nics: [{name: nic1, subnet: vnet-a/snet-1, ip: 10.1.2.4}]\n",
			[]string{`design.yaml:8:8:`, `privateIPAddress "10.1.2.4": invalid value: outside its subnet [10.1.1.0/24]`}},
		{"NIC on a reserved address", base + "nics: [{name: nic1, subnet: vnet-a/snet-1, ip: 10.1.1.3}]\n",
			[]string{`Azure reserves the first four and the last address of subnet 10.1.1.0/24`}},
		{"duplicate NIC addresses", base + "nics: [{name: nic1, subnet: vnet-a/snet-1, ip: 10.1.1.4}, {name: nic2, subnet: vnet-a/snet-1, ip: 10.1.1.4}]\n",
			[]string{`duplicate: also the address of NIC "nic1"`}},
		{"overlapping peered address spaces", base + `    peerings: [{remote: vnet-b}]
  - name: vnet-b
    addressSpace: [10.1.128.0/17]
    peerings: [{remote: vnet-a}]
`, []string{`remoteAddressSpace "10.1.128.0/17": overlapping addresses: overlaps the local address space`}},
		{"two peers overlap each other", base + `    peerings: [{remote: vnet-b}, {remote: vnet-c}]
  - {name: vnet-b, addressSpace: [10.2.0.0/16]}
  - {name: vnet-c, addressSpace: [10.2.0.0/24]}
`, []string{`overlaps the address space of "vnet-b", also peered with "vnet-a"`}},
		{"bad route (from package route, positioned)", base + `routeTables:
  - name: rt
    routes:
      - {name: ok, prefix: 0.0.0.0/0, nextHop: Internet}
      - {name: bad, prefix: 10.0.0.0/8, nextHop: VirtualAppliance}
`, []string{`design.yaml:12:9: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/routeTables/rt: route "bad" (#1): nextHopIpAddress: missing`}},
		{"bad NSG rule (from package nsg, positioned)", strings.Replace(base, "prefix: 10.1.1.0/24}", "prefix: 10.1.1.0/24, nsg: nsg-a}", 1) + `nsgs:
  - name: nsg-a
    rules:
      - {name: r1, priority: 100, direction: Outbound, access: Deny, destination: Internet}
      - {name: r2, priority: 100, direction: Outbound, access: Deny, destination: 10.0.0.0/8}
`, []string{`design.yaml:12:9:`, `r2`, `priority`}},
		{"NAT gateway with too many IPs", base + "natGateways: [{name: nat, publicIps: [p1,p2,p3,p4,p5,p6,p7,p8,p9,p10,p11,p12,p13,p14,p15,p16,p17]}]\n",
			[]string{`17 public IPv4 addresses (prefixes counted in full), at most 16`}},
		// nat-sku: a Standard NAT gateway is IPv4-only and subnet-attached; StandardV2 needs StandardV2 public IPs.
		{"NAT gateway SKU rules", base + `  - {name: vnet-b, addressSpace: [10.2.0.0/16]}
publicIps:
  - {name: pip6, ip: "2001:db8::1", sku: StandardV2}
  - {name: pip4, ip: 20.0.0.1, sku: Standard}
publicIpPrefixes:
  - {name: pfx, prefix: 20.0.1.0/28, sku: StandardV2}
natGateways:
  - {name: nat-std, publicIps: [pip6], vnet: vnet-a}
  - {name: nat-v2, sku: StandardV2, publicIps: [pip4], publicIpPrefixes: [pfx]}
  - {name: nat-odd, sku: Premium}
`, []string{`natGateways/nat-std: publicIpAddresses "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/publicIPAddresses/pip6": not allowed: a Standard NAT gateway uses IPv4 public IPs only; IPv6 needs StandardV2`,
			`natGateways/nat-std: sourceVirtualNetwork "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-a": not allowed: only a StandardV2 NAT gateway attaches to a whole virtual network`,
			`natGateways/nat-v2: publicIpAddresses "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/publicIPAddresses/pip4": not allowed: a StandardV2 NAT gateway requires StandardV2 public IPs and prefixes, not Standard`,
			`natGateways/nat-v2: publicIpAddresses: over Azure's limit: 17 public IPv4 addresses (prefixes counted in full), at most 16`,
			`natGateways/nat-odd: sku.name "Premium": invalid value: want Standard or StandardV2`}},
		{"ASG members in two VNets", base + `  - name: vnet-b
    addressSpace: [10.2.0.0/16]
    subnets: [{name: s, prefix: 10.2.1.0/24}]
asgs: [asg-web]
nics:
  - {name: nic1, subnet: vnet-a/snet-1, ip: 10.1.1.4, asgs: [asg-web]}
  - {name: nic2, subnet: vnet-b/s, ip: 10.2.1.4, asgs: [asg-web]}
`, []string{`an ASG's members must share one VNet`}},
		// application-security-groups: an NSG's ASGs are in the VNet of the NICs it applies to.
		{"an NSG naming an ASG of another VNet", base + `  - name: vnet-b
    addressSpace: [10.2.0.0/16]
    subnets: [{name: s, prefix: 10.2.1.0/24}]
asgs: [asg-b]
nsgs:
  - name: nsg-a
    rules: [{name: r, priority: 100, direction: Inbound, access: Allow, protocol: Tcp, source: "*", destinationAsgs: [asg-b], destinationPorts: "443"}]
nics:
  - {name: nic1, subnet: vnet-a/snet-1, ip: 10.1.1.4, nsg: nsg-a}
  - {name: nic2, subnet: vnet-b/s, ip: 10.2.1.4, asgs: [asg-b]}
`, []string{`networkSecurityGroup "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/networkSecurityGroups/nsg-a": not allowed: its NSG "nsg-a" names an ASG of virtual network "vnet-b", the NIC is in "vnet-a"`}},
		{"a VM's NICs in two VNets", base + `  - name: vnet-b
    addressSpace: [10.2.0.0/16]
    subnets: [{name: s, prefix: 10.2.1.0/24}]
nics:
  - {name: nic1, subnet: vnet-a/snet-1, ip: 10.1.1.4, vm: vm1}
  - {name: nic2, subnet: vnet-b/s, ip: 10.2.1.4, vm: vm1}
`, []string{`design.yaml:13:5:`, `virtualMachine "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Compute/virtualMachines/vm1": invalid value: the VM's NIC "nic1" is in VNet "vnet-a", this one in "vnet-b"`}},
		// virtual-network-manage-peering#create-a-peering: "Only one peering for this virtual network can have this setting enabled".
		{"two peerings use remote gateways", base + `    peerings: [{remote: hub1, useRemoteGateways: true}, {remote: hub2, useRemoteGateways: true}]
  - name: hub1
    addressSpace: [10.2.0.0/16]
    subnets: [{name: GatewaySubnet, prefix: 10.2.255.0/27}]
    peerings: [{remote: vnet-a, allowGatewayTransit: true}]
  - name: hub2
    addressSpace: [10.3.0.0/16]
    subnets: [{name: GatewaySubnet, prefix: 10.3.255.0/27}]
    peerings: [{remote: vnet-a, allowGatewayTransit: true}]
gateways: [{name: gw1, vnet: hub1}, {name: gw2, vnet: hub2}]
`, []string{`design.yaml:8:57:`, `vnet-a-to-hub2: useRemoteGateways "true": not allowed: peering "vnet-a-to-hub1" already uses the remote gateway; Azure allows one such peering per virtual network`}},
		// virtual-network-manage-peering#create-a-peering: "You can't use remote gateways if you already have a gateway configured in your virtual network".
		{"remote gateway with a gateway of its own", strings.Replace(base, "prefix: 10.1.1.0/24}", "prefix: 10.1.1.0/24}\n      - {name: GatewaySubnet, prefix: 10.1.255.0/27}", 1) + `    peerings: [{remote: hub1, useRemoteGateways: true}]
  - name: hub1
    addressSpace: [10.2.0.0/16]
    subnets: [{name: GatewaySubnet, prefix: 10.2.255.0/27}]
    peerings: [{remote: vnet-a, allowGatewayTransit: true}]
gateways: [{name: gw1, vnet: hub1}, {name: gw-a, vnet: vnet-a}]
`, []string{`not allowed: the virtual network has its own gateway "gw-a"; it cannot use a remote one`}},
		// site-to-site-tunneling: the default site is on a VPN gateway.
		{"default site on ExpressRoute", strings.Replace(base, "prefix: 10.1.1.0/24}", "prefix: 10.1.1.0/24}\n      - {name: GatewaySubnet, prefix: 10.1.255.0/27}", 1) +
			"localNetworkGateways: [{name: dc, gatewayIp: 203.0.113.1, addressPrefixes: [192.168.0.0/16]}]\ngateways: [{name: gw, vnet: vnet-a, type: ExpressRoute, defaultSite: dc}]\n",
			[]string{`not allowed: only a VPN gateway has a default site`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.yaml)
			require.Error(t, err)
			for _, w := range tt.wants {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestValidateReportsAllProblemsTogether(t *testing.T) {
	yaml := base + `      - {name: snet-2, prefix: 10.9.0.0/24, routeTable: nope}
nics:
  - {name: nic1, subnet: vnet-a/snet-1, ip: 10.1.7.4}
`
	m, err := topology.ParseNative("design.yaml", []byte(yaml))
	require.NoError(t, err)
	err = m.ValidateStrict(defaultTags(t))
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "outside the VNet's address space")
	assert.Contains(t, msg, "no route table with this ID in the input")
	assert.Contains(t, msg, "outside its subnet")
	assert.GreaterOrEqual(t, strings.Count(msg, "\n"), 2)
}

// A reference to a resource the input does not contain is external: not an
// error of Validate (exports reference what they do not hold), listed by
// Check, an error of ValidateStrict.
func TestExternalReferences(t *testing.T) {
	yaml := strings.Replace(base, "prefix: 10.1.1.0/24}", "prefix: 10.1.1.0/24, routeTable: rt-elsewhere, nsg: nsg-elsewhere}", 1) +
		"    peerings: [{remote: vnet-far, remoteAddressSpace: [10.9.0.0/16]}]\n"
	m, err := topology.ParseNative("design.yaml", []byte(yaml))
	require.NoError(t, err)
	require.NoError(t, m.Validate(defaultTags(t)), "external references do not fail the load")
	c := m.Check(defaultTags(t))
	require.Empty(t, c.Errors)
	require.Len(t, c.External, 3)
	var got []string
	for _, e := range c.External {
		assert.ErrorIs(t, e, topology.ErrExternal)
		got = append(got, e.Error())
	}
	assert.Contains(t, strings.Join(got, "\n"), `design.yaml:7:9:`)
	assert.Contains(t, strings.Join(got, "\n"), `routeTable "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/routeTables/rt-elsewhere": not in the input: no route table with this ID in the input`)
	assert.Contains(t, strings.Join(got, "\n"), `remoteVirtualNetwork "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-far": not in the input`)
	err = m.ValidateStrict(defaultTags(t))
	require.Error(t, err)
	assert.ErrorIs(t, err, topology.ErrExternal)
}

func TestHostileYAML(t *testing.T) {
	// A billion-laughs alias bomb fails cleanly (yaml.v3 limits alias expansion).
	bomb := "egress: v1\na: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
	_, err := topology.ParseNative("bomb.yaml", []byte(bomb))
	require.Error(t, err)
	deep := "egress: v1\nvnets: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n"
	_, err = topology.ParseNative("deep.yaml", []byte(deep))
	require.Error(t, err)
	for _, s := range []string{"", "egress: v1\n---\negress: v1\n", "\x00\x01", "vnets: {", "- a\n- b\n"} {
		_, err := topology.ParseNative("x.yaml", []byte(s))
		assert.Error(t, err, "%q", s)
	}
}

func FuzzParseNative(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte("egress: v1\nnics: [{name: a, subnet: v/s, ip: 10.0.0.4}]\n"))
	if data, err := os.ReadFile("testdata/annotated.yaml"); err == nil {
		f.Add(data) // every field, the web apps' and AI accounts' among them
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := topology.ParseNative("fuzz.yaml", data)
		if err != nil {
			return
		}
		_ = m.Validate(nil) // must not panic
	})
}
