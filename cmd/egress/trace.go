package main

import (
	"encoding"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/spf13/cobra"
)

// textFlag is a pflag.Value over an encoding.TextUnmarshaler, shown in
// help with a type name of its own ("mode", "severity").
type textFlag struct {
	p interface {
		encoding.TextMarshaler
		encoding.TextUnmarshaler
	}
	typ string
}

func (f textFlag) String() string {
	b, _ := f.p.MarshalText()
	return string(b)
}
func (f textFlag) Set(s string) error { return f.p.UnmarshalText([]byte(s)) }
func (f textFlag) Type() string       { return f.typ }

// simFlags registers the simulator's assumption flags.
func (e *env) simFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	inGroup(fs, groupSim, func() {
		fs.Var(textFlag{&e.opts.NVA, "mode"}, "nva", "what third-party NVAs do: forward or unknown")
		fs.Var(textFlag{&e.opts.Firewall, "mode"}, "firewall", "how Azure Firewalls decide: evaluate (their policy), unknown, or allow")
		fs.Var(textFlag{&e.opts.SMTP, "mode"}, "smtp", "TCP port 25 to the internet, which Azure blocks by subscription type: unknown, allowed (Enterprise Agreement, MCA-E, exempted) or blocked")
		fs.BoolVar(&e.opts.PrivateByDefault, "private-by-default", false, "treat subnets that do not set defaultOutboundAccess as private (VNets created since 2026-03-31)")
	})
	_ = cmd.RegisterFlagCompletionFunc("nva", fixedCompletions([]string{"forward", "unknown"}))
	_ = cmd.RegisterFlagCompletionFunc("firewall", fixedCompletions([]string{"evaluate", "unknown", "allow"}))
	_ = cmd.RegisterFlagCompletionFunc("smtp", fixedCompletions([]string{"unknown", "allowed", "blocked"}))
}

// cmdTrace traces a flow hop by hop.
func cmdTrace(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace --from SOURCE --to DEST[:PORT]",
		Short: "Trace a flow hop by hop: verdict, deciding rule, egress IP",
		Long: `Trace a flow from a source to a destination, hop by hop: the route Azure chooses at
each hop and why, the NSG, admin or firewall rule that allows or denies it, the egress
method and the public IPs it leaves from, and the assumptions the answer relies on.

The source is a NIC, an Azure AI services account (its own outbound calls, decided by
restrictOutboundNetworkAccess and allowedFqdnList) or an App Service or Functions app
(what its VNet integration routes into the subnet follows the subnet's NSG, routes,
firewall and NAT gateway; the rest leaves from the app's outbound addresses).

The destination is an IP, IP:PORT, [IPv6]:PORT, FQDN or FQDN:PORT; TCP and UDP need the
port. A name needs --resolve for a NIC or an app (the simulator does no DNS); an AI
services account matches the name itself.`,
		Example: `  # An internet flow from the batch subnet: it leaves through the NAT gateway
  egress trace --from vm-batch-01-nic --to 52.1.2.3:443

  # Through the hub firewall, whose application rules see the name
  egress trace --from vm-app-01-nic --to api.contoso.com:443 --resolve api.contoso.com=52.1.2.3

  # TCP, UDP and ICMP at once, as JSON
  egress trace --from vm-batch-01-nic --to 52.1.2.3:53 --protocol any -o json

  # What if the firewall allowed everything?
  egress trace --from vm-app-01-nic --to 52.1.2.3:443 --firewall allow

  # An Azure OpenAI account's outbound call, against its allowedFqdnList
  egress trace --from oai-contoso --to evil.example:443

  # An AI account in a network security perimeter's Learning mode: allowed, denied once enforced
  egress trace --from foundry-research --to huggingface.co:443

  # A web app whose VNet integration routes all traffic through the hub firewall
  egress trace --from app-orders --to 52.1.2.3:443`,
		Args: cobra.NoArgs,
	}
	var from, to, protocol string
	var resolve []string
	fs := cmd.Flags()
	cmd.Flags().StringVar(&from, "from", "", "the flow's `source`, by name or resource ID: a NIC, an AI services account, a web app or a container group (required)")
	_ = cmd.RegisterFlagCompletionFunc("from", e.completeNames(sourceNames))
	fs.StringVar(&to, "to", "", "`destination`: IP, IP:PORT, [IPv6]:PORT, FQDN or FQDN:PORT (required)")
	fs.StringVar(&protocol, "protocol", "tcp", "`protocol`: tcp, udp, icmp, or any (traces all three)")
	fs.Var(&listFlag{&resolve, "NAME=IP"}, "resolve", "resolve a destination name statically; repeatable")
	_ = cmd.RegisterFlagCompletionFunc("to", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("resolve", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("protocol", fixedCompletions([]string{"tcp", "udp", "icmp", "any"}))
	e.simFlags(cmd)
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error { return e.trace(from, to, protocol, resolve) })
	return cmd
}

// trace runs egress trace.
func (e *env) trace(from, to, protocol string, resolve []string) error {
	if from == "" || to == "" {
		return usageErr("--from and --to are required")
	}
	flow, err := parseDest(to)
	if err != nil {
		return usageErr("--to %q: %v", to, err)
	}
	if err := e.resolveFlag(resolve); err != nil {
		return err
	}
	var protos []ipproto.Proto
	switch strings.ToLower(protocol) {
	case "any", "*":
		// Every protocol: TCP and UDP need the destination port, so without
		// one only ICMP is traced (and stderr says so).
		protos = []ipproto.Proto{ipproto.ICMP}
		if flow.Port != 0 {
			protos = []ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP}
		} else {
			fmt.Fprintf(e.stderr, "egress trace: --to %s has no port: tracing ICMP only (give IP:PORT to trace TCP and UDP too)\n", to)
		}
	default:
		p, err := ipproto.Parse(protocol)
		if err != nil {
			return usageErr("--protocol %q: want tcp, udp, icmp or any", protocol)
		}
		if p.HasPorts() && flow.Port == 0 {
			return usageErr("--to %q: %v needs a destination port: IP:PORT, [IPv6]:PORT or NAME:PORT", to, p)
		}
		protos = []ipproto.Proto{p}
	}
	if err := e.compile(); err != nil {
		return err
	}
	src, err := e.source(from)
	if err != nil {
		return err
	}
	flow.From = from
	var results []*simulate.Result
	for _, p := range protos {
		f := flow
		f.Protocol = p
		r, err := e.engine.TraceFrom(src, f)
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		results = append(results, r)
	}
	var doc any = results
	if len(results) == 1 {
		doc = results[0]
	}
	return e.print(doc, func() *table { return traceRows(results) }, func(w io.Writer) error {
		for i, r := range results {
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "%s -> %s %s", r.Flow.From, flowDest(r.Flow), r.Flow.Protocol)
			if r.Flow.Protocol.HasPorts() {
				fmt.Fprintf(w, "/%d", r.Flow.Port)
			}
			fmt.Fprintln(w)
			fmt.Fprint(w, e.paintVerdict(r.String()))
		}
		return nil
	})
}

// flowDest is a flow's destination as the user gave it: the address, or the
// host name when no address was resolved (an AI services account's call).
func flowDest(f simulate.FlowInfo) string {
	if !f.Destination.IsValid() && f.FQDN != "" {
		return f.FQDN
	}
	return f.Destination.String()
}

// traceHeader names the columns of trace's rows (-o tsv).
var traceHeader = []string{"From", "Destination", "Protocol", "Port", "Verdict", "Egress Method", "Egress IPs", "Decided By", "Reason"}

// traceRows are trace's results as rows, one per protocol.
func traceRows(results []*simulate.Result) *table {
	t := &table{header: traceHeader}
	for _, r := range results {
		port := ""
		if r.Flow.Protocol.HasPorts() {
			port = strconv.Itoa(int(r.Flow.Port))
		}
		t.add(r.Flow.From, flowDest(r.Flow), r.Flow.Protocol.String(), port, r.Verdict.String(),
			r.EgressMethod.String(), joinAddrList(r.EgressIPs), r.DecidedBy, r.Reason)
	}
	return t
}

func joinAddrList(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return strings.Join(s, ",")
}

// paintVerdict colours the verdict that starts a result's text.
func (e *env) paintVerdict(text string) string {
	verdict, rest, ok := strings.Cut(text, ":")
	if !ok || !e.colour {
		return text
	}
	colour := ansiYellow
	switch verdict {
	case "Allowed":
		colour = ansiGreen
	case "Denied", "NoEgress", "Dropped", "Loop":
		colour = ansiRed
	}
	return e.paint(colour, verdict) + ":" + rest
}

// parseDest parses IP, IP:PORT, [IPv6]:PORT, NAME or NAME:PORT.
func parseDest(s string) (simulate.Flow, error) {
	var f simulate.Flow
	if ap, err := netip.ParseAddrPort(s); err == nil {
		if ap.Port() == 0 {
			return f, fmt.Errorf("port 0: want 1..65535")
		}
		f.To, f.Port = ap.Addr(), ap.Port()
		return f, nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		f.To = a
		return f, nil
	}
	host, port := s, ""
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
	}
	if port != "" {
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil || n == 0 {
			return f, fmt.Errorf("port %q: want 1..65535", port)
		}
		f.Port = uint16(n)
	}
	if host == "" || strings.ContainsAny(host, " /[]") {
		return f, fmt.Errorf("not an IP address or host name")
	}
	f.ToFQDN = host
	return f, nil
}

// cmdNextHop answers like `az network watcher show-next-hop`.
func cmdNextHop(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "next-hop --nic NIC --dest-ip IP",
		Short: "Next hop from a NIC, as az network watcher show-next-hop",
		Long: `Answer as az network watcher show-next-hop does: the next hop type (Network Watcher's
nextHopType values), its IP address and the route table that chose it.`,
		Example: `  egress next-hop --nic vm-app-01-nic --dest-ip 52.1.2.3
  egress next-hop --nic vm-batch-01-nic --dest-ip 10.0.2.4 -o json`,
		Args: cobra.NoArgs,
	}
	var nicName, dest, src string
	e.nicFlag(cmd, &nicName, "nic", "the `NIC`, by name or resource ID (required)")
	cmd.Flags().StringVar(&dest, "dest-ip", "", "destination `IP` address (required)")
	cmd.Flags().StringVar(&src, "source-ip", "", "source `IP` address: one of the NIC's (default: its primary)")
	_ = cmd.RegisterFlagCompletionFunc("dest-ip", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("source-ip", cobra.NoFileCompletions)
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error { return e.nextHop(nicName, dest, src) })
	return cmd
}

func (e *env) nextHop(nicName, dest, src string) error {
	if nicName == "" || dest == "" {
		return usageErr("--nic and --dest-ip are required")
	}
	dst, err := netip.ParseAddr(dest)
	if err != nil {
		return usageErr("--dest-ip %q: not an IP address", dest)
	}
	if err := e.compile(); err != nil {
		return err
	}
	h, err := e.nic(nicName)
	if err != nil {
		return err
	}
	if src != "" {
		a, err := netip.ParseAddr(src)
		if err != nil || !h.HasAddr(a) {
			return usageErr("--source-ip %q: not an address of NIC %s", src, h.Name())
		}
	}
	r := e.engine.NextHop(h, dst)
	rows := func() *table {
		t := &table{header: []string{"Next Hop Type", "Next Hop IP", "Route Table"}}
		t.add(fmt.Sprint(r.NextHopType), r.NextHopIPAddress, r.RouteTableID)
		return t
	}
	return e.print(r, rows, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "Next hop type: %s\nNext hop IP:   %s\nRoute table:   %s\n", r.NextHopType, r.NextHopIPAddress, r.RouteTableID)
		return err
	})
}

// resolveFlag sets the engine's resolver from --resolve NAME=IP values
// (none leaves it unset).
func (e *env) resolveFlag(resolve []string) error {
	if len(resolve) == 0 {
		return nil
	}
	r := simulate.StaticResolver{}
	for _, kv := range resolve {
		name, ip, ok := strings.Cut(kv, "=")
		a, err := netip.ParseAddr(ip)
		if !ok || err != nil {
			return usageErr("--resolve %q: want NAME=IP", kv)
		}
		r[strings.ToLower(name)] = append(r[strings.ToLower(name)], a)
	}
	e.opts.Resolver = r
	return nil
}
