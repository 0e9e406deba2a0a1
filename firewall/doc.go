// Package firewall decides, offline, what an Azure Firewall with a Firewall
// Policy, or with classic rules, does with a new flow — DNAT, allow or deny,
// which rule decided, and whether the firewall SNATs it — exactly as Azure
// documents it, and fast enough to sit in a path simulator's inner loop.
//
// # Model
//
// The inputs are plain data mirroring ARM: a [Policy] (with an optional
// parent [Policy]), its [RuleCollectionGroup]s and [RuleCollection]s, and
// their [NetworkRule]s, [ApplicationRule]s and [NatRule]s. [Compile]
// validates everything once — names, priorities, duplicates, addresses,
// ranges, ports, protocols, FQDN patterns, URLs, service tags, IP groups,
// FQDN tags, limits — reporting every problem at once (an [*Error] per
// problem naming the policy, group, collection, rule and ARM field, joined
// with errors.Join; nothing panics on bad input), and resolves names
// through small interfaces ([TagResolver], [IPGroupResolver],
// [DNSResolver], [FQDNTagResolver]; servicetag.Set is a TagResolver). It
// returns an immutable [*Engine]. [Engine.Evaluate] takes a [Flow] and
// returns a [Verdict] value (never an error) without allocating;
// [Engine.RuleOf] and [Engine.Explain] turn it into names and text.
//
// A firewall's classic rules — the natRuleCollections,
// networkRuleCollections and applicationRuleCollections of the firewall
// resource itself — come as a [Classic] and compile with [CompileClassic]
// into the same [*Engine]; see "Classic rules" below.
//
// # Evaluation order
//
// Following https://learn.microsoft.com/azure/firewall/rule-processing and
// https://learn.microsoft.com/azure/firewall/policy-rule-sets:
//
//  1. All DNAT rules, then all network rules, then all application rules:
//     the rule type beats every priority and the inheritance.
//  2. Within a type: the parent policy's groups before the child's, then
//     rule collection group priority, then rule collection priority (both
//     ascending, 100..65000), then rule order in the collection. A
//     collection's action applies to all its rules; the first matching rule
//     decides.
//  3. Application rules see only flows that carry [AppHTTP], [AppHTTPS] or
//     [AppMSSQL] over TCP, on the port of one of the rule's protocols, and
//     match the Host header (HTTP) or SNI (HTTPS) against the targets. FQDN
//     patterns allow only a left-most "*": "*.contoso.com" matches
//     subdomains at any depth but not contoso.com, "*contoso.com" matches
//     contoso.com, x.contoso.com and anycontoso.com, "*" matches any name
//     (https://learn.microsoft.com/azure/firewall/firewall-faq).
//  4. Nothing matched: deny, [ReasonDefaultDeny].
//
// A DNAT match translates the destination ([Verdict.Translated]) and allows
// the flow. Network-rule allows are SNATed unless the destination is in
// the policy's SNAT private ranges; application-rule allows are always
// SNATed (https://learn.microsoft.com/azure/firewall/snat-private-range).
//
// # Classic rules
//
// Following the classic section of
// https://learn.microsoft.com/azure/firewall/rule-processing and the
// AzureFirewall REST shape
// (https://learn.microsoft.com/rest/api/network/azure-firewalls/get;
// azure-rest-api-specs azureFirewall.json):
//
//  1. All NAT collections, then all network collections, then all
//     application collections (NAT rules "are applied in priority before
//     network rules", network rules before application rules).
//  2. Within a type: collection priority ascending (100..65000), then the
//     rules of the collection in order; the collection's action applies to
//     all its rules; the first match decides; nothing matched is denied.
//     There are no groups and no inheritance.
//  3. Rules match, translate, SNAT and resolve names exactly as a policy's
//     rules of the same type do (the same compilation): DNAT allows,
//     network-rule allows are SNATed outside the private ranges,
//     application-rule allows always. Classic application rules have no
//     target URLs, web categories, TLS inspection or destination
//     addresses ([ClassicApplicationRule]).
//  4. The settings come from the firewall's additionalProperties: DNS proxy
//     from "Network.DNS.EnableProxy" ("true"; https://learn.microsoft.com/azure/firewall/dns-settings,
//     off by default) and the SNAT private ranges from
//     "Network.SNAT.PrivateRanges", a comma-separated list
//     (https://learn.microsoft.com/azure/firewall/snat-private-range); the
//     threat-intelligence mode from the firewall's threatIntelMode.
//
// Choices where Azure is silent about classic rules:
//
//   - A classic NAT collection must have action Dnat. The REST API also
//     lists "Snat" (AzureFirewallNatRCActionType), but no page says what it
//     does; [CompileClassic] rejects it ([ErrKind]) rather than guess.
//   - Collection names follow the documented classic naming rules (as
//     policies' names; rule names too, as for policies) and are unique,
//     case-insensitively, within each of the three lists, as are
//     priorities; a NAT and a network collection may share a priority (the
//     REST example AzureFirewallGet.json does) or a name.
//   - An application rule protocol's port is required (1..64000): the REST
//     API marks it optional but documents no default.
//   - No count limits are checked for classic rules (collections per
//     firewall, rules per collection).
//   - Errors name the firewall ([Error.Classic], [Error.Firewall]) and the
//     whole ARM path of the field, such as
//     "networkRuleCollections[2].rules[0].destinationPorts[1]"; classic
//     network and NAT rules call their protocol list "protocols".
//   - A firewall has either a policy or classic rules: Azure's own tools
//     reject both together (Azure PowerShell New-AzFirewall: "Firewall
//     Policy and Rule Collections cannot coexist",
//     https://github.com/Azure/azure-powershell/pull/11003). This package
//     takes one or the other; the loader (package topology) rejects a
//     firewall with both.
//
// # What is not evaluated
//
// Threat intelligence (recorded: [Engine.ThreatIntelMode]), IDPS, web
// categories, TLS inspection beyond matching a target URL's path exactly or
// by prefix, and the built-in infrastructure rule collection
// (https://learn.microsoft.com/azure/firewall/infrastructure-fqdns) are not
// modelled. Where one of them could have decided, the verdict says so with
// [FlagUnknown] or [FlagInfrastructure]; a verdict that depends on a DNS
// answer carries [FlagDNS]. Azure Firewall does not support IPv6: IPv6
// addresses in rules fail to compile (IPv6 prefixes of service tags and IP
// groups are dropped), and IPv6 flows are denied with [ReasonIPv6].
//
// # The engine
//
// Each rule type is compiled into bit vectors (Lakshman and Stiliadis,
// 1998): bit i stands for the i-th rule in evaluation order. A bart table
// over the distinct prefixes of each address dimension yields, in one
// longest-prefix match, the set of rules whose side contains the address;
// port intervals and the protocol give the other sets, and the lowest bit
// of their AND is the deciding rule. Identical sets are stored once, as
// two-level bitmaps: the non-empty 64-rule words, and a summary bit per
// word. A set of a few rules is thus a few words at any policy size, and
// the AND visits only the words that every set has non-empty, so a flow
// that one dimension narrows down (a destination, a DNS answer, a name)
// costs the same at 10,000 rules as at 100. When the sets overlap without
// intersecting (say odd rules by source, even ones by destination) the
// AND is linear in the rules again, but 64 rules per step as before.
//
// Application rules add two dimensions: the protocol entry (type and
// port) and the name. Exact target FQDNs are hashed; the suffixes of
// wildcards ("*.contoso.com" → ".contoso.com", "*contoso.com" →
// "contoso.com", "*" → "") sit in a trie read from the last character
// backwards — by character, not by label, since "*contoso.com" matches
// "anycontoso.com" — and each exact name and trie node holds the set of
// the rules whose targets match the names it stands for, so a name costs
// one hash probe and, if it is not an exact target, one walk of at most
// its length. Rules whose target URL's host matches are then checked one
// by one for the path, and rules with web categories or FQDN tags without
// FQDNs are one more set per action, for [FlagUnknown]; unresolved
// network-rule FQDNs likewise.
//
// Measured against internal/benchl's L (one bart lookup on a 400-prefix
// table) in the same run, three to seven runs on a shared 2-core VM, the
// last rule matching (hit) or none (miss):
//
//	                                        miss     exact    "*.x"    "*x"
//	application rules of 5 names, 100       3.9-4.2  4.6-5.2  5.3-6.2  5.9-6.4 L
//	  1,000 (5,000 names)                   3.9      4.7-5.3  5.6-6.7  6.2-7.5 L
//	  10,000 (50,000 names)                 5.1-5.4  5.1-5.9  6.7-9.0  6.2-6.8 L
//	                                        miss     hit
//	network rules, 10                       3.9      4.4-4.6 L
//	  1,000                                 4.4-4.6  4.9-5.3 L
//	network rules of 3 FQDNs, 100           3.6-3.7  5.1-6.0 L (hit through DNS)
//	  10,000 (60,000 addresses)             4.4      5.8-6.4 L
//
// ("*x": a name that only a suffix starting inside a label matches;
// BenchmarkEvaluateAppNames, BenchmarkEvaluate and BenchmarkEvaluateNetFQDN).
// Walking the application rules one by one, as the engine did before,
// took 14,000-27,000 L at 10,000 rules. Compiling 10,000 application rules with 50,000 names
// takes about 100 ms and keeps 6.7 MB; 10,000 network rules with 30,000
// FQDNs (60,000 addresses) about 115 ms and 2.8 MB. Evaluate allocates
// nothing. The reference evaluator in internal/fwref, which sorts
// the rules by the documented order and matches them one by one, is held
// equal to the engine by differential and fuzz tests.
//
// # Choices where Azure is not documented
//
//   - Inheritance: one level, the parent and child that
//     https://learn.microsoft.com/azure/firewall-manager/policy-overview#hierarchical-policies
//     describes (it documents no deeper chains): a parent with its own
//     parent fails [Compile], and a chain that comes back on itself fails
//     as an inheritance cycle naming its members in order ([ErrInheritance]).
//     Only the parent's rule collection groups are inherited;
//     DNS proxy, SNAT private ranges and threat-intelligence mode are read
//     from the child, the policy associated with the firewall.
//   - Network-rule destination FQDNs without DNS proxy are a compile error
//     ([ErrDNSProxy]): "you must enable DNS Proxy"
//     (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules).
//     The names are resolved once through [DNSResolver]; a rule matched only
//     through a DNS answer sets [FlagDNS]; a name the resolver cannot answer
//     makes the rule undecidable ([FlagUnknown] on a later verdict it could
//     have changed).
//   - DNAT: a translated FQDN resolves to its lowest IPv4 answer; DNAT
//     verdicts report SNAT (the source becomes a firewall private address,
//     per the Azure Network Security blog "Azure Firewall NAT behaviors").
//     NAT rules accept TCP, UDP and Any (= TCP and UDP); ICMP is an error.
//   - "Any" with destination ports other than a literal "*" is TCP and UDP;
//     with "*" it is every IP protocol. Ports are ignored for protocols
//     without ports; TCP/UDP port 0 is matched only by "*".
//   - A flow with no application-layer name (no SNI/Host) matches no
//     application rule, not even "*". Names compare ASCII
//     case-insensitively, one trailing dot ignored; non-ASCII patterns are
//     rejected (use punycode).
//   - Target URLs: "host/path", host with an optional left-most "*", path
//     exact or, ending in "*", a prefix ("/test/*" does not match "/test");
//     a URL without a path matches every path; the query string of the
//     flow's path is ignored; paths compare case-sensitively. URLs on an
//     Https protocol need TerminateTLS. A flow without a path leaves a URL
//     target whose host matches undecidable.
//   - An application rule's DestinationAddresses, when set, must also
//     contain the flow's destination.
//   - FQDN tags resolve through [FQDNTagResolver]; this package ships no
//     FQDN lists because the documentation gives none. A tag listed in
//     [DocumentedFQDNTags] that the resolver does not know compiles but is
//     undecidable; any other unknown tag fails [Compile].
//   - Values not known offline (a Terraform plan's values known after
//     apply) are marked per field: NetworkRule's and NatRule's
//     SourcesUnknown, DestinationsUnknown, PortsUnknown, ProtocolsUnknown,
//     NatRule.TranslatedUnknown, ApplicationRule's TargetsUnknown,
//     SourcesUnknown, DestinationsUnknown and ProtocolsUnknown. The known values match and
//     decide (but for ApplicationRule.ProtocolsUnknown, which never
//     decides); where only an unknown value could make the rule match, a
//     verdict it could change is [FlagUnknown]. A rule needs no known value
//     of a field marked unknown. The matchers pay for this only when a
//     policy has such rules.
//   - A filter collection holds network or application rules, not both.
//     Names (groups, collections, rules; 1..80 characters of letters,
//     digits, '_', '.', '-', starting with a letter or digit, ending with a
//     letter, digit or '_') are unique case-insensitively per policy
//     (groups), per group (collections) and per collection (rules); group
//     priorities are unique per policy, collection priorities per group.
//   - Addresses: CIDRs must not have host bits set; ranges "a-b" need a ≤ b.
//     An address written as IPv4-mapped IPv6 (::ffff:10.0.0.4) is an error
//     naming the IPv4 form to write, in every field; flows and the prefixes
//     resolvers return (tags, IP groups, DNS answers) are unmapped. Packages
//     route and nsg, and the loaders of package topology, follow the same
//     rule.
//     Service tags are allowed in destinations of network and application
//     rules, not in sources or NAT rules. SNAT private ranges take CIDRs,
//     IPs and IANAPrivateRanges; nil means IANAPrivateRanges, an empty list
//     means none; "255.255.255.255/32" means none (always SNAT).
//   - Limits enforced: [MaxGroups] groups per policy, [MaxNameLength],
//     priorities, application ports ≤ [MaxAppPort]. The 2 MB group size and
//     unique-address limits are not checked.
//
// # Concurrency
//
// Engines are immutable after [Compile] and [CompileClassic] and safe for
// concurrent use; to change a policy or a firewall's rules, compile a new
// Engine and publish it (for example through an atomic.Pointer).
package firewall
