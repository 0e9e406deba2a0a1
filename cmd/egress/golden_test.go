package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites the golden files: go test ./cmd/egress -run Golden -update
var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or writes it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/egress -run Golden -update")
	assert.Equal(t, string(want), got, "%s differs (go test ./cmd/egress -run Golden -update rewrites it)", path)
}

// goldenName makes a file name of a command line.
func goldenName(args []string, ext string) string {
	name := strings.Join(args, "_")
	name = strings.NewReplacer("/", "-", ":", "-", "=", "-", " ", "-").Replace(strings.TrimLeft(name, "-"))
	return strings.ReplaceAll(name, "_--", "_") + ext
}

// TestGoldenHelp: the --help of every command, on stdout.
func TestGoldenHelp(t *testing.T) {
	var walk func(path []string)
	cmds := [][]string{{}}
	walk = func(path []string) {
		root := newRoot(strings.NewReader(""), &strings.Builder{}, &strings.Builder{}, os.Getenv)
		c, _, err := root.Find(path)
		require.NoError(t, err)
		for _, sub := range c.Commands() {
			if sub.Hidden || sub.Name() == "help" {
				continue
			}
			p := append(append([]string{}, path...), sub.Name())
			cmds = append(cmds, p)
			walk(p)
		}
	}
	walk(nil)
	require.Greater(t, len(cmds), 20, "every verb, list's kinds and completion's shells")
	for _, c := range cmds {
		code, out, stderr := egress(append(c, "--help")...)
		require.Equal(t, 0, code, "%v: %s", c, stderr)
		assert.Empty(t, stderr)
		golden(t, filepath.Join("help", goldenName(append([]string{"egress"}, c...), ".txt")), out)
	}
}

// TestGoldenOutputs: each output format of trace, routes, rules and list
// nics (and the other lists' tables), on the embedded design.
func TestGoldenOutputs(t *testing.T) {
	runs := [][]string{
		{"trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443"},
		{"trace", "--from", "vm-app-01-nic", "--to", "api.contoso.com:443", "--resolve", "api.contoso.com=52.1.2.3"},
		{"reach", "--from", "vm-batch-01-nic", "--query", "direct-internet"},
		{"reach", "--from", "vm-app-01-nic", "--to", "52.1.2.0/24", "--port", "123"},
		{"reach", "--from", "vm-app-01-nic", "--host", "api.partner.example", "--to", "52.1.2.0/24", "--port", "443"},
		{"reach", "--subnet", "vnet-spoke-app/snet-app"},
		{"reach", "--all"},
		{"routes", "--nic", "vm-app-01-nic"},
		{"rules", "--nic", "vm-data-01-nic"},
		{"list", "nics"},
	}
	for _, r := range runs {
		for _, format := range formatsData {
			code, out, stderr := egress(append(r, "-o", format)...)
			require.Equal(t, 0, code, "%v: %s", r, stderr)
			golden(t, filepath.Join("output", goldenName(r, "."+format)), out)
		}
		code, out, _ := egress(append(r, "--no-headers")...)
		require.Equal(t, 0, code)
		golden(t, filepath.Join("output", goldenName(r, ".no-headers.table")), out)
	}
	for _, k := range []string{"subnets", "vnets", "firewalls", "route-tables", "nsgs"} {
		code, out, _ := egress("list", k)
		require.Equal(t, 0, code)
		golden(t, filepath.Join("output", "list_"+k+".table"), out)
	}
}

// TestGoldenCompletion: the shells' scripts and __complete's answers.
func TestGoldenCompletion(t *testing.T) {
	for _, shell := range shells {
		code, out, _ := egress("completion", shell)
		require.Equal(t, 0, code)
		golden(t, filepath.Join("completion", shell), out)
	}
	for _, args := range [][]string{
		{""}, {"list", ""}, {"trace", "--from", "vm-"}, {"trace", "--from", "vm-app"}, {"list", "nics", "--subnet", "vnet-spoke-app/"},
		{"trace", "--firewall", ""}, {"schema", ""}, {"trace", "--"},
	} {
		code, out, _ := egress(append([]string{"__complete"}, args...)...)
		require.Equal(t, 0, code)
		golden(t, filepath.Join("completion", goldenName(append([]string{"complete"}, args...), ".txt")), out)
	}
}

// TestGoldenSchemas: the JSON Schemas, committed (editors and other tools
// can point at them), kept equal to egress schema VERB.
func TestGoldenSchemas(t *testing.T) {
	for _, v := range schemaVerbs {
		code, out, stderr := egress("schema", v.verb)
		require.Equal(t, 0, code, stderr)
		golden(t, filepath.Join("schema", v.verb+".json"), out)
	}
}
