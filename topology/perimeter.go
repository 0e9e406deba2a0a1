package topology

import (
	"fmt"
	"slices"
	"strings"

	"github.com/egresslab/egress/perimeter"
	"github.com/egresslab/egress/topology/arm"
)

// Resource types of network security perimeters
// (https://learn.microsoft.com/azure/templates/microsoft.network/networksecurityperimeters).
const (
	tNSP        = "Microsoft.Network/networkSecurityPerimeters"
	tNSPProfile = tNSP + "/profiles"
	tNSPRule    = tNSPProfile + "/accessRules"
	tNSPAssoc   = tNSP + "/resourceAssociations"
)

// Perimeter is a network security perimeter
// (Microsoft.Network/networkSecurityPerimeters,
// https://learn.microsoft.com/azure/private-link/network-security-perimeter-concepts):
// a boundary around PaaS resources whose profiles' access rules decide
// their public traffic.
type Perimeter struct {
	Meta
}

// PerimeterProfile is a perimeter's profile: a set of access rules that
// associations apply.
type PerimeterProfile struct {
	Meta
	Perimeter Ref // the perimeter it belongs to (its ID's parent)
}

// PerimeterAccessRule is an access rule of a profile. Outbound rules are
// FQDN-based; inbound ones name address prefixes or subscriptions
// ("Outbound | FQDN-based rules", network-security-perimeter-concepts).
// The lists are as written; every element counts towards the profile's
// limit of 200.
type PerimeterAccessRule struct {
	Meta
	Profile   Ref    // the profile it belongs to (its ID's parent)
	Direction string // "Inbound" or "Outbound", as written
	// FullyQualifiedDomainNames are an outbound rule's destinations;
	// FQDNPos their positions, when the loader knows them.
	FullyQualifiedDomainNames []string
	FQDNPos                   []Pos
	AddressPrefixes           []string
	Subscriptions             []string // subscription IDs (/subscriptions/…)
	// Others counts the elements of the lists Azure documents as
	// unavailable (emailAddresses, phoneNumbers, serviceTags).
	Others int
}

// PerimeterAssociation associates a PaaS resource with a perimeter's
// profile, in an access mode.
type PerimeterAssociation struct {
	Meta
	Perimeter Ref // the perimeter (its ID's parent)
	// Resource is privateLinkResource.id: the associated resource, which
	// need not be in the input.
	Resource Ref
	Profile  Ref // profile.id
	// AccessMode is accessMode as written: Learning (the default, "" reads
	// as it), Enforced or Audit.
	AccessMode string
}

// PerimeterType is a resource type Learn lists as onboarded to network
// security perimeters, with the public DNS zones its endpoints answer in.
type PerimeterType struct {
	Service      string
	Type         string // the ARM resource type
	Kind         string // the account kind, for Microsoft.CognitiveServices/accounts; "" for any
	Availability string // as the table writes it
	// Zones are the public DNS zones of its endpoints: a resource named n
	// answers at n.<zone> (the "Public DNS zone forwarders" column of
	// https://learn.microsoft.com/azure/private-link/private-endpoint-dns).
	// Empty where host names are not the resource's name (Log Analytics
	// uses workspace IDs, data collection endpoints generated names).
	Zones []string
}

// PerimeterTypesSource is where [PerimeterTypes] comes from.
const PerimeterTypesSource = "https://learn.microsoft.com/azure/private-link/network-security-perimeter-concepts#onboarded-private-link-resources (2025-08-01 revision)"

// PerimeterTypes are the onboarded private link resources of
// [PerimeterTypesSource], in its order. The live list is
// `az network perimeter associable-resource-type list`.
var PerimeterTypes = []PerimeterType{
	{"Azure Monitor", "Microsoft.Insights/dataCollectionEndpoints", "", "Generally available", nil},
	{"Azure Monitor", "Microsoft.Insights/ScheduledQueryRules", "", "Generally available", nil},
	{"Azure Monitor", "Microsoft.Insights/actionGroups", "", "Generally available", nil},
	{"Azure Monitor", "Microsoft.OperationalInsights/workspaces", "", "Generally available", nil},
	{"Azure AI Search", "Microsoft.Search/searchServices", "", "Generally Available", []string{"search.windows.net"}},
	{"Cosmos DB", "Microsoft.DocumentDB/databaseAccounts", "", "Public Preview", []string{"documents.azure.com", "mongo.cosmos.azure.com", "cassandra.cosmos.azure.com", "gremlin.cosmos.azure.com", "table.cosmos.azure.com"}},
	{"Event Hubs", "Microsoft.EventHub/namespaces", "", "Generally Available", []string{"servicebus.windows.net"}},
	{"Key Vault", "Microsoft.KeyVault/vaults", "", "Generally Available", []string{"vault.azure.net"}},
	{"SQL DB", "Microsoft.Sql/servers", "", "Public Preview", []string{"database.windows.net"}},
	{"Storage", "Microsoft.Storage/storageAccounts", "", "Generally Available", []string{"blob.core.windows.net", "file.core.windows.net", "queue.core.windows.net", "table.core.windows.net", "dfs.core.windows.net"}},
	{"Azure OpenAI service", tAI, "OpenAI", "Public Preview", []string{"openai.azure.com", "cognitiveservices.azure.com"}},
	{"Microsoft Foundry", tAI, "AIServices", "Generally Available", []string{"services.ai.azure.com", "openai.azure.com", "cognitiveservices.azure.com"}},
}

// PerimeterTypeOf returns the onboarded type of a resource type (and, for
// AI accounts, kind; "" when unknown matches any kind).
func PerimeterTypeOf(typ, kind string) (PerimeterType, bool) {
	for _, t := range PerimeterTypes {
		if strings.EqualFold(t.Type, typ) && (t.Kind == "" || kind == "" || strings.EqualFold(t.Kind, kind)) {
			return t, true
		}
	}
	return PerimeterType{}, false
}

// Limits of network security perimeters (network-security-perimeter-concepts#limitations).
const (
	// MaxPerimeterRuleElements: "Number of rule elements per profile —
	// Supported up to 200 as hard limit" (A-28: every element of every list
	// of every rule counts).
	MaxPerimeterRuleElements = 200
	// MaxPerimeterProfiles and MaxPerimeterAssociations are recommended
	// limits (warnings): profiles per perimeter, resources per perimeter.
	MaxPerimeterProfiles     = 200
	MaxPerimeterAssociations = 1000
)

// cutChild returns the ID of the parent of a child ID: the text before
// the last "/<seg>/" (matched in any case).
func cutChild(id Ref, seg string) Ref {
	if i := strings.LastIndex(strings.ToLower(string(id)), "/"+strings.ToLower(seg)+"/"); i >= 0 {
		return id[:i]
	}
	return ""
}

// perimeterResource reads a network security perimeter and its children
// (REST GET, templates, and the nsp az extension's output, whose 1.0.0
// release flattens properties: arm.Value.Prop reads both); it reports
// whether r was one.
func (b *armBuilder) perimeterResource(r arm.Resource, meta Meta, v *arm.Value) bool {
	switch {
	case typeIs(r, tNSP):
		b.m.Perimeters = append(b.m.Perimeters, &Perimeter{Meta: meta})
	case typeIs(r, tNSPProfile):
		b.m.PerimeterProfiles = append(b.m.PerimeterProfiles, &PerimeterProfile{Meta: meta, Perimeter: cutChild(meta.ID, "profiles")})
	case typeIs(r, tNSPRule):
		ar := &PerimeterAccessRule{Meta: meta, Profile: cutChild(meta.ID, "accessRules"), Direction: b.str(v.Prop("direction")),
			AddressPrefixes: b.strs(v.Prop("addressPrefixes"))}
		for _, e := range elems(v.Prop("fullyQualifiedDomainNames")) {
			if !b.known(e) {
				continue
			}
			s, ok := e.Str()
			if !ok {
				b.p.add(e.Pos(), r.ID, "fullyQualifiedDomainNames", "", ErrInvalid, "want a string")
				continue
			}
			ar.FullyQualifiedDomainNames = append(ar.FullyQualifiedDomainNames, s)
			ar.FQDNPos = append(ar.FQDNPos, e.Pos())
		}
		for _, s := range elems(v.Prop("subscriptions")) {
			if id := b.str(s.Get("id")); id != "" {
				ar.Subscriptions = append(ar.Subscriptions, id)
			}
		}
		for _, f := range []string{"emailAddresses", "phoneNumbers", "serviceTags"} {
			ar.Others += len(elems(v.Prop(f)))
		}
		b.m.PerimeterAccessRules = append(b.m.PerimeterAccessRules, ar)
	case typeIs(r, tNSPAssoc):
		b.m.PerimeterAssociations = append(b.m.PerimeterAssociations, &PerimeterAssociation{Meta: meta,
			Perimeter: cutChild(meta.ID, "resourceAssociations"), Resource: b.ref(v.Prop("privateLinkResource")),
			Profile: b.ref(v.Prop("profile")), AccessMode: b.str(v.Prop("accessMode"))})
	default:
		return false
	}
	return true
}

// validatePerimeters checks the perimeters' rules and associations
// (errors: a direction that is neither Inbound nor Outbound, an outbound
// entry that is not a host name, a profile over 200 rule elements, an
// association without a resource or with another perimeter's profile, an
// unknown publicNetworkAccess; warnings: an undocumented accessMode, lists
// a direction ignores, a resource of a type Learn does not list as
// onboarded, several associations of one resource, recommended limits).
func (m *Model) validatePerimeters(p *problems, w *warnList) {
	elements := map[string]int{}
	for _, r := range m.PerimeterAccessRules {
		res := string(r.ID)
		elements[r.Profile.Key()] += len(r.FullyQualifiedDomainNames) + len(r.AddressPrefixes) + len(r.Subscriptions) + r.Others
		switch {
		case strings.EqualFold(r.Direction, "Outbound"):
			_, probs := perimeter.Compile([]perimeter.Rule{{Name: r.Name, FQDNs: r.FullyQualifiedDomainNames}})
			for _, pr := range probs {
				pos := r.Pos
				if pr.Index < len(r.FQDNPos) && r.FQDNPos[pr.Index].IsValid() {
					pos = r.FQDNPos[pr.Index]
				}
				field := fmt.Sprintf("fullyQualifiedDomainNames[%d]", pr.Index)
				if pr.Warning {
					w.warn(pos, res, field, pr.Entry, ErrUndocumented, "%s: %s", pr.Assumption, pr.Detail)
				} else {
					p.add(pos, res, field, pr.Entry, ErrInvalid, "%s", pr.Detail)
				}
			}
			if len(r.AddressPrefixes)+len(r.Subscriptions) > 0 {
				w.warn(r.Pos, res, "addressPrefixes", "", ErrInvalid, "an outbound rule's address prefixes and subscriptions are ignored: outbound rules are FQDN-based (network-security-perimeter-concepts)")
			}
		case strings.EqualFold(r.Direction, "Inbound"):
			if len(r.FullyQualifiedDomainNames) > 0 {
				w.warn(r.Pos, res, "fullyQualifiedDomainNames", "", ErrInvalid, "an inbound rule's FQDNs are ignored: FQDN rules are outbound (network-security-perimeter-concepts)")
			}
		default:
			p.add(r.Pos, res, "direction", r.Direction, ErrInvalid, "want Inbound or Outbound")
		}
	}
	profiles := map[string]int{}
	for _, pr := range m.PerimeterProfiles {
		profiles[pr.Perimeter.Key()]++
		if n := elements[pr.ID.Key()]; n > MaxPerimeterRuleElements {
			p.add(pr.Pos, string(pr.ID), "accessRules", "", ErrLimit, "%d rule elements; a profile holds at most %d (hard limit, network-security-perimeter-concepts#limitations; A-28: every element of every rule counts)", n, MaxPerimeterRuleElements)
		}
	}
	for _, x := range m.Perimeters {
		if n := profiles[x.ID.Key()]; n > MaxPerimeterProfiles {
			w.warn(x.Pos, string(x.ID), "profiles", "", ErrLimit, "%d profiles; Learn recommends at most %d per perimeter", n, MaxPerimeterProfiles)
		}
	}
	perResource, perPerimeter := map[string]int{}, map[string]int{}
	for _, a := range m.PerimeterAssociations {
		res := string(a.ID)
		perResource[a.Resource.Key()]++
		perPerimeter[a.Perimeter.Key()]++
		if a.Resource.IsZero() {
			p.add(a.Pos, res, "privateLinkResource.id", "", ErrInvalid, "an association names the resource it associates")
		}
		if a.Profile.IsZero() {
			p.add(a.Pos, res, "profile.id", "", ErrInvalid, "an association names the profile it applies")
		} else if cutChild(a.Profile, "profiles").Key() != a.Perimeter.Key() {
			p.add(a.Pos, res, "profile.id", string(a.Profile), ErrInvalid, "the profile is not one of the association's perimeter %s", a.Perimeter.Name())
		}
		if _, err := perimeter.ParseAccessMode(a.AccessMode); err != nil && a.AccessMode != "" {
			w.warn(a.Pos, res, "accessMode", a.AccessMode, ErrUndocumented, "%v (the API takes other strings): the resource's outbound flows are Unknown", err)
		}
		if !a.Resource.IsZero() {
			typ, kind := a.Resource.Type(), ""
			if ai, ok := lookup[*AIAccount](m, a.Resource); ok {
				kind = ai.Kind
			}
			if _, ok := PerimeterTypeOf(typ, kind); !ok {
				what := typ
				if kind != "" {
					what += " of kind " + kind
				}
				w.warn(a.Pos, res, "privateLinkResource.id", string(a.Resource), ErrUndocumented, "%s is not in Learn's list of onboarded resource types (%s); egress evaluates the association as documented for them", what, PerimeterTypesSource)
			}
		}
	}
	for _, a := range m.PerimeterAssociations {
		if n := perResource[a.Resource.Key()]; n > 1 && !a.Resource.IsZero() {
			w.warn(a.Pos, string(a.ID), "privateLinkResource.id", string(a.Resource), ErrUndocumented, "A-26: the resource has %d perimeter associations; how several combine is undocumented, so its outbound flows are Unknown", n)
		}
	}
	for _, x := range m.Perimeters {
		if n := perPerimeter[x.ID.Key()]; n > MaxPerimeterAssociations {
			w.warn(x.Pos, string(x.ID), "resourceAssociations", "", ErrLimit, "%d associated resources; Learn recommends at most %d per perimeter", n, MaxPerimeterAssociations)
		}
	}
	check := func(pos Pos, res, pna string) {
		if _, err := perimeter.ParsePublicAccess(pna); err != nil {
			p.add(pos, res, "publicNetworkAccess", pna, ErrInvalid, "want Enabled, Disabled or SecuredByPerimeter")
		}
	}
	for _, a := range m.AIAccounts {
		check(a.Pos, string(a.ID), a.PublicNetworkAccess)
	}
	for _, a := range m.WebApps {
		check(a.Pos, string(a.ID), a.PublicNetworkAccess)
	}
}

// Type returns the resource type an ID names
// ("Microsoft.Storage/storageAccounts"), or "" for a string that is not a
// resource ID.
func (r Ref) Type() string {
	rid, err := arm.ParseLooseID(string(r))
	if err != nil {
		return ""
	}
	return rid.Type()
}

// PerimeterBinding is a PaaS resource's place in the network security
// perimeters of a [Network]: its association, if it has exactly one.
type PerimeterBinding struct {
	// Associations counts the resource's associations: 0 (none), 1, or
	// more (A-26: undocumented, so its outbound flows are Unknown).
	Associations int
	Association  Ref // the association, when there is one
	Perimeter    Ref // its perimeter
	Profile      Ref // its profile
	// ProfileState says whether the profile is in the input; when not, its
	// rules are unknown.
	ProfileState RefState
	// Mode is the access mode; ModeKnown is false for an accessMode the
	// API documents no meaning for (ModeText holds it).
	Mode      perimeter.AccessMode
	ModeKnown bool
	ModeText  string
	// Rules are the profile's outbound rules, compiled (immutable).
	Rules *perimeter.Profile
}

type perimeterRec struct {
	bind  map[string]PerimeterBinding // resource ID key → binding
	hosts map[string][]string         // host name → keys of the perimeters whose resources answer there
}

// perimeterViews compiles the profiles' outbound rules and binds each
// associated resource.
func (n *Network) perimeterViews(s *Model) {
	rec := perimeterRec{bind: map[string]PerimeterBinding{}, hosts: map[string][]string{}}
	rules := map[string][]perimeter.Rule{}
	for _, r := range s.PerimeterAccessRules {
		if strings.EqualFold(r.Direction, "Outbound") {
			rules[r.Profile.Key()] = append(rules[r.Profile.Key()], perimeter.Rule{Name: r.Name, FQDNs: r.FullyQualifiedDomainNames})
		}
	}
	compiled := map[string]*perimeter.Profile{}
	for _, pr := range s.PerimeterProfiles {
		compiled[pr.ID.Key()], _ = perimeter.Compile(rules[pr.ID.Key()]) // validated
	}
	for _, a := range s.PerimeterAssociations {
		k := a.Resource.Key()
		b := rec.bind[k]
		b.Associations++
		if b.Associations == 1 {
			b.Association, b.Perimeter, b.Profile, b.ModeText = a.ID, a.Perimeter, a.Profile, a.AccessMode
			mode, err := perimeter.ParseAccessMode(a.AccessMode)
			b.Mode, b.ModeKnown = mode, err == nil || a.AccessMode == ""
			b.ProfileState = RefExternal
			if c, ok := compiled[a.Profile.Key()]; ok {
				b.ProfileState, b.Rules = RefInput, c
			}
		}
		rec.bind[k] = b
		name, kind := a.Resource.Name(), ""
		if ai, ok := lookup[*AIAccount](s, a.Resource); ok {
			kind = ai.Kind
			if ai.CustomSubDomain != "" {
				name = ai.CustomSubDomain
			}
		}
		if t, ok := PerimeterTypeOf(a.Resource.Type(), kind); ok {
			for _, z := range t.Zones {
				h := strings.ToLower(name) + "." + z
				if !slices.Contains(rec.hosts[h], a.Perimeter.Key()) {
					rec.hosts[h] = append(rec.hosts[h], a.Perimeter.Key())
				}
			}
		}
	}
	n.perimeters = rec
}

// PerimeterOf returns the perimeter binding of a PaaS resource by ID (the
// zero binding when it has no association).
func (n *Network) PerimeterOf(id Ref) PerimeterBinding {
	b, _ := get(n.perimeters.bind, id)
	return b
}

// InPerimeter reports whether host, a destination host name, is an
// endpoint of a resource associated with perimeter (by ID): the resource's
// name under its type's public DNS zones ([PerimeterType], A-29). It
// compares in ASCII lower case, one trailing dot ignored.
func (n *Network) InPerimeter(host string, perim Ref) bool {
	keys, _ := get(n.perimeters.hosts, Ref(strings.TrimSuffix(host, ".")))
	return slices.Contains(keys, perim.Key())
}

// Perimeters returns a copy of the network security perimeters, their
// profiles, access rules and associations, in model order.
func (n *Network) Perimeters() ([]*Perimeter, []*PerimeterProfile, []*PerimeterAccessRule, []*PerimeterAssociation) {
	return clone(n.m.Perimeters), clone(n.m.PerimeterProfiles), clone(n.m.PerimeterAccessRules), clone(n.m.PerimeterAssociations)
}

// PublicAccess returns the account's publicNetworkAccess (validated).
func (v AIAccountView) PublicAccess() perimeter.PublicAccess {
	a, _ := perimeter.ParsePublicAccess(v.rec().a.PublicNetworkAccess)
	return a
}

// PublicAccess returns the app's publicNetworkAccess (validated).
func (v WebAppView) PublicAccess() perimeter.PublicAccess {
	a, _ := perimeter.ParsePublicAccess(v.rec().w.PublicNetworkAccess)
	return a
}
