package egresstest_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/egresslab/egress/egresstest"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	design  = "../examples/designs/hubspoke.yaml"
	overlay = "../examples/overlays/batch-behind-firewall.yaml"
)

// recorder is a testing.TB that records failures instead of failing, so
// that the helpers' own failures can be checked.
type recorder struct {
	testing.TB
	errs  []string
	fatal bool
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.fatal = true
	panic(stop{})
}

// record runs fn against a recorder.
func record(t *testing.T, fn func(tb testing.TB)) *recorder {
	r := &recorder{TB: t}
	func() {
		defer func() {
			if x := recover(); x != nil {
				if _, ok := x.(stop); !ok {
					panic(x)
				}
			}
		}()
		fn(r)
	}()
	return r
}

func TestExpect(t *testing.T) {
	e := egresstest.Load(t, simulate.Options{}, design)
	// Met expectations report nothing.
	rec := record(t, func(tb testing.TB) {
		egresstest.Expect(tb, e, egresstest.TCP("vm-app-01-nic", "52.1.2.3", 443),
			egresstest.Verdict(simulate.Denied), egresstest.Reason(simulate.ReasonFirewallDenied),
			egresstest.Through("fw-hub"), egresstest.DecidedBy("AzureFirewall fw-hub"), egresstest.EgressIPs())
		egresstest.Expect(tb, e, egresstest.TCP("vm-batch-01-nic", "52.1.2.3", 443),
			egresstest.Verdict(simulate.Allowed), egresstest.Method(simulate.MethodNATGateway),
			egresstest.EgressIPs("20.81.20.1"), egresstest.NotThrough("fw-hub"))
		egresstest.Expect(tb, e, egresstest.UDP("vm-app-01-nic", "52.1.2.3", 123),
			egresstest.Verdict(simulate.Allowed), egresstest.Method(simulate.MethodAzureFirewall))
	})
	assert.Empty(t, rec.errs)

	// Unmet ones are all reported, with the trace.
	rec = record(t, func(tb testing.TB) {
		egresstest.Expect(tb, e, egresstest.TCP("vm-batch-01-nic", "52.1.2.3", 443),
			egresstest.Verdict(simulate.Denied), egresstest.Method(simulate.MethodAzureFirewall), egresstest.Through("fw-hub"),
			egresstest.EgressIPs("20.81.20.9"), egresstest.DecidedBy("nsg"), egresstest.Reason(simulate.ReasonDeniedOut))
	})
	require.Len(t, rec.errs, 1, "one report per flow")
	assert.False(t, rec.fatal)
	for _, want := range []string{"want verdict Denied", "egress method AzureFirewall", "a path through fw-hub",
		"egress IPs [20.81.20.9]", `decided by "nsg"`, "reason DeniedOutbound", "Allowed: leaves to the internet", "SNAT to NAT gateway natgw-batch"} {
		assert.Contains(t, rec.errs[0], want)
	}

	// A flow that cannot be traced stops the test.
	rec = record(t, func(tb testing.TB) {
		egresstest.Expect(tb, e, egresstest.TCP("no-such-nic", "52.1.2.3", 443))
		tb.Errorf("not reached")
	})
	assert.True(t, rec.fatal)
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "no-such-nic")
}

func TestNoDirectInternet(t *testing.T) {
	e := egresstest.Load(t, simulate.Options{}, design)
	rec := record(t, func(tb testing.TB) { egresstest.NoDirectInternet(tb, e, "vnet-spoke-app/snet-app") })
	assert.Empty(t, rec.errs, "the app subnet is forced through the hub firewall")

	rec = record(t, func(tb testing.TB) { egresstest.NoDirectInternet(tb, e, "VNET-SPOKE-BATCH/snet-batch") })
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "vm-batch-01-nic: reaches the internet without passing a firewall or appliance (proved over every address, protocol and port): Tcp 1-24,26-65535")

	rec = record(t, func(tb testing.TB) { egresstest.NoDirectInternet(tb, e, "vnet-spoke-app/snet-typo") })
	assert.True(t, rec.fatal, "a subnet with no NIC must not pass")
}

// NoDirectInternetExact finds what the probes miss: a /32 user route to the
// internet in the forced-tunnelled app subnet. NoDirectInternet, on the
// audit's findings, which are proved on the same maps, finds it too.
func TestNoDirectInternetExact(t *testing.T) {
	e := egresstest.Load(t, simulate.Options{}, design)
	rec := record(t, func(tb testing.TB) { egresstest.NoDirectInternetExact(tb, e, "vnet-spoke-app/snet-app") })
	assert.Empty(t, rec.errs, "the app subnet is forced through the hub firewall")
	rec = record(t, func(tb testing.TB) { egresstest.NoDirectInternetExact(tb, e, "vnet-spoke-batch/snet-batch") })
	assert.NotEmpty(t, rec.errs, "the batch subnet leaves through its NAT gateway")

	leaky := egresstest.LoadWith(t, simulate.Options{}, []string{design}, "testdata/slash32-to-internet.yaml")
	rec = record(t, func(tb testing.TB) { egresstest.NoDirectInternet(tb, leaky, "vnet-spoke-app/snet-app") })
	require.Len(t, rec.errs, 2, "both NICs of the app subnet")
	for _, msg := range rec.errs {
		assert.Contains(t, msg, "to 198.51.100.7/32; ")
		assert.Contains(t, msg, "none of the 8 probed flows to 52.0.0.1 does (an audit by probes would miss it)")
	}
	rec = record(t, func(tb testing.TB) { egresstest.NoDirectInternetExact(tb, leaky, "vnet-spoke-app/snet-app") })
	require.NotEmpty(t, rec.errs)
	for _, msg := range rec.errs {
		assert.Contains(t, msg, "to 198.51.100.7/32 ")
		assert.Contains(t, msg, "e.g. 198.51.100.7")
	}
	rec = record(t, func(tb testing.TB) { egresstest.NoDirectInternetExact(tb, e, "vnet-spoke-app/snet-typo") })
	assert.True(t, rec.fatal, "a subnet with no NIC must not pass")
}

// NoReach passes when the subnet reaches none of the destinations, fails
// per leaking class with the NIC, the class and a witness (the first with
// its trace), and stops on a typo in the subnet or a destination.
func TestNoReach(t *testing.T) {
	e := egresstest.Load(t, simulate.Options{}, design)
	rec := record(t, func(tb testing.TB) {
		egresstest.NoReachPort(tb, e, "vnet-spoke-app/snet-data", ipproto.TCP, 443, "Storage")
	})
	assert.Empty(t, rec.errs, "snet-data is forced through the hub firewall, whose application rules need a name")

	rec = record(t, func(tb testing.TB) { egresstest.NoReach(tb, e, "vnet-spoke-batch/snet-batch", "52.1.0.0/16") })
	assert.False(t, rec.fatal)
	require.NotEmpty(t, rec.errs, "the batch subnet leaves through its NAT gateway")
	assert.Contains(t, rec.errs[0], "vm-batch-01-nic: Allowed")
	assert.Contains(t, rec.errs[0], "to 52.1.0.0/16")
	assert.Contains(t, rec.errs[0], "e.g. 52.1.")
	assert.Contains(t, rec.errs[0], "trace:\n")
	assert.Contains(t, rec.errs[0], "SNAT to NAT gateway natgw-batch")
	for _, msg := range rec.errs[1:] {
		assert.NotContains(t, msg, "trace:")
	}
	rec = record(t, func(tb testing.TB) {
		egresstest.NoReachPort(tb, e, "vnet-spoke-batch/snet-batch", ipproto.TCP, 443, "52.1.2.3")
	})
	require.Len(t, rec.errs, 1, "one class: TCP 443 to one address")
	assert.Contains(t, rec.errs[0], "vm-batch-01-nic: Allowed Tcp 443 to 52.1.2.3/32")

	for _, fn := range []func(tb testing.TB){
		func(tb testing.TB) { egresstest.NoReach(tb, e, "vnet-spoke-batch/snet-typo", "52.1.0.0/16") },
		func(tb testing.TB) { egresstest.NoReach(tb, e, "vnet-spoke-batch/snet-batch", "NoSuchTag") },
		func(tb testing.TB) { egresstest.NoReach(tb, e, "vnet-spoke-batch/snet-batch") },
		func(tb testing.TB) {
			egresstest.NoReachPort(tb, e, "vnet-spoke-batch/snet-batch", ipproto.ICMP, 443, "52.1.0.0/16")
		},
	} {
		rec = record(t, fn)
		assert.True(t, rec.fatal, "%v", rec.errs)
	}
}

func TestWhatIf(t *testing.T) {
	before := egresstest.Load(t, simulate.Options{}, design)
	after := egresstest.LoadWith(t, simulate.Options{}, []string{design}, overlay)
	egresstest.NoDirectInternet(t, after, "vnet-spoke-batch/snet-batch")
	// As in README.md.
	egresstest.Expect(t, after, egresstest.UDP("vm-batch-01-nic", "52.1.2.3", 123),
		egresstest.Verdict(simulate.Allowed), egresstest.Through("fw-hub"), egresstest.EgressIPs("20.81.10.1", "20.81.10.2"))
	egresstest.Expect(t, after, egresstest.TCP("vm-batch-01-nic", "52.1.2.3", 443),
		egresstest.Verdict(simulate.Denied), egresstest.DecidedBy("AzureFirewall fw-hub"))

	app := egresstest.TCP("vm-app-01-nic", "52.1.2.3", 443)
	batch := egresstest.TCP("vm-batch-01-nic", "52.1.2.3", 443)
	rec := record(t, func(tb testing.TB) { egresstest.Unchanged(tb, before, after, app, batch) })
	require.Len(t, rec.errs, 1, "only the batch flow changes")
	assert.True(t, strings.HasPrefix(rec.errs[0], "changed: vm-batch-01-nic -> 52.1.2.3:443/Tcp"), rec.errs[0])

	// Exactly, per subnet: the app subnet is left alone, the batch subnet's
	// flows change (more sets than the two probes see), a typo stops.
	rec = record(t, func(tb testing.TB) { egresstest.UnchangedSubnet(tb, before, after, "vnet-spoke-app/snet-app") })
	assert.Empty(t, rec.errs)
	rec = record(t, func(tb testing.TB) { egresstest.UnchangedSubnet(tb, before, after, "vnet-spoke-batch/snet-batch") })
	assert.Greater(t, len(rec.errs), 2)
	assert.False(t, rec.fatal)
	rec = record(t, func(tb testing.TB) { egresstest.UnchangedSubnet(tb, before, after, "vnet-spoke-batch/snet-nope") })
	assert.True(t, rec.fatal)

	rec = record(t, func(tb testing.TB) {
		egresstest.LoadWith(tb, simulate.Options{}, []string{design}, "testdata/missing.yaml")
	})
	assert.True(t, rec.fatal)
	assert.Contains(t, rec.errs[0], "missing.yaml")
}

func TestParse(t *testing.T) {
	e := egresstest.Parse(t, simulate.Options{PrivateByDefault: true}, `egress: v1
location: eastus
vnets:
  - {name: v, addressSpace: [10.1.0.0/16], subnets: [{name: s, prefix: 10.1.1.0/24}]}
nics:
  - {name: vm, subnet: v/s, ip: 10.1.1.4}
`)
	egresstest.Expect(t, e, egresstest.TCP("vm", "52.1.2.3", 443), egresstest.Verdict(simulate.NoEgress), egresstest.Reason(simulate.ReasonNoEgress))
	egresstest.NoDirectInternet(t, e, "v/s")

	rec := record(t, func(tb testing.TB) {
		egresstest.Parse(tb, simulate.Options{}, "egress: v1\nvnets: [{name: v, colour: blue}]\n")
	})
	assert.True(t, rec.fatal)
	assert.Contains(t, rec.errs[0], `unknown field: "colour"`)
}

// Headroom's failure names the pool, the peak, the exhausting source and
// the fix; an undocumented supply fails unless allowed; a bad demand stops.
func TestHeadroom(t *testing.T) {
	e := egresstest.Load(t, simulate.Options{}, design)
	web := netip.MustParseAddrPort("52.1.2.3:443")
	rec := record(t, func(tb testing.TB) {
		egresstest.Headroom(tb, e, 0.2, false, simulate.Demand{From: "vm-batch-01-nic", To: web, Concurrent: 30000})
	})
	assert.Empty(t, rec.errs, "30,000 of 50,000 leaves 40 %")
	rec = record(t, func(tb testing.TB) {
		egresstest.Headroom(tb, e, 0.2, false, simulate.Demand{From: "vm-batch-01-nic", To: web, Concurrent: 45000})
	})
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "NATGateway natgw-batch (Tcp): 10.0% headroom, want 20.0%: peak 45000 of 50000 to 52.1.2.3:443")
	assert.Contains(t, rec.errs[0], "fix: give NAT gateway natgw-batch 2 public IP addresses (it has 1): add 1")

	legacy := simulate.Demand{From: "vm-legacy-01-nic", To: web, Concurrent: 10}
	rec = record(t, func(tb testing.TB) { egresstest.Headroom(tb, e, 0.2, false, legacy) })
	require.Len(t, rec.errs, 1)
	assert.Contains(t, rec.errs[0], "DefaultOutbound")
	assert.Contains(t, rec.errs[0], "supply unknown")
	rec = record(t, func(tb testing.TB) { egresstest.Headroom(tb, e, 0.2, true, legacy) })
	assert.Empty(t, rec.errs)

	rec = record(t, func(tb testing.TB) {
		egresstest.Headroom(tb, e, 0.2, false, simulate.Demand{From: "nope", To: web, Concurrent: 1})
	})
	assert.True(t, rec.fatal)
}
