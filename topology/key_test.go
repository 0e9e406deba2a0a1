package topology

import (
	"strings"
	"testing"
)

// TestKeyFold holds the allocation-free key helpers equal to their plain
// definitions: Key to strings.ToLower, get to an index by Key, compareFold
// to comparing the lower-cased strings (then the strings).
func TestKeyFold(t *testing.T) {
	ids := []string{"", "a", "A", "ab", "aB", "Ab", "/subscriptions/X/resourceGroups/rg", "/subscriptions/x/resourcegroups/RG/z",
		"ÄB", "äb", "Straße", "STRASSE", "a\u0130", "ai", strings.Repeat("Q", maxStackKey+1), strings.Repeat("q", maxStackKey+1), "İ", "i"}
	m := map[string]int{}
	for i, id := range ids {
		if got, want := Ref(id).Key(), strings.ToLower(id); got != want {
			t.Errorf("Key(%q) = %q, want %q", id, got, want)
		}
		m[Ref(id).Key()] = i
	}
	for _, id := range ids {
		got, ok := get(m, Ref(id))
		want, wok := m[Ref(id).Key()]
		if got != want || ok != wok {
			t.Errorf("get(%q) = %d, %v; want %d, %v", id, got, ok, want, wok)
		}
	}
	if _, ok := get(m, "/NOT/there"); ok {
		t.Error("get found an absent ID")
	}
	sign := func(c int) int { return min(max(c, -1), 1) }
	for _, a := range ids {
		for _, b := range ids {
			if got, want := sign(compareFold(a, b)), sign(compareFoldSlow(a, b)); got != want {
				t.Errorf("compareFold(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}
