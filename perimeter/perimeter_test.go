package perimeter_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/egresslab/egress/perimeter"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// slowDecide is the reference for Gate.Decide, written from the outbound
// column of the decision table of network-security-perimeter-transition
// and the rule of paas-semantics §3.5, sharing no code with the package: it
// scans the rules and their entries in order and compares names by hand.
func slowDecide(assoc bool, mode perimeter.AccessMode, access perimeter.PublicAccess, rules []perimeter.Rule, dst string, intra bool) (perimeter.Outcome, bool, int) {
	secured := access == perimeter.SecuredByPerimeter
	if !assoc {
		if secured {
			return perimeter.Denied, false, -1 // "Outbound: Denied"
		}
		return perimeter.Allowed, false, -1 // "Outbound: Allowed"
	}
	if intra {
		return perimeter.Allowed, false, -1
	}
	enforced := mode == perimeter.Enforced || secured
	d := strings.ToLower(strings.TrimSuffix(dst, "."))
	nonASCII := strings.IndexFunc(d, func(r rune) bool { return r > 127 }) >= 0
	could := -1
	for i, r := range rules {
		for _, e := range r.FQDNs {
			if !slowValid(e) {
				continue
			}
			e = strings.ToLower(strings.TrimSuffix(e, "."))
			if strings.HasPrefix(e, "*") {
				if could < 0 && !nonASCII && d != "" && (e == "*" || strings.HasSuffix(d, e[1:]) && len(d) > len(e)-1) && !isAddr(d) {
					could = i
				}
				continue
			}
			if !nonASCII && e == d {
				return perimeter.Allowed, false, i // a rule allows
			}
		}
	}
	if nonASCII && slices.ContainsFunc(rules, func(r perimeter.Rule) bool { return len(r.FQDNs) > 0 }) {
		// its A-label could equal any entry.
		if enforced {
			return perimeter.Unknown, false, -1
		}
		return perimeter.Allowed, false, -1
	}
	switch {
	case could >= 0 && enforced:
		return perimeter.Unknown, false, could
	case could >= 0:
		return perimeter.Allowed, false, could
	case enforced:
		return perimeter.Denied, false, -1 // "Outbound: Network security perimeter rules"
	}
	return perimeter.Allowed, true, -1 // "Network security perimeter rules + Allowed": would be denied once enforced
}

func isAddr(s string) bool { _, err := netip.ParseAddr(s); return err == nil }

// slowValid: a DNS name of letters, digits, hyphens and dots, "*" only as
// the whole first label; no addresses.
func slowValid(e string) bool {
	e = strings.TrimSuffix(e, ".")
	if e == "" || len(e) > 253 || isAddr(e) {
		return false
	}
	for i, l := range strings.Split(e, ".") {
		if l == "*" && i == 0 {
			continue
		}
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range strings.ToLower(l) {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// The outbound cells of the transition page's table, one test per cell
// (https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition).
func TestNetworkSecurityPerimeterTransitionTable(t *testing.T) {
	prof, probs := perimeter.Compile([]perimeter.Rule{{Name: "allow-search", FQDNs: []string{"mysearch.search.windows.net"}}})
	require.Empty(t, probs)
	type cell struct {
		access              perimeter.PublicAccess
		assoc               bool
		mode                perimeter.AccessMode
		ruleDst, otherDst   perimeter.Outcome
		wouldDeny, enforced bool
		text                string
	}
	for _, c := range []cell{
		{perimeter.Enabled, false, 0, perimeter.Allowed, perimeter.Allowed, false, false, "Outbound: Allowed"},
		{perimeter.Disabled, false, 0, perimeter.Allowed, perimeter.Allowed, false, false, "Outbound: Allowed"},
		{perimeter.Unset, false, 0, perimeter.Allowed, perimeter.Allowed, false, false, "Outbound: Allowed"},
		{perimeter.SecuredByPerimeter, false, 0, perimeter.Denied, perimeter.Denied, false, true, "Outbound: Denied"},
		{perimeter.Enabled, true, perimeter.Learning, perimeter.Allowed, perimeter.Allowed, true, false, "Outbound: Network security perimeter rules + Allowed"},
		{perimeter.Disabled, true, perimeter.Learning, perimeter.Allowed, perimeter.Allowed, true, false, "Outbound: Network security perimeter rules + Allowed"},
		{perimeter.Enabled, true, perimeter.Audit, perimeter.Allowed, perimeter.Allowed, true, false, "Outbound: Network security perimeter rules + Allowed"},
		{perimeter.SecuredByPerimeter, true, perimeter.Learning, perimeter.Allowed, perimeter.Denied, false, true, "Outbound: Network security perimeter rules"},
		{perimeter.Enabled, true, perimeter.Enforced, perimeter.Allowed, perimeter.Denied, false, true, "Outbound: Network security perimeter rules"},
		{perimeter.Disabled, true, perimeter.Enforced, perimeter.Allowed, perimeter.Denied, false, true, "Outbound: Network security perimeter rules"},
		{perimeter.SecuredByPerimeter, true, perimeter.Enforced, perimeter.Allowed, perimeter.Denied, false, true, "Outbound: Network security perimeter rules"},
	} {
		t.Run(fmt.Sprintf("%v/%v/%v", c.access, c.assoc, c.mode), func(t *testing.T) {
			g := perimeter.Gate{Associated: c.assoc, Mode: c.mode, Access: c.access, Profile: prof}
			in := g.Decide("MySearch.search.windows.net.", false)
			assert.Equal(t, c.ruleDst, in.Outcome)
			assert.Equal(t, c.text, in.Cell)
			assert.Equal(t, c.enforced, in.Enforced)
			if c.assoc {
				assert.Equal(t, 0, in.Rule, "the rule that allows")
				assert.Equal(t, "mysearch.search.windows.net", prof.Entry(in.Rule, in.Entry))
				assert.Contains(t, in.Assumptions.IDs(), "A-24")
			}
			out := g.Decide("evil.example", false)
			assert.Equal(t, c.otherDst, out.Outcome)
			assert.Equal(t, c.wouldDeny, out.WouldDeny, "would be denied once enforced")
			assert.Equal(t, -1, out.Rule)
			if c.mode == perimeter.Audit {
				assert.Contains(t, out.Assumptions.IDs(), "A-21")
			}
		})
	}
}

// "By default, all traffic except intra-perimeter traffic is denied in this
// mode" (network-security-perimeter-concepts): A-23.
func TestNetworkSecurityPerimeterConceptsIntraPerimeter(t *testing.T) {
	g := perimeter.Gate{Associated: true, Mode: perimeter.Enforced, Access: perimeter.SecuredByPerimeter}
	d := g.Decide("mystorage.blob.core.windows.net", true)
	assert.Equal(t, perimeter.Allowed, d.Outcome)
	assert.True(t, d.IntraPerimeter)
	assert.Equal(t, []string{"A-23"}, d.Assumptions.IDs())
	assert.Equal(t, perimeter.Denied, g.Decide("mystorage.blob.core.windows.net", false).Outcome)
	// Without an association there is no perimeter to be inside.
	g.Associated = false
	assert.Equal(t, perimeter.Denied, g.Decide("mystorage.blob.core.windows.net", true).Outcome)
}

func TestCompileProblems(t *testing.T) {
	prof, probs := perimeter.Compile([]perimeter.Rule{
		{Name: "r0", FQDNs: []string{"ok.example", "10.0.0.1", "*.blob.core.windows.net"}},
		{Name: "r1", FQDNs: []string{"https://x.example/", "bad_name.example", "x.example:443"}},
	})
	require.Len(t, probs, 5)
	assert.Equal(t, perimeter.Problem{Rule: 0, Index: 1, Entry: "10.0.0.1", Assumption: "A-24", Detail: probs[0].Detail}, probs[0])
	assert.Contains(t, probs[0].Detail, "host names")
	assert.True(t, probs[1].Warning, "a wildcard is a warning")
	for _, p := range probs[2:] {
		assert.False(t, p.Warning, "%s is an error", p.Entry)
		assert.Equal(t, 1, p.Rule)
	}
	g := perimeter.Gate{Associated: true, Mode: perimeter.Enforced, Profile: prof}
	assert.Equal(t, perimeter.Denied, g.Decide("10.0.0.1", false).Outcome, "an IP entry matches nothing")
	assert.Equal(t, perimeter.Unknown, g.Decide("a.blob.core.windows.net", false).Outcome, "a wildcard could match")
	assert.Equal(t, perimeter.Allowed, g.Decide("OK.example", false).Outcome)
	assert.Equal(t, perimeter.Denied, g.Decide("x.example", false).Outcome)
	assert.Equal(t, 2, prof.Len())
	assert.Equal(t, "r1", prof.RuleName(1))
}

func TestParse(t *testing.T) {
	for _, s := range []string{"learning", "Enforced", "AUDIT"} {
		_, err := perimeter.ParseAccessMode(s)
		assert.NoError(t, err, s)
	}
	_, err := perimeter.ParseAccessMode("Enforcing")
	assert.ErrorContains(t, err, `"Enforcing"`)
	a, err := perimeter.ParsePublicAccess("securedbyperimeter")
	require.NoError(t, err)
	assert.Equal(t, perimeter.SecuredByPerimeter, a)
	a, err = perimeter.ParsePublicAccess("")
	require.NoError(t, err)
	assert.Equal(t, perimeter.Unset, a)
	_, err = perimeter.ParsePublicAccess("Restricted")
	assert.Error(t, err)
	assert.Equal(t, "Enforced", perimeter.Enforced.String())
	assert.Equal(t, "AccessMode(9)", perimeter.AccessMode(9).String())
}

var names = []string{"a.example", "A.Example.", "b.a.example", "x.search.windows.net", "mystorage.blob.core.windows.net", "10.0.0.1",
	"*.a.example", "*", "*.core.windows.net", "bad_name", "münchen.example", "", "a.example:443", "::1", "core.windows.net"}

func randRules(r *rand.Rand) []perimeter.Rule {
	rules := make([]perimeter.Rule, r.IntN(4))
	for i := range rules {
		rules[i].Name = fmt.Sprint("r", i)
		for range r.IntN(4) {
			rules[i].FQDNs = append(rules[i].FQDNs, names[r.IntN(len(names))])
		}
	}
	return rules
}

func check(t *testing.T, rules []perimeter.Rule, assoc bool, mode perimeter.AccessMode, access perimeter.PublicAccess, dst string, intra bool) {
	t.Helper()
	prof, _ := perimeter.Compile(rules)
	d := perimeter.Gate{Associated: assoc, Mode: mode, Access: access, Profile: prof}.Decide(dst, intra)
	o, would, rule := slowDecide(assoc, mode, access, rules, dst, intra)
	require.Equal(t, o, d.Outcome, "rules %q assoc %v mode %v access %v dst %q intra %v", rules, assoc, mode, access, dst, intra)
	require.Equal(t, would, d.WouldDeny, "would deny: rules %q mode %v access %v dst %q", rules, mode, access, dst)
	require.Equal(t, rule, d.Rule, "rule: rules %q dst %q", rules, dst)
}

// TestTwin holds Decide equal to the slow twin on random gates.
func TestTwin(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	for range n {
		check(t, randRules(r), r.IntN(4) > 0, perimeter.AccessMode(r.IntN(3)), perimeter.PublicAccess(r.IntN(4)), names[r.IntN(len(names))], r.IntN(5) == 0)
	}
}

func FuzzDecide(f *testing.F) {
	f.Add("a.example", "*.example", "b.example", uint8(1), uint8(3), false)
	f.Add("10.0.0.1", "10.0.0.1", "", uint8(1), uint8(0), true)
	f.Fuzz(func(t *testing.T, dst, e1, e2 string, mode, access uint8, intra bool) {
		rules := []perimeter.Rule{{Name: "r0", FQDNs: []string{e1}}, {Name: "r1", FQDNs: []string{e2, e1}}}
		check(t, rules, mode < 6, perimeter.AccessMode(mode%3), perimeter.PublicAccess(access%4), dst, intra)
	})
}

func TestDecideAllocatesNothing(t *testing.T) {
	prof, _ := perimeter.Compile([]perimeter.Rule{{Name: "r", FQDNs: []string{"a.example", "*.b.example"}}})
	g := perimeter.Gate{Associated: true, Mode: perimeter.Enforced, Profile: prof}
	var d perimeter.Decision
	allocs := testing.AllocsPerRun(100, func() { d = g.Decide("x.b.example", false) })
	assert.Zero(t, allocs)
	assert.Equal(t, perimeter.Unknown, d.Outcome)
}
