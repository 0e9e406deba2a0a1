package check_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/egresslab/egress/check"
	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func hubSpoke(t *testing.T, overlays ...string) *simulate.Engine {
	t.Helper()
	tags, err := servicetag.Default()
	require.NoError(t, err)
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: designs.HubSpokeFile, Data: designs.HubSpoke}}, Tags: tags, Overlays: overlays})
	require.NoError(t, err)
	return simulate.Compile(n, simulate.Options{})
}

const file = `egress: check/v1
name: contoso egress policy
checks:
  - name: batch leaves through its NAT gateway
    flow: {from: vm-batch-01-nic, to: 52.1.2.3, port: 443}
    expect: {verdict: Allowed, method: NATGateway, egressIps: [20.81.20.1], notThrough: [fw-hub]}
  - name: the app tier goes through the firewall
    flow: {from: vm-app-01-nic, to: api.partner.example, port: 443, resolve: {api.partner.example: 52.1.2.3}}
    expect: {verdict: Allowed, through: [fw-hub]}
  - name: the batch subnet has no direct internet path
    noDirectInternet: vnet-spoke-batch/snet-batch
  - name: the AI account cannot call anywhere
    flow: {from: oai-contoso, to: evil.example, port: 443}
    expect: {verdict: Denied, assumes: [A-2]}
  - name: wrong on purpose
    flow: {from: vm-app-01-nic, to: 52.1.2.3, port: 443}
    expect: {verdict: Allowed, method: NATGateway}
`

func TestRun(t *testing.T) {
	f, err := check.Parse("policy.yaml", []byte(file))
	require.NoError(t, err)
	require.Len(t, f.Checks, 5)
	assert.Equal(t, 12, f.Checks[3].Line)
	rep, err := check.Run(hubSpoke(t), f, check.Env{})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Passed)
	assert.Equal(t, 2, rep.Failed)
	byName := map[string]check.Result{}
	for _, r := range rep.Results {
		byName[r.Name] = r
	}
	assert.True(t, byName["batch leaves through its NAT gateway"].Passed)
	assert.True(t, byName["the app tier goes through the firewall"].Passed, "%v", byName["the app tier goes through the firewall"].Failures)
	nd := byName["the batch subnet has no direct internet path"]
	assert.False(t, nd.Passed, "the batch subnet leaves directly through its NAT gateway")
	require.NotEmpty(t, nd.Failures)
	assert.Contains(t, nd.Failures[0], "vm-batch-01-nic: Allowed Tcp 1-24,26-65535 to 0.0.0.0/5", "exact, on the egress map: every port but SMTP's")
	assert.Contains(t, nd.Failures[0], "e.g. 8.0.0.1:443/Tcp")
	require.NotNil(t, nd.Trace, "the first witness's trace")
	w := byName["wrong on purpose"]
	assert.Equal(t, []string{"want verdict Allowed", "want egress method NATGateway"}, w.Failures)
	text := rep.String()
	assert.Contains(t, text, "FAIL  wrong on purpose (policy.yaml:15)")
	assert.Contains(t, text, "      | Denied: ", "the trace of the failure")
	assert.Contains(t, text, "5 checks: 3 passed, 2 failed")

	var junit bytes.Buffer
	require.NoError(t, rep.WriteJUnit(&junit))
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Line    int    `xml:"line,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(junit.Bytes(), &doc))
	assert.Equal(t, 5, doc.Tests)
	assert.Equal(t, 2, doc.Failures)
	require.Len(t, doc.Suites, 1)
	assert.Equal(t, "contoso egress policy", doc.Suites[0].Name)
	c := doc.Suites[0].Cases[4]
	require.NotNil(t, c.Failure)
	assert.Equal(t, "want verdict Allowed", c.Failure.Message)
	assert.Contains(t, c.Failure.Text, "egress: ")
	assert.Nil(t, doc.Suites[0].Cases[0].Failure)

	// Same input, same bytes.
	var again bytes.Buffer
	rep2, err := check.Run(hubSpoke(t), f, check.Env{})
	require.NoError(t, err)
	require.NoError(t, rep2.WriteJUnit(&again))
	assert.Equal(t, junit.String(), again.String())
}

func TestUnchangedBy(t *testing.T) {
	f, err := check.Parse("policy.yaml", []byte(`egress: check/v1
checks:
  - name: putting batch behind the firewall changes its egress
    unchangedBy:
      overlay: ../examples/overlays/batch-behind-firewall.yaml
      flows: [{from: vm-batch-01-nic, to: 52.1.2.3, port: 443}, {from: vm-app-01-nic, to: 52.1.2.3, port: 443}]
`))
	require.NoError(t, err)
	rep, err := check.Run(hubSpoke(t), f, check.Env{WithOverlay: func(p string) (*simulate.Engine, error) { return hubSpoke(t, p), nil }})
	require.NoError(t, err)
	require.Len(t, rep.Results, 1)
	r := rep.Results[0]
	assert.False(t, r.Passed)
	require.Len(t, r.Failures, 1, "only the batch flow changes")
	assert.Contains(t, r.Failures[0], "vm-batch-01-nic")
}

// TestUnchangedBySubnet: with a subnet, unchangedBy is exact: every set of
// flows of its NICs that the overlay changes fails, with a witness and
// the cause; a subnet the overlay leaves alone passes; a subnet with no
// NIC is an error.
func TestUnchangedBySubnet(t *testing.T) {
	f, err := check.Parse("policy.yaml", []byte(`egress: check/v1
checks:
  - name: putting batch behind the firewall changes every batch flow to the internet
    unchangedBy: {overlay: ../examples/overlays/batch-behind-firewall.yaml, subnet: vnet-spoke-batch/snet-batch}
  - name: the app subnet is left as it is
    unchangedBy: {overlay: ../examples/overlays/batch-behind-firewall.yaml, subnet: vnet-spoke-app/snet-app}
`))
	require.NoError(t, err)
	env := check.Env{WithOverlay: func(p string) (*simulate.Engine, error) { return hubSpoke(t, p), nil }}
	rep, err := check.Run(hubSpoke(t), f, env)
	require.NoError(t, err)
	require.Len(t, rep.Results, 2)
	batch, app := rep.Results[0], rep.Results[1]
	assert.False(t, batch.Passed)
	assert.True(t, app.Passed, "%v", app.Failures)
	var internet bool
	for _, msg := range batch.Failures {
		assert.Contains(t, msg, "changed: vm-batch-01-nic: ")
		if strings.Contains(msg, "Tcp 1-24,26-65535 to 0.0.0.0/5") {
			internet = true
			assert.Contains(t, msg, "Allowed via NATGateway 20.81.20.1 -> Denied via None")
			assert.Contains(t, msg, "e.g. ")
		}
	}
	assert.True(t, internet, "TCP to the internet is among the changes: %v", batch.Failures)
	// The probes of the same check see only the TCP 443 and UDP 53 flows;
	// the exact check also finds the other ports, ESP and the on-premises routes.
	assert.Greater(t, len(batch.Failures), 2)

	f, err = check.Parse("policy.yaml", []byte("egress: check/v1\nchecks:\n  - name: typo\n    unchangedBy: {overlay: ../examples/overlays/batch-behind-firewall.yaml, subnet: vnet-spoke-app/snet-nope}\n"))
	require.NoError(t, err)
	_, err = check.Run(hubSpoke(t), f, env)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "snet-nope")

	_, err = check.Parse("policy.yaml", []byte("egress: check/v1\nchecks:\n  - name: nothing\n    unchangedBy: {overlay: x.yaml}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "policy.yaml:3")
	assert.Contains(t, err.Error(), "unchangedBy")
}

func TestParseErrors(t *testing.T) {
	_, err := check.Parse("bad.yaml", []byte(`egress: check/v1
checks:
  - name: two things
    flow: {from: a, to: 1.2.3.4, port: 1}
    noDirectInternet: v/s
  - flow: {from: a, to: 1.2.3.4}
    expect: {verdict: Maybe, egressIps: [nope]}
  - name: nothing expected
    flow: {from: a, to: x.example, port: 443, resolve: {y.example: 1.2.3.4}}
    expect: {}
  - name: unknown field
    flow: {from: a, to: b, port: 1, colour: red}
`))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{"colour", "not found"} {
		assert.Contains(t, msg, want)
	}
	_, err = check.Parse("bad.yaml", []byte(`egress: check/v1
checks:
  - name: two things
    flow: {from: a, to: 1.2.3.4, port: 1}
    noDirectInternet: v/s
  - flow: {from: a, to: 1.2.3.4}
    expect: {verdict: Maybe, egressIps: [nope]}
  - name: nothing expected
    flow: {from: a, to: x.example, port: 443, resolve: {y.example: 1.2.3.4}}
    expect: {}
`))
	require.Error(t, err)
	msg = err.Error()
	for _, want := range []string{
		"bad.yaml:3:", "exactly one of flow",
		"bad.yaml:6:", "every check has a name", "Tcp needs a destination port", `"Maybe"`, `"nope" is not an address`,
		"bad.yaml:8:", `maps the destination name "x.example"`, "expects nothing",
	} {
		assert.Contains(t, msg, want)
	}
	_, err = check.Parse("v.yaml", []byte("egress: overlay/v1\nchecks: []\n"))
	assert.ErrorContains(t, err, `starts with "egress: check/v1"`)
}

// TestPortWithoutPorts: a port given with a protocol that has none (ICMP),
// or in a noReach without a protocol (every protocol), is rejected with
// its file:line and what is expected, not silently dropped.
func TestPortWithoutPorts(t *testing.T) {
	_, err := check.Parse("ports.yaml", []byte(`egress: check/v1
checks:
  - name: ping on a port
    flow: {from: a, to: 1.2.3.4, protocol: icmp, port: 443}
    expect: {verdict: Allowed}
  - name: no protocol
    noReach: {subnet: v/s, to: [10.0.0.0/8], port: 22}
  - name: esp on a port
    noReach: {subnet: v/s, to: [10.0.0.0/8], protocol: esp, port: 500}
  - name: fine
    noReach: {subnet: v/s, to: [10.0.0.0/8], protocol: udp, port: 53}
  - name: fine too
    flow: {from: a, to: 1.2.3.4, protocol: icmp}
    expect: {verdict: Allowed}
`))
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"ports.yaml:3:", "checks[0].flow", "a port needs a protocol with ports (tcp or udp), not Icmp",
		"ports.yaml:6:", "checks[1].noReach.port", "a port needs a protocol with ports (protocol: tcp or udp)",
		"ports.yaml:8:", "checks[2].noReach.port", "not Esp",
	} {
		assert.Contains(t, msg, want)
	}
	for _, line := range []string{"ports.yaml:10:", "ports.yaml:12:"} {
		assert.NotContains(t, msg, line)
	}
}

// TestSchema: the schema is JSON and names every field the parser reads.
func TestSchema(t *testing.T) {
	var s map[string]any
	require.NoError(t, json.Unmarshal(check.Schema(), &s))
	text := string(check.Schema())
	for _, field := range fieldsOf(t) {
		assert.Contains(t, text, `"`+field+`"`, "the schema names %s", field)
	}
}

// fieldsOf lists the YAML keys of the check file format from its doc
// comment's example and the parser's errors (the types are unexported).
func fieldsOf(*testing.T) []string {
	return strings.Fields("egress name checks flow expect noDirectInternet unchangedBy overlay flows subnet from to port protocol traffic resolve " +
		"verdict reason method egressIps through notThrough decidedBy assumes wouldBeDenied")
}

// TestNoReach: no NIC of a subnet reaches a destination set, decided on the
// NICs' egress maps; a service tag is expanded through the network's tags.
func TestNoReach(t *testing.T) {
	f, err := check.Parse("policy.yaml", []byte(`egress: check/v1
checks:
  - name: the data subnet reaches no storage account over the internet directly
    noReach: {subnet: vnet-spoke-app/snet-data, to: [Storage], protocol: tcp, port: 443}
  - name: the batch subnet reaches nothing in 52.1.0.0/16 on 443
    noReach: {subnet: vnet-spoke-batch/snet-batch, to: [52.1.0.0/16], protocol: tcp, port: 443}
`))
	require.NoError(t, err)
	rep, err := check.Run(hubSpoke(t), f, check.Env{})
	require.NoError(t, err)
	require.Len(t, rep.Results, 2)
	data, batch := rep.Results[0], rep.Results[1]
	assert.False(t, batch.Passed, "the batch subnet leaves through its NAT gateway")
	require.NotEmpty(t, batch.Failures)
	assert.Contains(t, batch.Failures[0], "vm-batch-01-nic: Allowed Tcp 443 to 52.1.0.0/16")
	assert.Contains(t, batch.Failures[0], "e.g. 52.1.")
	require.NotNil(t, batch.Trace)
	assert.Equal(t, simulate.MethodNATGateway, batch.Trace.EgressMethod)
	// snet-data is forced through the hub firewall, whose application
	// rules need a name the flows to an address do not carry: denied.
	assert.True(t, data.Passed, "%v", data.Failures)

	_, err = check.Parse("bad.yaml", []byte("egress: check/v1\nchecks:\n  - name: x\n    noReach: {subnet: v/s}\n"))
	assert.ErrorContains(t, err, "the destinations: prefixes, addresses or service tags")
	f, err = check.Parse("p.yaml", []byte("egress: check/v1\nchecks:\n  - name: x\n    noReach: {subnet: vnet-spoke-app/snet-data, to: [NoSuchTag]}\n"))
	require.NoError(t, err)
	_, err = check.Run(hubSpoke(t), f, check.Env{})
	assert.ErrorContains(t, err, `"NoSuchTag" is not a prefix, an address or a service tag`)
}

// A capacity check fails below its headroom with the pool, the peak and
// the fix, passes above it, and reports a bad demand with its field.
func TestCapacityCheck(t *testing.T) {
	e := hubSpoke(t)
	f, err := check.Parse("c.yaml", []byte(`egress: check/v1
checks:
  - name: batch keeps 20 % at peak
    capacity:
      demand: [{from: vm-batch-01-nic, to: 52.1.2.3:443, concurrent: 45000}]
  - name: batch keeps 5 % at peak
    capacity:
      minHeadroom: 5
      demand: [{from: vm-batch-01-nic, to: 52.1.2.3:443, concurrent: 45000}]
`))
	require.NoError(t, err)
	rep, err := check.Run(e, f, check.Env{})
	require.NoError(t, err)
	require.Len(t, rep.Results, 2)
	assert.False(t, rep.Results[0].Passed)
	require.Len(t, rep.Results[0].Failures, 1)
	assert.Contains(t, rep.Results[0].Failures[0], "NATGateway natgw-batch (Tcp): 10.0% headroom, want 20.0%: peak 45000 of 50000 to 52.1.2.3:443")
	assert.Contains(t, rep.Results[0].Failures[0], "fix: give NAT gateway natgw-batch 2 public IP addresses")
	assert.True(t, rep.Results[1].Passed)
	assert.Equal(t, "capacity", rep.Results[1].Kind)

	_, err = check.Parse("c.yaml", []byte(`egress: check/v1
checks:
  - name: bad
    capacity:
      minHeadroom: 120
      demand: [{from: vm-batch-01-nic, to: 52.1.2.3, protocol: Icmp}]
`))
	require.Error(t, err)
	for _, want := range []string{"checks[0].capacity.minHeadroom", "checks[0].capacity.demand[0].to", "checks[0].capacity.demand[0].protocol", "checks[0].capacity.demand[0].concurrent"} {
		assert.Contains(t, err.Error(), want)
	}
}
