package nsg_test

import (
	"encoding/json"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// The JSON shape of az network nic list-effective-nsg (azure-semantics §6.2,
// https://learn.microsoft.com/rest/api/virtualnetwork/network-interfaces/list-effective-network-security-groups):
// one element per applied NSG, tagMap a JSON string, expanded prefixes null
// when not a tag, "All" for any protocol, ports as ranges.
func TestEffectiveNSGsJSON(t *testing.T) {
	ctx := nsg.Context{AddressSpace: []netip.Prefix{pfx("10.20.0.0/16")}}
	g := group(t, "nsg-app", r("deny-smb-out", 200, "Outbound Deny Tcp * * Internet 445"),
		r("rdp", 300, "Inbound Allow Tcp * * 10.20.1.4 3389"),
		r("web", 310, "Inbound Allow Tcp 198.51.100.0/24,203.0.113.0/24 * * 80,443"))
	c := classifier(t, ctx, g, nil, nil)
	b, err := json.Marshal(c.EffectiveNSGs())
	require.NoError(t, err)
	var doc struct {
		NextLink *string `json:"nextLink"`
		Value    []map[string]json.RawMessage
	}
	require.NoError(t, json.Unmarshal(b, &doc))
	require.Len(t, doc.Value, 1)
	v := doc.Value[0]
	assert.JSONEq(t, `{"id":"`+nsgPrefix+`nsg-app"}`, string(v["networkSecurityGroup"]))
	assert.JSONEq(t, `{"networkInterface":{"id":"/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/networkInterfaces/vm1-nic"},"subnet":null}`, string(v["association"]))
	var tagMap string
	require.NoError(t, json.Unmarshal(v["tagMap"], &tagMap), "tagMap is a JSON string")
	var tags map[string][]string
	require.NoError(t, json.Unmarshal([]byte(tagMap), &tags))
	assert.Equal(t, []string{"10.20.0.0/16", "168.63.129.16/32"}, tags["VirtualNetwork"])
	assert.Equal(t, []string{"168.63.129.16/32"}, tags["AzureLoadBalancer"])
	assert.Equal(t, "1.0.0.0/8", tags["Internet"][0])

	var rules []json.RawMessage
	require.NoError(t, json.Unmarshal(v["effectiveSecurityRules"], &rules))
	require.Len(t, rules, 9) // 2 inbound + 3 default, 1 outbound + 3 default
	assert.JSONEq(t, `{"name":"securityRules/rdp","protocol":"Tcp","sourcePortRange":"0-65535","destinationPortRange":"3389-3389",
		"sourceAddressPrefix":"0.0.0.0/0","destinationAddressPrefix":"10.20.1.4/32","expandedSourceAddressPrefix":null,
		"expandedDestinationAddressPrefix":null,"access":"Allow","priority":300,"direction":"Inbound"}`, string(rules[0]))
	assert.JSONEq(t, `{"name":"securityRules/web","protocol":"Tcp","sourcePortRange":"0-65535","destinationPortRanges":["80-80","443-443"],
		"sourceAddressPrefixes":["198.51.100.0/24","203.0.113.0/24"],"destinationAddressPrefix":"0.0.0.0/0","expandedSourceAddressPrefix":null,
		"expandedDestinationAddressPrefix":null,"access":"Allow","priority":310,"direction":"Inbound"}`, string(rules[1]))
	assert.JSONEq(t, `{"name":"defaultSecurityRules/AllowVnetOutBound","protocol":"All","sourcePortRange":"0-65535","destinationPortRange":"0-65535",
		"sourceAddressPrefix":"VirtualNetwork","destinationAddressPrefix":"VirtualNetwork",
		"expandedSourceAddressPrefix":["10.20.0.0/16","168.63.129.16/32"],"expandedDestinationAddressPrefix":["10.20.0.0/16","168.63.129.16/32"],
		"access":"Allow","priority":65000,"direction":"Outbound"}`, string(rules[6]))
	var smb map[string]any
	require.NoError(t, json.Unmarshal(rules[5], &smb))
	assert.Equal(t, "securityRules/deny-smb-out", smb["name"])
	assert.Equal(t, "Internet", smb["destinationAddressPrefix"])
	assert.Equal(t, "1.0.0.0/8", smb["expandedDestinationAddressPrefix"].([]any)[0])

	both := classifier(t, ctx, g, group(t, "nsg-subnet"), nil)
	l := both.EffectiveNSGs()
	require.Len(t, l.Value, 2)
	assert.Nil(t, l.Value[1].Association.NetworkInterface)
	assert.Equal(t, "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/app", l.Value[1].Association.Subnet.ID)
}

// IP flow verify's answer (azure-semantics §6.4,
// https://learn.microsoft.com/rest/api/network-watcher/network-watchers/verify-ip-flow).
func TestVerifyIPFlow(t *testing.T) {
	c := classifier(t, spokeCtx, group(t, "nsg-app", r("deny-smb-out", 200, "Outbound Deny Tcp * * Internet 445")), nil, nil)
	q := nsg.IPFlowVerifyRequest{Direction: nsg.Outbound, Protocol: ipproto.TCP, LocalIPAddress: ip(nicIP), LocalPort: 50112,
		RemoteIPAddress: ip("203.0.113.9"), RemotePort: 445}
	res, err := c.VerifyIPFlow(q)
	require.NoError(t, err)
	b, _ := json.Marshal(res)
	assert.JSONEq(t, `{"access":"Deny","ruleName":"securityRules/deny-smb-out"}`, string(b))
	q.RemotePort = 443
	res, _ = c.VerifyIPFlow(q)
	b, _ = json.Marshal(res)
	assert.JSONEq(t, `{"access":"Allow","ruleName":"defaultSecurityRules/AllowInternetOutBound"}`, string(b))
	q.Direction, q.LocalPort = nsg.Inbound, 22
	res, _ = c.VerifyIPFlow(q)
	assert.Equal(t, nsg.IPFlowVerifyResult{Access: nsg.Deny, RuleName: "defaultSecurityRules/DefaultInboundDenyAll"}, res)
	q.Protocol = ipproto.ICMP
	_, err = c.VerifyIPFlow(q)
	assert.ErrorIs(t, err, nsg.ErrRequest)

	v := c.Verdict(out("Tcp 203.0.113.9:445"))
	assert.Equal(t, "UserRule_deny-smb-out", c.FlowLogRuleName(v, nsg.Outbound))
	assert.Equal(t, "DefaultRule_AllowInternetOutBound", c.FlowLogRuleName(c.Verdict(out("Tcp 203.0.113.9:443")), nsg.Outbound))
}

// Explanations: the deciding rule per stage, and for each rule before it the
// conditions the flow failed.
func TestExplain(t *testing.T) {
	nicG := group(t, "nsg-nic",
		r("udp-only", 100, "Outbound Deny Udp * * * *"),
		r("other-dest", 110, "Outbound Deny Tcp * * 8.8.4.0/24 443"),
		r("other-port", 120, "Outbound Deny Tcp * * 8.8.8.0/24 22"),
		r("other-src", 130, "Outbound Deny Tcp 10.9.0.0/16 1-1000 * *"),
		r("allow", 140, "Outbound Allow Tcp * * * 443"))
	subG := group(t, "nsg-subnet", r("deny-google", 100, "Outbound Deny * * * 8.8.8.0/24 *"))
	c := classifier(t, spokeCtx, nicG, subG, nil)
	e := c.Explain(out("Tcp 8.8.8.8:443"))
	assert.Equal(t, nsg.Deny, e.Verdict.Access)
	require.Len(t, e.Steps, 2)
	assert.Equal(t, nsg.StageNIC, e.Steps[0].Stage)
	assert.Equal(t, "allow", e.Steps[0].Rule.Name)
	var failed []string
	for _, m := range e.Steps[0].Skipped {
		failed = append(failed, m.Rule.Name+":"+m.Failed.String())
	}
	assert.Equal(t, []string{"udp-only:protocol", "other-dest:destination", "other-port:destinationPort", "other-src:source,sourcePort"}, failed)
	assert.Equal(t, "deny-google", e.Steps[1].Rule.Name)
	assert.Empty(t, e.Steps[1].Skipped)
	assert.Equal(t, `Deny (Rule)
  NIC nsg-nic: securityRules/allow 140 Allow (after 4 rules that did not match)
    securityRules/udp-only 100: protocol
    securityRules/other-dest 110: destination
    securityRules/other-port 120: destinationPort
    securityRules/other-src 130: source,sourcePort
  Subnet nsg-subnet: securityRules/deny-google 100 Deny
`, e.String())

	e = classifier(t, spokeCtx, nil, nil, nil).Explain(out("Tcp 8.8.8.8:443"))
	assert.Equal(t, "Allow (NoNSG)\n  NIC: none\n  Subnet: none\n", e.String())
}

// TestNoAllocs: the compiled verdict allocates nothing, on the bound path,
// the unbound-local-address path, IPv6 and platform traffic.
func TestNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation")
	}
	g := newGen(3, 500)
	w, err := g.world(300)
	require.NoError(t, err)
	for w.nic.NSG == nil || w.nic.SubnetNSG == nil || w.nic.Admin == nil {
		w, err = g.world(300)
		require.NoError(t, err)
	}
	flows := []nsg.Flow{
		out("Tcp 8.8.8.8:443"), in("Udp 203.0.113.9:53"), out("Tcp 168.63.129.16:53"),
		{Direction: nsg.Outbound, Proto: ipproto.TCP, Src: ip("10.1.77.7"), Dst: ip("20.60.0.1"), SrcPort: 1, DstPort: 443},
		{Direction: nsg.Inbound, Proto: ipproto.ICMPv6, Src: ip("2001:db8::1"), Dst: ip("2001:db8:1::4")},
	}
	for _, f := range flows {
		f.Src, f.Dst = fix(f.Src, w.nic.Addrs[0], f.Direction == nsg.Outbound), fix(f.Dst, w.nic.Addrs[0], f.Direction == nsg.Inbound)
		var v nsg.Verdict
		allocs := testing.AllocsPerRun(1000, func() { v = w.cls.Verdict(f) })
		assert.Zero(t, allocs, "Verdict(%v) allocates", f)
		assert.NotEqual(t, nsg.ReasonNone, v.Reason, "the call succeeded")
		if f.Direction == nsg.Outbound {
			allocs = testing.AllocsPerRun(1000, func() { v = w.cls.Outbound(0, f.Dst, f.Proto, f.SrcPort, f.DstPort) })
			assert.Zero(t, allocs, "Outbound(%v) allocates", f)
			o := w.cls.OutPath(0)
			allocs = testing.AllocsPerRun(1000, func() { v = o.Verdict(f.Dst, f.Proto, f.SrcPort, f.DstPort) })
			assert.Zero(t, allocs, "OutPath.Verdict(%v) allocates", f)
		}
	}
	// The first flow is the fused NIC+subnet path (with admin rules).
	f := flows[0]
	f.Src = w.nic.Addrs[0]
	_, fused := nsg.VerdictPath(w.cls, f)
	assert.True(t, fused, "Verdict(%v) took the staged path", f)
}

// fix replaces the NIC side of a test flow by the world's NIC address when
// it is the helper's nicIP.
func fix(a, nic netip.Addr, local bool) netip.Addr {
	if local && a == ip(nicIP) {
		return nic
	}
	return a
}

// FuzzClassify compares the compiled classifier with the reference on random
// worlds (a seed) and flows built from the fuzzer's bytes.
func FuzzClassify(f *testing.F) {
	f.Add(uint64(1), uint8(2), uint8(6), []byte{8, 8, 8, 8}, uint16(50000), uint16(443), true)
	f.Add(uint64(7), uint8(1), uint8(17), []byte{168, 63, 129, 16}, uint16(5353), uint16(53), false)
	f.Add(uint64(9), uint8(2), uint8(1), []byte{32, 1, 13, 184, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, uint16(0), uint16(0), true)
	f.Add(uint64(3), uint8(0), uint8(50), []byte{10, 1, 0, 4}, uint16(1), uint16(65535), false)
	f.Fuzz(func(t *testing.T, seed uint64, dir, proto uint8, remote []byte, lport, rport uint16, bound bool) {
		g := newGen(seed, 50)
		w, err := g.world(40)
		if err != nil {
			t.Fatal(err)
		}
		ra, ok := netip.AddrFromSlice(remote)
		if !ok {
			return
		}
		local := w.nic.Addrs[0]
		if !bound {
			local = g.remote(ra.Unmap().Is6())
		}
		fl := nsg.Flow{Direction: nsg.Direction(dir % 3), Proto: ipproto.Proto(proto), Src: local, Dst: ra, SrcPort: lport, DstPort: rport}
		if fl.Direction == nsg.Inbound {
			fl.Src, fl.Dst, fl.SrcPort, fl.DstPort = ra, local, rport, lport
		}
		v := w.cls.Verdict(fl)
		if got, want := w.names(fl, v), w.ref.Evaluate(fl); got != want {
			t.Fatalf("Verdict(%+v)\n got %v\nwant %v", fl, got, want)
		}
		checkExplain(t, w, fl)
		checkMatching(t, w, fl, v)
	})
}

// checkExplain holds Explain consistent with Verdict: the matched rule passes
// every condition and every skipped rule fails at least one.
func checkExplain(t *testing.T, w *world, f nsg.Flow) {
	t.Helper()
	e := w.cls.Explain(f)
	for _, s := range e.Steps {
		for _, m := range s.Skipped {
			if m.Failed == 0 {
				t.Fatalf("Explain(%+v): %s skipped but failed nothing", f, m.Rule)
			}
		}
	}
}

// TestExplainConsistent runs checkExplain on random worlds and flows.
func TestExplainConsistent(t *testing.T) {
	g := newGen(11, 100)
	n := 300
	if testing.Short() {
		n = 60
	}
	for range 20 {
		w, err := g.world(100)
		require.NoError(t, err)
		for range n {
			checkExplain(t, w, g.flow())
		}
	}
}
