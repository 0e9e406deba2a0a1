package simulate_test

import (
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An app whose internet traffic does not enter the network is a finding,
// naming the built-in policy that enforces the fix: high when VNet
// integration exists but routes only RFC 1918 and service-endpoint traffic
// (overview-vnet-integration#routes), medium without integration; an app
// that routes all its traffic is not (issue 13 item 5).
func TestAuditWebAppBypassesVNet(t *testing.T) {
	const design = `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: int, prefix: 10.1.1.0/26, delegations: [Microsoft.Web/serverFarms]}
      - {name: int2, prefix: 10.1.2.0/26, delegations: [Microsoft.Web/serverFarms]}
webApps:
  - {name: app-routed, subnet: v/int, outboundVnetRouting: {allTraffic: true}, outboundIpAddresses: [20.1.1.1]}
  - {name: app-split, subnet: v/int2, outboundIpAddresses: [20.1.1.2, 20.1.1.3]}
  - {name: app-alone, outboundIpAddresses: [20.1.1.4]}
`
	e := engine(t, design, simulate.Options{})
	rep := e.Audit()
	got := map[string]simulate.Finding{}
	for _, f := range rep.Findings {
		if f.Check == simulate.CheckWebAppBypassesVNet {
			got[f.Scope.Name] = f
		}
	}
	require.Len(t, got, 2, "%v", got)
	split := got["app-split"]
	assert.Equal(t, simulate.SeverityHigh, split.Severity)
	assert.Equal(t, simulate.ScopeWebApp, split.Scope.Kind)
	assert.Contains(t, split.Message, "integration subnet int2")
	assert.Contains(t, split.Message, "20.1.1.2, 20.1.1.3")
	require.NotNil(t, split.Policy)
	assert.Contains(t, split.Policy.ID, "f5c0bfb3-acea-47b1-b477-b0edcdf6edc1")
	alone := got["app-alone"]
	assert.Equal(t, simulate.SeverityMedium, alone.Severity)
	require.NotNil(t, alone.Policy)
	assert.True(t, alone.Policy.BuiltIn)
	assert.Equal(t, "App Service apps should be injected into a virtual network", alone.Policy.DisplayName)
	// Proved on the apps' egress maps, each with a witness traced from
	// the app that leaves from its own addresses.
	for _, f := range []simulate.Finding{split, alone} {
		require.NotNil(t, f.Witness, f.Scope.Name)
		assert.Equal(t, simulate.MethodAppService, f.Witness.Method)
		assert.Contains(t, f.Witness.Path, "Source "+f.Scope.Name)
		assert.Contains(t, f.Message, "proved over every address, protocol and port: Tcp 1-24,26-65535, Udp 1-65535 to ")
		assert.NotEmpty(t, f.Classes)
	}
	assert.NotContains(t, got, "app-routed")
	assert.Equal(t, 3, rep.Summary.WebApps)
	assert.Equal(t, 1, rep.Summary.WebAppsRouted)
	assert.Equal(t, 2, rep.Summary.ByCheck[simulate.CheckWebAppBypassesVNet])
}

// A restricted account whose allow-list holds entries broader than a host
// name is a finding naming them (A-6: Learn documents host names only;
// addresses only in older revisions), high when a wildcard covers a
// multi-tenant service domain; an unrestricted account is reported as
// unrestricted, once.
func TestAuditAIAllowListBroad(t *testing.T) {
	const design = `egress: v1
location: eastus
aiAccounts:
  - {name: oai-wild, kind: OpenAI, restrictOutboundNetworkAccess: true, allowedFqdns: ["*.blob.core.windows.net", api.contoso.com], tags: {Owner: data-team}}
  - {name: oai-exact, kind: OpenAI, restrictOutboundNetworkAccess: true, allowedFqdns: [api.contoso.com]}
  - {name: oai-open, kind: OpenAI, allowedFqdns: ["*.contoso.com"], tags: {owner: " "}}
  - {name: oai-ips, kind: OpenAI, restrictOutboundNetworkAccess: true, allowedFqdns: [20.1.2.3, 10.0.0.0/8, "*.contoso.com", "*.windows.net"], tags: {owner: x}}
`
	e := engine(t, design, simulate.Options{})
	rep := e.Audit()
	assert.Equal(t, []string{"oai-ips", "oai-wild"}, findings(rep, simulate.CheckAIAllowListBroad))
	assert.Equal(t, []string{"oai-open"}, findings(rep, simulate.CheckAIOutboundOpen))
	open := only(t, rep, simulate.CheckAIOutboundOpen)
	require.NotNil(t, open.Policy, "no built-in exists: Azure Landing Zones' custom definition")
	assert.False(t, open.Policy.BuiltIn)
	assert.Equal(t, "Deny-CognitiveServices-RestrictOutboundNetworkAccess", open.Policy.ID)
	assert.Contains(t, open.Policy.Source, "Azure/Enterprise-Scale")
	byName := map[string]simulate.Finding{}
	for _, f := range rep.Findings {
		if f.Check == simulate.CheckAIAllowListBroad {
			byName[f.Scope.Name] = f
		}
	}
	f := byName["oai-wild"]
	assert.Equal(t, "shared: *.blob.core.windows.net (covers blob.core.windows.net)", f.Evidence)
	assert.Equal(t, simulate.SeverityHigh, f.Severity, "a wildcard over a multi-tenant domain")
	g := byName["oai-ips"]
	assert.Equal(t, "shared: *.windows.net (covers blob.core.windows.net); wildcards: *.contoso.com; addresses: 20.1.2.3; ranges: 10.0.0.0/8", g.Evidence)
	assert.Contains(t, g.Message, "IP ranges, which match nothing")
	assert.Equal(t, 4, rep.Summary.AIAccounts)
	assert.Equal(t, 3, rep.Summary.AIAccountsRestricted)
	assert.Equal(t, len(rep.Findings), rep.Summary.Findings)
	assert.Equal(t, 2, rep.Summary.BySeverity[simulate.SeverityHigh])
	// An owner tag in any letter case counts; a blank one does not.
	assert.Equal(t, []string{"oai-exact", "oai-open"}, findings(rep, simulate.CheckAINoOwner))
}

// TestAuditPerimeterNotEnforced: every association in Learning or Audit
// mode is a finding (network-security-perimeter-concepts: Enforced "must
// be set by the administrator"), medium for PaaS sources.
func TestAuditPerimeterNotEnforced(t *testing.T) {
	rep := engine(t, perimeterDesign, simulate.Options{}).Audit()
	got := map[string]simulate.Finding{}
	for _, f := range rep.Findings {
		if f.Check == simulate.CheckPerimeterNotEnforced {
			got[f.Scope.Name] = f
		}
	}
	assert.Len(t, got, 5, "oai-learning, oai-audit, oai-secured (no accessMode), app-learning, storage")
	assert.Equal(t, simulate.SeverityMedium, got["nsp-ai/oai-learning"].Severity)
	assert.Equal(t, "Learning mode, profile ai", got["nsp-ai/oai-learning"].Evidence)
	assert.Equal(t, "Audit mode, profile ai", got["nsp-ai/oai-audit"].Evidence)
	assert.Contains(t, got["nsp-ai/oai-secured"].Evidence, "accessMode absent")
	assert.Contains(t, got["nsp-ai/app-learning"].Message, "A-19")
	assert.Equal(t, simulate.SeverityLow, got["nsp-ai/storage"].Severity)
	assert.Equal(t, simulate.ScopePerimeterAssociation, got["nsp-ai/storage"].Scope.Kind)
	assert.NotContains(t, got, "nsp-ai/oai-enforced")
	assert.Equal(t, 12, rep.Summary.PerimeterAssociations)
	assert.Equal(t, 7, rep.Summary.PerimeterAssociationsEnforced)
}

// TestAuditWebAppSlot: a deployment slot is audited as the app it is: a
// staging slot without VNet integration bypasses the network, even when
// the production slot is integrated.
func TestAuditWebAppSlot(t *testing.T) {
	dir := "../topology/testdata/paas/"
	n, err := topology.Load(topology.LoadOptions{Files: []string{dir + "vnet-rest.json", dir + "webapp-rest.json", dir + "webapp-slot-rest.json"}, Tags: defaultTagsMust()})
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	assert.Contains(t, findings(e.Audit(), simulate.CheckWebAppBypassesVNet), "app-orders/staging")
	src, err := e.Source("app-orders/staging")
	require.NoError(t, err)
	assert.Equal(t, simulate.SourceWebApp, src.Kind())
}
