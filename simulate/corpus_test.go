package simulate_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// corpus loads every file of one directory of the input corpus
// (topology/testdata/corpus, described in its README.md) and compiles it.
func corpus(t *testing.T, dir string) (*topology.Model, *simulate.Engine) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("../topology/testdata/corpus", dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	return load(t, paths...)
}

func load(t *testing.T, paths ...string) (*topology.Model, *simulate.Engine) {
	t.Helper()
	m, err := topology.LoadFiles(tags(t), paths...)
	require.NoError(t, err)
	e, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err)
	return m, e
}

// az CLI outputs saved one command per file: the NSG rule of
// 03-nsg-rule-create.json applies to the subnet of 06-subnet-show.json
// through the NSG of 02-nsg-create.json, and the subnet's NAT gateway
// (05-nat-gateway-create.json) gives the egress IP of
// 04-public-ip-create.json.
func TestCorpusAzCLIPerCommand(t *testing.T) {
	_, e := corpus(t, "azcli")
	r := trace(t, e, "nic-app", "93.184.216.34", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod)
	assert.Equal(t, "20.50.10.7", ips(r))

	r = trace(t, e, "nic-app", "93.184.216.34", 25)
	assert.Equal(t, simulate.Denied, r.Verdict, "%s", r)
	assert.Contains(t, r.DecidedBy, "deny-smtp-out", "the rule from its own file decides")
}

// REST API example envelopes: the NAT gateway is associated only from its
// own side (NatGatewayGet's subnets; VirtualNetworkGet and SubnetGet do not
// name it), and the flow still leaves through it, not by default outbound
// access.
func TestCorpusRESTExamples(t *testing.T) {
	_, e := corpus(t, "rest")
	r := trace(t, e, "test-nic", "93.184.216.34", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod, "%s", r)
	assert.Equal(t, "40.85.154.247", ips(r))
}

// Resource Graph output of a hub and spoke: the spoke's 0/0 route leads to
// the hub firewall, whose classic network rule allows 443 and nothing else.
func TestCorpusResourceGraph(t *testing.T) {
	_, e := corpus(t, "graph")
	r := trace(t, e, "nic-workload", "93.184.216.34", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod, "%s", r)
	assert.Equal(t, "20.60.1.1", ips(r))
	assert.True(t, hasHop(r, simulate.HopFirewall, "azfw-hub"), "%s", r)

	r = trace(t, e, "nic-workload", "93.184.216.34", 80)
	assert.NotEqual(t, simulate.Allowed, r.Verdict, "no rule allows 80: %s", r)
	assert.True(t, hasHop(r, simulate.HopFirewall, "azfw-hub"), "%s", r)
}

// The same export without the firewall's privateIPAddress (as portal
// exports leave it out): the firewall's address is inferred, so the 0/0
// route still reaches it and the trace is the same; the model says what it
// assumed.
func TestCorpusFirewallWithoutPrivateIP(t *testing.T) {
	data, err := os.ReadFile("../topology/testdata/corpus/graph/resources.json")
	require.NoError(t, err)
	const ip = `"privateIPAddress": "10.0.1.4",`
	require.Equal(t, 1, strings.Count(string(data), ip))
	path := filepath.Join(t.TempDir(), "resources.json")
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(data), ip, "", 1)), 0o644))
	m, e := load(t, path)
	require.Len(t, m.Firewalls, 1)
	assert.Contains(t, m.Firewalls[0].PrivateIPAssumed, "taken as 10.0.1.4")
	r := trace(t, e, "nic-workload", "93.184.216.34", 443)
	assert.Equal(t, simulate.Allowed, r.Verdict, "%s", r)
	assert.Equal(t, simulate.MethodAzureFirewall, r.EgressMethod, "%s", r)
	assert.True(t, hasHop(r, simulate.HopFirewall, "azfw-hub"), "%s", r)
	assert.Contains(t, r.Assumptions, m.Firewalls[0].PrivateIPAssumed, "the trace states what it relied on")
}

// A peer verifier's snapshot, one resource per file with short IDs: the
// subnet default names its NAT gateway as a plain string in the other short
// form; vm2's subnet has none, and its NIC has an instance public IP.
func TestCorpusSnapshotShortIDs(t *testing.T) {
	m, e := corpus(t, "snapshot")
	assert.NotEmpty(t, m.Warnings(), "short IDs are warnings")
	r := trace(t, e, "vm1-nic", "93.184.216.34", 443)
	assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod, "%s", r)
	assert.Equal(t, "40.91.194.10", ips(r))
	r = trace(t, e, "vm2-nic", "93.184.216.34", 443)
	assert.Equal(t, simulate.MethodInstancePublicIP, r.EgressMethod, "%s", r)
	assert.Equal(t, "40.91.194.20", ips(r))
}

func hasHop(r *simulate.Result, kind simulate.HopKind, name string) bool {
	for _, h := range r.Hops {
		if h.Kind == kind && h.Name == name {
			return true
		}
	}
	return false
}

// The peer verifier's NSG snapshot holds a rule Azure would reject (priority
// 5): Validate refuses the model, but Check sorts the NSG as rejected, and
// the engine built from the model answers Unknown for the flows the NSG
// decides, naming it, rather than guessing what Azure would do with it.
func TestCorpusSnapshotRejectedNSG(t *testing.T) {
	paths, err := filepath.Glob("../topology/testdata/corpus/snapshot-nsg/*.json")
	require.NoError(t, err)
	m, err := topology.ParseFiles(topology.LoadOptions{Tags: tags(t)}, paths...)
	require.NoError(t, err)
	v := m.Check(tags(t))
	require.Empty(t, v.Errors)
	require.Len(t, v.Rejected, 1)
	assert.ErrorContains(t, v.Rejected[0], `priority "5": invalid priority: want 100..4096`)
	require.Error(t, m.Validate(tags(t)))

	e, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err)
	r := trace(t, e, "vm2-nic", "93.184.216.34", 443)
	assert.Equal(t, simulate.Unknown, r.Verdict, "%s", r)
	assert.Contains(t, strings.Join(r.Assumptions, "\n"), "NSG-SUBNET2", "%s", r)
	assert.Equal(t, "no known rule on the path shown decides it (see assumptions)", r.DecidedBy, "not allowed by default: the subnet has an NSG")
}
