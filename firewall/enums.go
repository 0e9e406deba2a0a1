package firewall

import (
	"fmt"
	"strconv"
	"strings"
)

// enumString returns names[v] or "Type(v)".
func enumString(typ string, names []string, v uint8) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(int(v)) + ")"
}

// enumParse finds s (case-insensitively) in names or aliases.
func enumParse(typ string, names []string, aliases map[string]uint8, b []byte) (uint8, error) {
	s := string(b)
	for i, n := range names {
		if n != "" && strings.EqualFold(n, s) {
			return uint8(i), nil
		}
	}
	if v, ok := aliases[strings.ToLower(s)]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("firewall: %s %q: want one of %s", typ, s, strings.Join(nonEmpty(names), ", "))
}

func nonEmpty(s []string) []string {
	var out []string
	for _, n := range s {
		if n != "" {
			out = append(out, n)
		}
	}
	return out
}

// CollectionKind is the kind of a rule collection, ARM's ruleCollectionType.
//
// The zero value is invalid: a collection without a kind fails [Compile].
type CollectionKind uint8

// The two kinds of rule collection of a Firewall Policy
// (https://learn.microsoft.com/azure/firewall/policy-rule-sets).
const (
	KindFilter CollectionKind = 1 // FirewallPolicyFilterRuleCollection: network or application rules, action Allow or Deny
	KindNat    CollectionKind = 2 // FirewallPolicyNatRuleCollection: DNAT rules, action Dnat
)

var kindNames = []string{"", "Filter", "Nat"}

// String returns "Filter" or "Nat", or "CollectionKind(n)" for an invalid value.
func (k CollectionKind) String() string { return enumString("CollectionKind", kindNames, uint8(k)) }

// IsValid reports whether k is [KindFilter] or [KindNat].
func (k CollectionKind) IsValid() bool { return k == KindFilter || k == KindNat }

// MarshalText implements [encoding.TextMarshaler]. It fails for an invalid value.
func (k CollectionKind) MarshalText() ([]byte, error) {
	if !k.IsValid() {
		return nil, fmt.Errorf("firewall: cannot marshal %v", k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts "Filter" and
// "Nat" and the ARM discriminators "FirewallPolicyFilterRuleCollection" and
// "FirewallPolicyNatRuleCollection", in any letter case.
func (k *CollectionKind) UnmarshalText(b []byte) error {
	v, err := enumParse("collection kind", kindNames, map[string]uint8{
		"firewallpolicyfilterrulecollection": 1, "firewallpolicynatrulecollection": 2}, b)
	if err == nil {
		*k = CollectionKind(v)
	}
	return err
}

// Action is what a rule collection does with the flows its rules match
// (ARM action.type), and the final answer of a [Verdict].
//
// The zero value is invalid in a collection; a [Verdict] is never zero
// after [Engine.Evaluate].
type Action uint8

// The actions.
const (
	Allow Action = 1 // filter collections: allow
	Deny  Action = 2 // filter collections: deny; also the default verdict
	DNAT  Action = 3 // NAT collections: translate the destination (and allow), spelled "Dnat" in ARM
)

var actionNames = []string{"", "Allow", "Deny", "Dnat"}

// String returns "Allow", "Deny" or "Dnat", or "Action(n)".
func (a Action) String() string { return enumString("Action", actionNames, uint8(a)) }

// IsValid reports whether a is one of the three actions.
func (a Action) IsValid() bool { return a >= Allow && a <= DNAT }

// MarshalText implements [encoding.TextMarshaler]. It fails for an invalid value.
func (a Action) MarshalText() ([]byte, error) {
	if !a.IsValid() {
		return nil, fmt.Errorf("firewall: cannot marshal %v", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// printed by [Action.String] in any letter case.
func (a *Action) UnmarshalText(b []byte) error {
	v, err := enumParse("action", actionNames, nil, b)
	if err == nil {
		*a = Action(v)
	}
	return err
}

// Protocol is one entry of a network or NAT rule's ipProtocols.
//
// The zero value is invalid and fails [Compile].
type Protocol uint8

// The network-rule protocols (https://learn.microsoft.com/azure/firewall/rule-processing).
const (
	ProtocolTCP  Protocol = 1
	ProtocolUDP  Protocol = 2
	ProtocolICMP Protocol = 3
	// ProtocolAny matches every IP protocol when the rule's destination ports
	// are "*", and TCP and UDP only when they name ports.
	ProtocolAny Protocol = 4
)

var protocolNames = []string{"", "TCP", "UDP", "ICMP", "Any"}

// String returns "TCP", "UDP", "ICMP" or "Any", or "Protocol(n)".
func (p Protocol) String() string { return enumString("Protocol", protocolNames, uint8(p)) }

// IsValid reports whether p is one of the four protocols.
func (p Protocol) IsValid() bool { return p >= ProtocolTCP && p <= ProtocolAny }

// MarshalText implements [encoding.TextMarshaler]. It fails for an invalid value.
func (p Protocol) MarshalText() ([]byte, error) {
	if !p.IsValid() {
		return nil, fmt.Errorf("firewall: cannot marshal %v", p)
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// printed by [Protocol.String] in any letter case, and "*" for Any.
func (p *Protocol) UnmarshalText(b []byte) error {
	v, err := enumParse("protocol", protocolNames, map[string]uint8{"*": 4}, b)
	if err == nil {
		*p = Protocol(v)
	}
	return err
}

// AppProtocolType is the application-layer protocol of an application rule's
// protocol entry, and of a [Flow] that carries one.
//
// The zero value, [AppNone], means "no application protocol": such a flow is
// never matched by application rules; in a rule it fails [Compile].
type AppProtocolType uint8

// The application protocols (ARM protocolType).
const (
	AppNone  AppProtocolType = 0
	AppHTTP  AppProtocolType = 1 // matched on the Host header
	AppHTTPS AppProtocolType = 2 // matched on the TLS SNI (and Host and URL with TLS inspection)
	AppMSSQL AppProtocolType = 3 // matched on the server name the client sends
)

var appNames = []string{"None", "Http", "Https", "Mssql"}

// String returns "None", "Http", "Https" or "Mssql", or "AppProtocolType(n)".
func (t AppProtocolType) String() string { return enumString("AppProtocolType", appNames, uint8(t)) }

// IsValid reports whether t is HTTP, HTTPS or MSSQL.
func (t AppProtocolType) IsValid() bool { return t >= AppHTTP && t <= AppMSSQL }

// MarshalText implements [encoding.TextMarshaler] using [AppProtocolType.String].
func (t AppProtocolType) MarshalText() ([]byte, error) {
	if t > AppMSSQL {
		return nil, fmt.Errorf("firewall: cannot marshal %v", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// printed by [AppProtocolType.String] in any letter case.
func (t *AppProtocolType) UnmarshalText(b []byte) error {
	v, err := enumParse("application protocol", appNames, nil, b)
	if err == nil {
		*t = AppProtocolType(v)
	}
	return err
}

// ThreatIntelMode is the policy's threat-intelligence mode. It is recorded
// and reported by [Engine.ThreatIntelMode] but never evaluated: this package
// has no threat-intelligence feed.
//
// The zero value is [ThreatIntelAlert], Azure's default.
type ThreatIntelMode uint8

// The threat-intelligence modes (ARM threatIntelMode).
const (
	ThreatIntelAlert ThreatIntelMode = 0
	ThreatIntelDeny  ThreatIntelMode = 1
	ThreatIntelOff   ThreatIntelMode = 2
)

var tiNames = []string{"Alert", "Deny", "Off"}

// String returns "Alert", "Deny" or "Off", or "ThreatIntelMode(n)".
func (m ThreatIntelMode) String() string { return enumString("ThreatIntelMode", tiNames, uint8(m)) }

// MarshalText implements [encoding.TextMarshaler].
func (m ThreatIntelMode) MarshalText() ([]byte, error) {
	if m > ThreatIntelOff {
		return nil, fmt.Errorf("firewall: cannot marshal %v", m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// printed by [ThreatIntelMode.String] in any letter case.
func (m *ThreatIntelMode) UnmarshalText(b []byte) error {
	v, err := enumParse("threat intel mode", tiNames, nil, b)
	if err == nil {
		*m = ThreatIntelMode(v)
	}
	return err
}

// RuleType is the type of a rule. Types are evaluated in the order of their
// values: all DNAT rules, then all network rules, then all application rules.
//
// The zero value, RuleTypeNone, names no rule (the default deny).
type RuleType uint8

// The rule types.
const (
	RuleTypeNone        RuleType = 0
	RuleTypeNat         RuleType = 1
	RuleTypeNetwork     RuleType = 2
	RuleTypeApplication RuleType = 3
)

var ruleTypeNames = []string{"None", "NatRule", "NetworkRule", "ApplicationRule"}

// String returns the ARM ruleType ("NatRule", "NetworkRule",
// "ApplicationRule"), "None", or "RuleType(n)".
func (t RuleType) String() string { return enumString("RuleType", ruleTypeNames, uint8(t)) }

// Reason says why a [Verdict] came out as it did.
//
// The zero value, ReasonNone, is never returned by [Engine.Evaluate].
type Reason uint8

// The reasons.
const (
	ReasonNone            Reason = iota
	ReasonNatRule                // a DNAT rule matched: translated and allowed
	ReasonNetworkRule            // a network rule matched; the collection's action applies
	ReasonApplicationRule        // an application rule matched; the collection's action applies
	ReasonDefaultDeny            // no rule matched: Azure Firewall denies by default
	ReasonIPv6                   // the flow is IPv6, which Azure Firewall does not support
	ReasonInvalidFlow            // the flow has an invalid address or no protocol
)

var reasonNames = []string{"None", "NatRule", "NetworkRule", "ApplicationRule", "DefaultDeny", "IPv6", "InvalidFlow"}

var reasonText = []string{
	"no reason",
	"a DNAT rule matched: destination translated and allowed",
	"a network rule matched",
	"an application rule matched",
	"no rule matched: Azure Firewall denies by default",
	"IPv6 flow: Azure Firewall does not support IPv6",
	"invalid flow: addresses must be valid and the protocol known",
}

// String returns the reason's short name, for example "DefaultDeny".
func (r Reason) String() string { return enumString("Reason", reasonNames, uint8(r)) }

// Text returns a sentence describing the reason, for example
// "no rule matched: Azure Firewall denies by default".
func (r Reason) Text() string {
	if int(r) < len(reasonText) {
		return reasonText[r]
	}
	return r.String()
}

// Flags qualify a [Verdict] with what the offline evaluation could not know.
// The zero value means the verdict depends on nothing outside the policy.
type Flags uint8

// The flags.
const (
	// FlagDNS: the deciding rule matched through a DNS answer (a network
	// rule's destination FQDN, or a DNAT rule's translated FQDN), so the
	// verdict holds only as long as DNS answers as the resolver did.
	FlagDNS Flags = 1 << iota
	// FlagUnknown: a rule evaluated before the deciding one could not be
	// decided offline (web categories, an FQDN tag or FQDN the resolvers
	// do not know, a target URL without the flow's path, a translated
	// FQDN that does not resolve, or values not known offline: a Terraform
	// plan's known after apply, the rules' ...Unknown fields) and, had it
	// matched, would have decided
	// differently (another action, or another SNAT); or a DNAT rule could
	// not be decided. Azure might have decided differently.
	FlagUnknown
	// FlagInfrastructure: an application-protocol flow fell through every
	// application rule. Azure would now try its built-in infrastructure
	// rule collection (platform FQDNs), which is not modelled.
	FlagInfrastructure
)

// String lists the set flags, for example "DNS|Unknown", or "" for none.
func (f Flags) String() string {
	var parts []string
	for i, n := range []string{"DNS", "Unknown", "Infrastructure"} {
		if f&(1<<i) != 0 {
			parts = append(parts, n)
		}
	}
	if rest := f &^ 7; rest != 0 {
		parts = append(parts, "0x"+strconv.FormatUint(uint64(rest), 16))
	}
	return strings.Join(parts, "|")
}
