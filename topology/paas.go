package topology

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/allowlist"
)

// ErrUndocumented: a warning that the input relies on Azure behaviour Learn
// does not document; egress answers by an assumption whose id (A-n, from the
// PaaS semantics notes) the warning names.
var ErrUndocumented = errors.New("undocumented behaviour")

// Resource types of the PaaS sources.
const (
	tWeb          = "Microsoft.Web/sites"
	webDelegation = "Microsoft.Web/serverFarms"
)

// aiDocumentedKinds are the account kinds of the services that
// cognitive-services-data-loss-prevention lists (2025-10-02 revision: Azure
// OpenAI, Foundry, Vision, Content Moderator, Custom Vision, Face, Document
// Intelligence, Speech, QnA Maker). The doc names services, not kinds: the
// mapping is egress's.
var aiDocumentedKinds = []string{"OpenAI", "AIServices", "ComputerVision", "ContentModerator", "CustomVision.Training",
	"CustomVision.Prediction", "Face", "FormRecognizer", "SpeechServices", "QnAMaker"}

// AIKindDocumented reports whether kind is an account kind of a service
// the data-loss-prevention page lists (A-1: the mapping from services to
// kinds is egress's).
func AIKindDocumented(kind string) bool {
	return slices.ContainsFunc(aiDocumentedKinds, func(k string) bool { return strings.EqualFold(k, kind) })
}

// WebApp is an App Service or Azure Functions app (Microsoft.Web/sites)
// with what decides where its outbound traffic goes
// (https://learn.microsoft.com/azure/app-service/overview-vnet-integration).
type WebApp struct {
	Meta
	Kind string // "app", "app,linux", "functionapp", ...: the network rules are the same
	// Subnet is virtualNetworkSubnetId: the subnet of its regional virtual
	// network integration, or zero for none.
	Subnet Ref
	// Routing is what its settings say about which traffic enters Subnet.
	Routing WebAppRouting
	// OutboundIPs and PossibleOutboundIPs are outboundIpAddresses and
	// possibleOutboundIpAddresses: the shared addresses the platform picks
	// from per connection; nil when the input does not say.
	OutboundIPs, PossibleOutboundIPs []netip.Addr
	// VNetName is siteConfig.vnetName: with no Subnet, a gateway-required
	// integration, which egress does not model.
	VNetName            string
	PublicNetworkAccess string
}

// WebAppRouting is an app's routing settings as written, in their three
// generations (configure-vnet-integration-routing): each nil when the
// input does not give it (a null is absent, not false).
type WebAppRouting struct {
	// outboundVnetRouting (API 2024-11-01 and later).
	AllTraffic, ApplicationTraffic, ContentShareTraffic, ImagePullTraffic, BackupRestoreTraffic, ManagedIdentityTraffic *bool
	// The site-level flags of earlier API versions.
	VnetRouteAllEnabled, VnetContentShareEnabled, VnetImagePullEnabled, VnetBackupRestoreEnabled *bool
	// SiteConfigVnetRouteAllEnabled is siteConfig.vnetRouteAllEnabled.
	SiteConfigVnetRouteAllEnabled *bool
	// App settings (siteConfig.appSettings), "" when absent:
	// WEBSITE_VNET_ROUTE_ALL, WEBSITE_CONTENTOVERVNET, WEBSITE_PULL_IMAGE_OVER_VNET.
	AppRouteAll, AppContentOverVNet, AppPullImageOverVNet string
}

// WebAppTraffic is a class of an app's outbound traffic: its application's
// own calls, or one kind of configuration traffic.
type WebAppTraffic uint8

// Traffic classes.
const (
	TrafficApplication     WebAppTraffic = iota // the app's own calls (the default)
	TrafficContentShare                         // the content share (Azure Files, ports 443 and 445)
	TrafficImagePull                            // container image pulls
	TrafficBackupRestore                        // backup and restore
	TrafficManagedIdentity                      // managed identity token acquisition
	numWebAppTraffic
)

var webAppTrafficNames = [numWebAppTraffic]string{"application", "contentShare", "imagePull", "backupRestore", "managedIdentity"}

// String returns the class's name.
func (c WebAppTraffic) String() string {
	if c < numWebAppTraffic {
		return webAppTrafficNames[c]
	}
	return fmt.Sprintf("WebAppTraffic(%d)", uint8(c))
}

// ParseWebAppTraffic parses a class's name, in any letter case.
func ParseWebAppTraffic(s string) (WebAppTraffic, error) {
	for i, n := range webAppTrafficNames {
		if strings.EqualFold(n, s) {
			return WebAppTraffic(i), nil
		}
	}
	return 0, fmt.Errorf("unknown traffic class %q: want %s", s, strings.Join(webAppTrafficNames[:], ", "))
}

func isTrue(b *bool) bool { return b != nil && *b }

func truthy(s string) bool { return s == "1" || strings.EqualFold(s, "true") }

// RoutesAll reports whether the settings send all traffic of class c into
// the integration subnet, and the setting that decided (or, when false,
// the settings read). Application traffic that they do not route still
// enters the subnet when it goes to RFC 1918 addresses or the subnet's
// service endpoints (overview-vnet-integration#routes); that depends on the
// destination, which is the simulator's part.
//
// The three generations of settings may disagree; how Azure reconciles
// them is undocumented: a class is routed if any site property says
// so, and by its app setting only when no site property for it is present
// ("Site properties override the app settings if both exist").
// outboundVnetRouting.allTraffic routes every class.
func (r WebAppRouting) RoutesAll(c WebAppTraffic) (bool, string) {
	if isTrue(r.AllTraffic) {
		return true, "outboundVnetRouting.allTraffic"
	}
	type flag struct {
		name string
		v    *bool
	}
	var flags []flag
	var setting, settingName string
	switch c {
	case TrafficApplication:
		flags = []flag{{"outboundVnetRouting.applicationTraffic", r.ApplicationTraffic}, {"vnetRouteAllEnabled", r.VnetRouteAllEnabled},
			{"siteConfig.vnetRouteAllEnabled", r.SiteConfigVnetRouteAllEnabled}}
		setting, settingName = r.AppRouteAll, "WEBSITE_VNET_ROUTE_ALL"
	case TrafficContentShare:
		flags = []flag{{"outboundVnetRouting.contentShareTraffic", r.ContentShareTraffic}, {"vnetContentShareEnabled", r.VnetContentShareEnabled}}
		setting, settingName = r.AppContentOverVNet, "WEBSITE_CONTENTOVERVNET"
	case TrafficImagePull:
		flags = []flag{{"outboundVnetRouting.imagePullTraffic", r.ImagePullTraffic}, {"vnetImagePullEnabled", r.VnetImagePullEnabled}}
		setting, settingName = r.AppPullImageOverVNet, "WEBSITE_PULL_IMAGE_OVER_VNET"
	case TrafficBackupRestore:
		flags = []flag{{"outboundVnetRouting.backupRestoreTraffic", r.BackupRestoreTraffic}, {"vnetBackupRestoreEnabled", r.VnetBackupRestoreEnabled}}
	case TrafficManagedIdentity:
		flags = []flag{{"outboundVnetRouting.managedIdentityTraffic", r.ManagedIdentityTraffic}}
	}
	present := false
	var read []string
	for _, f := range flags {
		if isTrue(f.v) {
			return true, f.name
		}
		if f.v != nil {
			present = true
			read = append(read, f.name+" false")
		}
	}
	if !present && truthy(setting) {
		return true, "app setting " + settingName
	}
	if len(read) == 0 {
		return false, "no routing setting for " + c.String() + " traffic"
	}
	return false, strings.Join(read, ", ")
}

// OtherPaaS is a resource with an outbound control of its own that egress
// recognises but does not simulate, because its semantics differ from an
// AI services account's allowedFqdnList (paas-semantics §1.6): Azure
// Machine Learning and Foundry hub managed networks (Azure Firewall FQDN
// rules on ports 80 and 443, service-tag and private-endpoint rules), IoT
// Hub, Azure Data Explorer and SQL outbound restrictions, AI Search
// (shared private links and perimeters only). A flow from one is refused,
// saying why, rather than answered by the wrong matcher.
type OtherPaaS struct {
	Meta
	Type    string // the ARM resource type
	Control string // what governs its egress, in a sentence, with its source
	// Setting is the outbound setting as written, for audits:
	// "managedNetwork.isolationMode=AllowOnlyApprovedOutbound",
	// "restrictOutboundNetworkAccess=Enabled" (a string on SQL and Data
	// Explorer, a boolean on IoT Hub: each kept as its type spells it), or "".
	Setting string
}

// otherPaaS describes, per resource type, the outbound control of the
// types OtherPaaS holds.
var otherPaaS = map[string]string{
	"microsoft.machinelearningservices/workspaces":         "a managed network (managedNetwork.isolationMode, outboundRules of type FQDN, ServiceTag or PrivateEndpoint) enforced by a managed Azure Firewall; FQDN rules only on ports 80 and 443 (https://learn.microsoft.com/azure/machine-learning/how-to-managed-network): not the allowedFqdnList matcher",
	"microsoft.cognitiveservices/accounts/managednetworks": "a Foundry managed network (preview; the Azure Machine Learning model of isolationMode and outboundRules, https://learn.microsoft.com/azure/templates/microsoft.cognitiveservices/accounts/managednetworks): not modelled",
	"microsoft.devices/iothubs":                            "restrictOutboundNetworkAccess (bool) and allowedFqdnList for its routing endpoints; matching undocumented (https://learn.microsoft.com/dotnet/api/azure.resourcemanager.iothub.models.iothubproperties.restrictoutboundnetworkaccess): not modelled",
	"microsoft.kusto/clusters":                             "restrictOutboundNetworkAccess (\"Enabled\"/\"Disabled\"), allowedFqdnList and allowedIpRangeList; matching undocumented: not modelled",
	"microsoft.sql/servers":                                "restrictOutboundNetworkAccess (\"Enabled\"/\"Disabled\") with outboundFirewallRules to Azure Storage and SQL servers (https://learn.microsoft.com/azure/azure-sql/database/outbound-firewall-rule-overview): not modelled",
	"microsoft.search/searchservices":                      "no outbound allow-list: networkRuleSet is inbound only; outbound goes through shared private links and network security perimeters: not modelled",
}

// OtherPaaSControl returns the description of the outbound control of a
// resource type that [OtherPaaS] holds, and whether it is one.
func OtherPaaSControl(typ string) (string, bool) {
	c, ok := otherPaaS[strings.ToLower(typ)]
	return c, ok
}

// validatePaaS checks the AI accounts' allow-lists (errors: over 1000
// entries, an entry that is not a DNS name, A-12; warnings: entries that
// match nothing or whose meaning is undocumented, a restriction on a kind
// Learn does not list) and the web apps' integration subnets (warning: not
// delegated to Microsoft.Web/serverFarms).
func (m *Model) validatePaaS(p *problems, w *warnList) {
	for _, a := range m.AIAccounts {
		res := string(a.ID)
		if len(a.AllowedFqdnList) > allowlist.MaxEntries {
			p.add(a.Pos, res, "allowedFqdnList", "", ErrLimit, "%d entries; an account's list holds at most %d (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention; duplicates count, A-13)",
				len(a.AllowedFqdnList), allowlist.MaxEntries)
		}
		_, probs := allowlist.Compile(a.AllowedFqdnList)
		for _, pr := range probs {
			pos := a.Pos
			if pr.Index < len(a.AllowedFqdnPos) && a.AllowedFqdnPos[pr.Index].IsValid() {
				pos = a.AllowedFqdnPos[pr.Index]
			}
			field := fmt.Sprintf("allowedFqdnList[%d]", pr.Index)
			if pr.Warning {
				w.warn(pos, res, field, pr.Entry, ErrUndocumented, "%s: %s", pr.Assumption, pr.Detail)
			} else {
				p.add(pos, res, field, pr.Entry, ErrInvalid, "%s (A-12: entries are DNS names or IPv4 addresses)", pr.Detail)
			}
		}
		if a.RestrictOutboundNetworkAccess && !AIKindDocumented(a.Kind) {
			w.warn(a.Pos, res, "kind", a.Kind, ErrUndocumented, "A-1: restrictOutboundNetworkAccess is on, but the data-loss-prevention page does not list this kind's service; egress applies it as for the listed ones")
		}
	}
	for _, app := range m.WebApps {
		res := string(app.ID)
		s, ok := checkRef[*Subnet](m, p, app.Pos, res, "virtualNetworkSubnetId", app.Subnet, "subnet")
		if ok && !slices.ContainsFunc(s.Delegations, func(d string) bool { return strings.EqualFold(d, webDelegation) }) {
			// "If the delegation isn't done before integration, the
			// provisioning process will configure this delegation"
			// (configure-vnet-integration-enable): the input is stale.
			detail := "the integration subnet is not delegated to Microsoft.Web/serverFarms; Azure delegates it when the integration is made, so the input is probably stale (https://learn.microsoft.com/azure/app-service/configure-vnet-integration-enable)"
			if len(s.Delegations) > 0 {
				detail = fmt.Sprintf("the integration subnet is delegated to %s, not Microsoft.Web/serverFarms; a subnet has one delegation, and integration needs this one (https://learn.microsoft.com/azure/app-service/configure-vnet-integration-enable)", strings.Join(s.Delegations, ", "))
			}
			w.warn(app.Pos, res, "virtualNetworkSubnetId", string(app.Subnet), ErrInvalid, "%s", detail)
		}
		if app.Subnet.IsZero() && app.VNetName != "" {
			w.warn(app.Pos, res, "siteConfig.vnetName", app.VNetName, ErrUndocumented, "A-18: a gateway-required virtual network integration, which egress does not model: flows from the app are Unknown")
		}
	}
}

// AIAccountView is an Azure AI services account of a [Network], with its
// allow-list compiled.
type AIAccountView struct {
	n *Network
	i int32
}

type aiRec struct {
	a    *AIAccount
	list *allowlist.List
}

// NumAIAccounts returns the number of AI services accounts, indexed in
// model order.
func (n *Network) NumAIAccounts() int { return len(n.ais) }

// AIAccount returns account i; it panics if i is out of range.
func (n *Network) AIAccount(i int) AIAccountView { _ = n.ais[i]; return AIAccountView{n, int32(i)} }

func (v AIAccountView) rec() *aiRec { return &v.n.ais[v.i] }

// Index returns the account's index.
func (v AIAccountView) Index() int { return int(v.i) }

// Name returns the account's name.
func (v AIAccountView) Name() string { return v.rec().a.Name }

// ID returns the account's resource ID.
func (v AIAccountView) ID() Ref { return v.rec().a.ID }

// Kind returns the account's kind ("OpenAI", "AIServices", ...).
func (v AIAccountView) Kind() string { return v.rec().a.Kind }

// Pos returns where the account was read from.
func (v AIAccountView) Pos() Pos { return v.rec().a.Pos }

// Restricted reports restrictOutboundNetworkAccess.
func (v AIAccountView) Restricted() bool { return v.rec().a.RestrictOutboundNetworkAccess }

// AllowList returns the compiled allowedFqdnList (immutable).
func (v AIAccountView) AllowList() *allowlist.List { return v.rec().list }

// Resource returns a copy of the account.
func (v AIAccountView) Resource() *AIAccount { return clone(v.rec().a) }

// WebAppView is an App Service or Functions app of a [Network].
type WebAppView struct {
	n *Network
	i int32
}

type webRec struct {
	w      *WebApp
	subnet int32 // the integration subnet, or -1
}

// NumWebApps returns the number of web apps, indexed in model order.
func (n *Network) NumWebApps() int { return len(n.webs) }

// WebApp returns app i; it panics if i is out of range.
func (n *Network) WebApp(i int) WebAppView { _ = n.webs[i]; return WebAppView{n, int32(i)} }

func (v WebAppView) rec() *webRec { return &v.n.webs[v.i] }

// Index returns the app's index.
func (v WebAppView) Index() int { return int(v.i) }

// Name returns the app's name.
func (v WebAppView) Name() string { return v.rec().w.Name }

// ID returns the app's resource ID.
func (v WebAppView) ID() Ref { return v.rec().w.ID }

// Kind returns the app's kind ("app", "functionapp,linux", ...).
func (v WebAppView) Kind() string { return v.rec().w.Kind }

// Pos returns where the app was read from.
func (v WebAppView) Pos() Pos { return v.rec().w.Pos }

// Subnet returns the app's integration subnet, when it has one in the
// network.
func (v WebAppView) Subnet() (SubnetView, bool) {
	s := v.rec().subnet
	return SubnetView{v.n, s}, s >= 0
}

// SubnetRef returns virtualNetworkSubnetId and where it leads.
func (v WebAppView) SubnetRef() (Ref, RefState) {
	r := v.rec().w.Subnet
	return r, refState[*Subnet](v.n, r)
}

// Routing returns the app's routing settings.
func (v WebAppView) Routing() WebAppRouting { return clone(v.rec().w.Routing) }

// OutboundIPs returns a copy of outboundIpAddresses (nil: not in the input).
func (v WebAppView) OutboundIPs() []netip.Addr { return slices.Clone(v.rec().w.OutboundIPs) }

// PossibleOutboundIPs returns a copy of possibleOutboundIpAddresses (nil:
// not in the input).
func (v WebAppView) PossibleOutboundIPs() []netip.Addr {
	return slices.Clone(v.rec().w.PossibleOutboundIPs)
}

// VNetName returns siteConfig.vnetName (gateway-required integration).
func (v WebAppView) VNetName() string { return v.rec().w.VNetName }

// Resource returns a copy of the app.
func (v WebAppView) Resource() *WebApp { return clone(v.rec().w) }

// OtherPaaS returns a copy of the resources with outbound controls egress
// does not simulate ([OtherPaaS]).
func (n *Network) OtherPaaS() []*OtherPaaS { return clone(n.m.OtherPaaS) }

// Delegations returns the services the subnet is delegated to.
func (s SubnetView) Delegations() []string { return slices.Clone(s.rec().s.Delegations) }

// ServiceEndpoints returns the subnet's service endpoints.
func (s SubnetView) ServiceEndpoints() []ServiceEndpoint { return clone(s.rec().s.ServiceEndpoints) }

// paasViews builds the AI account and web app records of a network.
func (n *Network) paasViews(s *Model) {
	for _, a := range s.AIAccounts {
		l, _ := allowlist.Compile(a.AllowedFqdnList) // validated
		n.ais = append(n.ais, aiRec{a: a, list: l})
	}
	for _, w := range s.WebApps {
		rec := webRec{w: w, subnet: -1}
		if si, ok := get(n.subnetByKey, w.Subnet); ok && !w.Subnet.IsZero() {
			rec.subnet = si
		}
		n.webs = append(n.webs, rec)
	}
}
