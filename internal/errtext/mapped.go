// Package errtext holds the rules every engine of egress shares for
// addresses in their input errors: how an IPv4-mapped IPv6 value is refused.
package errtext

import "net/netip"

// IPv4-mapped IPv6 addresses and prefixes (::ffff:a.b.c.d, RFC 4291 §2.5.5.2)
// follow one rule in every engine. Azure's pages give addresses and
// prefixes as IPv4 or IPv6 ("an individual IP address, a CIDR block",
// network-security-groups-overview; IPv4 and IPv6 prefixes are not mixed in
// one NSG rule, ipv6-overview#limitations; Azure Firewall is IPv4 only) and
// never in the mapped form, which its service-tag files never contain
// either; what Azure makes of a mapped value is not documented. So a
// configuration that writes one is refused, naming the IPv4 form to write;
// addresses that arrive as netip values (flows, resolvers' answers, Go
// configurations) are unmapped, so that ::ffff:10.0.0.4 and 10.0.0.4 are one
// address everywhere.

// MappedAddr returns what is wrong with a written address that is
// IPv4-mapped IPv6, or "" if it is not one.
func MappedAddr(a netip.Addr) string {
	if !a.Is4In6() {
		return ""
	}
	return "an IPv4-mapped IPv6 address; write it as IPv4: " + a.Unmap().String()
}

// MappedPrefix returns what is wrong with a written prefix (masked) whose
// address is IPv4-mapped IPv6, or "" if it is not one.
func MappedPrefix(p netip.Prefix) string {
	if !p.Addr().Is4In6() {
		return ""
	}
	if p.Bits() < 96 {
		return "an IPv4-mapped IPv6 prefix shorter than /96; write the IPv4 prefix"
	}
	return "an IPv4-mapped IPv6 prefix; write it as IPv4: " + Unmap(p).String()
}

// Unmap returns p with an IPv4-mapped address unmapped (::ffff:10.0.0.0/104
// is 10.0.0.0/8); other prefixes, and mapped ones shorter than /96, are
// returned as they are.
func Unmap(p netip.Prefix) netip.Prefix {
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p
}
