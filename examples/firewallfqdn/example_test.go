// Package firewallfqdn traces the embedded hub-and-spoke design's app tier
// through the hub's Azure Firewall, whose application rules allow an FQDN
// list (*.contoso.com, api.partner.example) on HTTPS and deny the rest by
// default (https://learn.microsoft.com/azure/firewall/rule-processing):
// the name the firewall sees is the flow's host name (SNI), the address it
// resolves to decides the route. Another host on HTTPS is Unknown, not
// Denied: the policy's WindowsUpdate FQDN tag rule comes first, and which
// names a tag covers is Microsoft's, not in the input; on another port no
// application rule can match, and the default deny decides.
package firewallfqdn_test

import (
	"fmt"
	"net/netip"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

func Example() {
	tags, err := servicetag.Default()
	if err != nil {
		panic(err)
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: designs.HubSpokeFile, Data: designs.HubSpoke}}, Tags: tags})
	if err != nil {
		panic(err)
	}
	resolver := simulate.StaticResolver{
		"api.contoso.com": {netip.MustParseAddr("52.1.2.3")}, "api.partner.example": {netip.MustParseAddr("52.1.2.4")},
		"www.example.com": {netip.MustParseAddr("52.1.2.5")},
	}
	e := simulate.Compile(n, simulate.Options{Resolver: resolver})
	for _, f := range []struct {
		host string
		port uint16
	}{{"api.contoso.com", 443}, {"api.partner.example", 443}, {"www.example.com", 443}, {"www.example.com", 8443}} {
		r, err := e.Trace(simulate.Flow{From: "vm-app-01-nic", ToFQDN: f.host, Port: f.port})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s:%d: %v, %s\n", f.host, f.port, r.Verdict, r.DecidedBy)
	}
	// Output:
	// api.contoso.com:443: Allowed, SubnetNSG nsg-app: defaultSecurityRules/AllowVnetOutBound; AzureFirewall fw-hub: fwpol-hub/rcg-egress/app-allow-updates/contoso-apis
	// api.partner.example:443: Allowed, SubnetNSG nsg-app: defaultSecurityRules/AllowVnetOutBound; AzureFirewall fw-hub: fwpol-hub/rcg-egress/app-allow-updates/contoso-apis
	// www.example.com:443: Unknown, SubnetNSG nsg-app: defaultSecurityRules/AllowVnetOutBound
	// www.example.com:8443: Denied, AzureFirewall fw-hub: no rule matched (default deny)
}
