package nsg_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"

	"github.com/egresslab/egress/internal/nsgref"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// gen makes random but valid NSGs, admin rules, contexts and flows from a
// seeded PCG source. Addresses come from a small pool of overlapping bases so
// that random flows hit random rules often.
type gen struct {
	r     *rand.Rand
	tags  nsg.TagMap
	asgs  nsg.ASGMap
	bases []netip.Prefix
	v6    []netip.Prefix
	used  []netip.Prefix // prefixes put into rules, to aim flows at
	ctx   nsg.Context
	nic   []netip.Addr
	// pair makes every world have both a NIC and a subnet NSG (the fused
	// path of the classifier).
	pair bool
	// cache compiles each world's groups with one shared nsg.Cache (the
	// world's resolvers change from world to world, so the cache does too).
	cache bool
}

var (
	vnetID  = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a"
	otherID = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-b"
)

func asgID(i int) string {
	return "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/applicationSecurityGroups/asg-" + strconv.Itoa(i)
}

// newGen returns a generator. tagSize is the number of prefixes of the
// largest synthetic service tag.
func newGen(seed uint64, tagSize int) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, s := range []string{"10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
		"20.0.0.0/8", "52.0.0.0/8", "13.64.0.0/11", "203.0.113.0/24", "198.51.100.0/24", "100.64.0.0/10",
		"168.63.129.0/24", "169.254.0.0/16", "0.0.0.0/1", "128.0.0.0/1"} {
		g.bases = append(g.bases, netip.MustParsePrefix(s))
	}
	for _, s := range []string{"2001:db8::/32", "2001:db8:1::/48", "fd00::/8", "2603:1000::/24"} {
		g.v6 = append(g.v6, netip.MustParsePrefix(s))
	}
	g.tags = syntheticTags(g.r, tagSize)
	g.asgs = nsg.ASGMap{}
	for i := range 6 {
		var m []netip.Addr
		for range 1 + g.r.IntN(4) {
			m = append(m, g.addrIn(netip.MustParsePrefix("10.1.0.0/16")))
		}
		g.asgs[asgID(i)] = nsg.ASG{VNet: vnetID, Members: m}
	}
	g.asgs[asgID(99)] = nsg.ASG{VNet: otherID, Members: []netip.Addr{netip.MustParseAddr("10.9.0.4")}}
	g.newContext()
	return g
}

// syntheticTags makes service tags that look like Azure's: public /20../32
// prefixes in Azure-like ranges, one family or both, of up to size prefixes.
//
// Real service tags (servicetag.Default()) are used by
// TestDifferentialRealTags and the benchmarks: see realTags in bench_test.go.
func syntheticTags(r *rand.Rand, size int) nsg.TagMap {
	ranges := []netip.Prefix{netip.MustParsePrefix("20.0.0.0/8"), netip.MustParsePrefix("52.0.0.0/8"),
		netip.MustParsePrefix("13.64.0.0/11"), netip.MustParsePrefix("40.64.0.0/10"), netip.MustParsePrefix("104.40.0.0/13")}
	names := []string{"AzureCloud", "Storage", "Sql", "AzureMonitor", "AppService", "Storage.EastUS",
		"AzureCloud.eastus", "LogicApps", "AzureActiveDirectory", "EventHub"}
	m := nsg.TagMap{}
	for i, n := range names {
		k := size >> (i / 2)
		if k < 2 {
			k = 2
		}
		var ps []netip.Prefix
		for range k {
			base := ranges[r.IntN(len(ranges))]
			bitsN := 20 + r.IntN(13)
			a := randAddrIn(r, base)
			ps = append(ps, netip.PrefixFrom(a, bitsN).Masked())
		}
		if i%3 == 0 {
			ps = append(ps, netip.MustParsePrefix("2603:1000::/40"), netip.MustParsePrefix("2603:1030:"+strconv.FormatInt(int64(i), 16)+"::/48"))
		}
		m[n] = ps
	}
	return m
}

func randAddrIn(r *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Addr().As16()
	if p.Addr().Is4() {
		var x [4]byte
		copy(x[:], p.Addr().AsSlice())
		v := uint32(x[0])<<24 | uint32(x[1])<<16 | uint32(x[2])<<8 | uint32(x[3])
		host := uint32(0)
		if p.Bits() < 32 {
			host = r.Uint32() & (1<<(32-p.Bits()) - 1)
		}
		v |= host
		return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	}
	for i := p.Bits() / 8; i < 16; i++ {
		rb := byte(r.Uint32())
		if i == p.Bits()/8 {
			keep := byte(0xff) << (8 - p.Bits()%8)
			if p.Bits()%8 == 0 {
				keep = 0
			}
			b[i] = b[i]&keep | rb&^keep
		} else {
			b[i] = rb
		}
	}
	return netip.AddrFrom16(b)
}

func (g *gen) addrIn(p netip.Prefix) netip.Addr { return randAddrIn(g.r, p) }

func (g *gen) prefixIn(base netip.Prefix) netip.Prefix {
	maxb := 32
	if base.Addr().Is6() {
		maxb = 128
	}
	bitsN := base.Bits() + g.r.IntN(maxb-base.Bits()+1)
	if base.Addr().Is6() && bitsN > 64 && g.r.IntN(2) == 0 {
		bitsN = 64
	}
	return netip.PrefixFrom(g.addrIn(base), bitsN).Masked()
}

func (g *gen) newContext() {
	g.ctx = nsg.Context{AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}}
	if g.r.IntN(2) == 0 {
		g.ctx.AddressSpace = append(g.ctx.AddressSpace, netip.MustParsePrefix("2001:db8:1::/48"))
	}
	for range g.r.IntN(3) {
		g.ctx.Peered = append(g.ctx.Peered, g.prefixIn(netip.MustParsePrefix("10.0.0.0/8")))
	}
	for range g.r.IntN(3) {
		g.ctx.Gateway = append(g.ctx.Gateway, g.prefixIn(g.bases[g.r.IntN(len(g.bases))]))
	}
	for range g.r.IntN(3) {
		g.ctx.UDR = append(g.ctx.UDR, g.prefixIn(g.bases[g.r.IntN(len(g.bases))]))
	}
	if g.r.IntN(6) == 0 {
		g.ctx.UDR = append(g.ctx.UDR, netip.MustParsePrefix("0.0.0.0/0")) // issue #22178
	}
	g.nic = []netip.Addr{g.addrIn(netip.MustParsePrefix("10.1.0.0/16"))}
	if g.r.IntN(3) == 0 {
		g.nic = append(g.nic, g.addrIn(netip.MustParsePrefix("2001:db8:1::/48")))
	}
	// Some NIC addresses are ASG members.
	for i := range 6 {
		if g.r.IntN(3) == 0 {
			a := g.asgs[asgID(i)]
			a.Members = append(a.Members, g.nic[0])
			g.asgs[asgID(i)] = a
		}
	}
}

func (g *gen) pick(ss ...string) string { return ss[g.r.IntN(len(ss))] }

// side returns one side's items, or ASG ids.
func (g *gen) side(v6 bool, admin bool) (items []string, asgs []string) {
	switch n := g.r.IntN(100); {
	case n < 25:
		return []string{"*"}, nil
	case n < 35:
		return []string{g.pick("VirtualNetwork", "virtualnetwork", "VIRTUAL_NETWORK")}, nil
	case n < 40:
		return []string{"Internet"}, nil
	case n < 43:
		return []string{"AzureLoadBalancer"}, nil
	case n < 46:
		return []string{g.pick("AzurePlatformDNS", "AzurePlatformIMDS", "AzurePlatformLKM")}, nil
	case n < 56:
		names := make([]string, 0, len(g.tags))
		for k := range g.tags {
			names = append(names, k)
		}
		// map order is random: sort for determinism
		sortStrings(names)
		return []string{names[g.r.IntN(len(names))]}, nil
	case n < 62 && !admin:
		k := 1 + g.r.IntN(3)
		for range k {
			asgs = append(asgs, asgID(g.r.IntN(6)))
		}
		return nil, dedupe(asgs)
	}
	k := 1 + g.r.IntN(5)
	for range k {
		var p netip.Prefix
		if v6 {
			p = g.prefixIn(g.v6[g.r.IntN(len(g.v6))])
		} else if g.r.IntN(8) == 0 && len(g.used) > 0 && g.used[0].Addr().Is4() {
			p = g.used[g.r.IntN(len(g.used))]
			if p.Addr().Is6() {
				p = g.prefixIn(g.bases[g.r.IntN(len(g.bases))])
			}
		} else {
			p = g.prefixIn(g.bases[g.r.IntN(len(g.bases))])
		}
		g.used = append(g.used, p)
		if p.IsSingleIP() && g.r.IntN(2) == 0 {
			items = append(items, p.Addr().String())
		} else {
			items = append(items, p.String())
		}
	}
	return items, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

var popularPorts = []int{22, 53, 80, 123, 443, 445, 1433, 3389, 5985, 8080, 8443}

func (g *gen) ports() []string {
	if g.r.IntN(2) == 0 {
		return []string{g.pick("*", "*", "0-65535")}
	}
	var out []string
	for range 1 + g.r.IntN(3) {
		switch g.r.IntN(3) {
		case 0:
			out = append(out, strconv.Itoa(popularPorts[g.r.IntN(len(popularPorts))]))
		case 1:
			a := 1 + g.r.IntN(65535)
			out = append(out, strconv.Itoa(a))
		default:
			a := 1 + g.r.IntN(65535)
			b := a + g.r.IntN(5000)
			if b > 65535 {
				b = 65535
			}
			out = append(out, strconv.Itoa(a)+"-"+strconv.Itoa(b))
		}
	}
	return out
}

func (g *gen) proto() nsg.Protocol {
	return []nsg.Protocol{nsg.ProtocolAny, nsg.ProtocolAny, nsg.ProtocolTCP, nsg.ProtocolTCP, nsg.ProtocolUDP,
		nsg.ProtocolICMP, nsg.ProtocolESP, nsg.ProtocolAH}[g.r.IntN(8)]
}

func (g *gen) nsg(name string, n int) nsg.SecurityGroup {
	sg := nsg.SecurityGroup{ID: "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/" + name}
	prios := [3]map[int]bool{{}, {}, {}}
	for i := range n {
		d := nsg.Direction(1 + g.r.IntN(2))
		p := 100 + g.r.IntN(3997)
		for prios[d][p] {
			p = 100 + g.r.IntN(3997)
		}
		prios[d][p] = true
		v6 := g.r.IntN(10) == 0
		r := nsg.Rule{Name: fmt.Sprintf("r%d-%s", i, g.pick("a", "b.c", "d_e", "f-g_")), Priority: p, Direction: d,
			Access: []nsg.Access{nsg.Allow, nsg.Deny}[g.r.IntN(2)], Protocol: g.proto()}
		src, sasg := g.side(v6, false)
		dst, dasg := g.side(v6, false)
		switch {
		case sasg != nil:
			r.SourceApplicationSecurityGroups = sasg
		case len(src) == 1 && g.r.IntN(2) == 0:
			r.SourceAddressPrefix = src[0]
		default:
			r.SourceAddressPrefixes = src
		}
		switch {
		case dasg != nil:
			r.DestinationApplicationSecurityGroups = dasg
		case len(dst) == 1 && g.r.IntN(2) == 0:
			r.DestinationAddressPrefix = dst[0]
		default:
			r.DestinationAddressPrefixes = dst
		}
		if sp := g.ports(); len(sp) == 1 && g.r.IntN(2) == 0 {
			r.SourcePortRange = sp[0]
		} else {
			r.SourcePortRanges = sp
		}
		if g.r.IntN(3) > 0 { // source ports are mostly "*" in practice
			r.SourcePortRange, r.SourcePortRanges = "*", nil
		}
		if dp := g.ports(); len(dp) == 1 && g.r.IntN(2) == 0 {
			r.DestinationPortRange = dp[0]
		} else {
			r.DestinationPortRanges = dp
		}
		sg.Rules = append(sg.Rules, r)
	}
	return sg
}

func (g *gen) admin(n int) nsg.AdminConfig {
	ac := nsg.AdminConfig{ID: "/subscriptions/0000/providers/Microsoft.Network/networkManagers/nm/securityAdminConfigurations/cfg"}
	prios := map[string]bool{}
	for i := range n {
		coll := g.pick("c1", "c2")
		d := nsg.Direction(1 + g.r.IntN(2))
		p := 1 + g.r.IntN(50)
		for prios[coll+strconv.Itoa(p)+d.String()] {
			p = 1 + g.r.IntN(4096)
		}
		prios[coll+strconv.Itoa(p)+d.String()] = true
		v6 := g.r.IntN(10) == 0
		src, _ := g.side(v6, true)
		dst, _ := g.side(v6, true)
		r := nsg.AdminRule{Name: "a" + strconv.Itoa(i), Collection: coll, Priority: p, Direction: d,
			Access: []nsg.Access{nsg.Allow, nsg.Deny, nsg.AlwaysAllow}[g.r.IntN(3)], Protocol: g.proto(),
			Sources: src, Destinations: dst}
		if g.r.IntN(2) == 0 {
			r.DestinationPortRanges = g.ports()
		}
		if g.r.IntN(4) == 0 {
			r.SourcePortRanges = g.ports()
		}
		ac.Rules = append(ac.Rules, r)
	}
	return ac
}

var flowProtos = []ipproto.Proto{ipproto.TCP, ipproto.TCP, ipproto.TCP, ipproto.UDP, ipproto.UDP, ipproto.ICMP,
	ipproto.ESP, ipproto.AH, ipproto.ICMPv6, 47}

func (g *gen) remote(v6 bool) netip.Addr {
	if v6 {
		switch g.r.IntN(3) {
		case 0:
			for _, p := range g.used {
				if p.Addr().Is6() && g.r.IntN(4) == 0 {
					return g.addrIn(p)
				}
			}
		case 1:
			for _, ps := range g.tags {
				for _, p := range ps {
					if p.Addr().Is6() {
						return g.addrIn(p)
					}
				}
			}
		}
		return g.addrIn(g.v6[g.r.IntN(len(g.v6))])
	}
	switch n := g.r.IntN(20); {
	case n < 7 && len(g.used) > 0:
		p := g.used[g.r.IntN(len(g.used))]
		if p.Addr().Is4() {
			return g.addrIn(p)
		}
	case n < 9:
		return g.pick2(nsg.HostIP, nsg.IMDSIP)
	case n < 12:
		for _, ps := range g.tags {
			p := ps[g.r.IntN(len(ps))]
			if p.Addr().Is4() {
				return g.addrIn(p)
			}
		}
	case n < 14:
		return g.addrIn(netip.MustParsePrefix("10.1.0.0/16"))
	}
	return g.addrIn(g.bases[g.r.IntN(len(g.bases))])
}

func (g *gen) pick2(a, b netip.Addr) netip.Addr {
	if g.r.IntN(2) == 0 {
		return a
	}
	return b
}

func (g *gen) flow() nsg.Flow {
	f := nsg.Flow{Direction: nsg.Direction(1 + g.r.IntN(2)), Proto: flowProtos[g.r.IntN(len(flowProtos))]}
	local := g.nic[g.r.IntN(len(g.nic))]
	if g.r.IntN(10) == 0 {
		local = g.remote(local.Is6()) // a local address that is not the NIC's
	}
	if g.r.IntN(50) == 0 {
		local = netip.AddrFrom16(local.As16()) // IPv4-mapped: must be unmapped
	}
	remote := g.remote(local.Unmap().Is6())
	lp, rp := uint16(1024+g.r.IntN(64000)), uint16(popularPorts[g.r.IntN(len(popularPorts))])
	if g.r.IntN(4) == 0 {
		rp = uint16(g.r.IntN(65536))
	}
	if f.Direction == nsg.Outbound {
		f.Src, f.Dst, f.SrcPort, f.DstPort = local, remote, lp, rp
	} else {
		f.Src, f.Dst, f.SrcPort, f.DstPort = remote, local, rp, lp
		if g.r.IntN(2) == 0 {
			f.SrcPort, f.DstPort = lp, rp
		}
	}
	return f
}

// world is one random NIC with both evaluators built.
type world struct {
	nic  nsg.NIC
	cls  *nsg.Classifier
	ref  *nsgref.Evaluator
	refN nsgref.NIC
}

// newWorld makes a random NIC with up to maxRules rules per NSG; each NSG and
// the admin rules are present with some probability.
func (g *gen) world(maxRules int) (*world, error) {
	g.used = g.used[:0]
	g.newContext()
	res := nsg.Resolvers{Tags: g.tags, ASGs: g.asgs}
	if g.cache {
		res.Cache = &nsg.Cache{}
	}
	w := &world{}
	w.refN = nsgref.NIC{Addrs: g.nic, Context: g.ctx, Tags: g.tags, ASGs: g.asgs}
	w.nic = nsg.NIC{ID: "nic", SubnetID: "subnet", VNet: vnetID, Addrs: g.nic}
	scope, err := nsg.CompileContext(g.ctx)
	if err != nil {
		return nil, err
	}
	w.nic.Scope = scope
	if g.r.IntN(5) > 0 || g.pair {
		sg := g.nsg("nsg-nic", g.r.IntN(maxRules+1))
		if w.nic.NSG, err = nsg.Compile(sg, res); err != nil {
			return nil, err
		}
		if err := nsg.Check(sg, res); err != nil {
			return nil, fmt.Errorf("Check rejects what Compile accepts: %w", err)
		}
		w.refN.NSG = &sg
	}
	if g.r.IntN(5) > 0 || g.pair {
		sg := g.nsg("nsg-subnet", g.r.IntN(maxRules+1))
		if w.nic.SubnetNSG, err = nsg.Compile(sg, res); err != nil {
			return nil, err
		}
		w.refN.SubnetNSG = &sg
	}
	if g.r.IntN(3) == 0 {
		ac := g.admin(g.r.IntN(30))
		if w.nic.Admin, err = nsg.CompileAdmin(ac, res); err != nil {
			return nil, err
		}
		w.refN.Admin = &ac
	}
	if w.cls, err = nsg.NewClassifier(w.nic); err != nil {
		return nil, err
	}
	if w.ref, err = nsgref.New(w.refN); err != nil {
		return nil, err
	}
	return w, nil
}

// names turns a compiled verdict into the reference's form.
func (w *world) names(f nsg.Flow, v nsg.Verdict) nsgref.Result {
	out := nsgref.Result{Access: v.Access, Reason: v.Reason}
	for st := nsg.StageAdmin; st <= nsg.StageSubnet; st++ {
		if ri, ok := w.cls.RuleOf(v, f.Direction, st); ok {
			out.Rules[st] = ri.Name
			if ri.Admin {
				out.Rules[st] = ri.Collection + "/" + ri.Name
			}
		}
	}
	return out
}
