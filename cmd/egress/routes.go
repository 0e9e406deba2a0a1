package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/simulate"
	"github.com/spf13/cobra"
)

// cmdRoutes prints a NIC's effective routes; -o json gives the exact shape of
// `az network nic show-effective-route-table -o json`.
func cmdRoutes(e *env) *cobra.Command {
	return e.nicCommand(&cobra.Command{
		Use:   "routes --nic NIC",
		Short: "Effective routes of a NIC, as az network nic show-effective-route-table",
		Long: `Print a NIC's effective routes as az network nic show-effective-route-table does: system
routes, optional system routes, user routes and gateway prefixes, with their Active or
Invalid state. -o json gives az's exact JSON shape (plus schemaVersion).`,
		Example: `  egress routes --nic vm-app-01-nic
  egress routes --nic vm-app-01-nic -o json | jq '.value[] | select(.state == "Active")'`,
		Args: cobra.NoArgs,
	}, e.routes)
}

// routeList is `egress routes -o json`: az's {"nextLink": null, "value":
// [...]}, each record marking a next hop IP address known only after apply
// (nextHopIpAddressKnownAfterApply, its nextHopIpAddress empty).
type routeList struct {
	NextLink *string                   `json:"nextLink"`
	Value    []simulate.EffectiveRoute `json:"value"`
}

func (e *env) routes(h simulate.NIC) error {
	recs := h.EffectiveRoutes()
	rows := func(full bool) *table {
		t := &table{header: []string{"Source", "State", "Address Prefix", "Next Hop Type", "Next Hop IP", "Name"}}
		for _, rec := range recs {
			prefixes := joinPrefixes(rec.EffectiveRoute)
			if full {
				prefixes = strings.Join(prefixStrings(rec.EffectiveRoute), " ")
			}
			hop := joinAddrs(rec.EffectiveRoute)
			if rec.NextHopKnownAfterApply {
				hop = "(known after apply)"
			}
			t.add(fmt.Sprint(rec.Source), fmt.Sprint(rec.State), prefixes, fmt.Sprint(rec.NextHopType), hop, deref(rec.Name))
		}
		return t
	}
	// The table shortens long prefix lists; tsv keeps them whole.
	return e.print(routeList{Value: recs}, func() *table { return rows(true) }, func(w io.Writer) error { return rows(false).write(w, e.noHeaders) })
}

func prefixStrings(rec route.EffectiveRoute) []string {
	s := make([]string, 0, len(rec.AddressPrefix))
	for _, p := range rec.AddressPrefix {
		s = append(s, p.String())
	}
	return s
}

func joinPrefixes(rec route.EffectiveRoute) string {
	s := prefixStrings(rec)
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
