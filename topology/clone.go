package topology

import (
	"reflect"
	"slices"
	"sync"
)

// Clone returns a deep copy of the model: every resource, list and map is
// copied, and the links between resources (a subnet's VNet, an IP
// configuration's NIC) point into the copy. Changing one model never
// changes the other. The loaders' warnings are kept. Values that are never
// changed in place are shared: strings, addresses, prefixes, positions and
// the warnings' errors.
//
// Clone costs about as much as building the model again from its parsed
// input, without the parsing: a few milliseconds per 10,000 NICs.
func (m *Model) Clone() *Model {
	c := cloner{seen: map[ptrKey]reflect.Value{}}
	out := &Model{}
	dst, src := reflect.ValueOf(out).Elem(), reflect.ValueOf(m).Elem()
	t := src.Type()
	for i := range t.NumField() {
		if t.Field(i).IsExported() {
			c.copy(dst.Field(i), src.Field(i))
		}
	}
	out.warnings = warnList{list: slices.Clone(m.warnings.list), extra: m.warnings.extra}
	out.backrefs = make([]backref, len(m.backrefs))
	for i, b := range m.backrefs {
		b.items = slices.Clone(b.items)
		out.backrefs[i] = b
	}
	return out
}

// clone returns a deep copy of a value of a model (see [Model.Clone]).
func clone[T any](v T) T {
	c := cloner{seen: map[ptrKey]reflect.Value{}}
	var out T
	c.copy(reflect.ValueOf(&out).Elem(), reflect.ValueOf(&v).Elem())
	return out
}

// cloner deep-copies values by reflection: the model's types are plain
// data (exported fields, pointers, slices, maps), so one walk copies them
// all, new fields included. A pointer seen twice (a subnet's VNet, the VNet
// itself in the model's list) is copied once, so the copy keeps the shape
// of the original.
type cloner struct {
	seen map[ptrKey]reflect.Value // original pointer -> its copy
}

// flatTypes caches isFlat by type (reflect.Type → bool), for every clone:
// a Network's accessors clone small resources on every call.
var flatTypes sync.Map

type ptrKey struct {
	t reflect.Type
	p uintptr
}

// copy sets dst, which is settable and of src's type, to a deep copy of src.
func (c *cloner) copy(dst, src reflect.Value) {
	if c.isFlat(src.Type()) {
		dst.Set(src)
		return
	}
	switch src.Kind() {
	case reflect.Pointer:
		if src.IsNil() {
			return
		}
		k := ptrKey{src.Type(), src.Pointer()}
		if p, ok := c.seen[k]; ok {
			dst.Set(p)
			return
		}
		p := reflect.New(src.Type().Elem())
		c.seen[k] = p
		c.copy(p.Elem(), src.Elem())
		dst.Set(p)
	case reflect.Slice:
		if src.IsNil() {
			return
		}
		s := reflect.MakeSlice(src.Type(), src.Len(), src.Len())
		if c.isFlat(src.Type().Elem()) {
			reflect.Copy(s, src)
		} else {
			for i := range src.Len() {
				c.copy(s.Index(i), src.Index(i))
			}
		}
		dst.Set(s)
	case reflect.Map:
		if src.IsNil() {
			return
		}
		out := reflect.MakeMapWithSize(src.Type(), src.Len())
		for it := src.MapRange(); it.Next(); {
			k, v := reflect.New(src.Type().Key()).Elem(), reflect.New(src.Type().Elem()).Elem()
			c.copy(k, it.Key())
			c.copy(v, it.Value())
			out.SetMapIndex(k, v)
		}
		dst.Set(out)
	case reflect.Struct:
		for i := range src.NumField() {
			c.copy(dst.Field(i), src.Field(i))
		}
	case reflect.Array:
		for i := range src.Len() {
			c.copy(dst.Index(i), src.Index(i))
		}
	default: // interfaces (errors): immutable values, shared
		dst.Set(src)
	}
}

// isFlat reports whether values of t are copied by assignment: scalars and
// strings, and structs (and arrays) of them; structs with unexported fields
// (netip.Addr, netip.Prefix) are values their packages never change in
// place.
func (c *cloner) isFlat(t reflect.Type) bool {
	if f, ok := flatTypes.Load(t); ok {
		return f.(bool)
	}
	flat := false
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String:
		flat = true
	case reflect.Array:
		flat = c.isFlat(t.Elem())
	case reflect.Struct:
		flat = true
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() && !c.isFlat(f.Type) {
				flat = false
				break
			}
		}
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				flat = true // another package's value type
				break
			}
		}
	}
	flatTypes.Store(t, flat)
	return flat
}
