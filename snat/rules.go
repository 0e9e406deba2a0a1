package snat

// Rule is one documented number of the SNAT supply, with its source.
type Rule struct {
	Name   string `json:"name"` // a short identifier, as results cite it
	Value  int    `json:"value"`
	Text   string `json:"text"`   // what the number means, in the source's words
	Source string `json:"source"` // the Microsoft Learn page
}

// The documented numbers. They are data, not code: each result cites the
// rules it used by Name.
const (
	srcNATResource = "https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource"
	srcNATSKU      = "https://learn.microsoft.com/azure/nat-gateway/nat-sku"
	srcLBOutbound  = "https://learn.microsoft.com/azure/load-balancer/load-balancer-outbound-connections"
	srcLBRules     = "https://learn.microsoft.com/azure/load-balancer/outbound-rules"
	srcFirewall    = "https://learn.microsoft.com/azure/firewall/integrate-with-nat-gateway"
	srcFirewallIPs = "https://learn.microsoft.com/azure/firewall/deploy-multi-public-ip-powershell"
)

// Documented limits.
var (
	NATPortsPerIP          = Rule{"nat-ports-per-ip", 64512, "each NAT gateway public IP address provides 64,512 SNAT ports", srcNATResource}
	NATMaxIPs              = Rule{"nat-max-ips", 16, "a NAT gateway uses up to 16 IP addresses (per family for StandardV2)", srcNATSKU}
	NATConnsPerIPPerDest   = Rule{"nat-connections-per-ip-per-destination", 50000, "up to 50,000 concurrent connections per public IP address to the same destination endpoint", srcNATSKU}
	NATTotalConnections    = Rule{"nat-total-connections", 2000000, "up to 2 million connections in total", srcNATSKU}
	LBPortsPerFrontendIP   = Rule{"lb-ports-per-frontend-ip", 64000, "each frontend public IP address provides 64,000 ports for SNAT", srcLBRules}
	LBPortGranularity      = Rule{"lb-port-granularity", 8, "ports are allocated in multiples of 8; other values are rejected", srcLBRules}
	FirewallPortsPerIP     = Rule{"firewall-ports-per-ip-per-instance", 2496, "2,496 SNAT ports per public IP address per backend instance", srcFirewall}
	FirewallMinInstances   = Rule{"firewall-min-instances", 2, "a minimum of two backend instances", srcFirewall}
	FirewallMaxPublicIPs   = Rule{"firewall-max-public-ips", 250, "up to 250 public IP addresses (DNAT destinations count against it)", srcFirewallIPs}
	LBDefaultMaxPoolSize   = Rule{"lb-default-max-pool", 1000, "the default allocation table ends at 1,000 instances", srcLBOutbound}
	InstancePublicIPNoSNAT = Rule{"ilpip-no-snat", 0, "SNAT isn't used: the instance has all ephemeral ports available", srcLBOutbound}
	DefaultOutboundUnknown = Rule{"default-outbound-undocumented", 0, "default outbound access allocates \"a minimal number of ports\"; the number is not documented", srcLBOutbound}
)

// DefaultAllocation is the load balancer's default SNAT port preallocation
// per IP configuration by backend pool size ("Default port allocation
// table", srcLBOutbound): {largest pool size of the row, ports}.
var DefaultAllocation = [...][2]int{
	{50, 1024},
	{100, 512},
	{200, 256},
	{400, 128},
	{800, 64},
	{1000, 32},
}

// DefaultPorts returns the default preallocation for a backend pool of n
// instances, and false for a pool size outside the table (0, or more than
// 1,000).
func DefaultPorts(n int) (int, bool) {
	if n <= 0 {
		return 0, false
	}
	for _, row := range DefaultAllocation {
		if n <= row[0] {
			return row[1], true
		}
	}
	return 0, false
}

// Documented returns every documented number the rules use, in a fixed
// order, for reports that cite their sources.
func Documented() []Rule {
	return []Rule{NATPortsPerIP, NATMaxIPs, NATConnsPerIPPerDest, NATTotalConnections, LBPortsPerFrontendIP, LBPortGranularity,
		LBDefaultMaxPoolSize, FirewallPortsPerIP, FirewallMinInstances, FirewallMaxPublicIPs, InstancePublicIPNoSNAT, DefaultOutboundUnknown}
}
