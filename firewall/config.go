package firewall

import (
	"net/netip"
	"strings"
)

// Policy is the input form of an Azure Firewall Policy
// (Microsoft.Network/firewallPolicies with its ruleCollectionGroups), as a
// loader would fill it from ARM.
//
// A Policy is plain data: it may be copied and is never retained or changed
// by this package. [Compile] validates it.
type Policy struct {
	// Name names the policy in errors and explanations.
	Name string `json:"name"`
	// Parent is the base policy (ARM basePolicy), or nil. Its rule collection
	// groups are evaluated before the child's, whatever their priorities.
	// One level of inheritance is modelled: a Parent with its own Parent
	// fails [Compile]. Only the parent's groups are inherited; DNSProxy,
	// SNATPrivateRanges and ThreatIntelMode are read from the child, the
	// policy the firewall is associated with.
	Parent *Policy `json:"basePolicy,omitempty"`
	// DNSProxy is dnsSettings.enableProxy. Network rules with destination
	// FQDNs require it (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules).
	DNSProxy bool `json:"dnsProxy,omitempty"`
	// SNATPrivateRanges is snat.privateRanges: CIDRs, IP addresses or the
	// keyword "IANAPrivateRanges" (RFC 1918 plus RFC 6598). Nil means the
	// default, IANAPrivateRanges; an empty non-nil list means no private
	// range, so every network-rule flow is SNATed. "0.0.0.0/0" means never
	// SNAT network-rule flows, "255.255.255.255/32" always SNAT them
	// (https://learn.microsoft.com/azure/firewall/snat-private-range).
	SNATPrivateRanges []string `json:"privateRanges,omitempty"`
	// ThreatIntelMode is recorded only; see [ThreatIntelMode].
	ThreatIntelMode ThreatIntelMode `json:"threatIntelMode,omitempty"`

	RuleCollectionGroups []RuleCollectionGroup `json:"ruleCollectionGroups"`
}

// RuleCollectionGroup is one rule collection group: a name, a priority
// 100..65000 (lower first) and its collections.
type RuleCollectionGroup struct {
	Name            string           `json:"name"`
	Priority        int              `json:"priority"`
	RuleCollections []RuleCollection `json:"ruleCollections"`
}

// RuleCollection is one rule collection. A [KindFilter] collection has action
// [Allow] or [Deny] and holds network rules or application rules (not both);
// a [KindNat] collection has action [DNAT] and holds NAT rules. The
// collection's action applies to every rule in it. Priority is 100..65000,
// lower first within the group.
type RuleCollection struct {
	Name     string         `json:"name"`
	Priority int            `json:"priority"`
	Kind     CollectionKind `json:"ruleCollectionType"`
	Action   Action         `json:"action"`

	NetworkRules     []NetworkRule     `json:"networkRules,omitempty"`
	ApplicationRules []ApplicationRule `json:"applicationRules,omitempty"`
	NatRules         []NatRule         `json:"natRules,omitempty"`
}

// NetworkRule is a network rule (ARM ruleType NetworkRule).
//
// Addresses are "*", an IPv4 address, a CIDR, or a range "a-b"; destination
// addresses may also be a service tag name. Ports are "*", a port 1..65535
// or a range "a-b". A rule needs at least one source (SourceAddresses or
// SourceIPGroups), one destination (DestinationAddresses,
// DestinationIPGroups or DestinationFqdns), one protocol and one port.
type NetworkRule struct {
	Name                 string     `json:"name"`
	IPProtocols          []Protocol `json:"ipProtocols"`
	SourceAddresses      []string   `json:"sourceAddresses,omitempty"`
	SourceIPGroups       []string   `json:"sourceIpGroups,omitempty"`
	DestinationAddresses []string   `json:"destinationAddresses,omitempty"`
	DestinationIPGroups  []string   `json:"destinationIpGroups,omitempty"`
	// DestinationFqdns are exact names (no wildcards), resolved through
	// [Resolvers.DNS] at compile time; they require [Policy.DNSProxy].
	DestinationFqdns []string `json:"destinationFqdns,omitempty"`
	DestinationPorts []string `json:"destinationPorts"`
	// DestinationsUnknown says some of the rule's destinations are not
	// known offline (a Terraform plan's values known after apply): the
	// known ones match as given, and the rule may match any other
	// destination, which makes a verdict before it undecidable wherever
	// its source, protocol and port match ([FlagUnknown]), as for a
	// destination FQDN that does not resolve. The rule then needs no
	// known destination.
	DestinationsUnknown bool `json:"destinationsUnknown,omitempty"`
	// SourcesUnknown, PortsUnknown and ProtocolsUnknown say the same of the
	// rule's sources (addresses and IP groups), destination ports and
	// protocols: the known values match as given, and the rule may match
	// any other source, any port, or any protocol (Any with "*" ports:
	// every IP protocol). A flow that every known value of the rule
	// matches is decided by it; one that only an unknown value could
	// match makes a verdict before it undecidable ([FlagUnknown]) where
	// the rule's action could change it. The rule then needs no known
	// value of that field.
	SourcesUnknown   bool `json:"sourcesUnknown,omitempty"`
	PortsUnknown     bool `json:"portsUnknown,omitempty"`
	ProtocolsUnknown bool `json:"protocolsUnknown,omitempty"`
}

// AppProtocol is one protocol entry of an application rule, such as
// {Https, 443}. Port is 1..64000 (ARM's limit).
type AppProtocol struct {
	Type AppProtocolType `json:"protocolType"`
	Port int             `json:"port"`
}

// ApplicationRule is an application rule (ARM ruleType ApplicationRule).
//
// A flow matches when its source is in the sources, its application protocol
// and port equal one of Protocols, the destination is in
// DestinationAddresses when that is non-empty, and its name matches one of
// the targets: TargetFqdns (patterns with an optional left-most "*"), the
// FQDNs of FqdnTags, TargetURLs ("host/path", path "*" suffix for a prefix)
// or WebCategories (never decidable offline).
//
// ProtocolsUnknown says the rule's protocols are not known offline (a
// Terraform plan's protocols known after apply): the rule is then taken as
// matching every application protocol (Http, Https, Mssql) on every port
// 1..64000, and it never decides: where its other conditions match a flow
// before the deciding rule, the verdict is flagged [FlagUnknown] if the
// rule's action could change it, as for a web category. Protocols, if any,
// are still validated but do not narrow it.
//
// TargetsUnknown says some of the rule's targets (FQDNs, FQDN tags, URLs or
// web categories) are not known offline: the known ones match as given,
// and any other name may match, undecidably, as for a web category.
// SourcesUnknown says the same of its sources: the known ones match, any
// other source may. DestinationsUnknown says the same of its destination
// addresses: the known ones match (none known: no destination matches
// surely), any other may. The rule then needs no known value of that field.
type ApplicationRule struct {
	Name                 string        `json:"name"`
	Protocols            []AppProtocol `json:"protocols"`
	ProtocolsUnknown     bool          `json:"protocolsUnknown,omitempty"`
	TargetsUnknown       bool          `json:"targetsUnknown,omitempty"`
	SourcesUnknown       bool          `json:"sourcesUnknown,omitempty"`
	SourceAddresses      []string      `json:"sourceAddresses,omitempty"`
	SourceIPGroups       []string      `json:"sourceIpGroups,omitempty"`
	TargetFqdns          []string      `json:"targetFqdns,omitempty"`
	FqdnTags             []string      `json:"fqdnTags,omitempty"`
	TargetURLs           []string      `json:"targetUrls,omitempty"`
	WebCategories        []string      `json:"webCategories,omitempty"`
	TerminateTLS         bool          `json:"terminateTLS,omitempty"`
	DestinationAddresses []string      `json:"destinationAddresses,omitempty"`
	DestinationsUnknown  bool          `json:"destinationsUnknown,omitempty"`
}

// NatRule is a DNAT rule (ARM ruleType NatRule). DestinationAddresses are
// the firewall's own (usually public) addresses; exactly one of
// TranslatedAddress and TranslatedFqdn is set; TranslatedPort is one port.
// IPProtocols are TCP, UDP or Any (TCP and UDP).
type NatRule struct {
	Name                 string     `json:"name"`
	IPProtocols          []Protocol `json:"ipProtocols"`
	SourceAddresses      []string   `json:"sourceAddresses,omitempty"`
	SourceIPGroups       []string   `json:"sourceIpGroups,omitempty"`
	DestinationAddresses []string   `json:"destinationAddresses"`
	DestinationPorts     []string   `json:"destinationPorts"`
	TranslatedAddress    string     `json:"translatedAddress,omitempty"`
	TranslatedFqdn       string     `json:"translatedFqdn,omitempty"`
	TranslatedPort       string     `json:"translatedPort"`
	// SourcesUnknown, DestinationsUnknown, PortsUnknown and
	// ProtocolsUnknown say some values of the field are not known offline
	// (a Terraform plan's values known after apply), as for
	// [NetworkRule]: the known ones match as given and decide; any other
	// value (a protocol: TCP or UDP) may match, which makes every verdict
	// before the rule Unknown where it may match: it could translate the
	// flow. The rule then needs no known value of that field.
	SourcesUnknown      bool `json:"sourcesUnknown,omitempty"`
	DestinationsUnknown bool `json:"destinationsUnknown,omitempty"`
	PortsUnknown        bool `json:"portsUnknown,omitempty"`
	ProtocolsUnknown    bool `json:"protocolsUnknown,omitempty"`
	// TranslatedUnknown says the translated address, FQDN or port is not
	// known offline: the rule matches as its other conditions say, and a
	// DNAT verdict of it has no translated address and is [FlagUnknown].
	// The translated fields, if set, are then ignored.
	TranslatedUnknown bool `json:"translatedUnknown,omitempty"`
}

// TagResolver resolves service tag names to prefixes; servicetag.Set
// satisfies it. It reports ok=false for an unknown tag.
type TagResolver interface {
	ServiceTag(name string) (prefixes []netip.Prefix, region string, ok bool)
}

// IPGroupResolver resolves an IP group's ARM resource ID (compared as the
// resolver likes) to its addresses as prefixes. It reports ok=false for an
// unknown group.
type IPGroupResolver interface {
	IPGroup(id string) (prefixes []netip.Prefix, ok bool)
}

// DNSResolver resolves a network rule's destination FQDN (or a DNAT rule's
// translated FQDN) to addresses, standing in for the DNS server the
// firewall's DNS proxy uses. It reports ok=false for a name it cannot answer;
// the rule is then undecidable offline (see [FlagUnknown]).
type DNSResolver interface {
	LookupFQDN(name string) (addrs []netip.Addr, ok bool)
}

// FQDNTagResolver resolves an FQDN tag (such as "WindowsUpdate") to the
// FQDN patterns Microsoft maintains for it. It reports ok=false for a tag
// it does not know.
type FQDNTagResolver interface {
	FQDNTag(name string) (fqdns []string, ok bool)
}

// Resolvers bundles what [Compile] needs to resolve names. Every field may
// be nil: a nil TagResolver or IPGroupResolver resolves nothing (so any tag
// or IP group fails to compile); a nil DNS or FQDNTags leaves the rules
// that need it undecidable offline.
type Resolvers struct {
	Tags     TagResolver
	IPGroups IPGroupResolver
	DNS      DNSResolver
	FQDNTags FQDNTagResolver
}

// TagMap is a [TagResolver] backed by a map, for tests and examples. Names
// are tried exactly, then case-insensitively.
type TagMap map[string][]netip.Prefix

// ServiceTag implements [TagResolver]. The region is always "".
func (m TagMap) ServiceTag(name string) ([]netip.Prefix, string, bool) {
	v, ok := lookupFold(m, name)
	return v, "", ok
}

// IPGroupMap is an [IPGroupResolver] backed by a map from IP group ID to
// prefixes. IDs are compared case-insensitively, as ARM does.
type IPGroupMap map[string][]netip.Prefix

// IPGroup implements [IPGroupResolver].
func (m IPGroupMap) IPGroup(id string) ([]netip.Prefix, bool) { return lookupFold(m, id) }

// DNSMap is a [DNSResolver] backed by a map from name to addresses. Names
// are compared case-insensitively and without a trailing dot.
type DNSMap map[string][]netip.Addr

// LookupFQDN implements [DNSResolver].
func (m DNSMap) LookupFQDN(name string) ([]netip.Addr, bool) {
	return lookupFold(m, strings.TrimSuffix(name, "."))
}

// FQDNTagMap is an [FQDNTagResolver] backed by a map from tag name to FQDN
// patterns. Names are compared case-insensitively.
type FQDNTagMap map[string][]string

// FQDNTag implements [FQDNTagResolver].
func (m FQDNTagMap) FQDNTag(name string) ([]string, bool) { return lookupFold(m, name) }

func lookupFold[V any](m map[string]V, k string) (V, bool) {
	if v, ok := m[k]; ok {
		return v, true
	}
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return v, true
		}
	}
	var zero V
	return zero, false
}

// DocumentedFQDNTags lists the FQDN tags named by
// https://learn.microsoft.com/azure/firewall/fqdn-tags. The documentation
// does not list their FQDNs, so this package ships none: a documented tag
// that the [FQDNTagResolver] cannot resolve compiles, but the rule part
// using it is undecidable offline ([FlagUnknown]); a tag that is neither
// documented nor resolvable fails [Compile].
func DocumentedFQDNTags() []string {
	return append([]string(nil), documentedFQDNTags...)
}

var documentedFQDNTags = []string{
	"AppServiceEnvironment", "AzureBackup", "AzureKubernetesService", "AzureVirtualDesktop",
	"CitrixHDXPlusForWindows365", "HDInsight", "MAPS", "MicrosoftActiveProtectionService",
	"MicrosoftIntune", "Office365.Exchange.Optimize", "Office365.Exchange.Allow.Required",
	"Office365.Exchange.Allow.NotRequired", "Office365.Skype.Optimize", "Office365.Skype.Allow.Required",
	"Office365.Skype.Allow.NotRequired", "Office365.SharePoint.Optimize", "Office365.SharePoint.Allow.Required",
	"Office365.Common.Default.Required", "Office365.Common.Allow.Required", "Office365.Common.Allow.NotRequired",
	"Windows365", "WindowsDiagnostics", "WindowsUpdate", "WindowsVirtualDesktop",
}
