package egresstest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/egresstest"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const paasDesign = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.20.0.0/16]
    subnets:
      - {name: snet-int, prefix: 10.20.1.0/26, nsg: nsg-int, natGateway: nat-app, delegations: [Microsoft.Web/serverFarms]}
nsgs:
  - name: nsg-int
    rules:
      - {name: deny-smb-out, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: Internet, destinationPorts: "445"}
publicIps:
  - {name: pip-nat, ip: 20.30.40.50}
natGateways:
  - {name: nat-app, publicIps: [pip-nat]}
aiAccounts:
  - {name: my-openai, restrictOutboundNetworkAccess: true, allowedFqdns: [mysearch.search.windows.net, "*.contoso.com"]}
  - {name: oai-learning}
perimeters:
  - name: nsp-ai
    profiles:
      - name: ai
        accessRules:
          - {name: allow-search, direction: Outbound, fullyQualifiedDomainNames: [mysearch.search.windows.net]}
    associations:
      - {resource: oai-learning, profile: ai, accessMode: Learning}
webApps:
  - name: app-orders
    subnet: vnet-app/snet-int
    outboundVnetRouting: {applicationTraffic: true}
    outboundIpAddresses: [70.37.102.201, 20.225.43.144]
`

// TestPaaSSources: expectations work from AI accounts and web apps as from
// NICs (issue 13's proof).
func TestPaaSSources(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{}, paasDesign)
	egresstest.Expect(t, e, egresstest.TCP("my-openai", "evil.example", 443), egresstest.Verdict(simulate.Denied),
		egresstest.DecidedBy("my-openai"), egresstest.Assumes("A-2"))
	egresstest.Expect(t, e, egresstest.TCP("my-openai", "mysearch.search.windows.net", 443), egresstest.Verdict(simulate.Allowed))
	egresstest.Expect(t, e, egresstest.TCP("my-openai", "www.contoso.com", 443), egresstest.Verdict(simulate.Unknown), egresstest.Assumes("A-6"))
	egresstest.Expect(t, e, egresstest.TCP("app-orders", "52.1.2.3", 443), egresstest.Verdict(simulate.Allowed),
		egresstest.Method(simulate.MethodNATGateway), egresstest.EgressIPs("20.30.40.50"))
	egresstest.Expect(t, e, egresstest.TCP("app-orders", "52.1.2.3", 445), egresstest.Verdict(simulate.Denied), egresstest.DecidedBy("deny-smb-out"))
	egresstest.Expect(t, e, egresstest.As(egresstest.TCP("app-orders", "52.1.2.3", 445), topology.TrafficContentShare),
		egresstest.Verdict(simulate.Allowed), egresstest.Method(simulate.MethodAppService), egresstest.EgressIPs("70.37.102.201", "20.225.43.144"))

	// Audit before deny: what enforcing the perimeter would break.
	egresstest.Expect(t, e, egresstest.TCP("oai-learning", "evil.example", 443), egresstest.Verdict(simulate.Allowed), egresstest.WouldBeDenied(true))
	egresstest.Expect(t, e, egresstest.TCP("oai-learning", "mysearch.search.windows.net", 443), egresstest.WouldBeDenied(false))
	rec0 := record(t, func(tb testing.TB) {
		egresstest.Expect(tb, e, egresstest.TCP("oai-learning", "evil.example", 443), egresstest.WouldBeDenied(false))
	})
	require.Len(t, rec0.errs, 1)
	assert.Contains(t, rec0.errs[0], "a flow that enforcing does not deny")

	// Unmet: the assumption is named in the report.
	rec := record(t, func(tb testing.TB) {
		egresstest.Expect(tb, e, egresstest.TCP("my-openai", "evil.example", 443), egresstest.Assumes("A-1"))
	})
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], `want an assumption "A-1"`)
	// An unknown source stops the test.
	rec = record(t, func(tb testing.TB) {
		egresstest.Expect(tb, e, egresstest.TCP("no-such-app", "52.1.2.3", 443))
	})
	assert.True(t, rec.fatal)
	assert.Contains(t, rec.errs[0], "unknown flow source")
}

// TestRouteAllWhatIf: turning on route-all moves the app's internet traffic
// from its shared outbound addresses to its subnet's NAT gateway; Unchanged
// names the flow.
func TestRouteAllWhatIf(t *testing.T) {
	dir := t.TempDir()
	design := filepath.Join(dir, "design.yaml")
	change := filepath.Join(dir, "route-all.yaml")
	require.NoError(t, os.WriteFile(design, []byte(strings.Replace(paasDesign, "outboundVnetRouting: {applicationTraffic: true}", "outboundVnetRouting: {applicationTraffic: false}", 1)), 0o644))
	require.NoError(t, os.WriteFile(change, []byte("egress: overlay/v1\nchanges:\n  - setWebApp: {webApp: app-orders, outboundVnetRouting: {allTraffic: true}}\n"), 0o644))
	before := egresstest.Load(t, simulate.Options{}, design)
	after := egresstest.LoadWith(t, simulate.Options{}, []string{design}, change)
	flow := egresstest.TCP("app-orders", "52.1.2.3", 443)
	egresstest.Expect(t, before, flow, egresstest.Method(simulate.MethodAppService), egresstest.EgressIPs("70.37.102.201", "20.225.43.144"))
	egresstest.Expect(t, after, flow, egresstest.Method(simulate.MethodNATGateway), egresstest.EgressIPs("20.30.40.50"))
	rec := record(t, func(tb testing.TB) { egresstest.Unchanged(tb, before, after, flow) })
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "app-orders")
}

// TestContainerGroupSource: expectations work from a container group in
// its delegated subnet, and to its address
// (https://learn.microsoft.com/azure/container-instances/container-instances-nat-gateway).
func TestContainerGroupSource(t *testing.T) {
	design := strings.Replace(paasDesign, "aiAccounts:", `containerGroups:
  - {name: aci-jobs, subnet: vnet-app/snet-aci, ip: 10.20.2.4}
aiAccounts:`, 1)
	design = strings.Replace(design, "      - {name: snet-int,", "      - {name: snet-aci, prefix: 10.20.2.0/27, nsg: nsg-int, natGateway: nat-app, delegations: [Microsoft.ContainerInstance/containerGroups]}\n      - {name: snet-int,", 1)
	e := egresstest.Parse(t, simulate.Options{}, design)
	egresstest.Expect(t, e, egresstest.TCP("aci-jobs", "52.1.2.3", 443), egresstest.Verdict(simulate.Allowed),
		egresstest.Method(simulate.MethodNATGateway), egresstest.EgressIPs("20.30.40.50"))
	egresstest.Expect(t, e, egresstest.TCP("aci-jobs", "52.1.2.3", 445), egresstest.Verdict(simulate.Denied), egresstest.DecidedBy("deny-smb-out"))
}
