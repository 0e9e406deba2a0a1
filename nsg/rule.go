package nsg

import (
	"net/netip"
	"strconv"
	"strings"
)

// sideKind says how one side (source or destination) of a compiled rule matches.
type sideKind uint8

const (
	sideAny      sideKind = iota // "*": every address of both families
	sidePrefixes                 // explicit IPs and CIDRs
	sideTag                      // a service tag resolved by the TagResolver, or an AzurePlatform* tag
	sideCtx                      // VirtualNetwork, Internet or AzureLoadBalancer: expanded per NIC by a Scope
	sideASG                      // application security groups: their members' addresses
)

// Context-tag bits: the value a Scope's table returns for an address.
const (
	ctxVirtualNetwork uint8 = 1 << iota
	ctxInternet
	ctxLoadBalancer
	ctxMasks = 8
)

var ctxTagNames = map[uint8]string{ctxVirtualNetwork: "VirtualNetwork", ctxInternet: "Internet", ctxLoadBalancer: "AzureLoadBalancer"}

// side is one compiled address side of a rule.
type side struct {
	kind     sideKind
	ctx      uint8          // the ctx… bit when kind == sideCtx
	platform bool           // an AzurePlatformDNS/IMDS/LKM tag
	items    []string       // the items as given; tags in canonical spelling
	prefixes []netip.Prefix // explicit prefixes, tag expansion, or ASG members; nil for sideAny and sideCtx
}

// portRange is an inclusive port range.
type portRange struct{ lo, hi uint16 }

func (r portRange) String() string {
	return strconv.Itoa(int(r.lo)) + "-" + strconv.Itoa(int(r.hi))
}

var anyPorts = []portRange{{0, 65535}}

// rule is one compiled rule (user, default or admin). Rules are immutable
// after compilation.
type rule struct {
	name     string
	index    int    // position in the input; -1 for default rules
	def      uint8  // 0 for user and admin rules, else a default-rule id (defAllowVnetIn…)
	coll     string // admin rules: the rule collection
	priority int
	dir      Direction
	access   Access
	proto    Protocol
	src, dst side
	sports   []portRange // never empty; anyPorts for "*"
	dports   []portRange
	sportsIn []string // the port items as given, for rendering
	dportsIn []string
}

// The six default rules, with the canonical names of the NSG resource's
// defaultSecurityRules[] (https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules).
const (
	defNone uint8 = iota
	defAllowVnetIn
	defAllowAzureLoadBalancerIn
	defDenyAllIn
	defAllowVnetOut
	defAllowInternetOut
	defDenyAllOut
)

var defaultNames = [...]string{"", "AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound",
	"AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound"}

func anySide() side { return side{kind: sideAny, items: []string{"*"}} }
func ctxSide(bit uint8) side {
	return side{kind: sideCtx, ctx: bit, items: []string{ctxTagNames[bit]}}
}

// defaultRules returns fresh copies of the default rules of one direction,
// in priority order.
func defaultRules(d Direction) []rule {
	mk := func(id uint8, prio int, access Access, src, dst side) rule {
		return rule{name: defaultNames[id], index: -1, def: id, priority: prio, dir: d, access: access,
			proto: ProtocolAny, src: src, dst: dst, sports: anyPorts, dports: anyPorts,
			sportsIn: []string{"*"}, dportsIn: []string{"*"}}
	}
	if d == Inbound {
		return []rule{
			mk(defAllowVnetIn, 65000, Allow, ctxSide(ctxVirtualNetwork), ctxSide(ctxVirtualNetwork)),
			mk(defAllowAzureLoadBalancerIn, 65001, Allow, ctxSide(ctxLoadBalancer), anySide()),
			mk(defDenyAllIn, 65500, Deny, anySide(), anySide()),
		}
	}
	return []rule{
		mk(defAllowVnetOut, 65000, Allow, ctxSide(ctxVirtualNetwork), ctxSide(ctxVirtualNetwork)),
		mk(defAllowInternetOut, 65001, Allow, anySide(), ctxSide(ctxInternet)),
		mk(defDenyAllOut, 65500, Deny, anySide(), anySide()),
	}
}

// Built-in tags: the context tags and the platform tags, with their accepted
// spellings (case-insensitive; the upper-case forms are ARM's legacy aliases).
var builtinTags = map[string]string{
	"virtualnetwork":     "VirtualNetwork",
	"virtual_network":    "VirtualNetwork",
	"internet":           "Internet",
	"azureloadbalancer":  "AzureLoadBalancer",
	"azure_loadbalancer": "AzureLoadBalancer",
	"azureplatformdns":   "AzurePlatformDNS",
	"azureplatformimds":  "AzurePlatformIMDS",
	"azureplatformlkm":   "AzurePlatformLKM",
}

// The platform addresses: the host's virtual IP (WireServer: DNS, DHCP,
// health probes, licensing) and the instance metadata service
// (https://learn.microsoft.com/azure/virtual-network/what-is-ip-address-168-63-129-16).
var (
	HostIP = netip.AddrFrom4([4]byte{168, 63, 129, 16})
	IMDSIP = netip.AddrFrom4([4]byte{169, 254, 169, 254})
)

var (
	hostPrefix = netip.PrefixFrom(HostIP, 32)
	imdsPrefix = netip.PrefixFrom(IMDSIP, 32)
)

// platformTagPrefixes is what each AzurePlatform* tag matches (see the package doc).
var platformTagPrefixes = map[string][]netip.Prefix{
	"AzurePlatformDNS":  {hostPrefix},
	"AzurePlatformIMDS": {imdsPrefix},
	"AzurePlatformLKM":  {hostPrefix},
}

// isPlatform reports whether a (unmapped) is one of the two platform addresses.
func isPlatform(a netip.Addr) bool { return a == HostIP || a == IMDSIP }

// validName reports whether s is a valid ARM security rule name: 1..80
// characters, starting with a word character, ending with a word character or
// '_', with only word characters, '.', '-' and '_' in between.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 80 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		word := c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !word && ((c != '.' && c != '-') || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// parsePorts parses one side's port items. It reports the first bad item.
func parsePorts(items []string) ([]portRange, int, string) {
	var out []portRange
	for i, s := range items {
		s = strings.TrimSpace(s)
		if s == "*" || s == "0-65535" {
			return anyPorts, -1, ""
		}
		lo, hi, isRange := strings.Cut(s, "-")
		a, msg := parsePort(lo)
		if msg != "" {
			return nil, i, msg
		}
		b := a
		if isRange {
			if b, msg = parsePort(hi); msg != "" {
				return nil, i, msg
			}
			if b < a {
				return nil, i, "range is reversed"
			}
		}
		out = append(out, portRange{a, b})
	}
	return out, -1, ""
}

func parsePort(s string) (uint16, string) {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	switch {
	case err != nil:
		return 0, "not a port, range or *"
	case n == 0 || n > 65535:
		return 0, strconv.FormatUint(n, 10) + " is outside 1..65535"
	}
	return uint16(n), ""
}

// portsMatch reports whether port p is in one of the ranges.
func portsMatch(rs []portRange, p uint16) bool {
	for _, r := range rs {
		if r.lo <= p && p <= r.hi {
			return true
		}
	}
	return false
}

// sideMatches reports whether address a (unmapped) is on side s, given the
// context-tag mask of a.
func sideMatches(s *side, a netip.Addr, mask uint8) bool {
	switch s.kind {
	case sideAny:
		return true
	case sideCtx:
		return mask&s.ctx != 0
	}
	for _, p := range s.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
