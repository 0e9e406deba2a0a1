package topology

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology/arm"
)

// Pos is a position in an input file (file:line:col). The zero Pos means
// "not from a file" (a model built in Go).
type Pos = arm.Pos

// Ref is a reference to another resource by its Azure resource ID. IDs
// compare case-insensitively, as ARM compares them; [Ref.Key] is the form to
// use as a map key. The zero Ref refers to nothing.
type Ref string

// IsZero reports whether r refers to nothing.
func (r Ref) IsZero() bool { return r == "" }

// Name returns the last segment of the ID: the resource's name.
func (r Ref) Name() string {
	s := strings.TrimRight(string(r), "/")
	return s[strings.LastIndexByte(s, '/')+1:]
}

// Meta is what every resource carries: its ID, name, location and where it
// was read from.
type Meta struct {
	ID       Ref
	Name     string
	Location string // lower-case Azure region, e.g. "eastus"; may be empty
	Pos      Pos
}

// Model is a whole Azure network: every resource that shapes egress, indexed
// by ID. Build one with a loader ([LoadFiles], [LoadNative], [FromARM]) or by
// hand, then call [Model.Validate] (loaders do).
//
// A Model is plain mutable data, the builder of a [Network]: it is not safe
// for concurrent use, reads included (its lookups build an ID index on first
// use, and a change drops it). Share the immutable *Network that [Load] or
// [Model.Network] returns instead; it keeps its own copy of the model, and
// the engines compiled from it never refer back to a Model.
type Model struct {
	VNets                []*VNet
	NICs                 []*NIC
	RouteTables          []*RouteTable
	NSGs                 []*NSG
	ASGs                 []*ASG
	PublicIPs            []*PublicIP
	PublicIPPrefixes     []*PublicIPPrefix
	NATGateways          []*NATGateway
	LoadBalancers        []*LoadBalancer
	Gateways             []*Gateway
	LocalNetworkGateways []*LocalNetworkGateway
	Connections          []*Connection
	RouteServers         []*RouteServer
	PrivateEndpoints     []*PrivateEndpoint
	Firewalls            []*Firewall
	FirewallPolicies     []*FirewallPolicy
	IPGroups             []*IPGroup
	AIAccounts           []*AIAccount
	WebApps              []*WebApp
	// Injected are the resources of services injected into delegated
	// subnets: container groups and flexible servers ([InjectedResource]).
	Injected []*InjectedResource
	// OtherPaaS are resources with outbound controls of their own that
	// egress does not simulate (see [OtherPaaS]); flows from them are
	// refused, saying why.
	OtherPaaS []*OtherPaaS
	// Network security perimeters: the perimeters, their profiles, the
	// profiles' access rules and the resource associations, each a flat
	// list linked by ID (an export may hold any of them without the rest).
	Perimeters            []*Perimeter
	PerimeterProfiles     []*PerimeterProfile
	PerimeterAccessRules  []*PerimeterAccessRule
	PerimeterAssociations []*PerimeterAssociation
	// FlowLogs are Network Watcher flow logs: what they record, for replays.
	FlowLogs     []*FlowLog
	AdminConfigs []*AdminConfig
	// Skipped counts, by lower-case resource type, the input resources that
	// egress does not model.
	Skipped map[string]int

	idx      map[string]any // ID key → resource; built by index()
	warnings warnList       // the loaders' warnings; see Warnings
	// Mirrored association lists of the ARM input (see assoc.go), applied
	// by complete.
	backrefs []backref
	// Routes whose next hop is the address of an Azure Firewall that a
	// Terraform plan knows only after apply, applied by complete once the
	// firewall's address is inferred (see terraform.go).
	firewallHops []firewallHop
}

// VNet is a virtual network.
type VNet struct {
	Meta
	AddressSpace []netip.Prefix
	Subnets      []*Subnet
	Peerings     []*Peering
	// DNSServers are the custom DNS servers (dhcpOptions.dnsServers); empty means Azure DNS.
	DNSServers []netip.Addr
}

// PrivateEndpointPolicy is a subnet's privateEndpointNetworkPolicies.
type PrivateEndpointPolicy uint8

// Values of privateEndpointNetworkPolicies.
const (
	PEPoliciesDisabled PrivateEndpointPolicy = iota // the default
	PEPoliciesEnabled
	PEPoliciesNSGOnly   // NetworkSecurityGroupEnabled
	PEPoliciesRouteOnly // RouteTableEnabled
)

var pePolicyNames = [...]string{"Disabled", "Enabled", "NetworkSecurityGroupEnabled", "RouteTableEnabled"}

// String returns the ARM spelling.
func (p PrivateEndpointPolicy) String() string {
	if int(p) < len(pePolicyNames) {
		return pePolicyNames[p]
	}
	return fmt.Sprintf("PrivateEndpointPolicy(%d)", uint8(p))
}

// RouteTables reports whether UDRs apply to private endpoints in the subnet.
func (p PrivateEndpointPolicy) RouteTables() bool {
	return p == PEPoliciesEnabled || p == PEPoliciesRouteOnly
}

// NSGs reports whether NSGs apply to private endpoints in the subnet.
func (p PrivateEndpointPolicy) NSGs() bool { return p == PEPoliciesEnabled || p == PEPoliciesNSGOnly }

// ParsePrivateEndpointPolicy parses the ARM spelling, case-insensitively.
func ParsePrivateEndpointPolicy(s string) (PrivateEndpointPolicy, error) {
	for i, n := range pePolicyNames {
		if strings.EqualFold(n, s) {
			return PrivateEndpointPolicy(i), nil
		}
	}
	return 0, fmt.Errorf("unknown privateEndpointNetworkPolicies %q (want Disabled, Enabled, NetworkSecurityGroupEnabled or RouteTableEnabled)", s)
}

// Subnet is a subnet of a [VNet].
type Subnet struct {
	Meta
	VNet       *VNet
	Prefixes   []netip.Prefix
	RouteTable Ref
	NSG        Ref
	NATGateway Ref
	// ServiceEndpoints are the service endpoints enabled on the subnet.
	ServiceEndpoints []ServiceEndpoint
	// PrivateEndpointPolicies is privateEndpointNetworkPolicies.
	PrivateEndpointPolicies PrivateEndpointPolicy
	// DefaultOutboundAccess is the subnet's defaultOutboundAccess; nil when
	// the input does not say (see [Options.DefaultOutboundAccess]).
	DefaultOutboundAccess *bool
	// Delegations are the services the subnet is delegated to
	// (delegations[].properties.serviceName, e.g. "Microsoft.Web/serverFarms").
	Delegations []string
}

// ServiceEndpoint is a service endpoint enabled on a subnet.
type ServiceEndpoint struct {
	Service   string   // e.g. "Microsoft.Storage"
	Locations []string // regions it covers; empty means the subnet's region (and its pair)
}

// Peering is one direction of a VNet peering: the local VNet's view of the
// remote one.
type Peering struct {
	Meta
	Local                     *VNet
	Remote                    Ref
	AllowVirtualNetworkAccess bool
	AllowForwardedTraffic     bool
	AllowGatewayTransit       bool
	UseRemoteGateways         bool
	// Connected is false when the peering state is Initiated or Disconnected:
	// no traffic flows.
	Connected bool
	// RemoteAddressSpace is the remote VNet's address space as the peering
	// records it (ARM remoteAddressSpace, else
	// remoteVirtualNetworkAddressSpace): what is known of a remote VNet the
	// input does not contain.
	RemoteAddressSpace []netip.Prefix
}

// NIC is a network interface.
type NIC struct {
	Meta
	IPConfigs          []*IPConfig
	NSG                Ref
	EnableIPForwarding bool
	// PrivateEndpoint is set for the NIC of a private endpoint.
	PrivateEndpoint Ref
	// VirtualMachine is the VM the NIC is attached to, when known (ARM
	// properties.virtualMachine). The NICs of one VM share its default
	// outbound access: a public IP on any of them turns it off for all
	// (https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access).
	VirtualMachine Ref
	// MAC is the NIC's MAC address (ARM properties.macAddress, assigned
	// when the VM starts), as 12 upper-case hex digits, the form flow logs
	// write; "" when the input does not say.
	MAC string
}

// NormalizeMAC returns a MAC address as flow logs write it: 12 upper-case
// hex digits, the "-" or ":" separators ARM and operating systems write
// removed ("00-0D-3A-F8-78-56" and "00:0d:3a:f8:78:56" are "000D3AF87856").
func NormalizeMAC(s string) (string, error) {
	b := make([]byte, 0, 12)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ':':
			continue
		case c >= '0' && c <= '9', c >= 'A' && c <= 'F':
		case c >= 'a' && c <= 'f':
			c -= 'a' - 'A'
		default:
			return "", fmt.Errorf("%q is not a MAC address: want 12 hex digits (00-0D-3A-F8-78-56)", s)
		}
		b = append(b, c)
	}
	if len(b) != 12 {
		return "", fmt.Errorf("%q is not a MAC address: want 12 hex digits (00-0D-3A-F8-78-56)", s)
	}
	return string(b), nil
}

// Primary returns the primary IP configuration (the first one when none is
// marked primary), or nil.
func (n *NIC) Primary() *IPConfig {
	for _, c := range n.IPConfigs {
		if c.Primary {
			return c
		}
	}
	if len(n.IPConfigs) > 0 {
		return n.IPConfigs[0]
	}
	return nil
}

// IPConfig is one IP configuration of a [NIC].
type IPConfig struct {
	Meta
	NIC            *NIC
	Primary        bool
	PrivateIP      netip.Addr
	Subnet         Ref
	PublicIP       Ref
	ASGs           []Ref
	BackendPools   []Ref // load balancer backend pools (IDs of the pool sub-resources)
	GatewayLBFront Ref   // gateway load balancer frontend, if chained
	// PrivateIPUnknown is empty when the input gives PrivateIP or leaves it
	// out without saying why. When the input says the address exists but
	// is not known yet (a Terraform plan's value known after apply), it
	// says so in a sentence naming where: the simulator answers Unknown,
	// not Dropped, for flows from the configuration.
	PrivateIPUnknown string
}

// ASG is an application security group.
type ASG struct{ Meta }

// RouteTable is a route table resource.
type RouteTable struct {
	Meta
	Routes                     []route.UserRoute
	DisableBGPRoutePropagation bool
	RoutePos                   []Pos // position of each route, parallel to Routes
}

// NSG is a network security group.
type NSG struct {
	Meta
	Rules   []nsg.Rule
	RulePos []Pos // position of each rule, parallel to Rules
	// KnownAfterApply holds, by lower-case name, the rules some of whose
	// values a Terraform plan knows only after apply, saying which: such a
	// rule is taken as matching any value there (its addresses, ports or
	// protocol "*"), so that a flow it does not match is one the real
	// rule does not match either, and the answers it decides are Unknown
	// ([NSGView.RuleKnownAfterApply]). A rule whose priority is unknown
	// sits at the first priority its direction leaves free, flagged only
	// if a rule it could precede could decide its flows otherwise; one
	// whose direction is unknown is a rule of each direction (the Inbound
	// one named NAME_Inbound), flagged (terraformnsg.go).
	KnownAfterApply map[string]string
}

// PublicIP is a public IP address resource.
type PublicIP struct {
	Meta
	Address netip.Addr // invalid while a dynamic address is unallocated
	SKU     string     // "Basic", "Standard", "StandardV2"
	Prefix  Ref        // the public IP prefix it was taken from, if any
}

// PublicIPPrefix is a public IP prefix resource.
type PublicIPPrefix struct {
	Meta
	Prefix netip.Prefix
	SKU    string // "Standard" or "StandardV2"; "" when the input does not say
}

// NATGateway is a NAT gateway. Its SKU decides what it carries and where it
// attaches ([LookupNATGatewaySKU]).
type NATGateway struct {
	Meta
	SKU              string // "Standard" (the default) or "StandardV2"
	PublicIPs        []Ref  // IPv4 and IPv6 (publicIpAddresses, publicIpAddressesV6)
	PublicIPPrefixes []Ref  // IPv4 and IPv6 (publicIpPrefixes, publicIpPrefixesV6)
	// SourceVirtualNetwork attaches the gateway to every subnet of a VNet
	// (StandardV2 only); a subnet's own NAT gateway takes precedence.
	SourceVirtualNetwork Ref
}

// LoadBalancer is a load balancer with its frontends, pools and rules.
type LoadBalancer struct {
	Meta
	SKU           string // "Basic", "Standard", "Gateway"
	Frontends     []*Frontend
	BackendPools  []*BackendPool
	Rules         []*LBRule
	OutboundRules []*OutboundRule
}

// IsPublic reports whether any frontend has a public IP.
func (lb *LoadBalancer) IsPublic() bool {
	for _, f := range lb.Frontends {
		if !f.PublicIP.IsZero() || !f.PublicIPPrefix.IsZero() {
			return true
		}
	}
	return false
}

// Frontend is a load balancer frontend IP configuration.
type Frontend struct {
	Meta
	PublicIP       Ref
	PublicIPPrefix Ref
	PrivateIP      netip.Addr
	Subnet         Ref
}

// BackendPool is a load balancer backend address pool.
type BackendPool struct {
	Meta
	// ByIPAddress is true for a pool defined by IP addresses rather than NIC
	// IP configurations (it then behaves like default outbound access for
	// outbound traffic: a documented known issue).
	ByIPAddress bool
}

// LBRule is a load-balancing rule.
type LBRule struct {
	Meta
	Frontend            Ref
	BackendPool         Ref
	Protocol            string // "Tcp", "Udp", "All"
	DisableOutboundSnat bool
}

// OutboundRule is a load balancer outbound rule.
type OutboundRule struct {
	Meta
	Frontends   []Ref
	BackendPool Ref
	Protocol    string
	// AllocatedOutboundPorts is the SNAT ports given each backend instance
	// (properties.allocatedOutboundPorts); 0 is the default allocation by
	// backend pool size (https://learn.microsoft.com/azure/load-balancer/outbound-rules).
	AllocatedOutboundPorts int
}

// GatewayType is a virtual network gateway's type.
type GatewayType uint8

// Gateway types.
const (
	GatewayVpn GatewayType = iota
	GatewayExpressRoute
)

// String returns "Vpn" or "ExpressRoute".
func (t GatewayType) String() string {
	if t == GatewayExpressRoute {
		return "ExpressRoute"
	}
	return "Vpn"
}

// Gateway is a VPN or ExpressRoute virtual network gateway, with the routes
// it has learned (as `az network vnet-gateway list-learned-routes` prints).
type Gateway struct {
	Meta
	Type         GatewayType
	VNet         Ref          // the VNet whose GatewaySubnet holds it
	PrivateIPs   []netip.Addr // instance addresses in the GatewaySubnet
	PublicIPs    []Ref        // the public IPs of its IP configurations
	ActiveActive bool
	// PrivateIPsAssumed is empty when the input gives PrivateIPs (or they do
	// not matter). For an active-active VPN gateway whose input gives no
	// instance addresses, the loader infers them from GatewaySubnet and this
	// says so, naming the addresses and the documentation: results whose
	// routes show them state it as an assumption.
	PrivateIPsAssumed string
	// DefaultSite is the local network gateway that internet-bound traffic
	// is forced to (ARM gatewayDefaultSite), or zero: forced tunnelling by
	// default site (https://learn.microsoft.com/azure/vpn-gateway/site-to-site-tunneling).
	DefaultSite Ref
	// LearnedRoutes are the BGP-learned and static routes it propagates.
	LearnedRoutes []route.GatewayRoute
}

// LocalNetworkGateway is an on-premises site's description.
type LocalNetworkGateway struct {
	Meta
	GatewayIP netip.Addr // invalid when the peer is given by GatewayFQDN, or not known
	// GatewayFQDN is the peer VPN device's DNS name when it is given
	// instead of an address (ARM fqdn, Terraform gateway_fqdn): Azure
	// resolves it, so the peer's address is unknown offline.
	GatewayFQDN     string
	AddressPrefixes []netip.Prefix
}

// Connection links a gateway to a local network gateway (or another gateway,
// or an ExpressRoute circuit).
type Connection struct {
	Meta
	Gateway      Ref
	LocalGateway Ref
	Peer         Ref // VNet-to-VNet: the other gateway
	Type         string
}

// RouteServer is an Azure Route Server with the routes NVAs advertise to it.
type RouteServer struct {
	Meta
	VNet       Ref
	Advertised []route.GatewayRoute
}

// PrivateEndpoint is a private endpoint.
type PrivateEndpoint struct {
	Meta
	Subnet  Ref
	NIC     Ref
	IPs     []netip.Addr
	Service Ref // the private link resource it connects to
	GroupID string
}

// Firewall is an Azure Firewall.
type Firewall struct {
	Meta
	SKU          string // "AZFW_VNet" or "AZFW_Hub"
	Tier         string // "Basic", "Standard", "Premium"
	VNet         Ref
	PrivateIP    netip.Addr
	PublicIPs    []Ref
	Policy       Ref
	ManagementIP Ref // set in forced-tunnelling mode
	ThreatIntel  string
	// PrivateIPAssumed is empty when the input gives PrivateIP. When the
	// input leaves it out (portal exports do) and the loader inferred it
	// from AzureFirewallSubnet, it says so in a sentence that names the
	// address, the subnet and the documentation the inference rests on:
	// results that route through the firewall state it as an assumption.
	PrivateIPAssumed string

	// Classic rules: the firewall's own rule collections
	// (properties.natRuleCollections, networkRuleCollections and
	// applicationRuleCollections), which a firewall without a Policy uses;
	// a firewall has one or the other ([Model.Validate]). Their collections
	// have no Kind (the list gives the type); their rules' Type is
	// "NatRule", "NetworkRule" or "ApplicationRule".
	NatRuleCollections         []*RuleCollection
	NetworkRuleCollections     []*RuleCollection
	ApplicationRuleCollections []*RuleCollection
	// DNSProxy is additionalProperties "Network.DNS.EnableProxy" ("true");
	// SNATPrivateRanges is "Network.SNAT.PrivateRanges" split at its commas
	// (nil: the default, IANAPrivateRanges). They apply to classic rules; a
	// firewall with a policy takes them from the policy
	// (https://learn.microsoft.com/azure/firewall/snat-private-range).
	DNSProxy          bool
	SNATPrivateRanges []string
}

// HasClassicRules reports whether the firewall has any classic rule
// collection (empty collections count).
func (f *Firewall) HasClassicRules() bool {
	return len(f.NatRuleCollections)+len(f.NetworkRuleCollections)+len(f.ApplicationRuleCollections) > 0
}

// FirewallPolicy is an Azure Firewall Policy: its parent and its rule
// collection groups. The rule engine lives in package firewall.
type FirewallPolicy struct {
	Meta
	Parent               Ref
	RuleCollectionGroups []*RuleCollectionGroup
	DNSProxy             bool
	SNATPrivateRanges    []string // nil: the default (IANAPrivateRanges)
	ThreatIntel          string
}

// RuleCollectionGroup is a firewall policy rule collection group.
type RuleCollectionGroup struct {
	Meta
	Priority    int
	Collections []*RuleCollection
}

// RuleCollection is a rule collection inside a group, or one of a
// firewall's classic rule collections.
type RuleCollection struct {
	Name     string
	Priority int
	Kind     string // "FirewallPolicyFilterRuleCollection" or "FirewallPolicyNatRuleCollection"; "" for classic collections
	Action   string // "Allow", "Deny", "Dnat"
	Rules    []*FirewallRule
	Pos      Pos
}

// FirewallRule is one firewall policy rule, of any type; fields that do not
// apply to its type are empty.
type FirewallRule struct {
	Name                 string
	Type                 string   // "NetworkRule", "ApplicationRule", "NatRule"
	Protocols            []string // network and NAT rules: "TCP", "UDP", "ICMP", "Any"; application rules: "Http:80", "Https:443", "Mssql:1433"
	SourceAddresses      []string
	SourceIPGroups       []Ref
	DestinationAddresses []string
	DestinationIPGroups  []Ref
	DestinationFqdns     []string
	DestinationPorts     []string
	TargetFqdns          []string
	TargetURLs           []string
	FqdnTags             []string
	WebCategories        []string
	TerminateTLS         bool
	TranslatedAddress    string
	TranslatedPort       string
	TranslatedFqdn       string
	Pos                  Pos
}

// IPGroup is an IP group (Microsoft.Network/ipGroups) that firewall rules
// reference: addresses, CIDRs or ranges "a-b".
type IPGroup struct {
	Meta
	Addresses []string
}

// AIAccount is an Azure AI services (Cognitive Services) account and its
// outbound restriction.
//
// Its allowedFqdnList is checked when the model is validated (package
// allowlist: at most 1000 entries, each a DNS name or an IPv4 address);
// the network compiles it ([AIAccountView.AllowList]).
type AIAccount struct {
	Meta
	Kind                          string
	RestrictOutboundNetworkAccess bool
	AllowedFqdnList               []string
	// PublicNetworkAccess is publicNetworkAccess as written: Enabled,
	// Disabled, SecuredByPerimeter, or "" (absent).
	PublicNetworkAccess string
	// CustomSubDomain is customSubDomainName: the account's endpoints
	// answer at <it>.openai.azure.com and the like.
	CustomSubDomain string
	// AllowedFqdnPos are the positions of AllowedFqdnList's entries, when
	// the loader knows them (else empty, and problems name the account).
	AllowedFqdnPos []Pos
	// Tags are the resource's tags (ARM's top-level "tags"), nil when it
	// has none; the audit looks for an owner among them.
	Tags map[string]string
}

// AdminConfig is an AVNM security admin configuration, already resolved to
// the VNets it applies to.
type AdminConfig struct {
	Meta
	VNets []Ref
	Rules []nsg.AdminRule
}
