package arm

import (
	"iter"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Kind is the JSON type of a [Value].
//
// The zero value is [KindAbsent], the kind of a nil *Value: a key or index
// that is not there.
type Kind uint8

// The kinds of JSON values.
const (
	KindAbsent Kind = iota // no value: a nil *Value
	KindNull               // JSON null
	KindBool               // true or false
	KindNumber             // a JSON number, kept as its text
	KindString             // a JSON string
	KindArray              // a JSON array
	KindObject             // a JSON object
	// KindUnresolved is a value of an evaluated ARM template that cannot be
	// known offline, such as reference() of a resource outside the
	// template or a parameter without a value; [Value.Unresolved] says
	// why. Only template resources contain such values.
	KindUnresolved
)

var kindNames = [...]string{"absent", "null", "bool", "number", "string", "array", "object", "unresolved"}

// String returns the kind's lower-case name, such as "object" or "absent".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements [encoding.TextMarshaler] using [Kind.String].
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Value is one JSON value of an input file, with the position where it starts.
// [Parse] hands out the resource objects of a file as Values; [ParseValue]
// returns any JSON document as one.
//
// A nil *Value is valid and means "absent": every method is safe on nil and
// returns the zero answer (KindAbsent, false, 0, nil). Lookups therefore chain
// without checks: v.Prop("addressSpace").Prop("addressPrefixes").Index(0).Str().
//
// A value of an evaluated template that cannot be known offline is of
// [KindUnresolved]; lookups in it ([Value.Get], [Value.Prop], [Value.Index])
// return it again, so whatever is read through it is unresolved for the
// same reason, and a reader that checks the values it reads finds out.
//
// # Null
//
// Object lookups ([Value.Get], [Value.Prop]) treat a member whose value is JSON
// null exactly like a missing member and return nil. The Azure CLI prints unset
// fields as null, the REST API omits them; both read the same. [Value.Keys]
// and [Value.Members] still list null members, and [Value.Index] returns a
// null element as a Value of [KindNull].
//
// # Keys
//
// ARM property names are case-insensitive and some exports (PowerShell) use
// PascalCase, so [Value.Get] falls back to a case-insensitive match. An object
// may hold the same key twice (compared case-insensitively): the parser keeps
// both members, and a lookup of that key, whatever its spelling, returns the
// last one (nil if it is null), as encoding/json and Json.NET do;
// [Resource.Duplicates] lists them for the caller to judge.
//
// A Value is immutable once returned and safe for concurrent use. Do not copy
// a Value; use the pointer. Numbers are kept as their literal text, as
// json.Number does, so no precision is lost.
type Value struct {
	src  *source
	s    string   // string value; number text; "true"/"false" for bools
	kids []Value  // array elements, or object member values
	keys []string // object member keys, parallel to kids
	off  uint32   // byte offset of the first byte of the value
	kind Kind
	dup  bool // an object with duplicate keys (compared case-insensitively)
	// flags: flagUnresolved marks an array or object that holds an
	// unresolved value at some depth (set by the template evaluator).
	flags uint8
}

const flagUnresolved = 1

// Kind returns the value's JSON type, [KindAbsent] for nil.
func (v *Value) Kind() Kind {
	if v == nil {
		return KindAbsent
	}
	return v.kind
}

// Pos returns where the value starts in its file, the zero [Pos] for nil.
// The first call on a file indexes its line starts (O(file size)); later calls
// cost O(log lines).
func (v *Value) Pos() Pos {
	if v == nil {
		return Pos{}
	}
	if v.src != nil && v.src.orig != nil { // a TrackReads copy
		return v.src.orig.pos(int(v.off))
	}
	return v.src.pos(int(v.off))
}

// IsNull reports whether v is absent or JSON null.
func (v *Value) IsNull() bool { return v == nil || v.kind == KindNull }

// Unresolved returns why v, a value of an evaluated template, cannot be
// known offline, and true, if v is of [KindUnresolved]; it returns "", false
// otherwise. The reason names the function or parameter at fault and its
// position, such as
//
//	parameter "hubPrefix" has no value: give one with a parameters file or name=value (declared at main.json:12:5)
func (v *Value) Unresolved() (string, bool) {
	if v == nil || v.kind != KindUnresolved {
		return "", false
	}
	return v.s, true
}

// Str returns the string and true if v is a JSON string, and "", false
// otherwise (numbers are not converted).
func (v *Value) Str() (string, bool) {
	if v == nil || v.kind != KindString {
		return "", false
	}
	return v.s, true
}

// Bool returns the boolean and true if v is true or false, and false, false
// otherwise (the strings "true" and "false" are not converted).
func (v *Value) Bool() (b, ok bool) {
	if v == nil || v.kind != KindBool {
		return false, false
	}
	return v.s == "true", true
}

// Int returns the number and true if v is a JSON number with an integral
// value that fits in an int64 (100, -3, 1e2, 100.0), and 0, false otherwise
// (1.5, 1e300, strings).
func (v *Value) Int() (int64, bool) {
	if v == nil || v.kind != KindNumber {
		return 0, false
	}
	if n, err := strconv.ParseInt(v.s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(v.s, 64)
	if err != nil || f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// Float returns the number and true if v is a JSON number representable as a
// finite float64, and 0, false otherwise.
func (v *Value) Float() (float64, bool) {
	if v == nil || v.kind != KindNumber {
		return 0, false
	}
	f, err := strconv.ParseFloat(v.s, 64)
	if err != nil {
		return 0, false
	}
	return f, true
}

// Number returns the literal text of a JSON number and true, and "", false if
// v is not a number.
func (v *Value) Number() (string, bool) {
	if v == nil || v.kind != KindNumber {
		return "", false
	}
	return v.s, true
}

// Len returns the number of elements of an array or members of an object, and
// 0 for any other kind.
func (v *Value) Len() int {
	if v == nil || (v.kind != KindArray && v.kind != KindObject) {
		return 0
	}
	return len(v.kids)
}

// Index returns the i-th element of an array, or nil if v is not an array or
// i is out of range. A null element is returned as a [KindNull] Value.
func (v *Value) Index(i int) *Value {
	if v != nil && v.kind == KindUnresolved {
		return v
	}
	if v == nil || v.kind != KindArray || i < 0 || i >= len(v.kids) {
		return nil
	}
	return &v.kids[i]
}

// Elems iterates over the elements of an array, in order. It yields nothing if
// v is not an array.
func (v *Value) Elems() iter.Seq2[int, *Value] {
	return func(yield func(int, *Value) bool) {
		if v == nil || v.kind != KindArray {
			return
		}
		for i := range v.kids {
			if !yield(i, &v.kids[i]) {
				return
			}
		}
	}
}

// Get returns the member of an object named key, or nil if v is not an object,
// has no such member, or the member is null; an unresolved v is returned
// itself. An exact match wins; otherwise the first member whose key matches
// case-insensitively (Unicode case folding, as strings.EqualFold) is
// returned. Cost: O(members).
func (v *Value) Get(key string) *Value {
	if v != nil && v.kind == KindUnresolved {
		return v
	}
	if v == nil || v.kind != KindObject {
		return nil
	}
	if v.dup {
		return v.getDup(key)
	}
	for i, k := range v.keys {
		if k == key && v.kids[i].kind != KindNull {
			return &v.kids[i]
		}
	}
	for i, k := range v.keys {
		if strings.EqualFold(k, key) && v.kids[i].kind != KindNull {
			return &v.kids[i]
		}
	}
	return nil
}

// Prop returns an ARM property of an object whatever the wrapper: the member
// properties.<name> if there is one (the REST shape), and otherwise the member
// <name> of v itself (the az CLI's flattened shape, where properties are lifted
// into the object). Both lookups use [Value.Get], so they are
// case-insensitive and skip nulls. It returns nil if neither exists.
//
// Prop works at every nesting level, so
//
//	vnet.Prop("subnets").Index(0).Prop("addressPrefix")
//
// reads REST output, current and older az CLI output, Resource Graph rows and
// template resources alike.
func (v *Value) Prop(name string) *Value {
	if p := v.Get("properties").Get(name); p != nil {
		return p
	}
	return v.Get(name)
}

// Keys returns the keys of an object in document order, including keys whose
// value is null, and nil if v is not an object. The slice is a fresh copy.
func (v *Value) Keys() []string {
	if v == nil || v.kind != KindObject {
		return nil
	}
	return slices.Clone(v.keys)
}

// Members iterates over the members of an object in document order, including
// null members (yielded as [KindNull] Values). It yields nothing if v is not
// an object.
func (v *Value) Members() iter.Seq2[string, *Value] {
	return func(yield func(string, *Value) bool) {
		if v == nil || v.kind != KindObject {
			return
		}
		for i := range v.kids {
			if !yield(v.keys[i], &v.kids[i]) {
				return
			}
		}
	}
}
