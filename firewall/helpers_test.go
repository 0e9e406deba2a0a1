package firewall_test

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
)

var (
	tcp  = []firewall.Protocol{firewall.ProtocolTCP}
	anyP = []firewall.Protocol{firewall.ProtocolAny}
	star = []string{"*"}
)

func ss(s ...string) []string { return s }

func netRule(name string, protos []firewall.Protocol, src, dst, ports []string) firewall.NetworkRule {
	return firewall.NetworkRule{Name: name, IPProtocols: protos, SourceAddresses: src, DestinationAddresses: dst, DestinationPorts: ports}
}

func appRule(name string, fqdns ...string) firewall.ApplicationRule {
	return firewall.ApplicationRule{Name: name, SourceAddresses: star,
		Protocols:   []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}, {Type: firewall.AppHTTP, Port: 80}},
		TargetFqdns: fqdns}
}

func netColl(name string, prio int, a firewall.Action, rules ...firewall.NetworkRule) firewall.RuleCollection {
	return firewall.RuleCollection{Name: name, Priority: prio, Kind: firewall.KindFilter, Action: a, NetworkRules: rules}
}

func appColl(name string, prio int, a firewall.Action, rules ...firewall.ApplicationRule) firewall.RuleCollection {
	return firewall.RuleCollection{Name: name, Priority: prio, Kind: firewall.KindFilter, Action: a, ApplicationRules: rules}
}

func natColl(name string, prio int, rules ...firewall.NatRule) firewall.RuleCollection {
	return firewall.RuleCollection{Name: name, Priority: prio, Kind: firewall.KindNat, Action: firewall.DNAT, NatRules: rules}
}

func group(name string, prio int, cs ...firewall.RuleCollection) firewall.RuleCollectionGroup {
	return firewall.RuleCollectionGroup{Name: name, Priority: prio, RuleCollections: cs}
}

func policy(gs ...firewall.RuleCollectionGroup) *firewall.Policy {
	return &firewall.Policy{Name: "pol", RuleCollectionGroups: gs}
}

func compile(t testing.TB, p *firewall.Policy, r firewall.Resolvers) *firewall.Engine {
	t.Helper()
	e, err := firewall.Compile(p, r)
	require.NoError(t, err)
	return e
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func tcpFlow(src, dst string, port uint16) firewall.Flow {
	return firewall.Flow{Src: addr(src), Dst: addr(dst), Proto: ipproto.TCP, DstPort: port}
}

func httpsFlow(src, dst, sni string) firewall.Flow {
	f := tcpFlow(src, dst, 443)
	f.App, f.Name = firewall.AppHTTPS, sni
	return f
}

// ruleName returns the deciding rule's path, or "".
func ruleName(e *firewall.Engine, v firewall.Verdict) string {
	if r, ok := e.RuleOf(v); ok {
		return r.Path()
	}
	return ""
}
