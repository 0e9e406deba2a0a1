package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/egresslab/egress/simulate"
	"github.com/spf13/cobra"
)

// cmdRules prints a NIC's effective security rules; -o json gives the exact
// shape of `az network nic list-effective-nsg -o json`.
func cmdRules(e *env) *cobra.Command {
	return e.nicCommand(&cobra.Command{
		Use:   "rules --nic NIC",
		Short: "Effective security rules of a NIC, as az network nic list-effective-nsg",
		Long: `Print the effective security rules of a NIC as az network nic list-effective-nsg does:
each NSG that applies (the subnet's, the NIC's), its rules in priority order with the
service tags expanded for the NIC. -o json gives az's JSON shape (plus schemaVersion).`,
		Example: `  egress rules --nic vm-data-01-nic
  egress rules --nic vm-app-01-nic -o json`,
		Args: cobra.NoArgs,
	}, e.rules)
}

func (e *env) rules(h simulate.NIC) error {
	list := h.Classifier().EffectiveNSGs()
	rows := func() *table {
		t := &table{header: []string{"NSG", "Level", "Name", "Priority", "Direction", "Access", "Protocol", "Source", "Source Ports", "Destination", "Destination Ports"}}
		for _, g := range list.Value {
			level := "subnet"
			if g.Association.NetworkInterface != nil {
				level = "NIC"
			}
			for _, r := range g.EffectiveSecurityRules {
				t.add(lastSegment(g.NetworkSecurityGroup.ID), level, r.Name, strconv.Itoa(int(r.Priority)), fmt.Sprint(r.Direction), fmt.Sprint(r.Access), fmt.Sprint(r.Protocol),
					side(r.SourceAddressPrefix, r.SourceAddressPrefixes), side(r.SourcePortRange, r.SourcePortRanges),
					side(r.DestinationAddressPrefix, r.DestinationAddressPrefixes), side(r.DestinationPortRange, r.DestinationPortRanges))
			}
		}
		return t
	}
	return e.print(list, rows, func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, g := range list.Value {
			level := "subnet"
			if g.Association.NetworkInterface != nil {
				level = "NIC"
			}
			fmt.Fprintf(tw, "NSG %s (%s)\n", lastSegment(g.NetworkSecurityGroup.ID), level)
			if !e.noHeaders {
				fmt.Fprintln(tw, "Name\tPriority\tDirection\tAccess\tProtocol\tSource\tSource Ports\tDestination\tDestination Ports")
			}
			for _, r := range g.EffectiveSecurityRules {
				fmt.Fprintf(tw, "%s\t%d\t%v\t%v\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Priority, r.Direction, r.Access, r.Protocol,
					side(r.SourceAddressPrefix, r.SourceAddressPrefixes), side(r.SourcePortRange, r.SourcePortRanges),
					side(r.DestinationAddressPrefix, r.DestinationAddressPrefixes), side(r.DestinationPortRange, r.DestinationPortRanges))
			}
			fmt.Fprintln(tw)
		}
		if len(list.Value) == 0 {
			fmt.Fprintln(tw, "no NSG applies to this NIC: every flow is allowed at both levels")
		}
		return tw.Flush()
	})
}

// side renders one side of a rule for the table: ASG IDs by their names.
func side(one string, many []string) string {
	items := many
	if len(items) == 0 {
		items = []string{one}
	}
	out := make([]string, len(items))
	for i, s := range items {
		if strings.HasPrefix(s, "/subscriptions/") {
			s = lastSegment(s)
		}
		out[i] = s
	}
	return strings.Join(out, ",")
}

func lastSegment(id string) string { return id[strings.LastIndexByte(id, '/')+1:] }
