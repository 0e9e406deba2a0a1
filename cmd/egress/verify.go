package main

import (
	"fmt"
	"net/netip"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// cmdVerify answers like `az network watcher test-ip-flow`.
func cmdVerify(e *env, args []string) error {
	fs := e.flags("verify")
	nicName := fs.String("nic", "", "the NIC, by name or resource ID (required)")
	direction := fs.String("direction", "", "Inbound or Outbound (required)")
	protocol := fs.String("protocol", "TCP", "TCP or UDP")
	local := fs.String("local", "", "the NIC's side, IP:PORT (required)")
	remote := fs.String("remote", "", "the other side, IP:PORT (required)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *nicName == "" || *direction == "" || *local == "" || *remote == "" {
		return usageErr("--nic, --direction, --local and --remote are required")
	}
	var q nsg.IPFlowVerifyRequest
	if err := q.Direction.UnmarshalText([]byte(*direction)); err != nil {
		return usageErr("--direction %q: want Inbound or Outbound", *direction)
	}
	p, err := ipproto.Parse(*protocol)
	if err != nil || !p.HasPorts() {
		return usageErr("--protocol %q: want TCP or UDP", *protocol)
	}
	q.Protocol = p
	l, err := netip.ParseAddrPort(*local)
	if err != nil {
		return usageErr("--local %q: want IP:PORT", *local)
	}
	r, err := netip.ParseAddrPort(*remote)
	if err != nil {
		return usageErr("--remote %q: want IP:PORT", *remote)
	}
	q.LocalIPAddress, q.LocalPort, q.RemoteIPAddress, q.RemotePort = l.Addr(), l.Port(), r.Addr(), r.Port()
	if err := e.compile(); err != nil {
		return err
	}
	h, err := e.nic(*nicName)
	if err != nil {
		return err
	}
	if !h.HasAddr(q.LocalIPAddress) {
		return usageErr("--local %s: not an address of NIC %s", q.LocalIPAddress, h.Name())
	}
	res, err := h.Classifier().VerifyIPFlow(q)
	if err != nil {
		return &exitError{2, err}
	}
	if e.output == "json" {
		return e.json(res)
	}
	fmt.Fprintf(e.stdout, "Access: %s\nRule:   %s\n", res.Access, res.RuleName)
	return nil
}
