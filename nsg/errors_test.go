package nsg_test

import (
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/problem"
)

// Bad input: every problem is reported as an *nsg.Error naming the NSG, the
// rule and the ARM field, all problems are collected, nothing panics.
// Rule fields and limits: azure-semantics.md §2.1 and §2.7,
// https://learn.microsoft.com/azure/azure-resource-manager/management/azure-subscription-service-limits#networking-limits
func TestCompileErrors(t *testing.T) {
	ok := r("ok", 100, "Outbound Allow Tcp * * * 443")
	with := func(f func(*nsg.Rule)) nsg.Rule { x := ok; f(&x); return x }
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	tests := []struct {
		name  string
		rule  nsg.Rule
		kind  error
		field string
		msg   string
	}{
		{"priority too low", with(func(x *nsg.Rule) { x.Priority = 99 }), nsg.ErrPriority, "priority", "want 100..4096"},
		{"priority too high", with(func(x *nsg.Rule) { x.Priority = 4097 }), nsg.ErrPriority, "priority", "want 100..4096"},
		{"name starts with a dash", with(func(x *nsg.Rule) { x.Name = "-web" }), nsg.ErrName, "name", ""},
		{"name ends with a dot", with(func(x *nsg.Rule) { x.Name = "web." }), nsg.ErrName, "name", ""},
		{"name too long", with(func(x *nsg.Rule) { x.Name = strings.Repeat("a", 81) }), nsg.ErrName, "name", ""},
		{"name with a space", with(func(x *nsg.Rule) { x.Name = "a b" }), nsg.ErrName, "name", ""},
		{"no direction", with(func(x *nsg.Rule) { x.Direction = 0 }), nsg.ErrDirection, "direction", ""},
		{"no access", with(func(x *nsg.Rule) { x.Access = 0 }), nsg.ErrAccess, "access", ""},
		{"AlwaysAllow in an NSG", with(func(x *nsg.Rule) { x.Access = nsg.AlwaysAllow }), nsg.ErrAccess, "access", "admin rules only"},
		{"no protocol", with(func(x *nsg.Rule) { x.Protocol = 0 }), nsg.ErrProtocol, "protocol", ""},
		{"host bits", with(func(x *nsg.Rule) { x.DestinationAddressPrefix = "10.1.1.1/24" }), nsg.ErrAddress, "destinationAddressPrefix", "10.1.1.0/24"},
		{"bad address", with(func(x *nsg.Rule) { x.DestinationAddressPrefix = "10.1.1.300" }), nsg.ErrAddress, "destinationAddressPrefix", ""},
		{"mixed families", with(func(x *nsg.Rule) {
			x.SourceAddressPrefix, x.DestinationAddressPrefixes, x.DestinationAddressPrefix = "10.0.0.0/8", []string{"2001:db8::/32"}, ""
		}), nsg.ErrFamily, "addressPrefixes", ""},
		{"port 0", with(func(x *nsg.Rule) { x.DestinationPortRange = "0" }), nsg.ErrPort, "destinationPortRange", "outside 1..65535"},
		{"port 65536", with(func(x *nsg.Rule) { x.DestinationPortRanges, x.DestinationPortRange = []string{"80", "65536"}, "" }), nsg.ErrPort, "destinationPortRanges[1]", "65536"},
		{"reversed range", with(func(x *nsg.Rule) { x.SourcePortRange = "90-80" }), nsg.ErrPort, "sourcePortRange", "reversed"},
		{"missing port", with(func(x *nsg.Rule) { x.SourcePortRange = "" }), nsg.ErrPort, "sourcePortRange", "missing"},
		{"unknown tag", with(func(x *nsg.Rule) { x.DestinationAddressPrefix = "Storage.Mars" }), nsg.ErrTag, "destinationAddressPrefix", ""},
		{"two tags", with(func(x *nsg.Rule) {
			x.DestinationAddressPrefix, x.DestinationAddressPrefixes = "", []string{"Storage", "Sql"}
		}), nsg.ErrAddress, "destinationAddressPrefixes[0]", "service tag"},
		{"* with others", with(func(x *nsg.Rule) { x.SourceAddressPrefix, x.SourceAddressPrefixes = "", []string{"10.0.0.0/8", "*"} }), nsg.ErrAddress, "sourceAddressPrefixes[1]", "only address"},
		{"singular and plural", with(func(x *nsg.Rule) { x.SourceAddressPrefixes = []string{"10.0.0.0/8"} }), nsg.ErrAddress, "sourceAddressPrefix", "set only one"},
		{"missing destination", with(func(x *nsg.Rule) { x.DestinationAddressPrefix = "" }), nsg.ErrAddress, "destinationAddressPrefix", "missing"},
		{"unknown ASG", with(func(x *nsg.Rule) { x.SourceAddressPrefix, x.SourceApplicationSecurityGroups = "", []string{asgID(5)} }), nsg.ErrASG, "sourceApplicationSecurityGroups[0]", "unknown"},
		{"ASGs of two VNets", with(func(x *nsg.Rule) {
			x.SourceAddressPrefix, x.SourceApplicationSecurityGroups = "", []string{asgID(1)}
			x.DestinationAddressPrefix, x.DestinationApplicationSecurityGroups = "", []string{asgID(9)}
		}), nsg.ErrASG, "applicationSecurityGroups", "one virtual network"},
		{"more than 10 ASGs", with(func(x *nsg.Rule) {
			x.SourceAddressPrefix, x.SourceApplicationSecurityGroups = "", many(11, func(int) string { return asgID(1) })
		}), nsg.ErrLimit, "sourceApplicationSecurityGroups", "10 ASGs"},
		{"more than 4,000 prefixes", with(func(x *nsg.Rule) {
			x.DestinationAddressPrefix, x.DestinationAddressPrefixes = "", many(4001, func(i int) string { return "10.0." + strconv.Itoa(i/256) + "." + strconv.Itoa(i%256) })
		}), nsg.ErrLimit, "destinationAddressPrefixes", "4000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sg := nsg.SecurityGroup{ID: nsgPrefix + "nsg-app", Rules: []nsg.Rule{tt.rule}}
			_, err := nsg.Compile(sg, testRes)
			require.Error(t, err)
			assert.Equal(t, err, nsg.Check(sg, testRes), "Check reports what Compile reports")
			assert.ErrorIs(t, err, tt.kind)
			var e *nsg.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, `nsg "nsg-app"`, e.Resource)
			assert.Equal(t, 0, e.Index("securityRules"))
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, err.Error(), `nsg "nsg-app": rule `)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestCompileErrorsCollected(t *testing.T) {
	rules := []nsg.Rule{
		r("a", 100, "Outbound Allow Tcp * * * 443"),
		r("a", 100, "Outbound Deny Tcp * * * 0"),             // duplicate name, duplicate priority, port 0
		r("b", 100, "Inbound Deny Tcp * * Nope 443"),         // same priority, other direction: fine; unknown tag
		r("c", 5000, "Outbound Allow Tcp 10.0.0.1/8 * * 80"), // priority, host bits
	}
	_, err := nsg.Compile(nsg.SecurityGroup{ID: nsgPrefix + "nsg-app", Rules: rules}, testRes)
	require.Error(t, err)
	assert.Equal(t, err, nsg.Check(nsg.SecurityGroup{ID: nsgPrefix + "nsg-app", Rules: rules}, testRes))
	var kinds []string
	for _, ne := range problem.All(err) {
		kinds = append(kinds, ne.Items[0].Name+":"+ne.Field+":"+ne.Kind.Error())
	}
	assert.ElementsMatch(t, []string{
		"a:destinationPortRange:invalid port",
		"a:name:duplicate",
		"a:priority:duplicate",
		"b:destinationAddressPrefix:unknown service tag",
		"c:priority:invalid priority",
		"c:sourceAddressPrefix:invalid address",
	}, kinds)
	assert.Equal(t, `nsg "nsg-app": rule "a" (#1): destinationPortRange "0": invalid port: 0 is outside 1..65535`,
		err.(interface{ Unwrap() []error }).Unwrap()[0].Error())

	big := make([]nsg.Rule, 1001)
	for i := range big {
		big[i] = r("r"+strconv.Itoa(i), 100+i, "Outbound Allow Tcp * * * 443")
	}
	_, err = nsg.Compile(nsg.SecurityGroup{ID: nsgPrefix + "big", Rules: big}, testRes)
	assert.ErrorIs(t, err, nsg.ErrLimit)
	assert.Contains(t, err.Error(), "more than 1000 rules")

	_, err = nsg.Compile(nsg.SecurityGroup{ID: nsgPrefix + "x", Rules: []nsg.Rule{r("t", 100, "Outbound Allow Tcp * * Storage 443")}}, nsg.Resolvers{})
	assert.ErrorIs(t, err, nsg.ErrTag, "no resolver")
}

func TestAdminAndBindingErrors(t *testing.T) {
	_, err := nsg.CompileAdmin(nsg.AdminConfig{ID: "cfg", Rules: []nsg.AdminRule{
		{Name: "x", Priority: 0, Direction: nsg.Inbound, Access: nsg.Deny, Protocol: nsg.ProtocolAny, Sources: []string{"*"}, Destinations: []string{"*"}},
		{Name: "y", Collection: "c", Priority: 5, Direction: nsg.Inbound, Access: nsg.Deny, Protocol: nsg.ProtocolAny, Sources: []string{"*"}, Destinations: []string{"*"}},
		{Name: "z", Collection: "c", Priority: 5, Direction: nsg.Inbound, Access: nsg.Allow, Protocol: nsg.ProtocolAny, Sources: []string{"*"}},
	}}, testRes)
	require.Error(t, err)
	assert.ErrorIs(t, err, nsg.ErrPriority)
	assert.ErrorIs(t, err, nsg.ErrDuplicate)
	assert.ErrorIs(t, err, nsg.ErrAddress) // z has no destinations

	asgRule := r("web", 100, "Inbound Allow Tcp asg:"+asgID(9)+" * * 443")
	g := group(t, "asg-b", asgRule)
	scope, _ := nsg.CompileContext(spokeCtx)
	_, err = nsg.NewClassifier(nsg.NIC{ID: "nic", VNet: vnetID, Addrs: []netip.Addr{ip(nicIP)}, NSG: g, Scope: scope})
	assert.ErrorIs(t, err, nsg.ErrASG, "an ASG from another VNet")
	_, err = nsg.NewClassifier(nsg.NIC{ID: "nic", Addrs: []netip.Addr{{}}, NSG: g, Admin: g})
	assert.ErrorIs(t, err, nsg.ErrBinding)
	assert.ErrorIs(t, err, nsg.ErrAddress)

	_, err = nsg.CompileContext(nsg.Context{UDR: []netip.Prefix{netip.PrefixFrom(ip("10.1.1.1"), 24)}})
	assert.ErrorIs(t, err, nsg.ErrAddress)
	assert.True(t, errors.Is(err, nsg.ErrAddress))
}
