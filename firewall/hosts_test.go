package firewall_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/ipproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostWitnesses: one name per distinct target pattern, each matched by
// its rule (the engine itself says so), then a name no pattern but "*"
// matches; wildcards follow Azure Firewall's suffix semantics
// (https://learn.microsoft.com/azure/firewall/firewall-faq, wildcards).
func TestHostWitnesses(t *testing.T) {
	app := func(name, action string, fqdns []string, urls []string) firewall.RuleCollection {
		a := firewall.Allow
		if action == "deny" {
			a = firewall.Deny
		}
		return firewall.RuleCollection{Name: name, Priority: 100 + len(name), Kind: firewall.KindFilter, Action: a,
			ApplicationRules: []firewall.ApplicationRule{{Name: name, SourceAddresses: []string{"*"},
				Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 443}}, TargetFqdns: fqdns, TargetURLs: urls, TerminateTLS: len(urls) > 0}}}
	}
	p := &firewall.Policy{Name: "p", RuleCollectionGroups: []firewall.RuleCollectionGroup{{Name: "g", Priority: 100,
		RuleCollections: []firewall.RuleCollection{
			{Name: "net", Priority: 100, Kind: firewall.KindFilter, Action: firewall.Allow,
				NetworkRules: []firewall.NetworkRule{{Name: "dns", IPProtocols: []firewall.Protocol{firewall.ProtocolUDP},
					SourceAddresses: []string{"*"}, DestinationAddresses: []string{"1.1.1.1"}, DestinationPorts: []string{"53"}}}},
			app("a", "allow", []string{"*.blob.core.windows.net", "WWW.Contoso.com"}, nil),
			app("bb", "deny", []string{"*contoso.com", "*.blob.core.windows.net"}, nil),
			app("ccc", "allow", nil, []string{"docs.example.org/path/*"}),
		}}}}
	e, err := firewall.Compile(p, firewall.Resolvers{})
	require.NoError(t, err)
	ws := e.HostWitnesses()
	var pats []string
	for _, w := range ws {
		pats = append(pats, w.Pattern)
	}
	assert.Equal(t, []string{"*.blob.core.windows.net", "www.contoso.com", "*contoso.com", "docs.example.org", ""}, pats)
	assert.Equal(t, firewall.OtherHost, ws[len(ws)-1].Host)
	assert.Equal(t, -1, ws[len(ws)-1].Rule)
	for _, w := range ws[:len(ws)-1] {
		f := firewall.Flow{Src: netip.MustParseAddr("10.0.0.4"), Dst: netip.MustParseAddr("20.1.1.1"), Proto: ipproto.TCP, DstPort: 443,
			App: firewall.AppHTTPS, Name: w.Host, Path: "/path/x"}
		v := e.Evaluate(f)
		r, ok := e.RuleOf(v)
		require.True(t, ok, "%+v: %s", w, e.Explain(v))
		info, _ := e.RuleOf(firewall.Verdict{Rule: int32(w.Rule)})
		assert.Equal(t, info.Rule, r.Rule, "%+v is decided by the first rule naming its pattern", w)
		assert.Equal(t, w.Pattern == "docs.example.org", w.URL)
	}
	// The other name meets no pattern: default deny.
	v := e.Evaluate(firewall.Flow{Src: netip.MustParseAddr("10.0.0.4"), Dst: netip.MustParseAddr("20.1.1.1"), Proto: ipproto.TCP, DstPort: 443,
		App: firewall.AppHTTPS, Name: firewall.OtherHost})
	assert.Equal(t, firewall.ReasonDefaultDeny, v.Reason)

	// No application rule: no witness.
	p.RuleCollectionGroups[0].RuleCollections = p.RuleCollectionGroups[0].RuleCollections[:1]
	e, err = firewall.Compile(p, firewall.Resolvers{})
	require.NoError(t, err)
	assert.Nil(t, e.HostWitnesses())
}
