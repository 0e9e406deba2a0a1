package main

import (
	"flag"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
)

// simFlags registers the simulator's assumption flags.
func (e *env) simFlags(fs *flag.FlagSet) {
	fs.TextVar(&e.opts.NVA, "nva", simulate.NVAForward, "what third-party NVAs do: forward or unknown")
	fs.TextVar(&e.opts.Firewall, "firewall", simulate.FirewallEvaluate, "how Azure Firewalls decide: evaluate (their policy), unknown, or allow")
	fs.TextVar(&e.opts.SMTP, "smtp", simulate.SMTPUnknown, "TCP port 25 to the internet, which Azure blocks by subscription type: unknown, allowed (Enterprise Agreement, MCA-E, exempted) or blocked")
	fs.BoolVar(&e.opts.PrivateByDefault, "private-by-default", false, "treat subnets that do not set defaultOutboundAccess as private (VNets created since 2026-03-31)")
}

// cmdTrace traces a flow hop by hop.
func cmdTrace(e *env, args []string) error {
	fs := e.flags("trace")
	from := fs.String("from", "", "source NIC, by name or resource ID (required)")
	to := fs.String("to", "", "destination: IP, IP:PORT, [IPv6]:PORT, FQDN or FQDN:PORT (required)")
	protocol := fs.String("protocol", "tcp", "tcp, udp, icmp, or any (traces all three)")
	resolve := multiFlag{}
	fs.Var(&resolve, "resolve", "NAME=IP: resolve a destination name statically (repeatable)")
	e.simFlags(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return usageErr("--from and --to are required")
	}
	flow, err := parseDest(*to)
	if err != nil {
		return usageErr("--to %q: %v", *to, err)
	}
	flow.From = *from
	if len(resolve) > 0 {
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
	}
	var protos []ipproto.Proto
	switch strings.ToLower(*protocol) {
	case "any", "*":
		// Every protocol: TCP and UDP need the destination port, so without
		// one only ICMP is traced (and stderr says so).
		protos = []ipproto.Proto{ipproto.ICMP}
		if flow.Port != 0 {
			protos = []ipproto.Proto{ipproto.TCP, ipproto.UDP, ipproto.ICMP}
		} else {
			fmt.Fprintf(e.stderr, "egress trace: --to %s has no port: tracing ICMP only (give IP:PORT to trace TCP and UDP too)\n", *to)
		}
	default:
		p, err := ipproto.Parse(*protocol)
		if err != nil {
			return usageErr("--protocol %q: want tcp, udp, icmp or any", *protocol)
		}
		if p.HasPorts() && flow.Port == 0 {
			return usageErr("--to %q: %v needs a destination port: IP:PORT, [IPv6]:PORT or NAME:PORT", *to, p)
		}
		protos = []ipproto.Proto{p}
	}
	if err := e.compile(); err != nil {
		return err
	}
	var results []*simulate.Result
	for _, p := range protos {
		f := flow
		f.Protocol = p
		r, err := e.engine.Trace(f)
		if err != nil {
			return &exitError{2, err}
		}
		results = append(results, r)
	}
	if e.output == "json" {
		if len(results) == 1 {
			return e.json(results[0])
		}
		return e.json(results)
	}
	for i, r := range results {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		fmt.Fprintf(e.stdout, "%s -> %s %s", r.Flow.From, r.Flow.Destination, r.Flow.Protocol)
		if r.Flow.Protocol.HasPorts() {
			fmt.Fprintf(e.stdout, "/%d", r.Flow.Port)
		}
		fmt.Fprintln(e.stdout)
		fmt.Fprint(e.stdout, r.String())
	}
	return nil
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
func cmdNextHop(e *env, args []string) error {
	fs := e.flags("next-hop")
	nicName := fs.String("nic", "", "the NIC, by name or resource ID (required)")
	dest := fs.String("dest-ip", "", "destination IP address (required)")
	src := fs.String("source-ip", "", "source IP address: one of the NIC's (default: its primary)")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if *nicName == "" || *dest == "" {
		return usageErr("--nic and --dest-ip are required")
	}
	dst, err := netip.ParseAddr(*dest)
	if err != nil {
		return usageErr("--dest-ip %q: not an IP address", *dest)
	}
	if err := e.compile(); err != nil {
		return err
	}
	h, err := e.nic(*nicName)
	if err != nil {
		return err
	}
	if *src != "" {
		a, err := netip.ParseAddr(*src)
		if err != nil || !h.HasAddr(a) {
			return usageErr("--source-ip %q: not an address of NIC %s", *src, h.Name())
		}
	}
	r := e.engine.NextHop(h, dst)
	if e.output == "json" {
		return e.json(r)
	}
	fmt.Fprintf(e.stdout, "Next hop type: %s\nNext hop IP:   %s\nRoute table:   %s\n", r.NextHopType, r.NextHopIPAddress, r.RouteTableID)
	return nil
}
