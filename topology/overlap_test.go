package topology

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refValidateVNets is the quadratic validateVNets that the O(n log n)
// checks replaced, kept verbatim as the reference.
func refValidateVNets(m *Model, p *problems) {
	overlapsAny := func(p netip.Prefix, in []netip.Prefix) bool {
		for _, o := range in {
			if o.Overlaps(p) {
				return true
			}
		}
		return false
	}
	for _, v := range m.VNets {
		if len(v.AddressSpace) == 0 {
			p.add(v.Pos, string(v.ID), "addressSpace", "", ErrMissing, "a virtual network needs at least one address range")
		}
		for i, a := range v.AddressSpace {
			for _, b := range v.AddressSpace[:i] {
				if a.Overlaps(b) {
					p.add(v.Pos, string(v.ID), "addressSpace", a.String(), ErrOverlap, "overlaps %v of the same VNet", b)
				}
			}
		}
		if len(v.Subnets) > MaxSubnetsPerVNet {
			p.add(v.Pos, string(v.ID), "subnets", "", ErrLimit, "%d subnets, at most %d", len(v.Subnets), MaxSubnetsPerVNet)
		}
		if len(v.Peerings) > MaxPeeringsPerVNet {
			p.add(v.Pos, string(v.ID), "virtualNetworkPeerings", "", ErrLimit, "%d peerings, at most %d", len(v.Peerings), MaxPeeringsPerVNet)
		}
		names := map[string]bool{}
		for si, s := range v.Subnets {
			if names[strings.ToLower(s.Name)] {
				p.add(s.Pos, string(s.ID), "name", s.Name, ErrDuplicate, "two subnets of one VNet share the name")
			}
			names[strings.ToLower(s.Name)] = true
			if len(s.Prefixes) == 0 {
				p.add(s.Pos, string(s.ID), "addressPrefix", "", ErrMissing, "")
			}
			for _, sp := range s.Prefixes {
				if !insideAny(sp, v.AddressSpace) {
					p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrInvalid, "outside the VNet's address space %v", v.AddressSpace)
				}
				switch {
				case sp.Addr().Is4() && (sp.Bits() < minSubnetBits4 || sp.Bits() > maxSubnetBits4):
					p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrLimit, "IPv4 subnets are /%d to /%d", minSubnetBits4, maxSubnetBits4)
				case sp.Addr().Is6() && sp.Bits() != ipv6SubnetBits:
					p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrInvalid, "IPv6 subnets must be /64")
				}
				for _, o := range v.Subnets[:si] {
					for _, op := range o.Prefixes {
						if sp.Overlaps(op) {
							p.add(s.Pos, string(s.ID), "addressPrefix", sp.String(), ErrOverlap, "overlaps subnet %q (%v)", o.Name, op)
						}
					}
				}
			}
			// https://learn.microsoft.com/azure/firewall/firewall-faq: NSGs are not supported on AzureFirewallSubnet.
			if strings.EqualFold(s.Name, firewallSubnetName) && !s.NSG.IsZero() {
				p.add(s.Pos, string(s.ID), "networkSecurityGroup", string(s.NSG), ErrNotAllowed, "Azure does not support an NSG on AzureFirewallSubnet")
			}
			// https://learn.microsoft.com/azure/nat-gateway/nat-overview: not on GatewaySubnet.
			if strings.EqualFold(s.Name, gatewaySubnetName) && !s.NATGateway.IsZero() {
				p.add(s.Pos, string(s.ID), "natGateway", string(s.NATGateway), ErrNotAllowed, "a NAT gateway cannot be associated with GatewaySubnet")
			}
		}
		for _, pe := range v.Peerings {
			remote, ok := checkRef[*VNet](m, p, pe.Pos, string(pe.ID), "remoteVirtualNetwork", pe.Remote, "virtual network")
			if !ok {
				for _, a := range pe.RemoteAddressSpace { // what the peering says of a VNet outside the input
					if overlapsAny(a, v.AddressSpace) {
						p.add(pe.Pos, string(pe.ID), "remoteAddressSpace", a.String(), ErrOverlap, "overlaps the local address space %v; Azure cannot peer overlapping VNets", v.AddressSpace)
					}
				}
				continue
			}
			if remote == v {
				p.add(pe.Pos, string(pe.ID), "remoteVirtualNetwork", string(pe.Remote), ErrInvalid, "a VNet cannot peer with itself")
				continue
			}
			for _, a := range remote.AddressSpace {
				if overlapsAny(a, v.AddressSpace) {
					p.add(pe.Pos, string(pe.ID), "remoteAddressSpace", a.String(), ErrOverlap, "overlaps the local address space %v; Azure cannot peer overlapping VNets", v.AddressSpace)
				}
			}
		}
		// https://learn.microsoft.com/azure/virtual-network/virtual-network-manage-peering#create-a-peering:
		// "Only one peering for this virtual network can have this setting
		// enabled", and "you can't use remote gateways if you already have a
		// gateway configured in your virtual network".
		var remoteGW *Peering
		for _, pe := range v.Peerings {
			if !pe.UseRemoteGateways {
				continue
			}
			if remoteGW != nil {
				p.add(pe.Pos, string(pe.ID), "useRemoteGateways", "true", ErrNotAllowed,
					"peering %q already uses the remote gateway; Azure allows one such peering per virtual network", remoteGW.Name)
			} else {
				remoteGW = pe
			}
			for _, g := range m.Gateways {
				if g.VNet.Key() == v.ID.Key() {
					p.add(pe.Pos, string(pe.ID), "useRemoteGateways", "true", ErrNotAllowed,
						"the virtual network has its own gateway %q; it cannot use a remote one", g.Name)
				}
			}
		}
		// Peers of one VNet must not overlap each other either: both would
		// be routed from v.
		for i, a := range v.Peerings {
			ra, ok := m.VNet(a.Remote)
			if !ok {
				continue
			}
			for _, b := range v.Peerings[:i] {
				rb, ok := m.VNet(b.Remote)
				if !ok || rb == ra {
					continue
				}
				for _, x := range ra.AddressSpace {
					if overlapsAny(x, rb.AddressSpace) {
						p.add(a.Pos, string(a.ID), "remoteAddressSpace", x.String(), ErrOverlap, "overlaps the address space of %q, also peered with %q", rb.Name, v.Name)
					}
				}
			}
		}
	}
}

// vnetProblems runs a VNet check and returns its problems and the count
// past the cap.
func vnetProblems(m *Model, check func(*Model, *problems)) ([]string, int) {
	var p problems
	m.index(&p)
	p = problems{}
	check(m, &p)
	var out []string
	for _, e := range p.errs {
		out = append(out, e.Error())
	}
	return out, p.extra
}

// randomVNets builds VNets whose address spaces, subnets and peerings
// overlap often: prefixes are drawn from a few nested blocks, IPv4 and IPv6,
// with duplicates, and peerings point at random VNets (some dangling, some
// at the VNet itself, some twice at one VNet).
func randomVNets(r *rand.Rand, nv, maxSubnets, maxPeerings int) *Model {
	pfx := func() netip.Prefix {
		if r.IntN(8) == 0 {
			a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(r.IntN(4)), 0, byte(r.IntN(4))})
			return netip.PrefixFrom(a, 48+8*r.IntN(3)).Masked()
		}
		a := netip.AddrFrom4([4]byte{10, byte(r.IntN(3)), byte(r.IntN(8)), byte(r.IntN(4) * 64)})
		return netip.PrefixFrom(a, 14+r.IntN(13)).Masked()
	}
	m := &Model{}
	for i := range nv {
		v := &VNet{Meta: Meta{ID: Ref(fmt.Sprintf("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v%d", i)), Name: fmt.Sprintf("v%d", i)}}
		for range 1 + r.IntN(4) {
			v.AddressSpace = append(v.AddressSpace, pfx())
		}
		for s := range r.IntN(maxSubnets + 1) {
			sn := &Subnet{Meta: Meta{ID: Ref(fmt.Sprintf("%s/subnets/s%d", v.ID, s)), Name: fmt.Sprintf("s%d", s)}, VNet: v}
			for range 1 + r.IntN(2) {
				sn.Prefixes = append(sn.Prefixes, pfx())
			}
			v.Subnets = append(v.Subnets, sn)
		}
		m.VNets = append(m.VNets, v)
	}
	for _, v := range m.VNets {
		for k := range r.IntN(maxPeerings + 1) {
			remote := Ref(fmt.Sprintf("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v%d", r.IntN(nv+1)))
			v.Peerings = append(v.Peerings, &Peering{Meta: Meta{ID: Ref(fmt.Sprintf("%s/virtualNetworkPeerings/p%d", v.ID, k)), Name: fmt.Sprintf("p%d", k)}, Local: v, Remote: remote})
		}
	}
	return m
}

// TestOverlapsAgainstReference: the O(n log n) checks report exactly the
// problems of the quadratic ones, in the same order, and count the same
// number past the cap (small models stay under it, large ones go past it).
func TestOverlapsAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	runs := 300
	if testing.Short() {
		runs = 100
	}
	overCap := 0
	for run := range runs {
		nv, subnets, peerings := 1+r.IntN(6), 12, 8
		if run%10 == 0 {
			nv, subnets, peerings = 8, 80, 40
		}
		m := randomVNets(r, nv, subnets, peerings)
		got, gotExtra := vnetProblems(m, (*Model).validateVNets)
		want, wantExtra := vnetProblems(m, refValidateVNets)
		require.Equal(t, want, got, "run %d", run)
		require.Equal(t, wantExtra, gotExtra, "run %d: problems past the cap", run)
		if wantExtra > 0 {
			overCap++
		}
	}
	assert.Positive(t, overCap, "some runs went past the cap")
}

// TestOverlapFinderCounts: equal, nested and disjoint prefixes of several
// owners, with the pairs given to the later owner; prefixes of one owner
// never pair.
func TestOverlapFinderCounts(t *testing.T) {
	mp := netip.MustParsePrefix
	items := []ownedPrefix{
		{mp("10.0.0.0/16"), 0}, // 0
		{mp("10.0.1.0/24"), 0}, // 1: inside 0, same owner
		{mp("10.0.0.0/16"), 1}, // 2: equal to 0, inside nothing else
		{mp("10.0.1.0/24"), 2}, // 3: inside 0 and 2, equal to 1
		{mp("10.1.0.0/16"), 2}, // 4: disjoint
		{mp("10.0.0.0/8"), 3},  // 5: contains 0..4
		{netip.Prefix{}, 4},    // 6: invalid, overlaps nothing
		{mp("2001:db8::/32"), 4},
		{mp("::ffff:10.0.0.0/104"), 5}, // IPv6: never overlaps 10.0.0.0/8
	}
	f := newOverlapFinder(items)
	wantCounts := []int{0, 0, 2, 3, 0, 5, 0, 0, 0}
	wantLists := [][]int{nil, nil, {0, 1}, {0, 1, 2}, nil, {0, 1, 2, 3, 4}, nil, nil, nil}
	for i := range items {
		assert.Equal(t, wantCounts[i], f.count(i), "count %d", i)
		assert.Equal(t, wantLists[i], nilIfEmpty(f.list(i)), "list %d", i)
	}
}

func nilIfEmpty(s []int) []int {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestOverlapCountPastCap: 3,000 copies of one subnet overlap in 4,498,500
// pairs; 200 are listed and the rest counted, without listing them.
func TestOverlapCountPastCap(t *testing.T) {
	v := &VNet{Meta: Meta{ID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v", Name: "v"},
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}
	const n = 3000
	for i := range n {
		v.Subnets = append(v.Subnets, &Subnet{Meta: Meta{ID: Ref(fmt.Sprintf("%s/subnets/s%d", v.ID, i)), Name: fmt.Sprintf("s%d", i)}, VNet: v,
			Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/24")}})
	}
	m := &Model{VNets: []*VNet{v}}
	var p problems
	m.validateVNets(&p)
	require.Len(t, p.errs, maxProblems)
	assert.Equal(t, n*(n-1)/2-maxProblems, p.extra)
	assert.Contains(t, p.errs[0].Error(), `subnets/s1: addressPrefix "10.0.0.0/24": overlapping addresses: overlaps subnet "s0" (10.0.0.0/24)`)
}

// TestPeeringsOverLimit: a VNet with more peerings than Azure allows gets
// the limit problem; its peers are not checked against each other (the pairs
// of 100,000 peerings would be 5·10⁹), but each still against the VNet.
func TestPeeringsOverLimit(t *testing.T) {
	n := MaxPeeringsPerVNet + 100
	hub := &VNet{Meta: Meta{ID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/hub", Name: "hub"},
		AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/16")}}
	m := &Model{VNets: []*VNet{hub}}
	for i := range n {
		v := &VNet{Meta: Meta{ID: Ref(fmt.Sprintf("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/spoke%d", i)), Name: fmt.Sprintf("spoke%d", i)},
			AddressSpace: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")}} // every spoke overlaps every other
		if i == 0 {
			v.AddressSpace[0] = netip.MustParsePrefix("10.0.0.0/24") // and one the hub
		}
		m.VNets = append(m.VNets, v)
		hub.Peerings = append(hub.Peerings, &Peering{Meta: Meta{ID: Ref(fmt.Sprintf("%s/virtualNetworkPeerings/p%d", hub.ID, i)), Name: fmt.Sprintf("p%d", i)}, Local: hub, Remote: v.ID})
	}
	got, extra := vnetProblems(m, (*Model).validateVNets)
	assert.Zero(t, extra)
	require.Len(t, got, 2)
	assert.Contains(t, got[0], fmt.Sprintf("%d peerings, at most %d", n, MaxPeeringsPerVNet))
	assert.Contains(t, got[1], `remoteAddressSpace "10.0.0.0/24": overlapping addresses: overlaps the local address space`)

	hub.Peerings = hub.Peerings[:3]
	got, _ = vnetProblems(m, (*Model).validateVNets)
	require.Len(t, got, 2, "within the limit, the peers are checked against each other")
	assert.Contains(t, got[1], `p2: remoteAddressSpace "10.1.0.0/16": overlapping addresses: overlaps the address space of "spoke1", also peered with "hub"`)
}
