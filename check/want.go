package check

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/simulate"
)

// Want is one expectation about a trace: it returns "" when the result
// meets it, else what was expected (the failure shows what happened).
type Want func(r *simulate.Result) string

// Verdict expects the flow's verdict.
func Verdict(v simulate.Verdict) Want {
	return func(r *simulate.Result) string {
		if r.Verdict != v {
			return "verdict " + v.String()
		}
		return ""
	}
}

// Reason expects the reason code (why the flow ended as it did).
func Reason(c simulate.Reason) Want {
	return func(r *simulate.Result) string {
		if r.ReasonCode != c {
			text, _ := c.MarshalText()
			return "reason " + string(text)
		}
		return ""
	}
}

// Method expects the egress method.
func Method(m simulate.Method) Want {
	return func(r *simulate.Result) string {
		if r.EgressMethod != m {
			return "egress method " + m.String()
		}
		return ""
	}
}

// EgressIPs expects exactly these public source addresses, in any order
// (none: the flow leaves with no Azure public address).
func EgressIPs(ips ...string) Want {
	want := make([]netip.Addr, 0, len(ips))
	bad := ""
	for _, s := range ips {
		a, err := netip.ParseAddr(s)
		if err != nil {
			bad = fmt.Sprintf("egress IPs %v (%q is not an address)", ips, s)
		}
		want = append(want, a)
	}
	slices.SortFunc(want, netip.Addr.Compare)
	return func(r *simulate.Result) string {
		got := slices.SortedFunc(slices.Values(r.EgressIPs), netip.Addr.Compare)
		if bad != "" || !slices.Equal(got, want) {
			return fmt.Sprintf("egress IPs %v", want)
		}
		return ""
	}
}

// Through expects the path to cross a hop with this name: an Azure
// Firewall, an NVA's NIC, the destination NIC (names compare without letter
// case).
func Through(name string) Want {
	return func(r *simulate.Result) string {
		if !crosses(r, name) {
			return "a path through " + name
		}
		return ""
	}
}

// NotThrough expects the path not to cross a hop with this name.
func NotThrough(name string) Want {
	return func(r *simulate.Result) string {
		if crosses(r, name) {
			return "a path that avoids " + name
		}
		return ""
	}
}

func crosses(r *simulate.Result, name string) bool {
	for _, h := range r.Hops[1:] {
		if strings.EqualFold(h.Name, name) {
			return true
		}
	}
	return false
}

// DecidedBy expects the rule that denied the flow to contain text, e.g. an
// NSG rule's name or "AzureFirewall fw-hub".
func DecidedBy(text string) Want {
	return func(r *simulate.Result) string {
		if !strings.Contains(r.DecidedBy, text) {
			return fmt.Sprintf("decided by %q", text)
		}
		return ""
	}
}

// Assumes expects the result to state an assumption containing text: a
// PaaS assumption's id ("A-6"), or words of any other.
func Assumes(text string) Want {
	if _, ok := simulate.PaaSAssumption(text); ok {
		text += ": " // the id, not a prefix of a longer one (A-1 of A-14)
	}
	return func(r *simulate.Result) string {
		for _, a := range r.Assumptions {
			if strings.Contains(a, text) {
				return ""
			}
		}
		return fmt.Sprintf("an assumption %q", strings.TrimSuffix(text, ": "))
	}
}

// WouldBeDenied expects the flow to be (true) or not to be (false) one
// that is allowed only because a control on its path is not enforced: a
// network security perimeter association in Learning or Audit mode whose
// rules do not allow it ([simulate.Result.WouldBeDenied]). It is the
// audit-before-deny check: which flows break once the perimeter is
// enforced.
func WouldBeDenied(want bool) Want {
	return func(r *simulate.Result) string {
		if r.WouldBeDenied != want {
			if want {
				return "a flow that enforcing denies (wouldBeDeniedWhenEnforced)"
			}
			return "a flow that enforcing does not deny"
		}
		return ""
	}
}
