package firewall

import (
	"cmp"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/errtext"
	"go4.org/netipx"
)

var allV4 = netip.PrefixFrom(netip.IPv4Unspecified(), 0)

// ianaPrivate is IANAPrivateRanges: RFC 1918 and RFC 6598
// (https://learn.microsoft.com/azure/firewall/snat-private-range).
var ianaPrivate = []netip.Prefix{
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("100.64.0.0/10"),
}

// addrSyntax reports whether s looks like an address, CIDR or range rather
// than a name (so a typo in an address is not reported as an unknown tag).
func addrSyntax(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || c == '.' || c == '/' || c == '-' || c == ':' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return strings.ContainsAny(s, "./:")
}

// parseAddrItem parses one address item: "*", an IPv4 address, a CIDR
// without host bits, or a range "a-b". It returns the prefixes and a
// message on error.
func parseAddrItem(s string) ([]netip.Prefix, string) {
	switch {
	case s == "*":
		return []netip.Prefix{allV4}, ""
	case strings.Contains(s, "-"):
		from, to, _ := strings.Cut(s, "-")
		a, err1 := netip.ParseAddr(from)
		b, err2 := netip.ParseAddr(to)
		if err1 != nil || err2 != nil {
			return nil, "not an address range a-b"
		}
		if msg := cmp.Or(errtext.MappedAddr(a), errtext.MappedAddr(b)); msg != "" {
			return nil, msg
		}
		if !a.Is4() || !b.Is4() {
			return nil, "Azure Firewall does not support IPv6"
		}
		r := netipx.IPRangeFrom(a, b)
		if !r.IsValid() {
			return nil, "range start is after its end"
		}
		return r.Prefixes(), ""
	case strings.Contains(s, "/"):
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, "not a CIDR"
		}
		if p.Masked() == p && errtext.MappedPrefix(p) != "" {
			return nil, errtext.MappedPrefix(p)
		}
		if !p.Addr().Is4() {
			return nil, "Azure Firewall does not support IPv6"
		}
		if p.Masked() != p {
			return nil, "host bits set (did you mean " + p.Masked().String() + "?)"
		}
		return []netip.Prefix{p}, ""
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, "not an IP address, CIDR, range or \"*\""
	}
	if msg := errtext.MappedAddr(a); msg != "" {
		return nil, msg
	}
	if !a.Is4() {
		return nil, "Azure Firewall does not support IPv6"
	}
	return []netip.Prefix{netip.PrefixFrom(a, 32)}, ""
}

// only4 keeps the IPv4 prefixes (Azure Firewall does not support IPv6), unmapped.
func only4(ps []netip.Prefix) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ps))
	for _, p := range ps {
		if !p.IsValid() {
			continue
		}
		a := p.Addr()
		if a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		if p.Addr().Is4() {
			out = append(out, p.Masked())
		}
	}
	return out
}

// parsePortItem parses "*", a port 1..65535, or a range "a-b".
func parsePortItem(s string) ([2]uint16, string) {
	if s == "*" {
		return [2]uint16{0, 65535}, ""
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, msg := parsePort(lo)
	if msg != "" {
		return [2]uint16{}, msg
	}
	b := a
	if isRange {
		if b, msg = parsePort(hi); msg != "" {
			return [2]uint16{}, msg
		}
		if a > b {
			return [2]uint16{}, "range start is after its end"
		}
	}
	return [2]uint16{a, b}, ""
}

func parsePort(s string) (uint16, string) {
	n, err := strconv.Atoi(s)
	if err != nil || strings.HasPrefix(s, "+") {
		return 0, "not a port number"
	}
	if n < 1 || n > 65535 {
		return 0, strconv.Itoa(n) + " is outside 1..65535"
	}
	return uint16(n), ""
}
