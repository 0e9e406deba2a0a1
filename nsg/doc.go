// Package nsg decides, for a network interface and a new flow, whether Azure
// network security groups (NSGs) and Azure Virtual Network Manager (AVNM)
// security admin rules allow it, and which rule decided — offline, exactly
// as Azure documents it, and fast enough to classify millions of flows per
// second.
//
// # Model
//
// The inputs are plain data mirroring ARM: a [SecurityGroup] with its user
// [Rule]s, an [AdminConfig] with its [AdminRule]s, and a [Context] holding
// what the context-dependent service tags depend on. [Compile],
// [CompileAdmin] and [CompileContext] validate them once, report every
// problem at once (an [*Error] per problem naming the NSG, rule and ARM
// field, joined with errors.Join; nothing panics on bad input), and produce
// immutable compiled values: a [*Group] per NSG or admin configuration and a
// [*Scope] per subnet. Service tags and application security groups are
// resolved at compile time through the [TagResolver] and [ASGResolver]
// interfaces; this package imports no loader (servicetag.Set is a
// TagResolver).
//
// [NewClassifier] binds one NIC to its groups: the NSG on the NIC, the NSG
// on its subnet, the admin rules of its VNet and the subnet's Scope. Groups
// are shared, so compile cost grows with the number of distinct NSGs, not
// with the number of NICs; binding a NIC costs a few microseconds, plus, the
// first time a pair of NSGs (NIC, subnet) is bound, building their fused
// table (about half the cost and memory of compiling one of them).
// [Classifier.Verdict] answers with a [Verdict] value (never an error) and
// allocates nothing. [Classifier.Explain], [Classifier.EffectiveNSGs] and
// [Classifier.VerifyIPFlow] render explanations and the outputs of Azure's
// tools off the hot path.
//
// # Evaluation order
//
// Following https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works
// and https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins:
//
//  1. Admin rules, lowest priority number first: the first match with Deny
//     denies and AlwaysAllow allows, and the NSGs are not evaluated; Allow,
//     or no match, goes on.
//  2. Outbound flows: the NIC's NSG, then the subnet's. Inbound flows: the
//     subnet's NSG, then the NIC's. In each NSG the first rule by priority
//     decides; every NSG present must allow; a deny ends the evaluation; a
//     level without an NSG allows.
//
// Every NSG ends with its six default rules (AllowVnetInBound 65000,
// AllowAzureLoadBalancerInBound 65001, DenyAllInBound 65500,
// AllowVnetOutBound 65000, AllowInternetOutBound 65001, DenyAllOutBound
// 65500). A rule keeps one canonical name (the NSG resource's spelling);
// [RuleInfo.DisplayName] renders the variants of the effective view, IP flow
// verify and flow logs ([View]).
//
// # The classifier
//
// Each direction of a Group is compiled into bit vectors (Lakshman and
// Stiliadis, 1998): bit i stands for the i-th rule in priority order. A bart
// table over the distinct prefixes of each address dimension gives, in one
// longest-prefix match, the set of rules whose side contains the address
// (each prefix's set includes its supernets' rules, and identical sets are
// shared); port intervals, the protocol and the context tags give the other
// sets. The lowest bit of their AND is the first matching rule. The NIC's
// own side (the source of outbound flows, the destination of inbound ones)
// is resolved when the NIC is bound, so a verdict costs one lookup per NSG
// for the remote address, plus one in the Scope for the context tags (for
// IPv4 an interval search of two loads; the unrolled outbound path always
// does it, since every NSG's default rules name VirtualNetwork and
// Internet, the staged path only when a context-tag rule could come
// first). A 1,000-rule NSG evaluates in about 3.3 times a bart lookup on a
// 400-prefix table (internal/benchl's L), not much more than a 10-rule one
// (2.9 times).
//
// Outbound flows from a NIC with both NSGs (the common case) take a fused
// path: the two NSGs' tables are paired once per distinct (NIC NSG, subnet
// NSG) and cached on the NIC's NSG, with one bart table over the
// destination prefixes of both (a refined partition: one lookup gives both
// classes) and merged port intervals (one search gives both rows); the rows
// stay shared. The pair then costs about 3 bart lookups instead of about 5. The reference evaluator in internal/nsgref, which matches the
// rules one by one, is held equal to the classifier by differential and
// fuzz tests.
//
// # Choices where Azure is not documented
//
//   - Internet is the public address space minus the VNet's address space,
//     the peered address spaces and the platform addresses; see [Context] for
//     the exact private and reserved ranges removed. Gateway and UDR
//     prefixes stay in Internet, so a public on-premises prefix is in both
//     VirtualNetwork and Internet (MicrosoftDocs/azure-docs issue #81801).
//     Documentation ranges (203.0.113.0/24 …) count as Internet.
//   - AzureLoadBalancer is 168.63.129.16/32 for every NIC (IPv4 only).
//   - Platform traffic: only outbound flows to 168.63.129.16 or
//     169.254.169.254 are exempt. They are matched only against rules (NSG or
//     admin) whose destination is AzurePlatformDNS or AzurePlatformLKM
//     (168.63.129.16) or AzurePlatformIMDS (169.254.169.254), with the rules'
//     protocol and ports; if none matches at any stage the verdict is Allow
//     with [ReasonPlatform]. Inbound flows from 168.63.129.16 (health probes)
//     are subject to the rules, which is why AllowAzureLoadBalancerInBound
//     exists.
//   - Protocol "*" matches every IP protocol; "Icmp" matches ICMP and
//     ICMPv6. Ports count only for TCP and UDP: other protocols carry port 0,
//     which only a "*" port condition matches.
//   - Port "0-65535" is accepted as a synonym of "*" (Azure's own outputs
//     print it); any other use of port 0 is an error.
//   - IPv4-mapped IPv6 (::ffff:8.8.8.8): a rule address written in that form
//     is an error naming the IPv4 form to write (Azure documents rule
//     addresses as IPv4 or IPv6, never mapped); flows, the [Context] and the
//     addresses resolvers return are unmapped. Packages route and firewall,
//     and the loaders of package topology, follow the same rule.
//   - "*" and a service tag must stand alone on their side; a side gives its
//     addresses in exactly one of the singular, plural or ASG fields. One
//     rule's explicit prefixes must all be IPv4 or all IPv6; "*", tags and
//     ASGs match both families.
//   - Rule names and ASG IDs are compared case-insensitively; names must be
//     unique per NSG (admin rules: per collection); (priority, direction)
//     unique per NSG (admin rules: per collection).
//   - Admin rules of equal priority (possible across rule collections) are
//     evaluated in input order. Admin rules cannot name ASGs. An admin Allow
//     with no NSG at either level allows.
//   - An ASG referenced by an NSG must be in the VNet of the NIC the NSG is
//     bound to when [NIC.VNet] is set; all ASGs of one rule must share a VNet.
//   - When both NSGs allow, the deciding rule reported (IP flow verify, flow
//     logs) is the one of the NSG evaluated last. With no NSG, or for
//     exempt platform traffic, no rule is named. Admin rules are named
//     "securityAdminRules/<name>" in the effective and IP-flow-verify views.
//   - In the effective view the NIC's NSG is listed before the subnet's,
//     each with its inbound then outbound rules; ASG sides list the ASG IDs
//     with the members' addresses as the expansion.
//
// # Concurrency
//
// Groups, Scopes and Classifiers are immutable after construction and safe
// for concurrent use; to change a policy, compile new values and publish them
// (for example through an atomic.Pointer).
package nsg
