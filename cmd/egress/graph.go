package main

import (
	"io"

	"github.com/egresslab/egress/diagram"
	"github.com/egresslab/egress/ipproto"
	"github.com/spf13/cobra"
)

// cmdGraph draws the network, or one trace's path, as DOT or Mermaid.
func cmdGraph(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "graph [--from SOURCE --to DEST[:PORT]]",
		Short: "The network, or one trace's path, as Graphviz DOT or Mermaid",
		Long: `Draw the network (VNets with their address spaces, subnets with their NSG and route
table, Azure Firewalls, NAT gateways, peerings: dashed where a spoke uses the hub's
gateway), or with --from and --to one trace's path (each hop, the route and security
decisions on each edge, the verdict). -o dot (the default) renders with Graphviz;
-o mermaid renders in pull-request comments.`,
		Example: `  egress graph | dot -Tsvg > network.svg
  egress graph -o mermaid
  egress graph --from vm-app-01-nic --to 52.1.2.3:123 --protocol udp -o mermaid`,
		Args: cobra.NoArgs,
	}
	var from, to, protocol string
	var resolve []string
	fs := cmd.Flags()
	fs.StringVar(&from, "from", "", "draw the path of a flow from this `source` (a NIC, an AI services account, a web app or a container group)")
	_ = cmd.RegisterFlagCompletionFunc("from", e.completeNames(sourceNames))
	fs.StringVar(&to, "to", "", "the flow's `destination`: IP, IP:PORT, [IPv6]:PORT, FQDN or FQDN:PORT")
	fs.StringVar(&protocol, "protocol", "tcp", "the flow's `protocol`: tcp, udp or icmp")
	fs.Var(&listFlag{&resolve, "NAME=IP"}, "resolve", "resolve a destination name statically; repeatable")
	e.simFlags(cmd)
	e.inputFlags(cmd)
	e.outputFlags(cmd, "dot", "mermaid")
	cmd.RunE = e.runE(func() error { return e.graph(from, to, protocol, resolve) })
	return cmd
}

func (e *env) graph(from, to, protocol string, resolve []string) error {
	format, _ := diagram.ParseFormat(e.output) // -o is one of the two
	if (from == "") != (to == "") {
		return usageErr("--from and --to go together: the path of one flow")
	}
	if from == "" {
		if err := e.load(); err != nil {
			return err
		}
		_, err := io.WriteString(e.stdout, diagram.Network(e.network, format))
		return err
	}
	flow, err := parseDest(to)
	if err != nil {
		return usageErr("--to %q: %v", to, err)
	}
	p, err := ipproto.Parse(protocol)
	if err != nil {
		return usageErr("--protocol %q: want tcp, udp or icmp", protocol)
	}
	if p.HasPorts() && flow.Port == 0 {
		return usageErr("--to %q: %v needs a destination port", to, p)
	}
	flow.Protocol, flow.From = p, from
	if err := e.resolveFlag(resolve); err != nil {
		return err
	}
	if err := e.compile(); err != nil {
		return err
	}
	src, err := e.source(from)
	if err != nil {
		return err
	}
	r, err := e.engine.TraceFrom(src, flow)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	_, err = io.WriteString(e.stdout, diagram.Path(r, format))
	return err
}
