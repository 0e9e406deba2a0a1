package topology_test

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func paasFiles(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "testdata/paas/" + n
	}
	return out
}

func loadPaaS(t *testing.T, names ...string) *topology.Network {
	t.Helper()
	tags, err := servicetag.Default()
	require.NoError(t, err)
	n, err := topology.Load(topology.LoadOptions{Files: paasFiles(names...), Tags: tags})
	require.NoError(t, err)
	return n
}

func webApp(t *testing.T, n *topology.Network, name string) topology.WebAppView {
	t.Helper()
	for i := range n.NumWebApps() {
		if w := n.WebApp(i); w.Name() == name {
			return w
		}
	}
	t.Fatalf("no web app %q", name)
	return topology.WebAppView{}
}

func aiAccount(t *testing.T, n *topology.Network, name string) topology.AIAccountView {
	t.Helper()
	for i := range n.NumAIAccounts() {
		if a := n.AIAccount(i); a.Name() == name {
			return a
		}
	}
	t.Fatalf("no AI account %q", name)
	return topology.AIAccountView{}
}

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// TestAIAccountShapes reads the documented shapes of an account
// (paas-semantics §4.1): a REST GET, az CLI output (nulls as absent), an
// ARM template export; other resource types with outbound controls are
// kept apart (OtherPaaS), not read as AI accounts.
func TestAIAccountShapes(t *testing.T) {
	n := loadPaaS(t, "ai-rest.json", "ai-az.json", "template.json")
	a := aiAccount(t, n, "my-openai")
	assert.True(t, a.Restricted())
	assert.Equal(t, "OpenAI", a.Kind())
	assert.Equal(t, 3, a.AllowList().Len())
	assert.Equal(t, "mysearch.search.windows.net", a.AllowList().Entry(0).Key)

	assert.Equal(t, map[string]string{"owner": "team-a"}, a.Resource().Tags, "the resource's tags")

	v := aiAccount(t, n, "vision-open")
	assert.False(t, v.Restricted(), "restrictOutboundNetworkAccess null is off")
	assert.Nil(t, v.Resource().Tags, "az's \"tags\": null is none")
	assert.Equal(t, 0, v.AllowList().Len())
	assert.True(t, aiAccount(t, n, "speech-locked").Restricted())

	f := aiAccount(t, n, "foundry-tmpl")
	assert.Equal(t, "AIServices", f.Kind())
	assert.Equal(t, []string{"api.contoso.com", "20.1.2.3"}, f.Resource().AllowedFqdnList)

	others := n.OtherPaaS()
	require.Len(t, others, 1)
	assert.Equal(t, "hub-ml", others[0].Name)
	assert.Contains(t, others[0].Control, "managed network")
	assert.Equal(t, "managedNetwork.isolationMode=AllowOnlyApprovedOutbound", others[0].Setting)

	// The wildcard entry is kept, with a warning naming A-6 and the entry's line.
	var found bool
	for _, w := range n.Warnings() {
		if strings.Contains(w.Error(), "allowedFqdnList[2]") && strings.Contains(w.Error(), "A-6") {
			found = true
			assert.Contains(t, w.Error(), "testdata/paas/ai-rest.json:16:")
			assert.True(t, errors.Is(w, topology.ErrUndocumented))
		}
	}
	assert.True(t, found, "a warning for the wildcard entry: %v", n.Warnings())
}

// TestWebAppShapes reads the three generations of routing settings
// (paas-semantics §2.2, §4.2): the 2024-11-01 REST shape with
// outboundVnetRouting and siteConfig, az webapp show (flattened, nulls),
// the 2024-04-01 site-level flags, and a template whose only routing
// setting is the WEBSITE_VNET_ROUTE_ALL app setting.
func TestWebAppShapes(t *testing.T) {
	n := loadPaaS(t, "vnet-rest.json", "network-rest.json", "webapp-rest.json", "webapp-az.json", "webapp-2024-04.json", "template.json")
	tests := []struct {
		app      string
		class    topology.WebAppTraffic
		routed   bool
		by       string
		outbound []netip.Addr
	}{
		{"app-orders", topology.TrafficApplication, true, "outboundVnetRouting.applicationTraffic", addrs("70.37.102.201", "20.225.43.144")},
		{"app-orders", topology.TrafficContentShare, false, "outboundVnetRouting.contentShareTraffic false", nil},
		{"func-batch", topology.TrafficApplication, false, "outboundVnetRouting.applicationTraffic false", addrs("52.170.1.10", "52.170.1.11")},
		{"func-batch", topology.TrafficContentShare, true, "outboundVnetRouting.contentShareTraffic", nil},
		{"func-batch", topology.TrafficManagedIdentity, false, "outboundVnetRouting.managedIdentityTraffic false", nil},
		{"app-legacy", topology.TrafficApplication, false, "vnetRouteAllEnabled false, siteConfig.vnetRouteAllEnabled false", addrs("40.1.1.1")},
		{"app-legacy", topology.TrafficImagePull, true, "vnetImagePullEnabled", nil},
		{"app-tmpl", topology.TrafficApplication, true, "app setting WEBSITE_VNET_ROUTE_ALL", addrs("51.1.1.1")},
		{"app-netcfg", topology.TrafficApplication, true, "siteConfig.vnetRouteAllEnabled", addrs("51.3.3.3")},
	}
	for _, tt := range tests {
		w := webApp(t, n, tt.app)
		routed, by := w.Routing().RoutesAll(tt.class)
		assert.Equal(t, tt.routed, routed, "%s %v", tt.app, tt.class)
		assert.Equal(t, tt.by, by, "%s %v", tt.app, tt.class)
		if tt.outbound != nil {
			assert.Equal(t, tt.outbound, w.OutboundIPs(), tt.app)
		}
		_, ok := w.Subnet()
		assert.True(t, ok, "%s: integration subnet in the network", tt.app)
	}
	assert.Len(t, webApp(t, n, "app-orders").PossibleOutboundIPs(), 4)
	assert.Equal(t, "functionapp,linux", webApp(t, n, "func-batch").Kind())
	s, _ := webApp(t, n, "app-orders").Subnet()
	assert.Equal(t, []string{"Microsoft.Web/serverFarms"}, s.Delegations())
	// snet-plain is not delegated: a warning naming the app and the field.
	var found bool
	for _, w := range n.Warnings() {
		if strings.Contains(w.Error(), "app-legacy") && strings.Contains(w.Error(), "virtualNetworkSubnetId") {
			found = true
			assert.Contains(t, w.Error(), "not delegated to Microsoft.Web/serverFarms")
			assert.Contains(t, w.Error(), "testdata/paas/webapp-2024-04.json:1:")
		}
	}
	assert.True(t, found, "a delegation warning: %v", n.Warnings())
}

// TestWebAppExternalSubnet: an integration subnet outside the input is an
// external reference, not an error.
func TestWebAppExternalSubnet(t *testing.T) {
	n := loadPaaS(t, "webapp-rest.json")
	w := webApp(t, n, "app-orders")
	_, st := w.SubnetRef()
	assert.Equal(t, topology.RefExternal, st)
	assert.NotEmpty(t, n.Validation().External)
}

func nativeLoad(design string) (*topology.Network, error) {
	return topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}}})
}

const nativePaaS = `egress: v1
location: eastus
vnets:
  - name: vnet-a
    addressSpace: [10.1.0.0/16]
    subnets:
      - name: snet-int
        prefix: 10.1.1.0/26
        delegations: [Microsoft.Web/serverFarms]
aiAccounts:
  - name: my-openai
    restrictOutboundNetworkAccess: true
    allowedFqdns:
      - mysearch.search.windows.net
      - 10.0.0.0/8
webApps:
  - name: app-a
    subnet: vnet-a/snet-int
    outboundVnetRouting: {allTraffic: true}
    outboundIpAddresses: [20.1.1.1, 20.1.1.2]
`

func TestNativePaaS(t *testing.T) {
	n, err := nativeLoad(nativePaaS)
	require.NoError(t, err)
	w := webApp(t, n, "app-a")
	routed, by := w.Routing().RoutesAll(topology.TrafficImagePull)
	assert.True(t, routed)
	assert.Equal(t, "outboundVnetRouting.allTraffic", by)
	assert.Equal(t, addrs("20.1.1.1", "20.1.1.2"), w.OutboundIPs())
	assert.Nil(t, w.PossibleOutboundIPs(), "absent: unknown, not empty")
	a := aiAccount(t, n, "my-openai")
	assert.Equal(t, 2, a.AllowList().Len())
	var msgs []string
	for _, w := range n.Warnings() {
		msgs = append(msgs, w.Error())
	}
	assert.Contains(t, strings.Join(msgs, "\n"), `design.yaml:15:9: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.CognitiveServices/accounts/my-openai: allowedFqdnList[1] "10.0.0.0/8": undocumented behaviour: A-9`)
}

// TestAllowListErrors: entries that are not DNS names, and lists over
// 1000 entries, are errors naming the resource, the field with the entry's
// index, and the entry's file:line.
func TestAllowListErrors(t *testing.T) {
	_, err := nativeLoad(strings.Replace(nativePaaS, "      - 10.0.0.0/8\n", "      - 10.0.0.0/8\n      - bad_name.example\n", 1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `design.yaml:16:9: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.CognitiveServices/accounts/my-openai: allowedFqdnList[2] "bad_name.example": invalid value: label "bad_name" has '_'`)

	var b strings.Builder
	for i := range 1001 {
		fmt.Fprintf(&b, "      - h%d.example.com\n", i)
	}
	_, err = nativeLoad(strings.Replace(nativePaaS, "      - mysearch.search.windows.net\n      - 10.0.0.0/8\n", b.String(), 1))
	require.Error(t, err)
	assert.True(t, errors.Is(err, topology.ErrLimit))
	assert.Contains(t, err.Error(), "design.yaml:11:5: ")
	assert.Contains(t, err.Error(), "allowedFqdnList: over Azure's limit: 1001 entries; an account's list holds at most 1000")

	_, err = topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "ai.json", Data: []byte(`{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.CognitiveServices/accounts/x", "name": "x",
 "type": "Microsoft.CognitiveServices/accounts", "kind": "OpenAI",
 "properties": {"restrictOutboundNetworkAccess": true, "allowedFqdnList": ["ok.example", "-bad.example"]}}`)}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `ai.json:3:90: /subscriptions/s/resourceGroups/r/providers/Microsoft.CognitiveServices/accounts/x: allowedFqdnList[1] "-bad.example": invalid value`)
}

func TestWebAppBadOutboundIP(t *testing.T) {
	_, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "site.json", Data: []byte(`{"id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/app", "name": "app",
 "type": "Microsoft.Web/sites", "properties": {"outboundIpAddresses": "20.1.1.1,not-an-ip"}}`)}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `site.json:2:71: /subscriptions/s/resourceGroups/r/providers/Microsoft.Web/sites/app: outboundIpAddresses "not-an-ip": invalid value: want comma-separated IP addresses`)
}

// TestWebAppConfigChild: `az webapp config show` (the config/web
// resource, flattened) adds siteConfig.vnetRouteAllEnabled to its site.
func TestWebAppConfigChild(t *testing.T) {
	n := loadPaaS(t, "vnet-rest.json", "webapp-2024-04.json", "webapp-config-az.json")
	routed, by := webApp(t, n, "app-legacy").Routing().RoutesAll(topology.TrafficApplication)
	assert.True(t, routed)
	assert.Equal(t, "siteConfig.vnetRouteAllEnabled", by)

	_, err := topology.Load(topology.LoadOptions{Files: paasFiles("webapp-config-az.json")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "configuration of a web app that is not in the input")
}

// TestWebAppDelegatedElsewhere: an integration subnet delegated to
// another service is a warning naming that service.
func TestWebAppDelegatedElsewhere(t *testing.T) {
	n, err := nativeLoad(strings.Replace(nativePaaS, "delegations: [Microsoft.Web/serverFarms]", "delegations: [Microsoft.ContainerInstance/containerGroups]", 1))
	require.NoError(t, err)
	var msgs []string
	for _, w := range n.Warnings() {
		msgs = append(msgs, w.Error())
	}
	assert.Contains(t, strings.Join(msgs, "\n"), `design.yaml:17:5: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Web/sites/app-a: virtualNetworkSubnetId "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/snet-int": invalid value: the integration subnet is delegated to Microsoft.ContainerInstance/containerGroups, not Microsoft.Web/serverFarms`)
}

// TestOverlaySetWebApp: the what-if of turning on route-all, and of moving
// an app to another integration subnet.
func TestOverlaySetWebApp(t *testing.T) {
	m, err := topology.ParseNative("design.yaml", []byte(nativePaaS))
	require.NoError(t, err)
	err = m.ApplyOverlay("change.yaml", []byte(`egress: overlay/v1
changes:
  - setWebApp: {webApp: app-a, outboundVnetRouting: {allTraffic: false, applicationTraffic: true}, siteConfigVnetRouteAllEnabled: true}
  - setWebApp: {webApp: app-a, subnet: vnet-a/snet-int}
`))
	require.NoError(t, err)
	w := m.WebApps[0]
	require.NotNil(t, w.Routing.AllTraffic)
	assert.False(t, *w.Routing.AllTraffic)
	routed, by := w.Routing.RoutesAll(topology.TrafficApplication)
	assert.True(t, routed)
	assert.Equal(t, "outboundVnetRouting.applicationTraffic", by)
	assert.Equal(t, "snet-int", w.Subnet.Name())
	err = m.ApplyOverlay("change.yaml", []byte("egress: overlay/v1\nchanges:\n  - setWebApp: {webApp: nope, subnet: \"\"}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `change.yaml:3:5: web app "nope": dangling reference: no web app of that name in the model`)
}

// TestWebAppSlots: a deployment slot (Microsoft.Web/sites/slots) is a web
// app of its own, with its own VNet integration and routing.
func TestWebAppSlots(t *testing.T) {
	n := loadPaaS(t, "vnet-rest.json", "webapp-rest.json", "webapp-slot-rest.json")
	staging := webApp(t, n, "app-orders/staging")
	ref, _ := staging.SubnetRef()
	assert.True(t, ref.IsZero(), "the staging slot has no integration")
	canary := webApp(t, n, "app-orders/canary")
	_, st := canary.SubnetRef()
	assert.NotEqual(t, topology.RefNone, st)
	routed, by := canary.Routing().RoutesAll(topology.TrafficApplication)
	assert.True(t, routed)
	assert.Equal(t, "outboundVnetRouting.allTraffic", by)
	assert.Equal(t, addrs("70.37.102.201"), canary.OutboundIPs())
}
