package topology

import (
	"net/netip"
	"slices"
	"strings"
)

// Load balancers, application security groups and private endpoints of a
// Terraform plan or state, with the field semantics of their ARM
// counterparts (arm.go). Attribute names are the azurerm provider's
// (registry.terraform.io/providers/hashicorp/azurerm/latest/docs/resources/...),
// verified against its schema at commit
// 69697b7fe6a923fc89e88f386bc95c3ed1ee2ec6 (v5.2.0-14;
// internal/services/loadbalancer/lb_resource.go, lb_backend_address_pool_resource.go,
// lb_outbound_rule_resource.go, lb_rule_resource.go;
// internal/services/network/network_interface_backend_address_pool_association_resource.go,
// network_interface_application_security_group_association_resource.go,
// private_endpoint_resource.go):
//
//   - lb: sku; frontend_ip_configuration blocks with name, id (computed),
//     public_ip_address_id, public_ip_prefix_id, private_ip_address,
//     subnet_id.
//   - lb_backend_address_pool: name, loadbalancer_id.
//   - lb_backend_address_pool_address: backend_address_pool_id,
//     virtual_network_id, ip_address, backend_address_ip_configuration_id
//     (poolAddress).
//   - lb_outbound_rule: name, loadbalancer_id, protocol,
//     backend_address_pool_id, frontend_ip_configuration blocks with name
//     and id (computed), allocated_outbound_ports.
//   - lb_rule: name, loadbalancer_id, protocol, frontend_ip_configuration_name,
//     frontend_ip_configuration_id (computed), backend_address_pool_ids,
//     disable_outbound_snat.
//   - network_interface_backend_address_pool_association:
//     network_interface_id, ip_configuration_name, backend_address_pool_id.
//   - network_interface_application_security_group_association:
//     network_interface_id, application_security_group_id.
//   - private_endpoint: subnet_id, network_interface (computed, id and
//     name), private_service_connection with private_connection_resource_id,
//     subresource_names and private_ip_address (computed), ip_configuration
//     with private_ip_address, custom_dns_configs with ip_addresses.

// lbChildren are the ARM child collections of the load balancer's
// separate Terraform resources.
var lbChildren = map[string]string{
	"azurerm_lb_backend_address_pool": "backendAddressPools",
	"azurerm_lb_outbound_rule":        "outboundRules",
	"azurerm_lb_rule":                 "loadBalancingRules",
}

func (b *tfBuilder) loadBalancer(r *tfRes) {
	switch r.typ {
	case "azurerm_lb":
		lb := &LoadBalancer{Meta: b.meta(r)}
		lb.SKU, _ = r.str("sku")
		for i := range b.list(r, "frontend_ip_configuration") {
			name := strOr(r, "frontend_ip_configuration", i, "name")
			id := Ref(strOr(r, "frontend_ip_configuration", i, "id"))
			if id == "" {
				id = Ref(string(lb.ID) + "/frontendIPConfigurations/" + name)
			}
			fe := &Frontend{Meta: Meta{ID: id, Name: name, Location: lb.Location, Pos: r.posAt("frontend_ip_configuration", i)},
				PublicIP: b.refAt(r, "frontend_ip_configuration", i, "public_ip_address_id"), PublicIPPrefix: b.refAt(r, "frontend_ip_configuration", i, "public_ip_prefix_id"),
				Subnet: b.refAt(r, "frontend_ip_configuration", i, "subnet_id")}
			path := []any{"frontend_ip_configuration", i, "private_ip_address"}
			if _, st := r.at(path...); st == tfUnknown && !fe.Subnet.IsZero() {
				b.unknownWarn(r, path, "the frontend's private IP address is known after apply (dynamic allocation)")
			} else if s, _ := r.str(path...); s != "" {
				fe.PrivateIP = b.addr(r, path...)
			}
			lb.Frontends = append(lb.Frontends, fe)
		}
		b.lbs[lb.ID.Key()] = lb
		b.m.LoadBalancers = append(b.m.LoadBalancers, lb)
	case "azurerm_lb_backend_address_pool":
		if lb := b.lbOf(r); lb != nil {
			lb.BackendPools = append(lb.BackendPools, &BackendPool{Meta: Meta{ID: r.id, Name: strOr(r, "name"), Location: lb.Location, Pos: r.pos}})
		}
	case "azurerm_lb_outbound_rule":
		lb := b.lbOf(r)
		if lb == nil {
			return
		}
		or := &OutboundRule{Meta: Meta{ID: r.id, Name: strOr(r, "name"), Location: lb.Location, Pos: r.pos},
			BackendPool: b.refAt(r, "backend_address_pool_id"), Protocol: strOr(r, "protocol")}
		for i := range b.list(r, "frontend_ip_configuration") {
			if f := b.frontendRef(r, lb, []any{"frontend_ip_configuration", i, "id"}, []any{"frontend_ip_configuration", i, "name"}); !f.IsZero() {
				or.Frontends = append(or.Frontends, f)
			}
		}
		// allocated_outbound_ports (azurerm_lb_outbound_rule; 1024 by the
		// provider's default) is the SNAT port budget per instance.
		or.AllocatedOutboundPorts = b.integer(r, "allocated_outbound_ports")
		lb.OutboundRules = append(lb.OutboundRules, or)
	case "azurerm_lb_rule":
		lb := b.lbOf(r)
		if lb == nil {
			return
		}
		lr := &LBRule{Meta: Meta{ID: r.id, Name: strOr(r, "name"), Location: lb.Location, Pos: r.pos},
			Frontend: b.frontendRef(r, lb, []any{"frontend_ip_configuration_id"}, []any{"frontend_ip_configuration_name"}),
			Protocol: strOr(r, "protocol"), DisableOutboundSnat: b.boolDefault(r, false, "disable_outbound_snat")}
		// backend_address_pool_ids lists one pool (two for a gateway
		// load balancer's rule); the model's rule has one: the first.
		for i := range b.list(r, "backend_address_pool_ids") {
			if p := b.refAt(r, "backend_address_pool_ids", i); !p.IsZero() {
				lr.BackendPool = p
				break
			}
		}
		lb.Rules = append(lb.Rules, lr)
	case "azurerm_network_interface_backend_address_pool_association":
		c := b.nicIPConfig(r)
		if c == nil {
			return
		}
		if p := b.refAt(r, "backend_address_pool_id"); !p.IsZero() && !containsRef(c.BackendPools, p) {
			c.BackendPools = append(c.BackendPools, p)
		}
	case "azurerm_lb_backend_address_pool_address":
		b.poolAddress(r)
	}
}

// poolAddress maps azurerm_lb_backend_address_pool_address, one member of
// a backend pool defined by IP address (name, backend_address_pool_id,
// virtual_network_id, ip_address; backend_address_ip_configuration_id for
// a cross-region load balancer's member, a regional load balancer's
// frontend; internal/services/loadbalancer/lb_backend_address_pool_address_resource.go
// at 084c24059ee36b664a7105fe9dc242a91d8cf283). The pool becomes
// ByIPAddress, and the IP configuration of the input that holds the
// address in that VNet joins it: such a pool gives its members no outbound
// connectivity, a known issue
// (https://learn.microsoft.com/azure/load-balancer/backend-pool-management#limitations),
// which the simulator then states. An address known after apply is taken
// from the NIC the configuration references; else no IP configuration
// joins, with a warning.
func (b *tfBuilder) poolAddress(r *tfRes) {
	pid := b.refAt(r, "backend_address_pool_id")
	if pid.IsZero() {
		return // unknown: warned
	}
	var pool *BackendPool
	for _, lb := range b.m.LoadBalancers {
		for _, p := range lb.BackendPools {
			if p.ID.Key() == pid.Key() {
				pool = p
			}
		}
	}
	if pool == nil {
		b.p.add(r.posAt("backend_address_pool_id"), r.addr, "backend_address_pool_id", string(pid), ErrDangling, "names a backend pool the input does not hold")
		return
	}
	if s, _ := r.str("backend_address_ip_configuration_id"); s != "" {
		return // a cross-region load balancer's member: a regional frontend, no IP configuration
	}
	pool.ByIPAddress = true
	join := func(c *IPConfig) {
		if !containsRef(c.BackendPools, pid) {
			c.BackendPools = append(c.BackendPools, pid)
		}
	}
	if _, st := r.at("ip_address"); st == tfUnknown {
		t, why := b.resolve(r, r.expr("ip_address"))
		if t != nil && t.typ == "azurerm_network_interface" && b.nics[t.id.Key()] != nil {
			if c := b.nics[t.id.Key()].Primary(); c != nil {
				join(c)
				return
			}
		}
		if t != nil {
			why = "it names " + t.addr + ", not a network interface"
		}
		b.unknownWarn(r, []any{"ip_address"}, "the pool member's address is known after apply, and "+why+": no IP configuration joins the pool")
		return
	}
	a := b.addr(r, "ip_address")
	if !a.IsValid() {
		return // reported
	}
	vnet := b.refAt(r, "virtual_network_id")
	for _, n := range b.m.NICs {
		for _, c := range n.IPConfigs {
			if c.PrivateIP == a && (vnet.IsZero() || strings.EqualFold(vnetOfSubnet(string(c.Subnet)), string(vnet))) {
				join(c)
			}
		}
	}
}

// lbOf returns the load balancer a child's loadbalancer_id names.
func (b *tfBuilder) lbOf(r *tfRes) *LoadBalancer {
	if r.lb.IsZero() {
		return nil // unknown: warned
	}
	lb := b.lbs[r.lb.Key()]
	if lb == nil {
		b.p.add(r.posAt("loadbalancer_id"), r.addr, "loadbalancer_id", string(r.lb), ErrDangling, "names a load balancer the input does not hold")
	}
	return lb
}

// frontendRef returns the frontend IP configuration a load balancer child
// names: its computed id when known, else its name on lb.
func (b *tfBuilder) frontendRef(r *tfRes, lb *LoadBalancer, idPath, namePath []any) Ref {
	if id, ok := r.str(idPath...); ok && id != "" {
		return Ref(id)
	}
	name, ok := r.str(namePath...)
	if !ok || name == "" {
		if _, st := r.at(namePath...); st == tfUnknown {
			b.unknownWarn(r, namePath, "frontend IP configuration name known after apply")
		}
		return ""
	}
	for _, f := range lb.Frontends {
		if strings.EqualFold(f.Name, name) {
			return f.ID
		}
	}
	b.p.add(r.posAt(namePath...), r.addr, pathString(namePath), name, ErrDangling, "load balancer %s has no frontend IP configuration of that name", lb.Name)
	return ""
}

// nicOf returns the NIC an association's network_interface_id names.
func (b *tfBuilder) nicOf(r *tfRes) *NIC {
	id := b.refAt(r, "network_interface_id")
	if id.IsZero() {
		return nil
	}
	n := b.nics[id.Key()]
	if n == nil {
		b.p.add(r.posAt("network_interface_id"), r.addr, "network_interface_id", string(id), ErrDangling, "names a network interface the input does not hold")
	}
	return n
}

// nicIPConfig returns the IP configuration an association's
// network_interface_id and ip_configuration_name name.
func (b *tfBuilder) nicIPConfig(r *tfRes) *IPConfig {
	n := b.nicOf(r)
	if n == nil {
		return nil
	}
	name, _ := r.str("ip_configuration_name")
	for _, c := range n.IPConfigs {
		if strings.EqualFold(c.Name, name) {
			return c
		}
	}
	b.p.add(r.posAt("ip_configuration_name"), r.addr, "ip_configuration_name", name, ErrDangling, "network interface %s has no IP configuration of that name", n.Name)
	return nil
}

// nicASG maps an azurerm_network_interface_application_security_group_association:
// the provider adds the ASG to every IP configuration of the NIC (its
// create function appends it to the NIC's list and writes that list to
// each ipConfigurations entry: hashicorp/terraform-provider-azurerm,
// internal/services/network/network_interface_application_security_group_association_resource.go).
// Provider v1 had an ip_configuration_name; when a state still holds one,
// only that configuration.
func (b *tfBuilder) nicASG(r *tfRes) {
	n := b.nicOf(r)
	if n == nil {
		return
	}
	a := b.refAt(r, "application_security_group_id")
	if a.IsZero() {
		return
	}
	configs := n.IPConfigs
	if name, ok := r.str("ip_configuration_name"); ok && name != "" {
		if c := b.nicIPConfig(r); c != nil {
			configs = []*IPConfig{c}
		} else {
			return
		}
	}
	for _, c := range configs {
		if !containsRef(c.ASGs, a) {
			c.ASGs = append(c.ASGs, a)
		}
	}
}

// privateEndpoint maps an azurerm_private_endpoint. Its addresses are
// those of its ip_configuration blocks (static), its
// private_service_connection's private_ip_address and its
// custom_dns_configs; in a plan of a new endpoint they are known after
// apply, and left out with a warning.
func (b *tfBuilder) privateEndpoint(r *tfRes) {
	pe := &PrivateEndpoint{Meta: b.meta(r), Subnet: b.refAt(r, "subnet_id")}
	if _, st := r.at("network_interface", 0, "id"); st == tfKnown {
		pe.NIC = b.refAt(r, "network_interface", 0, "id")
	}
	var unknown []any
	var ips []netip.Addr
	addIP := func(path ...any) {
		switch _, st := r.at(path...); st {
		case tfUnknown:
			if unknown == nil {
				unknown = path
			}
		case tfKnown:
			if s, _ := r.str(path...); s != "" {
				if a := b.addr(r, path...); a.IsValid() {
					ips = append(ips, a)
				}
			}
		}
	}
	for i := range b.list(r, "ip_configuration") {
		addIP("ip_configuration", i, "private_ip_address")
	}
	if len(b.list(r, "private_service_connection")) > 0 {
		pe.Service = b.refAt(r, "private_service_connection", 0, "private_connection_resource_id")
		if g := b.strs(r, "private_service_connection", 0, "subresource_names"); len(g) > 0 {
			pe.GroupID = g[0]
		}
		addIP("private_service_connection", 0, "private_ip_address")
	}
	for i := range b.list(r, "custom_dns_configs") {
		for j := range b.list(r, "custom_dns_configs", i, "ip_addresses") {
			addIP("custom_dns_configs", i, "ip_addresses", j)
		}
	}
	if len(ips) == 0 && unknown != nil {
		b.unknownWarn(r, unknown, "the private endpoint's private IP address is known after apply")
	}
	slices.SortFunc(ips, netip.Addr.Compare)
	pe.IPs = slices.Compact(ips)
	b.m.PrivateEndpoints = append(b.m.PrivateEndpoints, pe)
}
