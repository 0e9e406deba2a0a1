package arm

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The template functions ("ARM template functions",
// https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions,
// and the pages for each group it links). Function names are
// case-insensitive. A function given an unresolved value returns one, except
// where noted (if, and, or, coalesce and the functions marked shallow, which
// look only at the outside of their arguments). A function given values it
// cannot work with (a string to add, an index past the end) returns an
// unresolved value naming the problem and its position: Azure would fail the
// deployment, but only what depends on the value is affected.

// fcall is one call of a built-in function.
type fcall struct {
	ev   *evaluator
	c    *ctx
	n    *node
	o    origin
	args []*Value
}

// builtin describes a function: its argument counts (max -1: any), whether it
// takes its arguments unevaluated (lazy), whether unresolved values inside
// its arguments leave its result known (shallow), and whether it handles
// unresolved arguments itself (partial).
type builtin struct {
	min, max int
	lazy     bool
	shallow  bool
	partial  bool
	fn       func(f *fcall) *Value
}

// offline are the ARM functions whose values only a deployment knows.
var offline = map[string]string{
	"utcnow":          "changes with every deployment",
	"newguid":         "changes with every deployment",
	"environment":     "depends on the Azure cloud the template is deployed to",
	"tenant":          "depends on the tenant the template is deployed to",
	"managementgroup": "depends on the management group the template is deployed to",
	"pickzones":       "depends on the zones of the region in the subscription",
	"providers":       "depends on the resource providers of the subscription",
	"deployer":        "depends on who deploys the template",
	"externalinputs":  "is supplied by the deployment tool",
}

// unsupported are ARM functions egress does not evaluate.
var unsupported = map[string]bool{
	"datetimeadd": true, "datetimefromepoch": true, "datetimetoepoch": true, "uri": true, "datauri": true,
	"datauritostring": true, "mapvalues": true, "groupby": true, "managementgroupresourceid": true, "float": true,
}

// call evaluates a function call.
func (ev *evaluator) call(c *ctx, n *node, o origin) *Value {
	if strings.Contains(n.str, ".") {
		return ev.userCall(c, n, o)
	}
	b := builtins[n.str]
	if b == nil {
		switch {
		case strings.HasPrefix(n.str, "list"):
			return ev.unres(o, fmt.Sprintf("%s() reads keys, secrets or state of a deployed resource: it cannot be evaluated offline (at %s)", n.name, o.Pos()))
		case offline[n.str] != "":
			return ev.unres(o, fmt.Sprintf("%s() %s: it cannot be evaluated offline (at %s)", n.name, offline[n.str], o.Pos()))
		case unsupported[n.str]:
			return ev.unres(o, fmt.Sprintf("%s() is not evaluated offline by egress (at %s)", n.name, o.Pos()))
		}
		ev.failc(c, o, "unknown template function %q", n.name)
		return ev.failed(o, "unknown function %q", n.name)
	}
	if len(n.args) < b.min || b.max >= 0 && len(n.args) > b.max {
		want := strconv.Itoa(b.min)
		switch {
		case b.max < 0:
			want = "at least " + want
		case b.max != b.min:
			want = fmt.Sprintf("%d to %d", b.min, b.max)
		}
		ev.failc(c, o, "%s takes %s arguments, not %d", n.name, want, len(n.args))
		return ev.failed(o, "%s: wrong number of arguments", n.name)
	}
	// Calls reuse fcall records: functions do not keep them past their
	// return.
	var f *fcall
	if k := len(ev.free); k > 0 {
		f, ev.free = ev.free[k-1], ev.free[:k-1]
	} else {
		f = new(fcall)
	}
	*f = fcall{ev: ev, c: c, n: n, o: o}
	defer func() { *f = fcall{}; ev.free = append(ev.free, f) }()
	if !b.lazy {
		// The arguments live on a stack shared by all calls: functions
		// do not keep f.args past their return.
		base := len(ev.args)
		defer func() { ev.args = ev.args[:base] }()
		for _, a := range n.args {
			v := ev.eval(c, a)
			if ev.stop {
				return ev.stopped(o)
			}
			ev.args = append(ev.args, v)
		}
		f.args = ev.args[base:len(ev.args):len(ev.args)]
		// Functions take time in the size of their arguments: count it, so
		// that Limits.MaxSteps bounds a template that repeats them.
		work := 0
		for _, a := range f.args {
			work += len(a.s)/64 + len(a.kids)
		}
		if work > 0 && !ev.tick(o, work) {
			return ev.stopped(o)
		}
		if !b.partial {
			for _, a := range f.args {
				var u *Value
				switch {
				case a.kind == KindUnresolved:
					u = a
				case !b.shallow:
					u = firstUnresolved(a)
				}
				if u != nil {
					return ev.rehome(o, u)
				}
			}
		}
	}
	return b.fn(f)
}

// userCall calls a user-defined function: its output value evaluated with
// its parameters bound to the arguments.
func (ev *evaluator) userCall(c *ctx, n *node, o origin) *Value {
	uf := c.t.funcs[n.str]
	if uf == nil {
		ev.failc(c, o, "unknown user-defined function %q", n.name)
		return ev.failed(o, "unknown function %q", n.name)
	}
	if len(n.args) != len(uf.params) {
		ev.failc(c, o, "%s takes %d arguments, not %d", n.name, len(uf.params), len(n.args))
		return ev.failed(o, "%s: wrong number of arguments", n.name)
	}
	args := map[string]*Value{}
	for i, a := range n.args {
		args[strings.ToLower(uf.params[i])] = ev.eval(c, a)
	}
	fc := &ctx{t: c.t, fnArgs: args, inFunc: true, res: c.res}
	r := ev.evalValue(fc, uf.out)
	if r == nil {
		return ev.null(o)
	}
	return r
}

// Argument accessors: each returns the argument, or a fault to return.

func (f *fcall) fault(format string, args ...any) *Value {
	return f.ev.fault(f.o, f.n.name+": "+format, args...)
}

// failed is fault for a problem reported as an error too.
func (f *fcall) failed(format string, args ...any) *Value {
	return f.ev.failed(f.o, f.n.name+": "+format, args...)
}

func (f *fcall) str(i int) (string, *Value) {
	s, ok := f.args[i].Str()
	if !ok {
		return "", f.fault("argument %d must be a string, found %s", i+1, describe(f.args[i]))
	}
	return s, nil
}

func (f *fcall) int(i int) (int64, *Value) {
	n, ok := f.args[i].Int()
	if !ok {
		return 0, f.fault("argument %d must be an integer, found %s", i+1, describe(f.args[i]))
	}
	return n, nil
}

func (f *fcall) bool(i int) (bool, *Value) {
	b, ok := f.args[i].Bool()
	if !ok {
		return false, f.fault("argument %d must be a bool, found %s", i+1, describe(f.args[i]))
	}
	return b, nil
}

func (f *fcall) strs() ([]string, *Value) {
	out := make([]string, len(f.args))
	for i := range f.args {
		s, bad := f.str(i)
		if bad != nil {
			return nil, bad
		}
		out[i] = s
	}
	return out, nil
}

func (f *fcall) s(s string) *Value  { return f.ev.str(f.o, s) }
func (f *fcall) i(n int64) *Value   { return f.ev.num(f.o, n) }
func (f *fcall) b(b bool) *Value    { return f.ev.boolean(f.o, b) }
func (f *fcall) a(k []Value) *Value { return f.ev.arr(f.o, k) }
func (f *fcall) strArr(ss []string) *Value {
	kids := make([]Value, len(ss))
	for i, s := range ss {
		kids[i] = *f.s(s)
	}
	return f.a(kids)
}

// values copies pointers into a slice of values.
func values(vs []*Value) []Value {
	out := make([]Value, len(vs))
	for i, v := range vs {
		out[i] = *v
	}
	return out
}

var builtins map[string]*builtin

func init() {
	builtins = map[string]*builtin{
		// Template functions.
		"parameters": {min: 1, max: 1, shallow: true, fn: fnParameters},
		"variables":  {min: 1, max: 1, shallow: true, fn: fnVariables},
		"copyindex":  {min: 0, max: 2, fn: fnCopyIndex},
		"deployment": {min: 0, max: 0, fn: fnDeployment},

		// Scope and resource functions ("Resource functions for ARM
		// templates", "Scope functions for ARM templates").
		"resourcegroup":          {min: 0, max: 0, fn: fnResourceGroup},
		"subscription":           {min: 0, max: 0, fn: fnSubscription},
		"resourceid":             {min: 2, max: -1, fn: fnResourceID},
		"subscriptionresourceid": {min: 2, max: -1, fn: fnSubscriptionResourceID},
		"tenantresourceid":       {min: 2, max: -1, fn: fnTenantResourceID},
		"extensionresourceid":    {min: 3, max: -1, fn: fnExtensionResourceID},
		"reference":              {min: 1, max: 3, fn: fnReference},
		"resourceinfo":           {min: 1, max: 1, fn: fnResourceInfo},

		// Logical and comparison.
		"if":                   {min: 3, max: 3, lazy: true, fn: fnIf},
		"and":                  {min: 1, max: -1, partial: true, fn: fnAnd},
		"or":                   {min: 1, max: -1, partial: true, fn: fnOr},
		"not":                  {min: 1, max: 1, fn: fnNot},
		"bool":                 {min: 1, max: 1, fn: fnBool},
		"true":                 {min: 0, max: 0, fn: func(f *fcall) *Value { return f.b(true) }},
		"false":                {min: 0, max: 0, fn: func(f *fcall) *Value { return f.b(false) }},
		"null":                 {min: 0, max: 0, fn: func(f *fcall) *Value { return f.ev.null(f.o) }},
		"equals":               {min: 2, max: 2, fn: func(f *fcall) *Value { return f.b(f.ev.equal(f.o, f.args[0], f.args[1])) }},
		"less":                 {min: 2, max: 2, fn: func(f *fcall) *Value { return fnCompare(f, func(c int) bool { return c < 0 }) }},
		"lessorequals":         {min: 2, max: 2, fn: func(f *fcall) *Value { return fnCompare(f, func(c int) bool { return c <= 0 }) }},
		"greater":              {min: 2, max: 2, fn: func(f *fcall) *Value { return fnCompare(f, func(c int) bool { return c > 0 }) }},
		"greaterorequals":      {min: 2, max: 2, fn: func(f *fcall) *Value { return fnCompare(f, func(c int) bool { return c >= 0 }) }},
		"coalesce":             {min: 1, max: -1, partial: true, fn: fnCoalesce},
		"lambda":               {min: 1, max: -1, lazy: true, fn: fnLambdaAlone},
		"lambdavariables":      {min: 1, max: 1, fn: fnLambdaVariables},
		"map":                  {min: 2, max: 2, lazy: true, fn: fnMap},
		"filter":               {min: 2, max: 2, lazy: true, fn: fnFilter},
		"reduce":               {min: 3, max: 3, lazy: true, fn: fnReduce},
		"sort":                 {min: 2, max: 2, lazy: true, fn: fnSort},
		"toobject":             {min: 2, max: 3, lazy: true, fn: fnToObject},
		"trytoparsejson":       {min: 1, max: 1, fn: fnJSON},
		"json":                 {min: 1, max: 1, fn: fnJSON},
		"string":               {min: 1, max: 1, fn: fnString},
		"int":                  {min: 1, max: 1, fn: fnInt},
		"base64":               {min: 1, max: 1, fn: fnBase64},
		"base64tostring":       {min: 1, max: 1, fn: fnBase64ToString},
		"base64tojson":         {min: 1, max: 1, fn: fnBase64ToJSON},
		"uricomponent":         {min: 1, max: 1, fn: fnURIComponent},
		"uricomponenttostring": {min: 1, max: 1, fn: fnURIComponentToString},

		// Strings.
		"concat":      {min: 0, max: -1, shallow: true, fn: fnConcat},
		"format":      {min: 1, max: -1, fn: fnFormat},
		"tolower":     {min: 1, max: 1, fn: func(f *fcall) *Value { return strFn(f, strings.ToLower) }},
		"toupper":     {min: 1, max: 1, fn: func(f *fcall) *Value { return strFn(f, strings.ToUpper) }},
		"trim":        {min: 1, max: 1, fn: func(f *fcall) *Value { return strFn(f, strings.TrimSpace) }},
		"replace":     {min: 3, max: 3, fn: fnReplace},
		"split":       {min: 2, max: 2, fn: fnSplit},
		"join":        {min: 2, max: 2, fn: fnJoin},
		"substring":   {min: 1, max: 3, fn: fnSubstring},
		"startswith":  {min: 2, max: 2, fn: func(f *fcall) *Value { return strTest(f, hasPrefixFold) }},
		"endswith":    {min: 2, max: 2, fn: func(f *fcall) *Value { return strTest(f, hasSuffixFold) }},
		"indexof":     {min: 2, max: 2, fn: func(f *fcall) *Value { return fnIndexOf(f, false) }},
		"lastindexof": {min: 2, max: 2, fn: func(f *fcall) *Value { return fnIndexOf(f, true) }},
		"padleft":     {min: 2, max: 3, fn: fnPadLeft},
		"uniquestring": {min: 1, max: -1, fn: func(f *fcall) *Value {
			ss, bad := f.strs()
			if bad != nil {
				return bad
			}
			return f.s(uniqueString(ss))
		}},
		"guid": {min: 1, max: -1, fn: func(f *fcall) *Value {
			ss, bad := f.strs()
			if bad != nil {
				return bad
			}
			return f.s(guid(ss))
		}},

		// Arrays and objects.
		"createarray":  {min: 0, max: -1, shallow: true, fn: func(f *fcall) *Value { return f.a(values(f.args)) }},
		"createobject": {min: 0, max: -1, shallow: true, fn: fnCreateObject},
		"array":        {min: 1, max: 1, shallow: true, fn: fnArray},
		"union":        {min: 1, max: -1, fn: fnUnion},
		"intersection": {min: 1, max: -1, fn: fnIntersection},
		"length":       {min: 1, max: 1, shallow: true, fn: fnLength},
		"empty":        {min: 1, max: 1, shallow: true, fn: fnEmpty},
		"first":        {min: 1, max: 1, shallow: true, fn: func(f *fcall) *Value { return fnEnd(f, false) }},
		"last":         {min: 1, max: 1, shallow: true, fn: func(f *fcall) *Value { return fnEnd(f, true) }},
		"take":         {min: 2, max: 2, shallow: true, fn: func(f *fcall) *Value { return fnTakeSkip(f, true) }},
		"skip":         {min: 2, max: 2, shallow: true, fn: func(f *fcall) *Value { return fnTakeSkip(f, false) }},
		"contains":     {min: 2, max: 2, fn: fnContains},
		"range":        {min: 2, max: 2, fn: fnRange},
		"items":        {min: 1, max: 1, shallow: true, fn: fnItems},
		"objectkeys":   {min: 1, max: 1, shallow: true, fn: fnObjectKeys},
		"flatten":      {min: 1, max: 1, shallow: true, fn: fnFlatten},
		"shallowmerge": {min: 1, max: 1, shallow: true, fn: fnShallowMerge},
		"tryget":       {min: 2, max: -1, shallow: true, fn: fnTryGet},

		// Numbers.
		"add": {min: 2, max: 2, fn: func(f *fcall) *Value { return arith(f, addInt) }},
		"sub": {min: 2, max: 2, fn: func(f *fcall) *Value { return arith(f, func(a, b int64) (int64, bool) { return addInt(a, -b) }) }},
		"mul": {min: 2, max: 2, fn: func(f *fcall) *Value { return arith(f, mulInt) }},
		"div": {min: 2, max: 2, fn: func(f *fcall) *Value { return arith(f, divInt) }},
		"mod": {min: 2, max: 2, fn: func(f *fcall) *Value { return arith(f, modInt) }},
		"min": {min: 1, max: -1, fn: func(f *fcall) *Value { return fnMinMax(f, false) }},
		"max": {min: 1, max: -1, fn: func(f *fcall) *Value { return fnMinMax(f, true) }},

		// CIDR ("CIDR functions for ARM templates").
		"parsecidr":  {min: 1, max: 1, fn: fnParseCIDR},
		"cidrsubnet": {min: 3, max: 3, fn: fnCIDRSubnet},
		"cidrhost":   {min: 2, max: 2, fn: fnCIDRHost},
	}
}

func fnParameters(f *fcall) *Value {
	name, bad := f.str(0)
	if bad != nil {
		return bad
	}
	return f.ev.parameter(f.c, f.o, name)
}

func fnVariables(f *fcall) *Value {
	name, bad := f.str(0)
	if bad != nil {
		return bad
	}
	return f.ev.variable(f.c, f.o, name)
}

// fnCopyIndex implements copyIndex([loopName], [offset]): the index of the
// named copy loop, or without a name of the innermost resource, variable or
// output loop, plus the offset.
func fnCopyIndex(f *fcall) *Value {
	name, offset := "", int64(0)
	for i, a := range f.args {
		switch {
		case a.kind == KindString && i == 0:
			name = a.s
		case a.kind == KindNumber:
			n, bad := f.int(i)
			if bad != nil {
				return bad
			}
			offset = n
		default:
			return f.fault("argument %d must be a loop name or an offset, found %s", i+1, describe(a))
		}
	}
	loops := f.c.loops
	for i := len(loops) - 1; i >= 0; i-- {
		l := loops[i]
		if name != "" && strings.EqualFold(l.name, name) || name == "" && l.kind != loopProperty {
			return f.i(int64(l.index) + offset)
		}
	}
	if name != "" {
		f.ev.failc(f.c, f.o, "copyIndex('%s') is outside a copy loop of that name", name)
	} else {
		f.ev.failc(f.c, f.o, "copyIndex() is outside a resource, variable or output copy loop (property loops need their name)")
	}
	return f.failed("not in a copy loop")
}

// fnDeployment implements deployment(): the name, the template's
// contentVersion and the mode of the deployment.
func fnDeployment(f *fcall) *Value {
	t := f.c.t
	ev := f.ev
	cv, _ := t.decl.Get("contentVersion").Str()
	tpl := ev.obj(f.o, []string{"contentVersion"}, []Value{*f.s(cv)})
	props := ev.obj(f.o, []string{"template", "mode", "provisioningState"}, []Value{*tpl, *f.s("Incremental"), *f.s("Accepted")})
	keys := []string{"name", "properties"}
	kids := []Value{*f.s(t.name), *props}
	if t.sub {
		keys = append(keys, "location")
		kids = append(kids, *locationValue(f, t.scope))
	}
	return ev.obj(f.o, keys, kids)
}

func locationValue(f *fcall, s deployScope) *Value {
	if s.loc != "" {
		return f.s(s.loc)
	}
	return f.ev.unres(f.o, s.locWhy+" (at "+f.o.Pos().String()+")")
}

// fnResourceGroup implements resourceGroup() of a resource group deployment:
// its ID, name, type and location (unknown unless given).
func fnResourceGroup(f *fcall) *Value {
	s := f.c.t.scope
	if f.c.t.sub {
		return f.fault("a subscription deployment has no resource group")
	}
	ev := f.ev
	props := ev.obj(f.o, []string{"provisioningState"}, []Value{*f.s("Succeeded")})
	return ev.obj(f.o, []string{"id", "name", "type", "location", "properties"}, []Value{
		*f.s("/subscriptions/" + s.sub + "/resourceGroups/" + s.rg), *f.s(s.rg), *f.s("Microsoft.Resources/resourceGroups"),
		*locationValue(f, s), *props})
}

// fnSubscription implements subscription(): its ID and subscriptionId; its
// tenantId and displayName are not known offline.
func fnSubscription(f *fcall) *Value {
	s := f.c.t.scope
	ev := f.ev
	return ev.obj(f.o, []string{"id", "subscriptionId", "tenantId", "displayName"}, []Value{
		*f.s("/subscriptions/" + s.sub), *f.s(s.sub),
		*ev.unres(f.o, "the subscription's tenant is not known offline (at "+f.o.Pos().String()+")"),
		*ev.unres(f.o, "the subscription's display name is not known offline (at "+f.o.Pos().String()+")")})
}

// idTail appends /providers/{namespace}/{type1}/{name1}/... for a type and
// names (a name may hold several segments, "vnet/subnet").
func idTail(f *fcall, b *strings.Builder, typ string, names []string) *Value {
	types := strings.Split(typ, "/")
	var segs []string
	for _, n := range names {
		segs = append(segs, strings.Split(n, "/")...)
	}
	if len(types) < 2 || slices.Contains(types, "") {
		return f.fault("resource type %q is not of the form {namespace}/{type}", truncate(typ, 200))
	}
	if len(segs) != len(types)-1 {
		return f.fault("resource type %q needs %d names, given %d", truncate(typ, 200), len(types)-1, len(segs))
	}
	b.WriteString("/providers/")
	b.WriteString(types[0])
	for i, s := range segs {
		if s == "" {
			return f.fault("resource name %d is empty", i+1)
		}
		b.WriteByte('/')
		b.WriteString(types[i+1])
		b.WriteByte('/')
		b.WriteString(s)
	}
	return nil
}

// fnResourceID implements resourceId([subscriptionId], [resourceGroupName],
// resourceType, resourceName1, ...): the arguments before the type (the
// first to contain "/") are the subscription and resource group.
func fnResourceID(f *fcall) *Value {
	ss, bad := f.strs()
	if bad != nil {
		return bad
	}
	k := slices.IndexFunc(ss, func(s string) bool { return strings.Contains(s, "/") })
	if k < 0 || k > 2 {
		return f.fault("no resource type (namespace/type) among the first three arguments")
	}
	s := f.c.t.scope
	sub, rg := s.sub, s.rg
	switch k {
	case 1:
		rg = ss[0]
	case 2:
		sub, rg = ss[0], ss[1]
	}
	var b strings.Builder
	b.WriteString("/subscriptions/" + sub)
	if rg != "" {
		b.WriteString("/resourceGroups/" + rg)
	}
	if bad := idTail(f, &b, ss[k], ss[k+1:]); bad != nil {
		return bad
	}
	return f.s(b.String())
}

func fnSubscriptionResourceID(f *fcall) *Value {
	ss, bad := f.strs()
	if bad != nil {
		return bad
	}
	sub := f.c.t.scope.sub
	if !strings.Contains(ss[0], "/") {
		sub, ss = ss[0], ss[1:]
	}
	if len(ss) < 2 {
		return f.fault("no resource name")
	}
	var b strings.Builder
	b.WriteString("/subscriptions/" + sub)
	if bad := idTail(f, &b, ss[0], ss[1:]); bad != nil {
		return bad
	}
	return f.s(b.String())
}

func fnTenantResourceID(f *fcall) *Value {
	ss, bad := f.strs()
	if bad != nil {
		return bad
	}
	var b strings.Builder
	if bad := idTail(f, &b, ss[0], ss[1:]); bad != nil {
		return bad
	}
	return f.s(b.String())
}

func fnExtensionResourceID(f *fcall) *Value {
	ss, bad := f.strs()
	if bad != nil {
		return bad
	}
	var b strings.Builder
	b.WriteString(strings.TrimSuffix(ss[0], "/"))
	if bad := idTail(f, &b, ss[1], ss[2:]); bad != nil {
		return bad
	}
	return f.s(b.String())
}

func fnReference(f *fcall) *Value {
	what, bad := f.str(0)
	if bad != nil {
		return bad
	}
	full := false
	if len(f.args) == 3 {
		s, bad := f.str(2)
		if bad != nil {
			return bad
		}
		full = strings.EqualFold(s, "Full")
	}
	return f.ev.reference(f.c, f.o, what, full)
}

// fnResourceInfo implements resourceInfo(symbolicName) of languageVersion
// 2.0: the resource's id, name, type and apiVersion.
func fnResourceInfo(f *fcall) *Value {
	what, bad := f.str(0)
	if bad != nil {
		return bad
	}
	ev := f.ev
	if sym, _, ok := symbolicName(what); ok {
		if s := f.c.t.syms[sym]; s != nil && s.existing != nil {
			c := &ctx{t: f.c.t, res: f.c.res}
			typ, ok1 := ev.evalValue(c, s.existing.Get("type")).Str()
			name, ok2 := ev.evalValue(c, s.existing.Get("name")).Str()
			if !ok1 || !ok2 {
				return f.fault("the existing resource %q has no literal type and name", what)
			}
			id, err := buildID(f.c.t.scope.sub, f.c.t.scope.rg, "", typ, name)
			if err != nil {
				return f.fault("%v", err)
			}
			apiv, _ := s.existing.Get("apiVersion").Str()
			return ev.obj(f.o, []string{"id", "name", "type", "apiVersion"}, []Value{*f.s(id), *f.s(name[strings.LastIndexByte(name, '/')+1:]), *f.s(typ), *f.s(apiv)})
		}
	}
	i, u := ev.lookup(f.c, f.o, what)
	if u != nil {
		return u
	}
	apiv, _ := i.decl.Get("apiVersion").Str()
	return ev.obj(f.o, []string{"id", "name", "type", "apiVersion"}, []Value{*f.s(i.id), *f.s(i.name[strings.LastIndexByte(i.name, '/')+1:]), *f.s(i.typ), *f.s(apiv)})
}

// fnIf implements if(condition, trueValue, falseValue): only the branch
// chosen is evaluated ("Logical functions for ARM templates").
func fnIf(f *fcall) *Value {
	cond := f.ev.eval(f.c, f.n.args[0])
	if cond.kind == KindUnresolved {
		return f.ev.rehome(f.o, cond)
	}
	b, ok := cond.Bool()
	if !ok {
		return f.fault("the condition must be a bool, found %s", describe(cond))
	}
	if b {
		return f.ev.eval(f.c, f.n.args[1])
	}
	return f.ev.eval(f.c, f.n.args[2])
}

// fnAnd and fnOr are known when one argument decides them, even if others
// are unresolved.
func fnAnd(f *fcall) *Value { return logic(f, false) }
func fnOr(f *fcall) *Value  { return logic(f, true) }

func logic(f *fcall, decider bool) *Value {
	var u *Value
	for i, a := range f.args {
		if a.kind == KindUnresolved {
			u = a
			continue
		}
		b, ok := a.Bool()
		if !ok {
			return f.fault("argument %d must be a bool, found %s", i+1, describe(a))
		}
		if b == decider {
			return f.b(decider)
		}
	}
	if u != nil {
		return f.ev.rehome(f.o, u)
	}
	return f.b(!decider)
}

func fnNot(f *fcall) *Value {
	b, bad := f.bool(0)
	if bad != nil {
		return bad
	}
	return f.b(!b)
}

// fnBool implements bool(): a bool, "true"/"false" in any case, or an
// integer (0 is false).
func fnBool(f *fcall) *Value {
	a := f.args[0]
	switch a.kind {
	case KindBool:
		return a
	case KindString:
		switch strings.ToLower(a.s) {
		case "true":
			return f.b(true)
		case "false":
			return f.b(false)
		}
	case KindNumber:
		if n, ok := a.Int(); ok {
			return f.b(n != 0)
		}
	}
	return f.fault("cannot convert %s to a bool", describe(a))
}

// fnCompare compares two integers or two strings (ordinally).
func fnCompare(f *fcall, ok func(int) bool) *Value {
	a, b := f.args[0], f.args[1]
	if x, ok1 := a.Int(); ok1 {
		if y, ok2 := b.Int(); ok2 {
			return f.b(ok(cmpInt(x, y)))
		}
	}
	if x, ok1 := a.Str(); ok1 {
		if y, ok2 := b.Str(); ok2 {
			return f.b(ok(strings.Compare(x, y)))
		}
	}
	return f.fault("can compare two integers or two strings, not %s and %s", describe(a), describe(b))
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fnCoalesce returns the first argument that is not null; an unresolved one
// before it makes the result unresolved.
func fnCoalesce(f *fcall) *Value {
	for _, a := range f.args {
		switch a.kind {
		case KindUnresolved:
			return f.ev.rehome(f.o, a)
		case KindNull:
			continue
		}
		return a
	}
	return f.ev.null(f.o)
}

// Lambdas ("Lambda functions for ARM templates"): lambda('x', body) is only
// an argument of map, filter, reduce, sort and toObject.

func fnLambdaAlone(f *fcall) *Value {
	return f.fault("a lambda is only an argument of map, filter, reduce, sort or toObject")
}

func fnLambdaVariables(f *fcall) *Value {
	name, bad := f.str(0)
	if bad != nil {
		return bad
	}
	for i := len(f.c.lambdas) - 1; i >= 0; i-- {
		if strings.EqualFold(f.c.lambdas[i].name, name) {
			return f.c.lambdas[i].v
		}
	}
	f.ev.failc(f.c, f.o, "lambdaVariables('%s') is outside a lambda with that variable", name)
	return f.failed("no lambda variable %q", name)
}

// lambda is a parsed lambda argument.
type lambda struct {
	params []string
	body   *node
}

func (f *fcall) lambda(i, minParams, maxParams int) (*lambda, *Value) {
	n := f.n.args[i]
	if n.kind != nCall || n.str != "lambda" || len(n.args) < 1 {
		f.ev.failc(f.c, f.o, "argument %d of %s must be a lambda", i+1, f.n.name)
		return nil, f.failed("argument %d must be a lambda", i+1)
	}
	l := &lambda{body: n.args[len(n.args)-1]}
	for _, p := range n.args[:len(n.args)-1] {
		if p.kind != nString {
			f.ev.failc(f.c, f.o, "lambda parameters are string literals")
			return nil, f.failed("bad lambda")
		}
		l.params = append(l.params, p.str)
	}
	if len(l.params) < minParams || len(l.params) > maxParams {
		f.ev.failc(f.c, f.o, "the lambda of %s takes %d to %d parameters, not %d", f.n.name, minParams, maxParams, len(l.params))
		return nil, f.failed("bad lambda")
	}
	return l, nil
}

func (f *fcall) apply(l *lambda, args ...*Value) *Value {
	c := *f.c
	c.lambdas = slices.Clip(c.lambdas)
	for i, p := range l.params {
		c.lambdas = append(c.lambdas, lambdaVar{name: p, v: args[i]})
	}
	return f.ev.eval(&c, l.body)
}

// lazyArray evaluates argument i of a lazy function, which must be a known
// array; bad is the value to return otherwise.
func (f *fcall) lazyArray(i int) (*Value, *Value) {
	a := f.ev.eval(f.c, f.n.args[i])
	if a.kind == KindUnresolved {
		return nil, f.ev.rehome(f.o, a)
	}
	if a.kind != KindArray {
		return nil, f.fault("argument %d must be an array, found %s", i+1, describe(a))
	}
	return a, nil
}

func fnMap(f *fcall) *Value {
	a, bad := f.lazyArray(0)
	if bad != nil {
		return bad
	}
	l, bad := f.lambda(1, 1, 2)
	if bad != nil {
		return bad
	}
	out := make([]Value, len(a.kids))
	for i := range a.kids {
		out[i] = *f.apply(l, &a.kids[i], f.i(int64(i)))
	}
	return f.a(out)
}

func fnFilter(f *fcall) *Value {
	a, bad := f.lazyArray(0)
	if bad != nil {
		return bad
	}
	l, bad := f.lambda(1, 1, 2)
	if bad != nil {
		return bad
	}
	var out []Value
	for i := range a.kids {
		r := f.apply(l, &a.kids[i], f.i(int64(i)))
		if r.kind == KindUnresolved {
			return f.ev.rehome(f.o, r)
		}
		b, ok := r.Bool()
		if !ok {
			return f.fault("the lambda must return a bool, found %s", describe(r))
		}
		if b {
			out = append(out, a.kids[i])
		}
	}
	return f.a(out)
}

func fnReduce(f *fcall) *Value {
	a, bad := f.lazyArray(0)
	if bad != nil {
		return bad
	}
	acc := f.ev.eval(f.c, f.n.args[1])
	l, bad := f.lambda(2, 2, 3)
	if bad != nil {
		return bad
	}
	for i := range a.kids {
		acc = f.apply(l, acc, &a.kids[i], f.i(int64(i)))
		if acc.kind == KindUnresolved {
			return f.ev.rehome(f.o, acc)
		}
	}
	return acc
}

func fnSort(f *fcall) *Value {
	a, bad := f.lazyArray(0)
	if bad != nil {
		return bad
	}
	l, bad := f.lambda(1, 2, 2)
	if bad != nil {
		return bad
	}
	out := slices.Clone(a.kids)
	var fault *Value
	less := func(x, y *Value) bool {
		r := f.apply(l, x, y)
		b, ok := r.Bool()
		if !ok && fault == nil {
			fault = r
			if r.kind != KindUnresolved {
				fault = f.fault("the lambda must return a bool, found %s", describe(r))
			}
		}
		return b
	}
	slices.SortStableFunc(out, func(x, y Value) int {
		switch {
		case less(&x, &y):
			return -1
		case less(&y, &x):
			return 1
		}
		return 0
	})
	if fault != nil {
		return f.ev.rehome(f.o, fault)
	}
	return f.a(out)
}

func fnToObject(f *fcall) *Value {
	a, bad := f.lazyArray(0)
	if bad != nil {
		return bad
	}
	kl, bad := f.lambda(1, 1, 1)
	if bad != nil {
		return bad
	}
	var vl *lambda
	if len(f.n.args) == 3 {
		if vl, bad = f.lambda(2, 1, 1); bad != nil {
			return bad
		}
	}
	var keys []string
	var kids []Value
	at := map[string]int{}
	for i := range a.kids {
		k := f.apply(kl, &a.kids[i])
		if k.kind == KindUnresolved {
			return f.ev.rehome(f.o, k)
		}
		ks, ok := k.Str()
		if !ok {
			return f.fault("the key lambda must return a string, found %s", describe(k))
		}
		v := &a.kids[i]
		if vl != nil {
			v = f.apply(vl, v)
		}
		if j, ok := at[strings.ToLower(ks)]; ok {
			kids[j] = *v
			continue
		}
		at[strings.ToLower(ks)] = len(keys)
		keys = append(keys, ks)
		kids = append(kids, *v)
	}
	return f.ev.obj(f.o, keys, kids)
}

// fnJSON implements json(text): the JSON value of text; json('null') is
// null.
func fnJSON(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	v, err := f.ev.parseJSON(f.o, s)
	if err != nil {
		if f.n.str == "trytoparsejson" {
			return f.ev.null(f.o)
		}
		return f.fault("invalid JSON: %v", err)
	}
	return v
}

// parseJSON parses text as JSON, with every value positioned at o.
func (ev *evaluator) parseJSON(o origin, text string) (*Value, error) {
	if len(text) > ev.lim.MaxOutput {
		return nil, fmt.Errorf("text of %d bytes is too large", len(text))
	}
	src := &source{name: "json", text: text}
	v, perr := parseTree(src)
	if perr != nil {
		return nil, fmt.Errorf("%s", perr.Detail)
	}
	var rehome func(v *Value)
	rehome = func(v *Value) {
		v.src, v.off = o.src, o.off
		ev.charge(o, len(v.s))
		for i := range v.kids {
			rehome(&v.kids[i])
		}
	}
	rehome(v)
	return v, nil
}

// fnString implements string(): strings as they are, integers in decimal,
// bools as True and False (as .NET writes them; PSRule.Rules.Azure issue
// #793 confirms ARM's), null as "", arrays and objects as compact JSON.
func fnString(f *fcall) *Value {
	a := f.args[0]
	if a.kind == KindString {
		return a
	}
	return f.s(stringOf(a))
}

func stringOf(v *Value) string {
	switch v.kind {
	case KindString, KindNumber:
		return v.s
	case KindBool:
		if v.s == "true" {
			return "True"
		}
		return "False"
	case KindNull:
		return ""
	}
	return string(appendJSON(nil, v))
}

// appendJSON appends v as compact JSON, escaping only what JSON requires.
func appendJSON(b []byte, v *Value) []byte {
	switch v.kind {
	case KindString:
		return appendJSONString(b, v.s)
	case KindNumber, KindBool:
		return append(b, v.s...)
	case KindArray:
		b = append(b, '[')
		for i := range v.kids {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, &v.kids[i])
		}
		return append(b, ']')
	case KindObject:
		b = append(b, '{')
		for i := range v.kids {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v.keys[i])
			b = append(b, ':')
			b = appendJSON(b, &v.kids[i])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20:
			b = append(b, fmt.Sprintf("\\u%04x", c)...)
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// jsonText is v as JSON for a message, shortened to max bytes.
func jsonText(v *Value, max int) string {
	return truncate(string(appendJSON(nil, v)), max)
}

// fnInt implements int(): an integer, or a string of one.
func fnInt(f *fcall) *Value {
	a := f.args[0]
	switch a.kind {
	case KindNumber:
		if n, ok := a.Int(); ok {
			return f.i(n)
		}
	case KindString:
		if n, err := strconv.ParseInt(strings.TrimSpace(a.s), 10, 64); err == nil {
			return f.i(n)
		}
	}
	return f.fault("cannot convert %s to an integer", describe(a))
}

func fnBase64(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	return f.s(base64.StdEncoding.EncodeToString([]byte(s)))
}

func fnBase64ToString(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return f.fault("invalid base64: %v", err)
	}
	return f.s(strings.ToValidUTF8(string(b), "\uFFFD"))
}

func fnBase64ToJSON(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return f.fault("invalid base64: %v", err)
	}
	v, err := f.ev.parseJSON(f.o, string(b))
	if err != nil {
		return f.fault("invalid JSON: %v", err)
	}
	return v
}

// fnURIComponent escapes all but the unreserved characters of RFC 3986, as
// .NET's Uri.EscapeDataString does.
func fnURIComponent(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return f.s(b.String())
}

func fnURIComponentToString(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b = append(b, byte(n))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return f.s(strings.ToValidUTF8(string(b), "\uFFFD"))
}

// fnConcat implements concat(): arrays into one array, or strings (and
// integers and bools, as string() writes them) into one string; null
// arguments are skipped.
func fnConcat(f *fcall) *Value {
	if len(f.args) > 0 && f.args[0].kind == KindArray {
		var out []Value
		for i, a := range f.args {
			switch a.kind {
			case KindArray:
				out = append(out, a.kids...)
			case KindNull:
			default:
				return f.fault("argument %d must be an array like the first, found %s", i+1, describe(a))
			}
		}
		return f.a(out)
	}
	var b strings.Builder
	for i, a := range f.args {
		switch a.kind {
		case KindString, KindNumber, KindBool:
			b.WriteString(stringOf(a))
		case KindNull:
		case KindUnresolved:
			return f.ev.rehome(f.o, a)
		default:
			return f.fault("argument %d must be a string like the first, found %s", i+1, describe(a))
		}
	}
	return f.s(b.String())
}

func strFn(f *fcall, fn func(string) string) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	return f.s(fn(s))
}

func strTest(f *fcall, fn func(s, t string) bool) *Value {
	ss, bad := f.strs()
	if bad != nil {
		return bad
	}
	return f.b(fn(ss[0], ss[1]))
}

// hasPrefixFold and hasSuffixFold compare case-insensitively, as startsWith
// and endsWith do.
func hasPrefixFold(s, p string) bool {
	for p != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeRuneInString(s)
		r2, n2 := utf8.DecodeRuneInString(p)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, p = s[n1:], p[n2:]
	}
	return true
}

func hasSuffixFold(s, p string) bool {
	for p != "" {
		if s == "" {
			return false
		}
		r1, n1 := utf8.DecodeLastRuneInString(s)
		r2, n2 := utf8.DecodeLastRuneInString(p)
		if !equalFoldRune(r1, r2) {
			return false
		}
		s, p = s[:len(s)-n1], p[:len(p)-n2]
	}
	return true
}

func equalFoldRune(a, b rune) bool {
	return a == b || unicode.ToLower(a) == unicode.ToLower(b) || unicode.ToUpper(a) == unicode.ToUpper(b)
}

// Strings index in UTF-16 code units, as .NET strings do.

func u16len(s string) int {
	if isASCII(s) {
		return len(s)
	}
	return len(utf16.Encode([]rune(s)))
}

// u16slice returns s[i:j] in UTF-16 units; 0 <= i <= j <= u16len(s).
func u16slice(s string, i, j int) string {
	if isASCII(s) {
		return s[i:j]
	}
	u := utf16.Encode([]rune(s))
	return string(utf16.Decode(u[i:j]))
}

func fnReplace(f *fcall) *Value {
	ss, bad := f.strs()
	if bad != nil {
		return bad
	}
	if ss[1] == "" {
		return f.fault("the string to replace is empty")
	}
	if n := strings.Count(ss[0], ss[1]); n > 0 && len(ss[2]) > len(ss[1]) && (len(ss[2])-len(ss[1]))*n > f.ev.lim.MaxOutput {
		f.ev.limit(f.o, "replace creates more than %d bytes (Limits.MaxOutput)", f.ev.lim.MaxOutput)
		return f.ev.stopped(f.o)
	}
	return f.s(strings.ReplaceAll(ss[0], ss[1], ss[2]))
}

// fnSplit implements split(text, delimiter or array of delimiters), keeping
// empty parts, as .NET's String.Split does.
func fnSplit(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	var delims []string
	switch d := f.args[1]; d.kind {
	case KindString:
		delims = []string{d.s}
	case KindArray:
		for i := range d.kids {
			x, ok := d.kids[i].Str()
			if !ok {
				return f.fault("the delimiters must be strings, found %s", describe(&d.kids[i]))
			}
			delims = append(delims, x)
		}
	default:
		return f.fault("the delimiter must be a string or an array of strings, found %s", describe(d))
	}
	delims = slices.DeleteFunc(delims, func(x string) bool { return x == "" })
	if len(delims) == 0 {
		return f.strArr([]string{s})
	}
	if len(delims) == 1 {
		return f.strArr(strings.Split(s, delims[0]))
	}
	if !f.ev.tick(f.o, len(s)*len(delims)/64) {
		return f.ev.stopped(f.o)
	}
	var parts []string
	start := 0
	for i := 0; i < len(s); {
		hit := ""
		for _, d := range delims {
			if strings.HasPrefix(s[i:], d) {
				hit = d
				break
			}
		}
		if hit == "" {
			i++
			continue
		}
		parts = append(parts, s[start:i])
		i += len(hit)
		start = i
	}
	parts = append(parts, s[start:])
	return f.strArr(parts)
}

func fnJoin(f *fcall) *Value {
	a := f.args[0]
	if a.kind != KindArray {
		return f.fault("argument 1 must be an array, found %s", describe(a))
	}
	d, bad := f.str(1)
	if bad != nil {
		return bad
	}
	parts := make([]string, len(a.kids))
	for i := range a.kids {
		switch e := &a.kids[i]; e.kind {
		case KindString, KindNumber, KindBool:
			parts[i] = stringOf(e)
		default:
			return f.fault("element %d must be a string, found %s", i, describe(e))
		}
	}
	return f.s(strings.Join(parts, d))
}

// fnSubstring implements substring(text, [startIndex], [length]); the range
// must lie within the string.
func fnSubstring(f *fcall) *Value {
	s, bad := f.str(0)
	if bad != nil {
		return bad
	}
	n := int64(u16len(s))
	start, length := int64(0), int64(-1)
	if len(f.args) > 1 {
		if start, bad = f.int(1); bad != nil {
			return bad
		}
	}
	if len(f.args) > 2 {
		if length, bad = f.int(2); bad != nil {
			return bad
		}
		if length < 0 {
			return f.fault("the length %d is negative", length)
		}
	}
	if start < 0 || start > n {
		return f.fault("the start index %d is outside the string of length %d", start, n)
	}
	if length < 0 {
		length = n - start
	}
	if start+length > n {
		return f.fault("the index %d and length %d must refer to a location within the string of length %d", start, length, n)
	}
	return f.s(u16slice(s, int(start), int(start+length)))
}

// fnIndexOf implements indexOf and lastIndexOf: of a string in a string,
// case-insensitively, in UTF-16 units; or of a value in an array. -1 if not
// found.
func fnIndexOf(f *fcall, last bool) *Value {
	if a := f.args[0]; a.kind == KindArray {
		idx := -1
		for i := range a.kids {
			if f.ev.equal(f.o, &a.kids[i], f.args[1]) {
				idx = i
				if !last {
					break
				}
			}
		}
		return f.i(int64(idx))
	}
	ss, bad := f.strs()
	if bad != nil {
		return bad
	}
	if isASCII(ss[0]) && isASCII(ss[1]) {
		h, n := strings.ToLower(ss[0]), strings.ToLower(ss[1])
		if last {
			return f.i(int64(strings.LastIndex(h, n)))
		}
		return f.i(int64(strings.Index(h, n)))
	}
	s, t := []rune(ss[0]), []rune(ss[1])
	if !f.ev.tick(f.o, len(s)*len(t)/64) {
		return f.ev.stopped(f.o)
	}
	match := func(i int) bool {
		for j, r := range t {
			if !equalFoldRune(s[i+j], r) {
				return false
			}
		}
		return true
	}
	idx := -1
	for i := 0; i+len(t) <= len(s); i++ {
		if match(i) {
			idx = i
			if !last {
				break
			}
		}
	}
	if idx > 0 {
		idx = len(utf16.Encode(s[:idx]))
	}
	return f.i(int64(idx))
}

// fnPadLeft implements padLeft(value, totalLength, [paddingCharacter]).
func fnPadLeft(f *fcall) *Value {
	a := f.args[0]
	if a.kind != KindString && a.kind != KindNumber {
		return f.fault("argument 1 must be a string or an integer, found %s", describe(a))
	}
	s := stringOf(a)
	total, bad := f.int(1)
	if bad != nil {
		return bad
	}
	pad := " "
	if len(f.args) == 3 {
		if pad, bad = f.str(2); bad != nil {
			return bad
		}
		if u16len(pad) != 1 {
			return f.fault("the padding must be one character, found %q", pad)
		}
	}
	n := int64(u16len(s))
	if total <= n {
		return f.s(s)
	}
	if total*int64(len(pad)) > int64(f.ev.lim.MaxOutput) {
		f.ev.limit(f.o, "padLeft to %d characters creates more than %d bytes (Limits.MaxOutput)", total, f.ev.lim.MaxOutput)
		return f.ev.stopped(f.o)
	}
	return f.s(strings.Repeat(pad, int(total-n)) + s)
}

// fnFormat implements format(formatString, args...) with .NET composite
// formatting: {index[,alignment][:format]}, "{{" and "}}" for braces.
// Integers take the standard formats D, N, X and G with a precision.
func fnFormat(f *fcall) *Value {
	fs, bad := f.str(0)
	if bad != nil {
		return bad
	}
	args := f.args[1:]
	var b strings.Builder
	for i := 0; i < len(fs); i++ {
		c := fs[i]
		if c == '}' {
			if i+1 < len(fs) && fs[i+1] == '}' {
				b.WriteByte('}')
				i++
				continue
			}
			return f.fault("unmatched '}' at %d in the format string", i)
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(fs) && fs[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(fs[i:], '}')
		if end < 0 {
			return f.fault("unmatched '{' at %d in the format string", i)
		}
		item := fs[i+1 : i+end]
		i += end
		spec := ""
		if k := strings.IndexByte(item, ':'); k >= 0 {
			item, spec = item[:k], item[k+1:]
		}
		align := 0
		if k := strings.IndexByte(item, ','); k >= 0 {
			n, err := strconv.Atoi(strings.TrimSpace(item[k+1:]))
			if err != nil || n > 10000 || n < -10000 {
				return f.fault("invalid alignment in {%s}", fs[i-end+1:i])
			}
			item, align = item[:k], n
		}
		idx, err := strconv.Atoi(strings.TrimSpace(item))
		if err != nil || idx < 0 {
			return f.fault("invalid format item {%s}", fs[i-end+1:i])
		}
		if idx >= len(args) {
			return f.fault("format item {%d} has no argument (%d given)", idx, len(args))
		}
		s, ok := formatItem(args[idx], spec)
		if !ok {
			return f.fault("format %q of %s is not supported", spec, describe(args[idx]))
		}
		if pad := abs(align) - u16len(s); pad > 0 {
			if align > 0 {
				s = strings.Repeat(" ", pad) + s
			} else {
				s += strings.Repeat(" ", pad)
			}
		}
		b.WriteString(s)
		if b.Len() > f.ev.lim.MaxOutput {
			f.ev.limit(f.o, "format creates more than %d bytes (Limits.MaxOutput)", f.ev.lim.MaxOutput)
			return f.ev.stopped(f.o)
		}
	}
	return f.s(b.String())
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// formatItem formats one argument of format().
func formatItem(v *Value, spec string) (string, bool) {
	switch v.kind {
	case KindString, KindBool, KindNull:
		return stringOf(v), true // .NET ignores formats for these
	case KindNumber:
		n, ok := v.Int()
		if !ok {
			return v.s, spec == ""
		}
		if spec == "" {
			return strconv.FormatInt(n, 10), true
		}
		prec := -1
		if len(spec) > 1 {
			p, err := strconv.Atoi(spec[1:])
			if err != nil || p < 0 || p > 99 {
				return "", false
			}
			prec = p
		}
		switch spec[0] {
		case 'D', 'd':
			s := strconv.FormatInt(absInt(n), 10)
			if len(s) < prec {
				s = strings.Repeat("0", prec-len(s)) + s
			}
			if n < 0 {
				s = "-" + s
			}
			return s, true
		case 'G', 'g':
			return strconv.FormatInt(n, 10), true
		case 'X', 'x':
			s := strconv.FormatUint(uint64(n), 16)
			if spec[0] == 'X' {
				s = strings.ToUpper(s)
			}
			if len(s) < prec {
				s = strings.Repeat("0", prec-len(s)) + s
			}
			return s, true
		case 'N', 'n':
			if prec < 0 {
				prec = 2
			}
			digits := strconv.FormatInt(absInt(n), 10)
			var b strings.Builder
			if n < 0 {
				b.WriteByte('-')
			}
			for i, c := range digits {
				if i > 0 && (len(digits)-i)%3 == 0 {
					b.WriteByte(',')
				}
				b.WriteRune(c)
			}
			if prec > 0 {
				b.WriteByte('.')
				b.WriteString(strings.Repeat("0", prec))
			}
			return b.String(), true
		}
	}
	return "", false
}

func absInt(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// fnCreateObject implements createObject(key1, value1, ...).
func fnCreateObject(f *fcall) *Value {
	if len(f.args)%2 != 0 {
		return f.fault("takes pairs of keys and values, given %d arguments", len(f.args))
	}
	var keys []string
	var kids []Value
	seen := map[string]bool{}
	for i := 0; i < len(f.args); i += 2 {
		k, bad := f.str(i)
		if bad != nil {
			return bad
		}
		if seen[strings.ToLower(k)] {
			return f.fault("the key %q is given twice", k)
		}
		seen[strings.ToLower(k)] = true
		keys = append(keys, k)
		kids = append(kids, *f.args[i+1])
	}
	return f.ev.obj(f.o, keys, kids)
}

func fnArray(f *fcall) *Value {
	if a := f.args[0]; a.kind == KindArray {
		return a
	}
	return f.a([]Value{*f.args[0]})
}

// fnUnion implements union(): arrays without duplicates, in order of first
// appearance; objects merged, later values winning and nested objects merged
// recursively (nested arrays are replaced), as "Object functions for ARM
// templates" shows.
func fnUnion(f *fcall) *Value {
	switch f.args[0].kind {
	case KindArray:
		var out []Value
		seen := map[string]bool{}
		for i, a := range f.args {
			if a.kind != KindArray {
				return f.fault("argument %d must be an array like the first, found %s", i+1, describe(a))
			}
			for j := range a.kids {
				if k := f.ev.canon(f.o, &a.kids[j]); !seen[k] {
					seen[k] = true
					out = append(out, a.kids[j])
				}
			}
		}
		return f.a(out)
	case KindObject:
		acc := f.args[0]
		for i, a := range f.args[1:] {
			if a.kind != KindObject {
				return f.fault("argument %d must be an object like the first, found %s", i+2, describe(a))
			}
			acc = mergeObjects(f.ev, f.o, acc, a)
		}
		return acc
	}
	return f.fault("the arguments must be arrays or objects, found %s", describe(f.args[0]))
}

func mergeObjects(ev *evaluator, o origin, a, b *Value) *Value {
	keys, kids := slices.Clone(a.keys), slices.Clone(a.kids)
	at := keyIndex(keys)
	for i, k := range b.keys {
		j, ok := at[strings.ToLower(k)]
		if !ok {
			at[strings.ToLower(k)] = len(keys)
			keys = append(keys, k)
			kids = append(kids, b.kids[i])
			continue
		}
		if kids[j].kind == KindObject && b.kids[i].kind == KindObject {
			kids[j] = *mergeObjects(ev, o, &kids[j], &b.kids[i])
		} else {
			kids[j] = b.kids[i]
		}
	}
	return ev.obj(o, keys, kids)
}

// fnIntersection implements intersection(): the elements (or the
// properties with equal values) that all arguments have.
// keyIndex maps the lower-cased keys of an object to their index (the
// first, for keys that differ only in case).
func keyIndex(keys []string) map[string]int {
	m := make(map[string]int, len(keys))
	for i, k := range keys {
		if _, ok := m[strings.ToLower(k)]; !ok {
			m[strings.ToLower(k)] = i
		}
	}
	return m
}

func fnIntersection(f *fcall) *Value {
	first := f.args[0]
	for i, a := range f.args {
		if a.kind != first.kind || a.kind != KindArray && a.kind != KindObject {
			return f.fault("argument %d must be an array or object like the first, found %s", i+1, describe(a))
		}
	}
	if first.kind == KindArray {
		sets := make([]map[string]bool, len(f.args)-1)
		for i, a := range f.args[1:] {
			sets[i] = map[string]bool{}
			for j := range a.kids {
				sets[i][f.ev.canon(f.o, &a.kids[j])] = true
			}
		}
		var out []Value
		seen := map[string]bool{}
		for j := range first.kids {
			k := f.ev.canon(f.o, &first.kids[j])
			in := !seen[k]
			for _, set := range sets {
				in = in && set[k]
			}
			if in {
				seen[k] = true
				out = append(out, first.kids[j])
			}
		}
		return f.a(out)
	}
	var keys []string
	var kids []Value
	for j, k := range first.keys {
		in := true
		for _, a := range f.args[1:] {
			m, ok := memberOf(a, k)
			in = in && ok && f.ev.equal(f.o, m, &first.kids[j])
		}
		if in {
			keys = append(keys, k)
			kids = append(kids, first.kids[j])
		}
	}
	return f.ev.obj(f.o, keys, kids)
}

func fnLength(f *fcall) *Value {
	switch a := f.args[0]; a.kind {
	case KindString:
		return f.i(int64(u16len(a.s)))
	case KindArray, KindObject:
		return f.i(int64(len(a.kids)))
	default:
		return f.fault("argument must be a string, array or object, found %s", describe(a))
	}
}

func fnEmpty(f *fcall) *Value {
	switch a := f.args[0]; a.kind {
	case KindNull:
		return f.b(true)
	case KindString:
		return f.b(a.s == "")
	case KindArray, KindObject:
		return f.b(len(a.kids) == 0)
	default:
		return f.fault("argument must be a string, array, object or null, found %s", describe(a))
	}
}

// fnEnd implements first and last: of an array (null when empty) or a
// string.
func fnEnd(f *fcall, last bool) *Value {
	switch a := f.args[0]; a.kind {
	case KindArray:
		if len(a.kids) == 0 {
			return f.ev.null(f.o)
		}
		if last {
			return &a.kids[len(a.kids)-1]
		}
		return &a.kids[0]
	case KindString:
		n := u16len(a.s)
		if n == 0 {
			return f.s("")
		}
		if last {
			return f.s(u16slice(a.s, n-1, n))
		}
		return f.s(u16slice(a.s, 0, 1))
	default:
		return f.fault("argument must be an array or a string, found %s", describe(a))
	}
}

// fnTakeSkip implements take and skip of arrays and strings; counts outside
// the range are clamped, as "Array functions for ARM templates" says.
func fnTakeSkip(f *fcall, take bool) *Value {
	n, bad := f.int(1)
	if bad != nil {
		return bad
	}
	a := f.args[0]
	var l int64
	switch a.kind {
	case KindArray:
		l = int64(len(a.kids))
	case KindString:
		l = int64(u16len(a.s))
	default:
		return f.fault("argument 1 must be an array or a string, found %s", describe(a))
	}
	n = max(0, min(n, l))
	lo, hi := int64(0), n
	if !take {
		lo, hi = n, l
	}
	if a.kind == KindArray {
		return f.a(slices.Clone(a.kids[lo:hi]))
	}
	return f.s(u16slice(a.s, int(lo), int(hi)))
}

// fnContains implements contains(container, item): an element of an array
// (deep equality), a key of an object (case-insensitive) or a substring
// (case-sensitive).
func fnContains(f *fcall) *Value {
	c, x := f.args[0], f.args[1]
	switch c.kind {
	case KindArray:
		return f.b(slices.ContainsFunc(c.kids, func(e Value) bool { return f.ev.equal(f.o, &e, x) }))
	case KindObject:
		k, ok := x.Str()
		if !ok {
			return f.fault("an object's keys are strings, not %s", describe(x))
		}
		_, found := memberOf(c, k)
		return f.b(found)
	case KindString:
		if x.kind != KindString && x.kind != KindNumber {
			return f.fault("a string can contain a string, not %s", describe(x))
		}
		return f.b(strings.Contains(c.s, x.s))
	}
	return f.fault("argument 1 must be an array, object or string, found %s", describe(c))
}

// fnRange implements range(startIndex, count): count at most 10,000 and
// startIndex+count at most 2,147,483,647 ("Array functions for ARM
// templates").
func fnRange(f *fcall) *Value {
	start, bad := f.int(0)
	if bad != nil {
		return bad
	}
	count, bad := f.int(1)
	if bad != nil {
		return bad
	}
	if count < 0 || count > 10000 {
		return f.fault("the count %d must be from 0 to 10000", count)
	}
	if start+count > math.MaxInt32 || start < math.MinInt32 {
		return f.fault("startIndex+count must be at most 2147483647")
	}
	out := make([]Value, count)
	for i := range out {
		out[i] = *f.i(start + int64(i))
	}
	return f.a(out)
}

// fnItems implements items(object): an array of {key, value} sorted by key
// (case-insensitively).
func fnItems(f *fcall) *Value {
	a := f.args[0]
	if a.kind != KindObject {
		return f.fault("argument must be an object, found %s", describe(a))
	}
	idx := make([]int, len(a.keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(x, y int) int {
		if c := strings.Compare(strings.ToLower(a.keys[x]), strings.ToLower(a.keys[y])); c != 0 {
			return c
		}
		return strings.Compare(a.keys[x], a.keys[y])
	})
	out := make([]Value, len(idx))
	for j, i := range idx {
		out[j] = *f.ev.obj(f.o, []string{"key", "value"}, []Value{*f.s(a.keys[i]), a.kids[i]})
	}
	return f.a(out)
}

func fnObjectKeys(f *fcall) *Value {
	a := f.args[0]
	if a.kind != KindObject {
		return f.fault("argument must be an object, found %s", describe(a))
	}
	return f.strArr(a.keys)
}

func fnFlatten(f *fcall) *Value {
	a := f.args[0]
	if a.kind != KindArray {
		return f.fault("argument must be an array of arrays, found %s", describe(a))
	}
	var out []Value
	for i := range a.kids {
		e := &a.kids[i]
		if e.kind != KindArray {
			return f.fault("element %d must be an array, found %s", i, describe(e))
		}
		out = append(out, e.kids...)
	}
	return f.a(out)
}

func fnShallowMerge(f *fcall) *Value {
	a := f.args[0]
	if a.kind != KindArray {
		return f.fault("argument must be an array of objects, found %s", describe(a))
	}
	var keys []string
	var kids []Value
	at := map[string]int{}
	for i := range a.kids {
		e := &a.kids[i]
		if e.kind != KindObject {
			return f.fault("element %d must be an object, found %s", i, describe(e))
		}
		for j, k := range e.keys {
			if x, ok := at[strings.ToLower(k)]; ok {
				kids[x] = e.kids[j]
			} else {
				at[strings.ToLower(k)] = len(keys)
				keys, kids = append(keys, k), append(kids, e.kids[j])
			}
		}
	}
	return f.ev.obj(f.o, keys, kids)
}

// fnTryGet implements tryGet(value, key or index, ...): null where a key or
// index is missing (Bicep's safe dereference a.?b compiles to it).
func fnTryGet(f *fcall) *Value {
	v := f.args[0]
	for _, k := range f.args[1:] {
		switch {
		case v.kind == KindUnresolved:
			return f.ev.rehome(f.o, v)
		case k.kind == KindUnresolved:
			return f.ev.rehome(f.o, k)
		case v.kind == KindObject && k.kind == KindString:
			m, ok := memberOf(v, k.s)
			if !ok {
				return f.ev.null(f.o)
			}
			v = m
		case v.kind == KindArray && k.kind == KindNumber:
			i, ok := k.Int()
			if !ok || i < 0 || i >= int64(len(v.kids)) {
				return f.ev.null(f.o)
			}
			v = &v.kids[i]
		case v.kind == KindNull:
			return v
		default:
			return f.fault("cannot look up %s in %s", describe(k), describe(v))
		}
	}
	return v
}

// Integer arithmetic; overflow is an error (Azure does not document it).

func addInt(a, b int64) (int64, bool) {
	c := a + b
	return c, (c > a) == (b > 0) || b == 0
}

func mulInt(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	return c, c/b == a && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64)
}

func divInt(a, b int64) (int64, bool) {
	if b == 0 || a == math.MinInt64 && b == -1 {
		return 0, false
	}
	return a / b, true
}

func modInt(a, b int64) (int64, bool) {
	if b == 0 {
		return 0, false
	}
	if b == -1 {
		return 0, true
	}
	return a % b, true
}

func arith(f *fcall, op func(a, b int64) (int64, bool)) *Value {
	a, bad := f.int(0)
	if bad != nil {
		return bad
	}
	b, bad := f.int(1)
	if bad != nil {
		return bad
	}
	c, ok := op(a, b)
	if !ok {
		if b == 0 && (f.n.str == "div" || f.n.str == "mod") {
			return f.fault("division by zero")
		}
		return f.fault("%d and %d overflow a 64-bit integer", a, b)
	}
	return f.i(c)
}

// fnMinMax implements min and max of integers, or of one array of them.
func fnMinMax(f *fcall, isMax bool) *Value {
	vals := f.args
	if len(vals) == 1 && vals[0].kind == KindArray {
		vals = nil
		for i := range f.args[0].kids {
			vals = append(vals, &f.args[0].kids[i])
		}
		if len(vals) == 0 {
			return f.fault("the array is empty")
		}
	}
	var best int64
	for i, v := range vals {
		n, ok := v.Int()
		if !ok {
			return f.fault("value %d must be an integer, found %s", i+1, describe(v))
		}
		if i == 0 || isMax && n > best || !isMax && n < best {
			best = n
		}
	}
	return f.i(best)
}

// equal is equal counting its work: one step per value compared.
func (ev *evaluator) equal(o origin, a, b *Value) bool {
	if !ev.tick(o, 1+len(a.kids)) {
		return false
	}
	if a.kind != b.kind || a.kind != KindArray && a.kind != KindObject {
		return equal(a, b)
	}
	if len(a.kids) != len(b.kids) {
		return false
	}
	for i := range a.kids {
		j := i
		if a.kind == KindObject {
			if j = slices.Index(b.keys, a.keys[i]); j < 0 {
				return false
			}
		}
		if !ev.equal(o, &a.kids[i], &b.kids[j]) {
			return false
		}
	}
	return true
}

// canon returns a key that two values share exactly when they are equal:
// compact JSON with numbers normalized and object keys sorted. It counts
// its work.
func (ev *evaluator) canon(o origin, v *Value) string {
	ev.tick(o, 1+len(v.kids))
	return string(appendCanon(nil, v))
}

func appendCanon(b []byte, v *Value) []byte {
	switch v.kind {
	case KindNumber:
		if n, ok := v.Int(); ok {
			return strconv.AppendInt(b, n, 10)
		}
		f, _ := v.Float()
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case KindArray:
		b = append(b, '[')
		for i := range v.kids {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCanon(b, &v.kids[i])
		}
		return append(b, ']')
	case KindObject:
		idx := make([]int, len(v.keys))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(x, y int) int { return strings.Compare(v.keys[x], v.keys[y]) })
		b = append(b, '{')
		for n, i := range idx {
			if n > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, v.keys[i])
			b = append(b, ':')
			b = appendCanon(b, &v.kids[i])
		}
		return append(b, '}')
	}
	return appendJSON(b, v)
}

// equal reports whether a and b are deeply equal: strings case-sensitively,
// numbers by value, objects by their properties in any order.
func equal(a, b *Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindNumber:
		if x, ok := a.Int(); ok {
			y, ok := b.Int()
			return ok && x == y
		}
		x, _ := a.Float()
		y, _ := b.Float()
		return x == y
	case KindString, KindBool, KindUnresolved:
		return a.s == b.s
	case KindArray:
		if len(a.kids) != len(b.kids) {
			return false
		}
		for i := range a.kids {
			if !equal(&a.kids[i], &b.kids[i]) {
				return false
			}
		}
		return true
	case KindObject:
		if len(a.kids) != len(b.kids) {
			return false
		}
		for i, k := range a.keys {
			j := slices.Index(b.keys, k)
			if j < 0 || !equal(&a.kids[i], &b.kids[j]) {
				return false
			}
		}
		return true
	}
	return true
}

// CIDR functions. parseCidr returns, for IPv4, the network, netmask,
// broadcast, first and last usable address (the network and broadcast
// addresses excluded; a /31 or /32 has no such reservation here, a choice
// where Learn is silent) and the prefix length; for IPv6, no broadcast, and
// the first usable address is the network address.

func cidrArg(f *fcall, i int) (netip.Prefix, *Value) {
	s, bad := f.str(i)
	if bad != nil {
		return netip.Prefix{}, bad
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, f.fault("%q is not a CIDR range", s)
	}
	return p.Masked(), nil
}

// lastAddr returns the last address of p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := range b {
		bitsHere := max(0, min(8, p.Bits()-8*i))
		b[i] |= byte(0xff >> bitsHere)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func maskAddr(p netip.Prefix) netip.Addr {
	b := make([]byte, p.Addr().BitLen()/8)
	for i := range b {
		bitsHere := max(0, min(8, p.Bits()-8*i))
		b[i] = ^byte(0xff >> bitsHere)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func fnParseCIDR(f *fcall) *Value {
	p, bad := cidrArg(f, 0)
	if bad != nil {
		return bad
	}
	net, last := p.Addr(), lastAddr(p)
	first, lastUse := net, last
	if p.Addr().Is4() && p.Bits() < 31 {
		first, lastUse = net.Next(), last.Prev()
	}
	keys := []string{"network", "netmask"}
	kids := []Value{*f.s(net.String()), *f.s(maskAddr(p).String())}
	if p.Addr().Is4() {
		keys = append(keys, "broadcast")
		kids = append(kids, *f.s(last.String()))
	}
	keys = append(keys, "firstUsable", "lastUsable", "cidr")
	kids = append(kids, *f.s(first.String()), *f.s(lastUse.String()), *f.i(int64(p.Bits())))
	return f.ev.obj(f.o, keys, kids)
}

// addrAdd returns a plus the 128-bit number hi:lo, and false past the end
// of the address family.
func addrAdd(a netip.Addr, hi, lo uint64) (netip.Addr, bool) {
	b := a.As16()
	x := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	y := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 | uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	y2 := y + lo
	carry := uint64(0)
	if y2 < y {
		carry = 1
	}
	x2 := x + hi + carry
	if x2 < x || hi == math.MaxUint64 && carry == 1 {
		return netip.Addr{}, false
	}
	for i := range 8 {
		b[i] = byte(x2 >> (56 - 8*i))
		b[8+i] = byte(y2 >> (56 - 8*i))
	}
	r := netip.AddrFrom16(b)
	if a.Is4() {
		if !r.Is4In6() {
			return netip.Addr{}, false
		}
		r = r.Unmap()
	}
	return r, true
}

// fnCIDRSubnet implements cidrSubnet(network, newCIDR, subnetIndex).
func fnCIDRSubnet(f *fcall) *Value {
	p, bad := cidrArg(f, 0)
	if bad != nil {
		return bad
	}
	nb, bad := f.int(1)
	if bad != nil {
		return bad
	}
	idx, bad := f.int(2)
	if bad != nil {
		return bad
	}
	if nb < int64(p.Bits()) || nb > int64(p.Addr().BitLen()) {
		return f.fault("the new prefix length %d must be from %d to %d", nb, p.Bits(), p.Addr().BitLen())
	}
	sub := nb - int64(p.Bits())
	if idx < 0 || sub < 63 && idx >= 1<<sub {
		return f.fault("the subnet index %d is outside the %d subnets of /%d in %s", idx, uint64(1)<<min(sub, 63), nb, p)
	}
	// offset = idx << shift, in 128 bits (idx < 2^sub, so it fits).
	shift := uint(int64(p.Addr().BitLen()) - nb)
	var hi, lo uint64
	switch {
	case shift >= 64:
		hi = uint64(idx) << (shift - 64)
	case shift == 0:
		lo = uint64(idx)
	default:
		hi, lo = uint64(idx)>>(64-shift), uint64(idx)<<shift
	}
	a, ok := addrAdd(p.Addr(), hi, lo)
	if !ok {
		return f.fault("the subnet index %d is too large", idx)
	}
	return f.s(netip.PrefixFrom(a, int(nb)).String())
}

// fnCIDRHost implements cidrHost(network, hostIndex): the usable address of
// that index, index 0 being the address after the network address.
func fnCIDRHost(f *fcall) *Value {
	p, bad := cidrArg(f, 0)
	if bad != nil {
		return bad
	}
	idx, bad := f.int(1)
	if bad != nil {
		return bad
	}
	if idx < 0 {
		return f.fault("the host index %d is negative", idx)
	}
	a, ok := addrAdd(p.Addr(), 0, uint64(idx)+1)
	last := lastAddr(p)
	if p.Addr().Is4() {
		last = last.Prev()
	}
	if !ok || !p.Contains(a) || last.Less(a) {
		return f.fault("the host index %d is outside the usable addresses of %s", idx, p)
	}
	return f.s(a.String())
}
