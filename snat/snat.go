// Package snat holds the documented SNAT port supply of each way Azure
// sends traffic to the internet, and measures demand against it.
//
// It is a pure engine, like route, nsg and firewall: it knows nothing of
// topology or simulate. A [Pool] describes one inventory of SNAT ports as
// the simulator found it (a NAT gateway with its public addresses, a load
// balancer outbound rule with its frontends and backend pool, an Azure
// Firewall with its public IPs, ...). [Pool.Supply] applies the documented
// rules, kept as data in [Rules] with their sources, and [Evaluate] sets a
// peak demand against the supply: headroom, the sources that exhaust it
// first, and what would fix it.
//
// The rules follow Microsoft Learn:
//   - NAT gateway: 64,512 SNAT ports per public IP address, up to 16
//     addresses; the inventory is shared on demand by every subnet and VM
//     behind the gateway; a port is reused for different destination
//     endpoints, so the limit applies per destination endpoint, where the
//     gateway supports 50,000 concurrent connections per public IP; 2
//     million connections in total; TCP and UDP are separate inventories
//     (https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource,
//     https://learn.microsoft.com/azure/nat-gateway/nat-sku).
//   - Load balancer: 64,000 SNAT ports per frontend IP address, preallocated
//     per backend instance (IP configuration): allocatedOutboundPorts of an
//     outbound rule, or the default allocation table by backend pool size;
//     a TCP port serves one destination IP and port, a UDP port one
//     destination IP whatever the port (port-restricted cone NAT)
//     (https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections,
//     https://learn.microsoft.com/azure/load-balancer/outbound-rules).
//   - Azure Firewall: 2,496 SNAT ports per public IP address per backend
//     instance, at least two instances, up to 250 public IPs
//     (https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway).
//   - Instance-level public IP: no SNAT; the instance has all ephemeral ports.
//   - Default outbound access: the supply is not documented ([Supply.Known]
//     is false), and so is an App Service app's shared outbound.
package snat

import (
	"fmt"
)

// Kind is a way out whose SNAT ports are counted.
type Kind uint8

// Kinds of pools.
const (
	KindUnknown          Kind = iota // not a way to the internet with SNAT (private, gateway, service endpoint, ...)
	NATGateway                       // a NAT gateway's public IPs and prefixes
	LoadBalancerOutbound             // a load balancer outbound rule (allocatedOutboundPorts, or the default table when 0)
	LoadBalancerRule                 // a load-balancing rule's implicit outbound SNAT (the default table)
	AzureFirewall                    // an Azure Firewall's public IPs
	InstancePublicIP                 // the IP configuration's own public IP: no SNAT
	DefaultOutbound                  // default outbound access: supply not documented
	AppService                       // an App Service app's shared outbound addresses: supply not in the input
	numKinds
)

var kindNames = [numKinds]string{"Unknown", "NATGateway", "LoadBalancerOutboundRule", "LoadBalancerRule",
	"AzureFirewall", "InstancePublicIP", "DefaultOutbound", "AppService"}

// String returns the kind's name.
func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Scope says who shares a pool's ports.
type Scope uint8

// Scopes.
const (
	// ScopePool: every source behind the pool draws on one inventory (NAT
	// gateway, Azure Firewall).
	ScopePool Scope = iota
	// ScopeInstance: each backend instance has its own preallocated ports
	// (load balancer); demand is summed per instance.
	ScopeInstance
)

// String returns "pool" or "instance".
func (s Scope) String() string {
	if s == ScopeInstance {
		return "instance"
	}
	return "pool"
}

// MarshalText implements encoding.TextMarshaler.
func (s Scope) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Key says what one SNAT port is reused across: connections to different
// keys can share a port, connections to the same key cannot.
type Key uint8

// Destination keys.
const (
	// KeyEndpoint: destination IP and port (NAT gateway; load balancer TCP).
	KeyEndpoint Key = iota
	// KeyAddress: destination IP whatever the port (load balancer UDP:
	// port-restricted cone NAT).
	KeyAddress
	// KeyNone: no documented reuse across destinations: every connection
	// counts against the one inventory (Azure Firewall).
	KeyNone
)

// String returns the key's name.
func (k Key) String() string {
	switch k {
	case KeyAddress:
		return "destination IP"
	case KeyNone:
		return "all destinations"
	}
	return "destination IP and port"
}

// MarshalText implements encoding.TextMarshaler.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
