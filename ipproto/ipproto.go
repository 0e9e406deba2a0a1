// Package ipproto defines [Proto], the IP protocol of a flow, shared by the
// route, nsg, firewall and simulate packages.
//
// A flow always carries one concrete protocol; rules that match "any protocol"
// express that in their own types (for example nsg's protocol set), never with
// a Proto value.
package ipproto

import (
	"fmt"
	"strconv"
	"strings"
)

// Proto is an IP protocol number as assigned by IANA.
//
// The zero value is [Unknown], which is not a valid protocol for a flow.
// Proto is a small comparable value type; copy it freely.
type Proto uint8

// The protocols that Azure network security rules, firewall rules and flow logs
// can name. Other IANA numbers are valid Proto values and print as numbers.
const (
	Unknown Proto = 0  // not a protocol: the zero value
	ICMP    Proto = 1  // Internet Control Message Protocol (IPv4)
	TCP     Proto = 6  // Transmission Control Protocol
	UDP     Proto = 17 // User Datagram Protocol
	ESP     Proto = 50 // IPsec Encapsulating Security Payload
	AH      Proto = 51 // IPsec Authentication Header
	ICMPv6  Proto = 58 // ICMP for IPv6
)

var names = map[Proto]string{
	ICMP:   "Icmp",
	TCP:    "Tcp",
	UDP:    "Udp",
	ESP:    "Esp",
	AH:     "Ah",
	ICMPv6: "IcmpV6",
}

// String returns the protocol's name in Azure's NSG spelling ("Tcp", "Udp",
// "Icmp", "Esp", "Ah"), "IcmpV6" for 58, "Unknown" for 0, and the decimal
// number for any other protocol.
func (p Proto) String() string {
	if s, ok := names[p]; ok {
		return s
	}
	if p == Unknown {
		return "Unknown"
	}
	return strconv.Itoa(int(p))
}

// HasPorts reports whether the protocol carries port numbers (TCP and UDP).
func (p Proto) HasPorts() bool { return p == TCP || p == UDP }

// MarshalText implements [encoding.TextMarshaler] using [Proto.String].
func (p Proto) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts the names
// printed by [Proto.String] in any letter case ("Unknown", the zero value's,
// included, so that every value reads back), the spellings used by Azure's
// tools ("TCP", "T", "6"), and decimal protocol numbers 1..255.
func (p *Proto) UnmarshalText(b []byte) error {
	if strings.EqualFold(string(b), Unknown.String()) {
		*p = Unknown
		return nil
	}
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Parse parses a protocol name or number. It accepts "Tcp", "TCP", "tcp",
// the flow-log letters "T" and "U", and decimal numbers 1..255.
// "*", "Any" and "All" are rejected: they are rule wildcards, not protocols.
func Parse(s string) (Proto, error) {
	switch strings.ToLower(s) {
	case "tcp", "t":
		return TCP, nil
	case "udp", "u":
		return UDP, nil
	case "icmp":
		return ICMP, nil
	case "esp":
		return ESP, nil
	case "ah":
		return AH, nil
	case "icmpv6", "ipv6-icmp":
		return ICMPv6, nil
	}
	n, err := strconv.ParseUint(s, 10, 8)
	if err != nil || n == 0 {
		return Unknown, fmt.Errorf("ipproto.Parse(%q): not a protocol name or number 1..255", s)
	}
	return Proto(n), nil
}
