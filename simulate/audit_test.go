package simulate_test

import (
	"encoding/json"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaultEngine(t *testing.T) *simulate.Engine {
	t.Helper()
	return engine(t, string(designs.HubSpoke), simulate.Options{})
}

// findings returns the scope names of check c's findings, in report order.
func findings(rep *simulate.AuditReport, c simulate.Check) []string {
	var out []string
	for _, f := range rep.Findings {
		if f.Check == c {
			out = append(out, f.Scope.Name)
		}
	}
	return out
}

// only returns the single finding of check c, failing the test otherwise.
func only(t *testing.T, rep *simulate.AuditReport, c simulate.Check) simulate.Finding {
	t.Helper()
	var got []simulate.Finding
	for _, f := range rep.Findings {
		if f.Check == c {
			got = append(got, f)
		}
	}
	require.Len(t, got, 1, "findings of %s: %v", c, findings(rep, c))
	return got[0]
}

func nicNames(f simulate.Finding) []string {
	var out []string
	for _, n := range f.NICs {
		out = append(out, n.Name)
	}
	return out
}

func TestAuditDefaultDesign(t *testing.T) {
	rep := defaultEngine(t).Audit()
	assert.Equal(t, simulate.AuditSchemaVersion, rep.SchemaVersion)
	assert.Equal(t, "Public changeNumber 376", rep.ServiceTags)
	assert.Equal(t, simulate.AuditProbes(), rep.Probes)

	assert.Equal(t, []string{"vnet-partner/snet-partner", "vnet-spoke-batch/snet-legacy"}, findings(rep, simulate.CheckDefaultOutbound))
	// Both subnets of vnet-spoke-batch leave directly, but not with the
	// same classes: default outbound access carries protocols other than
	// TCP and UDP (snet-legacy), the NAT gateway does not (snet-batch).
	assert.Equal(t, []string{"vnet-partner/snet-partner", "vnet-spoke-batch/snet-batch", "vnet-spoke-batch/snet-legacy"}, findings(rep, simulate.CheckDirectInternet))
	assert.Equal(t, []string{"vnet-partner/snet-partner", "vnet-spoke-batch"}, findings(rep, simulate.CheckNoForcedTunnel))
	assert.Equal(t, []string{"foundry-research", "vision-legacy"}, findings(rep, simulate.CheckAIOutboundOpen))
	assert.Equal(t, []string{"nsp-data/foundry-research", "nsp-data/stcontosodata"}, findings(rep, simulate.CheckPerimeterNotEnforced))
	assert.Equal(t, 3, rep.Summary.PerimeterAssociations)
	assert.Equal(t, 1, rep.Summary.PerimeterAssociationsEnforced)
	// Default outbound access, and the hub firewall's two public IPs for
	// the NTP it lets out (an HTTPS probe, denied there, never saw it).
	assert.Equal(t, []string{"vnet-hub/snet-shared", "vnet-partner/snet-partner", "vnet-spoke-app", "vnet-spoke-batch/snet-legacy"}, findings(rep, simulate.CheckUnstableEgressIP))
	fw := rep.Findings[findIndex(rep, simulate.CheckUnstableEgressIP, "vnet-spoke-app")]
	require.NotNil(t, fw.Witness)
	assert.Equal(t, simulate.Witness{From: fw.Witness.From, Protocol: ipproto.UDP, Destination: netip.MustParseAddr("52.0.0.1"), Port: 123, Verdict: simulate.Allowed,
		Method: simulate.MethodAzureFirewall, Path: "Source vm-app-01-nic (10.1.1.4) -> AzureFirewall fw-hub (10.0.1.4) -> Internet (52.0.0.1)"}, *fw.Witness)
	assert.Equal(t, []string{"Udp 123 to 0.0.0.0/5 8.0.0.0/7 11.0.0.0/8 ... (697 prefixes): Allowed via AzureFirewall"}, fw.Classes)
	assert.Empty(t, findings(rep, simulate.CheckNSGAllowsInternetInbound), "the design opens no port to the internet by a rule")
	// The UDR 0/0 to the hub firewall widens VirtualNetwork on the three subnets that have it (issue #22178).
	assert.Equal(t, []string{"vnet-hub/snet-shared", "vnet-spoke-app/snet-app", "vnet-spoke-app/snet-data"}, findings(rep, simulate.CheckVNetTagWidened))

	for _, f := range rep.Findings {
		assert.NotContains(t, f.Message, "any port", "%s %s: a sample of 8 flows proves nothing about every port", f.Check, f.Scope.Name)
		assert.Equal(t, len(f.NICs), f.NICCount)
		assert.NotNil(t, f.NICs)
		switch f.Check {
		case simulate.CheckDirectInternet:
			assert.Equal(t, simulate.SeverityHigh, f.Severity)
			assert.True(t, strings.HasPrefix(f.Message, "reaches the internet without passing a firewall or appliance (proved over every address, protocol and port): Tcp 1-24,26-65535, Udp 1-65535"), f.Message)
			assert.Contains(t, f.Message, "; and Tcp 25 to the same addresses if the subscription type lets it out", "Options.SMTP is unknown by default")
			assert.True(t, strings.HasSuffix(f.Message, "; 8 of the 8 probed flows to 52.0.0.1 do: Tcp/443 (HTTPS), Tcp/80 (HTTP), Tcp/22 (SSH), Tcp/25 (SMTP), Tcp/445 (SMB), Tcp/3389 (RDP), Udp/53 (DNS), Udp/123 (NTP)"), f.Message)
			require.Len(t, f.Probes, 8)
			for _, p := range f.Probes {
				assert.True(t, p.Open, "%v", p)
			}
			require.NotNil(t, f.Witness)
			assert.Equal(t, "52.0.0.1", f.Witness.Destination.String(), "the HTTPS probe is a witness people recognise")
			assert.Equal(t, uint16(443), f.Witness.Port)
			assert.Regexp(t, `^Source vm-\w+-01-nic \(10\.[0-9.]+\) -> Internet \(52\.0\.0\.1\)$`, f.Witness.Path)
			assert.NotEmpty(t, f.Classes)
		case simulate.CheckVNetTagWidened:
			assert.Equal(t, simulate.SeverityHigh, f.Severity, f.Scope.Name)
			require.NotEmpty(t, f.Prefixes)
			rt := "rt-spoke-to-fw"
			if f.Scope.Name == "vnet-hub/snet-shared" {
				rt = "rt-hub-shared"
			}
			assert.Equal(t, simulate.TagPrefix{Prefix: netip.MustParsePrefix("0.0.0.0/0"), Origin: simulate.OriginUserRoute,
				From: `route "default-via-fw" of route table ` + rt}, f.Prefixes[0])
			assert.Contains(t, f.Prefixes, simulate.TagPrefix{Prefix: netip.MustParsePrefix("172.20.0.0/14"), Origin: simulate.OriginGateway, From: "gateway vpngw-hub (BGP)"},
				"learned by the hub's VPN gateway, over gateway transit for the spokes")
		}
	}
	app := rep.Findings[findIndex(rep, simulate.CheckVNetTagWidened, "vnet-spoke-app/snet-app")]
	assert.Equal(t, []string{"vm-app-01-nic", "vm-app-02-nic"}, nicNames(app))
	assert.Contains(t, app.Message, "inbound from 52.0.0.1: Tcp/22 (SSH), Tcp/3389 (RDP), Udp/3389 (RDP) (AllowVnetInBound)")
	assert.NotContains(t, app.Message, "Tcp/445 (SMB), Tcp/3389", "deny-smb-out decides SMB before AllowVnetOutBound")
	data := rep.Findings[findIndex(rep, simulate.CheckVNetTagWidened, "vnet-spoke-app/snet-data")]
	assert.NotContains(t, data.Message, "outbound to", "deny-internet-out (4000) decides before AllowVnetOutBound (65000)")
	assert.Contains(t, data.Evidence, "52.0.0.1 -> vm-data-01-nic (10.1.2.4) Tcp/22: Allowed (subnet NSG nsg-data: defaultSecurityRules/AllowVnetInBound)")

	// Deterministic: same input, same bytes; and an Engine is safe for
	// concurrent use, Audit included (run with -race).
	b1, err := json.Marshal(rep)
	require.NoError(t, err)
	b2, err := json.Marshal(defaultEngine(t).Audit())
	require.NoError(t, err)
	assert.Equal(t, string(b1), string(b2))
	e := defaultEngine(t)
	var wg sync.WaitGroup
	out := make([][]byte, 4)
	for i := range out {
		wg.Go(func() { out[i], _ = json.Marshal(e.Audit()) })
	}
	wg.Wait()
	for _, b := range out {
		assert.Equal(t, string(b1), string(b))
	}
}

func findIndex(rep *simulate.AuditReport, c simulate.Check, scope string) int {
	for i, f := range rep.Findings {
		if f.Check == c && f.Scope.Name == scope {
			return i
		}
	}
	panic("no finding " + string(c) + " at " + scope)
}

func TestAuditRuleChecks(t *testing.T) {
	design := one(", nsg: nsg, routeTable: rt", "", `nsgs:
  - name: nsg
    rules:
      - {name: allow-all-out, priority: 100, direction: Outbound, access: Allow}
      - {name: deny-smb, priority: 200, direction: Outbound, access: Deny, protocol: Tcp, destination: 10.0.0.0/8, destinationPorts: "445"}
      - {name: web-in, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: 10.0.0.0/8, destinationPorts: "80-90"}
      - {name: web-in-narrow, priority: 310, direction: Inbound, access: Deny, protocol: Tcp, source: 10.1.0.0/16, destinationPorts: "85"}
      - {name: web-in-wider, priority: 320, direction: Inbound, access: Deny, protocol: Tcp, source: 10.1.0.0/16, destinationPorts: "85-95"}
routeTables:
  - name: rt
    routes:
      - {name: to-fw, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}
      - {name: bypass, prefix: 52.0.0.0/8, nextHop: Internet}
`)
	rep := engine(t, design, simulate.Options{}).Audit()
	assert.Equal(t, []string{"nsg/allow-all-out"}, findings(rep, simulate.CheckNSGAllowsInternet))
	assert.Equal(t, []string{"nsg/deny-smb", "nsg/web-in-narrow"}, findings(rep, simulate.CheckShadowedRule))
	f := only(t, rep, simulate.CheckNSGAllowsInternet)
	assert.Equal(t, simulate.ScopeSecurityRule, f.Scope.Kind)
	assert.True(t, strings.HasSuffix(f.Scope.ID, "/networkSecurityGroups/nsg/securityRules/allow-all-out"), f.Scope.ID)
	assert.Equal(t, 0, f.NICCount)
	assert.Equal(t, []string{"vnet/snet"}, findings(rep, simulate.CheckForcedTunnelBypass))
	assert.Equal(t, []string{"vm"}, nicNames(only(t, rep, simulate.CheckForcedTunnelBypass)))
	assert.Empty(t, findings(rep, simulate.CheckNoForcedTunnel))
}

func TestDiffWhatIf(t *testing.T) {
	// "After this change, can the batch subnet still reach the internet directly?"
	before := defaultEngine(t)
	m, err := topology.LoadNative("hubspoke.yaml", designs.HubSpoke, tags(t))
	require.NoError(t, err)
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			if s.Name == "snet-batch" {
				s.RouteTable = m.RouteTables[0].ID // rt-spoke-to-fw
			}
		}
	}
	require.NoError(t, m.Validate(tags(t)))
	after, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err)
	flows := []simulate.Flow{
		{From: "vm-batch-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443},
		{From: "vm-legacy-01-nic", To: netip.MustParseAddr("52.1.2.3"), Port: 443},
	}
	changes := simulate.Diff(before, after, flows)
	require.Len(t, changes, 1, "only the batch subnet changed")
	c := changes[0]
	assert.Equal(t, "vm-batch-01-nic", c.Flow.From)
	assert.Equal(t, []string{"verdict", "egressMethod", "egressIpAddresses", "path"}, c.What)
	assert.Contains(t, c.Cause, `route 0.0.0.0/0 -> VirtualAppliance ("default-via-fw")`)
	assert.Equal(t, simulate.MethodNATGateway, c.Before.EgressMethod)
	assert.Equal(t, simulate.Denied, c.After.Verdict, "the hub firewall allows only NTP and named HTTPS")
	assert.Equal(t, "AzureFirewall fw-hub: no rule matched (default deny)", c.After.DecidedBy)

	// The audit follows: the batch subnet no longer leaves directly, so the
	// VNet-wide finding narrows to the legacy subnet.
	rep := after.Audit()
	assert.Equal(t, []string{"vnet-partner/snet-partner", "vnet-spoke-batch/snet-legacy"}, findings(rep, simulate.CheckDirectInternet))
}

func TestAuditFirewallAllowsAny(t *testing.T) {
	design := withFirewallPolicy(hubSpokeWith("rt-fw", "true"), `firewallPolicies:
  - name: fwpol
    ruleCollectionGroups:
      - name: rcg
        priority: 200
        collections:
          - name: net
            priority: 100
            action: Allow
            rules:
              - {name: everything, type: NetworkRule, protocols: [Any], sourceAddresses: [10.1.0.0/16], destinationAddresses: ["*"], destinationPorts: ["*"]}
              - {name: web-only, type: NetworkRule, protocols: [TCP], sourceAddresses: [10.1.0.0/16], destinationAddresses: ["*"], destinationPorts: ["443"]}
          - name: app
            priority: 200
            action: Allow
            rules:
              - {name: any-site, type: ApplicationRule, protocols: ["Https:443"], sourceAddresses: [10.2.0.0/16], targetFqdns: ["*"]}
          - name: deny
            priority: 300
            action: Deny
            rules:
              - {name: deny-all, type: NetworkRule, protocols: [Any], sourceAddresses: ["*"], destinationAddresses: ["*"], destinationPorts: ["*"]}
`)
	rep := engine(t, design, simulate.Options{}).Audit()
	assert.Equal(t, []string{"fwpol/rcg/app/any-site", "fwpol/rcg/net/everything"}, findings(rep, simulate.CheckFirewallAllowsAny))
	for _, f := range rep.Findings {
		if f.Check == simulate.CheckFirewallAllowsAny {
			assert.Equal(t, simulate.ScopeFirewallRule, f.Scope.Kind)
			assert.Equal(t, simulate.SeverityHigh, f.Severity)
		}
	}
}

// The direct-internet check is proved on the NIC's egress map: it names
// the classes that leave directly (over every address, protocol and port),
// a witness, and which of the eight probes fall in them.
func TestAuditDirectInternetSaysWhatWasProbed(t *testing.T) {
	design := one(", natGateway: nat, nsg: nsg", "", `nsgs:
  - name: nsg
    rules:
      - {name: deny-smb-out, priority: 100, direction: Outbound, access: Deny, protocol: Tcp, destination: Internet, destinationPorts: "445"}
      - {name: deny-dns-out, priority: 110, direction: Outbound, access: Deny, protocol: Udp, destination: "*", destinationPorts: "53"}
`)
	rep := engine(t, design, simulate.Options{SMTP: simulate.SMTPBlocked}).Audit()
	f := only(t, rep, simulate.CheckDirectInternet)
	assert.Equal(t, "reaches the internet without passing a firewall or appliance (proved over every address, protocol and port): "+
		"Tcp 1-24,26-444,446-65535, Udp 1-52,54-65535 to 1.0.0.0/8 2.0.0.0/7 4.0.0.0/6 ... (74 prefixes); "+
		"5 of the 8 probed flows to 52.0.0.1 do: Tcp/443 (HTTPS), Tcp/80 (HTTP), Tcp/22 (SSH), Tcp/3389 (RDP), Udp/123 (NTP)", f.Message)
	require.Len(t, f.Probes, 8)
	open := map[string]bool{}
	for _, p := range f.Probes {
		open[p.String()] = p.Open
		assert.Equal(t, netip.MustParseAddr("52.0.0.1"), p.Address)
		assert.Equal(t, nsg.Outbound, p.Direction)
	}
	assert.Equal(t, map[string]bool{"Tcp/443 (HTTPS)": true, "Tcp/80 (HTTP)": true, "Tcp/22 (SSH)": true, "Tcp/25 (SMTP)": false,
		"Tcp/445 (SMB)": false, "Tcp/3389 (RDP)": true, "Udp/53 (DNS)": false, "Udp/123 (NTP)": true}, open)
	assert.Equal(t, simulate.Denied, f.Probes[4].Verdict)
	assert.Contains(t, f.Probes[4].Note, "securityRules/deny-smb-out")
	assert.Equal(t, simulate.MethodNATGateway, f.Probes[0].Method)
	assert.Contains(t, f.Evidence, "vm -> 52.0.0.1:443/Tcp Allowed")
	assert.Equal(t, &simulate.Witness{From: f.Witness.From, Protocol: ipproto.TCP, Destination: netip.MustParseAddr("52.0.0.1"), Port: 443,
		Verdict: simulate.Allowed, Method: simulate.MethodNATGateway, Path: "Source vm (10.1.1.4) -> Internet (52.0.0.1)"}, f.Witness)
	assert.True(t, strings.HasSuffix(f.Witness.From, "/networkInterfaces/vm"))
	assert.Equal(t, []string{"Tcp 1-24,26-444,446-65535 to 1.0.0.0/8 2.0.0.0/7 4.0.0.0/6 ... (74 prefixes): Allowed via NATGateway",
		"Udp 1-52,54-65535 to 1.0.0.0/8 2.0.0.0/7 4.0.0.0/6 ... (74 prefixes): Allowed via NATGateway"}, f.Classes)
	assert.NotContains(t, f.Message, "any port")

	// Behind an appliance nothing leaves directly: no finding.
	rep = engine(t, one(", routeTable: rt", "", `routeTables:
  - name: rt
    routes: [{name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}]
`), simulate.Options{}).Audit()
	assert.Empty(t, findings(rep, simulate.CheckDirectInternet))
}

// Leaks that the eight probes to 52.0.0.1 miss are found, each with a
// witness that Trace confirms (issue 14: "a /32 UDR to Internet in a
// forced-tunnelled subnet", "one port opened by a low-priority rule").
func TestAuditFindsWhatProbesMiss(t *testing.T) {
	forced := `routeTables:
  - name: rt
    routes:
      - {name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}
      - {name: partner, prefix: 52.1.2.3/32, nextHop: Internet}
`
	ntp := `nsgs:
  - name: nsg
    rules:
      - {name: ntp, priority: 4000, direction: Outbound, access: Allow, protocol: Udp, destination: 40.119.6.228, destinationPorts: "123"}
      - {name: deny-internet, priority: 4096, direction: Outbound, access: Deny, protocol: "*", destination: Internet, destinationPorts: "*"}
`
	tests := []struct {
		name, subnet, doc string
		witness           simulate.Witness
		classes           []string
	}{
		{"one /32 to Internet in a forced-tunnelled subnet", ", natGateway: nat, routeTable: rt", forced,
			simulate.Witness{Protocol: ipproto.TCP, Destination: netip.MustParseAddr("52.1.2.3"), Port: 443, Verdict: simulate.Allowed, Method: simulate.MethodNATGateway,
				Path: "Source vm (10.1.1.4) -> Internet (52.1.2.3)"},
			[]string{"Tcp 1-24,26-65535 to 52.1.2.3/32: Allowed via NATGateway", "Udp 1-65535 to 52.1.2.3/32: Allowed via NATGateway"}},
		{"only NTP to one address", ", natGateway: nat, nsg: nsg", ntp,
			simulate.Witness{Protocol: ipproto.UDP, Destination: netip.MustParseAddr("40.119.6.228"), Port: 123, Verdict: simulate.Allowed, Method: simulate.MethodNATGateway,
				Path: "Source vm (10.1.1.4) -> Internet (40.119.6.228)"},
			[]string{"Udp 123 to 40.119.6.228/32: Allowed via NATGateway"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := engine(t, one(tt.subnet, "", tt.doc), simulate.Options{SMTP: simulate.SMTPBlocked})
			// What an audit by probes saw: none of them leaves directly.
			h, err := e.NIC("vm")
			require.NoError(t, err)
			ps := simulate.AuditProbes()
			for _, p := range ps.Outbound {
				d := e.Classify(h, ps.Internet, p.Protocol, p.Port)
				assert.False(t, (d.Verdict == simulate.Allowed || d.Verdict == simulate.Unknown) && d.Hops == 0 && d.Method.LeavesAzure(), "probe %v leaves directly", p)
			}
			f := only(t, e.Audit(), simulate.CheckDirectInternet)
			assert.True(t, strings.HasSuffix(f.Message, "none of the 8 probed flows to 52.0.0.1 does (an audit by probes would miss it)"), f.Message)
			require.NotNil(t, f.Witness)
			w := tt.witness
			w.From = f.Witness.From
			assert.Equal(t, w, *f.Witness)
			assert.Equal(t, tt.classes, f.Classes)
			r, err := e.Trace(simulate.Flow{From: f.Witness.From, To: f.Witness.Destination, Protocol: f.Witness.Protocol, Port: f.Witness.Port})
			require.NoError(t, err)
			assert.Equal(t, simulate.Allowed, r.Verdict, "Trace confirms the witness")
			assert.Equal(t, simulate.MethodNATGateway, r.EgressMethod)
			for _, p := range f.Probes {
				assert.False(t, p.Open, "%v", p)
			}
		})
	}

	// No direct path, though the /32 route leads straight out and the NSG
	// allows a port no probe uses: the /32 is denied, and what the NSG lets
	// out goes to the appliance. No finding (a proof, not the probes'
	// silence).
	e := engine(t, one(", natGateway: nat, routeTable: rt, nsg: nsg", "", forced+`nsgs:
  - name: nsg
    rules:
      - {name: no-partner, priority: 100, direction: Outbound, access: Deny, protocol: "*", destination: 52.1.2.3, destinationPorts: "*"}
      - {name: web-alt, priority: 200, direction: Outbound, access: Allow, protocol: Tcp, destination: Internet, destinationPorts: "8443"}
      - {name: deny-internet, priority: 4096, direction: Outbound, access: Deny, protocol: "*", destination: Internet, destinationPorts: "*"}
`), simulate.Options{})
	rep := e.Audit()
	assert.Empty(t, findings(rep, simulate.CheckDirectInternet))
	assert.Empty(t, findings(rep, simulate.CheckDefaultOutbound))
	h, err := e.NIC("vm")
	require.NoError(t, err)
	assert.Equal(t, simulate.Dropped, e.Classify(h, netip.MustParseAddr("52.0.0.1"), ipproto.TCP, 8443).Verdict, "to the appliance address nothing holds")
	assert.Equal(t, simulate.Denied, e.Classify(h, netip.MustParseAddr("52.1.2.3"), ipproto.TCP, 8443).Verdict)
}

// https://learn.microsoft.com/azure/security/fundamentals/network-best-practices#disable-rdpssh-access-to-virtual-machines:
// an Allow rule that opens SSH, RDP or every port to the internet is
// reported, with a severity that says whether the classifiers let it take
// effect and whether the NIC is reachable from the internet.
func TestAuditInternetInbound_NetworkBestPracticesDisableRDPSSH(t *testing.T) {
	tests := []struct {
		name        string
		subnet, nic string // extra YAML for the subnet and the NIC
		rules       string // rules of NSG nsg (and nsg2)
		want        simulate.Severity
		nics        []string
		open        []string // probes open at the representative
		message     string
	}{
		{"SSH from Internet to a NIC with a public IP", ", nsg: nsg", ", publicIp: pip-vm",
			`{name: ssh, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: Internet, destinationPorts: "22"}`,
			simulate.SeverityHigh, []string{"vm"}, []string{"Tcp/22 (SSH)"}, "1 reachable from the internet: vm (public IP pip-vm 20.0.0.1)"},
		{"RDP from * behind a public load balancer", ", nsg: nsg", ", backendPools: [lb/pool]",
			`{name: rdp, priority: 300, direction: Inbound, access: Allow, protocol: "*", source: "*", destinationPorts: "3389"}`,
			simulate.SeverityHigh, []string{"vm"}, []string{"Tcp/3389 (RDP)", "Udp/3389 (RDP)"}, "vm (public load balancer lb, rule web)"},
		{"every port from 0.0.0.0/0 without a public IP", ", nsg: nsg", "",
			`{name: all-in, priority: 300, direction: Inbound, access: Allow, protocol: "*", source: 0.0.0.0/0, destinationPorts: "*"}`,
			simulate.SeverityMedium, []string{"vm"}, []string{"Tcp/22 (SSH)", "Tcp/3389 (RDP)", "Udp/3389 (RDP)"}, "none with a public IP or public load balancer"},
		{"shadowed by a higher-priority deny in the same NSG", ", nsg: nsg", ", publicIp: pip-vm",
			`{name: deny-ssh, priority: 200, direction: Inbound, access: Deny, protocol: Tcp, source: "*", destinationPorts: "22"}
      - {name: ssh, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: Any, destinationPorts: "22"}`,
			simulate.SeverityLow, nil, nil, "but in effect at no NIC"},
		{"the NIC's NSG denies what the subnet's allows", ", nsg: nsg", ", publicIp: pip-vm, nsg: nsg2",
			`{name: ssh, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: Internet, destinationPorts: "20-23"}`,
			simulate.SeverityLow, nil, nil, "in effect at no NIC"},
		{"an NSG associated with nothing", "", ", publicIp: pip-vm",
			`{name: ssh, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: Internet, destinationPorts: "22"}`,
			simulate.SeverityLow, nil, nil, "applies to no NIC in the model"},
		{"a destination that is not the NIC", ", nsg: nsg", ", publicIp: pip-vm",
			`{name: ssh, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: Internet, destination: 10.1.1.99, destinationPorts: "22"}`,
			simulate.SeverityLow, nil, nil, "in effect at no NIC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			design := one(tt.subnet, tt.nic, `nsgs:
  - name: nsg
    rules:
      - `+tt.rules+`
  - name: nsg2
    rules: []
`)
			f := only(t, engine(t, design, simulate.Options{}).Audit(), simulate.CheckNSGAllowsInternetInbound)
			assert.Equal(t, tt.want, f.Severity, f.Message)
			assert.Equal(t, simulate.ScopeSecurityRule, f.Scope.Kind)
			assert.Equal(t, tt.nics, nicNames(f))
			assert.Contains(t, f.Message, tt.message)
			var open []string
			for _, p := range f.Probes {
				assert.Equal(t, nsg.Inbound, p.Direction)
				if p.Open {
					open = append(open, p.String())
				}
			}
			assert.Equal(t, tt.open, open)
		})
	}
	// Of two rules opening SSH, the first by priority is the one in effect;
	// the second, which never decides, is low.
	design := one(", nsg: nsg", ", publicIp: pip-vm", `nsgs:
  - name: nsg
    rules:
      - {name: ssh-first, priority: 200, direction: Inbound, access: Allow, protocol: Tcp, source: "*", destinationPorts: "22"}
      - {name: ssh-again, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: Internet, destinationPorts: "22"}
`)
	rep := engine(t, design, simulate.Options{}).Audit()
	require.Equal(t, []string{"nsg/ssh-first", "nsg/ssh-again"}, findings(rep, simulate.CheckNSGAllowsInternetInbound), "by severity, then scope")
	assert.Equal(t, simulate.SeverityHigh, rep.Findings[findIndex(rep, simulate.CheckNSGAllowsInternetInbound, "nsg/ssh-first")].Severity)
	again := rep.Findings[findIndex(rep, simulate.CheckNSGAllowsInternetInbound, "nsg/ssh-again")]
	assert.Equal(t, simulate.SeverityLow, again.Severity)
	assert.Contains(t, again.Evidence, "Tcp/22 Allow (subnet NSG nsg: securityRules/ssh-first)")

	// Rules that open no management port to the internet are not reported.
	for _, rule := range []string{
		`{name: https, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: Internet, destinationPorts: "443"}`,
		`{name: ssh-from-hub, priority: 300, direction: Inbound, access: Allow, protocol: Tcp, source: 10.0.0.0/16, destinationPorts: "22"}`,
		`{name: icmp, priority: 300, direction: Inbound, access: Allow, protocol: Icmp, source: Internet}`,
		`{name: rdp-udp-only, priority: 300, direction: Inbound, access: Allow, protocol: Udp, source: Internet, destinationPorts: "22"}`,
		`{name: deny-ssh, priority: 300, direction: Inbound, access: Deny, protocol: Tcp, source: Internet, destinationPorts: "22"}`,
	} {
		design := one(", nsg: nsg", ", publicIp: pip-vm", "nsgs:\n  - name: nsg\n    rules:\n      - "+rule+"\n")
		assert.Empty(t, findings(engine(t, design, simulate.Options{}).Audit(), simulate.CheckNSGAllowsInternetInbound), rule)
	}
}

// https://learn.microsoft.com/azure/virtual-network/service-tags-overview#available-service-tags:
// VirtualNetwork holds "address prefixes used on user-defined routes" and
// "all connected on-premises address spaces"; with a UDR 0.0.0.0/0 it is
// every address, and AllowVnetInBound admits the internet (MicrosoftDocs/azure-docs#22178).
func TestAuditVNetTagWidened_ServiceTagsOverview(t *testing.T) {
	gateway := `
gateways:
  - name: gw
    vnet: vnet
    ips: [10.1.255.4]
    learnedRoutes: [{prefix: 192.168.0.0/16, nextHop: 10.1.255.4, asPath: "65001"}]
`
	tests := []struct {
		name, subnet, doc string
		want              simulate.Severity // SeverityNone: no finding
		prefixes          []simulate.TagPrefix
		message           string
	}{
		{"a UDR 0/0 to an appliance", ", nsg: nsg, routeTable: rt", `routeTables:
  - name: rt
    routes: [{name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}]
nsgs: [{name: nsg, rules: []}]
`, simulate.SeverityHigh, []simulate.TagPrefix{{Prefix: netip.MustParsePrefix("0.0.0.0/0"), Origin: simulate.OriginUserRoute, From: `route "to-nva" of route table rt`}},
			"inbound from 52.0.0.1: Tcp/22 (SSH), Tcp/3389 (RDP), Udp/3389 (RDP) (AllowVnetInBound)"},
		{"a user rule naming VirtualNetwork, the 0/0 gotcha", ", nsg: nsg, routeTable: rt", `routeTables:
  - name: rt
    routes: [{name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}]
nsgs:
  - name: nsg
    rules:
      - {name: allow-vnet-out, priority: 100, direction: Outbound, access: Allow, destination: VirtualNetwork}
      - {name: deny-internet-out, priority: 200, direction: Outbound, access: Deny, destination: Internet}
      - {name: deny-all-in, priority: 4096, direction: Inbound, access: Deny}
`, simulate.SeverityHigh, nil, "outbound to 52.0.0.1: Tcp/443 (HTTPS), Tcp/80 (HTTP), Tcp/22 (SSH), Tcp/25 (SMTP), Tcp/445 (SMB), Tcp/3389 (RDP), Udp/53 (DNS), Udp/123 (NTP) (allow-vnet-out)"},
		{"overridden by higher-priority denies: latent", ", nsg: nsg, routeTable: rt", `routeTables:
  - name: rt
    routes: [{name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}]
nsgs:
  - name: nsg
    rules:
      - {name: deny-all-in, priority: 4096, direction: Inbound, access: Deny}
      - {name: deny-internet-out, priority: 4096, direction: Outbound, access: Deny, destination: Internet}
`, simulate.SeverityLow, nil, "no rule naming VirtualNetwork admits the probes from or to 52.0.0.1 here"},
		{"on-premises prefixes from the gateway", ", nsg: nsg", "nsgs: [{name: nsg, rules: []}]\n" + gateway,
			simulate.SeverityLow, []simulate.TagPrefix{{Prefix: netip.MustParsePrefix("192.168.0.0/16"), Origin: simulate.OriginGateway, From: "gateway gw (BGP)"}},
			"inbound from 192.168.0.0: Tcp/22 (SSH)"},
		{"a public UDR prefix", ", nsg: nsg, routeTable: rt", `routeTables:
  - name: rt
    routes: [{name: partner, prefix: 8.8.8.0/24, nextHop: VirtualAppliance, ip: 10.1.1.100}]
nsgs: [{name: nsg, rules: []}]
`, simulate.SeverityMedium, []simulate.TagPrefix{{Prefix: netip.MustParsePrefix("8.8.8.0/24"), Origin: simulate.OriginUserRoute, From: `route "partner" of route table rt`}},
			"the widened part holds public addresses"},
		{"no route table and no gateway", ", nsg: nsg", "nsgs: [{name: nsg, rules: []}]\n", simulate.SeverityNone, nil, ""},
		{"a UDR inside the VNet", ", nsg: nsg, routeTable: rt", `routeTables:
  - name: rt
    routes: [{name: east-west, prefix: 10.1.2.0/24, nextHop: VirtualAppliance, ip: 10.1.1.100}]
nsgs: [{name: nsg, rules: []}]
`, simulate.SeverityNone, nil, ""},
		{"no NSG reads the tag", ", routeTable: rt", `routeTables:
  - name: rt
    routes: [{name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}]
`, simulate.SeverityNone, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			design := one(tt.subnet, "", tt.doc)
			if strings.Contains(tt.doc, "gateways:") {
				design = strings.Replace(design, "subnets:\n", "subnets:\n      - {name: GatewaySubnet, prefix: 10.1.255.0/27}\n", 1)
			}
			rep := engine(t, design, simulate.Options{}).Audit()
			if tt.want == simulate.SeverityNone {
				assert.Empty(t, findings(rep, simulate.CheckVNetTagWidened))
				return
			}
			f := only(t, rep, simulate.CheckVNetTagWidened)
			assert.Equal(t, tt.want, f.Severity, f.Message)
			assert.Equal(t, simulate.ScopeSubnet, f.Scope.Kind)
			assert.Equal(t, []string{"vm"}, nicNames(f))
			if tt.prefixes != nil {
				assert.Equal(t, tt.prefixes, f.Prefixes)
			}
			assert.Contains(t, f.Message, tt.message)
		})
	}
}

// One NSG per VM, the portal's default, must not split a subnet's finding
// into one per NIC: the findings name rules, not NSGs, in their messages.
func TestAuditOneNSGPerVM(t *testing.T) {
	design := `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets: [{name: s, prefix: 10.1.1.0/24, routeTable: rt}]
routeTables:
  - name: rt
    routes: [{name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}]
nsgs: [{name: vm1-nsg, rules: []}, {name: vm2-nsg, rules: []}, {name: vm3-nsg, rules: []}]
nics:
  - {name: vm1-nic, subnet: v/s, ip: 10.1.1.4, nsg: vm1-nsg}
  - {name: vm2-nic, subnet: v/s, ip: 10.1.1.5, nsg: vm2-nsg}
  - {name: vm3-nic, subnet: v/s, ip: 10.1.1.6, nsg: vm3-nsg}
`
	rep := engine(t, design, simulate.Options{}).Audit()
	f := only(t, rep, simulate.CheckVNetTagWidened)
	assert.Equal(t, []string{"vm1-nic", "vm2-nic", "vm3-nic"}, nicNames(f))
	assert.Equal(t, "v/s", f.Scope.Name)
	assert.Contains(t, f.Probes[0].Note, "NIC NSG vm1-nsg: defaultSecurityRules/AllowVnetInBound", "the representative's probes name its NSG")
}

func TestSeverity(t *testing.T) {
	assert.True(t, simulate.SeverityNone < simulate.SeverityLow && simulate.SeverityLow < simulate.SeverityMedium && simulate.SeverityMedium < simulate.SeverityHigh)
	for _, s := range []simulate.Severity{simulate.SeverityNone, simulate.SeverityLow, simulate.SeverityMedium, simulate.SeverityHigh} {
		b, err := s.MarshalText()
		require.NoError(t, err)
		var back simulate.Severity
		require.NoError(t, back.UnmarshalText([]byte(strings.ToUpper(string(b)))))
		assert.Equal(t, s, back)
	}
	var s simulate.Severity
	err := s.UnmarshalText([]byte("critical"))
	assert.EqualError(t, err, `unknown severity "critical": want none, low, medium or high`)
	assert.Equal(t, "Severity(9)", simulate.Severity(9).String())

	rep := &simulate.AuditReport{Findings: []simulate.Finding{{Severity: simulate.SeverityMedium}, {Severity: simulate.SeverityLow}}}
	assert.Equal(t, simulate.SeverityMedium, rep.Worst())
	assert.True(t, rep.FailsAt(simulate.SeverityLow))
	assert.True(t, rep.FailsAt(simulate.SeverityMedium))
	assert.False(t, rep.FailsAt(simulate.SeverityHigh))
	assert.False(t, rep.FailsAt(simulate.SeverityNone), "none never fails")
	assert.Equal(t, simulate.SeverityNone, (&simulate.AuditReport{}).Worst())
}

// auditNetwork builds vnets VNets of two subnets each, with nics NICs per
// subnet: subnet a leaves through default outbound access with an NSG that
// opens SSH to the internet; subnet b is forced to an appliance by a UDR
// 0/0; one NIC in ten of subnet a has a public IP.
func auditNetwork(vnets, nics int) *topology.Model {
	const sub = "/subscriptions/0/resourceGroups/gen/providers/Microsoft.Network/"
	m := &topology.Model{}
	g := &topology.NSG{Meta: topology.Meta{ID: sub + "networkSecurityGroups/nsg-a", Name: "nsg-a"}, Rules: []nsg.Rule{{Name: "ssh", Priority: 100,
		Direction: nsg.Inbound, Access: nsg.Allow, Protocol: nsg.ProtocolTCP, SourceAddressPrefix: "Internet", SourcePortRange: "*",
		DestinationAddressPrefix: "*", DestinationPortRange: "22"}}}
	m.NSGs = append(m.NSGs, g)
	for v := range vnets {
		name := "vnet" + strconv.Itoa(v)
		vn := &topology.VNet{Meta: topology.Meta{ID: topology.Ref(sub + "virtualNetworks/" + name), Name: name, Location: "eastus"},
			AddressSpace: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(v), 0, 0}), 16)}}
		rt := &topology.RouteTable{Meta: topology.Meta{ID: topology.Ref(sub + "routeTables/rt-" + name), Name: "rt-" + name}}
		rt.Routes = append(rt.Routes, routeTo("to-nva", "0.0.0.0/0", "10.255.0.4"))
		m.RouteTables = append(m.RouteTables, rt)
		for k, sn := range []string{"a", "b"} {
			s := &topology.Subnet{Meta: topology.Meta{ID: vn.ID + topology.Ref("/subnets/"+sn), Name: sn, Location: "eastus"}, VNet: vn,
				Prefixes: []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(v), byte(k * 64), 0}), 18)}}
			if sn == "a" {
				s.NSG = g.ID
			} else {
				s.RouteTable = rt.ID
			}
			vn.Subnets = append(vn.Subnets, s)
			for n := range nics {
				id := topology.Ref(sub + "networkInterfaces/nic-" + name + "-" + sn + "-" + strconv.Itoa(n))
				nic := &topology.NIC{Meta: topology.Meta{ID: id, Name: id.Name()}}
				ipc := &topology.IPConfig{Meta: topology.Meta{ID: id + "/ipConfigurations/ip"}, NIC: nic, Primary: true,
					PrivateIP: netip.AddrFrom4([4]byte{10, byte(v), byte(k*64 + 1 + n/250), byte(4 + n%250)}), Subnet: s.ID}
				if sn == "a" && n%10 == 0 {
					pip := &topology.PublicIP{Meta: topology.Meta{ID: id + "-pip", Name: id.Name() + "-pip"}, SKU: "Standard",
						Address: netip.AddrFrom4([4]byte{20, byte(v), byte(n >> 8), byte(n)})}
					m.PublicIPs = append(m.PublicIPs, pip)
					ipc.PublicIP = pip.ID
				}
				nic.IPConfigs = []*topology.IPConfig{ipc}
				m.NICs = append(m.NICs, nic)
			}
		}
		m.VNets = append(m.VNets, vn)
	}
	return m
}

func routeTo(name, prefix, ip string) route.UserRoute {
	return route.UserRoute{Name: name, AddressPrefix: prefix, NextHopType: "VirtualAppliance", NextHopIPAddress: ip}
}

// Issue 9: 10,000 NICs gave 21,000 lines. The findings now scale with the
// subnets, not the NICs: the same network with 2 or 250 NICs per subnet
// gives the same findings, and every NIC is still listed.
func TestAuditAggregationScalesWithSubnets(t *testing.T) {
	vnets, many := 20, 250 // 10,000 NICs
	if testing.Short() {
		vnets, many = 8, 125 // 2,000 NICs
	}
	audit := func(nics int) *simulate.AuditReport {
		m := auditNetwork(vnets, nics)
		require.NoError(t, m.Validate(tags(t)))
		e, err := compile(m, tags(t), simulate.Options{})
		require.NoError(t, err)
		return e.Audit()
	}
	small, big := audit(2), audit(many)
	require.Equal(t, len(small.Findings), len(big.Findings))
	subnets := 2 * vnets
	assert.LessOrEqual(t, len(big.Findings), 3*subnets, "a few findings per subnet, whatever the NICs")
	type key struct {
		check simulate.Check
		scope string
		sev   simulate.Severity
	}
	count := func(rep *simulate.AuditReport) (map[key]int, int) {
		out, total := map[key]int{}, 0
		for _, f := range rep.Findings {
			out[key{f.Check, f.Scope.Name, f.Severity}] += f.NICCount
			if f.Check == simulate.CheckDirectInternet {
				total += f.NICCount
			}
		}
		return out, total
	}
	cs, _ := count(small)
	cb, direct := count(big)
	require.Len(t, cb, len(cs))
	for k := range cs {
		assert.Contains(t, cb, k)
	}
	assert.Equal(t, vnets*many, direct, "every NIC of every subnet a is listed under direct-internet")
	// Subnet a: direct-internet and default-outbound-access and no-forced-tunnel
	// per subnet (subnet b differs); subnet b: vnet-tag-widened needs an NSG, so none.
	// direct-internet is two findings in subnet a: its NICs with a public IP
	// get ICMP out too, those on default outbound access do not.
	assert.Equal(t, many, cb[key{simulate.CheckDirectInternet, "vnet0/a", simulate.SeverityHigh}])
	pip := 0
	for _, f := range big.Findings {
		if f.Check == simulate.CheckDirectInternet && f.Scope.Name == "vnet0/a" && strings.Contains(f.Message, "Icmp") {
			pip = f.NICCount
		}
	}
	assert.Equal(t, (many+9)/10, pip, "one NIC in ten has a public IP")
	assert.Equal(t, many, cb[key{simulate.CheckNoForcedTunnel, "vnet0/a", simulate.SeverityMedium}])
	// The inbound rule is one resource finding listing the NICs it is in effect at.
	in := only(t, big, simulate.CheckNSGAllowsInternetInbound)
	assert.Equal(t, simulate.SeverityHigh, in.Severity)
	assert.Equal(t, vnets*many, in.NICCount)
	assert.Len(t, in.NICs, vnets*many)

	// Same input, same bytes.
	b1, err := json.Marshal(big)
	require.NoError(t, err)
	b2, err := json.Marshal(audit(many))
	require.NoError(t, err)
	assert.True(t, string(b1) == string(b2), "the audit is deterministic")
}

// A VNet whose subnets all have the same finding is reported once, as the
// VNet; when one subnet differs, each subnet keeps its own finding.
func TestAuditAggregationToVNet(t *testing.T) {
	design := `egress: v1
location: eastus
vnets:
  - name: v
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: s1, prefix: 10.1.1.0/24}
      - {name: s2, prefix: 10.1.2.0/24}
      - {name: s3, prefix: 10.1.3.0/24, routeTable: SUBNET3_RT}
routeTables:
  - name: rt
    routes: [{name: to-nva, prefix: 0.0.0.0/0, nextHop: VirtualAppliance, ip: 10.1.1.100}]
nics:
  - {name: a, subnet: v/s1, ip: 10.1.1.4}
  - {name: b, subnet: v/s1, ip: 10.1.1.5}
  - {name: c, subnet: v/s2, ip: 10.1.2.4}
  - {name: d, subnet: v/s3, ip: 10.1.3.4}
`
	rep := engine(t, strings.Replace(design, "SUBNET3_RT", `""`, 1), simulate.Options{}).Audit()
	f := only(t, rep, simulate.CheckNoForcedTunnel)
	assert.Equal(t, simulate.Scope{Kind: simulate.ScopeVirtualNetwork, ID: f.Scope.ID, Name: "v"}, f.Scope)
	assert.True(t, strings.HasSuffix(f.Scope.ID, "/virtualNetworks/v"))
	assert.Equal(t, []string{"a", "b", "c", "d"}, nicNames(f))
	assert.Equal(t, 4, f.NICCount)
	assert.Contains(t, f.Evidence, "0.0.0.0/0")

	rep = engine(t, strings.Replace(design, "SUBNET3_RT", "rt", 1), simulate.Options{}).Audit()
	assert.Equal(t, []string{"v/s1", "v/s2"}, findings(rep, simulate.CheckNoForcedTunnel), "s3 is forced to the appliance")
	assert.Equal(t, []string{"a", "b"}, nicNames(rep.Findings[findIndex(rep, simulate.CheckNoForcedTunnel, "v/s1")]))
}

// A probe set is a value: callers cannot change the audit's by changing the copy they got.
func TestAuditProbes(t *testing.T) {
	p := simulate.AuditProbes()
	assert.Equal(t, netip.MustParseAddr("52.0.0.1"), p.Internet)
	assert.Equal(t, simulate.Probe{Service: "HTTPS", Protocol: ipproto.TCP, Port: 443}, p.Outbound[0], "default-outbound-access and unstable-egress-ip use the first")
	assert.Len(t, p.Outbound, 8)
	assert.Equal(t, []simulate.Probe{{Service: "SSH", Protocol: ipproto.TCP, Port: 22}, {Service: "RDP", Protocol: ipproto.TCP, Port: 3389},
		{Service: "RDP", Protocol: ipproto.UDP, Port: 3389}}, p.Inbound)
	p.Outbound[0].Port = 1
	assert.Equal(t, uint16(443), simulate.AuditProbes().Outbound[0].Port)
	assert.Equal(t, "Tcp/443 (HTTPS)", simulate.AuditProbes().Outbound[0].String())
}

// On random networks (genNetwork: NVAs, loops, firewalls, NAT gateways,
// random NSGs) the audit never panics, is deterministic, and lists a NIC at
// most once per check at subnet or VNet scope, except forced-tunnel-bypass
// (once per bypass route).
func TestAuditRandomNetworks(t *testing.T) {
	for seed := range uint64(8) {
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b9))
		m := genNetwork(r, 1+int(seed%5), 1+int(seed%4))
		require.NoError(t, m.Validate(tags(t)))
		e, err := compile(m, tags(t), simulate.Options{})
		require.NoError(t, err)
		rep := e.Audit()
		require.NotNil(t, rep.Findings)
		seen := map[simulate.Check]map[string]bool{}
		for _, f := range rep.Findings {
			require.NotEqual(t, simulate.SeverityNone, f.Severity)
			require.Equal(t, len(f.NICs), f.NICCount)
			if seen[f.Check] == nil {
				seen[f.Check] = map[string]bool{}
			}
			if f.Check == simulate.CheckForcedTunnelBypass || (f.Scope.Kind != simulate.ScopeSubnet && f.Scope.Kind != simulate.ScopeVirtualNetwork) {
				continue // one per route, one per rule
			}
			for _, n := range f.NICs {
				require.False(t, seen[f.Check][n.ID], "seed %d: %s lists %s twice", seed, f.Check, n.Name)
				seen[f.Check][n.ID] = true
			}
		}
		b1, _ := json.Marshal(rep)
		b2, _ := json.Marshal(e.Audit())
		require.Equal(t, string(b1), string(b2), "seed %d", seed)
	}
	// An empty network: no findings, and the JSON says so with [].
	e, err := compile(&topology.Model{}, nil, simulate.Options{})
	require.NoError(t, err)
	b, err := json.Marshal(e.Audit())
	require.NoError(t, err)
	assert.Contains(t, string(b), `"findings":[]`)
}

// TestAuditProgress: AuditProgress reports its way through the NICs, ends
// with done == total, and reports what Audit does.
func TestAuditProgress(t *testing.T) {
	const nics = 600
	var b strings.Builder
	b.WriteString("egress: v1\nlocation: eastus\nvnets:\n  - {name: v, addressSpace: [10.1.0.0/16], subnets: [{name: a, prefix: 10.1.0.0/20}]}\nnics:\n")
	for i := range nics {
		b.WriteString("  - {name: nic-" + strconv.Itoa(i) + ", subnet: v/a, ip: 10.1." + strconv.Itoa(i/250) + "." + strconv.Itoa(4+i%250) + "}\n")
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "many.yaml", Data: []byte(b.String())}}})
	require.NoError(t, err)
	e := simulate.Compile(n, simulate.Options{})
	var calls [][2]int
	rep := e.AuditProgress(func(done, total int) { calls = append(calls, [2]int{done, total}) })
	assert.Equal(t, [][2]int{{256, nics}, {512, nics}, {nics, nics}}, calls)
	assert.Equal(t, e.Audit(), rep)
	assert.Equal(t, e.Audit(), e.AuditProgress(nil))
}

// The audit builds its NICs' egress maps with ReachAll (in parallel, NICs
// whose maps provably coincide sharing the work); it reads the same, byte
// for byte, as with every NIC's map built by Reach on its own.
func TestAuditReachAll(t *testing.T) {
	check := func(name string, e *simulate.Engine) {
		t.Helper()
		b1, err := json.Marshal(e.Audit())
		require.NoError(t, err)
		b2, err := json.Marshal(simulate.AuditWithoutSharing(e))
		require.NoError(t, err)
		require.Equal(t, string(b2), string(b1), name)
	}
	check("default design", defaultEngine(t))
	m := auditNetwork(3, 12)
	require.NoError(t, m.Validate(tags(t)))
	e, err := compile(m, tags(t), simulate.Options{})
	require.NoError(t, err)
	check("auditNetwork", e)
	seeds := uint64(24)
	if testing.Short() {
		seeds = 8
	}
	for seed := range seeds {
		r := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
		m := genNetwork(r, 1+int(seed%4), 2+int(seed%5))
		require.NoError(t, m.Validate(tags(t)))
		e, err := compile(m, tags(t), simulate.Options{})
		require.NoError(t, err)
		check("seed "+strconv.Itoa(int(seed)), e)
	}
	w := newReachFromWorld(t, 77, 3, 2, simulate.Options{})
	check("generated, with web apps and container groups", w.e)
}
