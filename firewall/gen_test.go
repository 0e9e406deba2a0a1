package firewall_test

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
	"github.com/egresslab/egress/ipproto"
)

// gen makes random but valid policies and flows from a seeded PCG source.
// Addresses, ports and names come from small overlapping pools so that
// random flows hit random rules often.
type gen struct {
	r     *rand.Rand
	res   firewall.Resolvers
	bases []netip.Prefix
	used  []netip.Prefix // prefixes put into rules, to aim flows at
	names []string       // application-layer names flows use
	pats  []string       // FQDN patterns rules share, so that names overlap across rules and actions
	dnsIP []netip.Addr
	seq   int

	aims []aim    // the application rules of the last policy, to aim flows at
	last flowInfo // how the last flow was made
}

// aim is an application rule and its path ("policy/group/collection/rule").
type aim struct {
	path string
	rule firewall.ApplicationRule
}

// flowInfo says how a flow's name was made: aimed at rule aim (a path) by
// deriving it from the target pattern, matching it or (near) narrowly not.
type flowInfo struct {
	aim, pattern string
	near         bool
}

var (
	genPorts  = []uint16{22, 53, 80, 123, 443, 1433, 3389, 8080, 8443}
	genPublic = []string{"52.1.1.1", "52.1.1.2", "20.10.0.1"}
	genFQDNs  = []string{"contoso.com", "www.contoso.com", "a.b.contoso.com", "anycontoso.com", "fabrikam.net", "x.fabrikam.net",
		"update.microsoft.com", "fe2.update.microsoft.com", "login.microsoftonline.com", "example.org"}
	genPatterns = []string{"*.contoso.com", "*contoso.com", "*", "*.net", "*.update.microsoft.com", "WWW.contoso.com", "example.org.", "*.b.contoso.com"}
	genURLs     = []string{"www.contoso.com/test/*", "www.contoso.com/test", "*.fabrikam.net/a", "x.fabrikam.net", "*contoso.com/*", "example.org/a/b*"}
	genPaths    = []string{"", "/", "/test", "/test/", "/test/a", "/a", "/a?x=1", "/a/bc", "test"}
	genTags     = []string{"AzureCloud", "Storage", "Sql", "Storage.EastUS", "AzureActiveDirectory"}
	// Domains and labels of the random FQDN patterns and of the names
	// derived from them.
	genDomains = []string{"contoso.com", "b.contoso.com", "fabrikam.net", "update.microsoft.com", "example.org", "o.com", "a-b.example", "x_y.test", "com"}
	genLabels  = []string{"www", "api", "a", "b", "cdn", "x1", "any", "login", "m", "th3re4l"}
	genGroups  = []string{"/ipGroups/spokes", "/ipGroups/onprem", "/ipGroups/empty"}
)

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, s := range []string{"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "172.16.0.0/12", "192.168.0.0/16", "20.0.0.0/8",
		"52.0.0.0/8", "52.1.1.0/24", "13.64.0.0/11", "203.0.113.0/24", "100.64.0.0/10", "0.0.0.0/1", "128.0.0.0/1"} {
		g.bases = append(g.bases, netip.MustParsePrefix(s))
	}
	tags := firewall.TagMap{}
	for i, n := range genTags {
		var ps []netip.Prefix
		for range 3 + g.r.IntN(20>>(i/2)+1) {
			ps = append(ps, netip.PrefixFrom(g.addrIn(g.bases[5+g.r.IntN(4)]), 16+g.r.IntN(17)).Masked())
		}
		ps = append(ps, netip.MustParsePrefix("2603:1000::/40"), netip.MustParsePrefix("::ffff:40.1.0.0/112"))
		tags[n] = ps
	}
	groups := firewall.IPGroupMap{
		genGroups[0]: {netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.2.0.0/16")},
		genGroups[1]: {netip.MustParsePrefix("192.168.0.0/16"), netip.MustParsePrefix("172.16.5.0/24")},
		genGroups[2]: nil,
	}
	dns := firewall.DNSMap{}
	for i, n := range genFQDNs {
		if i%4 == 3 {
			continue // unresolvable
		}
		var as []netip.Addr
		for range 1 + g.r.IntN(3) {
			a := g.addrIn(g.bases[5+g.r.IntN(4)])
			as = append(as, a)
			g.dnsIP = append(g.dnsIP, a)
		}
		dns[n] = as
	}
	fqdnTags := firewall.FQDNTagMap{"WindowsUpdate": {"*.update.microsoft.com", "update.microsoft.com"}, "MyTag": {"*.fabrikam.net"}}
	g.res = firewall.Resolvers{Tags: tags, IPGroups: groups, DNS: dns, FQDNTags: fqdnTags}
	g.names = append(append([]string{}, genFQDNs...), "WWW.CONTOSO.COM", "www.contoso.com.", "other.test", "", ".", "www.contoso.com..")
	for range 40 {
		g.pats = append(g.pats, g.pattern())
	}
	return g
}

// pattern returns a random valid target FQDN: an exact name, "*.x", "*x"
// with x starting at a label or inside one, or "*", sometimes in upper
// case or with a trailing dot.
func (g *gen) pattern() string {
	d := genDomains[g.r.IntN(len(genDomains))]
	if g.r.IntN(2) == 0 {
		d = genLabels[g.r.IntN(len(genLabels))] + "." + d
	}
	var p string
	switch k := g.r.IntN(20); {
	case k < 7:
		p = d
	case k < 12:
		p = "*." + d
	case k < 15:
		p = "*" + d
	case k < 19:
		p = "*" + d[1+g.r.IntN(len(d)-1):] // inside a label, or "*.x" when it starts at a dot
	default:
		return "*"
	}
	switch g.r.IntN(8) {
	case 0:
		p = strings.ToUpper(p)
	case 1:
		p += "."
	}
	return p
}

// nameFor returns a name derived from target pattern p: one it matches,
// or (near) one that narrowly misses it — for "*.contoso.com"
// "contoso.com" and "anycontoso.com", for "*contoso.com" "ontoso.com" —
// sometimes in another letter case or with a trailing dot.
func (g *gen) nameFor(p string, near bool) string {
	p = strings.TrimSuffix(p, ".")
	label := genLabels[g.r.IntN(len(genLabels))]
	var n string
	switch {
	case p == "*" && near:
		n = g.names[g.r.IntN(len(g.names))]
	case p == "*":
		n = label + "." + genDomains[g.r.IntN(len(genDomains))]
	case strings.HasPrefix(p, "*.") && near:
		n = []string{p[2:], label + p[2:], p[3:]}[g.r.IntN(3)]
	case strings.HasPrefix(p, "*."):
		n = []string{label + p[1:], "a.b" + p[1:]}[g.r.IntN(2)]
	case strings.HasPrefix(p, "*") && near:
		x := p[1:]
		n = []string{x[1:], x[:len(x)-1], x + "a", "x" + x[1:]}[g.r.IntN(4)]
	case strings.HasPrefix(p, "*"):
		n = []string{p[1:], label + p[1:], label + "." + p[1:]}[g.r.IntN(3)]
	case near:
		n = []string{"www." + p, p[1:], p + "a", p[:len(p)-1]}[g.r.IntN(4)]
	default:
		n = p
	}
	switch g.r.IntN(6) {
	case 0:
		n = strings.ToUpper(n)
	case 1:
		n = strings.ToLower(n)
	case 2:
		n += "."
	}
	return n
}

// urlItem returns a random target URL: a host pattern and maybe a path,
// exact or ending in "*".
func (g *gen) urlItem() string {
	if g.r.IntN(3) == 0 {
		return genURLs[g.r.IntN(len(genURLs))]
	}
	host := g.pats[g.r.IntN(len(g.pats))]
	return host + []string{"", "/", "/test", "/test/*", "/a*", "/a/b"}[g.r.IntN(6)]
}

func (g *gen) addrIn(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	if p.Bits() < 32 {
		v |= g.r.Uint32() & (1<<(32-p.Bits()) - 1)
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

func (g *gen) name(prefix string) string {
	g.seq++
	return prefix + strconv.Itoa(g.seq)
}

// addrItem returns one address item; tags allows service tags.
func (g *gen) addrItem(tags bool) string {
	switch k := g.r.IntN(20); {
	case k == 0:
		return "*"
	case k < 6:
		a := g.addrIn(g.bases[g.r.IntN(len(g.bases))])
		g.used = append(g.used, netip.PrefixFrom(a, 32))
		return a.String()
	case k < 14:
		b := g.bases[g.r.IntN(len(g.bases))]
		p := netip.PrefixFrom(g.addrIn(b), b.Bits()+g.r.IntN(33-b.Bits())).Masked()
		g.used = append(g.used, p)
		return p.String()
	case k < 17 || !tags:
		a := g.addrIn(g.bases[g.r.IntN(len(g.bases))])
		b := a
		for range g.r.IntN(700) {
			b = b.Next()
		}
		if !b.IsValid() {
			b = a
		}
		g.used = append(g.used, netip.PrefixFrom(a, 32), netip.PrefixFrom(b, 32))
		return a.String() + "-" + b.String()
	}
	return genTags[g.r.IntN(len(genTags))]
}

func (g *gen) addrs(n int, tags bool) []string {
	var out []string
	for range n {
		out = append(out, g.addrItem(tags))
	}
	return out
}

func (g *gen) portItems() []string {
	var out []string
	for range 1 + g.r.IntN(3) {
		switch k := g.r.IntN(6); {
		case k == 0:
			out = append(out, "*")
		case k < 4:
			out = append(out, strconv.Itoa(int(genPorts[g.r.IntN(len(genPorts))])))
		default:
			a := int(genPorts[g.r.IntN(len(genPorts))])
			out = append(out, strconv.Itoa(a)+"-"+strconv.Itoa(a+g.r.IntN(500)))
		}
	}
	return out
}

func (g *gen) protocols(nat bool) []firewall.Protocol {
	all := []firewall.Protocol{firewall.ProtocolTCP, firewall.ProtocolUDP, firewall.ProtocolICMP, firewall.ProtocolAny}
	if nat {
		all = []firewall.Protocol{firewall.ProtocolTCP, firewall.ProtocolUDP, firewall.ProtocolAny}
	}
	var out []firewall.Protocol
	for range 1 + g.r.IntN(2) {
		out = append(out, all[g.r.IntN(len(all))])
	}
	return out
}

func (g *gen) pick(from []string, max int) []string {
	var out []string
	for range g.r.IntN(max + 1) {
		out = append(out, from[g.r.IntN(len(from))])
	}
	return out
}

func (g *gen) networkRule(dnsProxy bool) firewall.NetworkRule {
	r := firewall.NetworkRule{Name: g.name("n"), IPProtocols: g.protocols(false), DestinationPorts: g.portItems()}
	r.SourceAddresses = g.addrs(g.r.IntN(3), false)
	if g.r.IntN(4) == 0 {
		r.SourceAddresses = []string{"*"}
	}
	if g.r.IntN(4) == 0 {
		r.SourceIPGroups = g.pick(genGroups, 2)
	}
	if len(r.SourceAddresses)+len(r.SourceIPGroups) == 0 {
		r.SourceAddresses = []string{g.addrItem(false)}
	}
	r.DestinationAddresses = g.addrs(g.r.IntN(4), true)
	if g.r.IntN(5) == 0 {
		r.DestinationIPGroups = g.pick(genGroups, 1)
	}
	if dnsProxy && g.r.IntN(3) == 0 {
		r.DestinationFqdns = g.pick(genFQDNs, 2)
	}
	if len(r.DestinationAddresses)+len(r.DestinationIPGroups)+len(r.DestinationFqdns) == 0 {
		r.DestinationAddresses = []string{g.addrItem(true)}
	}
	if g.r.IntN(14) == 0 {
		// Destinations known after apply (a Terraform plan): the known
		// ones kept, any other possible.
		r.DestinationsUnknown = true
	}
	// Sources, ports or protocols known after apply: the known ones kept
	// (sometimes none), any other possible.
	if g.r.IntN(14) == 0 {
		r.SourcesUnknown = true
		if g.r.IntN(3) == 0 {
			r.SourceAddresses, r.SourceIPGroups = nil, nil
		}
	}
	if g.r.IntN(14) == 0 {
		r.PortsUnknown = true
		if g.r.IntN(3) == 0 {
			r.DestinationPorts = nil
		}
	}
	if g.r.IntN(14) == 0 {
		r.ProtocolsUnknown = true
		if g.r.IntN(3) == 0 {
			r.IPProtocols = nil
		}
	}
	return r
}

func (g *gen) appRule() firewall.ApplicationRule {
	r := firewall.ApplicationRule{Name: g.name("a"), SourceAddresses: g.addrs(1+g.r.IntN(2), false)}
	if g.r.IntN(3) == 0 {
		r.SourceAddresses = []string{"*"}
	}
	types := []firewall.AppProtocolType{firewall.AppHTTP, firewall.AppHTTPS, firewall.AppMSSQL}
	for range 1 + g.r.IntN(2) {
		r.Protocols = append(r.Protocols, firewall.AppProtocol{Type: types[g.r.IntN(3)], Port: int(genPorts[g.r.IntN(len(genPorts))])})
	}
	r.TargetFqdns = g.pick(append(append([]string{}, genFQDNs...), genPatterns...), 3)
	if g.r.IntN(3) > 0 {
		// Many names per rule, drawn from patterns shared by the rules.
		for range 1 + g.r.IntN([]int{4, 12, 30}[g.r.IntN(3)]) {
			r.TargetFqdns = append(r.TargetFqdns, g.pats[g.r.IntN(len(g.pats))])
		}
	}
	if g.r.IntN(5) == 0 {
		r.FqdnTags = g.pick([]string{"WindowsUpdate", "MyTag", "AzureBackup"}, 1)
	}
	if g.r.IntN(4) == 0 {
		for range 1 + g.r.IntN(2) {
			r.TargetURLs = append(r.TargetURLs, g.urlItem())
		}
		r.TerminateTLS = true
	}
	if g.r.IntN(8) == 0 {
		r.WebCategories = []string{"Gambling"}
	}
	if len(r.TargetFqdns)+len(r.FqdnTags)+len(r.TargetURLs)+len(r.WebCategories) == 0 {
		r.TargetFqdns = []string{"*"}
	}
	if g.r.IntN(6) == 0 {
		r.DestinationAddresses = g.addrs(1, true)
	}
	if g.r.IntN(12) == 0 {
		// Protocols known after apply (a Terraform plan): every
		// protocol and port, never deciding; the listed ones (kept,
		// for the flows aimed at the rule) do not narrow it.
		r.ProtocolsUnknown = true
	}
	// Targets or sources known after apply: the known ones kept
	// (sometimes none), any other possible.
	if g.r.IntN(14) == 0 {
		r.TargetsUnknown = true
		if g.r.IntN(3) == 0 {
			r.TargetFqdns, r.FqdnTags, r.TargetURLs, r.WebCategories = nil, nil, nil, nil
		}
	}
	if g.r.IntN(14) == 0 {
		r.SourcesUnknown = true
		if g.r.IntN(3) == 0 {
			r.SourceAddresses, r.SourceIPGroups = nil, nil
		}
	}
	if g.r.IntN(14) == 0 {
		r.DestinationsUnknown = true
		if g.r.IntN(2) == 0 {
			r.DestinationAddresses = nil
		}
	}
	return r
}

func (g *gen) natRule() firewall.NatRule {
	r := firewall.NatRule{Name: g.name("d"), IPProtocols: g.protocols(true), SourceAddresses: g.addrs(1, false),
		DestinationAddresses: g.pick(genPublic, 1), DestinationPorts: g.portItems(),
		TranslatedPort: strconv.Itoa(int(genPorts[g.r.IntN(len(genPorts))]))}
	if len(r.DestinationAddresses) == 0 {
		r.DestinationAddresses = []string{genPublic[0]}
	}
	if g.r.IntN(4) == 0 {
		r.TranslatedFqdn = genFQDNs[g.r.IntN(len(genFQDNs))]
	} else {
		r.TranslatedAddress = g.addrIn(g.bases[1]).String()
	}
	// Values known after apply: the known ones kept (sometimes none).
	if g.r.IntN(10) == 0 {
		switch g.r.IntN(5) {
		case 0:
			r.SourcesUnknown, r.SourceAddresses = true, r.SourceAddresses[:g.r.IntN(2)]
		case 1:
			r.DestinationsUnknown, r.DestinationAddresses = true, r.DestinationAddresses[:g.r.IntN(2)]
		case 2:
			r.PortsUnknown, r.DestinationPorts = true, r.DestinationPorts[:g.r.IntN(2)]
		case 3:
			r.ProtocolsUnknown, r.IPProtocols = true, r.IPProtocols[:g.r.IntN(2)]
		default:
			r.TranslatedUnknown = true
		}
	}
	return r
}

// policy makes a policy of about n rules, with a parent half of the time.
func (g *gen) policy(n int) *firewall.Policy {
	g.aims = nil
	mk := func(name string, n int, dns bool) *firewall.Policy {
		p := &firewall.Policy{Name: name, DNSProxy: dns}
		gprios := g.r.Perm(200)
		for gi := 0; n > 0; gi++ {
			grp := firewall.RuleCollectionGroup{Name: g.name("g"), Priority: 100 + gprios[gi%200]*300}
			cprios := g.r.Perm(500)
			for ci := range 1 + g.r.IntN(4) {
				c := firewall.RuleCollection{Name: g.name("c"), Priority: 100 + cprios[ci]*100}
				k := 1 + g.r.IntN(min(n, 40))
				n -= k
				switch t := g.r.IntN(10); {
				case t < 2:
					c.Kind, c.Action = firewall.KindNat, firewall.DNAT
					for range k {
						c.NatRules = append(c.NatRules, g.natRule())
					}
				case t < 6:
					c.Kind, c.Action = firewall.KindFilter, []firewall.Action{firewall.Allow, firewall.Deny}[g.r.IntN(2)]
					for range k {
						c.NetworkRules = append(c.NetworkRules, g.networkRule(dns))
					}
				default:
					c.Kind, c.Action = firewall.KindFilter, []firewall.Action{firewall.Allow, firewall.Deny}[g.r.IntN(2)]
					for range k {
						r := g.appRule()
						c.ApplicationRules = append(c.ApplicationRules, r)
						g.aims = append(g.aims, aim{path: name + "/" + grp.Name + "/" + c.Name + "/" + r.Name, rule: r})
					}
				}
				grp.RuleCollections = append(grp.RuleCollections, c)
				if n <= 0 {
					break
				}
			}
			p.RuleCollectionGroups = append(p.RuleCollectionGroups, grp)
		}
		return p
	}
	p := mk("child", n, g.r.IntN(3) > 0)
	if g.r.IntN(2) == 0 {
		p.Parent = mk("parent", 1+n/3, false)
	}
	switch g.r.IntN(5) {
	case 1:
		p.SNATPrivateRanges = []string{"IANAPrivateRanges", "20.0.0.0/8"}
	case 2:
		p.SNATPrivateRanges = []string{"0.0.0.0/0"}
	case 3:
		p.SNATPrivateRanges = []string{"255.255.255.255/32"}
	case 4:
		p.SNATPrivateRanges = []string{"52.1.1.0/24", "10.1.2.3"}
	}
	return p
}

func (g *gen) flow() firewall.Flow {
	g.last = flowInfo{}
	if len(g.aims) > 0 && g.r.IntN(3) == 0 {
		return g.aimedFlow()
	}
	f := firewall.Flow{}
	pickAddr := func() netip.Addr {
		switch k := g.r.IntN(10); {
		case k < 6 && len(g.used) > 0:
			return g.addrIn(g.used[g.r.IntN(len(g.used))])
		case k < 7 && len(g.dnsIP) > 0:
			return g.dnsIP[g.r.IntN(len(g.dnsIP))]
		case k < 8:
			return netip.MustParseAddr(genPublic[g.r.IntN(len(genPublic))])
		}
		return g.addrIn(g.bases[g.r.IntN(len(g.bases))])
	}
	f.Src, f.Dst = pickAddr(), pickAddr()
	f.Proto = []ipproto.Proto{ipproto.TCP, ipproto.TCP, ipproto.TCP, ipproto.UDP, ipproto.ICMP, ipproto.ESP}[g.r.IntN(6)]
	if f.Proto.HasPorts() {
		f.DstPort = genPorts[g.r.IntN(len(genPorts))]
		if g.r.IntN(10) == 0 {
			f.DstPort = uint16(g.r.IntN(65536))
		}
	}
	if g.r.IntN(2) == 0 {
		f.App = firewall.AppProtocolType(g.r.IntN(4))
		f.Name = g.names[g.r.IntN(len(g.names))]
		if g.r.IntN(2) == 0 {
			f.Name = strings.ToUpper(f.Name)
		}
		if g.r.IntN(2) == 0 {
			f.Name = g.nameFor(g.pats[g.r.IntN(len(g.pats))], g.r.IntN(3) == 0)
		}
		f.Path = genPaths[g.r.IntN(len(genPaths))]
		if f.Proto.HasPorts() && g.r.IntN(2) == 0 {
			f.Proto = ipproto.TCP
			f.DstPort = [...]uint16{443, 80, 443, 1433}[f.App]
		}
	}
	if g.r.IntN(50) == 0 {
		f.Dst = netip.MustParseAddr("2001:db8::1")
	}
	return f
}

// aimedFlow returns an application flow that meets one application rule's
// source, destination and protocol, named after one of its targets
// (matching it, or narrowly missing it).
func (g *gen) aimedFlow() firewall.Flow {
	a := g.aims[g.r.IntN(len(g.aims))]
	r := a.rule
	p := r.Protocols[g.r.IntN(len(r.Protocols))]
	f := firewall.Flow{Src: g.addrOf(r.SourceAddresses), Dst: g.addrOf(r.DestinationAddresses), Proto: ipproto.TCP,
		DstPort: uint16(p.Port), App: p.Type, Path: genPaths[g.r.IntN(len(genPaths))]}
	targets := append([]string{}, r.TargetFqdns...)
	for _, t := range r.FqdnTags {
		fq, _ := g.res.FQDNTags.FQDNTag(t)
		targets = append(targets, fq...)
	}
	for _, u := range r.TargetURLs {
		host, _, _ := strings.Cut(u, "/")
		targets = append(targets, host)
	}
	g.last = flowInfo{aim: a.path}
	if len(targets) == 0 { // web categories only
		f.Name = g.names[g.r.IntN(len(g.names))]
		return f
	}
	g.last.pattern, g.last.near = targets[g.r.IntN(len(targets))], g.r.IntN(3) == 0
	f.Name = g.nameFor(g.last.pattern, g.last.near)
	return f
}

// addrOf returns an address inside one of the address items (a random one
// for none, service tags and IP groups).
func (g *gen) addrOf(items []string) netip.Addr {
	if len(items) == 0 {
		return g.addrIn(g.bases[g.r.IntN(len(g.bases))])
	}
	s := items[g.r.IntN(len(items))]
	if lo, _, ok := strings.Cut(s, "-"); ok {
		s = lo
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return a
	}
	if p, err := netip.ParsePrefix(s); err == nil {
		return g.addrIn(p)
	}
	if len(g.used) > 0 {
		return g.addrIn(g.used[g.r.IntN(len(g.used))])
	}
	return g.addrIn(g.bases[g.r.IntN(len(g.bases))])
}

// result converts a compiled verdict into the reference's form.
func result(e *firewall.Engine, v firewall.Verdict) fwref.Result {
	return fwref.Result{Action: v.Action, Reason: v.Reason, Flags: v.Flags, SNAT: v.SNAT, Rule: ruleName(e, v), Translated: v.Translated}
}
