package main

import (
	"fmt"
	"io"
	"net/netip"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/spf13/cobra"
)

// cmdVerify answers like `az network watcher test-ip-flow`.
func cmdVerify(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify --nic NIC --direction Outbound|Inbound --local IP:PORT --remote IP:PORT",
		Short: "NSG verdict for a flow, as az network watcher test-ip-flow",
		Long: `Answer as az network watcher test-ip-flow does: whether the NSGs and admin rules that
apply to the NIC allow the flow, and the rule that decides.`,
		Example: `  egress verify --nic vm-app-01-nic --direction Outbound --local 10.1.1.4:50000 --remote 8.8.8.8:445
  egress verify --nic vm-app-01-nic --direction Inbound --protocol UDP --local 10.1.1.4:53 --remote 10.2.1.4:50000 -o json`,
		Args: cobra.NoArgs,
	}
	var nicName, direction, protocol, local, remote string
	fs := cmd.Flags()
	e.nicFlag(cmd, &nicName, "nic", "the `NIC`, by name or resource ID (required)")
	fs.StringVar(&direction, "direction", "", "`direction`: Inbound or Outbound (required)")
	fs.StringVar(&protocol, "protocol", "TCP", "`protocol`: TCP or UDP")
	fs.StringVar(&local, "local", "", "the NIC's side, `IP:PORT` (required)")
	fs.StringVar(&remote, "remote", "", "the other side, `IP:PORT` (required)")
	_ = cmd.RegisterFlagCompletionFunc("direction", fixedCompletions([]string{"Outbound", "Inbound"}))
	_ = cmd.RegisterFlagCompletionFunc("protocol", fixedCompletions([]string{"TCP", "UDP"}))
	_ = cmd.RegisterFlagCompletionFunc("local", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("remote", cobra.NoFileCompletions)
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error { return e.verify(nicName, direction, protocol, local, remote) })
	return cmd
}

func (e *env) verify(nicName, direction, protocol, local, remote string) error {
	if nicName == "" || direction == "" || local == "" || remote == "" {
		return usageErr("--nic, --direction, --local and --remote are required")
	}
	var q nsg.IPFlowVerifyRequest
	if err := q.Direction.UnmarshalText([]byte(direction)); err != nil {
		return usageErr("--direction %q: want Inbound or Outbound", direction)
	}
	p, err := ipproto.Parse(protocol)
	if err != nil || !p.HasPorts() {
		return usageErr("--protocol %q: want TCP or UDP", protocol)
	}
	q.Protocol = p
	l, err := netip.ParseAddrPort(local)
	if err != nil {
		return usageErr("--local %q: want IP:PORT", local)
	}
	r, err := netip.ParseAddrPort(remote)
	if err != nil {
		return usageErr("--remote %q: want IP:PORT", remote)
	}
	q.LocalIPAddress, q.LocalPort, q.RemoteIPAddress, q.RemotePort = l.Addr(), l.Port(), r.Addr(), r.Port()
	if err := e.compile(); err != nil {
		return err
	}
	h, err := e.nic(nicName)
	if err != nil {
		return err
	}
	if !h.HasAddr(q.LocalIPAddress) {
		return usageErr("--local %s: not an address of NIC %s", q.LocalIPAddress, h.Name())
	}
	res, err := h.Classifier().VerifyIPFlow(q)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	rows := func() *table {
		t := &table{header: []string{"Access", "Rule"}}
		t.add(fmt.Sprint(res.Access), res.RuleName)
		return t
	}
	return e.print(res, rows, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "Access: %s\nRule:   %s\n", res.Access, res.RuleName)
		return err
	})
}
