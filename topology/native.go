package topology

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/egresslab/egress/problem"
	"go.yaml.in/yaml/v3"
)

// The native design format: see doc.go ("# The native format") and
// testdata/annotated.yaml. Every struct below is one YAML mapping; its yaml
// tags are the only keys accepted (strict decoding), and its position is
// recorded for error messages.

// at is a position in the YAML file.
type at struct{ line, col int }

// strict decodes a mapping node into v (a pointer to a struct without an
// UnmarshalYAML method), rejecting keys that v's yaml tags do not name,
// duplicate keys, and integer fields whose value is not written as a decimal
// integer (yaml.v3 would truncate 100.5 and read 1e3, 0x64 and 100_0).
// Errors are returned as *yaml.TypeError so that the decoder keeps going and
// reports every problem of the file.
//
// strict decodes the fields one by one, and lists item by item, so that
// its cost is linear in the mapping (yaml.v3 compares every pair of keys
// when it decodes a mapping) and hostile input cannot pile up errors: each
// call keeps at most maxProblems messages and counts the rest.
func strict(n *yaml.Node, v any, what string) (at, error) {
	pos := at{n.Line, n.Column}
	if n.Kind != yaml.MappingNode {
		return pos, &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s must be a mapping (key: value lines), not %s", n.Line, what, kindName(n))}}
	}
	st := reflect.ValueOf(v).Elem()
	fields := yamlFields(st.Type())
	var errs yamlErrs
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		f, ok := fields[k.Value]
		switch {
		case !ok:
			errs.add(fmt.Sprintf("line %d: unknown field %q in %s (known: %s)", k.Line, k.Value, what, strings.Join(sortedKeys(fields), ", ")))
		case f.isInt:
			if msg := intProblem(val); msg != "" {
				errs.add(fmt.Sprintf("line %d:%d: field %s %s: invalid value: %s", val.Line, val.Column, k.Value, strconv.Quote(problem.Shorten(scalarText(val), 100)), msg))
			}
		}
	}
	var first map[string]int // key → its line, for large mappings
	if len(n.Content) > 16 {
		first = make(map[string]int, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		line, dup := 0, false
		if first != nil {
			if line, dup = first[k.Value]; !dup {
				first[k.Value] = k.Line
			}
		} else {
			for j := 0; j < i && !dup; j += 2 {
				line, dup = n.Content[j].Line, n.Content[j].Value == k.Value
			}
		}
		if dup {
			errs.add(fmt.Sprintf("line %d: mapping key %q already defined at line %d", k.Line, k.Value, line))
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		f, ok := fields[n.Content[i].Value]
		if !ok {
			continue
		}
		decodeField(n.Content[i+1], st.Field(f.index), &errs)
	}
	return pos, errs.err()
}

// decodeField decodes a mapping's value into a struct field: a list item by
// item, a string directly, anything else through yaml.v3.
func decodeField(val *yaml.Node, fv reflect.Value, errs *yamlErrs) {
	r := val
	if r.Kind == yaml.AliasNode {
		r = r.Alias
	}
	switch {
	case fv.Kind() == reflect.String && r.Kind == yaml.ScalarNode && r.ShortTag() != "!!null" && r.ShortTag() != "!!binary":
		fv.SetString(r.Value) // what yaml.v3 does for a string field
	case fv.Kind() == reflect.Slice && r.Kind == yaml.SequenceNode:
		out := reflect.MakeSlice(fv.Type(), 0, len(r.Content))
		for _, item := range r.Content {
			ep := reflect.New(fv.Type().Elem())
			errs.addErr(item, item.Decode(ep.Interface()))
			out = reflect.Append(out, ep.Elem())
		}
		fv.Set(out)
	default:
		errs.addErr(val, val.Decode(fv.Addr().Interface()))
	}
}

// yamlErrs collects the messages of one strict call, keeping at most
// maxProblems and counting the rest, as yamlErrors then reports them.
type yamlErrs struct {
	msgs []string
	more int
}

func (e *yamlErrs) add(msg string) {
	if len(e.msgs) >= maxProblems {
		e.more++
		return
	}
	e.msgs = append(e.msgs, msg)
}

// addErr adds the messages of an error from decoding n.
func (e *yamlErrs) addErr(n *yaml.Node, err error) {
	var te *yaml.TypeError
	switch {
	case err == nil:
	case errors.As(err, &te):
		for _, m := range te.Errors {
			if k, ok := moreProblems(m); ok {
				e.more += k
			} else {
				e.add(m)
			}
		}
	default:
		e.add(fmt.Sprintf("line %d: %v", n.Line, err))
	}
}

func (e *yamlErrs) err() error {
	if len(e.msgs) == 0 {
		return nil
	}
	msgs := e.msgs
	if e.more > 0 {
		msgs = append(msgs, fmt.Sprintf(moreFormat, e.more))
	}
	return &yaml.TypeError{Errors: msgs}
}

// moreFormat is the last message of a capped list.
const moreFormat = "... and %d more problems"

func moreProblems(msg string) (int, bool) {
	var k int
	if _, err := fmt.Sscanf(msg, moreFormat, &k); err != nil || !strings.HasPrefix(msg, "... and ") {
		return 0, false
	}
	return k, true
}

// yamlInt is an integer field of the native format. strict checks its text
// (intProblem) and reports a bad one with the field's name; decoding then
// leaves it 0 rather than failing again.
type yamlInt int

func (v *yamlInt) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if intProblem(n) == "" {
		i, _ := strconv.Atoi(n.Value) // "" for null: 0
		*v = yamlInt(i)
	}
	return nil
}

// intProblem says what is wrong with the value of an integer field, or ""
// for a decimal integer (or null: the field is absent). YAML reads 0100 as
// octal in version 1.1 and as 100 in 1.2, so leading zeros are refused too.
func intProblem(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "want an integer, not " + kindName(n)
	}
	if n.ShortTag() == "!!null" && n.Style&yaml.TaggedStyle == 0 {
		return ""
	}
	digits := strings.TrimPrefix(n.Value, "-")
	switch {
	case n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return "want an integer, not a quoted string"
	case n.Style&yaml.TaggedStyle != 0 && n.ShortTag() != "!!int":
		return "want an integer, not a value tagged " + n.ShortTag()
	case digits == "" || (digits[0] == '0' && digits != "0") || strings.Trim(digits, "0123456789") != "":
		return "want an integer in decimal digits, such as 100"
	case len(digits) > 9:
		return "too large for an integer field"
	}
	return ""
}

// scalarText is a node's text for messages.
func scalarText(n *yaml.Node) string {
	if n.Kind == yaml.AliasNode {
		return "*" + n.Value
	}
	return n.Value
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("the value %q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "something else"
}

// yamlField is a struct field of the native format.
type yamlField struct {
	index int
	isInt bool
}

// keyCache maps a struct type to its fields by yaml key.
var keyCache sync.Map // reflect.Type → map[string]yamlField

func yamlFields(t reflect.Type) map[string]yamlField {
	if m, ok := keyCache.Load(t); ok {
		return m.(map[string]yamlField)
	}
	m := map[string]yamlField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			m[tag] = yamlField{index: i, isInt: f.Type == reflect.TypeFor[yamlInt]()}
		}
	}
	keyCache.Store(t, m)
	return m
}

func sortedKeys(m map[string]yamlField) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// nDesign is the top level of a native design file.
type nDesign struct {
	Egress               string                 `yaml:"egress"` // format version: "v1"
	Name                 string                 `yaml:"name"`
	Subscription         string                 `yaml:"subscription"`
	ResourceGroup        string                 `yaml:"resourceGroup"`
	Location             string                 `yaml:"location"`
	VNets                []*nVNet               `yaml:"vnets"`
	RouteTables          []*nRouteTable         `yaml:"routeTables"`
	NSGs                 []*nNSG                `yaml:"nsgs"`
	ASGs                 []string               `yaml:"asgs"`
	NICs                 []*nNIC                `yaml:"nics"`
	PublicIPs            []*nPublicIP           `yaml:"publicIps"`
	PublicIPPrefixes     []*nPublicIPPrefix     `yaml:"publicIpPrefixes"`
	NATGateways          []*nNATGateway         `yaml:"natGateways"`
	LoadBalancers        []*nLoadBalancer       `yaml:"loadBalancers"`
	Gateways             []*nGateway            `yaml:"gateways"`
	LocalNetworkGateways []*nLocalGateway       `yaml:"localNetworkGateways"`
	Connections          []*nConnection         `yaml:"connections"`
	RouteServers         []*nRouteServer        `yaml:"routeServers"`
	PrivateEndpoints     []*nPrivateEndpoint    `yaml:"privateEndpoints"`
	Firewalls            []*nFirewall           `yaml:"firewalls"`
	FirewallPolicies     []*nFirewallPolicy     `yaml:"firewallPolicies"`
	IPGroups             []*nIPGroup            `yaml:"ipGroups"`
	AIAccounts           []*nAIAccount          `yaml:"aiAccounts"`
	WebApps              []*nWebApp             `yaml:"webApps"`
	Perimeters           []*nPerimeter          `yaml:"perimeters"`
	ContainerGroups      []*nContainerGroup     `yaml:"containerGroups"`
	FlexibleServers      []*nFlexibleServer     `yaml:"flexibleServers"`
	AdminRules           []*nAdminConfiguration `yaml:"adminRules"`
	at                   at
}

func (d *nDesign) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nDesign
	d.at, err = strict(n, (*plain)(d), "the design")
	return err
}

type nVNet struct {
	Name         string      `yaml:"name"`
	Location     string      `yaml:"location"`
	AddressSpace []string    `yaml:"addressSpace"`
	DNSServers   []string    `yaml:"dnsServers"`
	Subnets      []*nSubnet  `yaml:"subnets"`
	Peerings     []*nPeering `yaml:"peerings"`
	at           at
}

func (v *nVNet) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nVNet
	v.at, err = strict(n, (*plain)(v), "a vnet")
	return err
}

type nSubnet struct {
	Name                           string   `yaml:"name"`
	Prefix                         string   `yaml:"prefix"`
	Prefixes                       []string `yaml:"prefixes"`
	RouteTable                     string   `yaml:"routeTable"`
	NSG                            string   `yaml:"nsg"`
	NATGateway                     string   `yaml:"natGateway"`
	ServiceEndpoints               []string `yaml:"serviceEndpoints"`
	PrivateEndpointNetworkPolicies string   `yaml:"privateEndpointNetworkPolicies"`
	DefaultOutboundAccess          *bool    `yaml:"defaultOutboundAccess"`
	Delegations                    []string `yaml:"delegations"`
	at                             at
}

func (v *nSubnet) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nSubnet
	v.at, err = strict(n, (*plain)(v), "a subnet")
	return err
}

type nPeering struct {
	Name                      string   `yaml:"name"`
	Remote                    string   `yaml:"remote"`
	AllowVirtualNetworkAccess *bool    `yaml:"allowVirtualNetworkAccess"`
	AllowForwardedTraffic     bool     `yaml:"allowForwardedTraffic"`
	AllowGatewayTransit       bool     `yaml:"allowGatewayTransit"`
	UseRemoteGateways         bool     `yaml:"useRemoteGateways"`
	State                     string   `yaml:"state"`
	RemoteAddressSpace        []string `yaml:"remoteAddressSpace"` // a remote VNet outside the design: its address space
	at                        at
}

func (v *nPeering) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPeering
	v.at, err = strict(n, (*plain)(v), "a peering")
	return err
}

type nRouteTable struct {
	Name                       string    `yaml:"name"`
	Location                   string    `yaml:"location"`
	DisableBgpRoutePropagation bool      `yaml:"disableBgpRoutePropagation"`
	Routes                     []*nRoute `yaml:"routes"`
	at                         at
}

func (v *nRouteTable) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nRouteTable
	v.at, err = strict(n, (*plain)(v), "a route table")
	return err
}

type nRoute struct {
	Name           string   `yaml:"name"`
	Prefix         string   `yaml:"prefix"`
	NextHop        string   `yaml:"nextHop"`
	IP             string   `yaml:"ip"`
	IPs            []string `yaml:"ips"`
	HasBgpOverride bool     `yaml:"hasBgpOverride"`
	at             at
}

func (v *nRoute) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nRoute
	v.at, err = strict(n, (*plain)(v), "a route")
	return err
}

type nNSG struct {
	Name     string   `yaml:"name"`
	Location string   `yaml:"location"`
	Rules    []*nRule `yaml:"rules"`
	at       at
}

func (v *nNSG) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nNSG
	v.at, err = strict(n, (*plain)(v), "an nsg")
	return err
}

// nRule is a security rule. Single values and lists share one key: a YAML
// scalar or a list is accepted for addresses and ports.
type nRule struct {
	Name             string   `yaml:"name"`
	Description      string   `yaml:"description"`
	Priority         yamlInt  `yaml:"priority"`
	Direction        string   `yaml:"direction"`
	Access           string   `yaml:"access"`
	Protocol         string   `yaml:"protocol"`
	Source           strList  `yaml:"source"`
	SourceASGs       []string `yaml:"sourceAsgs"`
	SourcePorts      strList  `yaml:"sourcePorts"`
	Destination      strList  `yaml:"destination"`
	DestinationASGs  []string `yaml:"destinationAsgs"`
	DestinationPorts strList  `yaml:"destinationPorts"`
	at               at
}

func (v *nRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nRule
	v.at, err = strict(n, (*plain)(v), "a security rule")
	return err
}

// strList accepts a scalar or a list of scalars.
type strList []string

func (s *strList) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*s = strList{n.Value}
		return nil
	case yaml.SequenceNode:
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		*s = l
		return nil
	}
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a value or a list of values, not %s", n.Line, kindName(n))}}
}

type nNIC struct {
	Name         string       `yaml:"name"`
	Location     string       `yaml:"location"`
	Subnet       string       `yaml:"subnet"`
	IP           string       `yaml:"ip"`
	PublicIP     string       `yaml:"publicIp"`
	NSG          string       `yaml:"nsg"`
	ASGs         []string     `yaml:"asgs"`
	BackendPools []string     `yaml:"backendPools"`
	IPForwarding bool         `yaml:"ipForwarding"`
	VM           string       `yaml:"vm"`
	MAC          string       `yaml:"macAddress"`
	IPConfigs    []*nIPConfig `yaml:"ipConfigs"`
	at           at
}

func (v *nNIC) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nNIC
	v.at, err = strict(n, (*plain)(v), "a nic")
	return err
}

type nIPConfig struct {
	Name         string   `yaml:"name"`
	Primary      bool     `yaml:"primary"`
	Subnet       string   `yaml:"subnet"`
	IP           string   `yaml:"ip"`
	PublicIP     string   `yaml:"publicIp"`
	ASGs         []string `yaml:"asgs"`
	BackendPools []string `yaml:"backendPools"`
	at           at
}

func (v *nIPConfig) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nIPConfig
	v.at, err = strict(n, (*plain)(v), "an ip configuration")
	return err
}

type nPublicIP struct {
	Name     string `yaml:"name"`
	Location string `yaml:"location"`
	IP       string `yaml:"ip"`
	SKU      string `yaml:"sku"`
	Prefix   string `yaml:"prefix"`
	at       at
}

func (v *nPublicIP) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPublicIP
	v.at, err = strict(n, (*plain)(v), "a public ip")
	return err
}

type nPublicIPPrefix struct {
	Name     string `yaml:"name"`
	Location string `yaml:"location"`
	Prefix   string `yaml:"prefix"`
	SKU      string `yaml:"sku"`
	at       at
}

func (v *nPublicIPPrefix) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPublicIPPrefix
	v.at, err = strict(n, (*plain)(v), "a public ip prefix")
	return err
}

type nNATGateway struct {
	Name             string   `yaml:"name"`
	Location         string   `yaml:"location"`
	SKU              string   `yaml:"sku"`
	PublicIPs        []string `yaml:"publicIps"`
	PublicIPPrefixes []string `yaml:"publicIpPrefixes"`
	VNet             string   `yaml:"vnet"` // attached to a whole VNet (StandardV2, sourceVirtualNetwork)
	at               at
}

func (v *nNATGateway) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nNATGateway
	v.at, err = strict(n, (*plain)(v), "a nat gateway")
	return err
}

type nLoadBalancer struct {
	Name          string           `yaml:"name"`
	Location      string           `yaml:"location"`
	SKU           string           `yaml:"sku"`
	Frontends     []*nFrontend     `yaml:"frontends"`
	BackendPools  []*nBackendPool  `yaml:"backendPools"`
	Rules         []*nLBRule       `yaml:"rules"`
	OutboundRules []*nOutboundRule `yaml:"outboundRules"`
	at            at
}

func (v *nLoadBalancer) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nLoadBalancer
	v.at, err = strict(n, (*plain)(v), "a load balancer")
	return err
}

type nFrontend struct {
	Name           string `yaml:"name"`
	PublicIP       string `yaml:"publicIp"`
	PublicIPPrefix string `yaml:"publicIpPrefix"`
	PrivateIP      string `yaml:"privateIp"`
	Subnet         string `yaml:"subnet"`
	at             at
}

func (v *nFrontend) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nFrontend
	v.at, err = strict(n, (*plain)(v), "a frontend")
	return err
}

type nBackendPool struct {
	Name        string `yaml:"name"`
	ByIPAddress bool   `yaml:"byIpAddress"`
	at          at
}

func (v *nBackendPool) UnmarshalYAML(n *yaml.Node) (err error) {
	if n.Kind == yaml.ScalarNode { // a bare pool name
		v.Name, v.at = n.Value, at{n.Line, n.Column}
		return nil
	}
	type plain nBackendPool
	v.at, err = strict(n, (*plain)(v), "a backend pool")
	return err
}

type nLBRule struct {
	Name                string `yaml:"name"`
	Frontend            string `yaml:"frontend"`
	BackendPool         string `yaml:"backendPool"`
	Protocol            string `yaml:"protocol"`
	DisableOutboundSnat bool   `yaml:"disableOutboundSnat"`
	at                  at
}

func (v *nLBRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nLBRule
	v.at, err = strict(n, (*plain)(v), "a load-balancing rule")
	return err
}

type nOutboundRule struct {
	Name        string   `yaml:"name"`
	Frontends   []string `yaml:"frontends"`
	BackendPool string   `yaml:"backendPool"`
	Protocol    string   `yaml:"protocol"`
	// AllocatedOutboundPorts: SNAT ports per backend instance; 0 or absent
	// is the default allocation table.
	AllocatedOutboundPorts int `yaml:"allocatedOutboundPorts"`
	at                     at
}

func (v *nOutboundRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nOutboundRule
	v.at, err = strict(n, (*plain)(v), "an outbound rule")
	return err
}

type nGateway struct {
	Name          string           `yaml:"name"`
	Location      string           `yaml:"location"`
	VNet          string           `yaml:"vnet"`
	Type          string           `yaml:"type"`
	IPs           []string         `yaml:"ips"`
	PublicIPs     []string         `yaml:"publicIps"`
	ActiveActive  bool             `yaml:"activeActive"`
	DefaultSite   string           `yaml:"defaultSite"`
	LearnedRoutes []*nLearnedRoute `yaml:"learnedRoutes"`
	at            at
}

func (v *nGateway) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nGateway
	v.at, err = strict(n, (*plain)(v), "a gateway")
	return err
}

// nLearnedRoute follows `az network vnet-gateway list-learned-routes`:
// network, nextHop, asPath ("65001-65002" or space separated), origin.
type nLearnedRoute struct {
	Prefix   string  `yaml:"prefix"`
	NextHops strList `yaml:"nextHop"`
	ASPath   string  `yaml:"asPath"`
	Origin   string  `yaml:"origin"`
	at       at
}

func (v *nLearnedRoute) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nLearnedRoute
	v.at, err = strict(n, (*plain)(v), "a learned route")
	return err
}

type nLocalGateway struct {
	Name            string   `yaml:"name"`
	Location        string   `yaml:"location"`
	GatewayIP       string   `yaml:"gatewayIp"`
	AddressPrefixes []string `yaml:"addressPrefixes"`
	at              at
}

func (v *nLocalGateway) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nLocalGateway
	v.at, err = strict(n, (*plain)(v), "a local network gateway")
	return err
}

type nConnection struct {
	Name         string `yaml:"name"`
	Location     string `yaml:"location"`
	Gateway      string `yaml:"gateway"`
	LocalGateway string `yaml:"localGateway"`
	Peer         string `yaml:"peer"`
	Type         string `yaml:"type"`
	at           at
}

func (v *nConnection) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nConnection
	v.at, err = strict(n, (*plain)(v), "a connection")
	return err
}

type nRouteServer struct {
	Name       string           `yaml:"name"`
	Location   string           `yaml:"location"`
	VNet       string           `yaml:"vnet"`
	Advertised []*nLearnedRoute `yaml:"advertised"`
	at         at
}

func (v *nRouteServer) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nRouteServer
	v.at, err = strict(n, (*plain)(v), "a route server")
	return err
}

type nPrivateEndpoint struct {
	Name     string `yaml:"name"`
	Location string `yaml:"location"`
	Subnet   string `yaml:"subnet"`
	IP       string `yaml:"ip"`
	Service  string `yaml:"service"`
	GroupID  string `yaml:"groupId"`
	at       at
}

func (v *nPrivateEndpoint) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPrivateEndpoint
	v.at, err = strict(n, (*plain)(v), "a private endpoint")
	return err
}

type nFirewall struct {
	Name         string   `yaml:"name"`
	Location     string   `yaml:"location"`
	VNet         string   `yaml:"vnet"`
	SKU          string   `yaml:"sku"`
	Tier         string   `yaml:"tier"`
	PrivateIP    string   `yaml:"privateIp"`
	PublicIPs    []string `yaml:"publicIps"`
	Policy       string   `yaml:"policy"`
	ManagementIP string   `yaml:"managementPublicIp"`
	ThreatIntel  string   `yaml:"threatIntelMode"`
	// Classic rules and their settings (nativeclassic.go).
	DNSProxy                   bool                     `yaml:"dnsProxy"`
	SNATPrivateRanges          []string                 `yaml:"snatPrivateRanges"`
	NatRuleCollections         []*nClassicNatCollection `yaml:"natRuleCollections"`
	NetworkRuleCollections     []*nClassicNetCollection `yaml:"networkRuleCollections"`
	ApplicationRuleCollections []*nClassicAppCollection `yaml:"applicationRuleCollections"`
	at                         at
}

func (v *nFirewall) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nFirewall
	v.at, err = strict(n, (*plain)(v), "a firewall")
	return err
}

type nFirewallPolicy struct {
	Name                 string   `yaml:"name"`
	Location             string   `yaml:"location"`
	Parent               string   `yaml:"parent"`
	DNSProxy             bool     `yaml:"dnsProxy"`
	SNATPrivateRanges    []string `yaml:"snatPrivateRanges"`
	ThreatIntel          string   `yaml:"threatIntelMode"`
	RuleCollectionGroups []*nRCG  `yaml:"ruleCollectionGroups"`
	at                   at
}

func (v *nFirewallPolicy) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nFirewallPolicy
	v.at, err = strict(n, (*plain)(v), "a firewall policy")
	return err
}

type nRCG struct {
	Name        string             `yaml:"name"`
	Priority    yamlInt            `yaml:"priority"`
	Collections []*nRuleCollection `yaml:"collections"`
	at          at
}

func (v *nRCG) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nRCG
	v.at, err = strict(n, (*plain)(v), "a rule collection group")
	return err
}

type nRuleCollection struct {
	Name     string     `yaml:"name"`
	Priority yamlInt    `yaml:"priority"`
	Kind     string     `yaml:"kind"` // Filter or Nat
	Action   string     `yaml:"action"`
	Rules    []*nFwRule `yaml:"rules"`
	at       at
}

func (v *nRuleCollection) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nRuleCollection
	v.at, err = strict(n, (*plain)(v), "a rule collection")
	return err
}

type nFwRule struct {
	Name                 string   `yaml:"name"`
	Type                 string   `yaml:"type"` // NetworkRule, ApplicationRule, NatRule
	Protocols            []string `yaml:"protocols"`
	SourceAddresses      []string `yaml:"sourceAddresses"`
	SourceIPGroups       []string `yaml:"sourceIpGroups"`
	DestinationAddresses []string `yaml:"destinationAddresses"`
	DestinationIPGroups  []string `yaml:"destinationIpGroups"`
	DestinationFqdns     []string `yaml:"destinationFqdns"`
	DestinationPorts     []string `yaml:"destinationPorts"`
	TargetFqdns          []string `yaml:"targetFqdns"`
	TargetURLs           []string `yaml:"targetUrls"`
	FqdnTags             []string `yaml:"fqdnTags"`
	WebCategories        []string `yaml:"webCategories"`
	TerminateTLS         bool     `yaml:"terminateTls"`
	TranslatedAddress    string   `yaml:"translatedAddress"`
	TranslatedPort       string   `yaml:"translatedPort"`
	TranslatedFqdn       string   `yaml:"translatedFqdn"`
	at                   at
}

func (v *nFwRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nFwRule
	v.at, err = strict(n, (*plain)(v), "a firewall rule")
	return err
}

type nAIAccount struct {
	Name                          string            `yaml:"name"`
	Location                      string            `yaml:"location"`
	Kind                          string            `yaml:"kind"`
	RestrictOutboundNetworkAccess bool              `yaml:"restrictOutboundNetworkAccess"`
	AllowedFqdns                  posStrings        `yaml:"allowedFqdns"`
	PublicNetworkAccess           string            `yaml:"publicNetworkAccess"`
	CustomSubDomainName           string            `yaml:"customSubDomainName"`
	Tags                          map[string]string `yaml:"tags"`
	at                            at
}

func (v *nAIAccount) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nAIAccount
	v.at, err = strict(n, (*plain)(v), "an AI services account")
	return err
}

type nAdminConfiguration struct {
	Name  string        `yaml:"name"`
	VNets []string      `yaml:"vnets"`
	Rules []*nAdminRule `yaml:"rules"`
	at    at
}

func (v *nAdminConfiguration) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nAdminConfiguration
	v.at, err = strict(n, (*plain)(v), "an admin configuration")
	return err
}

type nAdminRule struct {
	Name             string  `yaml:"name"`
	Collection       string  `yaml:"collection"`
	Description      string  `yaml:"description"`
	Priority         yamlInt `yaml:"priority"`
	Direction        string  `yaml:"direction"`
	Access           string  `yaml:"access"`
	Protocol         string  `yaml:"protocol"`
	Sources          strList `yaml:"source"`
	Destinations     strList `yaml:"destination"`
	SourcePorts      strList `yaml:"sourcePorts"`
	DestinationPorts strList `yaml:"destinationPorts"`
	at               at
}

func (v *nAdminRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nAdminRule
	v.at, err = strict(n, (*plain)(v), "an admin rule")
	return err
}

type nIPGroup struct {
	Name      string   `yaml:"name"`
	Location  string   `yaml:"location"`
	Addresses []string `yaml:"addresses"`
	at        at
}

func (v *nIPGroup) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nIPGroup
	v.at, err = strict(n, (*plain)(v), "an IP group")
	return err
}

// posStrings is a list of strings that keeps each item's position, for
// problems that name the item (an AI account's allowedFqdns entries).
type posStrings struct {
	vals []string
	pos  []at
}

func (s *posStrings) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: want a list of strings, not %s", n.Line, kindName(n))}}
	}
	var errs []string
	for _, c := range n.Content {
		if c.Kind != yaml.ScalarNode {
			errs = append(errs, fmt.Sprintf("line %d: want a string, not %s", c.Line, kindName(c)))
			continue
		}
		s.vals = append(s.vals, c.Value)
		s.pos = append(s.pos, at{c.Line, c.Column})
	}
	if len(errs) > 0 {
		return &yaml.TypeError{Errors: errs}
	}
	return nil
}

// nWebApp is an App Service or Functions app (Microsoft.Web/sites); its
// fields are the ARM properties' names.
type nWebApp struct {
	Name     string `yaml:"name"`
	Location string `yaml:"location"`
	Kind     string `yaml:"kind"`
	// Subnet is virtualNetworkSubnetId: "vnet/subnet" or a subnet ID.
	Subnet                        string                `yaml:"subnet"`
	OutboundVnetRouting           *nOutboundVnetRouting `yaml:"outboundVnetRouting"`
	VnetRouteAllEnabled           *bool                 `yaml:"vnetRouteAllEnabled"`
	VnetContentShareEnabled       *bool                 `yaml:"vnetContentShareEnabled"`
	VnetImagePullEnabled          *bool                 `yaml:"vnetImagePullEnabled"`
	VnetBackupRestoreEnabled      *bool                 `yaml:"vnetBackupRestoreEnabled"`
	SiteConfigVnetRouteAllEnabled *bool                 `yaml:"siteConfigVnetRouteAllEnabled"`
	VNetName                      string                `yaml:"vnetName"`
	AppSettings                   []*nAppSetting        `yaml:"appSettings"`
	OutboundIPs                   []string              `yaml:"outboundIpAddresses"`
	PossibleOutboundIPs           []string              `yaml:"possibleOutboundIpAddresses"`
	PublicNetworkAccess           string                `yaml:"publicNetworkAccess"`
	at                            at
}

func (v *nWebApp) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nWebApp
	v.at, err = strict(n, (*plain)(v), "a web app")
	return err
}

type nOutboundVnetRouting struct {
	AllTraffic             *bool `yaml:"allTraffic"`
	ApplicationTraffic     *bool `yaml:"applicationTraffic"`
	ContentShareTraffic    *bool `yaml:"contentShareTraffic"`
	ImagePullTraffic       *bool `yaml:"imagePullTraffic"`
	BackupRestoreTraffic   *bool `yaml:"backupRestoreTraffic"`
	ManagedIdentityTraffic *bool `yaml:"managedIdentityTraffic"`
	at                     at
}

func (v *nOutboundVnetRouting) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nOutboundVnetRouting
	v.at, err = strict(n, (*plain)(v), "outboundVnetRouting")
	return err
}

type nAppSetting struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
	at    at
}

func (v *nAppSetting) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nAppSetting
	v.at, err = strict(n, (*plain)(v), "an app setting")
	return err
}

// nPerimeter is a network security perimeter with its profiles and
// resource associations nested.
type nPerimeter struct {
	Name         string                   `yaml:"name"`
	Location     string                   `yaml:"location"`
	Profiles     []*nPerimeterProfile     `yaml:"profiles"`
	Associations []*nPerimeterAssociation `yaml:"associations"`
	at           at
}

func (v *nPerimeter) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPerimeter
	v.at, err = strict(n, (*plain)(v), "a network security perimeter")
	return err
}

type nPerimeterProfile struct {
	Name        string            `yaml:"name"`
	AccessRules []*nPerimeterRule `yaml:"accessRules"`
	at          at
}

func (v *nPerimeterProfile) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPerimeterProfile
	v.at, err = strict(n, (*plain)(v), "a perimeter profile")
	return err
}

// nPerimeterRule is an access rule; its fields are the ARM properties'
// names (subscriptions as plain IDs).
type nPerimeterRule struct {
	Name                      string     `yaml:"name"`
	Direction                 string     `yaml:"direction"`
	FullyQualifiedDomainNames posStrings `yaml:"fullyQualifiedDomainNames"`
	AddressPrefixes           []string   `yaml:"addressPrefixes"`
	Subscriptions             []string   `yaml:"subscriptions"`
	at                        at
}

func (v *nPerimeterRule) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPerimeterRule
	v.at, err = strict(n, (*plain)(v), "a perimeter access rule")
	return err
}

// nPerimeterAssociation associates a resource (an AI account or web app of
// the design by name, or any resource by ID) with a profile of the
// perimeter (by name).
type nPerimeterAssociation struct {
	Name       string `yaml:"name"`
	Resource   string `yaml:"resource"`
	Profile    string `yaml:"profile"`
	AccessMode string `yaml:"accessMode"`
	at         at
}

func (v *nPerimeterAssociation) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPerimeterAssociation
	v.at, err = strict(n, (*plain)(v), "a perimeter association")
	return err
}

// nContainerGroup is an Azure Container Instances container group
// (Microsoft.ContainerInstance/containerGroups) in a subnet.
type nContainerGroup struct {
	Name     string `yaml:"name"`
	Location string `yaml:"location"`
	// Subnet is subnetIds[0].id: "vnet/subnet" or a subnet ID; empty for a
	// container group outside any virtual network.
	Subnet string `yaml:"subnet"`
	// IPAddressType is ipAddress.type: Private (the default with a subnet)
	// or Public.
	IPAddressType string `yaml:"ipAddressType"`
	// IP is ipAddress.ip, its address in the subnet, when known.
	IP     string   `yaml:"ip"`
	Ports  []*nPort `yaml:"ports"`
	OSType string   `yaml:"osType"`
	at     at
}

func (v *nContainerGroup) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nContainerGroup
	v.at, err = strict(n, (*plain)(v), "a container group")
	return err
}

// nPort is a port a container group exposes.
type nPort struct {
	Port     int    `yaml:"port"`
	Protocol string `yaml:"protocol"` // TCP (the default) or UDP
	at       at
}

func (v *nPort) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nPort
	v.at, err = strict(n, (*plain)(v), "a port")
	return err
}

// nFlexibleServer is an Azure Database for PostgreSQL or MySQL flexible
// server with private access (Microsoft.DBforPostgreSQL/flexibleServers,
// Microsoft.DBforMySQL/flexibleServers); its address is not in the input.
type nFlexibleServer struct {
	Name     string `yaml:"name"`
	Location string `yaml:"location"`
	// Engine is PostgreSQL or MySQL.
	Engine string `yaml:"engine"`
	// Subnet is network.delegatedSubnetResourceId: "vnet/subnet" or an ID.
	Subnet              string `yaml:"subnet"`
	PublicNetworkAccess string `yaml:"publicNetworkAccess"`
	// PrivateDNSZone is the private DNS zone's resource ID.
	PrivateDNSZone string `yaml:"privateDnsZone"`
	FQDN           string `yaml:"fullyQualifiedDomainName"`
	at             at
}

func (v *nFlexibleServer) UnmarshalYAML(n *yaml.Node) (err error) {
	type plain nFlexibleServer
	v.at, err = strict(n, (*plain)(v), "a flexible server")
	return err
}
