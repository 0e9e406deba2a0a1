package firewall_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/firewall"
)

// TestCompileErrors feeds one policy with many problems and checks that
// every one is reported, naming its place, with its category.
func TestCompileErrors(t *testing.T) {
	bad := netRule("bad", []firewall.Protocol{firewall.ProtocolTCP, 0}, ss("10.0.0.1/8", "fd00::/8"), ss("NoSuchTag", "10.0.0.300", "10.0.0.9-10.0.0.1"), ss("0", "70000", "90-80", "x"))
	p := &firewall.Policy{Name: "pol", SNATPrivateRanges: ss("IANAPrivateRanges", "not-a-range"),
		RuleCollectionGroups: []firewall.RuleCollectionGroup{
			group("g1", 99, netColl("c1", 100, firewall.Allow, bad, netRule("BAD", tcp, star, star, star))),
			group("G1", 200,
				firewall.RuleCollection{Name: "-c", Priority: 100, Kind: firewall.KindFilter, Action: firewall.DNAT, NetworkRules: []firewall.NetworkRule{netRule(strings.Repeat("x", 81), tcp, star, star, star)}},
				netColl("c2", 100, firewall.Allow),
				firewall.RuleCollection{Name: "mixed", Priority: 300, Kind: firewall.KindFilter, Action: firewall.Allow,
					NetworkRules: []firewall.NetworkRule{netRule("n", tcp, star, star, star)}, ApplicationRules: []firewall.ApplicationRule{appRule("a", "x.com")}},
				appColl("apps", 400, firewall.Allow,
					firewall.ApplicationRule{Name: "a1", SourceAddresses: star, Protocols: []firewall.AppProtocol{{Type: firewall.AppHTTPS, Port: 70000}, {Type: 0, Port: 80}},
						TargetURLs: ss("https://x.com/a", "x.com/a*b"), FqdnTags: ss("NoSuchFqdnTag")},
					firewall.ApplicationRule{Name: "a2", SourceIPGroups: ss("/ipGroups/missing")}),
				natColl("nat", 500, firewall.NatRule{Name: "n1", IPProtocols: []firewall.Protocol{firewall.ProtocolICMP}, SourceAddresses: star,
					DestinationAddresses: ss("52.1.1.1"), DestinationPorts: ss("443"), TranslatedAddress: "10.0.0.4", TranslatedFqdn: "x.com", TranslatedPort: "0"}),
				firewall.RuleCollection{Name: "kindless", Priority: 600},
			),
		}}
	_, err := firewall.Compile(p, firewall.Resolvers{})
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		`policy "pol": group "g1" (#0): priority "99": invalid priority: outside 100..65000`,
		`policy "pol": group "G1" (#1): name "G1": duplicate: same name as group #0`,
		`rule "bad" (#0): ipProtocols[1] "Protocol(0)": invalid protocol`,
		`rule "bad" (#0): sourceAddresses[0] "10.0.0.1/8": invalid address: host bits set (did you mean 10.0.0.0/8?)`,
		`sourceAddresses[1] "fd00::/8": invalid address: Azure Firewall does not support IPv6`,
		`destinationAddresses[0] "NoSuchTag": unknown service tag: no service tag resolver`,
		`destinationAddresses[1] "10.0.0.300": invalid address`,
		`destinationAddresses[2] "10.0.0.9-10.0.0.1": invalid address: range start is after its end`,
		`destinationPorts[0] "0": invalid port: 0 is outside 1..65535`,
		`destinationPorts[1] "70000": invalid port`,
		`destinationPorts[2] "90-80": invalid port: range start is after its end`,
		`destinationPorts[3] "x": invalid port: not a port number`,
		`rule "BAD" (#1): name "BAD": duplicate: same name as rule #0`,
		`collection "-c" (#0): name "-c": invalid name: must start with a letter or digit`,
		`collection "-c" (#0): action "Dnat": invalid rule collection`,
		`name "xxxxxxxx`,
		`invalid name: longer than 80 characters`,
		`collection "c2" (#1): priority "100": duplicate: same priority as collection #0`,
		`collection "mixed" (#2): rules: invalid rule collection: a collection holds rules of one type`,
		`rule "a1" (#0): protocols[0].port "70000": invalid port: outside 1..64000`,
		`protocols[1].protocolType "None": invalid protocol`,
		`targetUrls[0] "https://x.com/a": invalid target URL: no scheme allowed`,
		`targetUrls[1] "x.com/a*b": invalid target URL: '*' is allowed only at the end of the path`,
		`fqdnTags[0] "NoSuchFqdnTag": unknown FQDN tag`,
		`rule "a2" (#1): sourceIpGroups[0] "/ipGroups/missing": unknown IP group: no IP group resolver`,
		`rule "a2" (#1): protocols: missing field`,
		`rule "a2" (#1): targetFqdns: missing field`,
		`rule "n1" (#0): ipProtocols[0] "ICMP": invalid protocol: DNAT rules translate TCP and UDP only`,
		`translatedPort "0": invalid port`,
		`translatedAddress "10.0.0.4": invalid address: set translatedAddress or translatedFqdn, not both`,
		`collection "kindless" (#5): ruleCollectionType "CollectionKind(0)": invalid rule collection: want Filter or Nat`,
		`policy "pol": snat.privateRanges[1] "not-a-range": invalid SNAT private range`,
	} {
		assert.Contains(t, msg, want)
	}
	for _, kind := range []error{firewall.ErrName, firewall.ErrDuplicate, firewall.ErrPriority, firewall.ErrKind, firewall.ErrProtocol,
		firewall.ErrAddress, firewall.ErrPort, firewall.ErrURL, firewall.ErrTag, firewall.ErrIPGroup, firewall.ErrFQDNTag,
		firewall.ErrMissing, firewall.ErrSNAT} {
		assert.ErrorIs(t, err, kind)
	}
	var fe *firewall.Error
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, `policy "pol"`, fe.Resource)
	if t.Failed() {
		t.Log(msg)
	}
}

func TestCompileInheritanceAndLimits(t *testing.T) {
	_, err := firewall.Compile(nil, firewall.Resolvers{})
	assert.ErrorIs(t, err, firewall.ErrMissing)

	grand := policy()
	parent := policy()
	parent.Parent = grand
	child := policy()
	child.Parent = parent
	_, err = firewall.Compile(child, firewall.Resolvers{})
	assert.ErrorIs(t, err, firewall.ErrInheritance)

	var gs []firewall.RuleCollectionGroup
	for i := range firewall.MaxGroups + 1 {
		gs = append(gs, group("g"+strings.Repeat("x", i%3)+string(rune('a'+i%26))+string(rune('a'+i/26)), 100+i))
	}
	_, err = firewall.Compile(policy(gs...), firewall.Resolvers{})
	assert.ErrorIs(t, err, firewall.ErrLimit)

	// Names: letters, digits, '_', '.', '-'; start letter/digit; end letter/digit/'_'.
	for name, ok := range map[string]bool{"a": true, "a_": true, "a.b-c_d": true, "9x": true, "a-": false, "a.": false, "_a": false, "a b": false, "": false} {
		_, err := firewall.Compile(policy(group(name, 100)), firewall.Resolvers{})
		assert.Equal(t, ok, err == nil, "name %q: %v", name, err)
	}
}
