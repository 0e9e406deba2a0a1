package simulate_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// paasDesign: a spoke whose integration subnet has an NSG and a NAT
// gateway, a second integration subnet forced through a hub firewall, a
// database VM, AI accounts, and web apps with each generation of routing
// settings.
const paasDesign = `egress: v1
location: eastus
vnets:
  - name: vnet-hub
    addressSpace: [10.0.0.0/16]
    subnets:
      - {name: AzureFirewallSubnet, prefix: 10.0.1.0/26}
    peerings:
      - {remote: vnet-app, allowForwardedTraffic: true}
  - name: vnet-app
    addressSpace: [10.20.0.0/16]
    subnets:
      - {name: snet-int, prefix: 10.20.1.0/26, nsg: nsg-int, natGateway: nat-app, delegations: [Microsoft.Web/serverFarms],
         serviceEndpoints: [Microsoft.Storage]}
      - {name: snet-int-fw, prefix: 10.20.2.0/26, routeTable: rt-to-fw, delegations: [Microsoft.Web/serverFarms]}
      - {name: snet-vm, prefix: 10.20.3.0/24}
    peerings:
      - {remote: vnet-hub, allowForwardedTraffic: true}
routeTables:
  - name: rt-to-fw
    routes:
      - {name: default-via-fw, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.0.1.4}
nsgs:
  - name: nsg-int
    rules:
      - {name: deny-smb-out, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: Internet, destinationPorts: "445"}
      - {name: deny-db, priority: 110, direction: Outbound, access: Deny, protocol: Tcp, destination: 10.20.3.0/24, destinationPorts: "5432"}
nics:
  - {name: nic-db, subnet: vnet-app/snet-vm, ip: 10.20.3.4}
privateEndpoints:
  - {name: pe-kv, subnet: vnet-app/snet-vm, ip: 10.20.3.10, service: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/data/providers/Microsoft.KeyVault/vaults/kv", groupId: vault}
publicIps:
  - {name: pip-nat, ip: 20.30.40.50}
  - {name: pip-fw, ip: 20.81.10.1}
natGateways:
  - {name: nat-app, publicIps: [pip-nat]}
firewalls:
  - {name: fw-hub, vnet: vnet-hub, privateIp: 10.0.1.4, publicIps: [pip-fw], policy: fwpol}
firewallPolicies:
  - name: fwpol
    ruleCollectionGroups:
      - name: rcg
        priority: 200
        collections:
          - name: net-allow
            priority: 100
            action: Allow
            rules:
              - {name: https-out, type: NetworkRule, protocols: [TCP], sourceAddresses: ["10.20.0.0/16"], destinationAddresses: ["52.1.0.0/16"], destinationPorts: ["443"]}
aiAccounts:
  - {name: my-openai, kind: OpenAI, restrictOutboundNetworkAccess: true,
     allowedFqdns: [mysearch.search.windows.net, "*.contoso.com", 20.1.2.3]}
  - {name: oai-empty, kind: OpenAI, restrictOutboundNetworkAccess: true}
  - {name: vision-open, kind: ComputerVision}
  - {name: custom-kind, kind: TextAnalytics, restrictOutboundNetworkAccess: true, allowedFqdns: [a.example]}
webApps:
  - name: app-routed
    subnet: vnet-app/snet-int
    outboundVnetRouting: {applicationTraffic: true}
    outboundIpAddresses: [70.37.102.201, 20.225.43.144]
    possibleOutboundIpAddresses: [70.37.102.201, 20.225.43.144, 20.225.184.122]
  - name: app-private-only
    subnet: vnet-app/snet-int
    outboundIpAddresses: [40.1.1.1, 40.1.1.2]
  - name: app-fw
    subnet: vnet-app/snet-int-fw
    siteConfigVnetRouteAllEnabled: true
    outboundIpAddresses: [51.1.1.1]
  - name: app-legacy-setting
    subnet: vnet-app/snet-int-fw
    appSettings: [{name: WEBSITE_VNET_ROUTE_ALL, value: "1"}]
    outboundIpAddresses: [51.2.2.2]
  - name: app-public
    outboundIpAddresses: [60.1.1.1, 60.1.1.2]
  - name: app-gateway-required
    vnetName: vnet-legacy
  - name: app-no-ips
  - name: nic-db
`

func paasEngine(t *testing.T) *simulate.Engine {
	t.Helper()
	return engine(t, paasDesign, simulate.Options{})
}

func traceFrom(t *testing.T, e *simulate.Engine, from string, f simulate.Flow) *simulate.Result {
	t.Helper()
	s, err := e.Source(from)
	require.NoError(t, err)
	if f.Port == 0 && (f.Protocol == ipproto.Unknown || f.Protocol.HasPorts()) {
		f.Port = 443
	}
	r, err := e.TraceFrom(s, f)
	require.NoError(t, err)
	return r
}

func toHost(h string) simulate.Flow { return simulate.Flow{ToFQDN: h} }
func toAddr(a string) simulate.Flow { return simulate.Flow{To: netip.MustParseAddr(a)} }

func assumes(t *testing.T, r *simulate.Result, ids ...string) {
	t.Helper()
	all := strings.Join(r.Assumptions, "\n")
	for _, id := range ids {
		assert.Contains(t, all, id+": ", "assumption %s in %q", id, r.Assumptions)
	}
}

// TestCognitiveServicesDataLossPrevention follows
// https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention:
// with restrictOutboundNetworkAccess on, the account reaches only what
// allowedFqdnList names; off, anything. Undocumented points answer by the
// stated assumptions (paas-semantics §1.4).
func TestCognitiveServicesDataLossPrevention(t *testing.T) {
	e := paasEngine(t)
	tests := []struct {
		name    string
		from    string
		f       simulate.Flow
		verdict simulate.Verdict
		reason  simulate.Reason
		ids     []string
	}{
		{"listed FQDN allowed", "my-openai", toHost("mysearch.search.windows.net"), simulate.Allowed, simulate.ReasonAllowList, []string{"A-2", "A-3", "A-4", "A-5", "A-7", "A-10"}},
		{"issue 1050: mixed case host", "my-openai", toHost("MySearch.search.windows.net."), simulate.Allowed, simulate.ReasonAllowList, []string{"A-3", "A-4"}},
		{"unlisted host denied", "my-openai", toHost("evil.example"), simulate.Denied, simulate.ReasonNotInAllowList, []string{"A-2"}},
		{"subdomain not implied", "my-openai", toHost("x.mysearch.search.windows.net"), simulate.Denied, simulate.ReasonNotInAllowList, []string{"A-5"}},
		{"wildcard: Unknown, not a guess", "my-openai", toHost("api.contoso.com"), simulate.Unknown, simulate.ReasonAllowListUndecided, []string{"A-6"}},
		{"IPv4 entry (2025-01 revision)", "my-openai", toAddr("20.1.2.3"), simulate.Allowed, simulate.ReasonAllowList, []string{"A-9", "A-10"}},
		{"IP destination never matches a name", "my-openai", toAddr("52.1.2.3"), simulate.Denied, simulate.ReasonNotInAllowList, []string{"A-10"}},
		{"empty list denies everything", "oai-empty", toHost("mysearch.search.windows.net"), simulate.Denied, simulate.ReasonNotInAllowList, []string{"A-14"}},
		{"restriction off allows anything", "vision-open", toHost("evil.example"), simulate.Allowed, simulate.ReasonUnrestricted, nil},
		{"kind not listed by Learn", "custom-kind", toHost("a.example"), simulate.Allowed, simulate.ReasonAllowList, []string{"A-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := traceFrom(t, e, tt.from, tt.f)
			assert.Equal(t, tt.verdict, r.Verdict, "%s", r)
			assert.Equal(t, tt.reason, r.ReasonCode)
			assumes(t, r, tt.ids...)
			assert.Empty(t, r.EgressIPs, "Microsoft-managed egress is not shown")
			if tt.verdict == simulate.Allowed {
				assert.Equal(t, simulate.MethodServiceManaged, r.EgressMethod)
			}
		})
	}
	r := traceFrom(t, e, "my-openai", toHost("AiSearchResource.search.windows.net"))
	assert.Equal(t, "outbound network access is restricted: the hostname 'AiSearchResource.search.windows.net' is not in the allowed FQDN list for this resource", r.Reason)
	assert.Equal(t, "AllowedFqdnList my-openai: not in the allowed FQDN list", r.DecidedBy)
	r = traceFrom(t, e, "my-openai", toHost("mysearch.search.windows.net"))
	assert.Equal(t, "AllowedFqdnList my-openai: allowedFqdnList[0] mysearch.search.windows.net", r.DecidedBy)
}

// TestOverviewVnetIntegrationRoutes follows
// https://learn.microsoft.com/azure/app-service/overview-vnet-integration#routes:
// routed traffic is subject to the integration subnet's NSG and routes and
// leaves through its NAT gateway; unrouted traffic goes only to RFC 1918
// and service endpoints through the VNet, the rest from the app's
// outbound addresses.
func TestOverviewVnetIntegrationRoutes(t *testing.T) {
	e := paasEngine(t)
	t.Run("routed internet traffic leaves through the subnet's NAT gateway", func(t *testing.T) {
		r := traceFrom(t, e, "app-routed", toAddr("52.1.2.3"))
		assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
		assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.30.40.50")}, r.EgressIPs)
		assert.Equal(t, netip.MustParseAddr("10.20.1.4"), r.Flow.Source)
		assumes(t, r, "A-15")
	})
	t.Run("the integration subnet's NSG applies to routed traffic", func(t *testing.T) {
		r := traceFrom(t, e, "app-routed", simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Port: 445})
		assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
		assert.Contains(t, r.DecidedBy, "deny-smb-out")
	})
	t.Run("unrouted internet traffic bypasses the NSG and NAT gateway", func(t *testing.T) {
		r := traceFrom(t, e, "app-private-only", simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Port: 445})
		assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
		assert.Equal(t, simulate.MethodAppService, r.EgressMethod)
		assert.ElementsMatch(t, []netip.Addr{netip.MustParseAddr("40.1.1.1"), netip.MustParseAddr("40.1.1.2")}, r.EgressIPs)
		assert.Contains(t, strings.Join(r.Assumptions, "\n"), "Azure picks the source address among several per connection")
		assumes(t, r, "A-16")
	})
	t.Run("RFC 1918 traffic enters the VNet even without route all", func(t *testing.T) {
		r := traceFrom(t, e, "app-private-only", simulate.Flow{To: netip.MustParseAddr("10.20.3.4"), Port: 5432})
		assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
		assert.Contains(t, r.DecidedBy, "deny-db")
		r = traceFrom(t, e, "app-private-only", simulate.Flow{To: netip.MustParseAddr("10.20.3.4"), Port: 443})
		assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
		assert.Equal(t, simulate.MethodPrivate, r.EgressMethod)
		assert.Equal(t, "nic-db", r.Hops[len(r.Hops)-1].Name)
	})
	t.Run("a private endpoint is reached through the VNet (overview-vnet-integration#private-endpoints)", func(t *testing.T) {
		r := traceFrom(t, e, "app-private-only", toAddr("10.20.3.10"))
		assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
		assert.Equal(t, simulate.MethodPrivateEndpoint, r.EgressMethod)
		assert.Equal(t, "pe-kv", r.Hops[len(r.Hops)-1].Name)
	})
	t.Run("A-17: a host name resolves through the resolver", func(t *testing.T) {
		e := engine(t, paasDesign, simulate.Options{Resolver: simulate.StaticResolver{"kv.vault.azure.net": {netip.MustParseAddr("10.20.3.10")}}})
		r := traceFrom(t, e, "app-private-only", toHost("kv.vault.azure.net"))
		assert.Equal(t, simulate.MethodPrivateEndpoint, r.EgressMethod, "%s", r)
		assumes(t, r, "A-17")
	})
	t.Run("A-16: 100.64/10 is not RFC 1918", func(t *testing.T) {
		r := traceFrom(t, e, "app-private-only", toAddr("100.64.1.1"))
		assert.Equal(t, simulate.MethodAppService, r.EgressMethod, "%s", r)
	})
	t.Run("service endpoints of the integration subnet enter the VNet", func(t *testing.T) {
		storage := seStorageAddr(t, e)
		r := traceFrom(t, e, "app-private-only", simulate.Flow{To: storage, Port: 443})
		assert.Equal(t, simulate.MethodServiceEndpoint, r.EgressMethod, "%s", r)
	})
	t.Run("a UDR to the hub firewall: the firewall decides and SNATs", func(t *testing.T) {
		r := traceFrom(t, e, "app-fw", toAddr("52.1.2.3"))
		assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
		assert.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod)
		assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.81.10.1")}, r.EgressIPs)
		r = traceFrom(t, e, "app-fw", toAddr("8.8.8.8"))
		assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
		assert.Equal(t, simulate.ReasonFirewallDenied, r.ReasonCode)
	})
	t.Run("WEBSITE_VNET_ROUTE_ALL alone routes application traffic", func(t *testing.T) {
		r := traceFrom(t, e, "app-legacy-setting", toAddr("8.8.8.8"))
		assert.Equal(t, simulate.ReasonFirewallDenied, r.ReasonCode, "%s", r)
	})
	t.Run("configuration traffic takes the public route by default", func(t *testing.T) {
		f := toAddr("52.1.2.3")
		f.Traffic = topology.TrafficContentShare
		r := traceFrom(t, e, "app-routed", f)
		assert.Equal(t, simulate.MethodAppService, r.EgressMethod, "%s", r)
	})
	t.Run("not integrated: the app's outbound addresses", func(t *testing.T) {
		r := traceFrom(t, e, "app-public", toAddr("10.20.3.4"))
		assert.Equal(t, simulate.MethodAppService, r.EgressMethod, "%s", r)
		assert.Len(t, r.EgressIPs, 2)
	})
	t.Run("A-18: gateway-required integration is Unknown", func(t *testing.T) {
		r := traceFrom(t, e, "app-gateway-required", toAddr("10.20.3.4"))
		assert.Equal(t, simulate.Unknown, r.Verdict)
		assert.Equal(t, simulate.ReasonNotModelled, r.ReasonCode)
		assumes(t, r, "A-18")
	})
	t.Run("outbound addresses not in the input: verdict kept, address unknown", func(t *testing.T) {
		r := traceFrom(t, e, "app-no-ips", toAddr("52.1.2.3"))
		assert.Equal(t, simulate.Allowed, r.Verdict)
		assert.Empty(t, r.EgressIPs)
		assert.Contains(t, strings.Join(r.Assumptions, "\n"), "outboundIpAddresses of web app app-no-ips is not in the input")
	})
	t.Run("IPv6 with IPv4 outbound addresses only: no way out", func(t *testing.T) {
		r := traceFrom(t, e, "app-public", toAddr("2001:db8::1"))
		assert.Equal(t, simulate.NoEgress, r.Verdict, "%s", r)
	})
	t.Run("App Service has no outbound ICMP", func(t *testing.T) {
		r := traceFrom(t, e, "app-public", simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Protocol: ipproto.ICMP})
		assert.Equal(t, simulate.NoEgress, r.Verdict)
	})
}

// seStorageAddr returns an address of the Storage service tag in the
// region, which the integration subnet's service endpoint covers.
func seStorageAddr(t *testing.T, e *simulate.Engine) netip.Addr {
	t.Helper()
	s, ok := e.Network().LookupSubnet(topology.Ref("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-app/subnets/snet-int"))
	require.True(t, ok)
	for i := range s.Routes().NumSelections() {
		m := s.Routes().Selection(i)
		if m.NextHopType().String() == "VirtualNetworkServiceEndpoint" {
			return m.Prefix().Addr().Next()
		}
	}
	t.Fatal("no service endpoint route")
	return netip.Addr{}
}

func TestSourceLookup(t *testing.T) {
	e := paasEngine(t)
	s, err := e.Source("my-openai")
	require.NoError(t, err)
	assert.Equal(t, simulate.SourceAIAccount, s.Kind())
	s, err = e.Source(strings.ToUpper("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Web/sites/app-fw"))
	require.NoError(t, err)
	assert.Equal(t, "WebApp app-fw", s.String())
	_, err = e.Source("nic-db") // a NIC and a web app share the name
	assert.True(t, errors.Is(err, simulate.ErrAmbiguousSource), "%v", err)
	s, err = e.Source("/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/networkInterfaces/nic-db")
	require.NoError(t, err)
	h, ok := s.NIC()
	require.True(t, ok)
	r, err := e.TraceFrom(s, simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	want, err := e.Trace(simulate.Flow{From: h.ID(), To: netip.MustParseAddr("52.1.2.3"), Port: 443})
	require.NoError(t, err)
	assert.Equal(t, want, r, "a NIC source is Trace")
	_, err = e.Source("nope")
	assert.True(t, errors.Is(err, simulate.ErrUnknownSource), "%v", err)
	_, err = e.TraceFrom(simulate.Source{}, simulate.Flow{})
	assert.True(t, errors.Is(err, simulate.ErrInvalidFlow))
	_, err = e.TraceFrom(mustSource(t, e, "my-openai"), simulate.Flow{Port: 443})
	assert.True(t, errors.Is(err, simulate.ErrInvalidFlow), "no destination")
}

func mustSource(t *testing.T, e *simulate.Engine, name string) simulate.Source {
	t.Helper()
	s, err := e.Source(name)
	require.NoError(t, err)
	return s
}

// TestOtherPaaSRefused: a machine learning workspace's managed network is
// Azure Firewall FQDN rules (how-to-managed-network), not an
// allowedFqdnList: flows from it are refused, saying why.
func TestOtherPaaSRefused(t *testing.T) {
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "ml.json", Data: []byte(`{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/hub-ml",
 "name": "hub-ml", "type": "Microsoft.MachineLearningServices/workspaces", "kind": "Hub",
 "properties": {"managedNetwork": {"isolationMode": "AllowOnlyApprovedOutbound"}}}`)}}})
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	_, err = e.Source("hub-ml")
	var ns *simulate.NotSimulatedError
	require.True(t, errors.As(err, &ns), "%v", err)
	assert.Contains(t, err.Error(), "managed network")
	assert.Contains(t, err.Error(), "not the allowedFqdnList matcher")
}

// TestNICPathUnchanged: NIC flows still allocate nothing on the hot path
// in a network with PaaS sources.
func TestNICPathUnchanged(t *testing.T) {
	e := paasEngine(t)
	h := mustNIC(t, e, "nic-db")
	dst := netip.MustParseAddr("52.1.2.3")
	if n := testing.AllocsPerRun(100, func() {
		if e.Classify(h, dst, ipproto.TCP, 443).Verdict != simulate.Allowed {
			panic("not allowed")
		}
	}); n != 0 {
		t.Errorf("Classify allocates %v times", n)
	}
}

// TestWebAppTwin holds a web app's trace equal to the reference twin's
// (every compiled index replaced by a scan) on every destination class,
// port and traffic class of the PaaS design.
func TestWebAppTwin(t *testing.T) {
	e := paasEngine(t)
	dsts := []string{"52.1.2.3", "8.8.8.8", "10.20.3.4", "10.20.1.9", "10.0.1.4", "100.64.1.1", "192.168.1.1", "2001:db8::1", "20.1.2.3"}
	for i := range e.Network().NumWebApps() {
		s := mustSource(t, e, string(e.Network().WebApp(i).ID()))
		for _, d := range dsts {
			for _, port := range []uint16{443, 445, 5432, 25} {
				for c := range topology.TrafficManagedIdentity + 1 {
					f := simulate.Flow{To: netip.MustParseAddr(d), Port: port, Traffic: c}
					got, err := e.TraceFrom(s, f)
					require.NoError(t, err)
					want, err := simulate.ReferenceTraceFrom(e, s, f)
					require.NoError(t, err)
					require.Equal(t, want, got, "%v %v", s, f)
				}
			}
		}
	}
}

// TestDiffFromPaaS: a what-if diff names the flows of web apps and AI
// accounts that a change affects.
func TestDiffFromPaaS(t *testing.T) {
	before := paasEngine(t)
	after := engine(t, strings.Replace(paasDesign, "allowedFqdns: [mysearch.search.windows.net,", "allowedFqdns: [evil.example, mysearch.search.windows.net,", 1), simulate.Options{})
	flows := []simulate.Flow{{From: "my-openai", ToFQDN: "evil.example", Port: 443}, {From: "app-routed", To: netip.MustParseAddr("52.1.2.3"), Port: 443}}
	changes := simulate.Diff(before, after, flows)
	require.Len(t, changes, 1)
	assert.Equal(t, "my-openai", changes[0].Flow.From)
	assert.Contains(t, changes[0].What, "verdict")
}

// TestFixturesFromAzure: the REST and az CLI fixtures of the topology
// tests, traced: an app whose application traffic is routed leaves through
// its integration subnet's NAT gateway; one that routes only its content
// share leaves from its outbound addresses, except the content share.
func TestFixturesFromAzure(t *testing.T) {
	var files []string
	for _, f := range []string{"vnet-rest.json", "network-rest.json", "webapp-rest.json", "webapp-az.json", "ai-rest.json", "ai-az.json"} {
		files = append(files, "../topology/testdata/paas/"+f)
	}
	n, err := topology.Load(topology.LoadOptions{Files: files, Tags: tags(t)})
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	r := traceFrom(t, e, "app-orders", toAddr("52.1.2.3"))
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod, "%s", r)
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("20.30.40.50")}, r.EgressIPs)
	r = traceFrom(t, e, "func-batch", toAddr("52.1.2.3"))
	assert.Equal(t, simulate.MethodAppService, r.EgressMethod, "%s", r)
	f := simulate.Flow{To: netip.MustParseAddr("52.1.2.3"), Port: 445, Traffic: topology.TrafficContentShare}
	r = traceFrom(t, e, "func-batch", f)
	assert.Equal(t, simulate.Denied, r.Verdict, "content share over the VNet meets the subnet's NSG: %s", r)
	r = traceFrom(t, e, "my-openai", toHost("mystorage.blob.core.windows.net"))
	assert.Equal(t, simulate.Allowed, r.Verdict)
	r = traceFrom(t, e, "speech-locked", toHost("mystorage.blob.core.windows.net"))
	assert.Equal(t, simulate.Denied, r.Verdict)
	_, err = e.Source("hub-ml")
	assert.True(t, errors.Is(err, simulate.ErrNotSimulated), "%v", err)

	// Without the VNet, the integration subnet is outside the input.
	n, err = topology.Load(topology.LoadOptions{Files: files[2:3], Tags: tags(t)})
	require.NoError(t, err)
	e = simulate.Compile(n, simulate.Options{})
	r = traceFrom(t, e, "app-orders", toAddr("52.1.2.3"))
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Equal(t, simulate.ReasonExternal, r.ReasonCode)
	assert.Contains(t, strings.Join(e.Unknowns(), "\n"), "web app app-orders: its integration subnet snet-integration is not in the input")
}
