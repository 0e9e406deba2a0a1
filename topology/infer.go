package topology

import (
	"fmt"
	"net/netip"
)

// complete runs the steps of a load that need every input: merging what is
// declared twice, carrying associations over from the side the model does
// not keep, and inferring what Azure fills in and exports leave out.
func (m *Model) complete(p *problems, w *warnList) {
	m.mergeDuplicates(p)
	m.associate(p, w)
	m.inferAddresses(w)
	m.applyFirewallHops(p, w)
	m.idx = nil
}

// privateIPDoc is where Azure says how it picks a dynamic private address:
// "Azure assigns the next available unassigned or unreserved IP address in
// the subnet's address range", after the first four, which it reserves.
const privateIPDoc = "https://learn.microsoft.com/azure/virtual-network/ip-services/private-ip-addresses#allocation-method"

// inferAddresses fills in the private addresses exports leave out:
//
//   - an Azure Firewall without privateIPAddress (portal exports leave it
//     out; the REST reference calls it "the Firewall Internal Load Balancer
//     IP to be used as the next hop in User Defined Routes") is taken to have
//     the first address Azure assigns in AzureFirewallSubnet, the fifth of
//     its first IPv4 prefix (.4 of a /26), since the subnet is dedicated to
//     the firewall;
//   - an active-active VPN gateway without instance addresses (no
//     bgpSettings, no ipConfigurations[].privateIPAddress), whose effective
//     routes show those addresses (VPN Gateway FAQ), is taken to have the
//     first two addresses Azure assigns in GatewaySubnet.
//
// Microsoft Learn does not document either address as fixed: each is an
// assumption, recorded in the model (Firewall.PrivateIPAssumed,
// Gateway.PrivateIPsAssumed) for results to state, and a warning.
func (m *Model) inferAddresses(w *warnList) {
	for _, f := range m.Firewalls {
		if f.PrivateIP.IsValid() {
			continue
		}
		s, first := m.dedicatedSubnet(f.VNet, firewallSubnetName)
		if s == nil {
			continue
		}
		a := nth(first, 4)
		f.PrivateIP = a
		f.PrivateIPAssumed = fmt.Sprintf("the input gives no private IP for Azure Firewall %s: taken as %v, the first address Azure assigns in %s %v (%s); the real address may differ",
			f.Name, a, firewallSubnetName, first, privateIPDoc)
		w.warn(f.Pos, string(f.ID), "ipConfigurations.privateIPAddress", a.String(), ErrAssumed, "%s", f.PrivateIPAssumed)
	}
	for _, g := range m.Gateways {
		if g.Type != GatewayVpn || !g.ActiveActive || len(g.PrivateIPs) > 0 {
			continue
		}
		s, first := m.dedicatedSubnet(g.VNet, gatewaySubnetName)
		if s == nil {
			continue
		}
		g.PrivateIPs = []netip.Addr{nth(first, 4), nth(first, 5)}
		g.PrivateIPsAssumed = fmt.Sprintf("the input gives no instance addresses for active-active gateway %s: taken as %v and %v, the first two addresses Azure assigns in %s %v (%s); the real addresses may differ",
			g.Name, g.PrivateIPs[0], g.PrivateIPs[1], gatewaySubnetName, first, privateIPDoc)
		w.warn(g.Pos, string(g.ID), "bgpSettings.bgpPeeringAddresses", "", ErrAssumed, "%s", g.PrivateIPsAssumed)
	}
}

// dedicatedSubnet returns the subnet named name of the VNet vnet and its
// first IPv4 prefix, if the model has them and the prefix has room for the
// addresses Azure reserves and a few more.
func (m *Model) dedicatedSubnet(vnet Ref, name string) (*Subnet, netip.Prefix) {
	v, ok := m.VNet(vnet)
	if !ok {
		return nil, netip.Prefix{}
	}
	s := subnetNamed(v, name)
	if s == nil {
		return nil, netip.Prefix{}
	}
	for _, pf := range s.Prefixes {
		if pf.Addr().Is4() && pf.Bits() <= 29 {
			return s, pf.Masked()
		}
	}
	return nil, netip.Prefix{}
}

// nth returns the address n after the start of p.
func nth(p netip.Prefix, n int) netip.Addr {
	a := p.Addr()
	for range n {
		a = a.Next()
	}
	return a
}
