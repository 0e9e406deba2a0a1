package simulate_test

import (
	"strings"
	"testing"

	"github.com/egresslab/egress/simulate"
	"github.com/stretchr/testify/assert"
)

// A route back to an Azure Firewall already crossed ends as a loop, and the
// trace lists the firewall reached again, as it lists an NVA reached again:
// the appliances Trace shows are the ones Classify counts (Decision.Hops).
func TestRoutingLoopThroughTheFirewall(t *testing.T) {
	design := hubSpokeWith("rt-fw", "true")
	design = strings.Replace(design, "      - {name: AzureFirewallSubnet, prefix: 10.0.1.0/26}", "      - {name: AzureFirewallSubnet, prefix: 10.0.1.0/26, routeTable: rt-nva}", 1)
	design = strings.Replace(design, "      - {name: nva, prefix: 10.0.2.0/24}", "      - {name: nva, prefix: 10.0.2.0/24, routeTable: rt-fw}", 1)
	e := engine(t, design, simulate.Options{Firewall: simulate.FirewallAllow})
	r := trace(t, e, "vm1", "52.1.2.3", 443) // trace also holds Classify's hop count to Trace's appliances
	assert.Equal(t, simulate.ReasonLoop, r.ReasonCode, "%s", r)
	var kinds []string
	for _, h := range r.Hops {
		kinds = append(kinds, h.Kind.String()+" "+h.Name)
	}
	assert.Equal(t, []string{"Source vm1", "AzureFirewall fw", "Appliance nva-on", "AzureFirewall fw"}, kinds)
}
