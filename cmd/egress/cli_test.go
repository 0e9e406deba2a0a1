package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verbs are the commands that load a network, with arguments that make
// each succeed on the embedded design.
var verbs = [][]string{
	{"trace", "--from", "vm-batch-01-nic", "--to", "52.1.2.3:443"},
	{"reach", "--from", "vm-batch-01-nic", "--query", "direct-internet"},
	{"routes", "--nic", "vm-app-01-nic"},
	{"rules", "--nic", "vm-app-01-nic"},
	{"next-hop", "--nic", "vm-app-01-nic", "--dest-ip", "52.1.2.3"},
	{"verify", "--nic", "vm-app-01-nic", "--direction", "Outbound", "--local", "10.1.1.4:50000", "--remote", "8.8.8.8:443"},
	{"whatif", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml"},
	{"audit"},
	{"validate"},
}

// TestHelpOnStdout: --help, -h and help VERB print to stdout and exit 0,
// with a synopsis and examples; nothing on stderr.
func TestHelpOnStdout(t *testing.T) {
	for _, v := range append(verbs, []string{"version"}) {
		for _, args := range [][]string{{v[0], "--help"}, {v[0], "-h"}, {"help", v[0]}} {
			code, out, stderr := egress(args...)
			assert.Equal(t, 0, code, "%v", args)
			assert.Empty(t, stderr, "%v", args)
			assert.Contains(t, out, "Usage:\n  egress "+v[0], "%v", args)
			assert.Regexp(t, `Examples:\n(  #.*\n)?  egress `+v[0], out, "%v", args)
		}
	}
	code, out, stderr := egress("--help")
	assert.Equal(t, 0, code)
	assert.Empty(t, stderr)
	assert.Contains(t, out, "Available Commands:")
}

// TestErrorsOnceOnStderr: an error is printed once, on stderr, with nothing
// on stdout; usage errors point to --help, other errors do not.
func TestErrorsOnceOnStderr(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		msg   string
		usage bool
	}{
		{[]string{"trace", "--frm", "x"}, "egress trace: unknown flag: --frm", true},
		{[]string{"trace", "--from", "vm-batch-01-nic"}, "egress trace: --from and --to are required", true},
		{[]string{"routes", "--nic", "nope"}, `egress routes: no NIC named "nope"`, false},
		{[]string{"routes", "--nic", "x", "extra"}, `egress routes: unknown command "extra" for "egress routes"`, true},
		{[]string{"trce"}, `egress: unknown command "trce" for "egress"`, true},
		{[]string{"validate", "--topology", "missing.yaml"}, "egress validate: ", false},
		{[]string{"help", "trce"}, "egress help: unknown help topic \"trce\"\n\nDid you mean this?\n\ttrace\n", true},
		{[]string{"help", "list", "nix"}, "egress help: unknown help topic \"list nix\"\n\nDid you mean this?\n\tnics\n", true},
		{[]string{"list", "nics", "nope"}, "egress list nics: no NIC named \"nope\"", false},
		{[]string{"list", "route-tables", "nope"}, "egress list route-tables: no route table named \"nope\"", false},
		{[]string{"schema", "nope"}, "egress schema: no schema for \"nope\"", true},
		{[]string{"completion", "tcsh"}, "egress completion: unknown shell \"tcsh\"", true},
		{[]string{"-v"}, "egress: unknown shorthand flag: 'v' in -v", true}, // -v stays free for verbosity
	} {
		code, out, stderr := egress(tc.args...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Empty(t, out, "%v", tc.args)
		assert.Equal(t, 1, strings.Count(stderr, tc.msg), "%v: %s", tc.args, stderr)
		assert.True(t, strings.HasPrefix(stderr, tc.msg), "%v: %s", tc.args, stderr)
		assert.Equal(t, tc.usage, strings.Contains(stderr, "--help' for usage"), "%v: %s", tc.args, stderr)
		assert.NotContains(t, stderr, "Flags:", "no flag dump on an error")
	}
}

func TestDidYouMean(t *testing.T) {
	_, _, stderr := egress("trce")
	assert.Contains(t, stderr, "Did you mean this?\n\ttrace\n")
	_, _, stderr = egress("routes", "--nic", "vm-ap-01-nic")
	assert.Contains(t, stderr, "Did you mean this?\n\tvm-app-01-nic\n\tvm-app-02-nic\n")
	_, _, stderr = egress("trace", "--from", "vm-batch-nic", "--to", "52.1.2.3:443")
	assert.Contains(t, stderr, "Did you mean this?\n\tvm-batch-01-nic\n")
	_, _, stderr = egress("routes", "--nic", "zzzzzzzz")
	assert.NotContains(t, stderr, "Did you mean")
}

func TestVersion(t *testing.T) {
	code, out, stderr := egress("version")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, out, "module: github.com/egresslab/egress\n")
	assert.Contains(t, out, "service tags: Public changeNumber 376 (embedded)\n")
	assert.Regexp(t, `(?m)^commit: \S+`, out)
	code, again, _ := egress("--version")
	assert.Equal(t, 0, code)
	assert.Equal(t, out, again)
	code, out, _ = egress("version", "-o", "json")
	require.Equal(t, 0, code)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	assert.Equal(t, float64(376), v["serviceTagsChangeNumber"])
	assert.Equal(t, float64(1), v["schemaVersion"])
}

// TestExitCodesPerVerb: 0 on success, 2 on a usage error and on an
// unreadable input, for every verb; 1 is tested where it arises (validate,
// audit --fail-on).
func TestExitCodesPerVerb(t *testing.T) {
	for _, v := range verbs {
		code, _, stderr := egress(v...)
		assert.Equal(t, 0, code, "%v: %s", v, stderr)
		code, _, _ = egress(append(v, "--bogus")...)
		assert.Equal(t, 2, code, "%v --bogus", v)
		code, _, _ = egress(append(v, "-o", "xml")...)
		assert.Equal(t, 2, code, "%v -o xml", v)
		code, _, _ = egress(append(v, "--topology", "missing.yaml")...)
		assert.Equal(t, 2, code, "%v --topology missing.yaml", v)
	}
	code, _, _ := egress("validate", "--overlay", "../../examples/overlays/batch-behind-firewall.yaml")
	assert.Equal(t, 0, code)
	for _, v := range [][]string{{"list", "nics"}, {"list", "subnets", "--vnet", "vnet-hub"}, {"schema", "trace"}, {"version"}, {"completion", "bash"}, {"help", "trace"}} {
		code, _, stderr := egress(v...)
		assert.Equal(t, 0, code, "%v: %s", v, stderr)
		code, _, _ = egress(append(v, "--bogus")...)
		assert.Equal(t, 2, code, "%v --bogus", v)
	}
	for _, v := range [][]string{{"list"}, {"list", "nix"}, {"list", "nics", "nope"}, {"list", "nics", "--vnet", "nope"}, {"list", "nics", "--topology", "missing.yaml"}, {"schema"}, {"schema", "nope"}, {"completion"}, {"version", "-o", "tsv"}} {
		code, _, _ = egress(v...)
		assert.Equal(t, 2, code, "%v", v)
	}
}

// TestGoFlagStyle: the single-dash long flags of Go's flag package, which
// egress accepted before cobra, still work.
func TestGoFlagStyle(t *testing.T) {
	_, want, _ := egress("routes", "--nic", "vm-app-01-nic", "-o", "json")
	code, out, stderr := egress("routes", "-nic", "vm-app-01-nic", "-o", "json")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, out)
	code, out, stderr = egress("routes", "-nic=vm-app-01-nic", "-ojson")
	require.Equal(t, 0, code, stderr)
	assert.Equal(t, want, out)
	code, _, stderr = egress("trace", "-from", "vm-batch-01-nic", "-to", "52.1.2.3:443", "-firewall", "allow")
	assert.Equal(t, 0, code, stderr)
}
