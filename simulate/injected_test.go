package simulate_test

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/simulate/internal/walkref"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// injectedDesign: a VM subnet, a subnet delegated to Azure Container
// Instances with an NSG and a NAT gateway, a second one without NAT
// gateway, and a subnet delegated to PostgreSQL flexible servers.
const injectedDesign = `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: vm, prefix: 10.1.1.0/24}
      - {name: aci, prefix: 10.1.2.0/24, nsg: nsg-aci, natGateway: nat, delegations: [Microsoft.ContainerInstance/containerGroups]}
      - {name: aci-bare, prefix: 10.1.4.0/24, delegations: [Microsoft.ContainerInstance/containerGroups]}
      - {name: aci-private, prefix: 10.1.5.0/24, defaultOutboundAccess: false, delegations: [Microsoft.ContainerInstance/containerGroups]}
      - {name: pg, prefix: 10.1.3.0/24, delegations: [Microsoft.DBforPostgreSQL/flexibleServers]}
nsgs:
  - name: nsg-aci
    rules:
      - {name: deny-ssh-in, priority: 100, direction: Inbound, access: Deny, protocol: Tcp, source: "*", destination: "*", destinationPorts: "22"}
      - {name: deny-smb-out, priority: 110, direction: Outbound, access: Deny, protocol: Tcp, source: "*", destination: Internet, destinationPorts: "445"}
publicIps:
  - {name: pip-nat, ip: 20.0.0.7}
natGateways:
  - {name: nat, publicIps: [pip-nat]}
nics:
  - {name: vm1, subnet: v/vm, ip: 10.1.1.4}
containerGroups:
  - {name: aci-web, subnet: v/aci, ip: 10.1.2.4, ports: [{port: 443}]}
  - {name: aci-noaddr, subnet: v/aci-bare}
  - {name: aci-private, subnet: v/aci-private, ip: 10.1.5.4}
flexibleServers:
  - {name: pg-orders, engine: PostgreSQL, subnet: v/pg, publicNetworkAccess: Disabled}
`

// traceInj traces from a source by name, holding TraceFrom to its
// reference-lookup twin.
func traceInj(t *testing.T, e *simulate.Engine, from, to string, proto ipproto.Proto, port uint16) *simulate.Result {
	t.Helper()
	s, err := e.Source(from)
	require.NoError(t, err)
	f := simulate.Flow{To: netip.MustParseAddr(to), Protocol: proto, Port: port}
	r, err := e.TraceFrom(s, f)
	require.NoError(t, err)
	ref, err := simulate.ReferenceTraceFrom(e, s, f)
	require.NoError(t, err)
	assert.Equal(t, r.String(), ref.String(), "TraceFrom and its reference lookups disagree")
	return r
}

// A container group's address in its delegated subnet is a destination
// like a NIC's, behind its subnet's inbound NSG ("Use NSG rules to control
// container access to subnets or other network resources",
// container-instances-virtual-network-concepts).
func TestContainerInstancesVirtualNetworkConceptsDestination(t *testing.T) {
	e := engine(t, injectedDesign, simulate.Options{})
	r := trace(t, e, "vm1", "10.1.2.4", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonDelivered, r.ReasonCode)
	assert.Equal(t, simulate.MethodPrivate, r.EgressMethod)
	last := r.Hops[len(r.Hops)-1]
	assert.Equal(t, simulate.HopDestination, last.Kind)
	assert.Equal(t, "aci-web", last.Name)
	assert.Contains(t, last.Security, simulate.SecurityStep{Direction: "Inbound", Stage: simulate.StageSubnetNSG, Group: "nsg-aci", Access: "Allow", Rule: "defaultSecurityRules/AllowVnetInBound"}, "%s", r)

	r = trace(t, e, "vm1", "10.1.2.4", 22)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonDeniedIn, r.ReasonCode)
	assert.Equal(t, "SubnetNSG nsg-aci: securityRules/deny-ssh-in", r.DecidedBy)

	// Another address of the subnet: no resource of the input has it.
	r = trace(t, e, "vm1", "10.1.2.9", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonDelegatedSubnet, r.ReasonCode)
}

// A flexible server's address is not in its ARM resource: a flow to its
// delegated subnet stays Unknown, naming the server
// (https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private).
func TestConceptsNetworkingPrivateFlexibleServerAddressUnknown(t *testing.T) {
	e := engine(t, injectedDesign, simulate.Options{})
	r := trace(t, e, "vm1", "10.1.3.4", 5432)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonDelegatedSubnet, r.ReasonCode)
	last := r.Hops[len(r.Hops)-1]
	assert.Equal(t, "v/pg", last.Name)
	assert.Contains(t, last.Note, "PostgreSQL flexible server pg-orders is in subnet v/pg")
	assert.Contains(t, last.Note, "its address is not in the input")

	// A container group without an address holds its subnet's the same way.
	r = trace(t, e, "vm1", "10.1.4.4", 80)
	assert.Equal(t, simulate.ReasonDelegatedSubnet, r.ReasonCode, "%s", r)
	assert.Contains(t, r.Hops[len(r.Hops)-1].Note, "container group aci-noaddr is in subnet v/aci-bare")

	// Not a flow source: Learn documents no outbound path of its own.
	_, err := e.Source("pg-orders")
	var ns *simulate.NotSimulatedError
	require.True(t, errors.As(err, &ns), "%v", err)
	assert.ErrorIs(t, err, simulate.ErrNotSimulated)
	assert.Contains(t, err.Error(), "PostgreSQL flexible server pg-orders")
}

// A container group's outbound flow is walked from its subnet with its own
// address, and leaves through the subnet's NAT gateway
// (https://learn.microsoft.com/azure/container-instances/container-instances-nat-gateway).
func TestContainerInstancesNATGateway(t *testing.T) {
	e := engine(t, injectedDesign, simulate.Options{})
	s, err := e.Source("aci-web")
	require.NoError(t, err)
	assert.Equal(t, simulate.SourceContainerGroup, s.Kind())
	assert.Equal(t, "ContainerGroup aci-web", s.String())
	r := traceInj(t, e, "aci-web", "52.1.2.3", ipproto.TCP, 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.0.0.7")}, r.EgressIPs)
	assert.Equal(t, netip.MustParseAddr("10.1.2.4"), r.Flow.Source)
	assert.Equal(t, simulate.HopSource, r.Hops[0].Kind)
	assert.Equal(t, "aci-web", r.Hops[0].Name)

	// The subnet's outbound NSG applies.
	r = traceInj(t, e, "aci-web", "52.1.2.3", ipproto.TCP, 445)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	assert.Equal(t, "SubnetNSG nsg-aci: securityRules/deny-smb-out", r.DecidedBy)

	// To a VM in the VNet.
	r = traceInj(t, e, "aci-web", "10.1.1.4", ipproto.TCP, 22)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, "vm1", r.Hops[len(r.Hops)-1].Name)

	// IPv6: "IPv6 addresses aren't supported at this time".
	r = traceInj(t, e, "aci-web", "2001:db8::1", ipproto.TCP, 443)
	assert.Equal(t, simulate.ReasonNoSourceAddress, r.ReasonCode, "%s", r)

	// "Outbound connections to port 25 and 19390 aren't supported".
	r = traceInj(t, e, "aci-web", "52.1.2.3", ipproto.TCP, 19390)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "port 19390 aren't supported")
}

// Without a NAT gateway, Learn's only supported outbound configuration,
// whether a container group reaches the internet is undocumented;
// from a private subnet it does not.
func TestContainerInstancesWithoutNATGateway(t *testing.T) {
	e := engine(t, injectedDesign, simulate.Options{})
	r := traceInj(t, e, "aci-noaddr", "52.1.2.3", ipproto.TCP, 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodDefaultOutbound, r.EgressMethod)
	all := strings.Join(r.Assumptions, "\n")
	assert.Contains(t, all, "A-30: Learn calls a NAT gateway the only supported outbound configuration")
	assert.Contains(t, all, "aci-noaddr's address (ipAddress.ip) is not in the input: rules are evaluated for 10.1.4.4")
	assert.Equal(t, netip.MustParseAddr("10.1.4.4"), r.Flow.Source)
	text, ok := simulate.PaaSAssumption("A-30")
	assert.True(t, ok)
	assert.Contains(t, text, "NAT gateway")

	r = traceInj(t, e, "aci-private", "52.1.2.3", ipproto.TCP, 443)
	assert.Equal(t, simulate.NoEgress, r.Verdict, "%s", r)
	assert.Contains(t, r.Reason, "subnet aci-private is private and has no NAT gateway")
}

// A container group outside any virtual network is not simulated.
func TestPublicContainerGroupNotSimulated(t *testing.T) {
	e := engine(t, strings.Replace(injectedDesign, "flexibleServers:", "  - {name: aci-public, ipAddressType: Public}\nflexibleServers:", 1), simulate.Options{})
	_, err := e.Source("aci-public")
	assert.ErrorIs(t, err, simulate.ErrNotSimulated)
	assert.Contains(t, err.Error(), "container group aci-public is in no virtual network")
}

// Audit names a container group whose internet traffic meets no NAT
// gateway, Learn's only supported outbound configuration
// (container-instances-virtual-network-concepts), and none with one, nor
// one in a private subnet (it has no way out, as meant).
func TestAuditContainerGroupNoNATGateway(t *testing.T) {
	e := engine(t, injectedDesign, simulate.Options{})
	var got []simulate.Finding
	for _, f := range e.Audit().Findings {
		if f.Check == simulate.CheckContainerGroupNoNAT {
			got = append(got, f)
		}
	}
	require.Len(t, got, 1)
	f := got[0]
	assert.Equal(t, simulate.ScopeContainerGroup, f.Scope.Kind)
	assert.Equal(t, "aci-noaddr", f.Scope.Name)
	assert.Equal(t, simulate.SeverityMedium, f.Severity)
	assert.Contains(t, f.Message, "subnet v/aci-bare has no NAT gateway")
	assert.Contains(t, f.Message, "A-30")
	// Proved on the map, with a witness traced from the group.
	assert.Contains(t, f.Message, "proved over every address, protocol and port")
	require.NotNil(t, f.Witness)
	assert.Equal(t, simulate.MethodDefaultOutbound, f.Witness.Method)
	assert.Contains(t, f.Witness.Path, "Source aci-noaddr")
	assert.NotEmpty(t, f.Classes)
	assert.Contains(t, f.Evidence, "aci-noaddr -> 52.")
}

// A container group whose subnet's NSG lets only UDP out to the internet:
// the audit's HTTPS probe is denied, but the egress map proves that UDP
// leaves by default outbound access, with a UDP witness.
func TestAuditContainerGroupNoNATProved(t *testing.T) {
	const design = `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: aci, prefix: 10.1.4.0/24, nsg: nsg-udp, delegations: [Microsoft.ContainerInstance/containerGroups]}
nsgs:
  - name: nsg-udp
    rules:
      - {name: allow-ntp, priority: 100, direction: Outbound, access: Allow, protocol: Udp, source: "*", destination: Internet, destinationPorts: "123"}
      - {name: deny-internet, priority: 200, direction: Outbound, access: Deny, protocol: "*", source: "*", destination: Internet, destinationPorts: "*"}
containerGroups:
  - {name: aci-ntp, subnet: v/aci, ip: 10.1.4.4}
`
	e := engine(t, design, simulate.Options{})
	r, err := e.TraceFrom(mustSource(t, e, "aci-ntp"), simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.TCP, Port: 443})
	require.NoError(t, err)
	require.Equal(t, simulate.Denied, r.Verdict, "the HTTPS probe sees nothing")
	var got []simulate.Finding
	for _, f := range e.Audit().Findings {
		if f.Check == simulate.CheckContainerGroupNoNAT {
			got = append(got, f)
		}
	}
	require.Len(t, got, 1)
	f := got[0]
	require.NotNil(t, f.Witness)
	assert.Equal(t, ipproto.UDP, f.Witness.Protocol)
	assert.Equal(t, uint16(123), f.Witness.Port)
	assert.Contains(t, f.Message, "Udp 123 to ")
	r, err = e.TraceFrom(mustSource(t, e, "aci-ntp"), simulate.Flow{To: f.Witness.Destination, Protocol: f.Witness.Protocol, Port: f.Witness.Port})
	require.NoError(t, err)
	assert.Equal(t, simulate.MethodDefaultOutbound, r.EgressMethod)
}

// From a container group the platform addresses are host-local, as from a
// VM (A-31: https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16
// speaks of VMs).
func TestWhatIsIPAddress168ContainerGroup(t *testing.T) {
	e := engine(t, injectedDesign, simulate.Options{})
	r := traceInj(t, e, "aci-web", "168.63.129.16", ipproto.UDP, 53)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodPlatform, r.EgressMethod)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "A-31: ")
}

// A container group whose subnet is not in the input is a source whose
// flows are Unknown, naming the subnet.
func TestContainerGroupSubnetOutsideInput(t *testing.T) {
	e := engine(t, strings.Replace(injectedDesign, "flexibleServers:", "  - {name: aci-far, subnet: /subscriptions/0/resourceGroups/x/providers/Microsoft.Network/virtualNetworks/far/subnets/aci, ip: 10.9.0.4}\nflexibleServers:", 1), simulate.Options{})
	r := traceInj(t, e, "aci-far", "52.1.2.3", ipproto.TCP, 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonExternal, r.ReasonCode)
	assert.Contains(t, r.String(), "its subnet aci is not in the input")
}

// TestUnknownNSGRuleValuesContainerGroup: the rules of a container group's
// subnet NSG with values a Terraform plan knows only after apply
// (topology.NSG.KnownAfterApply, widened to "*") make Unknown the flows
// they decide, from the group (outbound) and to it (inbound), as for a
// NIC's; TraceFrom, its reference lookups, Trace and the walk twin agree
// flow for flow, and the group's egress map holds its flows to TraceFrom.
func TestUnknownNSGRuleValuesContainerGroup(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 13))
	n := genTwinNetwork(r, 3, 3, storageAddr(t))
	var aci *topology.Subnet
	for _, s := range n.m.VNets[0].Subnets {
		if s.Name == "aci" {
			aci = s
		}
	}
	require.NotNil(t, aci)
	const sub = "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/"
	g := &topology.NSG{Meta: topology.Meta{ID: sub + "networkSecurityGroups/nsg-aci-plan", Name: "nsg-aci-plan"},
		Rules: []nsg.Rule{
			{Name: "deny-https-out", Priority: 100, Direction: nsg.Outbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP,
				SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "443"},
			{Name: "allow-dns-out", Priority: 110, Direction: nsg.Outbound, Access: nsg.Allow, Protocol: nsg.ProtocolUDP,
				SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "53"},
			{Name: "allow-web-in", Priority: 100, Direction: nsg.Inbound, Access: nsg.Allow, Protocol: nsg.ProtocolTCP,
				SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "8080"},
			{Name: "known-deny-ssh-in", Priority: 200, Direction: nsg.Inbound, Access: nsg.Deny, Protocol: nsg.ProtocolTCP,
				SourceAddressPrefix: "*", SourcePortRange: "*", DestinationAddressPrefix: "*", DestinationPortRange: "22"},
		},
		KnownAfterApply: map[string]string{
			"deny-https-out": "destination_address_prefix known after apply (test)",
			"allow-dns-out":  "destination_address_prefix known after apply (test)",
			"allow-web-in":   "source_address_prefix known after apply (test)",
		}}
	n.m.NSGs = append(n.m.NSGs, g)
	aci.NSG = g.ID
	e, err := compile(n.m, tags(t), simulate.Options{})
	require.NoError(t, err)
	w := &twinWorld{m: n.m, e: e, tw: walkref.New(n.m, twinOptions(simulate.Options{}, tags(t))), dsts: n.dsts}
	var cg *topology.InjectedResource
	for _, x := range n.m.Injected {
		if x.Name == "aci1" {
			cg = x
		}
	}
	src := mustSource(t, e, string(cg.ID))
	var dis disagreements
	flows := 3000
	if testing.Short() {
		flows = 1000
	}
	from, to := map[string]int{}, 0
	for i := range flows {
		f := w.randomFlow(r)
		if i%2 == 0 {
			// From the group; now and then to its widened rules' ports.
			if r.IntN(3) == 0 {
				f.proto, f.port = []ipproto.Proto{ipproto.TCP, ipproto.UDP}[r.IntN(2)], []uint16{443, 53}[r.IntN(2)]
			}
			want := w.compareInjected(t, src, cg, f, &dis)
			res, err := e.TraceFrom(src, simulate.Flow{To: f.dst, Protocol: f.proto, Port: f.port, Host: f.host})
			require.NoError(t, err)
			if strings.Contains(strings.Join(res.Assumptions, "\n"), "known after apply (test)") {
				from[res.Verdict.String()]++
				assert.Equal(t, walkref.Unknown, want.Verdict, "%s", res)
				assert.Equal(t, simulate.Unknown, res.Verdict, "%s", res)
			}
			continue
		}
		// To the group, inbound through its subnet's rules.
		f.dst, f.proto, f.port = cg.IP, ipproto.TCP, []uint16{8080, 22, 443}[r.IntN(3)]
		w.compare(t, f, &dis)
		res, err := e.Trace(simulate.Flow{From: f.h.ID(), To: f.dst, Protocol: f.proto, Port: f.port})
		require.NoError(t, err)
		if strings.Contains(strings.Join(res.Assumptions, "\n"), "rule allow-web-in") {
			to++
			assert.Equal(t, simulate.Unknown, res.Verdict, "%s", res)
		}
	}
	assert.Zero(t, dis.total(), "%s", &dis)
	assert.Positive(t, from["Unknown"], "flows from the group meet the widened rules: %v", from)
	assert.Positive(t, to, "flows to the group meet the widened inbound rule")
	// The egress map: HTTPS is Unknown (a widened deny), not Denied.
	m, err := e.ReachFrom(src)
	require.NoError(t, err)
	c, ok := m.Lookup(netip.MustParseAddr("52.1.2.3"), ipproto.TCP, 443)
	require.True(t, ok)
	assert.Equal(t, simulate.Unknown, c.Decision.Verdict, e.Explain(c.Decision))
	for i := 0; i < 2000; i++ {
		f := w.randomFlow(r)
		cls, ok := m.Lookup(f.dst, f.proto, f.port)
		require.True(t, ok)
		res, err := e.TraceFrom(src, simulate.Flow{To: f.dst, Protocol: f.proto, Port: f.port})
		require.NoError(t, err)
		require.Equal(t, res.Verdict, cls.Decision.Verdict, "%v %v/%d", f.dst, f.proto, f.port)
		require.Equal(t, res.ReasonCode, cls.Decision.Reason, "%v %v/%d", f.dst, f.proto, f.port)
	}
}
