package main

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/spf13/cobra"
)

// listKind is one kind of resource egress list lists.
type listKind struct {
	name    string   // the argument: nics
	aliases []string // nic
	short   string
	noun    string                // in messages: NIC
	filters []string              // the filter flags it takes: vnet, subnet
	names   func(e *env) []string // what NAME arguments can be
	build   func(e *env, f listFilter) (any, *table, error)
}

// listDoc is the JSON document of egress list, as kubectl's lists: the
// kind, and the items.
type listDoc struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kind          string `json:"kind"`
	Items         any    `json:"items"`
}

// listFilter narrows a listing to a VNet or a subnet, and to names.
type listFilter struct {
	vnet, subnet string
	names        []string
}

// named says whether a resource of this name passes the NAME arguments.
func (f listFilter) named(name string) bool {
	return len(f.names) == 0 || slices.ContainsFunc(f.names, func(n string) bool { return strings.EqualFold(n, name) })
}

var listKinds = []listKind{
	{"nics", []string{"nic"}, "NICs: resource group, VNet and subnet, private IPs, NSGs, route table, egress method", "NIC", []string{"vnet", "subnet"}, nicNames, listNICs},
	{"subnets", []string{"subnet"}, "Subnets: VNet, prefixes, NSG, route table, NAT gateway, default outbound access, NICs", "subnet", []string{"vnet"}, subnetFilterNames, listSubnets},
	{"vnets", []string{"vnet"}, "VNets: resource group, location, address space, subnets, peerings", "VNet", nil, vnetNames, listVNets},
	{"firewalls", []string{"firewall", "fw"}, "Azure Firewalls: VNet, private IP, policy, public IPs", "firewall", []string{"vnet"}, firewallNames, listFirewalls},
	{"route-tables", []string{"route-table", "rt"}, "Route tables: routes, BGP propagation, the subnets that use them", "route table", nil, routeTableNames, listRouteTables},
	{"nsgs", []string{"nsg"}, "NSGs: rules, the subnets and NICs they apply to", "NSG", nil, nsgNames, listNSGs},
}

// internetProbe is the flow whose egress method list nics shows: the
// audit's internet address on TCP 443.
var internetProbe = netip.MustParseAddr("52.0.0.1")

func cmdList(e *env) *cobra.Command {
	var kinds []string
	for _, k := range listKinds {
		kinds = append(kinds, k.name)
	}
	cmd := &cobra.Command{
		Use:   "list " + strings.Join(kinds, "|"),
		Short: "List NICs, subnets, VNets, firewalls, route tables or NSGs",
		Long: `List the resources of the network with the fields people filter on: names, resource
groups, VNets and subnets, private IPs, NSGs, route tables and, for NICs, how they reach
the internet (the egress method and verdict of TCP 443 to 52.0.0.1, as audit probes).`,
		Example: `  egress list nics
  egress list nics --vnet vnet-spoke-app -o json
  egress list subnets --no-headers
  egress list route-tables -o yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErr("what to list: %s", orList(kinds))
			}
			err := fmt.Errorf("unknown kind %q: want %s", args[0], orList(kinds))
			return &exitError{code: 2, err: didYouMean(err, args[0], kinds), usage: true}
		},
	}
	for _, k := range listKinds {
		cmd.AddCommand(listCommand(&env{stdin: e.stdin, stdout: e.stdout, stderr: e.stderr, getenv: e.getenv}, k))
	}
	return cmd
}

// listCommand is egress list KIND.
func listCommand(e *env, k listKind) *cobra.Command {
	cmd := &cobra.Command{
		Use:     k.name + " [NAME...]",
		Aliases: k.aliases,
		Short:   k.short,
		Long:    k.short + ".\n\nNAME arguments list only the resources of those names.",
		Example: "  egress list " + k.name + "\n  egress list " + k.name + " -o json",
	}
	var f listFilter
	cmd.ValidArgsFunction = e.completeNames(k.names)
	if slices.Contains(k.filters, "vnet") {
		cmd.Flags().StringVar(&f.vnet, "vnet", "", "only those of this `VNet`")
		_ = cmd.RegisterFlagCompletionFunc("vnet", e.completeNames(vnetNames))
	}
	if slices.Contains(k.filters, "subnet") {
		cmd.Flags().StringVar(&f.subnet, "subnet", "", "only those of this subnet: `VNET/SUBNET`, or SUBNET alone")
		_ = cmd.RegisterFlagCompletionFunc("subnet", e.completeNames(subnetFilterNames))
	}
	e.dataFlags(cmd)
	cmd.Flags().SortFlags = false
	cmd.RunE = func(c *cobra.Command, args []string) error {
		f.names = args
		return e.runE(func() error { return e.list(k, f) })(c, args)
	}
	return cmd
}

// list runs egress list KIND.
func (e *env) list(k listKind, f listFilter) error {
	if err := e.compile(); err != nil {
		return err
	}
	if err := e.checkFilter(f); err != nil {
		return err
	}
	known := k.names(e)
	for _, name := range f.names {
		if !slices.ContainsFunc(known, func(n string) bool { return strings.EqualFold(n, name) }) {
			return &exitError{code: 2, err: didYouMean(fmt.Errorf("no %s named %q", k.noun, name), name, known)}
		}
	}
	items, rows, err := k.build(e, f)
	if err != nil {
		return err
	}
	doc := listDoc{SchemaVersion: schemaVersion, Kind: k.name, Items: items}
	return e.print(doc, func() *table { return rows }, nil)
}

// checkFilter refuses a --vnet or --subnet that names nothing, with the
// names that are close.
func (e *env) checkFilter(f listFilter) error {
	if f.vnet != "" {
		names := vnetNames(e)
		if !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, f.vnet) }) {
			return &exitError{code: 2, err: didYouMean(fmt.Errorf("--vnet: no VNet named %q", f.vnet), f.vnet, names)}
		}
	}
	if f.subnet != "" {
		names := subnetNames(e)
		if !slices.ContainsFunc(names, func(n string) bool { return subnetMatches(n, f.subnet) }) {
			if !strings.Contains(f.subnet, "/") { // a subnet's name alone
				for i, n := range names {
					_, names[i], _ = strings.Cut(n, "/")
				}
				slices.Sort(names)
				names = slices.Compact(names)
			}
			return &exitError{code: 2, err: didYouMean(fmt.Errorf("--subnet: no subnet named %q", f.subnet), f.subnet, names)}
		}
	}
	return nil
}

// subnetMatches says whether the subnet VNET/SUBNET is the one filter names
// (VNET/SUBNET or SUBNET).
func subnetMatches(full, filter string) bool {
	if strings.Contains(filter, "/") {
		return strings.EqualFold(full, filter)
	}
	_, name, _ := strings.Cut(full, "/")
	return strings.EqualFold(name, filter)
}

// keep says whether a resource of vnet and subnet passes the filter.
func (f listFilter) keep(vnet, subnet string) bool {
	if f.vnet != "" && !strings.EqualFold(vnet, f.vnet) {
		return false
	}
	return f.subnet == "" || subnetMatches(vnet+"/"+subnet, f.subnet)
}

// resourceGroup is the resource group an ARM ID names, or "".
func resourceGroup(id topology.Ref) string {
	parts := strings.Split(string(id), "/")
	for i := 0; i+1 < len(parts); i++ {
		if strings.EqualFold(parts[i], "resourceGroups") {
			return parts[i+1]
		}
	}
	return ""
}

// refName names what a reference leads to: "" for none, the name, or the
// name marked as outside the input.
func refName(r topology.Ref, s topology.RefState) string {
	switch s {
	case topology.RefNone:
		return ""
	case topology.RefExternal:
		return r.Name() + " (external)"
	}
	return r.Name()
}

// dash renders an empty cell as "-", so that a table's columns stay
// readable and tsv's stay countable.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func joinStrings(s []string) string { return dash(strings.Join(s, ",")) }

func prefixList(ps []netip.Prefix) []string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return s
}

type nicItem struct {
	Name          string   `json:"name"`
	ID            string   `json:"id"`
	ResourceGroup string   `json:"resourceGroup"`
	VNet          string   `json:"vnet"`
	Subnet        string   `json:"subnet"`
	PrivateIPs    []string `json:"privateIpAddresses"`
	NSG           string   `json:"nsg"`
	SubnetNSG     string   `json:"subnetNsg"`
	RouteTable    string   `json:"routeTable"`
	// EgressMethod is how TCP 443 to the internet leaves, firewalls
	// allowing it; InternetVerdict is what becomes of it.
	EgressMethod    string `json:"egressMethod"`
	InternetVerdict string `json:"internetVerdict"`
}

func listNICs(e *env, f listFilter) (any, *table, error) {
	n := e.network
	// The egress method is the path's, as if firewalls allowed the flow
	// (a firewall's default deny would hide it); the verdict is the one of
	// the simulator's options.
	opts := e.opts
	opts.Firewall = simulate.FirewallAllow
	path := simulate.Compile(n, opts)
	items := []nicItem{}
	t := &table{header: []string{"Name", "Resource Group", "VNet", "Subnet", "Private IPs", "NSG", "Subnet NSG", "Route Table", "Egress", "Internet"}}
	for i := range n.NumNICs() {
		v := n.NIC(i)
		it := nicItem{Name: v.Name(), ID: string(v.ID()), ResourceGroup: resourceGroup(v.ID()), PrivateIPs: []string{}}
		it.NSG = refName(v.NSG())
		for _, c := range v.IPConfigs() {
			if c.PrivateIP.IsValid() {
				it.PrivateIPs = append(it.PrivateIPs, c.PrivateIP.String())
			}
		}
		if s, ok := v.Subnet(); ok {
			it.VNet, it.Subnet = s.VNet().Name(), s.Name()
			it.SubnetNSG = refName(s.NSG())
			it.RouteTable = refName(s.RouteTable())
		}
		if !f.keep(it.VNet, it.Subnet) || !f.named(it.Name) {
			continue
		}
		d := e.engine.Classify(e.engine.NICAt(i), internetProbe, ipproto.TCP, 443)
		it.EgressMethod = path.Classify(path.NICAt(i), internetProbe, ipproto.TCP, 443).Method.String()
		it.InternetVerdict = d.Verdict.String()
		items = append(items, it)
		t.add(it.Name, dash(it.ResourceGroup), dash(it.VNet), dash(it.Subnet), joinStrings(it.PrivateIPs), dash(it.NSG), dash(it.SubnetNSG), dash(it.RouteTable), it.EgressMethod, paintedVerdict(e, it.InternetVerdict))
	}
	return items, t, nil
}

// paintedVerdict colours a verdict when colour is on.
func paintedVerdict(e *env, v string) string {
	switch v {
	case simulate.Allowed.String():
		return e.paint(ansiGreen, v)
	case simulate.Unknown.String():
		return e.paint(ansiYellow, v)
	}
	return e.paint(ansiRed, v)
}

type subnetItem struct {
	Name                  string   `json:"name"`
	ID                    string   `json:"id"`
	VNet                  string   `json:"vnet"`
	ResourceGroup         string   `json:"resourceGroup"`
	Prefixes              []string `json:"addressPrefixes"`
	NSG                   string   `json:"nsg"`
	RouteTable            string   `json:"routeTable"`
	NATGateway            string   `json:"natGateway"`
	DefaultOutboundAccess string   `json:"defaultOutboundAccess"`
	NICs                  int      `json:"nicCount"`
}

func listSubnets(e *env, f listFilter) (any, *table, error) {
	n := e.network
	nics := make([]int, n.NumSubnets())
	for i := range n.NumNICs() {
		if s, ok := n.NIC(i).Subnet(); ok {
			nics[s.Index()]++
		}
	}
	items := []subnetItem{}
	t := &table{header: []string{"Name", "VNet", "Resource Group", "Address Prefixes", "NSG", "Route Table", "NAT Gateway", "Default Outbound", "NICs"}}
	for i := range n.NumSubnets() {
		s := n.Subnet(i)
		if !f.keep(s.VNet().Name(), s.Name()) || len(f.names) > 0 && !slices.ContainsFunc(f.names, func(n string) bool { return subnetMatches(s.VNet().Name()+"/"+s.Name(), n) }) {
			continue
		}
		it := subnetItem{Name: s.Name(), ID: string(s.ID()), VNet: s.VNet().Name(), ResourceGroup: resourceGroup(s.ID()), Prefixes: prefixList(s.Prefixes()),
			NSG: refName(s.NSG()), RouteTable: refName(s.RouteTable()), NATGateway: refName(s.NATGateway()), NICs: nics[i]}
		switch v, set := s.DefaultOutboundAccess(); {
		case !set:
			it.DefaultOutboundAccess = "unset"
		case v:
			it.DefaultOutboundAccess = "true"
		default:
			it.DefaultOutboundAccess = "false"
		}
		items = append(items, it)
		t.add(it.Name, it.VNet, dash(it.ResourceGroup), joinStrings(it.Prefixes), dash(it.NSG), dash(it.RouteTable), dash(it.NATGateway), it.DefaultOutboundAccess, strconv.Itoa(it.NICs))
	}
	return items, t, nil
}

type vnetItem struct {
	Name          string   `json:"name"`
	ID            string   `json:"id"`
	ResourceGroup string   `json:"resourceGroup"`
	Location      string   `json:"location"`
	AddressSpace  []string `json:"addressSpace"`
	Subnets       int      `json:"subnetCount"`
	Peers         []string `json:"peers"`
}

func listVNets(e *env, f listFilter) (any, *table, error) {
	n := e.network
	items := []vnetItem{}
	t := &table{header: []string{"Name", "Resource Group", "Location", "Address Space", "Subnets", "Peers"}}
	for i := range n.NumVNets() {
		v := n.VNet(i)
		if !f.named(v.Name()) {
			continue
		}
		it := vnetItem{Name: v.Name(), ID: string(v.ID()), ResourceGroup: resourceGroup(v.ID()), Location: v.Location(),
			AddressSpace: prefixList(v.AddressSpace()), Subnets: len(v.Subnets()), Peers: []string{}}
		for _, p := range v.Peerings() {
			if p.Remote >= 0 {
				it.Peers = append(it.Peers, n.VNet(p.Remote).Name())
			} else {
				it.Peers = append(it.Peers, p.RemoteID.Name()+" (external)")
			}
		}
		items = append(items, it)
		t.add(it.Name, dash(it.ResourceGroup), dash(it.Location), joinStrings(it.AddressSpace), strconv.Itoa(it.Subnets), joinStrings(it.Peers))
	}
	return items, t, nil
}

type firewallItem struct {
	Name          string   `json:"name"`
	ID            string   `json:"id"`
	ResourceGroup string   `json:"resourceGroup"`
	VNet          string   `json:"vnet"`
	PrivateIP     string   `json:"privateIpAddress"`
	Policy        string   `json:"policy"`
	PublicIPs     []string `json:"publicIps"`
}

func listFirewalls(e *env, f listFilter) (any, *table, error) {
	n := e.network
	items := []firewallItem{}
	t := &table{header: []string{"Name", "Resource Group", "VNet", "Private IP", "Policy", "Public IPs"}}
	for i := range n.NumFirewalls() {
		fw := n.Firewall(i)
		it := firewallItem{Name: fw.Name(), ID: string(fw.ID()), ResourceGroup: resourceGroup(fw.ID()), Policy: refName(fw.Policy()), PublicIPs: []string{}}
		if v, ok := fw.VNet(); ok {
			it.VNet = v.Name()
		}
		if !f.keep(it.VNet, "") || !f.named(it.Name) {
			continue
		}
		if a := fw.PrivateIP(); a.IsValid() {
			it.PrivateIP = a.String()
		}
		for _, p := range fw.PublicIPs() {
			it.PublicIPs = append(it.PublicIPs, p.Name())
		}
		items = append(items, it)
		t.add(it.Name, dash(it.ResourceGroup), dash(it.VNet), dash(it.PrivateIP), dash(it.Policy), joinStrings(it.PublicIPs))
	}
	return items, t, nil
}

type routeTableItem struct {
	Name              string   `json:"name"`
	ID                string   `json:"id"`
	ResourceGroup     string   `json:"resourceGroup"`
	Routes            int      `json:"routeCount"`
	BGPRoutesDisabled bool     `json:"disableBgpRoutePropagation"`
	Subnets           []string `json:"subnets"`
}

func listRouteTables(e *env, f listFilter) (any, *table, error) {
	n := e.network
	users := map[string][]string{}
	for i := range n.NumSubnets() {
		s := n.Subnet(i)
		if r, st := s.RouteTable(); st == topology.RefInput {
			users[r.Key()] = append(users[r.Key()], s.VNet().Name()+"/"+s.Name())
		}
	}
	items := []routeTableItem{}
	t := &table{header: []string{"Name", "Resource Group", "Routes", "BGP Propagation", "Subnets"}}
	for i := range n.NumRouteTables() {
		r := n.RouteTable(i)
		if !f.named(r.Name()) {
			continue
		}
		subnets := append([]string{}, users[r.ID().Key()]...)
		slices.Sort(subnets)
		it := routeTableItem{Name: r.Name(), ID: string(r.ID()), ResourceGroup: resourceGroup(r.ID()), Routes: len(r.Routes()), BGPRoutesDisabled: r.DisableBGPRoutePropagation(), Subnets: subnets}
		bgp := "enabled"
		if it.BGPRoutesDisabled {
			bgp = "disabled"
		}
		items = append(items, it)
		t.add(it.Name, dash(it.ResourceGroup), strconv.Itoa(it.Routes), bgp, joinStrings(it.Subnets))
	}
	return items, t, nil
}

type nsgItem struct {
	Name          string   `json:"name"`
	ID            string   `json:"id"`
	ResourceGroup string   `json:"resourceGroup"`
	Rules         int      `json:"ruleCount"`
	Subnets       []string `json:"subnets"`
	NICs          []string `json:"nics"`
	Error         string   `json:"error,omitempty"`
}

func listNSGs(e *env, f listFilter) (any, *table, error) {
	n := e.network
	subnets, nics := map[string][]string{}, map[string][]string{}
	for i := range n.NumSubnets() {
		s := n.Subnet(i)
		if r, st := s.NSG(); st == topology.RefInput {
			subnets[r.Key()] = append(subnets[r.Key()], s.VNet().Name()+"/"+s.Name())
		}
	}
	for i := range n.NumNICs() {
		v := n.NIC(i)
		if r, st := v.NSG(); st == topology.RefInput {
			nics[r.Key()] = append(nics[r.Key()], v.Name())
		}
	}
	items := []nsgItem{}
	t := &table{header: []string{"Name", "Resource Group", "Rules", "Subnets", "NICs"}}
	for i := range n.NumNSGs() {
		g := n.NSG(i)
		if !f.named(g.Name()) {
			continue
		}
		it := nsgItem{Name: g.Name(), ID: string(g.ID()), ResourceGroup: resourceGroup(g.ID()), Rules: len(g.Rules()),
			Subnets: append([]string{}, subnets[g.ID().Key()]...), NICs: append([]string{}, nics[g.ID().Key()]...)}
		slices.Sort(it.Subnets)
		slices.Sort(it.NICs)
		if err := g.Err(); err != nil {
			it.Error = err.Error()
		}
		items = append(items, it)
		t.add(it.Name, dash(it.ResourceGroup), strconv.Itoa(it.Rules), joinStrings(it.Subnets), joinStrings(it.NICs))
	}
	return items, t, nil
}
