package topology_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/egresslab/egress/topology"
	"github.com/egresslab/egress/topology/arm"
)

// build parses files (name, content pairs, in order) as one resource set and
// builds and validates the model, as LoadFiles does from disk.
func build(t *testing.T, nameContent ...[]byte) (*topology.Model, error) {
	var rs []arm.Resource
	for i := 0; i+1 < len(nameContent); i += 2 {
		r, err := arm.ParseKeepDuplicates(string(nameContent[i]), bytes.NewReader(nameContent[i+1]))
		if err != nil {
			return nil, err
		}
		rs = append(rs, r...)
	}
	m, err := topology.FromARM(rs)
	if err != nil {
		return nil, err
	}
	if err := m.Validate(nil); err != nil {
		return nil, err
	}
	return m, nil
}

// FuzzMerge: merging never panics, and it is a merge: a file given twice is
// the file once (every resource equals its copy), and two files give the
// same network in either order (which declaration is kept changes
// positions, never content), both loading or both failing.
func FuzzMerge(f *testing.F) {
	var seeds [][]byte
	for _, glob := range []string{"arm/testdata/*.json", "testdata/corpus/*/*.json", "testdata/classic/*.json"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				seeds = append(seeds, data)
			}
		}
	}
	for i, a := range seeds {
		f.Add(a, seeds[(i+1)%len(seeds)])
	}
	f.Add([]byte(`[{"id":"/subscriptions/1/resourceGroups/r/providers/Microsoft.Network/routeTables/t","type":"Microsoft.Network/routeTables","properties":{"routes":[{"name":"x","properties":{"addressPrefix":"0.0.0.0/0","nextHopType":"Internet"}}]}}]`),
		[]byte(`{"id":"/subscriptions/1/resourceGroups/r/providers/Microsoft.Network/routeTables/t/routes/X","properties":{"addressPrefix":"0.0.0.0/0","nextHopType":"None"}}`))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		once, err := build(t, []byte("a.json"), a)
		twice, err2 := build(t, []byte("a.json"), a, []byte("a.json"), a)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("a file alone: %v; twice: %v", err, err2)
		}
		if err == nil {
			if s1, s2 := summary(once), summary(twice); s1 != s2 {
				t.Fatalf("a file twice is another network:\n%s\n---\n%s", s1, s2)
			}
			if len(once.Warnings()) != len(twice.Warnings()) {
				t.Fatalf("a file twice has other warnings: %v, %v", once.Warnings(), twice.Warnings())
			}
		}
		ab, err := build(t, []byte("a.json"), a, []byte("b.json"), b)
		ba, err2 := build(t, []byte("b.json"), b, []byte("a.json"), a)
		if (err == nil) != (err2 == nil) {
			t.Fatalf("a then b: %v; b then a: %v", err, err2)
		}
		if err == nil && summary(ab) != summary(ba) {
			t.Fatalf("the order of the files changes the network:\n%s\n---\n%s", summary(ab), summary(ba))
		}
	})
}
