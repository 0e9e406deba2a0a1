package simulate_test

import (
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// perimeterDesign: AI accounts and web apps in network security
// perimeters, in each access mode, with a storage account and a key vault
// associated as destinations.
const perimeterDesign = `egress: v1
location: eastus
vnets:
  - name: vnet-app
    addressSpace: [10.20.0.0/16]
    subnets:
      - {name: snet-int, prefix: 10.20.1.0/26, nsg: nsg-int, natGateway: nat-app, delegations: [Microsoft.Web/serverFarms]}
nsgs:
  - name: nsg-int
    rules:
      - {name: allow-partner, priority: 100, direction: Outbound, access: Allow, protocol: Tcp, destination: 52.1.0.0/16, destinationPorts: "443"}
      - {name: deny-internet, priority: 200, direction: Outbound, access: Deny, protocol: "*", destination: Internet, destinationPorts: "*"}
publicIps:
  - {name: pip-nat, ip: 20.30.40.50}
natGateways:
  - {name: nat-app, publicIps: [pip-nat]}
aiAccounts:
  - {name: oai-enforced, kind: OpenAI, customSubDomainName: oai-enforced-cs}
  - {name: oai-learning, kind: OpenAI, publicNetworkAccess: Disabled}
  - {name: oai-audit, kind: AIServices}
  - {name: oai-locked, kind: OpenAI, publicNetworkAccess: SecuredByPerimeter}
  - {name: oai-secured, kind: OpenAI, publicNetworkAccess: securedbyperimeter}
  - {name: oai-both, kind: OpenAI, restrictOutboundNetworkAccess: true, allowedFqdns: [mysearch.search.windows.net]}
  - {name: oai-twice, kind: OpenAI}
  - {name: oai-wild, kind: OpenAI}
webApps:
  - name: app-enforced
    subnet: vnet-app/snet-int
    outboundIpAddresses: [60.1.1.1]
  - name: app-enforced-alone
    outboundIpAddresses: [60.2.2.2]
  - name: app-learning
    subnet: vnet-app/snet-int
    outboundIpAddresses: [60.3.3.3]
perimeters:
  - name: nsp-ai
    profiles:
      - name: ai
        accessRules:
          - {name: allow-search, direction: Outbound, fullyQualifiedDomainNames: [mysearch.search.windows.net]}
          - {name: allow-partner, direction: Outbound, fullyQualifiedDomainNames: [api.partner.example]}
          - {name: corp-in, direction: Inbound, addressPrefixes: [10.0.0.0/8]}
      - name: wild
        accessRules:
          - {name: any-blob, direction: Outbound, fullyQualifiedDomainNames: ["*.blob.core.windows.net"]}
    associations:
      - {resource: oai-enforced, profile: ai, accessMode: Enforced}
      - {resource: oai-learning, profile: ai, accessMode: Learning}
      - {resource: oai-audit, profile: ai, accessMode: Audit}
      - {resource: oai-secured, profile: ai}
      - {resource: oai-both, profile: ai, accessMode: Enforced}
      - {resource: oai-twice, profile: ai, accessMode: Enforced}
      - {resource: oai-wild, profile: wild, accessMode: Enforced}
      - {resource: app-enforced, profile: ai, accessMode: Enforced}
      - {resource: app-enforced-alone, profile: ai, accessMode: Enforced}
      - {resource: app-learning, profile: ai, accessMode: Learning}
      - {name: storage, resource: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Storage/storageAccounts/mystorage, profile: ai}
  - name: nsp-other
    profiles:
      - name: p
    associations:
      - {name: twice, resource: oai-twice, profile: p, accessMode: Enforced}
`

func perimeterStep(t *testing.T, r *simulate.Result) simulate.SecurityStep {
	t.Helper()
	require.NotEmpty(t, r.Hops)
	for _, s := range r.Hops[0].Security {
		if s.Stage == simulate.StagePerimeter {
			return s
		}
	}
	t.Fatalf("no perimeter step in %v", r.Hops[0].Security)
	return simulate.SecurityStep{}
}

// TestNetworkSecurityPerimeterTransition follows the outbound column of
// the decision table of
// https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition
// and network-security-perimeter-concepts ("all traffic except
// intra-perimeter traffic is denied in this mode unless an Allow access
// rule exists") for AI services accounts.
func TestNetworkSecurityPerimeterTransition(t *testing.T) {
	e := engine(t, perimeterDesign, simulate.Options{})
	tests := []struct {
		name, from, to string
		verdict        simulate.Verdict
		reason         simulate.Reason
		access         string // the perimeter step's access
		wouldDeny      bool
		assume         []string
		decided        string
	}{
		{"enforced, a rule allows", "oai-enforced", "MySearch.search.windows.net", simulate.Allowed, simulate.ReasonPerimeterAllowed, "Allow", false, []string{"A-24", "A-29"}, "outbound access rule allow-search"},
		{"enforced, no rule", "oai-enforced", "evil.example", simulate.Denied, simulate.ReasonPerimeterDenied, "Deny", false, []string{"A-24"}, "no outbound access rule allows it (Enforced mode)"},
		{"enforced, an IP matches no FQDN rule", "oai-enforced", "52.1.2.3", simulate.Denied, simulate.ReasonPerimeterDenied, "Deny", false, nil, ""},
		{"enforced, intra-perimeter storage", "oai-enforced", "mystorage.blob.core.windows.net", simulate.Allowed, simulate.ReasonPerimeterAllowed, "Allow", false, []string{"A-23", "A-29"}, "intra-perimeter"},
		{"learning, a rule allows", "oai-learning", "api.partner.example", simulate.Allowed, simulate.ReasonUnrestricted, "Allow", false, []string{"A-20"}, ""},
		{"learning, no rule: allowed, denied once enforced", "oai-learning", "evil.example", simulate.Allowed, simulate.ReasonUnrestricted, "Allow", true, nil, ""},
		{"audit decides as learning", "oai-audit", "evil.example", simulate.Allowed, simulate.ReasonUnrestricted, "Allow", true, []string{"A-21"}, ""},
		{"SecuredByPerimeter, no association", "oai-locked", "mysearch.search.windows.net", simulate.Denied, simulate.ReasonPerimeterDenied, "Deny", false, []string{"A-20"}, "SecuredByPerimeter"},
		{"SecuredByPerimeter with a Learning association obeys the rules", "oai-secured", "evil.example", simulate.Denied, simulate.ReasonPerimeterDenied, "Deny", false, nil, "publicNetworkAccess SecuredByPerimeter"},
		{"SecuredByPerimeter with a Learning association, a rule allows", "oai-secured", "api.partner.example", simulate.Allowed, simulate.ReasonPerimeterAllowed, "Allow", false, nil, "allow-partner"},
		{"two associations", "oai-twice", "mysearch.search.windows.net", simulate.Unknown, simulate.ReasonPerimeterUndecided, "Unknown", false, []string{"A-26"}, ""},
		{"a wildcard rule could allow", "oai-wild", "x.blob.core.windows.net", simulate.Unknown, simulate.ReasonPerimeterUndecided, "Unknown", false, []string{"A-24"}, ""},
		{"a wildcard rule cannot allow", "oai-wild", "evil.example", simulate.Denied, simulate.ReasonPerimeterDenied, "Deny", false, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f simulate.Flow
			if strings.Contains(tt.to, ".example") || strings.Contains(tt.to, ".net") {
				f = toHost(tt.to)
			} else {
				f = toAddr(tt.to)
			}
			r := traceFrom(t, e, tt.from, f)
			assert.Equal(t, tt.verdict, r.Verdict, r.String())
			assert.Equal(t, tt.reason, r.ReasonCode, r.String())
			s := perimeterStep(t, r)
			assert.Equal(t, tt.access, s.Access, s.Rule)
			assert.Equal(t, tt.wouldDeny, s.WouldBeDenied)
			assert.Equal(t, tt.wouldDeny, r.WouldBeDenied)
			assumes(t, r, tt.assume...)
			assert.Contains(t, r.DecidedBy, tt.decided)
			if tt.wouldDeny {
				assert.Contains(t, r.String(), "when enforced: Denied")
			}
		})
	}
	// No association and no SecuredByPerimeter: the perimeter has no say.
	r := traceFrom(t, engine(t, paasDesign, simulate.Options{}), "vision-open", toHost("evil.example"))
	for _, s := range r.Hops[0].Security {
		assert.NotEqual(t, simulate.StagePerimeter, s.Stage)
	}
}

// TestPerimeterAndAllowList: the account's allowedFqdnList and an Enforced
// perimeter must both allow the call.
func TestPerimeterAndAllowList(t *testing.T) {
	e := engine(t, perimeterDesign, simulate.Options{})
	r := traceFrom(t, e, "oai-both", toHost("mysearch.search.windows.net"))
	assert.Equal(t, simulate.Allowed, r.Verdict)
	assumes(t, r, "A-25")
	assert.Contains(t, r.DecidedBy, "AllowedFqdnList oai-both")
	assert.Contains(t, r.DecidedBy, "NetworkSecurityPerimeter profile ai")

	r = traceFrom(t, e, "oai-both", toHost("api.partner.example"))
	assert.Equal(t, simulate.Denied, r.Verdict, "the perimeter allows, the allow-list does not")
	assert.Equal(t, simulate.ReasonNotInAllowList, r.ReasonCode)
	assert.Contains(t, r.Reason, "not in the allowed FQDN list")

	r = traceFrom(t, e, "oai-both", toHost("evil.example"))
	assert.Equal(t, simulate.Denied, r.Verdict)
	assert.Equal(t, simulate.ReasonNotInAllowList, r.ReasonCode, "the allow-list is evaluated first")
	assert.Contains(t, r.DecidedBy, "; NetworkSecurityPerimeter", "both denials are named")
	require.Len(t, r.Hops[0].Security, 2)
	assert.Equal(t, simulate.StageAllowList, r.Hops[0].Security[0].Stage)
}

// TestPerimeterWebApp: an App Service app secured by a perimeter sends all
// its traffic through its virtual network integration (A-19, the App
// Service team's blog); without an integration it has no way out.
func TestPerimeterWebApp(t *testing.T) {
	e := engine(t, perimeterDesign, simulate.Options{})
	// Application routing is off, yet the flow enters the subnet: its NSG denies.
	r := traceFrom(t, e, "app-enforced", toAddr("8.8.8.8"))
	assert.Equal(t, simulate.Denied, r.Verdict, r.String())
	assert.Equal(t, simulate.ReasonDeniedOut, r.ReasonCode)
	assert.Contains(t, r.DecidedBy, "deny-internet")
	assumes(t, r, "A-19")
	s := perimeterStep(t, r)
	assert.Equal(t, "Allow", s.Access)
	assert.Equal(t, "Enforced", s.AccessMode)

	r = traceFrom(t, e, "app-enforced", toAddr("52.1.2.3"))
	assert.Equal(t, simulate.Allowed, r.Verdict)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod, "through the integration subnet's NAT gateway")

	r = traceFrom(t, e, "app-enforced-alone", toAddr("52.1.2.3"))
	assert.Equal(t, simulate.Denied, r.Verdict)
	assert.Equal(t, simulate.ReasonPerimeterDenied, r.ReasonCode)
	assert.Equal(t, "Deny", perimeterStep(t, r).Access)

	// Learning: the app's settings decide (public, from its own address);
	// enforcing would send the flow into the subnet, where the NSG denies.
	r = traceFrom(t, e, "app-learning", toAddr("8.8.8.8"))
	assert.Equal(t, simulate.Allowed, r.Verdict, r.String())
	assert.Equal(t, simulate.MethodAppService, r.EgressMethod)
	assert.True(t, r.WouldBeDenied)
	assert.True(t, perimeterStep(t, r).WouldBeDenied)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "where this flow is Denied")

	r = traceFrom(t, e, "app-learning", toAddr("52.1.2.3"))
	assert.Equal(t, simulate.Allowed, r.Verdict)
	assert.False(t, r.WouldBeDenied, "the NSG allows it when enforced too")
}
