package topology

import (
	"net/netip"
	"strings"
)

// Virtual network gateways of a Terraform plan or state, with the field
// semantics of Microsoft.Network/virtualNetworkGateways (arm.go).
// Attribute names are the azurerm provider's, verified against its schema
// (internal/services/network/virtual_network_gateway_resource.go,
// local_network_gateway_resource.go and
// virtual_network_gateway_connection_resource.go at commit
// 69697b7fe6a923fc89e88f386bc95c3ed1ee2ec6, v5.2.0-14; bgp_settings'
// peering_addresses with default_addresses, computed, is the same at
// v3.0.0, v3.117.1 and v4.81.0; the comma-separated peering_address is
// only the v2 providers'):
//
//   - virtual_network_gateway: type ("Vpn", "ExpressRoute"), active_active,
//     default_local_network_gateway_id, ip_configuration blocks with
//     subnet_id and public_ip_address_id, bgp_settings[0] with
//     peering_addresses blocks whose default_addresses (computed) are the
//     instances' addresses, and the older peering_address (computed,
//     comma-separated);
//   - local_network_gateway: gateway_address or gateway_fqdn (exactly
//     one), address_space;
//   - virtual_network_gateway_connection: type ("IPsec", "Vnet2Vnet",
//     "ExpressRoute"), virtual_network_gateway_id, local_network_gateway_id,
//     peer_virtual_network_gateway_id.

func (b *tfBuilder) gateway(r *tfRes) {
	gw := &Gateway{Meta: b.meta(r), ActiveActive: b.boolDefault(r, false, "active_active"),
		DefaultSite: b.refAt(r, "default_local_network_gateway_id")}
	if t, _ := r.str("type"); strings.EqualFold(t, "ExpressRoute") {
		gw.Type = GatewayExpressRoute
	}
	for i := range b.list(r, "ip_configuration") {
		if sub := b.refAt(r, "ip_configuration", i, "subnet_id"); !sub.IsZero() {
			gw.VNet = Ref(vnetOfSubnet(string(sub)))
		}
		if pip := b.refAt(r, "ip_configuration", i, "public_ip_address_id"); !pip.IsZero() {
			gw.PublicIPs = append(gw.PublicIPs, pip)
		}
	}
	// The instances' addresses: bgp_settings' peering_addresses
	// default_addresses, else peering_address. Known after apply for a new
	// gateway: left out with a warning (and an active-active gateway's
	// are then inferred, as for an ARM input that lacks them).
	var unknown []any
	for i := range b.list(r, "bgp_settings", 0, "peering_addresses") {
		path := []any{"bgp_settings", 0, "peering_addresses", i, "default_addresses"}
		if _, st := r.at(path...); st == tfUnknown {
			unknown = path
			continue
		}
		gw.PrivateIPs = append(gw.PrivateIPs, b.addrs(r, path...)...)
	}
	if _, st := r.at("bgp_settings", 0, "peering_address"); st == tfUnknown && unknown == nil {
		unknown = []any{"bgp_settings", 0, "peering_address"}
	} else if s, ok := r.str("bgp_settings", 0, "peering_address"); ok && len(gw.PrivateIPs) == 0 {
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f == "" {
				continue
			}
			a, err := netip.ParseAddr(f)
			if err != nil {
				b.p.add(r.posAt("bgp_settings", 0, "peering_address"), r.addr, "bgp_settings[0].peering_address", f, ErrInvalid, "want comma-separated IP addresses")
				continue
			}
			gw.PrivateIPs = append(gw.PrivateIPs, a.Unmap())
		}
	}
	if unknown != nil && len(gw.PrivateIPs) == 0 {
		b.unknownWarn(r, unknown, "the gateway's instance addresses are known after apply")
	}
	b.m.Gateways = append(b.m.Gateways, gw)
}

// localGateway maps azurerm_local_network_gateway. Its peer is
// gateway_address or, instead, gateway_fqdn (the provider's ExactlyOneOf):
// a name Azure resolves, so the model's GatewayIP stays invalid and
// GatewayFQDN holds the name. A peer address known after apply (a public
// IP the plan creates) is left out with a warning; neither is an error.
func (b *tfBuilder) localGateway(r *tfRes) {
	l := &LocalNetworkGateway{Meta: b.meta(r), AddressPrefixes: b.prefixes(r, "address_space")}
	_, addrSt := r.at("gateway_address")
	_, fqdnSt := r.at("gateway_fqdn")
	addr, _ := r.str("gateway_address")
	if addr != "" {
		l.GatewayIP = b.addr(r, "gateway_address")
	}
	if s, ok := r.str("gateway_fqdn"); ok && s != "" {
		l.GatewayFQDN = s
	}
	switch {
	case addrSt == tfUnknown:
		b.unknownWarn(r, []any{"gateway_address"}, "the peer VPN device's address is known after apply")
	case fqdnSt == tfUnknown:
		b.unknownWarn(r, []any{"gateway_fqdn"}, "the peer VPN device's FQDN is known after apply")
	case addr != "" && l.GatewayFQDN != "":
		b.p.add(r.posAt("gateway_fqdn"), r.addr, "gateway_fqdn", l.GatewayFQDN, ErrInvalid, "gateway_address and gateway_fqdn are exclusive: give one")
	case addr == "" && l.GatewayFQDN == "":
		b.p.add(r.pos, r.addr, "gateway_address", "", ErrMissing, "gateway_address or gateway_fqdn is required")
	}
	b.m.LocalNetworkGateways = append(b.m.LocalNetworkGateways, l)
}
