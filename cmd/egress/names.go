package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/egresslab/egress/topology"
	"github.com/spf13/cobra"
)

// maxSuggestions is how many names a "did you mean" lists.
const maxSuggestions = 5

// suggest returns the candidates close to name, closest first: those at a
// small edit distance (case-insensitive), then those that contain it;
// none much farther than the closest.
func suggest(name string, candidates []string) []string {
	type scored struct {
		s string
		d int
	}
	lname := strings.ToLower(name)
	limit := max(2, len([]rune(name))/4)
	var out []scored
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := levenshtein(lname, lc)
		switch {
		case d <= limit:
		case lname != "" && strings.Contains(lc, lname):
			d = limit + 1
		default:
			continue
		}
		out = append(out, scored{c, d})
	}
	slices.SortStableFunc(out, func(a, b scored) int {
		if a.d != b.d {
			return a.d - b.d
		}
		return strings.Compare(a.s, b.s)
	})
	var names []string
	for _, s := range out[:min(len(out), maxSuggestions)] {
		if s.d > out[0].d+1 {
			break // much farther than the closest
		}
		names = append(names, s.s)
	}
	return names
}

// levenshtein is the edit distance of a and b, in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// didYouMean adds to err the candidates close to name, if any.
func didYouMean(err error, name string, candidates []string) error {
	s := suggest(name, candidates)
	if len(s) == 0 {
		return err
	}
	return fmt.Errorf("%w\n\nDid you mean this?\n\t%s", err, strings.Join(s, "\n\t"))
}

// completeNames loads the network the command's flags name (quietly) and
// completes a flag from the names names returns.
func (e *env) completeNames(names func(e *env) []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		e.quiet = true
		// cobra's __complete parses the flags twice (once to count the
		// arguments), so each repeatable flag holds its values twice.
		for _, p := range []*[]string{&e.topologies, &e.overlays, &e.learned, &e.template.paramFiles, &e.template.params} {
			*p = halve(*p)
		}
		if err := e.compile(); err != nil {
			fmt.Fprintf(e.stderr, "egress: completion: %v\n", err) // the shells hide it; debugging shows it
			return nil, cobra.ShellCompDirectiveError | cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, n := range names(e) {
			if strings.HasPrefix(strings.ToLower(n), strings.ToLower(toComplete)) {
				out = append(out, n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeNICs completes NIC names from the loaded design.
func (e *env) completeNICs(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	return e.completeNames(nicNames)(cmd, args, toComplete)
}

// nicNames are the NIC names of the network, sorted, each once.
func nicNames(e *env) []string {
	n := e.network
	var names []string
	for i := range n.NumNICs() {
		names = append(names, n.NIC(i).Name())
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// sourceNames are the names of the network's flow sources (NICs, AI
// services accounts, web apps, container groups in a subnet), sorted, each
// once.
func sourceNames(e *env) []string {
	n := e.network
	names := nicNames(e)
	for i := range n.NumAIAccounts() {
		names = append(names, n.AIAccount(i).Name())
	}
	for i := range n.NumWebApps() {
		names = append(names, n.WebApp(i).Name())
	}
	for i := range n.NumInjected() {
		if v := n.Injected(i); v.Kind() == topology.InjectedContainerGroup && len(v.SubnetRefs()) > 0 {
			names = append(names, v.Name())
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// vnetNames are the VNet names of the network, sorted, each once.
func vnetNames(e *env) []string {
	n := e.network
	var names []string
	for i := range n.NumVNets() {
		names = append(names, n.VNet(i).Name())
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// subnetNames are the subnets of the network as VNET/SUBNET, sorted.
func subnetNames(e *env) []string {
	n := e.network
	var names []string
	for i := range n.NumSubnets() {
		s := n.Subnet(i)
		names = append(names, s.VNet().Name()+"/"+s.Name())
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// firewallNames are the Azure Firewall names of the network, sorted.
func firewallNames(e *env) []string {
	n := e.network
	var names []string
	for i := range n.NumFirewalls() {
		names = append(names, n.Firewall(i).Name())
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// subnetFilterNames are what --subnet accepts: every VNET/SUBNET, and each
// subnet's name alone, sorted.
func subnetFilterNames(e *env) []string {
	names := subnetNames(e)
	for _, n := range subnetNames(e) {
		_, s, _ := strings.Cut(n, "/")
		names = append(names, s)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// fixedCompletions completes a flag from values, those that start with
// what is typed (case-insensitive).
func fixedCompletions(values []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		var out []cobra.Completion
		for _, v := range values {
			if strings.HasPrefix(strings.ToLower(v), strings.ToLower(toComplete)) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// halve undoes a second parse of a repeatable flag: s is its values twice.
func halve(s []string) []string {
	h := len(s) / 2
	if len(s)%2 == 0 && slices.Equal(s[:h], s[h:]) {
		return s[:h]
	}
	return s
}

// routeTableNames are the route table names of the network, sorted.
func routeTableNames(e *env) []string {
	n := e.network
	var names []string
	for i := range n.NumRouteTables() {
		names = append(names, n.RouteTable(i).Name())
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// nsgNames are the NSG names of the network, sorted.
func nsgNames(e *env) []string {
	n := e.network
	var names []string
	for i := range n.NumNSGs() {
		names = append(names, n.NSG(i).Name())
	}
	slices.Sort(names)
	return slices.Compact(names)
}
