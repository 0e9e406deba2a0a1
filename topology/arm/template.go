package arm

import (
	"fmt"
	"strconv"
	"strings"
)

// maxExprErrors caps the unresolved expressions listed per file; a final
// error gives the total.
const maxExprErrors = 20

// isTemplate reports whether v is an ARM deployment template: its $schema
// names a *deploymentTemplate.json, or it has "resources" and
// "contentVersion".
func isTemplate(v *Value) bool {
	if s, ok := v.Get("$schema").Str(); ok && strings.Contains(strings.ToLower(s), "deploymenttemplate.json") {
		return true
	}
	return has(v, "resources") && has(v, "contentVersion")
}

// tres is a resource declared in a template, before its ID is known.
type tres struct {
	v          *Value
	typ, name  string // full type and name path; "" if not literal
	label      string // for errors when the ID is unknown
	idErr      string // why no ID can be built
	idErrField string
}

// pendingExpr is an unresolved expression, reported once IDs are known.
type pendingExpr struct {
	res  int // index into templater.res
	pos  Pos
	path string
	expr string
}

// scopeRef is a literal resource ID in a template naming a resource group.
type scopeRef struct {
	sub, rg string
	keys    []string // type|name keys of the ID and its parents, lower-case
}

type templater struct {
	n      *normalizer
	res    []tres
	exprs  []pendingExpr
	nexprs int
	first  Pos // position of the first unlisted expression
	refs   []scopeRef
	path   []byte
}

// template collects the resources of an ARM template: resources as an array
// or, for languageVersion 2.0, an object keyed by symbolic name; children
// nested in a resource's "resources" too.
func (n *normalizer) template(t *Value) {
	tp := &templater{n: n}
	rs := t.Get("resources")
	switch rs.Kind() {
	case KindAbsent:
	case KindArray:
		for i, r := range rs.Elems() {
			tp.declare(r, "", "", "resources["+strconv.Itoa(i)+"]")
		}
	case KindObject:
		for name, r := range rs.Members() {
			tp.declare(r, "", "", "resources."+name)
		}
	default:
		n.errs.addf(rs.Pos(), "", "resources", ErrFormat, "expected an array or (languageVersion 2.0) an object of resources, found %s", rs.Kind())
		return
	}

	sub, rg := tp.scope()
	ids := make([]string, len(tp.res))
	for i := range tp.res {
		r := &tp.res[i]
		if r.idErr != "" {
			continue
		}
		id, err := idFor(sub, rg, r.typ, r.name)
		if err != nil {
			n.errs.addf(r.v.Pos(), "", "name", ErrFormat, "template resource %s: %v", r.label, err)
			continue
		}
		ids[i] = id
	}
	for _, e := range tp.exprs {
		res := ids[e.res]
		if res == "" {
			res = tp.res[e.res].label
		}
		n.errs.addf(e.pos, res, e.path, ErrExpression, "unresolved template expression %q cannot be evaluated offline", truncate(e.expr, 200))
	}
	if tp.nexprs > 0 {
		more := ""
		if tp.nexprs > len(tp.exprs) {
			more = fmt.Sprintf(" (%d not listed, the first at %s)", tp.nexprs-len(tp.exprs), tp.first)
		}
		n.errs.addf(t.Pos(), "", "", ErrExpression,
			"template has %d unresolved expressions%s; only templates with literal values can be read offline: export with SkipAllParameterization (az group export --skip-all-params) or use the deployed resources (az resource list, Resource Graph)",
			tp.nexprs, more)
		return
	}
	for i, r := range tp.res {
		if ids[i] == "" {
			continue
		}
		loc, _ := r.v.Get("location").Str()
		n.out = append(n.out, Resource{
			ID: ids[i], Type: r.typ, Name: r.name[strings.LastIndexByte(r.name, '/')+1:], Location: loc,
			ResourceGroup: rg, SubscriptionID: sub,
			Body: r.v, Pos: r.v.Pos(), File: n.src.name,
		})
	}
}

// declare records template resource v, nested under parent (full type and
// name) if parentType is not "", and its nested children.
func (tp *templater) declare(v *Value, parentType, parentName, where string) {
	n := tp.n
	if v.Kind() != KindObject {
		n.errs.addf(v.Pos(), "", where, ErrFormat, "expected a template resource object, found %s", v.Kind())
		return
	}
	if ex, _ := v.Get("existing").Bool(); ex {
		return // a reference to a resource deployed elsewhere (languageVersion 2.0)
	}
	if c, ok := v.Get("condition").Bool(); ok && !c {
		return // never deployed
	}
	idx := len(tp.res)
	tp.res = append(tp.res, tres{v: v, label: where})
	if c := v.Get("copy"); c != nil {
		n.errs.addf(c.Pos(), where, "copy", ErrExpression, "copy loops cannot be expanded offline")
	}
	// Scan the declaration for expressions and literal IDs (unescaping
	// "[[" literals first), skipping dependsOn (deployment order only) and
	// nested resources (scanned as resources of their own).
	before := tp.nexprs
	for i := range v.kids {
		k := v.keys[i]
		if strings.EqualFold(k, "dependsOn") || strings.EqualFold(k, "resources") || strings.EqualFold(k, "copy") {
			continue
		}
		tp.path = append(tp.path[:0], k...)
		tp.scan(&v.kids[i], idx)
	}
	r := tres{v: v, label: where}
	if parentType == unknownParent {
		// The parent's type or name is missing or an expression, which is
		// reported already; the child's ID cannot be built either.
		r.idErr = "parent"
	}
	typ, typOK := v.Get("type").Str()
	name, nameOK := v.Get("name").Str()
	switch {
	case r.idErr != "":
	case v.Get("type") == nil:
		r.idErr, r.idErrField = "has no \"type\"", "type"
	case !typOK:
		r.idErr, r.idErrField = "has a non-string \"type\"", "type"
	case v.Get("name") == nil:
		r.idErr, r.idErrField = "has no \"name\"", "name"
	case !nameOK:
		r.idErr, r.idErrField = "has a non-string \"name\"", "name"
	case tp.nexprs > before && (isExpr(typ) || isExpr(name)):
		r.idErr = "expr" // reported by the expression scan
	default:
		r.typ, r.name = childTypeName(parentType, parentName, typ, name)
		r.label = fmt.Sprintf("%s %q (%s)", where, truncate(r.name, 80), truncate(r.typ, 80))
	}
	if r.idErr != "" && r.idErr != "expr" && r.idErr != "parent" {
		n.errs.addf(v.Pos(), "", r.idErrField, ErrFormat, "template resource %s %s", where, r.idErr)
	}
	tp.res[idx] = r
	kids := v.Get("resources")
	ptype, pname := r.typ, r.name
	if r.typ == "" {
		ptype, pname = unknownParent, ""
	}
	switch kids.Kind() {
	case KindArray:
		for i, c := range kids.Elems() {
			tp.declare(c, ptype, pname, where+".resources["+strconv.Itoa(i)+"]")
		}
	case KindObject:
		for name, c := range kids.Members() {
			tp.declare(c, ptype, pname, where+".resources."+name)
		}
	case KindAbsent:
	default:
		n.errs.addf(kids.Pos(), r.label, "resources", ErrFormat, "expected an array of nested resources, found %s", kids.Kind())
	}
}

// unknownParent is the parent type of children of a resource whose type or
// name is unknown.
const unknownParent = "\x00"

// childTypeName returns the full type and name of a template resource. A
// resource nested in a parent may give its type relative to the parent
// ("subnets") and its name as one segment ("snet1").
func childTypeName(parentType, parentName, typ, name string) (string, string) {
	if parentType == "" {
		return typ, name
	}
	if !strings.HasPrefix(strings.ToLower(typ), strings.ToLower(parentType)+"/") {
		ns, _, _ := strings.Cut(typ, "/")
		if !strings.Contains(ns, ".") {
			typ = parentType + "/" + typ
		}
	}
	need := strings.Count(typ, "/")
	if strings.Count(name, "/")+1 < need {
		name = parentName + "/" + name
	}
	return typ, name
}

// isExpr reports whether s is an ARM template expression: it starts with "["
// and ends with "]", and does not start with "[[" (an escaped literal).
func isExpr(s string) bool {
	return len(s) >= 2 && s[0] == '[' && s[len(s)-1] == ']' && s[1] != '['
}

// scan walks a value of template resource idx: it records unresolved
// expressions and literal resource IDs, and unescapes "[[...]" literals to
// "[...]" as ARM does.
func (tp *templater) scan(v *Value, idx int) {
	switch v.kind {
	case KindString:
		s := v.s
		switch {
		case isExpr(s):
			tp.nexprs++
			if len(tp.exprs) < maxExprErrors {
				tp.exprs = append(tp.exprs, pendingExpr{res: idx, pos: v.Pos(), path: string(tp.path), expr: s})
			} else if tp.nexprs == maxExprErrors+1 {
				tp.first = v.Pos()
			}
		case len(s) >= 3 && s[0] == '[' && s[1] == '[' && s[len(s)-1] == ']':
			v.s = s[1:]
		case len(s) > len("/subscriptions/") && strings.EqualFold(s[:len("/subscriptions/")], "/subscriptions/"):
			tp.ref(s)
		}
	case KindArray:
		n := len(tp.path)
		for i := range v.kids {
			tp.path = append(tp.path, '[')
			tp.path = strconv.AppendInt(tp.path, int64(i), 10)
			tp.path = append(tp.path, ']')
			tp.scan(&v.kids[i], idx)
			tp.path = tp.path[:n]
		}
	case KindObject:
		n := len(tp.path)
		for i := range v.kids {
			tp.path = append(tp.path, '.')
			tp.path = append(tp.path, v.keys[i]...)
			tp.scan(&v.kids[i], idx)
			tp.path = tp.path[:n]
		}
	}
}

// ref records a literal resource ID that may tell the template's scope.
func (tp *templater) ref(s string) {
	if len(tp.refs) >= 10000 {
		return
	}
	id, err := ParseID(s)
	if err != nil || id.ResourceGroup() == "" {
		return
	}
	ref := scopeRef{sub: id.SubscriptionID(), rg: id.ResourceGroup()}
	for range 16 {
		ref.keys = append(ref.keys, strings.ToLower(id.Type()+"|"+id.Name()))
		p, ok := id.Parent()
		if !ok {
			break
		}
		id = p
	}
	tp.refs = append(tp.refs, ref)
}

// scope returns the subscription and resource group of the template's
// resources: the one scope that all literal IDs naming the template's own
// resources share, or the placeholders.
func (tp *templater) scope() (sub, rg string) {
	declared := make(map[string]bool, len(tp.res))
	for _, r := range tp.res {
		if r.typ != "" {
			declared[strings.ToLower(r.typ+"|"+r.name)] = true
		}
	}
	for _, ref := range tp.refs {
		own := false
		for _, k := range ref.keys {
			own = own || declared[k]
		}
		if !own {
			continue
		}
		if sub == "" {
			sub, rg = ref.sub, ref.rg
		} else if !strings.EqualFold(sub, ref.sub) || !strings.EqualFold(rg, ref.rg) {
			return TemplateSubscription, TemplateResourceGroup
		}
	}
	if sub == "" {
		return TemplateSubscription, TemplateResourceGroup
	}
	return sub, rg
}
