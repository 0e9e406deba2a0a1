package topology

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/egresslab/egress/internal/errtext"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology/arm"
)

// Terraform plans and state
//
// `terraform show -json` prints a plan (planned_values, resource_changes,
// configuration) or a state (values) in the JSON output format
// (https://developer.hashicorp.com/terraform/internals/json-format, format
// version 1.x). It is decoded with HashiCorp's own types
// (github.com/hashicorp/terraform-json), and positions come from egress's
// positioned JSON reader (package arm), so that errors and warnings name
// file:line:col, the Terraform address and the attribute.
//
// The azurerm resources that shape egress map to the model with the
// provider's attribute names (registry.terraform.io/providers/hashicorp/azurerm,
// v3 and v4 spellings where they differ); see terraformMapped. Every other
// resource type is counted in [Model.Skipped] by its Terraform type (data
// sources as "data.TYPE").

// ErrKnownAfterApply is the category of the warnings a plan gives for values
// Terraform knows only after apply (a new NIC's dynamic private IP, a new
// public IP's address): the model leaves them out, so that the answers that
// depend on them are Unknown, and the warning names the resource's address
// and the attribute.
var ErrKnownAfterApply = errors.New("known after apply")

// terraformMapped lists the Terraform resource types ParseTerraform maps to
// the model. Other types are counted in Model.Skipped.
var terraformMapped = map[string]bool{
	"azurerm_virtual_network":                                          true,
	"azurerm_subnet":                                                   true,
	"azurerm_network_interface":                                        true,
	"azurerm_route_table":                                              true,
	"azurerm_route":                                                    true,
	"azurerm_network_security_group":                                   true,
	"azurerm_network_security_rule":                                    true,
	"azurerm_subnet_route_table_association":                           true,
	"azurerm_subnet_network_security_group_association":                true,
	"azurerm_subnet_nat_gateway_association":                           true,
	"azurerm_nat_gateway":                                              true,
	"azurerm_nat_gateway_public_ip_association":                        true,
	"azurerm_nat_gateway_public_ip_prefix_association":                 true,
	"azurerm_network_interface_security_group_association":             true,
	"azurerm_public_ip":                                                true,
	"azurerm_public_ip_prefix":                                         true,
	"azurerm_ip_group":                                                 true,
	"azurerm_ip_group_cidr":                                            true,
	"azurerm_virtual_network_peering":                                  true,
	"azurerm_firewall":                                                 true,
	"azurerm_cognitive_account":                                        true,
	"azurerm_firewall_policy":                                          true,
	"azurerm_firewall_policy_rule_collection_group":                    true,
	"azurerm_lb":                                                       true,
	"azurerm_lb_backend_address_pool":                                  true,
	"azurerm_lb_outbound_rule":                                         true,
	"azurerm_lb_rule":                                                  true,
	"azurerm_lb_backend_address_pool_address":                          true,
	"azurerm_network_interface_backend_address_pool_association":       true,
	"azurerm_application_security_group":                               true,
	"azurerm_network_interface_application_security_group_association": true,
	"azurerm_private_endpoint":                                         true,
	"azurerm_linux_web_app":                                            true,
	"azurerm_windows_web_app":                                          true,
	"azurerm_linux_function_app":                                       true,
	"azurerm_windows_function_app":                                     true,
	"azurerm_app_service_virtual_network_swift_connection":             true,
	"azurerm_virtual_network_gateway":                                  true,
	"azurerm_local_network_gateway":                                    true,
	"azurerm_virtual_network_gateway_connection":                       true,
}

// terraformARMTypes are the ARM types of the mapped top-level resources,
// for the IDs ParseTerraform gives resources whose id is known only after
// apply.
var terraformARMTypes = map[string]string{
	"azurerm_virtual_network":                    "Microsoft.Network/virtualNetworks",
	"azurerm_network_interface":                  "Microsoft.Network/networkInterfaces",
	"azurerm_route_table":                        "Microsoft.Network/routeTables",
	"azurerm_network_security_group":             "Microsoft.Network/networkSecurityGroups",
	"azurerm_nat_gateway":                        "Microsoft.Network/natGateways",
	"azurerm_public_ip":                          "Microsoft.Network/publicIPAddresses",
	"azurerm_public_ip_prefix":                   "Microsoft.Network/publicIPPrefixes",
	"azurerm_ip_group":                           "Microsoft.Network/ipGroups",
	"azurerm_firewall":                           "Microsoft.Network/azureFirewalls",
	"azurerm_cognitive_account":                  "Microsoft.CognitiveServices/accounts",
	"azurerm_firewall_policy":                    "Microsoft.Network/firewallPolicies",
	"azurerm_lb":                                 "Microsoft.Network/loadBalancers",
	"azurerm_application_security_group":         "Microsoft.Network/applicationSecurityGroups",
	"azurerm_private_endpoint":                   "Microsoft.Network/privateEndpoints",
	"azurerm_linux_web_app":                      "Microsoft.Web/sites",
	"azurerm_windows_web_app":                    "Microsoft.Web/sites",
	"azurerm_linux_function_app":                 "Microsoft.Web/sites",
	"azurerm_windows_function_app":               "Microsoft.Web/sites",
	"azurerm_virtual_network_gateway":            "Microsoft.Network/virtualNetworkGateways",
	"azurerm_local_network_gateway":              "Microsoft.Network/localNetworkGateways",
	"azurerm_virtual_network_gateway_connection": "Microsoft.Network/connections",
}

// terraformTopKeys are the top-level keys of `terraform show -json` output
// (format 1.x); isTerraformJSON stops at the first other key.
var terraformTopKeys = map[string]bool{
	"format_version": true, "terraform_version": true, "variables": true, "planned_values": true,
	"resource_drift": true, "resource_changes": true, "output_changes": true, "prior_state": true,
	"configuration": true, "relevant_attributes": true, "checks": true, "timestamp": true,
	"applyable": true, "complete": true, "errored": true, "values": true, "deferred_changes": true,
	"action_invocations": true, "provider_format_version": true,
}

// isTerraformJSON reports whether data is `terraform show -json` output: a
// JSON object with format_version and terraform_version, and planned_values
// (a plan) or values (a state). It reads top-level keys only and stops at
// the first key Terraform does not write, so an ARM export costs a few
// bytes. plan reports which of the two it is.
func isTerraformJSON(data []byte) (ok, plan bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return false, false
	}
	var fv, tv, pv, sv bool
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false, false
		}
		k, _ := t.(string)
		if !terraformTopKeys[k] {
			break
		}
		switch k {
		case "format_version":
			fv = true
		case "terraform_version":
			tv = true
		case "planned_values":
			pv = true
		case "values":
			sv = true
		}
		if fv && tv && (pv || sv) {
			return true, pv
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false, false
		}
	}
	return fv && tv && (pv || sv), pv
}

// ParseTerraform reads the `terraform show -json` output of a plan or a state
// into a model, without validating it; file names the input in positions.
// [LoadFiles] and [Load] detect such files by their content and merge them
// with ARM exports and native designs like any other input.
//
// A plan's model is the network after apply: planned_values, with the values
// known only after apply (resource_changes' after_unknown) left out. Links
// between resources come from the values, and where these are unknown from
// the plan's configuration: the references of the attribute's expression
// ("azurerm_subnet.app[0].id") name the resource instance, through module
// inputs and outputs and module instances too, by the rules of
// terraformrefs.go; what the JSON cannot tell (a local value, whose
// expression it leaves out; an instance picked by count.index or each.key;
// references to several resources) is not guessed, and the warning says
// why. A resource whose id is unknown gets the ID Azure will give it
// (its resource group and name, in the subscription the input's other IDs
// name, else [arm.TemplateSubscription]), or one made from its Terraform
// address when those are unknown too. A value that stays unknown (a dynamic
// private IP, a link no reference resolves) is left out with a warning
// wrapping [ErrKnownAfterApply] naming the address and the attribute, and
// what it costs: a subnet's or NIC's route table, NSG or NAT gateway that
// stays unknown is one outside the input (the answers it decides are
// Unknown); a route's next hop IP address stays "(known after apply)", so
// that its table is not evaluated and the flows of its subnets are Unknown
// ([IsKnownAfterApply] tells that problem from one Azure would reject; the
// warning, given when the input is loaded, names the subnets). An NSG
// rule's unknown addresses, ports, protocol or access widen it to "*", its
// unknown priority or direction place it where it decides every flow it
// could (terraformnsg.go), flagged in [NSG.KnownAfterApply] so that only
// the answers it could change are Unknown; an application rule's unknown
// protocols widen it to every application protocol and port, a rule the
// firewall never lets decide (firewall.ApplicationRule.ProtocolsUnknown),
// its unknown targets, sources or destination addresses keep the known
// ones and make it possibly match any other name, source or destination
// (TargetsUnknown, SourcesUnknown, DestinationsUnknown); a
// firewall network rule's unknown sources, destinations, ports or
// protocols (a list, or an element of one) keep the known values, which
// decide, and make the rule possibly match any other value of that field,
// flagged in firewall.NetworkRule (SourcesUnknown, DestinationsUnknown,
// PortsUnknown, ProtocolsUnknown) so that only the verdicts it could
// change are Unknown; a DNAT rule's the same, and its unknown translated
// address, FQDN or port make its translations Unknown
// (firewall.NatRule.TranslatedUnknown).
//
// A state and a plan of one configuration (or the same state or plan twice)
// loaded together are refused: their resources would be merged or doubled.
// Compare them instead (egress diff --base STATE --with PLAN).
//
// The mapped types, with the azurerm provider's attribute names (v3, v4 and
// v5 spellings where they differ; every name verified against the
// provider's schema in hashicorp/terraform-provider-azurerm at commit
// 69697b7fe6a923fc89e88f386bc95c3ed1ee2ec6, v5.2.0-14, and at the tags
// v4.81.0 and v3.117.1 where they differ; terraform_schema_test.go feeds
// each the provider's exact shape), are azurerm_virtual_network (with inline
// subnet blocks; data.azurerm_virtual_network too), azurerm_subnet,
// azurerm_network_interface, azurerm_route_table and azurerm_route,
// azurerm_network_security_group and azurerm_network_security_rule, the
// subnet route table, NSG and NAT gateway associations, the NIC NSG
// association, azurerm_nat_gateway and its public IP and prefix
// associations, azurerm_public_ip, azurerm_public_ip_prefix,
// azurerm_ip_group and azurerm_ip_group_cidr,
// azurerm_virtual_network_peering (a peering of some subnets only, or of
// IPv6 only, is refused: egress peers whole VNets), azurerm_firewall, azurerm_firewall_policy
// and azurerm_firewall_policy_rule_collection_group,
// azurerm_cognitive_account, azurerm_lb with azurerm_lb_backend_address_pool,
// azurerm_lb_outbound_rule, azurerm_lb_rule,
// azurerm_network_interface_backend_address_pool_association and
// azurerm_lb_backend_address_pool_address (a member by IP address),
// azurerm_application_security_group and
// azurerm_network_interface_application_security_group_association (the
// ASG joins every IP configuration of the NIC), azurerm_private_endpoint,
// azurerm_linux_web_app, azurerm_windows_web_app, azurerm_linux_function_app
// and azurerm_windows_function_app with
// azurerm_app_service_virtual_network_swift_connection,
// azurerm_virtual_network_gateway, azurerm_local_network_gateway (its peer
// by gateway_address or gateway_fqdn) and
// azurerm_virtual_network_gateway_connection (terraformlb.go,
// terraformweb.go and terraformgw.go name the attributes). Every other type is counted in [Model.Skipped]
// (data sources as "data.TYPE"). A child declared inline and on its own
// (a VNet's computed subnet attribute and an azurerm_subnet, a route table's
// route and an azurerm_route) is kept once, the separate resource winning.
// Errors are *[Error] values naming the file
// (line and column where the reader knows them), the Terraform address and
// the attribute; on error no model is returned. ParseTerraform never panics.
func ParseTerraform(file string, data []byte) (*Model, error) {
	ok, plan := isTerraformJSON(data)
	if !ok {
		return nil, &Error{Pos: Pos{File: file}, Kind: ErrSyntax, Detail: "not `terraform show -json` output: want a JSON object with format_version, terraform_version and planned_values or values"}
	}
	root, err := arm.ParseValue(file, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	b := &tfBuilder{file: file, m: &Model{}, byAddr: map[string]*tfRes{}, byBase: map[string][]*tfRes{},
		vnets: map[string]*VNet{}, subnets: map[string]*Subnet{}, rts: map[string]*RouteTable{}, nsgs: map[string]*NSG{},
		nics: map[string]*NIC{}, nats: map[string]*NATGateway{}, fwps: map[string]*FirewallPolicy{}, lbs: map[string]*LoadBalancer{}, webs: map[string]*WebApp{}}
	var values *tfjson.StateValues
	var config *tfjson.Config
	unknown := map[string]any{}
	var posRoot *arm.Value
	if plan {
		var p tfjson.Plan
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, b.decodeErr(data, err)
		}
		values, config = p.PlannedValues, p.Config
		for _, rc := range p.ResourceChanges {
			if rc != nil && rc.Change != nil {
				unknown[rc.Address] = rc.Change.AfterUnknown
				b.noteDeletedAssoc(rc)
			}
		}
		posRoot = root.Get("planned_values")
	} else {
		var s tfjson.State
		if err := json.Unmarshal(data, &s); err != nil {
			return nil, b.decodeErr(data, err)
		}
		values = s.Values
		posRoot = root.Get("values")
	}
	b.plan = plan
	if config != nil {
		b.config = config.RootModule
	}
	if values != nil && values.RootModule != nil {
		b.collect(values.RootModule, posRoot.Get("root_module"), unknown, 0)
	}
	b.build()
	in := &tfInput{file: file, plan: plan, ids: map[string]string{}}
	for _, r := range b.res {
		if id, ok := r.str("id"); ok && id != "" && r.mode == tfjson.ManagedResourceMode {
			in.ids[r.addr] = id
			in.order = append(in.order, r.addr)
		}
	}
	b.m.firewallHops = append(b.m.firewallHops, firewallHop{input: in})
	if err := b.p.err(); err != nil {
		return nil, err
	}
	b.m.addWarnings(&b.w)
	return b.m, nil
}

// decodeErr wraps an error of the terraform-json decoder (an unsupported
// format_version, a value of the wrong type).
func (b *tfBuilder) decodeErr(data []byte, err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &Error{Pos: offsetPos(b.file, data, te.Offset), Field: te.Field, Kind: ErrInvalid, Detail: fmt.Sprintf("want %v, not a JSON %s", te.Type, te.Value)}
	}
	return &Error{Pos: Pos{File: b.file}, Kind: ErrInvalid, Detail: "terraform show -json: " + err.Error()}
}

// offsetPos returns the position of byte offset off of data (the decoder's
// offsets point just past the offending value), counting columns in bytes
// as package arm does.
func offsetPos(file string, data []byte, off int64) Pos {
	if off < 0 || off > int64(len(data)) {
		return Pos{File: file}
	}
	head := data[:off]
	line := bytes.Count(head, []byte{'\n'}) + 1
	col := int(off) - (bytes.LastIndexByte(head, '\n') + 1) + 1
	return Pos{File: file, Line: line, Col: col}
}

// tfRes is one resource instance of a plan's planned values or a state.
type tfRes struct {
	addr   string // instance address: module.hub.azurerm_subnet.app["x"]
	module string // module instance address: module.hub, "" for the root
	base   string // address without the instance key
	mode   tfjson.ResourceMode
	typ    string
	vals   map[string]any
	unk    any        // after_unknown (plans), nil in a state
	node   *arm.Value // the resource object, for positions
	cfg    *tfjson.ConfigResource
	id     Ref
	pos    Pos
	parent *tfRes // a subnet's or peering's VNet
	lb     Ref    // a load balancer child's loadbalancer_id
}

type tfBuilder struct {
	file   string
	plan   bool
	m      *Model
	p      problems
	w      warnList
	config *tfjson.ConfigModule
	res    []*tfRes // in document order
	byAddr map[string]*tfRes
	byBase map[string][]*tfRes
	sub    string // the subscription the input's known IDs name
	// deleted are the subnets whose route table or NSG association a plan
	// deletes, by association type and subnet ID key (noteDeletedAssoc).
	deleted map[string]bool
	byName  map[string]*tfRes // by lower-case type, resource group and name; built by parent

	vnets   map[string]*VNet // by ID key
	subnets map[string]*Subnet
	rts     map[string]*RouteTable
	nsgs    map[string]*NSG
	nics    map[string]*NIC
	nats    map[string]*NATGateway
	fwps    map[string]*FirewallPolicy
	lbs     map[string]*LoadBalancer
	webs    map[string]*WebApp
	// pending are the NSG rules whose priority or direction is known
	// after apply, or whose access is, in the order read, by NSG ID key
	// and lower-case rule name in pendingAt (placeTFRules).
	pending   []*tfPendingRule
	pendingAt map[string]*tfPendingRule
}

const maxTFModuleDepth = 64

// collect lists the resources of a module and its children, depth first in
// document order.
func (b *tfBuilder) collect(mod *tfjson.StateModule, node *arm.Value, unknown map[string]any, depth int) {
	if depth > maxTFModuleDepth {
		b.p.add(node.Pos(), mod.Address, "child_modules", "", ErrLimit, "modules nested more than %d deep", maxTFModuleDepth)
		return
	}
	nodes := map[string]*arm.Value{}
	for _, rn := range elems(node.Get("resources")) {
		if a, ok := rn.Get("address").Str(); ok {
			nodes[a] = rn
		}
	}
	for _, sr := range mod.Resources {
		if sr == nil {
			continue
		}
		r := &tfRes{addr: sr.Address, module: mod.Address, mode: sr.Mode, typ: sr.Type, vals: sr.AttributeValues, unk: unknown[sr.Address], node: nodes[sr.Address]}
		if r.addr == "" {
			b.p.add(Pos{File: b.file}, mod.Address, "resources.address", "", ErrMissing, "a resource without an address")
			continue
		}
		if _, dup := b.byAddr[r.addr]; dup {
			b.p.add(r.node.Pos(), r.addr, "address", r.addr, ErrDuplicate, "resource address listed twice")
			continue
		}
		r.pos = r.node.Pos()
		if r.pos.File == "" {
			r.pos = Pos{File: b.file}
		}
		r.base = stripInstanceKey(r.addr)
		r.cfg = b.configResource(r)
		b.res = append(b.res, r)
		b.byAddr[r.addr] = r
		b.byBase[r.base] = append(b.byBase[r.base], r)
		if id, ok := r.str("id"); ok && b.sub == "" {
			if rid, err := arm.ParseID(id); err == nil {
				b.sub = rid.SubscriptionID()
			}
		}
	}
	children := map[string]*arm.Value{}
	for _, cn := range elems(node.Get("child_modules")) {
		if a, ok := cn.Get("address").Str(); ok {
			children[a] = cn
		}
	}
	for _, c := range mod.ChildModules {
		if c != nil {
			b.collect(c, children[c.Address], unknown, depth+1)
		}
	}
}

// stripInstanceKey removes the trailing instance key of an address
// (`azurerm_subnet.app["web"]` → azurerm_subnet.app).
func stripInstanceKey(addr string) string {
	if strings.HasSuffix(addr, "]") {
		if i := lastTopLevelBracket(addr); i > 0 {
			return addr[:i]
		}
	}
	return addr
}

// lastTopLevelBracket returns the index of the '[' that opens the trailing
// instance key, skipping quoted strings, or -1.
func lastTopLevelBracket(s string) int {
	open, inQuote := -1, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '[':
			open = i
		}
	}
	return open
}

// moduleConfig returns the configuration of a module instance address
// ("module.a[0].module.b"), or nil.
func (b *tfBuilder) moduleConfig(module string) *tfjson.ConfigModule {
	m := b.config
	for _, name := range moduleNames(module) {
		if m == nil {
			return nil
		}
		call := m.ModuleCalls[name]
		if call == nil {
			return nil
		}
		m = call.Module
	}
	return m
}

// moduleNames returns the call names of a module instance address.
func moduleNames(module string) []string {
	var out []string
	for module != "" {
		rest, ok := strings.CutPrefix(module, "module.")
		if !ok {
			return out
		}
		end := len(rest)
		for i := 0; i < len(rest); i++ {
			if rest[i] == '.' || rest[i] == '[' {
				end = i
				break
			}
		}
		out = append(out, rest[:end])
		rest = rest[end:]
		if strings.HasPrefix(rest, "[") {
			k := closingBracket(rest)
			if k < 0 {
				return out
			}
			rest = rest[k+1:]
		}
		module = strings.TrimPrefix(rest, ".")
	}
	return out
}

// closingBracket returns the index of the ']' closing s[0]=='[', or -1.
func closingBracket(s string) int {
	inQuote := false
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ']':
			return i
		}
	}
	return -1
}

// configResource finds the configuration block of r.
func (b *tfBuilder) configResource(r *tfRes) *tfjson.ConfigResource {
	m := b.moduleConfig(r.module)
	if m == nil {
		return nil
	}
	local := strings.TrimPrefix(strings.TrimPrefix(r.base, r.module), ".")
	for _, c := range m.Resources {
		if c != nil && c.Address == local {
			return c
		}
	}
	return nil
}

// Attribute access. A path is a sequence of keys (string) and list
// indices (int).

type tfState uint8

const (
	tfAbsent tfState = iota // null or not set
	tfKnown
	tfUnknown // known after apply
)

func (r *tfRes) at(path ...any) (any, tfState) {
	var cur any = r.vals
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil, r.unknownState(path)
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k < 0 || k >= len(l) {
				return nil, r.unknownState(path)
			}
			cur = l[k]
		}
	}
	if cur == nil {
		return nil, r.unknownState(path)
	}
	return cur, tfKnown
}

// unknownState reports whether after_unknown marks path (or one of its
// ancestors) unknown.
func (r *tfRes) unknownState(path []any) tfState {
	cur := r.unk
	for _, p := range path {
		if b, ok := cur.(bool); ok {
			if b {
				return tfUnknown
			}
			return tfAbsent
		}
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return tfAbsent
			}
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			if !ok || k < 0 || k >= len(l) {
				return tfAbsent
			}
			cur = l[k]
		}
	}
	if b, ok := cur.(bool); ok && b {
		return tfUnknown
	}
	return tfAbsent
}

func (r *tfRes) str(path ...any) (string, bool) {
	v, st := r.at(path...)
	s, ok := v.(string)
	return s, st == tfKnown && ok
}

// posAt returns the position of path in r's values, or of its nearest
// ancestor the input holds.
func (r *tfRes) posAt(path ...any) Pos {
	n := r.node.Get("values")
	best := r.pos
	if n != nil {
		best = n.Pos()
	}
	for _, p := range path {
		switch k := p.(type) {
		case string:
			n = n.Get(k)
		case int:
			n = n.Index(k)
		}
		if n == nil {
			break
		}
		best = n.Pos()
	}
	if best.File == "" {
		return Pos{File: r.pos.File}
	}
	return best
}

// pathString formats a path as Terraform writes attribute paths:
// ip_configuration[0].private_ip_address.
func pathString(path []any) string {
	var sb strings.Builder
	for _, p := range path {
		switch k := p.(type) {
		case string:
			if sb.Len() > 0 {
				sb.WriteByte('.')
			}
			sb.WriteString(k)
		case int:
			sb.WriteString("[" + strconv.Itoa(k) + "]")
		}
	}
	return sb.String()
}

// expr returns the configuration expression of path (through nested
// blocks), or nil.
func (r *tfRes) expr(path ...any) *tfjson.Expression {
	if r.cfg == nil {
		return nil
	}
	exprs := r.cfg.Expressions
	var e *tfjson.Expression
	for i := 0; i < len(path); i++ {
		k, ok := path[i].(string)
		if !ok || exprs == nil {
			return nil
		}
		e = exprs[k]
		if e == nil || e.ExpressionData == nil {
			return nil
		}
		if i+1 < len(path) {
			idx, ok := path[i+1].(int)
			if !ok || idx < 0 || idx >= len(e.NestedBlocks) {
				return nil
			}
			exprs = e.NestedBlocks[idx]
			i++
			e = nil
		}
	}
	if e == nil || e.ExpressionData == nil {
		return nil
	}
	return e
}

// unknownWarn records that path of r stays unknown.
func (b *tfBuilder) unknownWarn(r *tfRes, path []any, what string) {
	b.w.warn(r.posAt(path...), r.addr, pathString(path), "", ErrKnownAfterApply, "%s: left out, so the answers that depend on it are Unknown", what)
}

// refAt returns the resource ID at path: its value when known, else the
// resource the configuration's references name.
func (b *tfBuilder) refAt(r *tfRes, path ...any) Ref {
	id, why := b.refAtWhy(r, path...)
	if why != "" {
		b.unknownWarn(r, path, "resource ID known after apply, and "+why)
	}
	return id
}

// refAtWhy is refAt without the warning: for an ID known after apply that
// no reference resolves, it returns "" and why.
func (b *tfBuilder) refAtWhy(r *tfRes, path ...any) (Ref, string) {
	v, st := r.at(path...)
	switch st {
	case tfKnown:
		s, ok := v.(string)
		if !ok {
			b.p.add(r.posAt(path...), r.addr, pathString(path), "", ErrInvalid, "want a resource ID string")
			return "", ""
		}
		return Ref(s), ""
	case tfAbsent:
		// Known to be null: a conditional's references do not count.
		return "", ""
	}
	// Known after apply: the configuration's references say which
	// resource it will be.
	t, why := b.resolve(r, r.expr(path...))
	if t != nil && !t.id.IsZero() {
		return t.id, ""
	}
	if t != nil {
		why = "it names " + t.addr + ", which is not a resource egress maps"
	}
	return "", why
}

// build maps the collected resources to the model.
func (b *tfBuilder) build() {
	// IDs first: top-level resources, then children, whose IDs extend
	// their parents'.
	for _, r := range b.res {
		if r.mode == tfjson.DataResourceMode || terraformARMTypes[r.typ] != "" {
			r.id = b.resourceID(r, "")
		}
	}
	for _, r := range b.res {
		if r.mode != tfjson.ManagedResourceMode {
			continue
		}
		switch r.typ {
		case "azurerm_subnet":
			if vn := b.parent(r, "virtual_network_name", "azurerm_virtual_network"); vn != nil {
				r.id, r.parent = b.resourceID(r, string(vn.id)+"/subnets/"), vn
			}
		case "azurerm_virtual_network_peering":
			if vn := b.parent(r, "virtual_network_name", "azurerm_virtual_network"); vn != nil {
				r.id, r.parent = b.resourceID(r, string(vn.id)+"/virtualNetworkPeerings/"), vn
			}
		case "azurerm_lb_backend_address_pool", "azurerm_lb_outbound_rule", "azurerm_lb_rule":
			if r.lb = b.refAt(r, "loadbalancer_id"); !r.lb.IsZero() {
				r.id = b.resourceID(r, string(r.lb)+"/"+lbChildren[r.typ]+"/")
			}
		}
	}
	// Resources, in document order within each type group: parents first.
	for _, pass := range [][]string{
		{"azurerm_virtual_network", "azurerm_route_table", "azurerm_network_security_group", "azurerm_public_ip",
			"azurerm_public_ip_prefix", "azurerm_ip_group", "azurerm_nat_gateway", "azurerm_firewall", "azurerm_cognitive_account", "azurerm_firewall_policy",
			"azurerm_lb", "azurerm_application_security_group", "azurerm_linux_web_app", "azurerm_windows_web_app",
			"azurerm_linux_function_app", "azurerm_windows_function_app", "azurerm_virtual_network_gateway", "azurerm_local_network_gateway"},
		{"azurerm_subnet", "azurerm_virtual_network_peering", "azurerm_route", "azurerm_network_security_rule", "azurerm_network_interface",
			"azurerm_firewall_policy_rule_collection_group", "azurerm_lb_backend_address_pool", "azurerm_lb_outbound_rule", "azurerm_lb_rule",
			"azurerm_private_endpoint", "azurerm_virtual_network_gateway_connection", "azurerm_ip_group_cidr"},
		{"azurerm_subnet_route_table_association", "azurerm_subnet_network_security_group_association",
			"azurerm_subnet_nat_gateway_association", "azurerm_nat_gateway_public_ip_association",
			"azurerm_nat_gateway_public_ip_prefix_association", "azurerm_network_interface_security_group_association",
			"azurerm_network_interface_backend_address_pool_association", "azurerm_network_interface_application_security_group_association",
			"azurerm_app_service_virtual_network_swift_connection", "azurerm_lb_backend_address_pool_address"},
	} {
		for _, data := range []bool{false, true} { // managed resources first
			for _, r := range b.res {
				if b.builds(r) && (r.mode == tfjson.DataResourceMode) == data && slices.Contains(pass, r.typ) {
					b.resource(r)
				}
			}
		}
	}
	b.placeTFRules()
	for _, r := range b.res {
		if !b.builds(r) {
			t := strings.ToLower(r.typ)
			if r.mode == tfjson.DataResourceMode {
				t = "data." + t
			}
			if b.m.Skipped == nil {
				b.m.Skipped = map[string]int{}
			}
			b.m.Skipped[t]++
		}
	}
}

// resourceID returns r's id when known, else the ID Azure will give it:
// parent (ending in "/") + name for a child, the resource group and name
// for a top-level resource, or the address when these are unknown too.
func (b *tfBuilder) resourceID(r *tfRes, parent string) Ref {
	if id, ok := r.str("id"); ok && id != "" {
		return Ref(id)
	}
	name, nameOK := r.str("name")
	if parent != "" {
		if !nameOK || name == "" {
			name = r.addr
		}
		return Ref(parent + name)
	}
	sub := b.sub
	if sub == "" {
		sub = arm.TemplateSubscription
	}
	rg, rgOK := r.str("resource_group_name")
	typ := terraformARMTypes[r.typ]
	if typ == "" { // a data source of another type
		typ = "Terraform/" + r.typ
	}
	if !nameOK || !rgOK || name == "" || rg == "" {
		return Ref("/subscriptions/" + sub + "/resourceGroups/" + arm.TemplateResourceGroup + "/providers/" + typ + "/" + r.addr)
	}
	return Ref("/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/" + typ + "/" + name)
}

// parent returns the resource of type typ that r's name attribute (a parent
// name such as virtual_network_name) names: the one its configuration
// references, else the one of that name in r's resource group. A missing
// parent is a problem, as for ARM children.
func (b *tfBuilder) parent(r *tfRes, attr, typ string) *tfRes {
	if t := b.target(r, r.expr(attr)); t != nil && t.typ == typ && b.builds(t) {
		return t
	}
	name, _ := r.str(attr)
	rg, _ := r.str("resource_group_name")
	if b.byName == nil {
		b.byName = map[string]*tfRes{}
		for _, c := range b.res {
			cn, _ := c.str("name")
			crg, _ := c.str("resource_group_name")
			k := strings.ToLower(c.typ + "\x00" + crg + "\x00" + cn)
			if old := b.byName[k]; b.builds(c) && (old == nil || old.mode == tfjson.DataResourceMode) {
				b.byName[k] = c // a managed resource before a data source
			}
		}
	}
	if c := b.byName[strings.ToLower(typ+"\x00"+rg+"\x00"+name)]; c != nil && name != "" {
		return c
	}
	b.p.add(r.posAt(attr), r.addr, attr, name, ErrDangling, "names a %s the input does not hold", typ)
	return nil
}

// builds reports whether r becomes a model resource: a mapped managed
// resource, or a data source read as one (data.azurerm_virtual_network).
func (b *tfBuilder) builds(r *tfRes) bool {
	if r.mode == tfjson.DataResourceMode {
		return r.typ == "azurerm_virtual_network"
	}
	return terraformMapped[r.typ]
}

func (b *tfBuilder) meta(r *tfRes) Meta {
	name, _ := r.str("name")
	loc, _ := r.str("location")
	return Meta{ID: r.id, Name: name, Location: normalizeLocation(loc), Pos: r.pos}
}

// normalizeLocation returns a location as ARM writes it: "West Europe" →
// "westeurope".
func normalizeLocation(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

func (b *tfBuilder) resource(r *tfRes) {
	switch r.typ {
	case "azurerm_virtual_network":
		// A managed VNet, or one a data source reads (a hub managed
		// elsewhere that this configuration adds subnets or peerings to):
		// its subnets attribute then lists names only.
		vn := &VNet{Meta: b.meta(r), AddressSpace: b.prefixes(r, "address_space"), DNSServers: b.addrs(r, "dns_servers")}
		if old := b.vnets[vn.ID.Key()]; old != nil {
			return // a data source reading a VNet the input manages
		}
		b.vnets[vn.ID.Key()] = vn
		if r.mode == tfjson.DataResourceMode {
			b.m.VNets = append(b.m.VNets, vn)
			return
		}
		for i := range b.list(r, "subnet") {
			b.inlineSubnet(r, vn, i)
		}
		b.m.VNets = append(b.m.VNets, vn)
	case "azurerm_subnet":
		if r.parent == nil {
			return // its VNet is missing: reported
		}
		vn := b.vnets[r.parent.id.Key()]
		if vn == nil {
			return
		}
		s := &Subnet{Meta: b.meta(r), VNet: vn}
		s.Location = vn.Location
		b.subnetFields(r, s, nil)
		// v5 (5.0.0, hashicorp/terraform-provider-azurerm#32847):
		// azurerm_subnet exports network_security_group_id and
		// route_table_id, and sets them with the write-only
		// network_security_group_id_wo and route_table_id_wo (null in a
		// plan and a state: their configuration expressions name them).
		s.NSG = b.subnetLink(r, "network_security_group_id", "network_security_group_id_wo", "networkSecurityGroups", "an NSG")
		s.RouteTable = b.subnetLink(r, "route_table_id", "route_table_id_wo", "routeTables", "a route table")
		b.addSubnet(vn, s)
	case "azurerm_virtual_network_peering":
		if r.parent == nil {
			return
		}
		vn := b.vnets[r.parent.id.Key()]
		if vn == nil {
			return
		}
		p := &Peering{Meta: b.meta(r), Local: vn, Remote: b.refAt(r, "remote_virtual_network_id"),
			AllowVirtualNetworkAccess: b.boolDefault(r, true, "allow_virtual_network_access"),
			AllowForwardedTraffic:     b.boolDefault(r, false, "allow_forwarded_traffic"),
			AllowGatewayTransit:       b.boolDefault(r, false, "allow_gateway_transit"),
			UseRemoteGateways:         b.boolDefault(r, false, "use_remote_gateways"),
			Connected:                 true}
		p.Location = vn.Location
		b.partialPeering(r)
		vn.Peerings = append(vn.Peerings, p)
	case "azurerm_route_table":
		rt := &RouteTable{Meta: b.meta(r)}
		// v4 bgp_route_propagation_enabled, v3 disable_bgp_route_propagation.
		if _, st := r.at("bgp_route_propagation_enabled"); st == tfKnown {
			rt.DisableBGPRoutePropagation = !b.boolDefault(r, true, "bgp_route_propagation_enabled")
		} else {
			rt.DisableBGPRoutePropagation = b.boolDefault(r, false, "disable_bgp_route_propagation")
		}
		for i := range b.list(r, "route") {
			b.addTFRoute(rt, r, []any{"route", i})
		}
		b.rts[rt.ID.Key()] = rt
		b.m.RouteTables = append(b.m.RouteTables, rt)
	case "azurerm_route":
		if t := b.parent(r, "route_table_name", "azurerm_route_table"); t != nil {
			if rt := b.rts[t.id.Key()]; rt != nil {
				b.addTFRoute(rt, r, nil)
			}
		}
	case "azurerm_network_security_group":
		g := &NSG{Meta: b.meta(r)}
		for i := range b.list(r, "security_rule") {
			b.addTFRule(g, r, []any{"security_rule", i})
		}
		b.nsgs[g.ID.Key()] = g
		b.m.NSGs = append(b.m.NSGs, g)
	case "azurerm_network_security_rule":
		if t := b.parent(r, "network_security_group_name", "azurerm_network_security_group"); t != nil {
			if g := b.nsgs[t.id.Key()]; g != nil {
				b.addTFRule(g, r, nil)
			}
		}
	case "azurerm_network_interface":
		b.nic(r)
	case "azurerm_public_ip":
		pip := &PublicIP{Meta: b.meta(r), Prefix: b.refAt(r, "public_ip_prefix_id")}
		pip.SKU, _ = r.str("sku")
		if _, st := r.at("ip_address"); st == tfUnknown {
			b.unknownWarn(r, []any{"ip_address"}, "public IP address known after apply")
		} else if s, _ := r.str("ip_address"); s != "" {
			pip.Address = b.addr(r, "ip_address")
		}
		b.m.PublicIPs = append(b.m.PublicIPs, pip)
	case "azurerm_ip_group_cidr":
		// One CIDR of an IP group, declared on its own (ip_group_id,
		// cidr; internal/services/network/ip_group_cidr_resource.go).
		id := b.refAt(r, "ip_group_id")
		if id.IsZero() {
			return
		}
		i := slices.IndexFunc(b.m.IPGroups, func(g *IPGroup) bool { return g.ID.Key() == id.Key() })
		if i < 0 {
			b.p.add(r.posAt("ip_group_id"), r.addr, "ip_group_id", string(id), ErrDangling, "names an IP group the input does not hold")
			return
		}
		switch v, st := r.at("cidr"); st {
		case tfUnknown:
			b.unknownWarn(r, []any{"cidr"}, "the IP group's CIDR known after apply")
		case tfKnown:
			g := b.m.IPGroups[i]
			c, ok := v.(string)
			switch msg := mappedIPGroupAddress(c); {
			case !ok || c == "":
				b.p.add(r.posAt("cidr"), r.addr, "cidr", "", ErrInvalid, "want an IP address, range or CIDR")
			case msg != "":
				b.p.add(r.posAt("cidr"), r.addr, "cidr", c, ErrInvalid, "%s", msg)
			case !slices.Contains(g.Addresses, c):
				g.Addresses = append(g.Addresses, c)
			}
		}
	case "azurerm_ip_group":
		// cidrs: the group's addresses and ranges, as Azure Firewall rules
		// name them (https://learn.microsoft.com/azure/firewall/ip-groups).
		g := &IPGroup{Meta: b.meta(r), Addresses: b.strs(r, "cidrs")}
		for _, a := range g.Addresses {
			if msg := mappedIPGroupAddress(a); msg != "" {
				b.p.add(r.posAt("cidrs"), r.addr, "cidrs", a, ErrInvalid, "%s", msg)
			}
		}
		b.m.IPGroups = append(b.m.IPGroups, g)
	case "azurerm_public_ip_prefix":
		pp := &PublicIPPrefix{Meta: b.meta(r)}
		pp.SKU, _ = r.str("sku")
		if _, st := r.at("ip_prefix"); st == tfUnknown {
			b.unknownWarn(r, []any{"ip_prefix"}, "public IP prefix known after apply")
		} else if s, ok := r.str("ip_prefix"); ok && s != "" {
			if ps := b.prefixList(r, [][]any{{"ip_prefix"}}); len(ps) == 1 {
				pp.Prefix = ps[0]
			}
		}
		b.m.PublicIPPrefixes = append(b.m.PublicIPPrefixes, pp)
	case "azurerm_nat_gateway":
		ng := &NATGateway{Meta: b.meta(r)}
		ng.SKU, _ = r.str("sku_name")
		b.nats[ng.ID.Key()] = ng
		b.m.NATGateways = append(b.m.NATGateways, ng)
	case "azurerm_firewall":
		b.firewall(r)
	case "azurerm_firewall_policy":
		fp := &FirewallPolicy{Meta: b.meta(r), Parent: b.refAt(r, "base_policy_id"), DNSProxy: b.boolDefault(r, false, "dns", 0, "proxy_enabled")}
		fp.ThreatIntel, _ = r.str("threat_intelligence_mode")
		// private_ip_ranges is the policy's SNAT private ranges
		// (ARM snat.privateRanges); unset means the default.
		if pr := b.strs(r, "private_ip_ranges"); len(pr) > 0 {
			fp.SNATPrivateRanges = pr
		}
		b.fwps[fp.ID.Key()] = fp
		b.m.FirewallPolicies = append(b.m.FirewallPolicies, fp)
	case "azurerm_firewall_policy_rule_collection_group":
		b.ruleCollectionGroup(r)
	case "azurerm_lb", "azurerm_lb_backend_address_pool", "azurerm_lb_outbound_rule", "azurerm_lb_rule", "azurerm_lb_backend_address_pool_address",
		"azurerm_network_interface_backend_address_pool_association":
		b.loadBalancer(r)
	case "azurerm_application_security_group":
		b.m.ASGs = append(b.m.ASGs, &ASG{Meta: b.meta(r)})
	case "azurerm_network_interface_application_security_group_association":
		b.nicASG(r)
	case "azurerm_private_endpoint":
		b.privateEndpoint(r)
	case "azurerm_linux_web_app", "azurerm_windows_web_app", "azurerm_linux_function_app", "azurerm_windows_function_app":
		b.webApp(r)
	case "azurerm_app_service_virtual_network_swift_connection":
		b.swiftConnection(r)
	case "azurerm_virtual_network_gateway":
		b.gateway(r)
	case "azurerm_local_network_gateway":
		b.localGateway(r)
	case "azurerm_virtual_network_gateway_connection":
		b.m.Connections = append(b.m.Connections, &Connection{Meta: b.meta(r), Type: strOr(r, "type"),
			Gateway: b.refAt(r, "virtual_network_gateway_id"), LocalGateway: b.refAt(r, "local_network_gateway_id"),
			Peer: b.refAt(r, "peer_virtual_network_gateway_id")})
	case "azurerm_cognitive_account":
		a := &AIAccount{Meta: b.meta(r), RestrictOutboundNetworkAccess: b.boolDefault(r, false, "outbound_network_access_restricted"),
			AllowedFqdnList: b.strs(r, "fqdns")}
		a.Kind, _ = r.str("kind")
		a.CustomSubDomain, _ = r.str("custom_subdomain_name")
		if v, st := r.at("public_network_access_enabled"); st == tfKnown {
			if on, _ := v.(bool); on {
				a.PublicNetworkAccess = "Enabled"
			} else {
				a.PublicNetworkAccess = "Disabled"
			}
		}
		for i := range a.AllowedFqdnList {
			a.AllowedFqdnPos = append(a.AllowedFqdnPos, r.posAt("fqdns", i))
		}
		if tags, ok := r.vals["tags"].(map[string]any); ok && len(tags) > 0 {
			a.Tags = map[string]string{}
			for k, v := range tags {
				if s, ok := v.(string); ok {
					a.Tags[k] = s
				}
			}
		}
		b.m.AIAccounts = append(b.m.AIAccounts, a)
	case "azurerm_subnet_route_table_association":
		if s := b.assocSubnet(r); s != nil {
			s.RouteTable = b.assocLink(r, s.RouteTable, "route_table_id", "routeTables", "a route table")
		}
	case "azurerm_subnet_network_security_group_association":
		if s := b.assocSubnet(r); s != nil {
			s.NSG = b.assocLink(r, s.NSG, "network_security_group_id", "networkSecurityGroups", "an NSG")
		}
	case "azurerm_subnet_nat_gateway_association":
		if s := b.assocSubnet(r); s != nil {
			s.NATGateway = b.assocLink(r, s.NATGateway, "nat_gateway_id", "natGateways", "a NAT gateway")
		}
	case "azurerm_nat_gateway_public_ip_association", "azurerm_nat_gateway_public_ip_prefix_association":
		id := b.refAt(r, "nat_gateway_id")
		if id.IsZero() {
			return
		}
		ng := b.nats[id.Key()]
		if ng == nil {
			b.p.add(r.posAt("nat_gateway_id"), r.addr, "nat_gateway_id", string(id), ErrDangling, "names a NAT gateway the input does not hold")
			return
		}
		if r.typ == "azurerm_nat_gateway_public_ip_association" {
			if p := b.refAt(r, "public_ip_address_id"); !p.IsZero() && !containsRef(ng.PublicIPs, p) {
				ng.PublicIPs = append(ng.PublicIPs, p)
			}
		} else if p := b.refAt(r, "public_ip_prefix_id"); !p.IsZero() && !containsRef(ng.PublicIPPrefixes, p) {
			ng.PublicIPPrefixes = append(ng.PublicIPPrefixes, p)
		}
	case "azurerm_network_interface_security_group_association":
		id := b.assocSource(r, "network_interface_id", "network interface")
		if id.IsZero() {
			return
		}
		n := b.nics[id.Key()]
		if n == nil {
			b.p.add(r.posAt("network_interface_id"), r.addr, "network_interface_id", string(id), ErrDangling, "names a network interface the input does not hold")
			return
		}
		n.NSG = b.assocLink(r, n.NSG, "network_security_group_id", "networkSecurityGroups", "an NSG")
	}
}

func containsRef(rs []Ref, r Ref) bool {
	return slices.ContainsFunc(rs, func(x Ref) bool { return x.Key() == r.Key() })
}

// assocSubnet returns the subnet a subnet association names.
func (b *tfBuilder) assocSubnet(r *tfRes) *Subnet {
	id := b.assocSource(r, "subnet_id", "subnet")
	if id.IsZero() {
		return nil
	}
	s := b.subnets[id.Key()]
	if s == nil {
		b.p.add(r.posAt("subnet_id"), r.addr, "subnet_id", string(id), ErrDangling, "names a subnet the input does not hold")
	}
	return s
}

// assocTarget returns what an association attaches: the association is
// what Terraform applies, so it wins over the subnet's or NIC's own
// attribute; a different known value there is a warning.
func (b *tfBuilder) assocTarget(r *tfRes, cur Ref, attr string) Ref {
	t := b.refAt(r, attr)
	if t.IsZero() {
		return cur
	}
	if !cur.IsZero() && cur.Key() != t.Key() {
		b.w.warn(r.posAt(attr), r.addr, attr, string(t), ErrConflict, "the associated resource already names %s; the association's %s is used", cur, t.Name())
	}
	return t
}

// assocSource returns the subnet or NIC an association attaches to; one
// known after apply that no reference resolves leaves the association out,
// with a warning that says what that costs.
func (b *tfBuilder) assocSource(r *tfRes, attr, kind string) Ref {
	id, why := b.refAtWhy(r, attr)
	if why != "" {
		b.w.warn(r.posAt(attr), r.addr, attr, "", ErrKnownAfterApply, "resource ID known after apply, and %s: the association is left out, so the answers for the %s it attaches to may be wrong rather than Unknown", why, kind)
	}
	return id
}

// assocLink is assocTarget for a subnet's or NIC's route table, NSG or NAT
// gateway: one known after apply that no reference resolves is a resource
// the input does not hold (an ID under collection naming the association),
// so that the simulator answers Unknown for the flows it decides, as for any
// reference outside the input, and a warning says so.
func (b *tfBuilder) assocLink(r *tfRes, cur Ref, attr, collection, kind string) Ref {
	_, why := b.refAtWhy(r, attr)
	if why == "" {
		return b.assocTarget(r, cur, attr)
	}
	return b.unknownLink(r, attr, collection, kind, why)
}

// subnetLink reads a v5 azurerm_subnet's route table or NSG: the exported
// attr when known (null or "" for none), else, known after apply, the
// resource the write-only wo's configuration expression references. With
// no such expression the association resources decide (an
// azurerm_subnet_route_table_association sets the attribute too); one that
// no reference resolves is a resource outside the input (unknownLink).
func (b *tfBuilder) subnetLink(r *tfRes, attr, wo, collection, kind string) Ref {
	v, st := r.at(attr)
	switch st {
	case tfKnown:
		s, ok := v.(string)
		if !ok {
			b.p.add(r.posAt(attr), r.addr, attr, "", ErrInvalid, "want a resource ID string")
			return ""
		}
		if s != "" && r.expr(wo) == nil && b.deleted[subnetAssocTypes[attr]+"\x00"+r.id.Key()] {
			// Computed, so a plan keeps the prior value, which the
			// association the plan deletes had set.
			return ""
		}
		return Ref(s)
	case tfAbsent:
		return ""
	}
	e := r.expr(wo)
	if e == nil {
		return ""
	}
	t, why := b.resolve(r, e)
	if t != nil && !t.id.IsZero() {
		return t.id
	}
	if t != nil {
		why = "it names " + t.addr + ", which is not a resource egress maps"
	}
	return b.unknownLink(r, wo, collection, kind, why)
}

// subnetAssocTypes are the association types that set a v5 subnet's
// exported attributes.
var subnetAssocTypes = map[string]string{
	"route_table_id":            "azurerm_subnet_route_table_association",
	"network_security_group_id": "azurerm_subnet_network_security_group_association",
}

// noteDeletedAssoc records a subnet route table or NSG association a plan
// deletes (not replaces): the subnet's exported route_table_id or
// network_security_group_id keeps, in planned_values, the prior value the
// association had set.
func (b *tfBuilder) noteDeletedAssoc(rc *tfjson.ResourceChange) {
	if rc.Type != subnetAssocTypes["route_table_id"] && rc.Type != subnetAssocTypes["network_security_group_id"] || !rc.Change.Actions.Delete() {
		return
	}
	before, _ := rc.Change.Before.(map[string]any)
	if id, _ := before["subnet_id"].(string); id != "" {
		if b.deleted == nil {
			b.deleted = map[string]bool{}
		}
		b.deleted[rc.Type+"\x00"+Ref(id).Key()] = true
	}
}

// partialPeering refuses a peering of some subnets only
// (peer_complete_virtual_networks_enabled = false with local_subnet_names
// and remote_subnet_names) or of IPv6 only (only_ipv6_peering_enabled,
// internal/services/network/virtual_network_peering_resource.go): egress
// models whole-VNet peerings, and taking one for the other would answer
// confidently for the subnets and addresses it does not connect.
func (b *tfBuilder) partialPeering(r *tfRes) {
	if v, st := r.at("peer_complete_virtual_networks_enabled"); st == tfKnown && v == false {
		b.p.add(r.posAt("peer_complete_virtual_networks_enabled"), r.addr, "peer_complete_virtual_networks_enabled", "false", ErrNotAllowed,
			"a peering of some subnets only (local_subnet_names, remote_subnet_names) is not modelled: egress peers whole VNets")
	}
	if v, st := r.at("only_ipv6_peering_enabled"); st == tfKnown && v == true {
		b.p.add(r.posAt("only_ipv6_peering_enabled"), r.addr, "only_ipv6_peering_enabled", "true", ErrNotAllowed,
			"an IPv6-only peering is not modelled: egress peers every address family")
	}
}

// unknownLink is the ID of a resource outside the input that stands for a
// link known after apply that no reference resolves (why), with a warning.
func (b *tfBuilder) unknownLink(r *tfRes, attr, collection, kind, why string) Ref {
	sub := b.sub
	if sub == "" {
		sub = arm.TemplateSubscription
	}
	id := Ref("/subscriptions/" + sub + "/resourceGroups/" + arm.TemplateResourceGroup + "/providers/Microsoft.Network/" + collection + "/" +
		strings.ReplaceAll("(known after apply: "+r.addr+" "+attr+")", "/", "_"))
	b.w.warn(r.posAt(attr), r.addr, attr, "", ErrKnownAfterApply, "resource ID known after apply, and %s: taken as %s the input does not hold, so the answers that depend on it are Unknown", why, kind)
	return id
}

// list returns the length of the list (or set) attribute attr.
func (b *tfBuilder) list(r *tfRes, path ...any) []struct{} {
	v, _ := r.at(path...)
	l, _ := v.([]any)
	return make([]struct{}, len(l))
}

func (b *tfBuilder) inlineSubnet(r *tfRes, vn *VNet, i int) {
	name, _ := r.str("subnet", i, "name")
	id := Ref("")
	if s, ok := r.str("subnet", i, "id"); ok && s != "" {
		id = Ref(s)
	} else {
		id = Ref(string(vn.ID) + "/subnets/" + name)
	}
	s := &Subnet{Meta: Meta{ID: id, Name: name, Location: vn.Location, Pos: r.posAt("subnet", i)}, VNet: vn}
	b.subnetFields(r, s, []any{"subnet", i})
	// v3 address_prefix, v4 address_prefixes.
	if p := b.prefixList(r, [][]any{{"subnet", i, "address_prefix"}}); len(p) > 0 && len(s.Prefixes) == 0 {
		s.Prefixes = p
	}
	// An inline subnet block has security_group and no route table
	// attribute (v3.117.1, v4.81.0 and v5.2.0 alike): its route table
	// comes from an azurerm_subnet_route_table_association.
	if g := b.refAt(r, "subnet", i, "security_group"); !g.IsZero() {
		s.NSG = g
	}
	b.addSubnet(vn, s)
}

// addSubnet adds a subnet to its VNet; a subnet declared inline and on its
// own (a VNet's computed subnet attribute lists the azurerm_subnet
// resources too) is kept once, the azurerm_subnet resource replacing the
// inline entry in place.
func (b *tfBuilder) addSubnet(vn *VNet, s *Subnet) {
	if old := b.subnets[s.ID.Key()]; old != nil {
		if i := slices.Index(vn.Subnets, old); i >= 0 {
			if s.NSG.IsZero() {
				s.NSG = old.NSG
			}
			if s.RouteTable.IsZero() {
				s.RouteTable = old.RouteTable
			}
			if s.NATGateway.IsZero() {
				s.NATGateway = old.NATGateway
			}
			vn.Subnets[i] = s
			b.subnets[s.ID.Key()] = s
			return
		}
	}
	b.subnets[s.ID.Key()] = s
	vn.Subnets = append(vn.Subnets, s)
}

// subnetFields reads the attributes azurerm_subnet and the VNet's inline
// subnet blocks share, under prefix.
func (b *tfBuilder) subnetFields(r *tfRes, s *Subnet, prefix []any) {
	p := func(k ...any) []any { return append(slices.Clone(prefix), k...) }
	s.Prefixes = b.prefixes(r, p("address_prefixes")...)
	if v, st := r.at(p("default_outbound_access_enabled")...); st == tfKnown {
		x, ok := v.(bool)
		if !ok {
			b.p.add(r.posAt(p("default_outbound_access_enabled")...), r.addr, pathString(p("default_outbound_access_enabled")), "", ErrInvalid, "want true or false")
		}
		s.DefaultOutboundAccess = &x
	}
	for i := range b.list(r, p("delegation")...) {
		for j := range b.list(r, p("delegation", i, "service_delegation")...) {
			if n, ok := r.str(p("delegation", i, "service_delegation", j, "name")...); ok && n != "" {
				s.Delegations = append(s.Delegations, n)
			}
		}
	}
	// v3 and v4 service_endpoints (a set of service names); v5
	// service_endpoint blocks with service and network_identifier.
	for _, se := range b.strs(r, p("service_endpoints")...) {
		s.ServiceEndpoints = append(s.ServiceEndpoints, ServiceEndpoint{Service: se})
	}
	for i := range b.list(r, p("service_endpoint")...) {
		path := p("service_endpoint", i, "service")
		switch v, st := r.at(path...); st {
		case tfKnown:
			se, ok := v.(string)
			if !ok || se == "" {
				b.p.add(r.posAt(path...), r.addr, pathString(path), "", ErrInvalid, "want a service name such as Microsoft.Storage")
				continue
			}
			s.ServiceEndpoints = append(s.ServiceEndpoints, ServiceEndpoint{Service: se})
		case tfUnknown:
			b.unknownWarn(r, path, "service endpoint known after apply")
		}
	}
	// v4 private_endpoint_network_policies ("Disabled", "Enabled", ...);
	// v3 private_endpoint_network_policies_enabled.
	if pol, ok := r.str(p("private_endpoint_network_policies")...); ok && pol != "" {
		x, err := ParsePrivateEndpointPolicy(pol)
		if err != nil {
			b.p.add(r.posAt(p("private_endpoint_network_policies")...), r.addr, pathString(p("private_endpoint_network_policies")), pol, ErrInvalid, "want Disabled, Enabled, NetworkSecurityGroupEnabled or RouteTableEnabled")
		}
		s.PrivateEndpointPolicies = x
	} else if b.boolDefault(r, false, p("private_endpoint_network_policies_enabled")...) {
		s.PrivateEndpointPolicies = PEPoliciesEnabled
	}
}

func (b *tfBuilder) addTFRoute(rt *RouteTable, r *tfRes, prefix []any) {
	p := func(k string) []any { return append(slices.Clone(prefix), k) }
	ur := route.UserRoute{}
	ur.Name, _ = r.str(p("name")...)
	ur.AddressPrefix, _ = r.str(p("address_prefix")...)
	ur.NextHopType, _ = r.str(p("next_hop_type")...)
	hop := p("next_hop_in_ip_address")
	if _, st := r.at(hop...); st == tfUnknown {
		// Known after apply. The address of a firewall the plan creates
		// is the firewall's, once complete has inferred it (Azure assigns
		// the first free address of AzureFirewallSubnet); any other stays
		// unknown, and complete says which answers that makes Unknown.
		ur.NextHopIPAddress = knownAfterApply
		h := firewallHop{table: rt, route: ur.Name, prefix: ur.AddressPrefix, pos: r.posAt(hop...), resource: r.addr, field: pathString(hop)}
		t, why := b.resolve(r, r.expr(hop...))
		switch {
		case t != nil && t.typ == "azurerm_firewall":
			h.firewall, h.fwAddr = t.id, t.addr
		case t != nil:
			h.why = "it comes from " + t.addr
		default:
			h.why = why
		}
		b.m.firewallHops = append(b.m.firewallHops, h)
	} else {
		ur.NextHopIPAddress, _ = r.str(hop...)
	}
	pos := r.posAt(prefix...)
	if prefix == nil {
		pos = r.pos
	}
	// A route declared inline and as azurerm_route (the table's computed
	// route attribute lists both) is kept once: the azurerm_route.
	for i, old := range rt.Routes {
		if strings.EqualFold(old.Name, ur.Name) {
			rt.Routes[i], rt.RoutePos[i] = ur, pos
			return
		}
	}
	rt.Routes = append(rt.Routes, ur)
	rt.RoutePos = append(rt.RoutePos, pos)
}

// tfRuleSides are the attributes of an NSG rule that a plan may know only
// after apply and that can be widened to "*" (any value): each group is
// one side of the rule.
var tfRuleSides = [][]string{
	{"source_address_prefix", "source_address_prefixes", "source_application_security_group_ids"},
	{"destination_address_prefix", "destination_address_prefixes", "destination_application_security_group_ids"},
	{"source_port_range", "source_port_ranges"},
	{"destination_port_range", "destination_port_ranges"},
	{"protocol"},
	{"access"},
}

// unknownAt reports whether the value at path, or an element of it, is
// known after apply.
func (r *tfRes) unknownAt(path []any) bool {
	v, st := r.at(path...)
	if st == tfUnknown {
		return true
	}
	l, _ := v.([]any)
	for i, e := range l {
		if e == nil && r.unknownState(append(slices.Clone(path), i)) == tfUnknown {
			return true
		}
	}
	return false
}

func (b *tfBuilder) addTFRule(g *NSG, r *tfRes, prefix []any) {
	p := func(k string) []any { return append(slices.Clone(prefix), k) }
	s := func(k string) string { v, _ := r.str(p(k)...); return v }
	// A value known after apply widens its side of the rule to "*": the
	// rule then matches every flow the real one can, a flow it does not
	// match is decided as Azure will, and the simulator answers Unknown
	// where the rule decides (NSG.KnownAfterApply).
	var unknown []string
	wide := make([]bool, len(tfRuleSides))
	for i, side := range tfRuleSides {
		for _, attr := range side {
			if r.unknownAt(p(attr)) {
				unknown, wide[i] = append(unknown, attr), true
			}
		}
	}
	strs := func(side int, attr string) []string {
		if wide[side] {
			return nil
		}
		return b.strs(r, p(attr)...)
	}
	one := func(side int, attr string) string {
		if wide[side] {
			return "*"
		}
		return s(attr)
	}
	rule := nsg.Rule{Name: s("name"), Description: s("description"),
		SourceAddressPrefix: one(0, "source_address_prefix"), SourceAddressPrefixes: strs(0, "source_address_prefixes"),
		SourcePortRange: one(2, "source_port_range"), SourcePortRanges: strs(2, "source_port_ranges"),
		DestinationAddressPrefix: one(1, "destination_address_prefix"), DestinationAddressPrefixes: strs(1, "destination_address_prefixes"),
		DestinationPortRange: one(3, "destination_port_range"), DestinationPortRanges: strs(3, "destination_port_ranges"),
		SourceApplicationSecurityGroups:      strs(0, "source_application_security_group_ids"),
		DestinationApplicationSecurityGroups: strs(1, "destination_application_security_group_ids"),
	}
	if len(unknown) > 0 {
		why := strings.Join(unknown, ", ") + " known after apply (Terraform plan " + r.addr + ")"
		if g.KnownAfterApply == nil {
			g.KnownAfterApply = map[string]string{}
		}
		g.KnownAfterApply[strings.ToLower(rule.Name)] = why
		b.w.warn(r.posAt(prefix...), r.addr, pathString(prefix), rule.Name, ErrKnownAfterApply,
			"NSG rule %q: %s: taken as matching any value there, so the answers it decides are Unknown", rule.Name, strings.Join(unknown, ", "))
	}
	// A priority or direction known after apply is placed once every rule
	// of the NSG is read (placeTFRules).
	prioUnknown, dirUnknown := r.unknownAt(p("priority")), r.unknownAt(p("direction"))
	if v, st := r.at(p("priority")...); st == tfKnown {
		f, ok := v.(float64)
		if !ok || f != float64(int(f)) {
			b.p.add(r.posAt(p("priority")...), r.addr, pathString(p("priority")), "", ErrInvalid, "want an integer")
		}
		rule.Priority = int(f)
	}
	for _, f := range []struct {
		key string
		dst interface{ UnmarshalText([]byte) error }
	}{{"direction", &rule.Direction}, {"access", &rule.Access}, {"protocol", &rule.Protocol}} {
		v := s(f.key)
		switch {
		case f.key == "protocol" && wide[4]:
			v = "*"
		case f.key == "access" && wide[5]:
			v = "Deny" // either: where the rule matches, the answer is Unknown
		case f.key == "direction" && dirUnknown:
			v = "Outbound" // and Inbound too (placeTFRules)
		}
		if err := f.dst.UnmarshalText([]byte(v)); err != nil {
			b.p.add(r.posAt(p(f.key)...), r.addr, pathString(p(f.key)), s(f.key), ErrInvalid, "%v", err)
		}
	}
	pos := r.posAt(prefix...)
	if prefix == nil {
		pos = r.pos
	}
	if len(unknown) == 0 {
		delete(g.KnownAfterApply, strings.ToLower(rule.Name)) // an azurerm_network_security_rule replacing the inline one
	}
	b.pendRule(g, r, prefix, rule.Name, prioUnknown, dirUnknown, wide[5], pos)
	for i, old := range g.Rules {
		if strings.EqualFold(old.Name, rule.Name) {
			g.Rules[i], g.RulePos[i] = rule, pos
			return
		}
	}
	g.Rules = append(g.Rules, rule)
	g.RulePos = append(g.RulePos, pos)
}

func (b *tfBuilder) nic(r *tfRes) {
	n := &NIC{Meta: b.meta(r), VirtualMachine: Ref(strOr(r, "virtual_machine_id"))}
	// v4 ip_forwarding_enabled, v3 enable_ip_forwarding.
	n.EnableIPForwarding = b.boolDefault(r, false, "ip_forwarding_enabled") || b.boolDefault(r, false, "enable_ip_forwarding")
	if mac, ok := r.str("mac_address"); ok && mac != "" {
		m, err := NormalizeMAC(mac)
		if err != nil {
			b.p.add(r.posAt("mac_address"), r.addr, "mac_address", mac, ErrInvalid, "want 12 hex digits (00-0D-3A-F8-78-56)")
		}
		n.MAC = m
	}
	for i := range b.list(r, "ip_configuration") {
		name, _ := r.str("ip_configuration", i, "name")
		c := &IPConfig{Meta: Meta{ID: Ref(string(n.ID) + "/ipConfigurations/" + name), Name: name, Location: n.Location, Pos: r.posAt("ip_configuration", i)}, NIC: n,
			Primary: b.boolDefault(r, false, "ip_configuration", i, "primary"), Subnet: b.refAt(r, "ip_configuration", i, "subnet_id"),
			PublicIP: b.refAt(r, "ip_configuration", i, "public_ip_address_id")}
		if _, st := r.at("ip_configuration", i, "private_ip_address"); st == tfUnknown {
			b.unknownWarn(r, []any{"ip_configuration", i, "private_ip_address"}, "private IP address known after apply (dynamic allocation)")
			c.PrivateIPUnknown = "private IP address known after apply (" + r.addr + " " + pathString([]any{"ip_configuration", i, "private_ip_address"}) + ", Terraform plan): the answers that depend on it are unknown"
		} else if s, _ := r.str("ip_configuration", i, "private_ip_address"); s != "" {
			c.PrivateIP = b.addr(r, "ip_configuration", i, "private_ip_address")
		}
		n.IPConfigs = append(n.IPConfigs, c)
	}
	b.nics[n.ID.Key()] = n
	b.m.NICs = append(b.m.NICs, n)
}

func strOr(r *tfRes, path ...any) string { s, _ := r.str(path...); return s }

func (b *tfBuilder) firewall(r *tfRes) {
	fw := &Firewall{Meta: b.meta(r), Policy: b.refAt(r, "firewall_policy_id")}
	fw.SKU, _ = r.str("sku_name")
	fw.Tier, _ = r.str("sku_tier")
	fw.ThreatIntel, _ = r.str("threat_intel_mode")
	if _, st := r.at("virtual_hub", 0, "private_ip_address"); st == tfKnown {
		fw.PrivateIP = b.addr(r, "virtual_hub", 0, "private_ip_address")
	}
	for i := range b.list(r, "ip_configuration") {
		if _, st := r.at("ip_configuration", i, "private_ip_address"); st == tfUnknown {
			b.unknownWarn(r, []any{"ip_configuration", i, "private_ip_address"}, "the firewall's private IP address is known after apply")
		} else if s, _ := r.str("ip_configuration", i, "private_ip_address"); s != "" && !fw.PrivateIP.IsValid() {
			fw.PrivateIP = b.addr(r, "ip_configuration", i, "private_ip_address")
		}
		if sub := b.refAt(r, "ip_configuration", i, "subnet_id"); !sub.IsZero() {
			fw.VNet = Ref(vnetOfSubnet(string(sub)))
		}
		if pip := b.refAt(r, "ip_configuration", i, "public_ip_address_id"); !pip.IsZero() {
			fw.PublicIPs = append(fw.PublicIPs, pip)
		}
	}
	// dns_proxy_enabled and private_ip_ranges are a classic firewall's
	// (internal/services/firewall/firewall_resource.go); with a policy the
	// policy's dns and private_ip_ranges apply, and Azure ignores the
	// firewall's (https://learn.microsoft.com/azure/firewall/snat-private-range).
	if fw.Policy.IsZero() {
		fw.DNSProxy = b.boolDefault(r, false, "dns_proxy_enabled")
		if pr := b.strs(r, "private_ip_ranges"); len(pr) > 0 {
			fw.SNATPrivateRanges = pr
		}
	}
	if mc := b.list(r, "management_ip_configuration"); len(mc) > 0 {
		fw.ManagementIP = b.refAt(r, "management_ip_configuration", 0, "public_ip_address_id")
	}
	b.m.Firewalls = append(b.m.Firewalls, fw)
}

// Scalar readers: a value of the wrong type is a problem naming the
// attribute; an unknown one is left out.

func (b *tfBuilder) boolDefault(r *tfRes, def bool, path ...any) bool {
	v, st := r.at(path...)
	if st != tfKnown {
		return def
	}
	x, ok := v.(bool)
	if !ok {
		b.p.add(r.posAt(path...), r.addr, pathString(path), "", ErrInvalid, "want true or false")
		return def
	}
	return x
}

func (b *tfBuilder) strs(r *tfRes, path ...any) []string { return b.strsWarn(r, true, path...) }

// strsWarn is strs, warning of values known after apply only if warn (the
// caller then says what they cost).
func (b *tfBuilder) strsWarn(r *tfRes, warn bool, path ...any) []string {
	v, st := r.at(path...)
	if st == tfUnknown && warn {
		b.unknownWarn(r, path, "list known after apply")
	}
	l, ok := v.([]any)
	if st == tfKnown && !ok {
		b.p.add(r.posAt(path...), r.addr, pathString(path), "", ErrInvalid, "want a list of strings")
		return nil
	}
	var out []string
	for i, e := range l {
		s, ok := e.(string)
		if !ok {
			if e == nil && r.unknownState(append(slices.Clone(path), i)) == tfUnknown {
				if warn {
					b.unknownWarn(r, append(slices.Clone(path), i), "list element known after apply")
				}
				continue
			}
			b.p.add(r.posAt(append(slices.Clone(path), i)...), r.addr, pathString(append(slices.Clone(path), i)), "", ErrInvalid, "want a string")
			continue
		}
		out = append(out, s)
	}
	return out
}

func (b *tfBuilder) addr(r *tfRes, path ...any) netip.Addr {
	s, ok := r.str(path...)
	if !ok {
		b.p.add(r.posAt(path...), r.addr, pathString(path), "", ErrInvalid, "want an IP address string")
		return netip.Addr{}
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		b.p.add(r.posAt(path...), r.addr, pathString(path), s, ErrInvalid, "not an IP address")
		return netip.Addr{}
	}
	if msg := errtext.MappedAddr(a); msg != "" {
		b.p.add(r.posAt(path...), r.addr, pathString(path), s, ErrInvalid, "%s", msg)
		return netip.Addr{}
	}
	return a
}

func (b *tfBuilder) addrs(r *tfRes, path ...any) []netip.Addr {
	b.strs(r, path...) // for its problems and warnings
	var out []netip.Addr
	for i := range b.list(r, path...) {
		if _, ok := r.str(append(slices.Clone(path), i)...); !ok {
			continue // reported by strs
		}
		if a := b.addr(r, append(slices.Clone(path), i)...); a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

func (b *tfBuilder) prefixes(r *tfRes, path ...any) []netip.Prefix {
	b.strs(r, path...) // for its problems and warnings
	var paths [][]any
	for i := range b.list(r, path...) {
		paths = append(paths, append(slices.Clone(path), i)) // prefixList skips what is not a string
	}
	return b.prefixList(r, paths)
}

func (b *tfBuilder) prefixList(r *tfRes, paths [][]any) []netip.Prefix {
	var out []netip.Prefix
	for _, path := range paths {
		s, ok := r.str(path...)
		if !ok {
			continue
		}
		p, err := netip.ParsePrefix(s)
		field := pathString(path)
		switch {
		case err != nil:
			b.p.add(r.posAt(path...), r.addr, field, s, ErrInvalid, "not a CIDR prefix")
		case p.Masked() != p:
			b.p.add(r.posAt(path...), r.addr, field, s, ErrInvalid, "host bits set; did you mean %v?", p.Masked())
		case errtext.MappedPrefix(p) != "":
			b.p.add(r.posAt(path...), r.addr, field, s, ErrInvalid, "%s", errtext.MappedPrefix(p))
		default:
			out = append(out, p)
		}
	}
	return out
}

// ruleCollectionGroup maps an azurerm_firewall_policy_rule_collection_group
// to its policy's rule collection group: application_rule_collection and
// network_rule_collection are filter collections, nat_rule_collection NAT
// collections, with the ARM rule types and protocol spellings.
func (b *tfBuilder) ruleCollectionGroup(r *tfRes) {
	pid := b.refAt(r, "firewall_policy_id")
	if pid.IsZero() {
		return
	}
	fp := b.fwps[pid.Key()]
	if fp == nil {
		b.p.add(r.posAt("firewall_policy_id"), r.addr, "firewall_policy_id", string(pid), ErrDangling, "names a firewall policy the input does not hold")
		return
	}
	name, _ := r.str("name")
	g := &RuleCollectionGroup{Meta: Meta{ID: Ref(string(fp.ID) + "/ruleCollectionGroups/" + name), Name: name, Pos: r.pos}}
	g.Priority = b.integer(r, "priority")
	for _, kind := range []struct{ block, ruleType, collection string }{
		{"application_rule_collection", "ApplicationRule", "FirewallPolicyFilterRuleCollection"},
		{"network_rule_collection", "NetworkRule", "FirewallPolicyFilterRuleCollection"},
		{"nat_rule_collection", "NatRule", "FirewallPolicyNatRuleCollection"},
	} {
		for i := range b.list(r, kind.block) {
			c := []any{kind.block, i}
			p := func(k ...any) []any { return append(slices.Clone(c), k...) }
			rc := &RuleCollection{Name: strOr(r, p("name")...), Priority: b.integer(r, p("priority")...), Kind: kind.collection,
				Action: strOr(r, p("action")...), Pos: r.posAt(c...)}
			for j := range b.list(r, p("rule")...) {
				q := func(k ...any) []any { return append(p("rule", j), k...) }
				net := kind.ruleType == "NetworkRule" // its unknown values are widened below
				app := kind.ruleType == "ApplicationRule"
				fr := &FirewallRule{Name: strOr(r, q("name")...), Type: kind.ruleType, SourceAddresses: b.strsWarn(r, false, q("source_addresses")...),
					SourceIPGroups: refList(b.strsWarn(r, false, q("source_ip_groups")...)), DestinationAddresses: b.strsWarn(r, !net && !app, q("destination_addresses")...),
					DestinationIPGroups: refList(b.strsWarn(r, !net, q("destination_ip_groups")...)), DestinationFqdns: b.strsWarn(r, !net && !app, q("destination_fqdns")...),
					DestinationPorts: b.strsWarn(r, false, q("destination_ports")...), TargetURLs: b.strsWarn(r, !app, q("destination_urls")...),
					FqdnTags: b.strsWarn(r, !app, q("destination_fqdn_tags")...), WebCategories: b.strsWarn(r, !app, q("web_categories")...),
					TerminateTLS: b.boolDefault(r, false, q("terminate_tls")...), Pos: r.posAt(q()...)}
				switch kind.ruleType {
				case "ApplicationRule":
					// destination_fqdns of an application rule are its
					// target FQDNs (ARM targetFqdns).
					fr.TargetFqdns, fr.DestinationFqdns = fr.DestinationFqdns, nil
					// Targets or sources known after apply: the known ones
					// kept, any other possible (firewall.ApplicationRule's
					// TargetsUnknown, SourcesUnknown), marked for convertPolicy.
					const rule = "application rule"
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any name beside the known targets", "destination_fqdns", "destination_urls", "destination_fqdn_tags", "web_categories") {
						fr.TargetFqdns = append(fr.TargetFqdns, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any source beside the known ones", "source_addresses", "source_ip_groups") {
						fr.SourceAddresses = append(fr.SourceAddresses, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any destination beside the known ones", "destination_addresses") {
						fr.DestinationAddresses = append(fr.DestinationAddresses, knownAfterApply)
					}
					if unk := b.appProtocolsUnknown(r, q("protocols")); unk != "" {
						// Widened to every protocol and port of the
						// application rules, and flagged: the firewall
						// never lets it decide (firewall.ApplicationRule.ProtocolsUnknown).
						fr.Protocols = []string{knownAfterApply}
						b.w.warn(r.posAt(q()...), r.addr, pathString(q("protocols")), fr.Name, ErrKnownAfterApply,
							"application rule %q: %s known after apply: taken as every application protocol (Http, Https, Mssql) on every port, so the verdicts it could change are Unknown", fr.Name, unk)
						break
					}
					for k := range b.list(r, q("protocols")...) {
						fr.Protocols = append(fr.Protocols, strOr(r, q("protocols", k, "type")...)+":"+strconv.Itoa(b.integer(r, q("protocols", k, "port")...)))
					}
				case "NatRule":
					if a := strOr(r, q("destination_address")...); a != "" {
						fr.DestinationAddresses = append(fr.DestinationAddresses, a)
					}
					fr.TranslatedAddress, fr.TranslatedFqdn = strOr(r, q("translated_address")...), strOr(r, q("translated_fqdn")...)
					if _, st := r.at(q("translated_port")...); st == tfKnown {
						fr.TranslatedPort = strconv.Itoa(b.integer(r, q("translated_port")...))
					}
					fr.Protocols = b.strsWarn(r, false, q("protocols")...)
					// Values known after apply (the firewall's new public
					// IP, a backend's dynamic address): the known ones kept,
					// any other possible, the translation unknown
					// (firewall.NatRule's ...Unknown), marked for convertPolicy.
					const rule = "DNAT rule"
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any firewall address beside the known one", "destination_address") {
						fr.DestinationAddresses = append(fr.DestinationAddresses, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any source beside the known ones", "source_addresses", "source_ip_groups") {
						fr.SourceAddresses = append(fr.SourceAddresses, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any port beside the known ones", "destination_ports") {
						fr.DestinationPorts = append(fr.DestinationPorts, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly TCP or UDP beside the known ones", "protocols") {
						fr.Protocols = append(fr.Protocols, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "a translation to an unknown address and port", "translated_address", "translated_fqdn", "translated_port") {
						fr.TranslatedAddress, fr.TranslatedFqdn, fr.TranslatedPort = knownAfterApply, "", ""
					}
				default:
					fr.Protocols = b.strsWarn(r, false, q("protocols")...)
					// Values known after apply (a new public IP's address,
					// a new IP group, a variable's ports): the known ones
					// kept, any other possible (firewall.NetworkRule's
					// DestinationsUnknown, SourcesUnknown, PortsUnknown,
					// ProtocolsUnknown), marked knownAfterApply for
					// convertPolicy.
					const rule = "network rule"
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any destination beside the known ones", "destination_addresses", "destination_ip_groups", "destination_fqdns") {
						fr.DestinationAddresses = append(fr.DestinationAddresses, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any source beside the known ones", "source_addresses", "source_ip_groups") {
						fr.SourceAddresses = append(fr.SourceAddresses, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any port beside the known ones", "destination_ports") {
						fr.DestinationPorts = append(fr.DestinationPorts, knownAfterApply)
					}
					if b.ruleUnknown(r, q(), rule, fr.Name, "possibly any protocol beside the known ones", "protocols") {
						fr.Protocols = append(fr.Protocols, knownAfterApply)
					}
				}
				rc.Rules = append(rc.Rules, fr)
			}
			g.Collections = append(g.Collections, rc)
		}
	}
	fp.RuleCollectionGroups = append(fp.RuleCollectionGroups, g)
}

// appProtocolsUnknown names what of an application rule's protocols
// blocks (at path) a plan knows only after apply: the list, or a block's
// type or port; "" when all is known.
func (b *tfBuilder) appProtocolsUnknown(r *tfRes, path []any) string {
	if r.unknownAt(path) {
		return pathString(path)
	}
	for k := range b.list(r, path...) {
		for _, attr := range []string{"type", "port"} {
			if p := append(slices.Clone(path), k, attr); r.unknownAt(p) {
				return pathString(p)
			}
		}
	}
	return ""
}

func refList(ss []string) []Ref {
	var out []Ref
	for _, s := range ss {
		out = append(out, Ref(s))
	}
	return out
}

// integer reads a whole number.
func (b *tfBuilder) integer(r *tfRes, path ...any) int {
	v, st := r.at(path...)
	if st != tfKnown {
		return 0
	}
	f, ok := v.(float64)
	if !ok || f != float64(int(f)) {
		b.p.add(r.posAt(path...), r.addr, pathString(path), "", ErrInvalid, "want an integer")
		return 0
	}
	return int(f)
}

// ruleUnknown reports whether a plan knows one of the attributes attrs of
// the firewall rule at path q (or an element of them) only after apply,
// and if so warns once, naming the rule and what its values are taken as.
func (b *tfBuilder) ruleUnknown(r *tfRes, q []any, kind, name, taken string, attrs ...string) bool {
	var unk []string
	for _, attr := range attrs {
		if p := append(slices.Clone(q), attr); r.unknownAt(p) {
			unk = append(unk, pathString(p))
		}
	}
	if len(unk) == 0 {
		return false
	}
	b.w.warn(r.posAt(q...), r.addr, unk[0], name, ErrKnownAfterApply,
		"%s %q: %s known after apply: taken as %s, so the verdicts it could change are Unknown", kind, name, strings.Join(unk, ", "), taken)
	return true
}

// knownAfterApply is what the model holds for a route's next hop IP
// address that a plan knows only after apply, in Terraform's own words
// ([NextHopKnownAfterApply]). It is no address: the route tables compile
// it as a placeholder ([CompilableRoutes]), so that the route keeps its
// prefix and the flows it does not route are answered, and the simulator
// answers Unknown for the flows it routes, naming the route.
const knownAfterApply = "(known after apply)"

// Placeholder next hops, of no appliance: RFC 7600's IPv4 dummy address,
// and an address of RFC 6666's discard-only IPv6 prefix.
var (
	placeholderHop4 = "192.0.0.8"
	placeholderHop6 = "100::"
)

// NextHopKnownAfterApply reports whether the next hop IP address of a user
// route is one a Terraform plan knows only after apply: the loader's
// warning (wrapping [ErrKnownAfterApply]) says what it depends on, and the
// answers for the flows the route decides are Unknown. The route is not
// one Azure would reject.
func NextHopKnownAfterApply(r route.UserRoute) bool { return r.NextHopIPAddress == knownAfterApply }

// CompilableRoutes returns routes as package route compiles them: each
// next hop IP address known after apply ([NextHopKnownAfterApply]) is a
// placeholder address of the prefix's family (IPv4 for a service tag),
// which no NIC, firewall or load balancer holds. The route table is then
// the one Azure will have but for that address: every route keeps its
// prefix and so the destinations it takes. Callers that answer for a flow
// must answer Unknown where such a route decides (the simulator does,
// naming it). routes is not changed; without such a route it is returned
// as it is.
func CompilableRoutes(routes []route.UserRoute) []route.UserRoute {
	if !slices.ContainsFunc(routes, NextHopKnownAfterApply) {
		return routes
	}
	out := slices.Clone(routes)
	for i := range out {
		if NextHopKnownAfterApply(out[i]) {
			out[i].NextHopIPAddress = placeholderHop4
			if p, err := netip.ParsePrefix(out[i].AddressPrefix); err == nil && p.Addr().Is6() {
				out[i].NextHopIPAddress = placeholderHop6
			}
		}
	}
	return out
}

// IsKnownAfterApply reports whether err, a problem of [Model.Check] (one of
// [Validation.Rejected], or of a [*Problems] that [Load] returns with
// RefuseRejected), is there only because a Terraform plan knows a value
// only after apply: it names the value "(known after apply)". Such a value
// is not one Azure would reject. A route's next hop known after apply is
// no longer such a problem ([CompilableRoutes]); the loader's warnings,
// which wrap [ErrKnownAfterApply], name what else a plan leaves unknown.
func IsKnownAfterApply(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Value == knownAfterApply
}

// firewallHop is a route whose next hop IP a plan knows only after apply,
// left for complete (which sees every input): with firewall set, its
// configuration names an Azure Firewall's private address
// (azurerm_firewall.hub.ip_configuration[0].private_ip_address); else why
// says what the address depends on.
//
// With input set, the entry is instead the record of a Terraform input, for
// complete's check that no two inputs are of one configuration.
type firewallHop struct {
	input    *tfInput
	table    *RouteTable
	route    string
	prefix   string // the route's address prefix
	firewall Ref
	fwAddr   string // the firewall's Terraform address
	why      string // without a firewall: what the address comes from, or why the configuration does not say
	pos      Pos
	resource string // the route's (or its table's) Terraform address
	field    string
}

// applyFirewallHops gives the routes of firewallHops their firewall's
// private address, known or inferred ([Firewall.PrivateIPAssumed]), with a
// warning saying so. A route whose address stays unknown keeps
// knownAfterApply, with a warning wrapping [ErrKnownAfterApply] that names
// the subnets whose answers become Unknown.
func (m *Model) applyFirewallHops(p *problems, w *warnList) {
	var inputs []*tfInput
	for _, h := range m.firewallHops {
		if h.input != nil {
			inputs = append(inputs, h.input)
		}
	}
	checkTFInputs(p, inputs)
	for _, h := range m.firewallHops {
		if h.input != nil {
			continue
		}
		why := h.why
		if !h.firewall.IsZero() {
			fw, ok := lookup[*Firewall](m, h.firewall)
			if ok && fw.PrivateIP.IsValid() {
				m.setHop(h, fw.PrivateIP.String())
				how := "known"
				if fw.PrivateIPAssumed != "" {
					how = "inferred: " + fw.PrivateIPAssumed
				}
				w.warn(h.pos, h.resource, h.field, fw.PrivateIP.String(), ErrKnownAfterApply, "known after apply: taken as the private address of %s, %v (%s)", h.fwAddr, fw.PrivateIP, how)
				continue
			}
			why = "it is the private address of " + h.fwAddr + ", and the input does not give it"
		}
		w.warn(h.pos, h.resource, h.field, "", ErrKnownAfterApply, "the next hop IP address of route %q is known after apply (%s): the answers for the flows it routes (%s of route table %s) from %s are Unknown",
			h.route, why, h.prefix, h.table.Name, m.subnetsUsing(h.table))
	}
	m.firewallHops = nil
}

// tfInput is what complete needs to know of a Terraform input: its
// managed resources' known IDs by address.
type tfInput struct {
	file  string
	plan  bool
	ids   map[string]string // address → id
	order []string          // the addresses of ids in document order
}

// checkTFInputs refuses two Terraform inputs of one configuration: a state
// and a plan of it (the plan's planned_values already hold every resource
// after apply, the unchanged ones too), or the same state or plan twice.
// Loaded together, a resource both hold would be merged, and one whose ID
// is known only after apply would be doubled. Two inputs are of one
// configuration when they hold a managed resource of the same address and
// the same known ID; the states and plans of separate configurations (a
// hub's state, a spoke's plan) share none, and mix like any inputs.
func checkTFInputs(p *problems, inputs []*tfInput) {
	for j, b := range inputs {
		for _, a := range inputs[:j] {
			i := slices.IndexFunc(b.order, func(addr string) bool { return strings.EqualFold(a.ids[addr], b.ids[addr]) })
			if i < 0 {
				continue
			}
			addr := b.order[i]
			what := "two Terraform states"
			switch {
			case a.plan && b.plan:
				what = "two Terraform plans"
			case a.plan != b.plan:
				what = "a Terraform state and a plan"
			}
			detail := fmt.Sprintf("%s and %s are %s of one configuration (both hold %s, %s): loaded together, their resources would be merged or doubled", a.file, b.file, what, addr, b.ids[addr])
			if a.plan != b.plan {
				state, plan := a.file, b.file
				if a.plan {
					state, plan = plan, state
				}
				detail += fmt.Sprintf("; to see what the plan changes, compare them: egress diff --base %s --with %s", state, plan)
			} else {
				detail += "; load one of them"
			}
			p.add(Pos{File: b.file}, addr, "", "", ErrDuplicate, "%s", detail)
			break
		}
	}
}

// setHop gives h's route the address a, where it is still unknown.
func (m *Model) setHop(h firewallHop, a string) {
	for i := range h.table.Routes {
		if strings.EqualFold(h.table.Routes[i].Name, h.route) && h.table.Routes[i].NextHopIPAddress == knownAfterApply {
			h.table.Routes[i].NextHopIPAddress = a
		}
	}
}

// subnetsUsing names the subnets whose route table is rt, for a warning.
func (m *Model) subnetsUsing(rt *RouteTable) string {
	var names []string
	for _, v := range m.VNets {
		for _, s := range v.Subnets {
			if !s.RouteTable.IsZero() && s.RouteTable.Key() == rt.ID.Key() {
				names = append(names, v.Name+"/"+s.Name)
			}
		}
	}
	switch {
	case len(names) == 0:
		return "the subnets that use it (none in the input)"
	case len(names) == 1:
		return "subnet " + names[0]
	case len(names) > 10:
		return fmt.Sprintf("subnets %s and %d more", strings.Join(names[:10], ", "), len(names)-10)
	}
	return "subnets " + strings.Join(names, ", ")
}
