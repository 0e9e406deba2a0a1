package egresstest_test

import (
	"fmt"
	"testing"

	"github.com/egresslab/egress/egresstest"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
)

// printer is a testing.TB that prints failures, so that this example runs
// outside a test; in a test, pass its *testing.T.
type printer struct{ testing.TB }

func (printer) Helper()                           {}
func (printer) Errorf(format string, args ...any) { fmt.Printf(format+"\n", args...) }
func (printer) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// A what-if test: today the batch subnet reaches the internet directly
// through its NAT gateway; with the proposed change it goes through the hub
// firewall, and only its flows change.
func Example() {
	t := printer{}
	opts := simulate.Options{}
	before := egresstest.Load(t, opts, "../examples/designs/hubspoke.yaml")
	egresstest.Expect(t, before, egresstest.TCP("vm-batch-01-nic", "52.1.2.3", 443),
		egresstest.Verdict(simulate.Allowed), egresstest.EgressIPs("20.81.20.1"))

	after := egresstest.LoadWith(t, opts, []string{"../examples/designs/hubspoke.yaml"}, "../examples/overlays/batch-behind-firewall.yaml")
	egresstest.NoDirectInternet(t, after, "vnet-spoke-batch/snet-batch")
	egresstest.NoReachPort(t, after, "vnet-spoke-batch/snet-batch", ipproto.TCP, 443, "52.1.2.3")
	egresstest.Expect(t, after, egresstest.TCP("vm-batch-01-nic", "52.1.2.3", 443), egresstest.Through("fw-hub"))
	egresstest.Unchanged(t, before, after, egresstest.TCP("vm-app-01-nic", "52.1.2.3", 443))
	fmt.Println("ok")
	// Output:
	// ok
}
