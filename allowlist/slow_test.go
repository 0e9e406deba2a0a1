package allowlist_test

import (
	"net/netip"
	"strings"

	"github.com/egresslab/egress/allowlist"
)

// slowMatch is the reference for List.Match: deliberately plain, sharing no
// code with the package. It walks the entries in order, parses each on the
// spot, and applies the assumptions one by one. It returns the outcome and
// the deciding entry's index (-1 for none).
func slowMatch(entries []string, dst string) (allowlist.Outcome, int) {
	d := strings.TrimSuffix(dst, ".")
	if a, err := netip.ParseAddr(d); err == nil { // addresses match IPv4 entries only
		a = a.Unmap()
		if !a.Is4() {
			return allowlist.Denied, -1
		}
		for i, e := range entries {
			if b, err := netip.ParseAddr(e); err == nil && b.Is4() && b == a && slowValidEntry(e) {
				return allowlist.Allowed, i
			}
		}
		return allowlist.Denied, -1
	}
	for _, r := range d {
		if r > 127 {
			return allowlist.Unknown, -1
		}
	}
	d = strings.ToLower(d)
	for i, e := range entries { // A-2..A-5: exact name
		if !slowValidEntry(e) || strings.Contains(e, "*") {
			continue
		}
		if _, err := netip.ParseAddr(e); err == nil {
			continue
		}
		if strings.ToLower(strings.TrimSuffix(e, ".")) == d {
			return allowlist.Allowed, i
		}
	}
	for i, e := range entries { // a wildcard that could match
		if !slowValidEntry(e) || !strings.HasPrefix(e, "*") {
			continue
		}
		w := strings.ToLower(strings.TrimSuffix(e, "."))
		if w == "*" && d != "" {
			return allowlist.Unknown, i
		}
		suffix := w[1:] // ".contoso.com"
		if strings.HasSuffix(d, suffix) && len(d) > len(suffix) && !strings.HasPrefix(d, ".") {
			return allowlist.Unknown, i
		}
	}
	return allowlist.Denied, -1
}

// slowValidEntry reports whether an entry can match anything: ASCII, no URL
// parts, no port, no IPv6 or range, and a DNS name with "*" only as the
// whole first label (or an IPv4 address).
func slowValidEntry(e string) bool {
	for _, r := range e {
		if r > 127 {
			return false
		}
	}
	if strings.ContainsAny(e, "/?@#:") {
		return false
	}
	if a, err := netip.ParseAddr(e); err == nil {
		return a.Is4()
	}
	n := strings.ToLower(strings.TrimSuffix(e, "."))
	if n == "" || len(n) > 253 {
		return false
	}
	for i, l := range strings.Split(n, ".") {
		if l == "*" && i == 0 {
			continue
		}
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
