package topology

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/ipproto"
)

// InjectedKind is the type of an [InjectedResource]: a service whose
// resources Azure injects into a subnet delegated to it, where they take
// addresses of their own.
type InjectedKind uint8

// Injected resource kinds.
const (
	InjectedContainerGroup InjectedKind = iota // Microsoft.ContainerInstance/containerGroups
	InjectedPostgreSQL                         // Microsoft.DBforPostgreSQL/flexibleServers
	InjectedMySQL                              // Microsoft.DBforMySQL/flexibleServers
	numInjectedKinds
)

// injectedFacts is what egress knows of one kind, with its source.
type injectedFacts struct {
	name       string // the kind's name (String)
	noun       string // how results name it
	armType    string // the ARM resource type
	delegation string // the serviceName its subnet must be delegated to
	source     string // the Learn page that says so
	// addressKnown: the ARM resource carries the address it takes in the
	// subnet (a container group's ipAddress.ip); a flexible server's
	// resource does not.
	addressKnown bool
}

// injectedKinds are the per-kind facts. Each delegation is the one the
// service's Learn page requires:
//   - container groups: "The subnet that you use for container groups can
//     contain only container groups. Before you deploy a container group to
//     a subnet, you must explicitly delegate the subnet"
//     (container-instances-virtual-network-concepts, 2024-08-29), to
//     Microsoft.ContainerInstance/containerGroups (container-instances-vnet);
//   - PostgreSQL and MySQL flexible servers with private access (VNet
//     integration): a subnet delegated to
//     Microsoft.DBforPostgreSQL/flexibleServers or
//     Microsoft.DBforMySQL/flexibleServers, named by
//     network.delegatedSubnetResourceId (concepts-networking-private,
//     concepts-networking-vnet; the REST reference's Network model).
var injectedKinds = [numInjectedKinds]injectedFacts{
	{"ContainerGroup", "container group", "Microsoft.ContainerInstance/containerGroups", "Microsoft.ContainerInstance/containerGroups",
		"https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts", true},
	{"PostgreSQLFlexibleServer", "PostgreSQL flexible server", "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.DBforPostgreSQL/flexibleServers",
		"https://learn.microsoft.com/azure/postgresql/flexible-server/concepts-networking-private", false},
	{"MySQLFlexibleServer", "MySQL flexible server", "Microsoft.DBforMySQL/flexibleServers", "Microsoft.DBforMySQL/flexibleServers",
		"https://learn.microsoft.com/azure/mysql/flexible-server/concepts-networking-vnet", false},
}

// String returns the kind's name ("ContainerGroup", ...).
func (k InjectedKind) String() string {
	if k < numInjectedKinds {
		return injectedKinds[k].name
	}
	return fmt.Sprintf("InjectedKind(%d)", uint8(k))
}

// Noun returns how results name a resource of the kind ("container group").
func (k InjectedKind) Noun() string {
	if k < numInjectedKinds {
		return injectedKinds[k].noun
	}
	return k.String()
}

// Type returns the kind's ARM resource type, or "" for an invalid kind.
func (k InjectedKind) Type() string {
	if k < numInjectedKinds {
		return injectedKinds[k].armType
	}
	return ""
}

// Delegation returns the service name a subnet must be delegated to for
// the kind's resources (subnet delegations[].properties.serviceName), or ""
// for an invalid kind.
func (k InjectedKind) Delegation() string {
	if k < numInjectedKinds {
		return injectedKinds[k].delegation
	}
	return ""
}

// Source returns the Microsoft Learn page that documents the kind's subnet
// and delegation, or "" for an invalid kind.
func (k InjectedKind) Source() string {
	if k < numInjectedKinds {
		return injectedKinds[k].source
	}
	return ""
}

// AddressInResource reports whether the kind's ARM resource carries the
// private address the resource takes in its subnet: a container group's
// does (properties.ipAddress.ip); a flexible server's does not (Azure
// assigns it in the delegated subnet and the server's properties have only
// its FQDN and private DNS zone).
func (k InjectedKind) AddressInResource() bool {
	return k < numInjectedKinds && injectedKinds[k].addressKnown
}

// InjectedKindOf returns the kind of an ARM resource type (any letter case).
func InjectedKindOf(armType string) (InjectedKind, bool) {
	for i, f := range injectedKinds {
		if strings.EqualFold(f.armType, armType) {
			return InjectedKind(i), true
		}
	}
	return 0, false
}

// ParseInjectedKind parses a kind's name or ARM type, in any letter case.
func ParseInjectedKind(s string) (InjectedKind, error) {
	for i, f := range injectedKinds {
		if strings.EqualFold(f.name, s) || strings.EqualFold(f.armType, s) {
			return InjectedKind(i), nil
		}
	}
	return 0, fmt.Errorf("unknown injected resource kind %q: want ContainerGroup, PostgreSQLFlexibleServer or MySQLFlexibleServer", s)
}

// IPAddressType is a container group's properties.ipAddress.type.
type IPAddressType uint8

// Values of ipAddress.type
// (https://learn.microsoft.com/rest/api/container-instances/container-groups/get:
// ContainerGroupIpAddressType).
const (
	IPAddressNone    IPAddressType = iota // no ipAddress in the input
	IPAddressPrivate                      // Private: an address of its subnet
	IPAddressPublic                       // Public: exposed to the internet, not in a virtual network
)

var ipAddressTypeNames = [...]string{"", "Private", "Public"}

// String returns the ARM spelling ("" for IPAddressNone).
func (t IPAddressType) String() string {
	if int(t) < len(ipAddressTypeNames) {
		return ipAddressTypeNames[t]
	}
	return fmt.Sprintf("IPAddressType(%d)", uint8(t))
}

// ParseIPAddressType parses the ARM spelling, case-insensitively; "" is
// IPAddressNone.
func ParseIPAddressType(s string) (IPAddressType, error) {
	for i, n := range ipAddressTypeNames {
		if strings.EqualFold(n, s) {
			return IPAddressType(i), nil
		}
	}
	return 0, fmt.Errorf("unknown ipAddress.type %q (want Private or Public)", s)
}

// InjectedPort is a port a container group exposes (ipAddress.ports[]).
type InjectedPort struct {
	Protocol ipproto.Proto // TCP or UDP
	Port     uint16
}

// InjectedResource is a resource of a service that Azure injects into a
// subnet delegated to it, where it owns addresses
// (https://learn.microsoft.com/azure/virtual-network/subnet-delegation-overview):
// an Azure Container Instances container group with subnetIds, or a
// PostgreSQL or MySQL flexible server with a delegated subnet
// (network.delegatedSubnetResourceId). Kind says which; the fields that do
// not apply to a kind are zero.
//
// A flexible server's private address is not in its ARM resource: egress
// knows the server is in the subnet, but not which address it has, and a
// flow to the subnet is Unknown, naming it.
//
// The zero value is a container group in no subnet, with no address. Like
// every resource of a [Model] it is plain mutable data, not safe for
// concurrent use; copy it with [Model.Clone]. Invalid values (an address
// outside its subnet, a public address in a virtual network, an unknown
// kind) are reported by [Model.Check], never acted on.
type InjectedResource struct {
	Meta
	Kind InjectedKind
	// Subnets are a container group's subnetIds[].id, or a flexible
	// server's network.delegatedSubnetResourceId; empty when the resource
	// is not in a virtual network.
	Subnets []Ref
	// AddressType and IP are a container group's ipAddress.type and
	// ipAddress.ip (the private address it has in its subnet, when the
	// input gives it).
	AddressType IPAddressType
	IP          netip.Addr
	// IPPos is where IP was read, for problems (zero: the resource's Pos).
	IPPos Pos
	// Ports are a container group's ipAddress.ports.
	Ports []InjectedPort
	// OSType is a container group's osType ("Linux", "Windows").
	OSType string
	// PublicNetworkAccess is a flexible server's
	// network.publicNetworkAccess ("Enabled", "Disabled"), as written.
	PublicNetworkAccess string
	// PrivateDNSZone is a flexible server's private DNS zone
	// (network.privateDnsZoneArmResourceId on PostgreSQL,
	// network.privateDnsZoneResourceId on MySQL).
	PrivateDNSZone Ref
	// FQDN is a flexible server's fullyQualifiedDomainName.
	FQDN string
}

// validateInjected checks the injected resources: a valid kind, an address
// type that fits the subnet (a container group in a virtual network has no
// public address, nor an IPv6 one: container-instances-virtual-network-concepts),
// an address inside its subnet's prefixes, not one Azure reserves and not
// another NIC's or container group's in the VNet (errors); subnets outside
// the input (external) and subnets not delegated to the kind's service
// (warnings).
func (m *Model) validateInjected(p *problems, w *warnList) {
	type holder struct {
		vnet *VNet
		what string
	}
	var held map[netip.Addr][]holder // the NICs' and container groups' addresses, built when one has an address
	for _, r := range m.Injected {
		res := string(r.ID)
		if r.Kind >= numInjectedKinds {
			p.add(r.Pos, res, "kind", r.Kind.String(), ErrInvalid, "want ContainerGroup, PostgreSQLFlexibleServer or MySQLFlexibleServer")
			continue
		}
		field := "subnetIds"
		if r.Kind != InjectedContainerGroup {
			field = "network.delegatedSubnetResourceId"
		}
		ipPos := r.IPPos
		if !ipPos.IsValid() {
			ipPos = r.Pos
		}
		if r.Kind != InjectedContainerGroup && r.IP.IsValid() {
			p.add(ipPos, res, "ipAddress.ip", r.IP.String(), ErrNotAllowed, "a %s has no ipAddress: its address is not in its ARM resource", r.Kind.Noun())
		}
		if r.Kind == InjectedContainerGroup && len(r.Subnets) > 0 && r.AddressType == IPAddressPublic {
			p.add(r.Pos, res, "ipAddress.type", "Public", ErrNotAllowed, "a container group in a virtual network (subnetIds) has no public IP address: \"Container groups deployed to a virtual network don't currently support exposing containers directly to the internet with a public IP address\" (%s)", r.Kind.Source())
		}
		if r.Kind == InjectedContainerGroup && len(r.Subnets) > 0 && r.IP.IsValid() && !r.IP.Is4() {
			p.add(ipPos, res, "ipAddress.ip", r.IP.String(), ErrNotAllowed, "container groups in a virtual network have no IPv6 addresses (%s)", r.Kind.Source())
		}
		inside := false
		for i, ref := range r.Subnets {
			f := field
			if r.Kind == InjectedContainerGroup {
				f = fmt.Sprintf("subnetIds[%d].id", i)
			}
			s, ok := checkRef[*Subnet](m, p, r.Pos, res, f, ref, "subnet")
			if !ok {
				inside = inside || !ref.IsZero() // external: whether the address is inside cannot be checked
				continue
			}
			if !slices.ContainsFunc(s.Delegations, func(d string) bool { return strings.EqualFold(d, r.Kind.Delegation()) }) {
				detail := fmt.Sprintf("the subnet is not delegated to %s, which a %s needs; Azure refuses the deployment otherwise, so the input is probably stale (%s)", r.Kind.Delegation(), r.Kind.Noun(), r.Kind.Source())
				if len(s.Delegations) > 0 {
					detail = fmt.Sprintf("the subnet is delegated to %s, not %s, which a %s needs (%s)", strings.Join(s.Delegations, ", "), r.Kind.Delegation(), r.Kind.Noun(), r.Kind.Source())
				}
				w.warn(r.Pos, res, f, string(ref), ErrInvalid, "%s", detail)
			}
			i := slices.IndexFunc(s.Prefixes, func(q netip.Prefix) bool { return q.Contains(r.IP) })
			if i < 0 {
				continue
			}
			inside = true
			if reservedInSubnet(s.Prefixes[i], r.IP) {
				p.add(ipPos, res, "ipAddress.ip", r.IP.String(), ErrInvalid, "Azure reserves the first four and the last address of subnet %v", s.Prefixes[i])
			}
			if held == nil {
				held = map[netip.Addr][]holder{}
				for _, n := range m.NICs {
					for _, c := range n.IPConfigs {
						if sn, ok := lookup[*Subnet](m, c.Subnet); ok && c.PrivateIP.IsValid() {
							held[c.PrivateIP] = append(held[c.PrivateIP], holder{sn.VNet, fmt.Sprintf("NIC %q", n.Name)})
						}
					}
				}
			}
			for _, o := range held[r.IP] {
				if o.vnet == s.VNet {
					p.add(ipPos, res, "ipAddress.ip", r.IP.String(), ErrDuplicate, "also the address of %s", o.what)
					break
				}
			}
			held[r.IP] = append(held[r.IP], holder{s.VNet, fmt.Sprintf("container group %q", r.Name)})
		}
		if r.IP.IsValid() && len(r.Subnets) > 0 && !inside {
			p.add(ipPos, res, "ipAddress.ip", r.IP.String(), ErrInvalid, "the address is not inside the prefixes of the container group's subnet")
		}
	}
}

// InjectedView is an injected resource of a [Network] (a container group,
// a flexible server), with the subnet it is in. It is a small value, safe
// to copy and for concurrent use; its methods are O(1) and return copies.
type InjectedView struct {
	n *Network
	i int32
}

type injRec struct {
	r      *InjectedResource
	subnet int32 // the subnet holding it (the one its address is in, else the first in the network), or -1
}

// NumInjected returns the number of injected resources, indexed in model
// order.
func (n *Network) NumInjected() int { return len(n.injs) }

// Injected returns injected resource i; it panics if i is out of range.
func (n *Network) Injected(i int) InjectedView { _ = n.injs[i]; return InjectedView{n, int32(i)} }

func (v InjectedView) rec() *injRec { return &v.n.injs[v.i] }

// Index returns the resource's index.
func (v InjectedView) Index() int { return int(v.i) }

// Name returns the resource's name.
func (v InjectedView) Name() string { return v.rec().r.Name }

// ID returns the resource's ID.
func (v InjectedView) ID() Ref { return v.rec().r.ID }

// Kind returns what the resource is.
func (v InjectedView) Kind() InjectedKind { return v.rec().r.Kind }

// Pos returns where the resource was read from.
func (v InjectedView) Pos() Pos { return v.rec().r.Pos }

// IP returns the resource's private address in its subnet, when the input
// gives it (a container group's ipAddress.ip); the zero Addr otherwise.
func (v InjectedView) IP() netip.Addr { return v.rec().r.IP }

// AddressType returns a container group's ipAddress.type.
func (v InjectedView) AddressType() IPAddressType { return v.rec().r.AddressType }

// Subnet returns the subnet the resource is in, when it is in the network:
// the one its address is in, else the first of its subnets the network
// holds.
func (v InjectedView) Subnet() (SubnetView, bool) {
	s := v.rec().subnet
	return SubnetView{v.n, s}, s >= 0
}

// SubnetRefs returns a copy of the resource's subnet references.
func (v InjectedView) SubnetRefs() []Ref { return slices.Clone(v.rec().r.Subnets) }

// Resource returns a copy of the resource.
func (v InjectedView) Resource() *InjectedResource { return clone(v.rec().r) }

// injectedViews builds the injected resources' records of a network.
func (n *Network) injectedViews(s *Model) {
	for _, r := range s.Injected {
		rec := injRec{r: r, subnet: -1}
		for _, ref := range r.Subnets {
			si, ok := get(n.subnetByKey, ref)
			if !ok || ref.IsZero() {
				continue
			}
			if rec.subnet < 0 {
				rec.subnet = si
			}
			if r.IP.IsValid() && slices.ContainsFunc(n.subnets[si].s.Prefixes, func(q netip.Prefix) bool { return q.Contains(r.IP) }) {
				rec.subnet = si
				break
			}
		}
		n.injs = append(n.injs, rec)
	}
}
