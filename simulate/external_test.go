package simulate_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// spokeAlone is a spoke exported without its hub: the hub VNet, its
// firewall (the 0/0 next hop) and its gateway are in another subscription;
// the peering records the hub's address space (remoteAddressSpace).
const spokeAlone = `egress: v1
location: eastus
vnets:
  - name: spoke
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: app, prefix: 10.1.1.0/24, routeTable: rt-app, nsg: nsg-app}
    peerings:
      - {name: to-hub, remote: /subscriptions/1111/resourceGroups/hub/providers/Microsoft.Network/virtualNetworks/vnet-hub,
         remoteAddressSpace: [10.0.0.0/16], useRemoteGateways: true, allowForwardedTraffic: true}
routeTables:
  - name: rt-app
    routes: [{name: default, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.1.4}]
nsgs:
  - name: nsg-app
    rules: [{name: no-smb, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: "*", destinationPorts: "445"}]
nics:
  - {name: vm1, subnet: spoke/app, ip: 10.1.1.4}
  - {name: vm2, subnet: spoke/app, ip: 10.1.1.5}
`

// A resource the input references but does not contain is external: what
// the referring resource says of it is used, and a flow whose answer depends
// on what is unknown about it is Unknown, naming it — never a guess, never
// an error (issue 10).
func TestSpokeExportedAlone(t *testing.T) {
	e := engine(t, spokeAlone, simulate.Options{})
	r := trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonExternal, r.ReasonCode)
	last := r.Hops[len(r.Hops)-1]
	assert.Equal(t, "vnet-hub", last.Name)
	assert.Contains(t, last.Note, "the next hop 10.0.1.4 is in VNet vnet-hub, which is not in the input")

	r = trace(t, e, "vm1", "10.0.2.4", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonExternal, r.ReasonCode)
	assert.Equal(t, "VNetPeering", r.Hops[0].Route.NextHopType.String(), "the peering route comes from remoteAddressSpace")

	// Inside the spoke nothing unknown can interfere: VnetLocal beats every
	// gateway route.
	r = trace(t, e, "vm1", "10.1.1.5", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Empty(t, r.Assumptions)
	// A known deny is a deny.
	r = trace(t, e, "vm1", "52.1.2.3", 445)
	assert.Equal(t, simulate.Denied, r.Verdict)

	// The 0/0 UDR could be overridden by a more specific route the hub's
	// gateway propagates: named.
	r = trace(t, e, "vm1", "10.7.0.1", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "uses the gateway of VNet vnet-hub, which is not in the input")
	assert.Contains(t, strings.Join(e.Unknowns(), "\n"), "vnet-hub")
}

func TestExternalAndRejectedResources(t *testing.T) {
	design := func(subnet, nic, doc string) string { return one(subnet, nic, doc) }
	tests := []struct {
		name, subnet, nic, doc string
		to                     string
		proto                  ipproto.Proto
		verdict                simulate.Verdict
		method                 simulate.Method
		says                   string
	}{
		{"route table not in the input", ", routeTable: rt-elsewhere", "", "", "52.1.2.3", ipproto.TCP, simulate.Unknown, simulate.MethodDefaultOutbound,
			"route table rt-elsewhere of subnet snet is not in the input"},
		{"NIC NSG not in the input", "", ", nsg: nsg-elsewhere", "", "52.1.2.3", ipproto.TCP, simulate.Unknown, simulate.MethodDefaultOutbound,
			"NSG nsg-elsewhere is not in the input"},
		{"NAT gateway not in the input: TCP leaves by it", ", natGateway: nat-elsewhere", "", "", "52.1.2.3", ipproto.TCP, simulate.Allowed, simulate.MethodNATGateway,
			"NAT gateway nat-elsewhere of subnet snet is not in the input: its public IPs are unknown"},
		{"NAT gateway not in the input: ICMP depends on its SKU", ", natGateway: nat-elsewhere", "", "", "52.1.2.3", ipproto.ICMP, simulate.Unknown, simulate.MethodNATGateway,
			"whether its SKU carries ICMP"},
		{"public IP not in the input", "", ", publicIp: pip-elsewhere", "", "52.1.2.3", ipproto.TCP, simulate.Allowed, simulate.MethodInstancePublicIP,
			"public IP pip-elsewhere is not in the input"},
		{"load balancer pool not in the input", "", ", backendPools: [lb-elsewhere/pool]", "", "52.1.2.3", ipproto.TCP, simulate.Unknown, simulate.MethodLoadBalancer,
			"whether it gives outbound connectivity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine(t, design(tt.subnet, tt.nic, tt.doc), simulate.Options{})
			r, err := e.Trace(simulate.Flow{From: "vm", To: netip.MustParseAddr(tt.to), Protocol: tt.proto, Port: 443})
			require.NoError(t, err)
			agree(t, e, mustNIC(t, e, "vm"), netip.MustParseAddr(tt.to), tt.proto, 443)
			assert.Equal(t, tt.verdict, r.Verdict, "%s", r)
			assert.Equal(t, tt.method, r.EgressMethod)
			assert.Contains(t, strings.Join(r.Assumptions, "\n"), tt.says)
			assert.Empty(t, r.EgressIPs, "an unknown address is not guessed")
		})
	}
}

// An object Azure would reject (an NSG rule with priority 5) is reported by
// validate, and a trace still answers every flow that object cannot affect,
// with Unknown ("Azure would reject NSG x") for those it can: one bad rule
// must not stop every command (issue 10).
func TestRejectedNSGAffectsOnlyItsFlows(t *testing.T) {
	design := `egress: v1
location: eastus
vnets:
  - name: vnet
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: good, prefix: 10.1.1.0/24}
      - {name: bad, prefix: 10.1.2.0/24, nsg: nsg-bad}
nsgs:
  - name: nsg-bad
    rules: [{name: r1, priority: 5, direction: Outbound, access: Deny, protocol: "*"}]
nics:
  - {name: vm-good, subnet: vnet/good, ip: 10.1.1.4}
  - {name: vm-bad, subnet: vnet/bad, ip: 10.1.2.4}
`
	m, err := topology.ParseNative("design.yaml", []byte(design))
	require.NoError(t, err)
	c := m.Check(tags(t))
	require.Empty(t, c.Errors)
	require.Len(t, c.Rejected, 1, "validate reports the rule")
	assert.Contains(t, c.Rejected[0].Error(), "priority")
	e, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err, "the rest of the model compiles")
	r := trace(t, e, "vm-good", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	r = trace(t, e, "vm-bad", "52.1.2.3", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "Azure would reject NSG nsg-bad")
	r = trace(t, e, "vm-good", "10.1.2.4", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "inbound through the rejected NSG\n%s", r)
}

// A NAT gateway or firewall whose public IPs are outside the input still
// takes the traffic (nat-overview precedence); only the address is unknown.
func TestEgressThroughPublicIPsOutsideTheInput(t *testing.T) {
	design := strings.Replace(one(", natGateway: nat", "", ""), "{name: nat, publicIps: [pip-nat1, pip-nat2]}", "{name: nat, publicIps: [pip-far]}", 1)
	e := engine(t, design, simulate.Options{})
	r := trace(t, e, "vm", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod, "not default outbound access")
	assert.Empty(t, r.EgressIPs)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "NAT gateway nat: public IP pip-far not in the input")

	design = strings.Replace(hubSpokeWith("rt-fw", "true"), "publicIps: [pip-fw]}", "publicIps: [pip-fw, pip-fw-far]}", 1)
	e = engine(t, design, simulate.Options{Firewall: simulate.FirewallAllow})
	r = trace(t, e, "vm1", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, "20.0.1.1", ips(r), "the known address, and the assumption that others exist")
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "firewall fw: public IP pip-fw-far not in the input")
}

// A NIC read with $expand=ipConfigurations/publicIPAddress carries its
// public IP whole (Network Interfaces - Get,
// https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/get):
// exported without the public IP's own resource, the flow still leaves from
// its address; exported with it, the resource is the one used.
func TestExpandedPublicIPOfNIC(t *testing.T) {
	const rg = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/"
	const vnet = `{"id": "` + rg + `virtualNetworks/vnet", "type": "Microsoft.Network/virtualNetworks", "location": "eastus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
  "subnets": [{"name": "app", "properties": {"addressPrefix": "10.0.1.0/24"}}]}}`
	const nic = `{"id": "` + rg + `networkInterfaces/nic-app", "type": "Microsoft.Network/networkInterfaces", "location": "eastus", "properties": {"ipConfigurations": [{"name": "ipconfig1",
  "properties": {"privateIPAddress": "10.0.1.4", "subnet": {"id": "` + rg + `virtualNetworks/vnet/subnets/app"},
   "publicIPAddress": {"id": "` + rg + `publicIPAddresses/pip-app", "name": "pip-app", "location": "eastus", "sku": {"name": "Standard"},
    "properties": {"publicIPAllocationMethod": "Static", "ipAddress": "20.1.2.3"}}}}]}}`
	build := func(in string) *simulate.Engine {
		m, err := topology.ParseARM("nic.json", []byte(in))
		require.NoError(t, err)
		v := m.Check(tags(t))
		require.Empty(t, v.Errors)
		require.Empty(t, v.External, "the expansion is the public IP")
		e, err := compile(m, tags(t), simulate.Options{})
		require.NoError(t, err)
		return e
	}
	r := trace(t, build("["+vnet+","+nic+"]"), "nic-app", "52.1.2.3", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodInstancePublicIP, r.EgressMethod, "%s", r)
	assert.Equal(t, "20.1.2.3", ips(r))

	pip := `{"id": "` + rg + `publicIPAddresses/pip-app", "type": "Microsoft.Network/publicIPAddresses", "location": "eastus", "sku": {"name": "Standard"},
  "properties": {"ipAddress": "20.1.2.99"}}`
	r = trace(t, build("["+vnet+","+nic+","+pip+"]"), "nic-app", "52.1.2.3", 443)
	assert.Equal(t, "20.1.2.99", ips(r), "the resource itself wins over the expansion")

	// Without the expansion the address is unknown.
	m, err := topology.ParseARM("nic.json", []byte("["+vnet+","+strings.Replace(nic, `"ipAddress": "20.1.2.3"`, `"x": 1`, 1)+"]"))
	require.NoError(t, err)
	assert.NotEmpty(t, m.Check(tags(t)).External)
}
