package simulate_test

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Classify assumes nothing for a flow it cannot decide as given: no
// protocol, TCP or UDP to port 0, an invalid destination, a handle not of
// the engine (the zero NIC, another engine's) are Invalid
// (ReasonInvalidFlow), without allocating; ICMP needs no port.
func TestClassifyInvalidFlow(t *testing.T) {
	e := engine(t, spokeAlone, simulate.Options{})
	h := mustNIC(t, e, "vm1")
	dst := netip.MustParseAddr("52.1.2.3")
	for _, tc := range []struct {
		name  string
		h     simulate.NIC
		dst   netip.Addr
		proto ipproto.Proto
		port  uint16
	}{
		{"no protocol", h, dst, ipproto.Unknown, 443},
		{"TCP without a port", h, dst, ipproto.TCP, 0},
		{"UDP without a port", h, dst, ipproto.UDP, 0},
		{"no destination", h, netip.Addr{}, ipproto.TCP, 443},
		{"the zero handle", simulate.NIC{}, dst, ipproto.TCP, 443},
		{"another engine's handle", mustNIC(t, engine(t, spokeAlone, simulate.Options{}), "vm1"), dst, ipproto.TCP, 443},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := e.Classify(tc.h, tc.dst, tc.proto, tc.port)
			assert.Equal(t, simulate.Invalid, d.Verdict)
			assert.Equal(t, simulate.ReasonInvalidFlow, d.Reason)
			assert.Equal(t, simulate.MethodNone, d.Method)
			assert.Zero(t, testing.AllocsPerRun(100, func() { _ = e.Classify(tc.h, tc.dst, tc.proto, tc.port) }))
		})
	}
	// A valid flow is never Invalid; ICMP carries no port.
	for _, p := range []ipproto.Proto{ipproto.TCP, ipproto.UDP} {
		assert.NotEqual(t, simulate.Invalid, e.Classify(h, dst, p, 443).Verdict, "%v", p)
	}
	assert.NotEqual(t, simulate.Invalid, e.Classify(h, dst, ipproto.ICMP, 0).Verdict)
	// Trace's Flow keeps its documented default (protocol zero is TCP), and
	// its result names the protocol as ipproto.Proto.
	r, err := e.Trace(simulate.Flow{From: "vm1", To: dst, Port: 443})
	require.NoError(t, err)
	assert.Equal(t, ipproto.TCP, r.Flow.Protocol)
	assert.Equal(t, e.Classify(h, dst, ipproto.TCP, 443).Verdict, r.Verdict)
}

// A Stage reads and writes its name; every security step of a trace names
// one of the four stages.
func TestStageText(t *testing.T) {
	for s, want := range map[simulate.Stage]string{simulate.StageAdminRules: "AdminRules", simulate.StageNicNSG: "NicNSG",
		simulate.StageSubnetNSG: "SubnetNSG", simulate.StageFirewall: "AzureFirewall"} {
		b, err := json.Marshal(s)
		require.NoError(t, err)
		assert.Equal(t, `"`+want+`"`, string(b))
		var back simulate.Stage
		require.NoError(t, json.Unmarshal([]byte(`"`+want+`"`), &back))
		assert.Equal(t, s, back)
	}
	var s simulate.Stage
	assert.ErrorContains(t, s.UnmarshalText([]byte("Nsg")), `unknown stage "Nsg"`)
	assert.Equal(t, "Stage(9)", simulate.Stage(9).String())
}
