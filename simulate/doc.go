// Package simulate compiles a [topology.Network] (what [topology.Load]
// returns) into an immutable [Engine] that answers, for a flow from a NIC to a destination, how Azure handles it:
// hop by hop ([Engine.Trace]), or as a compact decision on a hot path
// ([Engine.Classify], no allocation). It also compares two engines on a set
// of flows ([Diff], the unit of a what-if test), audits a network for
// data-egress risks ([Engine.Audit]), and maps every destination of a NIC
// at once ([Engine.Reach]: an [EgressMap] of classes of flows with one
// outcome each, exact rather than sampled; reach.go states why).
//
// # The walk
//
// From the source NIC: the outbound admin rules and NSGs (NIC, then subnet;
// package nsg), then the route lookup in the NIC's subnet (package route),
// then the next hop (azure-semantics §3.3):
//
//   - VnetLocal, peering, connected group, private endpoint: the destination
//     NIC's inbound admin rules and NSGs (subnet, then NIC). Traffic that an
//     appliance forwards into a peered VNet needs that VNet's peering to allow
//     forwarded traffic.
//   - VirtualAppliance (and ECMP, first next hop): an Azure Firewall, an NVA
//     NIC (inbound and outbound NSGs apply; without IP forwarding the traffic
//     is dropped), or an internal load balancer (Unknown: the backend is not
//     modelled). Routing then continues from the appliance's subnet, so hub
//     and spoke, forced tunnelling and chains of appliances follow; a route
//     back to an appliance already crossed ends as a loop, and MaxHops bounds
//     the rest.
//   - VirtualNetworkGateway: leaves to on-premises; no Azure egress IP. A
//     gateway with a default site (gatewayDefaultSite) adds 0.0.0.0/0 for
//     its VNet and its gateway-transit spokes: forced tunnelling, named in
//     the hop. A route an NVA advertised to Route Server (listed as
//     VirtualNetworkGateway) leads to that NVA, as a VirtualAppliance route.
//   - VirtualNetworkServiceEndpoint: reaches the service with the private
//     source IP.
//   - Internet: the egress method in Azure's precedence — NAT gateway (the
//     subnet's, else a StandardV2 one attached to the whole VNet), instance
//     public IP, load balancer outbound rule or load-balancing rule SNAT,
//     default outbound access unless the subnet is private or a public IP on
//     any NIC of the VM turns it off (NICs are grouped by
//     topology.NIC.VirtualMachine; a NIC whose VM is unknown is its own VM) —
//     or NoEgress with the reason. What a NAT gateway carries follows its
//     SKU (topology.LookupNATGatewaySKU: Standard TCP and UDP over IPv4;
//     StandardV2 also ICMP echo and IPv6). Out of an Azure Firewall that did
//     not SNAT the flow (its SNAT private ranges hold the destination, e.g.
//     0.0.0.0/0), internet-bound traffic has no way out
//     (https://learn.microsoft.com/azure/firewall/snat-private-range).
//   - None: dropped.
//
// 168.63.129.16 and 169.254.169.254 are host-local: they are allowed unless a
// rule naming AzurePlatformDNS/IMDS/LKM denies them, and never routed.
//
// # Assumptions, stated in every result that relies on them
//
//   - An Azure Firewall is decided by its policy, or by its classic rule
//     collections when it has no policy (package firewall,
//     [FirewallEvaluate], the default); a firewall with neither in the
//     model, or a rule before the deciding one that cannot be decided
//     offline (web categories, FQDN tags, unresolved names, values a
//     Terraform plan knows only after apply), gives Unknown,
//     with the path beyond it as if it allowed. [FirewallUnknown] and
//     [FirewallAllow] skip the rules. The firewall SNATs what its verdict says (network
//     rules: destinations outside its private ranges; application rules:
//     always), and leaves through a NAT gateway on AzureFirewallSubnet if
//     there is one, else its public IPs. Application rules see the flow's
//     host name (Flow.ToFQDN or Flow.Host, [Engine.ClassifyHost]) as the SNI
//     or Host header: HTTP on port 80, MSSQL on 1433, HTTPS otherwise.
//   - A third-party NVA forwards everything and SNATs internet-bound traffic
//     to its own address ([NVAForward], the default), or is Unknown.
//   - A subnet that does not set defaultOutboundAccess (inputs from API
//     versions before 2025-07-01 omit it) keeps default outbound access,
//     unless [Options.PrivateByDefault] (VNets created with 2025-07-01 and
//     later are private by default); results say which state applied.
//   - A subnet's own NAT gateway takes precedence over a StandardV2 gateway
//     attached to its VNet (undocumented). ICMP flows are echo requests.
//   - ECMP: the first next hop is followed; Azure's hash is undocumented.
//   - A user route to VirtualNetworkGateway in a VNet without a VPN gateway
//     (own, or over gateway transit) drops the traffic (spec §7.2: Azure's
//     behaviour is undocumented); so does a next-hop address that no NIC,
//     firewall or load balancer in the VNet or its peers has. A remote
//     gateway outside the input (useRemoteGateways) may be a VPN gateway:
//     the flow is then Unknown.
//   - Default outbound access carries no ICMP; IPv6 has no default outbound
//     access.
//   - TCP port 25 leaving Azure (any public egress, the firewall's included)
//     depends on the subscription type, which the model does not know: it is
//     Unknown unless [Options.SMTP] says allowed or blocked
//     (https://learn.microsoft.com/azure/virtual-network/troubleshoot-outbound-smtp-connectivity).
//   - A load-balancer backend pool defined by IP address gives no outbound
//     (a documented known issue): the VM falls back to default outbound.
//   - Load-balancer outbound applies per IP configuration: a public IP on
//     another NIC of the VM does not turn it off (outbound-rules says
//     "only if the backend VM doesn't have an instance-level public IP",
//     with one NIC in mind), while it does turn off default outbound access,
//     which Microsoft documents for multi-NIC VMs.
//   - Not modelled: Flexible scale-set instances (they have no default
//     outbound access; the model does not know scale sets), SNAT port
//     exhaustion, threat intelligence.
//
// # PaaS sources
//
// [Engine.Source] resolves a flow's source among the NICs, the Azure AI
// services accounts, the App Service / Functions apps and the container
// groups of the network;
// [Engine.TraceFrom] answers for any of them (a NIC as Trace does):
//
//   - An AI services account's own outbound call is decided by
//     restrictOutboundNetworkAccess and allowedFqdnList only
//     (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention):
//     its egress is Microsoft's, so no route or NSG applies. The list is
//     matched by package allowlist: exact names, case-insensitive, one
//     trailing dot ignored, no subdomains, IPv4 literals; a destination only
//     a wildcard entry could match is Unknown, since Learn does not say what
//     a wildcard means. Each answer lists the assumptions it relies on by id
//     (A-1 ...: [PaaSAssumption]).
//   - A web app's traffic that its settings send into its integration subnet
//     (overview-vnet-integration: all of it with application routing, else
//     RFC 1918 destinations and the subnet's service endpoints;
//     configuration traffic by its own flags, [Flow.Traffic]) is walked from
//     the subnet like a NIC's — admin rules and the subnet's NSG, then its
//     routes, firewalls and appliances, and out through its NAT gateway —
//     with the first address of the subnet as source (its instances use any,
//     which the result says). Traffic to the internet with no NAT gateway on
//     the way, and traffic the settings do not route, leaves from the app's
//     outboundIpAddresses: a set, one address chosen per connection
//     ([MethodAppService]). Gateway-required integration is Unknown.
//   - A container group in its delegated subnet
//     (https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts)
//     is walked from the subnet in the same way, with its own address
//     (ipAddress.ip; else the subnet's first, as an assumption). Its internet
//     traffic leaves through the subnet's NAT gateway, "the only supported
//     configuration"; without one the flow is Unknown (A-30), and from a
//     private subnet it does not leave. Its address is a destination like a
//     NIC's, behind its subnet's inbound rules. PostgreSQL and MySQL
//     flexible servers are destinations whose addresses the input does not
//     give: a flow to their subnet is Unknown, naming them
//     ([ReasonDelegatedSubnet]); they are refused as sources.
//   - Resources with outbound controls of other semantics (machine learning
//     workspaces' managed networks, IoT Hub, Data Explorer, SQL, AI Search:
//     [topology.OtherPaaS]) are refused as sources, saying why.
//
// # Twins
//
// Classify uses compiled indexes (next-hop owners per VNet, egress choices per
// NIC, actions per route selection); the reference twin (Trace with the
// reference lookups, in the package's tests) scans the network instead. The
// differential test holds Classify, Trace and the twin equal on generated
// hub-and-spoke networks with thousands of NICs, and requires every outcome
// (loop, no forwarding, forwarded traffic refused, no egress, ...) to occur.
package simulate
