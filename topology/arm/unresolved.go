package arm

import (
	"iter"
	"strconv"
)

// Unresolved iterates over the values of r's Body that its template could
// not evaluate offline ([KindUnresolved]), in document order. With each value
// it yields an *[Error] wrapping [ErrExpression] that gives the value's
// position, r's ID, the field path (such as
// "properties.subnets[0].properties.addressPrefix") and the reason. It yields
// nothing for resources that did not come from a template, or whose values
// are all known.
//
// Parse does not fail on unresolved values: whether one matters depends on
// whether the caller reads that field ([Value.Get] and the other lookups
// return an unresolved value when they go through one). Cost: O(size of
// Body) when there are some, O(1) otherwise.
func (r Resource) Unresolved() iter.Seq2[*Value, *Error] {
	return func(yield func(*Value, *Error) bool) {
		if !r.unresolved {
			return
		}
		var path []byte
		var walk func(v *Value) bool
		walk = func(v *Value) bool {
			switch v.kind {
			case KindUnresolved:
				return yield(v, &Error{Pos: v.Pos(), Resource: r.ID, Field: string(path), Detail: v.s, Kind: ErrExpression})
			case KindArray:
				if v.flags&flagUnresolved == 0 {
					return true
				}
				n := len(path)
				for i := range v.kids {
					path = append(path, '[')
					path = strconv.AppendInt(path, int64(i), 10)
					path = append(path, ']')
					if !walk(&v.kids[i]) {
						return false
					}
					path = path[:n]
				}
			case KindObject:
				if v.flags&flagUnresolved == 0 {
					return true
				}
				n := len(path)
				for i := range v.kids {
					if n > 0 {
						path = append(path, '.')
					}
					path = append(path, v.keys[i]...)
					if !walk(&v.kids[i]) {
						return false
					}
					path = path[:n]
				}
			}
			return true
		}
		walk(r.Body)
	}
}
