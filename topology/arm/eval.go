package arm

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file evaluates ARM deployment templates ("Understand the structure and
// syntax of ARM templates",
// https://learn.microsoft.com/azure/azure-resource-manager/templates/syntax):
// parameters, variables (with copy), user-defined functions, resources with
// copy and condition, nested inline deployments and outputs. Expressions are
// parsed by expr.go; the functions are in funcs.go.
//
// Values are *Value trees like parsed JSON. A value taken unchanged from the
// input (a literal, a parameter default, a parameters-file value) keeps the
// position where it is written; a value a function computes is positioned
// at the expression, at the function's name when the expression's JSON
// string has no escapes. A value that cannot be known offline is a Value of
// KindUnresolved whose string is the reason; functions given one return one,
// so only what depends on it is unresolved.
//
// Hard errors (the template is invalid, a limit is reached) go to the error
// list and fail the parse.

// origin is where a value comes from: a byte offset in a source.
type origin struct {
	src *source
	off uint32
}

func originOf(v *Value) origin { return origin{v.src, v.off} }

// Pos returns the position of the origin.
func (o origin) Pos() Pos { return o.src.pos(int(o.off)) }

// loopKind tells copy loops apart for copyIndex() without a name.
type loopKind uint8

const (
	loopResource loopKind = iota
	loopProperty
	loopVariable
	loopOutput
)

type loop struct {
	name  string
	index int
	kind  loopKind
}

type lambdaVar struct {
	name string
	v    *Value
}

// ctx is the context of an expression: the template whose parameters,
// variables and functions it uses, the copy loops around it, and the string
// being evaluated (for positions).
type ctx struct {
	t         *tmpl
	loops     []loop
	lambdas   []lambdaVar
	fnArgs    map[string]*Value // parameters() inside a user-defined function
	inFunc    bool
	inDefault bool   // a parameter's defaultValue
	res       string // the resource, for hard errors
}

func (c *ctx) with(l loop) *ctx {
	c2 := *c
	c2.loops = append(c.loops[:len(c.loops):len(c.loops)], l)
	return &c2
}

// at returns the origin of node n of the expression being evaluated.
func (ev *evaluator) at(n *node) origin {
	o := originOf(ev.base)
	if ev.exact {
		o.off += 1 + uint32(n.off)
	}
	return o
}

// deployScope is where a deployment puts its resources.
type deployScope struct {
	sub, rg string // rg is "" for a subscription deployment
	loc     string // the resource group's location; "" when unknown
	locWhy  string // why it is unknown
}

// param is a declared template parameter.
type param struct {
	name  string
	decl  *Value
	typ   string // lower-case declared type; "" when not one of the basic types
	given given
	has   bool
	state uint8
	val   *Value
}

// variable is a declared variable, or a variable copy loop (loop != nil).
type variable struct {
	name  string
	decl  *Value
	loop  *Value
	state uint8
	val   *Value
}

// userFunc is a user-defined function ("User-defined functions in ARM
// templates"): namespace.member.
type userFunc struct {
	params []string
	out    *Value
}

// symbol is a languageVersion 2.0 symbolic resource name.
type symbol struct {
	insts    []*inst // by copy index; nil where the condition is false
	copied   bool
	existing *Value // the declaration of an existing resource
}

// tmpl is one template being evaluated: the root or a nested deployment's.
type tmpl struct {
	ev     *evaluator
	decl   *Value
	scope  deployScope // where its resources are deployed
	fn     *tmpl       // whose parameters, variables, functions and scope expressions use
	name   string      // deployment().name
	depth  int
	v2     bool
	sub    bool // a subscription deployment template
	params map[string]*param
	pnames []string
	vars   map[string]*variable
	funcs  map[string]*userFunc
	loops  []loop // an outer-scope nested template's deployment loops
	insts  []*inst
	syms   map[string]*symbol

	outState uint8
	outputs  *Value
}

// inst is one resource of a template, after copy and condition.
type inst struct {
	t      *tmpl
	decl   *Value
	where  string
	loops  []loop
	typ    string
	name   string
	id     string
	sub    string
	rg     string
	state  uint8
	body   *Value
	deploy bool
	target deployScope // a deployment's target
	istate uint8
	inner  *tmpl
}

// Evaluation states.
const (
	todo uint8 = iota
	doing
	done
)

// evaluator evaluates one template file.
type evaluator struct {
	opts     *Options
	lim      Limits
	errs     *errList
	src      *source
	exprs    map[string]*parsedExpr
	byID     map[string]*inst
	pending  []*inst
	open     map[*Value]string
	reported map[origin]bool
	hard     map[string]bool // reasons of unresolved values whose cause is reported as an error
	path     []pathSeg       // the field being evaluated, for errors
	base     *Value          // the string whose expression is being evaluated
	exact    bool            // base's offsets are exact (see exactText)
	args     []*Value        // a stack of the arguments of the calls being evaluated
	free     []*fcall        // fcall records to reuse
	nres     int
	steps    int
	out      int
	stop     bool
	root     *tmpl
}

type parsedExpr struct {
	n   *node
	err *exprError
}

func newEvaluator(src *source, opts *Options, errs *errList) *evaluator {
	return &evaluator{opts: opts, lim: opts.Limits.withDefaults(), errs: errs, src: src,
		exprs: map[string]*parsedExpr{}, byID: map[string]*inst{}, open: map[*Value]string{}, reported: map[origin]bool{}, hard: map[string]bool{}}
}

// Value constructors; each charges the output budget.

func (ev *evaluator) charge(o origin, n int) {
	ev.out += n + 64
	if ev.out > ev.lim.MaxOutput {
		ev.limit(o, "template evaluation creates more than %d bytes of values (Limits.MaxOutput)", ev.lim.MaxOutput)
	}
}

func (ev *evaluator) str(o origin, s string) *Value {
	ev.charge(o, len(s))
	return &Value{src: o.src, off: o.off, kind: KindString, s: s}
}

func (ev *evaluator) num(o origin, n int64) *Value {
	ev.charge(o, 0)
	return &Value{src: o.src, off: o.off, kind: KindNumber, s: strconv.FormatInt(n, 10)}
}

func (ev *evaluator) boolean(o origin, b bool) *Value {
	ev.charge(o, 0)
	s := "false"
	if b {
		s = "true"
	}
	return &Value{src: o.src, off: o.off, kind: KindBool, s: s}
}

func (ev *evaluator) null(o origin) *Value {
	ev.charge(o, 0)
	return &Value{src: o.src, off: o.off, kind: KindNull}
}

func (ev *evaluator) arr(o origin, kids []Value) *Value {
	ev.charge(o, 80*len(kids))
	return &Value{src: o.src, off: o.off, kind: KindArray, kids: kids, flags: unresolvedIn(kids)}
}

func (ev *evaluator) obj(o origin, keys []string, kids []Value) *Value {
	ev.charge(o, 96*len(kids))
	return &Value{src: o.src, off: o.off, kind: KindObject, keys: keys, kids: kids, flags: unresolvedIn(kids)}
}

// unresolvedIn returns flagUnresolved if a value of kids is or holds an
// unresolved value.
func unresolvedIn(kids []Value) uint8 {
	for i := range kids {
		if kids[i].kind == KindUnresolved || kids[i].flags&flagUnresolved != 0 {
			return flagUnresolved
		}
	}
	return 0
}

// tick counts n units of work and reports whether evaluation goes on.
func (ev *evaluator) tick(o origin, n int) bool {
	ev.steps += n
	if ev.steps > ev.lim.MaxSteps {
		ev.limit(o, "template evaluation takes more than %d steps (Limits.MaxSteps)", ev.lim.MaxSteps)
	}
	return !ev.stop
}

// unres returns an unresolved value with the reason.
func (ev *evaluator) unres(o origin, reason string) *Value {
	return &Value{src: o.src, off: o.off, kind: KindUnresolved, s: reason}
}

// fault returns an unresolved value whose reason is a problem found at o.
func (ev *evaluator) fault(o origin, format string, args ...any) *Value {
	return ev.unres(o, fmt.Sprintf(format, args...)+" (at "+o.Pos().String()+")")
}

// rehome returns u, an unresolved value, positioned at o.
func (ev *evaluator) rehome(o origin, u *Value) *Value {
	if originOf(u) == o {
		return u
	}
	return ev.unres(o, u.s)
}

// limit reports a limit reached at o and stops the evaluation.
func (ev *evaluator) limit(o origin, format string, args ...any) {
	if ev.stop {
		return
	}
	ev.stop = true
	ev.errs.add(&Error{Pos: o.Pos(), Detail: fmt.Sprintf(format, args...), Kind: ErrLimit})
}

// step counts one unit of work and reports whether evaluation goes on.
func (ev *evaluator) step(o origin) bool {
	ev.steps++
	if ev.steps > ev.lim.MaxSteps {
		ev.limit(o, "template evaluation takes more than %d steps (Limits.MaxSteps)", ev.lim.MaxSteps)
	}
	return !ev.stop
}

// stopped is the value of anything evaluated after a limit was reached.
func (ev *evaluator) stopped(o origin) *Value {
	return ev.unres(o, "evaluation stopped at a limit")
}

// fail reports a hard error at o, once per position.
func (ev *evaluator) fail(o origin, res, field string, cat error, format string, args ...any) {
	if ev.reported[o] {
		return
	}
	ev.reported[o] = true
	ev.errs.addf(o.Pos(), res, field, cat, format, args...)
}

// failc reports a hard error in the context c, at o.
func (ev *evaluator) failc(c *ctx, o origin, format string, args ...any) {
	ev.fail(o, c.res, ev.pathString(), ErrExpression, format, args...)
}

// pathSeg is one step of a field path: a key, or an index when idx >= 0.
type pathSeg struct {
	key string
	idx int
}

// field returns the path of one field.
func field(k string) []pathSeg { return []pathSeg{{key: k, idx: -1}} }

// pathString formats ev.path as "properties.subnets[0].name".
func (ev *evaluator) pathString() string {
	var b strings.Builder
	for i, p := range ev.path {
		switch {
		case p.idx >= 0:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(p.idx))
			b.WriteByte(']')
		case i > 0:
			b.WriteByte('.')
			b.WriteString(p.key)
		default:
			b.WriteString(p.key)
		}
	}
	return b.String()
}

// failed returns the unresolved value of an expression whose error failc
// reported, so that what depends on it is not reported again.
func (ev *evaluator) failed(o origin, format string, args ...any) *Value {
	u := ev.fault(o, format, args...)
	ev.hard[u.s] = true
	return u
}

// parse returns the parsed expression s, from the cache.
func (ev *evaluator) parse(s string) *parsedExpr {
	if p, ok := ev.exprs[s]; ok {
		return p
	}
	n, err := parseExpr(s)
	p := &parsedExpr{n: n}
	if err != nil {
		p.err = err.(*exprError)
	}
	if len(ev.exprs) < 100000 {
		ev.exprs[s] = p
	}
	return p
}

// exactText reports whether v's JSON text in its source is its string value
// between quotes, so that offsets in the value are offsets in the source.
func exactText(v *Value) bool {
	if v.src == nil || v.src.whole {
		return false
	}
	t, i := v.src.text, int(v.off)
	return i+len(v.s)+1 < len(t) && t[i] == '"' && t[i+1:i+1+len(v.s)] == v.s && t[i+1+len(v.s)] == '"'
}

// evalString evaluates a template string: an expression, an escaped
// literal ("[[...]" reads "[...]"), or a plain string.
func (ev *evaluator) evalString(c *ctx, v *Value) *Value {
	s := v.s
	if !isExpr(s) {
		if len(s) >= 3 && s[0] == '[' && s[1] == '[' && s[len(s)-1] == ']' {
			return ev.str(originOf(v), s[1:])
		}
		return v
	}
	o := originOf(v)
	if !ev.step(o) {
		return ev.stopped(o)
	}
	p := ev.parse(s)
	if p.err != nil {
		eo := o
		if exactText(v) {
			eo.off += 1 + uint32(p.err.off)
		}
		ev.failc(c, eo, "invalid template expression %q: %s", truncate(s, 200), p.err.msg)
		return ev.failed(eo, "invalid expression")
	}
	base, exact := ev.base, ev.exact
	ev.base, ev.exact = v, exactText(v)
	r := ev.eval(c, p.n)
	ev.base, ev.exact = base, exact
	if r.kind == KindUnresolved {
		return ev.rehome(o, r)
	}
	return r
}

// evalValue evaluates a template value: its strings, and property copy
// loops in its objects. Parts without expressions are shared, not copied.
func (ev *evaluator) evalValue(c *ctx, v *Value) *Value {
	if v == nil {
		return nil
	}
	o := originOf(v)
	if !ev.step(o) {
		return ev.stopped(o)
	}
	switch v.kind {
	case KindString:
		return ev.evalString(c, v)
	case KindArray:
		var kids []Value
		n := len(ev.path)
		for i := range v.kids {
			ev.path = append(ev.path, pathSeg{idx: i})
			r := ev.evalValue(c, &v.kids[i])
			ev.path = ev.path[:n]
			if r != &v.kids[i] && kids == nil {
				kids = make([]Value, len(v.kids))
				copy(kids, v.kids[:i])
			}
			if kids != nil {
				kids[i] = *r
			}
		}
		if kids == nil {
			return v
		}
		return ev.arr(o, kids)
	case KindObject:
		var keys []string
		var kids []Value
		changed := false
		n := len(ev.path)
		for i := range v.kids {
			k := v.keys[i]
			if strings.EqualFold(k, "copy") && isPropertyCopy(&v.kids[i]) {
				if !changed {
					keys, kids = slices.Clone(v.keys[:i]), slices.Clone(v.kids[:i])
					changed = true
				}
				for _, l := range v.kids[i].kids {
					name, val := ev.propertyCopy(c, &l)
					if name != "" {
						keys = append(keys, name)
						kids = append(kids, *val)
					}
				}
				continue
			}
			ev.path = append(ev.path, pathSeg{key: k, idx: -1})
			r := ev.evalValue(c, &v.kids[i])
			ev.path = ev.path[:n]
			if r != &v.kids[i] && !changed {
				keys, kids = slices.Clone(v.keys[:i]), slices.Clone(v.kids[:i])
				changed = true
			}
			if changed {
				keys = append(keys, k)
				kids = append(kids, *r)
			}
		}
		if !changed {
			return v
		}
		r := ev.obj(o, keys, kids)
		r.dup = v.dup
		return r
	}
	return v
}

// isPropertyCopy reports whether v, the value of a "copy" member inside a
// resource's properties or a variable, is a list of property copy loops
// ("Property iteration in ARM templates"): objects with name, count and
// input.
func isPropertyCopy(v *Value) bool {
	if v.kind != KindArray || len(v.kids) == 0 {
		return false
	}
	for i := range v.kids {
		l := &v.kids[i]
		if l.kind != KindObject || l.Get("name") == nil || !has(l, "count") || !has(l, "input") {
			return false
		}
	}
	return true
}

// propertyCopy evaluates one property copy loop, returning the property's
// name and its array value.
func (ev *evaluator) propertyCopy(c *ctx, l *Value) (string, *Value) {
	name, ok := ev.evalValue(c, l.Get("name")).Str()
	if !ok {
		ev.failc(c, originOf(l.Get("name")), "the name of a property copy loop must be a string")
		return "", nil
	}
	count, bad := ev.copyCount(c, l.Get("count"))
	if bad != nil {
		return name, bad
	}
	input := l.Get("input")
	elems := make([]Value, 0, count)
	for i := range count {
		r := ev.evalValue(c.with(loop{name: name, index: i, kind: loopProperty}), input)
		if r == nil {
			r = ev.null(originOf(l))
		}
		elems = append(elems, *r)
		if ev.stop {
			break
		}
	}
	return name, ev.arr(originOf(l), elems)
}

// copyCount evaluates the count of a copy loop: an integer from 0 to
// Limits.MaxCopy. An unresolved or invalid count is returned as bad.
func (ev *evaluator) copyCount(c *ctx, cv *Value) (n int, bad *Value) {
	if cv == nil {
		ev.failc(c, ev.cur(c), "copy loop has no count")
		return 0, ev.failed(ev.cur(c), "copy loop has no count")
	}
	v := ev.evalValue(c, cv)
	if v.kind == KindUnresolved {
		return 0, v
	}
	o := originOf(cv)
	k, ok := v.Int()
	switch {
	case !ok:
		ev.failc(c, o, "copy count must be an integer, found %s", describe(v))
		return 0, ev.failed(o, "invalid copy count")
	case k < 0:
		ev.failc(c, o, "copy count %d is negative", k)
		return 0, ev.failed(o, "invalid copy count")
	case k > int64(ev.lim.MaxCopy):
		ev.fail(o, c.res, ev.pathString(), ErrLimit, "copy count %d is over the limit of %d iterations (Azure's limit; Limits.MaxCopy)", k, ev.lim.MaxCopy)
		return 0, ev.failed(o, "copy count over the limit")
	}
	return int(k), nil
}

// cur is the origin of the value being evaluated in c.
func (ev *evaluator) cur(c *ctx) origin {
	if ev.base != nil {
		return originOf(ev.base)
	}
	return origin{src: ev.src}
}

// describe names a value's kind and, for scalars, its value, for messages.
func describe(v *Value) string {
	switch v.Kind() {
	case KindString:
		return "string " + strconv.Quote(truncate(v.s, 60))
	case KindNumber, KindBool:
		return v.Kind().String() + " " + v.s
	}
	return v.Kind().String()
}

// eval evaluates an expression node.
func (ev *evaluator) eval(c *ctx, n *node) *Value {
	o := ev.at(n)
	if !ev.step(o) {
		return ev.stopped(o)
	}
	switch n.kind {
	case nString, nInt, nBool, nNull:
		// Literals are immutable values: one per position is enough (a
		// copy loop evaluates the same string again and again).
		if n.lit != nil && originOf(n.lit) == o {
			return n.lit
		}
		switch n.kind {
		case nString:
			n.lit = ev.str(o, n.str)
		case nInt:
			n.lit = ev.num(o, n.num)
		case nBool:
			n.lit = ev.boolean(o, n.num == 1)
		default:
			n.lit = ev.null(o)
		}
		return n.lit
	case nProp:
		x := ev.eval(c, n.args[0])
		return ev.member(o, x, n.str)
	case nIndex:
		x := ev.eval(c, n.args[0])
		i := ev.eval(c, n.args[1])
		return ev.index(o, x, i)
	}
	return ev.call(c, n, o)
}

// member returns property name of x.
func (ev *evaluator) member(o origin, x *Value, name string) *Value {
	switch x.kind {
	case KindUnresolved:
		return ev.rehome(o, x)
	case KindObject:
		m, ok := memberOf(x, name)
		for i, k := range x.keys { // an exact match wins, unless keys repeat
			if k == name && !x.dup {
				m, ok = &x.kids[i], true
				break
			}
		}
		if !ok {
			if why, open := ev.open[x]; open {
				return ev.unres(o, fmt.Sprintf("%s: property %q is runtime state that the template does not declare", why, name))
			}
			return ev.fault(o, "the object has no property %q (it has %s)", name, keyList(x))
		}
		if why, open := ev.open[x]; open && (m.kind == KindObject || m.kind == KindArray) {
			ev.open[m] = why + "." + name
		}
		return m
	case KindNull:
		return ev.fault(o, "cannot read property %q of null", name)
	}
	return ev.fault(o, "cannot read property %q of %s", name, describe(x))
}

// index returns x[i].
func (ev *evaluator) index(o origin, x, i *Value) *Value {
	if x.kind == KindUnresolved {
		return ev.rehome(o, x)
	}
	if i.kind == KindUnresolved {
		return ev.rehome(o, i)
	}
	switch x.kind {
	case KindArray:
		k, ok := i.Int()
		if !ok {
			return ev.fault(o, "an array index must be an integer, found %s", describe(i))
		}
		if k < 0 || k >= int64(len(x.kids)) {
			if why, open := ev.open[x]; open {
				return ev.unres(o, fmt.Sprintf("%s[%d] is runtime state that the template does not declare", why, k))
			}
			return ev.fault(o, "index %d is out of range: the array has %d elements", k, len(x.kids))
		}
		m := &x.kids[k]
		if why, open := ev.open[x]; open && (m.kind == KindObject || m.kind == KindArray) {
			ev.open[m] = fmt.Sprintf("%s[%d]", why, k)
		}
		return m
	case KindObject:
		s, ok := i.Str()
		if !ok {
			return ev.fault(o, "an object index must be a string, found %s", describe(i))
		}
		return ev.member(o, x, s)
	}
	return ev.fault(o, "cannot index %s", describe(x))
}

// firstUnresolved returns the first unresolved value in v, or nil. Cost:
// O(depth), following the flags of evaluated containers.
func firstUnresolved(v *Value) *Value {
	switch {
	case v == nil:
		return nil
	case v.kind == KindUnresolved:
		return v
	case v.flags&flagUnresolved == 0:
		return nil
	}
	for i := range v.kids {
		if u := firstUnresolved(&v.kids[i]); u != nil {
			return u
		}
	}
	return nil
}

// newTemplate prepares a template for evaluation: its scope, parameters
// (with the given values), variables and functions. fn is the template whose
// parameters, variables and functions its expressions use: nil for its own
// (the root and inner-scope nested templates), or the parent for an
// outer-scope nested template.
func (ev *evaluator) newTemplate(decl *Value, fn *tmpl, scope deployScope, name string, depth int, givens map[string]given, givenPos map[string]origin, res string) *tmpl {
	t := &tmpl{ev: ev, decl: decl, scope: scope, name: name, depth: depth, syms: map[string]*symbol{}}
	if decl.Kind() != KindObject {
		ev.fail(originOf(decl), res, "properties.template", ErrFormat, "expected a template object, found %s", decl.Kind())
		return nil
	}
	schema, _ := decl.Get("$schema").Str()
	schema = strings.ToLower(schema)
	switch {
	case strings.Contains(schema, "subscriptiondeploymenttemplate"):
		t.sub = true
		t.scope.rg = ""
	case strings.Contains(schema, "managementgroupdeploymenttemplate"), strings.Contains(schema, "tenantdeploymenttemplate"):
		ev.fail(originOf(decl.Get("$schema")), res, "$schema", ErrFormat, "management-group and tenant deployment templates are not supported: egress reads resource-group and subscription deployments")
		return nil
	}
	if scope.rg == "" {
		t.sub = true
	}
	if lv, ok := decl.Get("languageVersion").Str(); ok && strings.HasPrefix(lv, "2.") {
		t.v2 = true
	}
	if fn != nil {
		t.fn = fn
	} else {
		t.fn = t
		t.declareParams(givens, givenPos, res)
		t.declareVars()
		t.declareFuncs()
	}
	return t
}

// The basic parameter types ("Data types in ARM templates").
var paramTypes = map[string]bool{"string": true, "securestring": true, "int": true, "bool": true, "object": true, "secureobject": true, "array": true}

func (t *tmpl) declareParams(givens map[string]given, givenPos map[string]origin, res string) {
	ev := t.ev
	t.params = map[string]*param{}
	ps := t.decl.Get("parameters")
	switch ps.Kind() {
	case KindAbsent:
	case KindObject:
		for name, d := range ps.Members() {
			if d.Kind() != KindObject {
				ev.fail(originOf(d), "", "parameters."+name, ErrFormat, "expected a parameter declaration object, found %s", d.Kind())
				continue
			}
			typ, _ := d.Get("type").Str()
			typ = strings.ToLower(typ)
			if !paramTypes[typ] {
				typ = "" // user-defined types ($ref) are not checked
			}
			t.params[strings.ToLower(name)] = &param{name: name, decl: d, typ: typ}
			t.pnames = append(t.pnames, name)
		}
	default:
		ev.fail(originOf(ps), "", "parameters", ErrFormat, "expected an object of parameter declarations, found %s", ps.Kind())
	}
	if t.depth == 0 {
		givens = ev.opts.Parameters.bind(t.params)
	}
	for k, g := range givens {
		p := t.params[k]
		if p == nil {
			ev.fail(givenPos[k], res, "properties.parameters."+k, ErrParameter, "the nested template declares no parameter %q (it declares %s)", k, nameList(t.pnames))
			continue
		}
		p.given, p.has = g, true
	}
}

func (t *tmpl) declareVars() {
	ev := t.ev
	t.vars = map[string]*variable{}
	vs := t.decl.Get("variables")
	switch vs.Kind() {
	case KindAbsent:
		return
	case KindObject:
	default:
		ev.fail(originOf(vs), "", "variables", ErrFormat, "expected an object of variables, found %s", vs.Kind())
		return
	}
	add := func(name string, v *variable, at *Value) {
		k := strings.ToLower(name)
		if t.vars[k] != nil {
			ev.fail(originOf(at), "", "variables."+name, ErrFormat, "variable %q is declared twice (names are case-insensitive)", name)
			return
		}
		t.vars[k] = v
	}
	for name, d := range vs.Members() {
		if strings.EqualFold(name, "copy") && d.Kind() == KindArray {
			// Variable iteration: each loop is a variable.
			for _, l := range d.Elems() {
				n, ok := l.Get("name").Str()
				if l.Kind() != KindObject || !ok || !has(l, "count") || !has(l, "input") {
					ev.fail(originOf(l), "", "variables.copy", ErrFormat, "a variable copy loop is an object with a string name, count and input")
					continue
				}
				add(n, &variable{name: n, loop: l}, l)
			}
			continue
		}
		add(name, &variable{name: name, decl: d}, d)
	}
}

func (t *tmpl) declareFuncs() {
	ev := t.ev
	fs := t.decl.Get("functions")
	if fs == nil {
		return
	}
	t.funcs = map[string]*userFunc{}
	for _, ns := range fs.Elems() {
		nsName, _ := ns.Get("namespace").Str()
		for mname, m := range ns.Get("members").Members() {
			f := &userFunc{out: m.Get("output").Get("value")}
			for _, p := range m.Get("parameters").Elems() {
				pn, _ := p.Get("name").Str()
				f.params = append(f.params, pn)
			}
			if f.out == nil {
				ev.fail(originOf(m), "", "functions."+nsName+"."+mname, ErrFormat, "user-defined function has no output value")
				continue
			}
			t.funcs[strings.ToLower(nsName+"."+mname)] = f
		}
	}
}

// nameList formats names for a message.
func nameList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	var b strings.Builder
	for i, n := range names {
		if i == 8 {
			fmt.Fprintf(&b, ", ... %d more", len(names)-8)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(truncate(n, 60)))
	}
	return b.String()
}

// parameter returns the value of parameter name of c's template.
func (ev *evaluator) parameter(c *ctx, o origin, name string) *Value {
	if c.fnArgs != nil {
		if v, ok := c.fnArgs[strings.ToLower(name)]; ok {
			return v
		}
		ev.failc(c, o, "the user-defined function has no parameter %q", name)
		return ev.failed(o, "no such parameter")
	}
	t := c.t
	p := t.params[strings.ToLower(name)]
	if p == nil {
		ev.failc(c, o, "parameter %q is not declared (the template declares %s)", name, nameList(t.pnames))
		return ev.failed(o, "undeclared parameter %q", name)
	}
	switch p.state {
	case done:
		return p.val
	case doing:
		ev.failc(c, o, "parameter %q refers to itself through its defaultValue", name)
		return ev.failed(o, "circular parameter %q", name)
	}
	p.state = doing
	p.val = ev.paramValue(t, p)
	p.state = done
	return p.val
}

// paramValue computes a parameter's value: the given one, else the
// defaultValue, else null for a nullable parameter, else unresolved.
func (ev *evaluator) paramValue(t *tmpl, p *param) *Value {
	field0 := "parameters." + p.name
	dp := originOf(p.decl)
	var v *Value
	switch {
	case p.has && p.given.ref:
		return ev.unres(originOf(p.given.v), fmt.Sprintf("parameter %q is a Key Vault reference (secret %s), which cannot be read offline", p.name, refName(p.given.v)))
	case p.has && p.given.text != nil:
		v = ev.convertOverride(p, p.given.text)
		if v == nil {
			return ev.fault(originOf(p.decl), "invalid parameter override")
		}
	case p.has && p.given.v.Kind() != KindNull:
		v = p.given.v
	case p.decl.Get("defaultValue") != nil:
		c := &ctx{t: t, inDefault: true, res: ""}
		saved := ev.path
		ev.path = field(field0 + ".defaultValue")
		v = ev.evalValue(c, p.decl.Get("defaultValue"))
		ev.path = saved
		if v.kind == KindUnresolved && !ev.hard[v.s] {
			return ev.unres(originOf(v), fmt.Sprintf("parameter %q has no value, and its defaultValue cannot be evaluated offline: %s", p.name, v.s))
		}
	default:
		if nb, _ := p.decl.Get("nullable").Bool(); nb {
			return ev.null(dp)
		}
		return ev.unres(dp, fmt.Sprintf("parameter %q has no value: give one in a parameters file or as %s=VALUE (declared at %s)", p.name, p.name, dp.Pos()))
	}
	if v.kind == KindUnresolved || firstUnresolved(v) != nil {
		return v
	}
	ev.checkParam(t, p, v)
	return v
}

// refName describes a Key Vault reference for a message.
func refName(ref *Value) string {
	s, ok := ref.Get("secretName").Str()
	if !ok {
		return "(not a literal)"
	}
	return strconv.Quote(s)
}

// convertOverride reads a name=value override as the parameter's type.
func (ev *evaluator) convertOverride(p *param, o *override) *Value {
	at := origin{src: o.src}
	bad := func(format string, args ...any) *Value {
		ev.fail(at, "", "parameters."+p.name, ErrParameter, format, args...)
		return nil
	}
	switch p.typ {
	case "string", "securestring":
		return ev.str(at, o.text)
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(o.text), 10, 64)
		if err != nil {
			return bad("parameter %q is of type int: %q is not an integer", p.name, o.text)
		}
		return ev.num(at, n)
	case "bool":
		switch strings.ToLower(strings.TrimSpace(o.text)) {
		case "true":
			return ev.boolean(at, true)
		case "false":
			return ev.boolean(at, false)
		}
		return bad("parameter %q is of type bool: want true or false, not %q", p.name, o.text)
	}
	// array, object and user-defined types: JSON; strings as they are.
	v, err := ev.parseJSON(at, o.text)
	if err != nil {
		if p.typ == "" {
			return ev.str(at, o.text)
		}
		return bad("parameter %q is of type %s: %q is not JSON: %v", p.name, p.typ, truncate(o.text, 100), err)
	}
	return v
}

// checkParam checks a parameter value against its declared type and
// constraints ("Parameters in ARM templates": allowedValues, minValue,
// maxValue, minLength, maxLength).
func (ev *evaluator) checkParam(t *tmpl, p *param, v *Value) {
	o := originOf(v)
	field := "parameters." + p.name
	bad := func(format string, args ...any) {
		ev.fail(o, "", field, ErrParameter, format, args...)
	}
	want := map[string]Kind{"string": KindString, "securestring": KindString, "int": KindNumber, "bool": KindBool,
		"object": KindObject, "secureobject": KindObject, "array": KindArray}[p.typ]
	if p.typ != "" && v.kind != want && !(v.kind == KindNull && isNullable(p.decl)) {
		bad("parameter %q is of type %s, but its value is %s", p.name, p.typ, describe(v))
		return
	}
	if p.typ == "int" {
		if _, ok := v.Int(); !ok {
			bad("parameter %q is of type int, but its value %s is not an integer", p.name, v.s)
			return
		}
	}
	if av := p.decl.Get("allowedValues"); av.Kind() == KindArray {
		in := func(x *Value) bool {
			for _, a := range av.Elems() {
				if ev.equal(originOf(v), a, x) {
					return true
				}
			}
			return false
		}
		if v.kind == KindArray {
			for _, e := range v.Elems() {
				if !in(e) {
					bad("parameter %q: %s is not one of its allowedValues", p.name, jsonText(e, 100))
					return
				}
			}
		} else if !in(v) {
			bad("parameter %q: %s is not one of its allowedValues", p.name, jsonText(v, 100))
			return
		}
	}
	if n, ok := v.Int(); ok {
		if lo, ok := p.decl.Get("minValue").Int(); ok && n < lo {
			bad("parameter %q: %d is below its minValue %d", p.name, n, lo)
		}
		if hi, ok := p.decl.Get("maxValue").Int(); ok && n > hi {
			bad("parameter %q: %d is above its maxValue %d", p.name, n, hi)
		}
	}
	if v.kind == KindString || v.kind == KindArray {
		l := int64(len(v.kids))
		if v.kind == KindString {
			l = int64(u16len(v.s))
		}
		if lo, ok := p.decl.Get("minLength").Int(); ok && l < lo {
			bad("parameter %q: length %d is below its minLength %d", p.name, l, lo)
		}
		if hi, ok := p.decl.Get("maxLength").Int(); ok && l > hi {
			bad("parameter %q: length %d is above its maxLength %d", p.name, l, hi)
		}
	}
}

func isNullable(decl *Value) bool {
	b, _ := decl.Get("nullable").Bool()
	return b
}

// variable returns the value of variable name of c's template.
func (ev *evaluator) variable(c *ctx, o origin, name string) *Value {
	if c.inFunc {
		ev.failc(c, o, "user-defined functions cannot use variables")
		return ev.failed(o, "variables() in a function")
	}
	t := c.t
	v := t.vars[strings.ToLower(name)]
	if v == nil {
		names := make([]string, 0, len(t.vars))
		for _, x := range t.vars {
			names = append(names, x.name)
		}
		slices.Sort(names)
		ev.failc(c, o, "variable %q is not declared (the template declares %s)", name, nameList(names))
		return ev.failed(o, "undeclared variable %q", name)
	}
	switch v.state {
	case done:
		return v.val
	case doing:
		ev.failc(c, o, "variable %q refers to itself", name)
		return ev.failed(o, "circular variable %q", name)
	}
	v.state = doing
	vc := &ctx{t: t}
	saved := ev.path
	ev.path = field("variables." + v.name)
	if v.loop != nil {
		lo := originOf(v.loop)
		count, bad := ev.copyCount(vc, v.loop.Get("count"))
		if bad != nil {
			v.val = bad
		} else {
			input := v.loop.Get("input")
			elems := make([]Value, 0, count)
			for i := range count {
				r := ev.evalValue(vc.with(loop{name: v.name, index: i, kind: loopVariable}), input)
				if r == nil {
					r = ev.null(lo)
				}
				elems = append(elems, *r)
				if ev.stop {
					break
				}
			}
			v.val = ev.arr(lo, elems)
		}
	} else {
		v.val = ev.evalValue(vc, v.decl)
		if v.val == nil {
			v.val = ev.null(originOf(v.decl))
		}
	}
	ev.path = saved
	v.state = done
	return v.val
}

// declareAll declares the template's resources.
func (t *tmpl) declareAll(res string) {
	ev := t.ev
	rs := t.decl.Get("resources")
	switch rs.Kind() {
	case KindAbsent:
	case KindArray:
		for i, r := range rs.Elems() {
			t.declare(r, nil, "resources["+strconv.Itoa(i)+"]", "")
		}
	case KindObject:
		for name, r := range rs.Members() {
			t.declare(r, nil, "resources."+name, name)
		}
	default:
		ev.fail(originOf(rs), res, "resources", ErrFormat, "expected an array or (languageVersion 2.0) an object of resources, found %s", rs.Kind())
	}
}

// typeDeployments is the type of nested deployments.
const typeDeployments = "Microsoft.Resources/deployments"

// declare declares template resource decl, nested in parent if not nil, and
// its nested children: each copy whose condition holds, with its type, name
// and ID.
func (t *tmpl) declare(decl *Value, parent *inst, where, sym string) {
	ev := t.ev
	if ev.stop {
		return
	}
	if decl.Kind() != KindObject {
		ev.fail(originOf(decl), "", where, ErrFormat, "expected a template resource object, found %s", decl.Kind())
		return
	}
	var loops []loop
	if parent != nil {
		loops = parent.loops
	} else {
		loops = t.loops
	}
	c := &ctx{t: t.fn, loops: loops, res: where}
	if ex, _ := decl.Get("existing").Bool(); ex {
		// A reference to a resource deployed elsewhere (languageVersion 2.0).
		if sym != "" {
			t.syms[sym] = &symbol{existing: decl}
		}
		return
	}
	ptype, pname := "", ""
	if parent != nil {
		ptype, pname = parent.typ, parent.name
	}
	// The type: literal in practice, but may be an expression.
	tv := decl.Get("type")
	if tv == nil {
		ev.fail(originOf(decl), "", "type", ErrFormat, "template resource %s has no \"type\"", where)
		return
	}
	saved := ev.path
	defer func() { ev.path = saved }()
	ev.path = field("type")
	typ, ok := ev.evalValue(c, tv).Str()
	if !ok {
		ev.identity(c, tv, "", where, "type", ev.evalValue(c, tv))
		return
	}
	var sy *symbol
	if sym != "" {
		sy = &symbol{}
		t.syms[sym] = sy
	}
	count, copyName := 1, ""
	cp := decl.Get("copy")
	if cp != nil {
		sy.setCopied()
		if cp.Kind() != KindObject {
			ev.fail(originOf(cp), "", where+".copy", ErrFormat, "a resource copy loop is an object with name and count, found %s", cp.Kind())
			return
		}
		ev.path = field("copy.name")
		copyName, _ = ev.evalValue(c, cp.Get("name")).Str()
		ev.path = field("copy.count")
		n, bad := ev.copyCount(c, cp.Get("count"))
		if bad != nil {
			ev.identity(c, cp.Get("count"), typ, where, "copy.count", bad)
			return
		}
		count = n
	}
	for i := range count {
		ci := c
		if cp != nil {
			ci = c.with(loop{name: copyName, index: i, kind: loopResource})
		}
		if !t.declareOne(ci, decl, parent, where, typ, ptype, pname, sy, i) {
			return
		}
		if ev.stop {
			return
		}
	}
}

func (s *symbol) setCopied() {
	if s != nil {
		s.copied = true
	}
}

// declareOne declares one copy of a resource; it returns false when the
// remaining copies are not worth declaring (an identity error).
func (t *tmpl) declareOne(c *ctx, decl *Value, parent *inst, where, typ, ptype, pname string, sy *symbol, index int) bool {
	ev := t.ev
	if cv := decl.Get("condition"); cv != nil {
		ev.path = field("condition")
		v := ev.evalValue(c, cv)
		b, ok := v.Bool()
		if !ok {
			if v.kind != KindUnresolved {
				v = ev.fault(originOf(cv), "condition must be true or false, found %s", describe(v))
			}
			ev.identity(c, cv, typ, where, "condition", v)
			return false
		}
		if !b {
			if sy != nil {
				sy.insts = append(sy.insts, nil)
			}
			return true
		}
	}
	nv := decl.Get("name")
	if nv == nil {
		ev.fail(originOf(decl), "", "name", ErrFormat, "template resource %s has no \"name\"", where)
		return false
	}
	ev.path = field("name")
	nval := ev.evalValue(c, nv)
	name, ok := nval.Str()
	if !ok {
		if nval.kind != KindUnresolved {
			nval = ev.fault(originOf(nv), "the name must be a string, found %s", describe(nval))
		}
		ev.identity(c, nv, typ, where, "name", nval)
		return false
	}
	fullType, fullName := childTypeName(ptype, pname, typ, name)
	if t.sub && parent == nil && strings.EqualFold(fullType, "Microsoft.Resources/resourceGroups") {
		return true // a subscription deployment's resource group: a container
	}
	var scopeID string
	if sv := decl.Get("scope"); sv != nil {
		ev.path = field("scope")
		s := ev.evalValue(c, sv)
		scopeID, ok = s.Str()
		if !ok {
			ev.identity(c, sv, fullType, where, "scope", s)
			return false
		}
	}
	i := &inst{t: t, decl: decl, where: where, loops: c.loops, typ: fullType, name: fullName,
		sub: t.scope.sub, rg: t.scope.rg}
	if strings.EqualFold(fullType, typeDeployments) && parent == nil {
		i.deploy = true
		i.target = t.scope
		if v := decl.Get("subscriptionId"); v != nil {
			ev.path = field("subscriptionId")
			s := ev.evalValue(c, v)
			sub, ok := s.Str()
			if !ok {
				ev.identity(c, v, fullType, where, "subscriptionId", s)
				return false
			}
			if !strings.EqualFold(sub, i.target.sub) {
				i.target = deployScope{sub: sub, rg: i.target.rg, locWhy: fmt.Sprintf("the location of the resource groups of subscription %q is not known offline", sub)}
			}
		}
		if v := decl.Get("resourceGroup"); v != nil {
			ev.path = field("resourceGroup")
			s := ev.evalValue(c, v)
			rg, ok := s.Str()
			if !ok {
				ev.identity(c, v, fullType, where, "resourceGroup", s)
				return false
			}
			if !strings.EqualFold(rg, i.target.rg) || i.target.sub != t.scope.sub {
				loc, why := "", fmt.Sprintf("the location of resource group %q is not known offline", rg)
				if strings.EqualFold(rg, t.scope.rg) && strings.EqualFold(i.target.sub, t.scope.sub) {
					loc, why = t.scope.loc, t.scope.locWhy
				}
				i.target = deployScope{sub: i.target.sub, rg: rg, loc: loc, locWhy: why}
			}
		}
		i.sub, i.rg = i.target.sub, i.target.rg
	}
	id, err := buildID(i.sub, i.rg, scopeID, fullType, fullName)
	if err != nil {
		ev.fail(originOf(nv), "", "name", ErrFormat, "template resource %s %q (%s): %v", where, truncate(fullName, 80), truncate(fullType, 80), err)
		return false
	}
	i.id = id
	c.res = id
	ev.nres++
	if ev.nres > ev.lim.MaxResources {
		ev.limit(originOf(decl), "the template declares more than %d resources, copies and nested deployments included (Limits.MaxResources)", ev.lim.MaxResources)
		return false
	}
	t.insts = append(t.insts, i)
	if k := Key(id); ev.byID[k] == nil {
		ev.byID[k] = i
	}
	if sy != nil {
		for len(sy.insts) < index {
			sy.insts = append(sy.insts, nil)
		}
		sy.insts = append(sy.insts, i)
	}
	if i.deploy {
		ev.pending = append(ev.pending, i)
	}
	kids := decl.Get("resources")
	switch kids.Kind() {
	case KindArray:
		for j, k := range kids.Elems() {
			t.declare(k, i, where+".resources["+strconv.Itoa(j)+"]", "")
		}
	case KindObject:
		for name, k := range kids.Members() {
			t.declare(k, i, where+".resources."+name, "")
		}
	case KindAbsent:
	default:
		ev.fail(originOf(kids), id, "resources", ErrFormat, "expected an array of nested resources, found %s", kids.Kind())
	}
	return true
}

// identity handles a resource whose type, name, condition, copy count or
// scope cannot be evaluated: an error if the caller needs its type, and
// otherwise the resource is left out.
func (ev *evaluator) identity(c *ctx, at *Value, typ, where, field string, v *Value) {
	if typ != "" && ev.opts.Needed != nil && !ev.opts.Needed(typ) || ev.hard[v.s] || ev.stop {
		return
	}
	why := v.s
	if v.kind != KindUnresolved {
		why = describe(v)
	}
	label := where
	if typ != "" {
		label += " (" + truncate(typ, 80) + ")"
	}
	ev.fail(originOf(at), "", field, ErrExpression, "template resource %s: its %s cannot be evaluated offline: %s", label, field, why)
}

// buildID builds a resource ID: under an extension scope (an ID, or a
// "namespace/type/name" relative to the resource group) when scopeID is not
// empty, else under the subscription and resource group ("" for a
// subscription-level resource).
func buildID(sub, rg, scopeID, typ, name string) (string, error) {
	types := strings.Split(typ, "/")
	names := strings.Split(name, "/")
	if len(types) < 2 {
		return "", fmt.Errorf("type %q is not of the form {namespace}/{type}", truncate(typ, 200))
	}
	if len(names) != len(types)-1 {
		return "", fmt.Errorf("name %q has %d segments, type %q needs %d", truncate(name, 200), len(names), truncate(typ, 200), len(types)-1)
	}
	var b strings.Builder
	switch {
	case scopeID != "" && strings.HasPrefix(scopeID, "/"):
		b.WriteString(strings.TrimSuffix(scopeID, "/"))
	case scopeID != "":
		b.WriteString("/subscriptions/" + sub)
		if rg != "" {
			b.WriteString("/resourceGroups/" + rg)
		}
		b.WriteString("/providers/" + strings.Trim(scopeID, "/"))
	default:
		b.WriteString("/subscriptions/" + sub)
		if rg != "" {
			b.WriteString("/resourceGroups/" + rg)
		}
	}
	b.WriteString("/providers/")
	b.WriteString(types[0])
	for i, n := range names {
		b.WriteByte('/')
		b.WriteString(types[i+1])
		b.WriteByte('/')
		b.WriteString(n)
	}
	id := b.String()
	r, err := ParseID(id)
	if err != nil || !strings.EqualFold(r.Type(), typ) || r.Name() != name {
		if scopeID != "" {
			return "", fmt.Errorf("scope %q, type %q and name %q do not make a valid resource ID", truncate(scopeID, 200), truncate(typ, 200), truncate(name, 200))
		}
		return "", fmt.Errorf("type %q and name %q do not make a valid resource ID", truncate(typ, 200), truncate(name, 200))
	}
	return id, nil
}

// expandPending expands the nested deployments declared so far, and those
// they declare.
func (ev *evaluator) expandPending() {
	for len(ev.pending) > 0 && !ev.stop {
		d := ev.pending[0]
		ev.pending = ev.pending[1:]
		ev.expand(d)
	}
}

// expand evaluates a nested deployment's parameters and declares the
// resources of its inline template ("Using linked and nested templates when
// deploying Azure resources"): with expressionEvaluationOptions.scope
// "inner", the template has its own parameters, variables and scope; with
// "outer", the default, its expressions use the parent's. Either way its
// resources are deployed to the deployment's resourceGroup and
// subscriptionId.
func (ev *evaluator) expand(d *inst) {
	if d.istate != todo {
		return
	}
	d.istate = doing
	defer func() { d.istate = done }()
	c := &ctx{t: d.t.fn, loops: d.loops, res: d.id}
	saved := ev.path
	defer func() { ev.path = saved }()
	ev.path = nil
	props := d.decl.Get("properties")
	if tl := props.Get("templateLink"); tl != nil {
		ev.fail(originOf(tl), d.id, "properties.templateLink", ErrFormat,
			"a linked template cannot be read offline: download it and give it as a topology of its own, with its parameters")
		return
	}
	tpl := props.Get("template")
	if tpl == nil {
		ev.fail(originOf(d.decl), d.id, "properties.template", ErrFormat, "nested deployment has no \"template\"")
		return
	}
	if d.t.depth+1 > ev.lim.MaxNesting {
		ev.limit(originOf(tpl), "nested deployments nest deeper than %d levels (Limits.MaxNesting)", ev.lim.MaxNesting)
		return
	}
	inner := false
	if sv := props.Get("expressionEvaluationOptions").Get("scope"); sv != nil {
		s, _ := ev.evalValue(c, sv).Str()
		switch strings.ToLower(s) {
		case "inner":
			inner = true
		case "outer", "notspecified":
		default:
			ev.fail(originOf(sv), d.id, "properties.expressionEvaluationOptions.scope", ErrFormat, "want inner or outer, not %q", s)
		}
	}
	ps := props.Get("parameters")
	var t *tmpl
	if inner {
		givens := map[string]given{}
		pos := map[string]origin{}
		for name, p := range ps.Members() {
			k := strings.ToLower(name)
			pos[k] = originOf(p)
			ev.path = field("properties.parameters." + name)
			switch {
			case p.Get("reference") != nil:
				givens[k] = given{v: ev.evalValue(c, p.Get("reference")), ref: true}
			case has(p, "value"):
				v, _ := memberOf(p, "value")
				givens[k] = given{v: ev.evalValue(c, v)}
			default:
				ev.fail(originOf(p), d.id, "properties.parameters."+name, ErrFormat, "expected {\"value\": ...} or {\"reference\": ...}")
			}
		}
		t = ev.newTemplate(tpl, nil, d.target, d.name, d.t.depth+1, givens, pos, d.id)
	} else {
		if ps.Len() > 0 {
			ev.fail(originOf(ps), d.id, "properties.parameters", ErrFormat,
				"a nested template with the outer evaluation scope (the default) uses the parent's parameters; set expressionEvaluationOptions.scope to inner to pass parameters")
		}
		t = ev.newTemplate(tpl, d.t.fn, d.target, d.name, d.t.depth+1, nil, nil, d.id)
		if t != nil {
			t.loops = d.loops
		}
	}
	if t == nil {
		return
	}
	d.inner = t
	t.declareAll(d.id)
}

// body evaluates an instance's declaration, without copy, condition,
// dependsOn and nested resources. It returns nil for a circular reference.
func (ev *evaluator) body(i *inst) *Value {
	switch i.state {
	case done:
		return i.body
	case doing:
		return nil
	}
	i.state = doing
	saved := ev.path
	ev.path = nil
	c := &ctx{t: i.t.fn, loops: i.loops, res: i.id}
	d := i.decl
	keys := make([]string, 0, len(d.keys))
	kids := make([]Value, 0, len(d.kids))
	for j, k := range d.keys {
		switch strings.ToLower(k) {
		case "copy", "condition", "dependson", "existing":
			continue
		case "resources":
			if d.kids[j].kind == KindArray || d.kids[j].kind == KindObject {
				continue
			}
		}
		ev.path = append(ev.path[:0], pathSeg{key: k, idx: -1})
		v := ev.evalValue(c, &d.kids[j])
		keys = append(keys, k)
		kids = append(kids, *v)
	}
	ev.path = saved
	i.body = ev.obj(originOf(d), keys, kids)
	i.body.dup = d.dup
	i.state = done
	return i.body
}

// outputsOf returns a nested deployment's outputs as reference() shows them:
// {"name": {"type": ..., "value": ...}}.
func (ev *evaluator) outputsOf(t *tmpl) *Value {
	switch t.outState {
	case done:
		return t.outputs
	case doing:
		return nil
	}
	t.outState = doing
	defer func() { t.outState = done }()
	od := t.decl.Get("outputs")
	o := originOf(t.decl)
	if od != nil {
		o = originOf(od)
	}
	var keys []string
	var kids []Value
	c := &ctx{t: t.fn, loops: t.loops}
	for name, d := range od.Members() {
		var v *Value
		if cp := d.Get("copy"); cp != nil {
			count, bad := ev.copyCount(c, cp.Get("count"))
			if bad != nil {
				v = bad
			} else {
				elems := make([]Value, 0, count)
				for i := range count {
					r := ev.evalValue(c.with(loop{index: i, kind: loopOutput}), cp.Get("input"))
					if r == nil {
						r = ev.null(originOf(cp))
					}
					elems = append(elems, *r)
				}
				v = ev.arr(originOf(cp), elems)
			}
		} else {
			v = ev.evalValue(c, d.Get("value"))
			if v == nil {
				v = ev.null(originOf(d))
			}
		}
		typ := d.Get("type")
		if typ == nil {
			typ = ev.str(originOf(d), "")
		}
		keys = append(keys, name)
		kids = append(kids, *ev.obj(originOf(d), []string{"type", "value"}, []Value{*typ, *v}))
	}
	t.outputs = ev.obj(o, keys, kids)
	return t.outputs
}

// lookup finds the resource that reference() or resourceInfo() names: a
// languageVersion 2.0 symbolic name ("vnet", "subnets[2]"), a resource ID,
// or a resource name of the template. It returns an unresolved value when
// the resource is not in the template.
func (ev *evaluator) lookup(c *ctx, o origin, what string) (*inst, *Value) {
	t := c.t
	if sym, idx, ok := symbolicName(what); ok {
		if s := t.syms[sym]; s != nil {
			switch {
			case s.existing != nil:
				return nil, ev.unres(o, fmt.Sprintf("%q is an existing resource, deployed outside the template: its runtime state cannot be known offline (at %s)", what, o.Pos()))
			case idx < 0 && s.copied:
				return nil, ev.fault(o, "%q is a copy loop: name one of its copies, such as '%s[0]'", what, sym)
			case idx < 0 && len(s.insts) == 1 && s.insts[0] != nil:
				return s.insts[0], nil
			case idx >= 0 && idx < len(s.insts) && s.insts[idx] != nil:
				return s.insts[idx], nil
			default:
				return nil, ev.fault(o, "resource %q is not deployed (its condition is false, or the index is out of range)", what)
			}
		}
	}
	if strings.HasPrefix(what, "/") {
		if i := ev.byID[Key(what)]; i != nil {
			return i, nil
		}
		ev.expandPending()
		if i := ev.byID[Key(what)]; i != nil {
			return i, nil
		}
		return nil, ev.unres(o, fmt.Sprintf("resource %s is not in the template: its runtime state cannot be known offline (at %s)", truncate(what, 300), o.Pos()))
	}
	var found *inst
	for _, i := range t.insts {
		if strings.EqualFold(i.name, what) {
			if found != nil && !strings.EqualFold(found.typ, i.typ) {
				return nil, ev.fault(o, "more than one resource of the template is named %q: give its resource ID", what)
			}
			found = i
		}
	}
	if found != nil {
		return found, nil
	}
	return nil, ev.unres(o, fmt.Sprintf("resource %q is not in the template: its runtime state cannot be known offline (at %s)", truncate(what, 200), o.Pos()))
}

// symbolicName splits "name" or "name[3]" into the name and the index (-1
// without one).
func symbolicName(s string) (string, int, bool) {
	if s == "" || strings.ContainsAny(s, "/ ") {
		return "", 0, false
	}
	i := strings.IndexByte(s, '[')
	if i < 0 {
		return s, -1, true
	}
	if !strings.HasSuffix(s, "]") || i == 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1 : len(s)-1])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return s[:i], n, true
}

// reference implements reference(resourceName or ID [, apiVersion [,
// 'Full']]) for a resource of the template: its evaluated properties (or,
// with 'Full', its whole declaration), and a nested deployment's outputs.
// What the template does not declare (provisioningState, an assigned IP
// address) is runtime state: reading it is unresolved.
func (ev *evaluator) reference(c *ctx, o origin, what string, full bool) *Value {
	i, u := ev.lookup(c, o, what)
	if u != nil {
		return u
	}
	desc := fmt.Sprintf("reference('%s')", truncate(what, 200))
	var v *Value
	if i.deploy {
		ev.expand(i)
		if i.inner == nil {
			return ev.fault(o, "%s: the nested deployment has no template", desc)
		}
		outs := ev.outputsOf(i.inner)
		if outs == nil {
			return ev.fault(o, "%s: the deployment's outputs refer to themselves", desc)
		}
		v = ev.obj(o, []string{"outputs"}, []Value{*outs})
	} else {
		b := ev.body(i)
		if b == nil {
			return ev.fault(o, "%s: circular reference: the resource's declaration refers to itself", desc)
		}
		if full {
			v = b
		} else if v = b.Get("properties"); v == nil {
			v = ev.obj(o, nil, nil)
		}
	}
	ev.open[v] = desc
	return v
}

// resources returns the template's resources in declaration order, those
// of nested deployments at the place of their deployment.
func (ev *evaluator) resources(t *tmpl, out []Resource) []Resource {
	for _, i := range t.insts {
		if ev.stop {
			return out
		}
		if i.deploy {
			ev.expand(i)
			if i.inner != nil {
				out = ev.resources(i.inner, out)
			}
			continue
		}
		b := ev.body(i)
		if b == nil {
			continue
		}
		loc, _ := b.Get("location").Str()
		out = append(out, Resource{ID: i.id, Type: i.typ, Name: i.name[strings.LastIndexByte(i.name, '/')+1:], Location: loc,
			ResourceGroup: i.rg, SubscriptionID: i.sub, Body: b, Pos: i.decl.Pos(), File: ev.src.name,
			unresolved: firstUnresolved(b) != nil})
	}
	return out
}
