package simulate_test

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

var dstPool = []string{"8.8.8.8", "8.8.4.4", "1.1.1.1", "9.9.9.9", "9.8.1.1", "20.38.1.1", "192.168.1.1", "172.16.5.5", "172.20.1.1",
	"10.0.2.4", "10.0.2.5", "10.0.2.6", "10.0.1.4", "10.0.9.9", "168.63.129.16", "169.254.169.254", "10.200.0.1"}

// randomDst picks a destination: a known interesting address, a NIC of the
// network, or a random address.
func randomDst(r *rand.Rand, e *simulate.Engine) netip.Addr {
	switch r.IntN(3) {
	case 0:
		return netip.MustParseAddr(dstPool[r.IntN(len(dstPool))])
	case 1:
		return e.NICAt(r.IntN(e.NumNICs())).Addr()
	}
	v := r.Uint32()
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

var protos = []ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP, ipproto.ESP}

// agree checks that Classify and Trace give the same answer for one flow.
func agree(t *testing.T, e *simulate.Engine, h simulate.NIC, dst netip.Addr, proto ipproto.Proto, port uint16) simulate.Decision {
	t.Helper()
	d := e.Classify(h, dst, proto, port)
	f := simulate.Flow{From: h.ID(), To: dst, Protocol: proto, Port: port}
	res, err := simulate.ReferenceTrace(e, f)
	require.NoError(t, err)
	fast, err := e.Trace(f)
	require.NoError(t, err)
	require.Equal(t, res, fast, "Trace and the reference twin disagree")
	require.Equal(t, res.Verdict, d.Verdict, "%s -> %v %v/%d\n%s", h.Name(), dst, proto, port, res)
	require.Equal(t, res.EgressMethod, d.Method, "%s -> %v %v/%d\n%s", h.Name(), dst, proto, port, res)
	require.Equal(t, res.ReasonCode, d.Reason, "%s -> %v %v/%d\n%s", h.Name(), dst, proto, port, res)
	if res.Verdict == simulate.Denied {
		require.Equal(t, res.DecidedBy, simulate.DecidedBy(e, d), "deciding rule, %s -> %v %v/%d\n%s", h.Name(), dst, proto, port, res)
	}
	if res.Verdict == simulate.Allowed || res.ReasonCode == simulate.ReasonRouteNone {
		require.NotEmpty(t, res.DecidedBy, "what decided it is named for allowed flows too\n%s", res)
	}
	got := e.EgressIPs(d, nil)
	want := res.EgressIPs
	slices.SortFunc(got, netip.Addr.Compare)
	slices.SortFunc(want, netip.Addr.Compare)
	require.Equal(t, len(want), len(got), "egress IPs %v vs %v\n%s", want, got, res)
	for i := range got {
		require.Equal(t, want[i], got[i])
	}
	appliances := 0
	for _, hop := range res.Hops {
		if hop.Kind == simulate.HopAppliance || hop.Kind == simulate.HopFirewall {
			appliances++
		}
	}
	require.Equal(t, appliances, int(d.Hops), "hops\n%s", res)
	return d
}

func TestDifferentialTraceClassify(t *testing.T) {
	networks, spokes, nics, flows := 6, 100, 12, 20000 // 2,400 NICs per network
	if testing.Short() {
		networks, spokes, nics, flows = 8, 10, 3, 250
	}
	seen := map[simulate.Reason]int{}
	smtpOut := map[simulate.SMTPMode]int{}        // TCP 25 flows that leave Azure, by mode
	classicDenied := 0                            // denied by a classic rule collection's rule
	pingNAT, tunnelled, viaRouteServer := 0, 0, 0 // ICMP out of a (StandardV2) NAT gateway; internet to the gateway (default site); to the NVA of a Route Server route
	for n := range networks {
		r := rand.New(rand.NewPCG(uint64(n), 7))
		m := genNetwork(r, spokes, nics)
		require.NoError(t, m.Validate(tags(t)))
		for _, nva := range []simulate.NVAMode{simulate.NVAForward, simulate.NVAUnknown} {
			smtp := simulate.SMTPMode(n % 3)
			e, err := compile(m, tags(t), simulate.Options{NVA: nva, Firewall: []simulate.FirewallMode{simulate.FirewallEvaluate, simulate.FirewallEvaluate, simulate.FirewallUnknown, simulate.FirewallAllow}[n%4], SMTP: smtp})
			require.NoError(t, err)
			for range flows {
				h := e.NICAt(r.IntN(e.NumNICs()))
				port, proto := []uint16{22, 80, 443, 1433, 1500, 53, 25}[r.IntN(7)], protos[r.IntN(len(protos))]
				dst := randomDst(r, e)
				d := agree(t, e, h, dst, proto, port)
				seen[d.Reason]++
				if d.Reason == simulate.ReasonFirewallDenied && strings.HasPrefix(simulate.DecidedBy(e, d), "AzureFirewall fw: fw/") {
					classicDenied++
				}
				if proto == ipproto.ICMP && d.Verdict == simulate.Allowed && d.Method == simulate.MethodNATGateway {
					pingNAT++
				}
				if d.Reason == simulate.ReasonGateway && dst.IsGlobalUnicast() && !dst.IsPrivate() && !netip.MustParsePrefix("9.8.0.0/16").Contains(dst) {
					tunnelled++
				}
				if netip.MustParsePrefix("9.8.0.0/16").Contains(dst) && d.Hops > 0 && d.Method.LeavesAzure() {
					viaRouteServer++
				}
				if proto == ipproto.TCP && port == 25 && d.Reason == simulate.ReasonInternet && d.Method.LeavesAzure() {
					smtpOut[smtp]++
					if smtp != simulate.SMTPAllowed {
						require.Equal(t, simulate.Unknown, d.Verdict, "TCP 25 leaving Azure with SMTPUnknown")
					}
				}
			}
		}
	}
	// The generator must exercise every outcome, or agreement proves little.
	for _, want := range []simulate.Reason{simulate.ReasonDelivered, simulate.ReasonGateway, simulate.ReasonInternet,
		simulate.ReasonPlatform, simulate.ReasonDeniedOut, simulate.ReasonDeniedIn, simulate.ReasonRouteNone, simulate.ReasonNoSuchAddress,
		simulate.ReasonNoForwarding, simulate.ReasonForwardedPeering, simulate.ReasonLoop, simulate.ReasonNoEgress, simulate.ReasonICMPNotSupported,
		simulate.ReasonFirewallDenied, simulate.ReasonNoGateway, simulate.ReasonSMTPBlocked, simulate.ReasonFirewallNoSNAT,
		simulate.ReasonProtocolNotSupported} {
		require.Positive(t, seen[want], "no flow ended with %q: %v", want, seen)
	}
	require.Positive(t, classicDenied, "no flow was denied by a classic firewall rule")
	require.Positive(t, pingNAT, "no ICMP flow left through a StandardV2 NAT gateway")
	require.Positive(t, tunnelled, "no internet-bound flow was forced to a default site")
	require.Positive(t, viaRouteServer, "no flow followed a Route Server route to its NVA and out")
	require.Positive(t, smtpOut[simulate.SMTPUnknown], "no TCP 25 flow left Azure with SMTPUnknown")
	require.Positive(t, smtpOut[simulate.SMTPAllowed], "no TCP 25 flow left Azure with SMTPAllowed")
}

func FuzzClassify(f *testing.F) {
	f.Add(uint64(1), uint32(0x08080808), uint8(6), uint16(443))
	f.Add(uint64(2), uint32(0x0a000204), uint8(17), uint16(53))
	f.Fuzz(func(t *testing.T, seed uint64, dst uint32, proto uint8, port uint16) {
		r := rand.New(rand.NewPCG(seed, seed>>7))
		m := genNetwork(r, 3, 2)
		if err := m.Validate(tags(t)); err != nil {
			t.Fatal(err)
		}
		e, err := compile(m, tags(t), simulate.Options{})
		require.NoError(t, err)
		a := netip.AddrFrom4([4]byte{byte(dst >> 24), byte(dst >> 16), byte(dst >> 8), byte(dst)})
		p := protos[int(proto)%len(protos)]
		if port == 0 && p.HasPorts() {
			port = 1 // Trace refuses TCP/UDP port 0
		}
		for h := range e.NumNICs() {
			agree(t, e, e.NICAt(h), a, p, port)
		}
	})
}

var defaultTags = sync.OnceValues(servicetag.Default)

// compile builds the network of m with tags (nil: none) and compiles it:
// the seam every test goes through (topology.Model.Network, then
// simulate.Compile). Only a model with Errors fails.
func compile(m *topology.Model, tags route.TagResolver, opts simulate.Options) (*simulate.Engine, error) {
	n, err := m.Network(tags)
	if err != nil {
		return nil, err
	}
	return simulate.Compile(n, opts), nil
}

func tags(t testing.TB) *servicetag.Set {
	t.Helper()
	s, err := defaultTags()
	require.NoError(t, err)
	return s
}
