package simulate

import (
	"fmt"
	"strings"

	"github.com/egresslab/egress/allowlist"
	"github.com/egresslab/egress/topology"
)

// The built-in Azure Policy definitions the web-app check names.
var (
	// "App Service apps should be injected into a virtual network": audits
	// or denies a site whose virtualNetworkSubnetId is empty
	// (Azure/azure-policy, built-in-policies/policyDefinitions/App
	// Service/App_VNetIntegrationEnabled_Audit.json).
	policyAppInVNet = &PolicyDefinition{ID: "/providers/Microsoft.Authorization/policyDefinitions/72d04c29-f87d-4575-9731-419ff16a2757",
		DisplayName: "App Service apps should be injected into a virtual network"}
	// "App Service apps should enable outbound non-RFC 1918 traffic to Azure
	// Virtual Network", the definition on the site property that supports
	// Deny (it replaced the app-setting one in November 2022, App Service
	// built-in policy changelog); the one configure-vnet-integration-routing
	// links and Azure Landing Zones' guardrails assign as Deny-AppService-Rfc.
	policyAppRouteAll = &PolicyDefinition{ID: "/providers/Microsoft.Authorization/policyDefinitions/f5c0bfb3-acea-47b1-b477-b0edcdf6edc1",
		DisplayName: "App Service apps should enable outbound non-RFC 1918 traffic to Azure Virtual Network"}
)

// webAppBypass reports an app whose application traffic to the internet
// does not enter a virtual network
// (https://learn.microsoft.com/azure/app-service/overview-vnet-integration#routes:
// without route-all, only RFC 1918 destinations and service endpoints go
// through the integration; the rest leaves from the app's outbound
// addresses).
//
// known is false for an app whose routing egress does not model
// (gateway-required integration, A-18).
func webAppBypass(w topology.WebAppView) (f Finding, bypass, known bool) {
	scope := Scope{Kind: ScopeWebApp, ID: string(w.ID()), Name: w.Name()}
	ips := w.OutboundIPs()
	from := "its shared outbound addresses"
	if len(ips) > 0 {
		s := make([]string, len(ips))
		for i, a := range ips {
			s[i] = a.String()
		}
		from += " (" + strings.Join(s, ", ") + ")"
	}
	if _, state := w.SubnetRef(); state == topology.RefNone {
		if w.VNetName() != "" {
			return Finding{}, false, false // gateway-required integration: not modelled
		}
		return Finding{Check: CheckWebAppBypassesVNet, Severity: SeverityMedium, Scope: scope, NICs: []NICRef{},
			Message: "no regional VNet integration: all its outbound traffic leaves from " + from + ", outside every NSG, route, NAT gateway and firewall of the network",
			Policy:  policyAppInVNet}, true, true
	}
	routed, why := w.Routing().RoutesAll(topology.TrafficApplication)
	if routed {
		return Finding{}, false, true
	}
	subnet := "its integration subnet"
	if s, ok := w.Subnet(); ok {
		subnet = "integration subnet " + s.Name()
	}
	return Finding{Check: CheckWebAppBypassesVNet, Severity: SeverityHigh, Scope: scope, NICs: []NICRef{},
		Message:  fmt.Sprintf("VNet integration routes only RFC 1918 and service-endpoint traffic into %s: its internet traffic leaves from %s, bypassing the subnet's NSG, routes, NAT gateway and firewall", subnet, from),
		Evidence: why, Policy: policyAppRouteAll}, true, true
}

// allowListBroad reports the wildcard entries of an account's allow-list
// (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention
// documents fully qualified domain names only).
func allowListBroad(a *topology.AIAccount) (Finding, bool) {
	var wild []string
	for _, s := range a.AllowedFqdnList {
		if en, err := allowlist.Parse(s); err == nil && en.Kind == allowlist.Wildcard {
			wild = append(wild, s)
		}
	}
	if len(wild) == 0 {
		return Finding{}, false
	}
	return Finding{Check: CheckAIAllowListBroad, Severity: SeverityMedium, Scope: Scope{Kind: ScopeAIAccount, ID: string(a.ID), Name: a.Name}, NICs: []NICRef{},
		Message:  "allowedFqdnList has wildcard entries, which Learn does not document (A-6): if Azure honours them, the service may call every host under their domains, in a shared service domain other tenants' resources too; list the host names instead",
		Evidence: strings.Join(wild, ", ")}, true
}

// hasOwner reports whether tags name an owner: a tag "owner", in any
// letter case, with a non-blank value.
func hasOwner(tags map[string]string) bool {
	for k, v := range tags {
		if strings.EqualFold(k, "owner") && strings.TrimSpace(v) != "" {
			return true
		}
	}
	return false
}
