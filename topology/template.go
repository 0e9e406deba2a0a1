package topology

import (
	"bytes"
	"strings"
	"sync"

	"github.com/egresslab/egress/route"
	"github.com/egresslab/egress/topology/arm"
)

// LoadOptions are the options of [Load]: what to read, what to apply on
// top, and what to accept. [LoadFilesWith] and [ParseFiles] read only Tags
// and Template (their files are arguments).
//
// The zero LoadOptions reads nothing, resolves no service tags, evaluates
// ARM templates with the defaults of [arm.Options] and refuses only
// Errors. LoadOptions is a plain value; copy it freely (its slices and
// Template.Parameters are shared).
type LoadOptions struct {
	// Files are read in order, each a native YAML design or an Azure export
	// in any ARM JSON wrapper (detected from the content), as one resource
	// set (see [LoadFiles]).
	Files []string
	// Inputs are read after Files as further files: a design embedded in a
	// program, or written by a test.
	Inputs []Input
	// LearnedRoutes are gateways' learned routes, added in order after the
	// files are read ([Model.AddLearnedRoutes]).
	LearnedRoutes []LearnedRoutes
	// Overlays are applied in order after the learned routes
	// ([Model.ApplyOverlayFile]): the network of a proposed change.
	Overlays []string
	// Tags resolves service tags; nil resolves none. It stays with the
	// network ([Network.Tags]).
	Tags route.TagResolver
	// Strict refuses everything [Model.Check] finds: the resources Azure
	// would reject, the references outside the input and the loaders'
	// warnings too (the CLI's --strict). Without it, they are kept on the
	// network ([Network.Validation]) and only Errors refuse it.
	Strict bool
	// RefuseRejected refuses the resources Azure would reject as well as
	// Errors, as [Model.Validate] does; references outside the input and
	// the loaders' warnings are kept (egress validate's rule).
	RefuseRejected bool
	// Template controls how ARM templates are evaluated: parameters, the
	// deployment's subscription, resource group and location, limits.
	// When Template.Needed is nil, the loader needs the resource types it
	// models, so that a template resource of another type (a virtual
	// machine) whose name cannot be evaluated is left out rather than
	// failing the load.
	Template arm.Options
}

// ParseARMWith is [ParseARM] evaluating ARM templates with opts (see
// [arm.Options]). Unresolved template values (see [arm.Resource.Unresolved])
// are errors wrapping [arm.ErrExpression] only where the model reads them
// (see [FromARM]): a virtual machine's admin password or a virtual network's
// tags given by no parameter do not matter.
func ParseARMWith(file string, data []byte, opts arm.Options) (*Model, error) {
	rs, err := arm.ParseWith(file, bytes.NewReader(data), templateOptions(opts))
	if err != nil {
		return nil, err
	}
	return FromARM(rs)
}

// templateOptions are the template options the loaders parse with: opts,
// needing the resource types the model builds unless opts says otherwise,
// and keeping repeated resources for the builder to merge.
func templateOptions(opts arm.Options) arm.Options {
	if opts.Needed == nil {
		opts.Needed = modelledType
	}
	opts.KeepDuplicates = true
	return opts
}

// maxSameReason is how many values unresolved for one reason are listed
// before the rest are counted.
const maxSameReason = 3

// unresolvedIndex holds the unresolved values of the input's template
// resources (see [arm.Resource.Unresolved]), so that the builder reports one
// where it reads it, with its resource and field.
type unresolvedIndex struct {
	errs     map[*arm.Value]*arm.Error
	reported map[*arm.Value]bool
	order    []string // reasons, in the order first reported
	count    map[string]int
}

func newUnresolvedIndex(rs []arm.Resource) unresolvedIndex {
	var ix unresolvedIndex
	for _, r := range rs {
		for v, e := range r.Unresolved() {
			if ix.errs == nil {
				ix.errs, ix.reported, ix.count = map[*arm.Value]*arm.Error{}, map[*arm.Value]bool{}, map[string]int{}
			}
			ix.errs[v] = e
		}
	}
	return ix
}

// known reports whether v, a value the builder reads, is known. An
// unresolved template value is reported (once), as an error wrapping
// [arm.ErrExpression] at its position with its resource and field; values
// unresolved for the same reason (one parameter without a value used by
// many resources) are listed three times, then counted.
func (b *armBuilder) known(v *arm.Value) bool {
	if v.Kind() != arm.KindUnresolved {
		return true
	}
	ix := &b.unres
	if ix.reported[v] {
		return false
	}
	e := ix.errs[v]
	if e == nil { // not from the input's resources: report what we know
		why, _ := v.Unresolved()
		e = &arm.Error{Pos: v.Pos(), Detail: why, Kind: arm.ErrExpression}
	}
	if ix.reported == nil {
		ix.reported, ix.count = map[*arm.Value]bool{}, map[string]int{}
	}
	ix.reported[v] = true
	if ix.count[e.Detail] == 0 {
		ix.order = append(ix.order, e.Detail)
	}
	ix.count[e.Detail]++
	if ix.count[e.Detail] <= maxSameReason {
		b.p.add(e.Pos, e.Resource, e.Field, "", arm.ErrExpression, "%s", e.Detail)
	}
	return false
}

// unresolvedRest reports, after the build, the unresolved locations of the
// resources the model holds (it reads their location from
// [arm.Resource.Location]), and the counts of the values not listed.
func (b *armBuilder) unresolvedRest(rs []arm.Resource) {
	if b.unres.errs == nil {
		return
	}
	for _, r := range rs {
		if b.m.Skipped[strings.ToLower(r.Type)] > 0 {
			continue
		}
		if loc := r.Body.Get("location"); loc.Kind() == arm.KindUnresolved {
			b.known(loc)
		}
	}
	for _, msg := range b.unres.order {
		if n := b.unres.count[msg] - maxSameReason; n > 0 {
			b.p.add(Pos{}, "", "", "", arm.ErrExpression, "%d more values are unresolved for the same reason: %s", n, msg)
		}
	}
}

// modelled caches modelledType.
var modelled sync.Map // lower-case type → bool

// modelledType reports whether FromARM builds resources of type typ rather
// than counting them in Model.Skipped. It asks FromARM itself, with an empty
// resource of the type, so that it cannot drift from the builder.
func modelledType(typ string) bool {
	k := strings.ToLower(typ)
	if v, ok := modelled.Load(k); ok {
		return v.(bool)
	}
	segs := strings.Split(typ, "/")
	if len(segs) < 2 {
		return true
	}
	id := "/subscriptions/probe/resourceGroups/probe/providers/" + segs[0]
	for _, s := range segs[1:] {
		id += "/" + s + "/probe"
	}
	m, _ := FromARM([]arm.Resource{{ID: id, Type: typ, Name: "probe", SubscriptionID: "probe", ResourceGroup: "probe"}})
	is := m == nil || m.Skipped[k] == 0
	if len(k) < 200 {
		modelled.Store(k, is)
	}
	return is
}
