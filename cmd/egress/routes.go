package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/egresslab/egress/route"
)

// cmdRoutes prints a NIC's effective routes; -o json gives the exact shape of
// `az network nic show-effective-route-table -o json`.
func cmdRoutes(e *env, args []string) error {
	h, err := e.nicCommand("routes", args)
	if err != nil {
		return err
	}
	tb := h.Routes()
	if e.output == "json" {
		return e.json(tb)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "Source\tState\tAddress Prefix\tNext Hop Type\tNext Hop IP\tName")
	for _, rec := range tb.Records() {
		fmt.Fprintf(tw, "%v\t%v\t%s\t%v\t%s\t%s\n", rec.Source, rec.State, joinPrefixes(rec), rec.NextHopType, joinAddrs(rec), deref(rec.Name))
	}
	return tw.Flush()
}

func joinPrefixes(rec route.EffectiveRoute) string {
	s := make([]string, 0, len(rec.AddressPrefix))
	for _, p := range rec.AddressPrefix {
		s = append(s, p.String())
	}
	if len(s) > 4 {
		return strings.Join(s[:3], " ") + fmt.Sprintf(" ... (%d prefixes)", len(s))
	}
	return strings.Join(s, " ")
}

func joinAddrs(rec route.EffectiveRoute) string {
	s := make([]string, 0, len(rec.NextHopIPAddress))
	for _, a := range rec.NextHopIPAddress {
		s = append(s, a.String())
	}
	return strings.Join(s, " ")
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
