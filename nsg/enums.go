package nsg

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
)

// Direction is the direction of a security rule or of a flow relative to the
// network interface it is evaluated for.
//
// The zero value is invalid: a rule without a direction fails [Compile].
type Direction uint8

// The two directions, spelled as in ARM's securityRules[].properties.direction.
const (
	Inbound  Direction = 1 // traffic towards the NIC: the NIC's address is the destination
	Outbound Direction = 2 // traffic leaving the NIC: the NIC's address is the source
)

// String returns "Inbound" or "Outbound", or "Direction(n)" for an invalid value.
func (d Direction) String() string {
	switch d {
	case Inbound:
		return "Inbound"
	case Outbound:
		return "Outbound"
	}
	return "Direction(" + strconv.Itoa(int(d)) + ")"
}

// IsValid reports whether d is [Inbound] or [Outbound].
func (d Direction) IsValid() bool { return d == Inbound || d == Outbound }

// MarshalText implements [encoding.TextMarshaler]. It fails for an invalid value.
func (d Direction) MarshalText() ([]byte, error) {
	if !d.IsValid() {
		return nil, fmt.Errorf("nsg: cannot marshal %v", d)
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts "Inbound" and
// "Outbound" in any letter case, and the flow-log letters "I" and "O".
func (d *Direction) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "inbound", "i":
		*d = Inbound
	case "outbound", "o":
		*d = Outbound
	default:
		return fmt.Errorf("nsg: direction %q: want Inbound or Outbound", b)
	}
	return nil
}

// Access is what a rule does with the flows it matches, and the final answer of
// a [Verdict].
//
// The zero value is invalid. [AlwaysAllow] is valid only in Azure Virtual
// Network Manager security admin rules ([AdminRule]); a verdict's final access
// is always [Allow] or [Deny].
type Access uint8

// The access values, spelled as in ARM.
const (
	Allow       Access = 1 // NSG rule: allow. Admin rule: allow and go on to the NSGs
	Deny        Access = 2 // deny; for an admin rule, deny without evaluating the NSGs
	AlwaysAllow Access = 3 // admin rules only: allow without evaluating the NSGs
)

// String returns "Allow", "Deny" or "AlwaysAllow", or "Access(n)".
func (a Access) String() string {
	switch a {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	case AlwaysAllow:
		return "AlwaysAllow"
	}
	return "Access(" + strconv.Itoa(int(a)) + ")"
}

// IsValid reports whether a is one of the three defined values.
func (a Access) IsValid() bool { return a >= Allow && a <= AlwaysAllow }

// MarshalText implements [encoding.TextMarshaler]. It fails for an invalid value.
func (a Access) MarshalText() ([]byte, error) {
	if !a.IsValid() {
		return nil, fmt.Errorf("nsg: cannot marshal %v", a)
	}
	return []byte(a.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts the names
// printed by [Access.String] in any letter case, and the flow-log letters "A"
// (Allow) and "D" (Deny).
func (a *Access) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "allow", "a":
		*a = Allow
	case "deny", "d":
		*a = Deny
	case "alwaysallow":
		*a = AlwaysAllow
	default:
		return fmt.Errorf("nsg: access %q: want Allow, Deny or AlwaysAllow", b)
	}
	return nil
}

// Protocol is the protocol condition of a rule: one protocol, or any.
// A flow carries a concrete [ipproto.Proto]; [Protocol.Matches] relates them.
//
// The zero value is invalid: a rule without a protocol fails [Compile].
type Protocol uint8

// The protocol conditions of NSG and admin rules
// (https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview).
const (
	ProtocolAny  Protocol = 1 // "*" in NSG rules, "Any" in admin rules, "All" in the effective view
	ProtocolTCP  Protocol = 2 // "Tcp"
	ProtocolUDP  Protocol = 3 // "Udp"
	ProtocolICMP Protocol = 4 // "Icmp": ICMP for IPv4 and ICMPv6 (see the package doc)
	ProtocolESP  Protocol = 5 // "Esp"
	ProtocolAH   Protocol = 6 // "Ah"
)

var protocolNames = [...]string{ProtocolAny: "*", ProtocolTCP: "Tcp", ProtocolUDP: "Udp",
	ProtocolICMP: "Icmp", ProtocolESP: "Esp", ProtocolAH: "Ah"}

// String returns the ARM spelling of an NSG rule's protocol: "*", "Tcp", "Udp",
// "Icmp", "Esp" or "Ah"; "Protocol(n)" for an invalid value.
func (p Protocol) String() string {
	if p.IsValid() {
		return protocolNames[p]
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// EffectiveString returns the spelling of the effective security rules view
// (az network nic list-effective-nsg): "All" for [ProtocolAny], else [Protocol.String].
func (p Protocol) EffectiveString() string {
	if p == ProtocolAny {
		return "All"
	}
	return p.String()
}

// IsValid reports whether p is one of the defined values.
func (p Protocol) IsValid() bool { return p >= ProtocolAny && p <= ProtocolAH }

// Matches reports whether a rule with protocol condition p matches a flow of
// protocol q. [ProtocolAny] matches every protocol; [ProtocolICMP] matches
// ICMP and ICMPv6. An invalid p matches nothing.
func (p Protocol) Matches(q ipproto.Proto) bool {
	switch p {
	case ProtocolAny:
		return true
	case ProtocolTCP:
		return q == ipproto.TCP
	case ProtocolUDP:
		return q == ipproto.UDP
	case ProtocolICMP:
		return q == ipproto.ICMP || q == ipproto.ICMPv6
	case ProtocolESP:
		return q == ipproto.ESP
	case ProtocolAH:
		return q == ipproto.AH
	}
	return false
}

// MarshalText implements [encoding.TextMarshaler] with [Protocol.String].
func (p Protocol) MarshalText() ([]byte, error) {
	if !p.IsValid() {
		return nil, fmt.Errorf("nsg: cannot marshal %v", p)
	}
	return []byte(p.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts "*", "Any"
// and "All" for [ProtocolAny] and the protocol names in any letter case.
func (p *Protocol) UnmarshalText(b []byte) error {
	v, err := ParseProtocol(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// ParseProtocol parses a rule protocol: "*", "Any" or "All", or one of "Tcp",
// "Udp", "Icmp", "Esp", "Ah" in any letter case.
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(s) {
	case "*", "any", "all":
		return ProtocolAny, nil
	case "tcp":
		return ProtocolTCP, nil
	case "udp":
		return ProtocolUDP, nil
	case "icmp":
		return ProtocolICMP, nil
	case "esp":
		return ProtocolESP, nil
	case "ah":
		return ProtocolAH, nil
	}
	return 0, fmt.Errorf("nsg: protocol %q: want *, Tcp, Udp, Icmp, Esp or Ah", s)
}

// Reason says what decided a [Verdict].
//
// The zero value [ReasonNone] appears only in the zero Verdict.
type Reason uint8

// The reasons a verdict can have.
const (
	ReasonNone     Reason = iota // the zero Verdict: nothing was evaluated
	ReasonRule                   // an NSG rule decided (a deny, or the allow of the last NSG evaluated)
	ReasonAdmin                  // an admin rule with Deny or AlwaysAllow decided; the NSGs were skipped
	ReasonPlatform               // platform traffic (168.63.129.16, 169.254.169.254) not subject to the rules
	ReasonNoNSG                  // no NSG on the NIC nor on its subnet, and no terminating admin rule
)

var reasonNames = [...]string{"None", "Rule", "Admin", "Platform", "NoNSG"}

// String returns "None", "Rule", "Admin", "Platform" or "NoNSG".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText implements [encoding.TextMarshaler] with [Reason.String].
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler], accepting the names
// printed by [Reason.String] in any letter case.
func (r *Reason) UnmarshalText(b []byte) error {
	for i, n := range reasonNames {
		if strings.EqualFold(n, string(b)) {
			*r = Reason(i)
			return nil
		}
	}
	return fmt.Errorf("nsg: reason %q: unknown", b)
}
