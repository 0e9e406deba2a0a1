package firewall

import "net/netip"

// SNATs reports whether the firewall translates the source of a flow to dst
// that a network rule allows: whether dst is outside the SNAT private ranges
// (https://learn.microsoft.com/azure/firewall/snat-private-range).
// Application-rule allows and DNAT are always translated, whatever dst. For
// callers that skip rule evaluation and still need the translation.
func (e *Engine) SNATs(dst netip.Addr) bool {
	dst = dst.Unmap()
	return dst.Is4() && !e.private.Lookup(dst)
}
