package allowlist_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/egresslab/egress/allowlist"
)

func match(t *testing.T, entries []string, dst string) allowlist.Match {
	t.Helper()
	l, _ := allowlist.Compile(entries)
	return l.Match(dst)
}

// TestDataLossPrevention holds the matcher to what
// https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention
// documents (exact FQDNs, IPv4 in its 2025-01 revision) and to the
// assumptions for what it does not (A-2..A-14, docs/paas-semantics.md §1.4).
func TestDataLossPrevention(t *testing.T) {
	tests := []struct {
		name    string
		entries []string
		dst     string
		want    allowlist.Outcome
		entry   int
	}{
		{"documented PATCH body allows contoso.com", []string{"contoso.com"}, "contoso.com", allowlist.Allowed, 0},
		{"A-2 exact: another host is denied", []string{"contoso.com"}, "fabrikam.com", allowlist.Denied, -1},
		{"A-3 case: sample-app issue 1050 mixed case host", []string{"aisearchresource.search.windows.net"}, "AiSearchResource.search.windows.net", allowlist.Allowed, 0},
		{"A-3 case: entry upper case", []string{"WWW.Microsoft.COM"}, "www.microsoft.com", allowlist.Allowed, 0},
		{"A-4 trailing dot on the destination", []string{"contoso.com"}, "contoso.com.", allowlist.Allowed, 0},
		{"A-4 trailing dot on the entry", []string{"contoso.com."}, "contoso.com", allowlist.Allowed, 0},
		{"A-5 no implicit subdomains", []string{"contoso.com"}, "www.contoso.com", allowlist.Denied, -1},
		{"A-5 no parent domain", []string{"www.contoso.com"}, "contoso.com", allowlist.Denied, -1},
		{"A-6 wildcard gives Unknown", []string{"*.contoso.com"}, "www.contoso.com", allowlist.Unknown, 0},
		{"A-6 wildcard, two labels deep", []string{"*.contoso.com"}, "a.b.contoso.com", allowlist.Unknown, 0},
		{"A-6 wildcard does not match its apex", []string{"*.contoso.com"}, "contoso.com", allowlist.Denied, -1},
		{"A-6 exact entry beats a wildcard", []string{"*.contoso.com", "www.contoso.com"}, "www.contoso.com", allowlist.Allowed, 1},
		{"A-7 port entry matches nothing", []string{"contoso.com:443"}, "contoso.com", allowlist.Denied, -1},
		{"A-8 URL entry matches nothing", []string{"https://contoso.com/path"}, "contoso.com", allowlist.Denied, -1},
		{"A-9 IPv4 entry, 2025-01 revision", []string{"20.1.2.3"}, "20.1.2.3", allowlist.Allowed, 0},
		{"A-9 CIDR entry matches nothing", []string{"20.1.2.0/24"}, "20.1.2.3", allowlist.Denied, -1},
		{"A-9 IPv6 entry matches nothing", []string{"2001:db8::1"}, "2001:db8::1", allowlist.Denied, -1},
		{"A-10 no DNS: a name never matches an IP entry", []string{"20.1.2.3"}, "contoso.com", allowlist.Denied, -1},
		{"A-10 no DNS: an IP never matches a name entry", []string{"contoso.com"}, "20.1.2.3", allowlist.Denied, -1},
		{"A-11 non-ASCII destination", []string{"contoso.com"}, "bücher.example", allowlist.Unknown, -1},
		{"A-13 duplicates: the first decides", []string{"a.com", "A.com"}, "a.com", allowlist.Allowed, 0},
		{"A-14 empty list denies", nil, "contoso.com", allowlist.Denied, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := match(t, tt.entries, tt.dst)
			if got.Outcome != tt.want || got.Entry != tt.entry {
				t.Errorf("Match(%q) on %q = %v entry %d, want %v entry %d", tt.dst, tt.entries, got.Outcome, got.Entry, tt.want, tt.entry)
			}
			if o, i := slowMatch(tt.entries, tt.dst); o != got.Outcome || i != got.Entry {
				t.Errorf("slowMatch(%q) = %v entry %d, Match %v entry %d", tt.dst, o, i, got.Outcome, got.Entry)
			}
		})
	}
}

// TestProblems: A-12 violations are errors, entries that match nothing are
// warnings, and each names its index.
func TestProblems(t *testing.T) {
	long := strings.Repeat("a", 64) + ".com"
	tests := []struct {
		entry   string
		warning bool
		id      string
	}{
		{"", false, "A-12"},
		{long, false, "A-12"},
		{strings.Repeat("a.", 127) + "aa", false, "A-12"},
		{"a..b", false, "A-12"},
		{"-a.com", false, "A-12"},
		{"a_b.com", false, "A-12"},
		{"www.*.com", false, "A-12"},
		{"w*.com", false, "A-12"},
		{"contoso.com:443", true, "A-7"},
		{"https://contoso.com", true, "A-8"},
		{"10.0.0.0/8", true, "A-9"},
		{"::1", true, "A-9"},
		{"bücher.example", true, "A-11"},
	}
	for _, tt := range tests {
		_, probs := allowlist.Compile([]string{"ok.com", tt.entry})
		if len(probs) != 1 || probs[0].Index != 1 || probs[0].Warning != tt.warning || probs[0].Assumption != tt.id {
			t.Errorf("Compile(%q) problems = %+v, want one at index 1, warning %v, %s", tt.entry, probs, tt.warning, tt.id)
		}
	}
	for _, ok := range []string{"a.com", "*.a.com", "*", "a.com.", "1.2.3.4", "xn--bcher-kva.example", strings.Repeat("a", 63) + ".com"} {
		if _, probs := allowlist.Compile([]string{ok}); len(probs) != 0 && !(ok == "*.a.com" || ok == "*") {
			t.Errorf("Compile(%q) problems = %+v, want none", ok, probs)
		}
	}
}

// gen builds realistic entries and destinations from a small alphabet, so
// that matches, near misses, wildcards and invalid entries all occur.
type gen struct{ r *rand.Rand }

var labels = []string{"www", "api", "contoso", "Contoso", "search", "blob", "core", "windows", "net", "com", "a", "x-y"}

func (g gen) name(n int) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = labels[g.r.IntN(len(labels))]
	}
	return strings.Join(parts, ".")
}

func (g gen) entry() string {
	switch g.r.IntN(12) {
	case 0:
		return "*." + g.name(1+g.r.IntN(2))
	case 1:
		return fmt.Sprintf("20.0.0.%d", g.r.IntN(4))
	case 2:
		return g.name(2) + ":443"
	case 3:
		return "https://" + g.name(2)
	case 4:
		return g.name(2) + "."
	case 5:
		return "*"
	case 6:
		return "20.0.0.0/30"
	}
	return g.name(1 + g.r.IntN(3))
}

func (g gen) dst() string {
	switch g.r.IntN(8) {
	case 0:
		return fmt.Sprintf("20.0.0.%d", g.r.IntN(4))
	case 1:
		return g.name(1+g.r.IntN(3)) + "."
	case 2:
		return "::ffff:20.0.0.1"
	}
	return g.name(1 + g.r.IntN(4))
}

// TestDifferential holds List.Match equal to slowMatch on seeded random
// lists and destinations, and requires every outcome to occur.
func TestDifferential(t *testing.T) {
	n := 20000
	if testing.Short() {
		n = 2000
	}
	g := gen{rand.New(rand.NewPCG(13, 1))}
	seen := map[allowlist.Outcome]int{}
	for range n {
		entries := make([]string, g.r.IntN(8))
		for i := range entries {
			entries[i] = g.entry()
		}
		l, _ := allowlist.Compile(entries)
		for range 8 {
			d := g.dst()
			got := l.Match(d)
			o, i := slowMatch(entries, d)
			if got.Outcome != o || got.Entry != i {
				t.Fatalf("Match(%q) on %q = %v entry %d, slowMatch %v entry %d", d, entries, got.Outcome, got.Entry, o, i)
			}
			seen[o]++
		}
	}
	for _, o := range []allowlist.Outcome{allowlist.Allowed, allowlist.Denied, allowlist.Unknown} {
		if seen[o] == 0 {
			t.Errorf("outcome %v never occurred", o)
		}
	}
}

// FuzzMatch compiles a fuzzed list of three entries; Compile must not
// panic, and Match must agree with slowMatch on the fuzzed destination and
// on each entry used as a destination.
func FuzzMatch(f *testing.F) {
	f.Add("contoso.com", "*.contoso.com", "20.1.2.3", "WWW.contoso.com.")
	f.Add("a.com:443", "https://a.com", "10.0.0.0/8", "a.com")
	f.Add("bücher.example", "*", "::1", "x")
	f.Fuzz(func(t *testing.T, a, b, c, dst string) {
		entries := []string{a, b, c}
		l, probs := allowlist.Compile(entries)
		for _, p := range probs {
			if p.Index < 0 || p.Index >= len(entries) || p.Entry != entries[p.Index] {
				t.Fatalf("problem %+v does not name its entry", p)
			}
		}
		for _, d := range []string{dst, a, b, c} {
			got := l.Match(d)
			if o, i := slowMatch(entries, d); o != got.Outcome || i != got.Entry {
				t.Fatalf("Match(%q) on %q = %v entry %d, slowMatch %v entry %d", d, entries, got.Outcome, got.Entry, o, i)
			}
		}
	})
}

func TestMatchNoAllocs(t *testing.T) {
	l, _ := allowlist.Compile([]string{"contoso.com", "*.search.windows.net", "20.1.2.3"})
	for _, d := range []string{"contoso.com", "x.search.windows.net", "20.1.2.3", "evil.example"} {
		if n := testing.AllocsPerRun(100, func() { l.Match(d) }); n != 0 {
			t.Errorf("Match(%q) allocates %v times", d, n)
		}
	}
}

// BenchmarkMatch matches against a full list (1000 entries, one in ten a
// wildcard): an exact hit, a miss, and a miss that only a wildcard could
// match.
func BenchmarkMatch(b *testing.B) {
	entries := make([]string, allowlist.MaxEntries)
	for i := range entries {
		entries[i] = fmt.Sprintf("host%d.svc%d.example.com", i, i%37)
		if i%10 == 0 {
			entries[i] = fmt.Sprintf("*.svc%d.example.net", i)
		}
	}
	l, _ := allowlist.Compile(entries)
	for _, bc := range []struct{ name, dst string }{
		{"hit", "host501.svc20.example.com"},
		{"miss", "evil.example"},
		{"wildcard", "a.b.svc500.example.net"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				l.Match(bc.dst)
			}
		})
	}
}
