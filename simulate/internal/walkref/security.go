package walkref

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/egresslab/egress/internal/nsgref"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/topology"
)

// secKey names the rules of one NIC or one injected resource.
type secKey struct {
	nic *topology.NIC
	inj *topology.InjectedResource
}

// security is everything that decides a NIC's traffic: the reference
// evaluator of its admin rules, NIC NSG and subnet NSG, the inputs it was
// made from (to name rules), and which of them are unknown.
type security struct {
	ev        *nsgref.Evaluator
	admin     *nsg.AdminConfig
	nicSG     *nsg.SecurityGroup
	subnetSG  *nsg.SecurityGroup
	unknownSG bool // an NSG that applies is not in the input, or Azure would reject it
	// unknownNames names, by nsg.Stage, the NIC's and subnet's NSGs whose
	// rules are unknown, or "".
	unknownNames [3]string
	unknownAd    bool // an admin configuration that applies is one Azure would reject
	// afterApply are, by nsg.Stage, the rules of the NIC's and subnet's
	// NSGs with values a Terraform plan knows only after apply
	// (topology.NSG.KnownAfterApply, by lower-case name): a flow such a
	// rule matches is Unknown.
	afterApply [3]map[string]string
}

// securityOf builds the rules of NIC n. NSGs apply to a private endpoint's
// NIC only when its subnet's privateEndpointNetworkPolicies enables them
// (https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy);
// admin rules apply to the whole VNet
// (https://learn.microsoft.com/azure/virtual-network-manager/concept-security-admins).
func (t *Twin) securityOf(n *topology.NIC) *security {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sec, ok := t.nsgs[secKey{nic: n}]; ok {
		return sec
	}
	s := t.nicSubnet(n)
	var addrs []netip.Addr
	for _, c := range n.IPConfigs {
		if c.PrivateIP.IsValid() {
			addrs = append(addrs, c.PrivateIP)
		}
	}
	sec := t.securityIn(s, n.NSG, n.PrivateEndpoint.IsZero() || s.PrivateEndpointPolicies.NSGs(), addrs)
	t.nsgs[secKey{nic: n}] = sec
	return sec
}

// injSecurityOf builds the rules of a container group in subnet s: its
// subnet's NSG and the VNet's admin rules (there is no NIC NSG).
func (t *Twin) injSecurityOf(r *topology.InjectedResource, s *topology.Subnet) *security {
	t.mu.Lock()
	defer t.mu.Unlock()
	if sec, ok := t.nsgs[secKey{inj: r}]; ok {
		return sec
	}
	sec := t.securityIn(s, "", true, []netip.Addr{r.IP})
	t.nsgs[secKey{inj: r}] = sec
	return sec
}

// securityIn builds the rules of addresses addrs in subnet s, behind NIC
// NSG nicNSG (zero for none); nsgs is false where NSGs do not apply.
func (t *Twin) securityIn(s *topology.Subnet, nicNSG topology.Ref, nsgs bool, addrs []netip.Addr) *security {
	sec := &security{}
	group := func(id topology.Ref, st nsg.Stage) *nsg.SecurityGroup {
		if id.IsZero() {
			return nil
		}
		g, ok := t.m.NSG(id)
		if !ok || t.rejected[id.Key()] {
			sec.unknownSG = true
			sec.unknownNames[st] = lastSegment(string(id))
			return nil
		}
		sec.afterApply[st] = g.KnownAfterApply
		return &nsg.SecurityGroup{ID: string(g.ID), Rules: g.Rules}
	}
	if nsgs {
		sec.nicSG, sec.subnetSG = group(nicNSG, nsg.StageNIC), group(s.NSG, nsg.StageSubnet)
	}
	// Every admin configuration that targets the VNet, in model order (the
	// order between configurations is undocumented, spec §7.8).
	var configs []*topology.AdminConfig
	for _, c := range t.m.AdminConfigs {
		if slices.ContainsFunc(c.VNets, func(r topology.Ref) bool { return r.Key() == s.VNet.ID.Key() }) {
			configs = append(configs, c)
		}
	}
	if len(configs) > 0 {
		sec.admin = &nsg.AdminConfig{ID: string(s.VNet.ID) + "/adminRules"}
		if len(configs) == 1 {
			sec.admin.ID = string(configs[0].ID)
		}
		for _, c := range configs {
			sec.admin.Rules = append(sec.admin.Rules, c.Rules...)
			if t.rejected[c.ID.Key()] {
				sec.unknownAd = true
			}
		}
		if len(sec.admin.Rules) == 0 {
			sec.admin = nil
		}
	}
	ev, err := nsgref.New(nsgref.NIC{Addrs: addrs, NSG: sec.nicSG, SubnetNSG: sec.subnetSG, Admin: sec.admin,
		Context: t.nsgContext(s), Tags: t.opts.Tags, ASGs: t.m.Resolvers(t.opts.Tags).ASGs})
	if err != nil {
		panic("walkref: nsgref cannot parse rules that validated: " + err.Error())
	}
	sec.ev = ev
	return sec
}

var stageNames = [...]string{nsg.StageAdmin: "AdminRules", nsg.StageNIC: "NicNSG", nsg.StageSubnet: "SubnetNSG"}

// security evaluates NIC n's rules for the flow in one direction
// (spec §2.3: admin rules first; outbound NIC then subnet NSG, inbound
// subnet then NIC; both must allow), records the matching rules on the last
// hop, and ends the flow with reason deny if they deny it. It reports
// whether the flow goes on.
func (w *walk) security(n *topology.NIC, dir nsg.Direction, deny Reason) bool {
	return w.evaluate(w.t.securityOf(n), dir, deny)
}

// injSecurity is security for a container group in subnet s.
func (w *walk) injSecurity(r *topology.InjectedResource, s *topology.Subnet, dir nsg.Direction, deny Reason) bool {
	return w.evaluate(w.t.injSecurityOf(r, s), dir, deny)
}

// evaluate is security with the rules built.
func (w *walk) evaluate(sec *security, dir nsg.Direction, deny Reason) bool {
	r := sec.ev.Evaluate(nsg.Flow{Direction: dir, Proto: w.f.Proto, Src: w.src, Dst: w.f.Dst, SrcPort: w.srcPort(), DstPort: w.f.DstPort})
	h := &w.res.Hops[len(w.res.Hops)-1]
	var deciding Rule
	for _, st := range []nsg.Stage{nsg.StageAdmin, nsg.StageNIC, nsg.StageSubnet} {
		name := r.Rules[st]
		if name == "" {
			continue
		}
		source, display, access := sec.describe(st, dir, name)
		h.Security = append(h.Security, Step{Direction: dir.String(), Stage: stageNames[st], Source: source, Access: access, Rule: display})
		if access == "Deny" {
			deciding = Rule{Stage: stageNames[st], Source: source, Rule: display}
		}
		if st != nsg.StageAdmin && sec.afterApply[st][strings.ToLower(name)] != "" && strings.HasPrefix(display, "securityRules/") {
			w.unknown = true // the rule matched as widened to "*"; the real one may not
		}
	}
	if r.Access == nsg.Deny {
		if sec.unknownAd {
			w.unknown = true // an admin rule Azure would reject could have allowed it always
		}
		w.res.DeniedBy = deciding
		w.end(Denied, deny, MethodNone)
		return false
	}
	// Rules that are unknown could have denied it, unless an admin rule
	// decided before them (AlwaysAllow skips the NSGs); an NSG whose rules
	// are unknown is then a step of its own, with access "Unknown".
	if sec.unknownAd || (sec.unknownSG && r.Reason != nsg.ReasonAdmin) {
		w.unknown = true
	}
	if sec.unknownSG && r.Reason != nsg.ReasonAdmin { // AlwaysAllow skipped the NSGs
		for _, st := range []nsg.Stage{nsg.StageNIC, nsg.StageSubnet} {
			if name := sec.unknownNames[st]; name != "" {
				h.Security = append(h.Security, Step{Direction: dir.String(), Stage: stageNames[st], Source: name, Access: "Unknown"})
			}
		}
	}
	return true
}

// srcPort is the flow's source port: an ephemeral port when none is given.
func (w *walk) srcPort() uint16 {
	if w.f.SrcPort == 0 {
		return 49152
	}
	return w.f.SrcPort
}

// defaultRules are the six default rules of every NSG and their access
// (https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules).
var defaultRules = map[string]string{
	"AllowVnetInBound": "Allow", "AllowAzureLoadBalancerInBound": "Allow", "DenyAllInBound": "Deny",
	"AllowVnetOutBound": "Allow", "AllowInternetOutBound": "Allow", "DenyAllOutBound": "Deny",
}

// describe names a matched rule as IP flow verify does (spec §2.2:
// "securityRules/<name>", "defaultSecurityRules/<name>" with the deny-all
// rules spelled DefaultInboundDenyAll and DefaultOutboundDenyAll; admin
// rules "securityAdminRules/<name>"), with its group and access.
func (sec *security) describe(st nsg.Stage, dir nsg.Direction, name string) (source, display, access string) {
	if st == nsg.StageAdmin {
		for _, r := range sec.admin.Rules {
			if r.Collection+"/"+r.Name == name && r.Direction == dir {
				return lastSegment(sec.admin.ID), "securityAdminRules/" + r.Name, r.Access.String()
			}
		}
		return lastSegment(sec.admin.ID), "securityAdminRules/" + name, "?"
	}
	sg := sec.nicSG
	if st == nsg.StageSubnet {
		sg = sec.subnetSG
	}
	for _, r := range sg.Rules {
		if r.Name == name && r.Direction == dir {
			return sg.Name(), "securityRules/" + name, r.Access.String()
		}
	}
	switch name {
	case "DenyAllInBound":
		return sg.Name(), "defaultSecurityRules/DefaultInboundDenyAll", "Deny"
	case "DenyAllOutBound":
		return sg.Name(), "defaultSecurityRules/DefaultOutboundDenyAll", "Deny"
	}
	return sg.Name(), "defaultSecurityRules/" + name, defaultRules[name]
}

func lastSegment(id string) string {
	r := topology.Ref(id)
	return r.Name()
}
