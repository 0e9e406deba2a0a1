// Command effectiveroutes builds a realistic hub subnet through egress's
// public API and prints its effective routes, as
// `az network nic show-effective-route-table -o table` would (or, with -json,
// in that command's exact JSON shape).
//
// The design: a hub VNet with two address ranges (10.0.0.0/16 and
// 10.100.0.0/24) peered with a spoke (10.1.0.0/16) and, globally, with a DR
// network; an active-active VPN gateway learning on-premises prefixes over
// BGP (one of them inside the spoke's range, which Azure ignores); and a
// route table that forces internet traffic through a firewall appliance while
// Azure Storage in East US goes straight out through its service tag.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/servicetag"
)

func main() {
	asJSON := flag.Bool("json", false, "print the az CLI's JSON shape instead of a table")
	flag.Parse()
	if err := run(os.Stdout, *asJSON); err != nil {
		fmt.Fprintln(os.Stderr, "effectiveroutes:", err)
		os.Exit(1)
	}
}

// HubConfig is the example design: the hub VNet's workload subnet.
func HubConfig(tags route.TagResolver) route.Config {
	p := netip.MustParsePrefix
	a := netip.MustParseAddr
	gw := []netip.Addr{a("10.0.255.4"), a("10.0.255.5")} // active-active instances
	return route.Config{
		Name:         "vnet-hub/snet-shared",
		AddressSpace: []netip.Prefix{p("10.0.0.0/16"), p("10.100.0.0/24")},
		Peerings: []route.Peering{
			{Name: "hub-to-spoke-app", AddressSpace: []netip.Prefix{p("10.1.0.0/16")}},
			{Name: "hub-to-dr-westeurope", AddressSpace: []netip.Prefix{p("10.200.0.0/16")}, Global: true},
		},
		GatewayRoutes: []route.GatewayRoute{
			{Gateway: "vpngw-hub", Prefix: p("192.168.10.0/24"), NextHops: gw, ASPathLength: 1},
			{Gateway: "vpngw-hub", Prefix: p("172.20.0.0/14"), NextHops: gw, ASPathLength: 1},
			{Gateway: "vpngw-hub", Prefix: p("10.1.8.0/24"), NextHops: gw, ASPathLength: 2}, // inside the peered spoke
		},
		RouteTable: &route.RouteTable{Name: "rt-hub-shared", Routes: []route.UserRoute{
			{Name: "default-via-firewall", AddressPrefix: "0.0.0.0/0", NextHopType: "VirtualAppliance", NextHopIPAddress: "10.0.1.4"},
			{Name: "storage-eastus-direct", AddressPrefix: "Storage.EastUS", NextHopType: "Internet"},
			{Name: "onprem-dmz-blackhole", AddressPrefix: "192.168.10.128/25", NextHopType: "None"},
		}},
		Tags: tags,
	}
}

func run(w io.Writer, asJSON bool) error {
	tags, err := servicetag.Default()
	if err != nil {
		return err
	}
	tb, err := route.Compile(HubConfig(tags))
	if err != nil {
		return err
	}
	if asJSON {
		b, err := json.MarshalIndent(tb, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Source\tState\tAddress Prefix\tNext Hop Type\tNext Hop IP\tName")
	for _, rec := range tb.Records() {
		prefixes := make([]string, len(rec.AddressPrefix))
		for i, p := range rec.AddressPrefix {
			prefixes[i] = p.String()
		}
		if len(prefixes) > 3 {
			prefixes = append(prefixes[:2], fmt.Sprintf("... (%d prefixes)", len(rec.AddressPrefix)))
		}
		hops := make([]string, len(rec.NextHopIPAddress))
		for i, h := range rec.NextHopIPAddress {
			hops[i] = h.String()
		}
		name := ""
		if rec.Name != nil {
			name = *rec.Name
		}
		fmt.Fprintf(tw, "%v\t%v\t%s\t%v\t%s\t%s\n", rec.Source, rec.State, strings.Join(prefixes, " "), rec.NextHopType, strings.Join(hops, " "), name)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, dst := range []string{"10.1.8.9", "192.168.10.200", "172.21.0.1", "8.8.8.8", "20.38.98.1", "10.7.0.1"} {
		m, _ := tb.Lookup(netip.MustParseAddr(dst))
		r := m.Route(0)
		fmt.Fprintf(w, "%-15s -> %v via %v route %v", dst, m, r.Source(), r.Prefix())
		if r.Name() != "" {
			fmt.Fprintf(w, " %q", r.Name())
		}
		if tag := r.ServiceTag(); tag != "" {
			fmt.Fprintf(w, " (service tag %s)", tag)
		}
		fmt.Fprintln(w)
	}
	return nil
}
