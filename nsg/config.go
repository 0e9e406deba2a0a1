package nsg

import (
	"net/netip"
	"strings"
)

// SecurityGroup is the input form of a network security group: its ARM
// resource ID and its user rules (ARM securityRules[]). The six default rules
// are never listed here; [Compile] adds them.
//
// A SecurityGroup is plain data: it may be copied and is never retained or
// changed by this package.
type SecurityGroup struct {
	// ID is the NSG's ARM resource ID. Its last path segment is the NSG's name,
	// used in error messages and outputs.
	ID    string `json:"id"`
	Rules []Rule `json:"securityRules"`
}

// Name returns the last path segment of the NSG's ID (the whole ID if it has
// no slash).
func (sg *SecurityGroup) Name() string { return lastSegment(sg.ID) }

func lastSegment(id string) string {
	if i := strings.LastIndexByte(strings.TrimRight(id, "/"), '/'); i >= 0 {
		return strings.TrimRight(id, "/")[i+1:]
	}
	return id
}

// Rule is one user security rule, with the fields of ARM's
// securityRules[].properties (https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview).
//
// Each side (source, destination) gives its addresses in exactly one of three
// ways: AddressPrefix (one item), AddressPrefixes (a list, an "augmented
// rule"), or ApplicationSecurityGroups (ASG resource IDs). An address item is
// "*" (or "Any"), an IP address, a CIDR without host bits, or one service tag
// name; "*" and a tag must stand alone on their side. Ports are given as
// PortRange or PortRanges: "*", a port 1..65535, or a range "a-b"; "0-65535"
// is accepted as a synonym of "*".
type Rule struct {
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Priority    int       `json:"priority"`
	Direction   Direction `json:"direction"`
	Access      Access    `json:"access"`
	Protocol    Protocol  `json:"protocol"`

	SourceAddressPrefix             string   `json:"sourceAddressPrefix,omitempty"`
	SourceAddressPrefixes           []string `json:"sourceAddressPrefixes,omitempty"`
	SourceApplicationSecurityGroups []string `json:"sourceApplicationSecurityGroups,omitempty"`
	SourcePortRange                 string   `json:"sourcePortRange,omitempty"`
	SourcePortRanges                []string `json:"sourcePortRanges,omitempty"`

	DestinationAddressPrefix             string   `json:"destinationAddressPrefix,omitempty"`
	DestinationAddressPrefixes           []string `json:"destinationAddressPrefixes,omitempty"`
	DestinationApplicationSecurityGroups []string `json:"destinationApplicationSecurityGroups,omitempty"`
	DestinationPortRange                 string   `json:"destinationPortRange,omitempty"`
	DestinationPortRanges                []string `json:"destinationPortRanges,omitempty"`
}

// AdminConfig is the input form of the Azure Virtual Network Manager security
// admin rules that apply to one virtual network
// (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins).
// The caller flattens every security admin configuration and rule collection
// that targets the VNet into Rules, in the order it wants ties broken.
type AdminConfig struct {
	// ID names the configuration in errors and outputs (for example the
	// security admin configuration's ARM ID).
	ID    string      `json:"id"`
	Rules []AdminRule `json:"rules"`
}

// AdminRule is one AVNM security admin rule. Addresses are plain items as in
// [Rule] ("*", IP, CIDR, or a service tag name), mirroring ARM's
// {addressPrefix, addressPrefixType} lists; the prefix type is inferred.
// Access may be [Allow], [Deny] or [AlwaysAllow]; Priority is 1..4096 and
// unique per direction within one Collection.
type AdminRule struct {
	Name                  string    `json:"name"`
	Collection            string    `json:"collection,omitempty"`
	Description           string    `json:"description,omitempty"`
	Priority              int       `json:"priority"`
	Direction             Direction `json:"direction"`
	Access                Access    `json:"access"`
	Protocol              Protocol  `json:"protocol"`
	Sources               []string  `json:"sources"`
	Destinations          []string  `json:"destinations"`
	SourcePortRanges      []string  `json:"sourcePortRanges,omitempty"`
	DestinationPortRanges []string  `json:"destinationPortRanges,omitempty"`
}

// TagResolver resolves service tag names (as published in Microsoft's
// ServiceTags_*.json file) to address prefixes. servicetag.Set satisfies it.
// ServiceTag reports ok=false for an unknown tag. The context-dependent tags
// (VirtualNetwork, Internet, AzureLoadBalancer) and the AzurePlatform* tags
// are built into this package and never asked for.
type TagResolver interface {
	ServiceTag(name string) (prefixes []netip.Prefix, region string, ok bool)
}

// ASGResolver resolves an application security group's ARM resource ID
// (compared case-insensitively) to the private addresses of the NIC IP
// configurations that are its members, and the ARM ID of the virtual network
// they are in. It reports ok=false for an unknown ASG.
type ASGResolver interface {
	ApplicationSecurityGroup(id string) (members []netip.Addr, vnet string, ok bool)
}

// Resolvers bundles what [Compile] and [CompileAdmin] need to resolve names.
// A nil resolver resolves nothing: any service tag or ASG then fails to compile.
type Resolvers struct {
	Tags TagResolver
	ASGs ASGResolver
	// Cache, when not nil, shares tag expansions and address partitions
	// between the groups compiled with these resolvers (see [Cache]); nil
	// shares nothing. Either way the groups classify the same.
	Cache *Cache
}

// TagMap is a [TagResolver] backed by a map from tag name to prefixes, for
// tests, examples and small programs. Lookups try the exact name first, then
// a case-insensitive match.
type TagMap map[string][]netip.Prefix

// ServiceTag implements [TagResolver]. The region is always "".
func (m TagMap) ServiceTag(name string) ([]netip.Prefix, string, bool) {
	if p, ok := m[name]; ok {
		return p, "", true
	}
	for k, p := range m {
		if strings.EqualFold(k, name) {
			return p, "", true
		}
	}
	return nil, "", false
}

// ASG is one application security group's membership, for [ASGMap].
type ASG struct {
	VNet    string       // ARM ID of the VNet of the member NICs
	Members []netip.Addr // private addresses of the member IP configurations
}

// ASGMap is an [ASGResolver] backed by a map from ASG resource ID to its
// membership. IDs are compared case-insensitively, as ARM does.
type ASGMap map[string]ASG

// ApplicationSecurityGroup implements [ASGResolver].
func (m ASGMap) ApplicationSecurityGroup(id string) ([]netip.Addr, string, bool) {
	if a, ok := m[id]; ok {
		return a.Members, a.VNet, true
	}
	for k, a := range m {
		if strings.EqualFold(k, id) {
			return a.Members, a.VNet, true
		}
	}
	return nil, "", false
}
