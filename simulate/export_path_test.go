package simulate

import (
	"net/netip"

	"github.com/egresslab/egress/ipproto"
)

// ClassifyPath is [Engine.ClassifyHost], also returning the appliances the
// hot path crossed, in order, named "nic:NAME" or "firewall:NAME" (the
// appliance met again last when the flow ends in a loop); a flow the
// first-hop fast path decides crosses none. It sets pathForTest for the
// call: not for concurrent use.
func ClassifyPath(e *Engine, h NIC, dst netip.Addr, proto ipproto.Proto, port uint16, host string) (Decision, []string) {
	var path []string
	f := func(key int32) {
		if key < 0 {
			path = append(path, "firewall:"+e.firewalls[^key].name)
		} else {
			path = append(path, "nic:"+e.nics[key].v.Name())
		}
	}
	pathForTest.Store(&f)
	defer pathForTest.Store(nil)
	return e.ClassifyHost(h, dst, proto, port, host), path
}
