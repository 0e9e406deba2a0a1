package topology

import "strings"

// NATGatewaySKU is what a NAT gateway SKU supports, one row of Azure's SKU
// comparison (https://learn.microsoft.com/azure/nat-gateway/nat-sku). The
// validator and the simulator read SKU-dependent behaviour from this table
// only.
type NATGatewaySKU struct {
	// Name is the ARM sku.name: "Standard" or "StandardV2".
	Name string
	// ICMP: the gateway carries ICMP echo request and reply (ping), IPv4
	// and IPv6; otherwise only TCP and UDP ("Protocols").
	ICMP bool
	// IPv6: IPv6 public IPs and prefixes ("Public IP version").
	IPv6 bool
	// VNetAttach: the gateway can be attached to a whole virtual network
	// (sourceVirtualNetwork; "attached at virtual network level").
	VNetAttach bool
	// PublicIPSKU is the SKU its public IPs and prefixes must have
	// ("The StandardV2 SKU requires StandardV2 public IP addresses and
	// prefixes"); "" when any Standard-tier address will do.
	PublicIPSKU string
	// MaxIPv4, MaxIPv6 are the addresses it can use, counting every address
	// of a prefix ("16 IPv4 addresses, 16 IPv6 addresses").
	MaxIPv4, MaxIPv6 int
	// BreaksLBIPv6: in a subnet with this gateway, IPv6 outbound through
	// load-balancer outbound rules is disrupted (known issue of StandardV2).
	BreaksLBIPv6 bool
}

var natGatewaySKUs = []NATGatewaySKU{
	{Name: "Standard", MaxIPv4: 16},
	{Name: "StandardV2", ICMP: true, IPv6: true, VNetAttach: true, PublicIPSKU: "StandardV2", MaxIPv4: 16, MaxIPv6: 16, BreaksLBIPv6: true},
}

// LookupNATGatewaySKU returns the row of a NAT gateway SKU, by name in any
// letter case; "" is Standard, the SKU a NAT gateway has when none is given.
func LookupNATGatewaySKU(name string) (NATGatewaySKU, bool) {
	if name == "" {
		name = "Standard"
	}
	for _, s := range natGatewaySKUs {
		if strings.EqualFold(s.Name, name) {
			return s, true
		}
	}
	return NATGatewaySKU{}, false
}
