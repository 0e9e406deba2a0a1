// Package allowlist decides whether an Azure AI services account
// (Microsoft.CognitiveServices/accounts) whose restrictOutboundNetworkAccess
// is on may call a destination, by its allowedFqdnList
// (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention).
//
// Learn documents only that entries are fully qualified domain names such as
// www.microsoft.com (and, in its 2023 and 2025-01 revisions, IPv4
// addresses) and that the list holds at most [MaxEntries]. Everything else
// is an assumption, named by its id in the PaaS semantics notes (A-2 to
// A-14) and stated with every answer that relies on it ([Assumption]):
//
//   - an entry matches the destination host name as a whole: no
//     implicit subdomains (contoso.com does not allow www.contoso.com).
//   - names compare in ASCII lower case, one trailing dot ignored.
//   - an entry with a wildcard label (*.contoso.com) is kept, but a
//     destination that only such an entry could match is [Unknown], never
//     allowed or denied: Learn does not say what a wildcard means here.
//   - a port (host:443), a scheme, a path, a query or user
//     information makes an entry match nothing (a warning at load).
//   - an IPv4 literal entry matches exactly that IPv4
//     destination; IPv6 literals and CIDR ranges match nothing (a warning);
//     no DNS resolution links names and addresses.
//   - entries outside ASCII match nothing (a warning); a non-ASCII
//     destination is [Unknown].
//   - an entry must otherwise be a DNS name: at most 253 octets,
//     labels of 1 to 63 letters, digits and inner hyphens, "*" only as the
//     whole left-most label; anything else is an error at load.
//   - a restricted account with an empty list reaches nothing.
//
// [Compile] checks a list once and returns an immutable [*List] whose
// [List.Match] answers in time linear in the destination's labels. The
// package has a slow twin in its tests that the differential and fuzz tests
// hold it equal to.
package allowlist

import (
	"fmt"
	"net/netip"
	"strings"
)

// MaxEntries is the most entries allowedFqdnList holds: "supports a maximum
// of 1000 URLs" (cognitive-services-data-loss-prevention). Raw entries
// count, duplicates included.
const MaxEntries = 1000

// MaxNameLen is the longest entry, in octets, after one trailing dot is
// removed (A-12, DNS).
const MaxNameLen = 253

// Kind is what an entry is, once parsed.
type Kind uint8

// Entry kinds.
const (
	Invalid  Kind = iota // matches nothing: a port, URL, IPv6 literal, range or non-ASCII text (a warning)
	Name                 // an exact host name
	Wildcard             // a name whose left-most label is "*": destinations it could match are Unknown
	IPv4                 // an IPv4 literal
)

var kindNames = [...]string{"Invalid", "Name", "Wildcard", "IPv4"}

// String returns the kind's name.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Entry is one parsed entry of a list.
type Entry struct {
	Text string // as written
	Kind Kind
	// Key is the form matching compares: the lower-case name without its
	// trailing dot (without "*." for a wildcard: the suffix), or the
	// address's text; "" for an invalid entry.
	Key string
	// Assumption is the id of the assumption that decided the entry's
	// kind when it is not a plain name ("A-6", "A-7", ...), or "".
	Assumption string
	// Why says why an invalid entry matches nothing, or why a wildcard's
	// meaning is not known; "" otherwise.
	Why string
}

// Problem is what is wrong with one entry: an error (the input is not a
// list Azure documents: A-12), or a warning (an entry that matches nothing,
// or whose meaning is undocumented).
type Problem struct {
	Index      int    // the entry's position in the list, 0-based
	Entry      string // the entry as written
	Warning    bool   // a warning, not an error
	Assumption string // the id of the assumption behind it ("A-12", ...)
	Detail     string
}

// Parse parses one entry. An error is a problem of its own; an
// entry of kind Invalid carries its warning in Why.
func Parse(s string) (Entry, error) {
	e := Entry{Text: s}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			e.Assumption, e.Why = "A-11", "not ASCII: internationalised names are compared in their A-label (punycode) form, which egress does not compute; write the xn-- form"
			return e, nil
		}
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		e.Assumption, e.Why = "A-9", "an IP range ("+p.String()+"): the list documents addresses, not ranges"
		return e, nil
	}
	for _, bad := range []string{"://", "/", "?", "@", "#"} {
		if strings.Contains(s, bad) {
			e.Assumption, e.Why = "A-8", "contains "+fmt.Sprintf("%q", bad)+": entries are bare host names, not URLs"
			return e, nil
		}
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if !a.Is4() {
			e.Assumption, e.Why = "A-9", "an IPv6 address: Learn documents IPv4 addresses only"
			return e, nil
		}
		e.Kind, e.Key, e.Assumption = IPv4, a.String(), "A-9"
		return e, nil
	}
	if strings.Contains(s, ":") {
		e.Assumption, e.Why = "A-7", "contains a port or a colon: the list has no port field"
		return e, nil
	}
	name := lower(strings.TrimSuffix(s, "."))
	if err := checkName(name); err != nil {
		return e, err
	}
	if rest, ok := strings.CutPrefix(name, "*"); ok {
		e.Kind, e.Key, e.Assumption = Wildcard, strings.TrimPrefix(rest, "."), "A-6"
		e.Why = "a wildcard entry: Learn does not say whether or how allowedFqdnList matches wildcards"
		return e, nil
	}
	e.Kind, e.Key = Name, name
	return e, nil
}

// checkName checks a lower-case name without its trailing dot as a DNS
// name.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("%d octets long; a DNS name has at most %d", len(name), MaxNameLen)
	}
	labels := strings.Split(name, ".")
	for i, l := range labels {
		switch {
		case l == "":
			return fmt.Errorf("empty label")
		case len(l) > 63:
			return fmt.Errorf("label %q is %d octets long; a DNS label has at most 63", l, len(l))
		case l == "*" && i == 0:
			continue
		case strings.Contains(l, "*"):
			return fmt.Errorf("label %q: \"*\" is allowed only as the whole left-most label", l)
		case l[0] == '-' || l[len(l)-1] == '-':
			return fmt.Errorf("label %q starts or ends with a hyphen", l)
		}
		for j := 0; j < len(l); j++ {
			if c := l[j]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("label %q has %q: a DNS name has letters, digits and hyphens only", l, c)
			}
		}
	}
	return nil
}

// lower folds ASCII letters only, without allocating for a name
// already in lower case.
func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return strings.Map(func(r rune) rune {
				if r >= 'A' && r <= 'Z' {
					return r + 'a' - 'A'
				}
				return r
			}, s)
		}
	}
	return s
}

// List is a compiled allowedFqdnList. The zero List is not usable; build one
// with [Compile]. A List is immutable and safe for concurrent use.
type List struct {
	entries  []Entry
	names    map[string]int32 // Key → first index
	ips      map[netip.Addr]int32
	suffixes map[string]int32 // wildcard suffix → first index; "" for a bare "*"
}

// Compile parses every entry. It returns the list of what parsed (invalid
// entries kept, matching nothing) and every problem, in entry order. The
// list is usable even with errors: the entries in error match nothing.
// Compile does not check [MaxEntries]: the loader counts the raw list.
func Compile(entries []string) (*List, []Problem) {
	l := &List{names: map[string]int32{}, ips: map[netip.Addr]int32{}, suffixes: map[string]int32{}}
	var probs []Problem
	for i, s := range entries {
		e, err := Parse(s)
		if err != nil {
			probs = append(probs, Problem{Index: i, Entry: s, Assumption: "A-12", Detail: err.Error()})
		} else if e.Why != "" {
			probs = append(probs, Problem{Index: i, Entry: s, Warning: true, Assumption: e.Assumption, Detail: e.Why})
		}
		l.entries = append(l.entries, e)
		first := func(m map[string]int32, k string) {
			if _, ok := m[k]; !ok {
				m[k] = int32(i)
			}
		}
		switch e.Kind {
		case Name:
			first(l.names, e.Key)
		case Wildcard:
			first(l.suffixes, e.Key)
		case IPv4:
			a := netip.MustParseAddr(e.Key)
			if _, ok := l.ips[a]; !ok {
				l.ips[a] = int32(i)
			}
		}
	}
	return l, probs
}

// Len returns the number of entries, duplicates and invalid ones included.
func (l *List) Len() int { return len(l.entries) }

// Entry returns entry i; it panics if i is out of range.
func (l *List) Entry(i int) Entry { return l.entries[i] }

// Outcome is a list's answer for one destination.
type Outcome uint8

// Outcomes.
const (
	Denied  Outcome = iota // no entry matches (A-14 for an empty list)
	Allowed                // an entry matches exactly
	Unknown                // only a wildcard entry could match, or the destination is not ASCII
)

var outcomeNames = [...]string{"Denied", "Allowed", "Unknown"}

// String returns the outcome's name.
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// Match is the answer of [List.Match]: the outcome, the entry that decided
// (the first matching one for Allowed, the first wildcard that could match
// for Unknown; -1 otherwise), and the assumption the outcome relies on.
type Match struct {
	Outcome    Outcome
	Entry      int
	Assumption string // "A-6", "A-11", "A-9", "A-10", or "" for a plain name answer
}

// Match decides destination dst, a host name or an IP address literal, as
// the account would receive it in a call's parameter. Names match names
// addresses match IPv4 entries. It allocates
// nothing for a lower-case dst.
func (l *List) Match(dst string) Match {
	d := strings.TrimSuffix(dst, ".")
	if maybeAddr(d) {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return l.matchName(d)
		}
		if i, ok := l.ips[a.Unmap()]; ok && a.Unmap().Is4() {
			return Match{Allowed, int(i), "A-9"}
		}
		return Match{Denied, -1, "A-10"}
	}
	return l.matchName(d)
}

// maybeAddr reports whether s could be an IP literal: it has a colon, or
// only digits and dots. netip.ParseAddr allocates its error, which Match
// does not want for every name.
func maybeAddr(s string) bool {
	if strings.IndexByte(s, ':') >= 0 {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return s != ""
}

// matchName is Match for a destination that is not an IP literal.
func (l *List) matchName(d string) Match {
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			return Match{Unknown, -1, "A-11"}
		}
	}
	d = lower(d)
	if i, ok := l.names[d]; ok {
		return Match{Allowed, int(i), ""}
	}
	if len(l.suffixes) == 0 {
		return Match{Denied, -1, ""}
	}
	best := int32(-1)
	consider := func(k string) {
		if i, ok := l.suffixes[k]; ok && (best < 0 || i < best) {
			best = i
		}
	}
	if d != "" {
		consider("") // a bare "*"
	}
	for j := 0; j < len(d); j++ {
		if d[j] == '.' && j > 0 {
			consider(d[j+1:])
		}
	}
	if best >= 0 {
		return Match{Unknown, int(best), "A-6"}
	}
	return Match{Denied, -1, ""}
}
