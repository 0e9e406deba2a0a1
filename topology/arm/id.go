package arm

import (
	"fmt"
	"strings"
)

// ResourceID is a parsed Azure resource ID such as
//
//	/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/snet1
//
// whose [ResourceID.Type] is "Microsoft.Network/virtualNetworks/subnets" and
// whose [ResourceID.Name] is "vnet1/snet1". Extension resources
// (".../providers/Microsoft.Network/virtualNetworks/v/providers/Microsoft.Insights/diagnosticSettings/d")
// are supported: their type and name are those after the last "providers"
// segment, and their [ResourceID.Parent] is the resource they extend.
//
// Only subscription-scoped provider resources are IDs here; tenant,
// management-group, subscription and resource-group IDs themselves are not.
//
// ARM compares IDs case-insensitively; so do [EqualIDs], [Key] and
// [ResourceID.Key]. The accessors return the spelling of the input.
//
// The zero value is the empty ID ([ResourceID.IsZero]). ResourceID is a
// comparable value type (compare Key()s, not values, to ignore case); copy it
// freely.
type ResourceID struct {
	id, sub, rg, typ, name, scope string
	short                         bool
}

// ParseID parses an Azure resource ID. Segment names ("subscriptions",
// "resourceGroups", "providers") match case-insensitively. It returns an
// error wrapping [ErrID] when id is not of the form
// /subscriptions/{s}[/resourceGroups/{rg}]/providers/{namespace}/{type}/{name}[/{type}/{name}]...
// or has an empty segment.
func ParseID(id string) (ResourceID, error) {
	fail := func(why string) (ResourceID, error) {
		return ResourceID{}, fmt.Errorf("%w %q: %s", ErrID, truncate(id, 500), why)
	}
	if !strings.HasPrefix(id, "/") {
		return fail("does not start with \"/\"")
	}
	segs := strings.Split(id[1:], "/")
	for _, s := range segs {
		if s == "" {
			return fail("has an empty segment")
		}
	}
	if len(segs) < 2 || !strings.EqualFold(segs[0], "subscriptions") {
		return fail("does not start with /subscriptions/{subscriptionId}")
	}
	r := ResourceID{id: id, sub: segs[1]}
	i := 2
	if i < len(segs) && strings.EqualFold(segs[i], "resourceGroups") {
		if i+1 >= len(segs) {
			return fail("has no resource group name after resourceGroups")
		}
		r.rg = segs[i+1]
		i += 2
	}
	if i >= len(segs) || !strings.EqualFold(segs[i], "providers") {
		return fail("has no /providers/{namespace}/{type}/{name} part")
	}
	for {
		// segs[i] is "providers": a resource, or an extension of the
		// resource before it.
		if len(segs)-i < 4 {
			return fail("has no {namespace}/{type}/{name} after providers")
		}
		types := []string{segs[i+1]}
		var names []string
		j := i + 2
		for j < len(segs) && !strings.EqualFold(segs[j], "providers") {
			if j+1 >= len(segs) {
				return fail("has a type segment " + quote(truncate(segs[j], 100)) + " without a name")
			}
			types = append(types, segs[j])
			names = append(names, segs[j+1])
			j += 2
		}
		if len(names) == 0 {
			return fail("has no {type}/{name} after providers/" + truncate(segs[i+1], 100))
		}
		if j < len(segs) {
			r.scope = "/" + strings.Join(segs[:j], "/")
			i = j
			continue
		}
		r.typ = strings.Join(types, "/")
		r.name = strings.Join(names, "/")
		break
	}
	return r, nil
}

// ParseLooseID is like [ParseID] but also accepts the short forms that
// tools other than Azure's write, without the subscription:
//
//	resourceGroups/{rg}/providers/{namespace}/{type}/{name}...
//	/resourceGroups/{rg}/providers/...
//	resourceGroup/{rg}/providers/...
//
// (the Azure test snapshots of Batfish, batfish/batfish
// projects/batfish/src/test/resources/org/batfish/representation/azure, use
// the first and the last). A short ID has no subscription
// ([ResourceID.SubscriptionID] is ""), reports [ResourceID.IsShort], and
// still compares as a case-insensitive string: it names the same resource as
// another ID only when the two are spelled alike. For anything else it
// returns ParseID's error.
func ParseLooseID(id string) (ResourceID, error) {
	r, err := ParseID(id)
	if err == nil {
		return r, nil
	}
	seg, rest, ok := strings.Cut(strings.TrimPrefix(id, "/"), "/")
	if !ok || !(strings.EqualFold(seg, "resourceGroups") || strings.EqualFold(seg, "resourceGroup")) {
		return ResourceID{}, err
	}
	const sub = "/subscriptions/-/resourceGroups/"
	r, serr := ParseID(sub + rest)
	if serr != nil {
		return ResourceID{}, fmt.Errorf("%w %q: %s", ErrID, truncate(id, 500),
			strings.TrimPrefix(serr.Error(), fmt.Sprintf("%s %q: ", ErrID, truncate(sub+rest, 500))))
	}
	prefix := id[:len(id)-len(rest)]
	if r.scope != "" {
		r.scope = prefix + r.scope[len(sub):]
	}
	r.id, r.sub, r.short = id, "", true
	return r, nil
}

// IsShort reports whether r was parsed from a short form by [ParseLooseID].
func (r ResourceID) IsShort() bool { return r.short }

func quote(s string) string { return fmt.Sprintf("%q", s) }

// MustParseID is like [ParseID] but panics on error. For tests and examples
// only.
func MustParseID(id string) ResourceID {
	r, err := ParseID(id)
	if err != nil {
		panic(err)
	}
	return r
}

// IsZero reports whether r is the zero ResourceID.
func (r ResourceID) IsZero() bool { return r.id == "" }

// String returns the ID as it was parsed.
func (r ResourceID) String() string { return r.id }

// Key returns the ID lower-cased, for use as a map key; see [Key].
func (r ResourceID) Key() string { return Key(r.id) }

// SubscriptionID returns the subscription ID segment.
func (r ResourceID) SubscriptionID() string { return r.sub }

// ResourceGroup returns the resource group name, or "" for a
// subscription-level resource.
func (r ResourceID) ResourceGroup() string { return r.rg }

// Provider returns the resource provider namespace, such as
// "Microsoft.Network".
func (r ResourceID) Provider() string {
	ns, _, _ := strings.Cut(r.typ, "/")
	return ns
}

// Type returns the full resource type, such as
// "Microsoft.Network/virtualNetworks/subnets".
func (r ResourceID) Type() string { return r.typ }

// Name returns the full name path, such as "vnet1/snet1" for a subnet.
func (r ResourceID) Name() string { return r.name }

// ShortName returns the last segment of the name path ("snet1").
func (r ResourceID) ShortName() string {
	return r.name[strings.LastIndexByte(r.name, '/')+1:]
}

// Parent returns the ID of the resource that r is a child of (a subnet's
// virtual network) or an extension of, and false for a top-level resource.
func (r ResourceID) Parent() (ResourceID, bool) {
	if strings.IndexByte(r.name, '/') < 0 {
		if r.scope == "" {
			return ResourceID{}, false
		}
		p, err := r.reparse(r.scope)
		return p, err == nil
	}
	// Drop the last "/{type}/{name}".
	cut := strings.LastIndexByte(r.id, '/')
	cut = strings.LastIndexByte(r.id[:cut], '/')
	p, err := r.reparse(r.id[:cut])
	return p, err == nil
}

// reparse parses a prefix of r's ID the way r was parsed.
func (r ResourceID) reparse(id string) (ResourceID, error) {
	if r.short {
		return ParseLooseID(id)
	}
	return ParseID(id)
}

// Key normalizes a resource ID for use as a map key: it lower-cases it, since
// ARM compares IDs case-insensitively. It does not check the ID.
func Key(id string) string { return strings.ToLower(id) }

// EqualIDs reports whether a and b name the same resource, comparing them
// case-insensitively as ARM does. It does not check the IDs.
func EqualIDs(a, b string) bool { return strings.EqualFold(a, b) }
