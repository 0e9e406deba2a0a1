package topology

import (
	"fmt"
	"slices"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// References of a plan's configuration
//
// A plan's configuration gives, for each attribute's expression, only the
// list of what it references (format 1.x, "references": "a list of
// references ... in the expression", the reference and each shorter prefix
// of it: ["azurerm_subnet.app[0].id", "azurerm_subnet.app[0]",
// "azurerm_subnet.app"]), never the expression itself; and it leaves local
// values out altogether
// (https://developer.hashicorp.com/terraform/internals/json-format#configuration-representation).
// So a value known only after apply is linked to the resource instance its
// references name when they name exactly one, through module inputs
// (var.x: the calling module's argument) and outputs (module.m.x, module
// instances by key, module.m["a"].x) at any depth, and through each.value of
// a resource whose for_each references one resource and nothing else (the
// instance of that resource with the same key: for_each =
// azurerm_subnet.app, or a for expression over it that keeps its keys).
// What the JSON cannot tell is not guessed, and the reason is returned for
// the warning to name:
//
//   - a local value (local.x), whose expression the JSON does not carry;
//   - a resource of several instances named without a key the JSON gives
//     (azurerm_subnet.app[count.index] is listed as "azurerm_subnet.app"
//     and "count.index": the index expression is Terraform's to evaluate);
//   - each.value otherwise (a for_each over a variable or a local);
//   - references to more than one resource (a conditional or coalesce).
//
// Root module variables, count.index, each.key, path.* and terraform.* are
// known at plan time: they cannot make a value unknown, and are not
// candidates.

// tfStep is one step of a reference: a name, and the index or key written
// after it as Terraform writes it ("[0]", `["a"]`), or "".
type tfStep struct{ name, key string }

// splitRef splits a reference ("module.spoke[\"a.b\"].subnet_id",
// "azurerm_subnet.app[0].id") into its steps; quoted keys may hold dots and
// brackets. A malformed tail is dropped.
func splitRef(ref string) []tfStep {
	var out []tfStep
	for ref != "" {
		end := len(ref)
		for i := 0; i < len(ref); i++ {
			if ref[i] == '.' || ref[i] == '[' {
				end = i
				break
			}
		}
		st := tfStep{name: ref[:end]}
		ref = ref[end:]
		for strings.HasPrefix(ref, "[") {
			k := closingBracket(ref)
			if k < 0 {
				return append(out, st)
			}
			st.key += ref[:k+1]
			ref = ref[k+1:]
		}
		out = append(out, st)
		if !strings.HasPrefix(ref, ".") {
			return out
		}
		ref = ref[1:]
	}
	return out
}

// refScope is where references are read: the module instance, and the
// resource instance whose expression it is (for each.value), nil for a
// module call's arguments.
type refScope struct {
	module string
	res    *tfRes
}

// refFinds gathers what a set of references names.
type refFinds struct {
	found []*tfRes
	why   []string
}

func (f *refFinds) add(t *tfRes) {
	if !slices.Contains(f.found, t) {
		f.found = append(f.found, t)
	}
}

func (f *refFinds) unresolved(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !slices.Contains(f.why, s) {
		f.why = append(f.why, s)
	}
}

// target returns the resource an expression's references name, in r's
// module, or nil.
func (b *tfBuilder) target(r *tfRes, e *tfjson.Expression) *tfRes {
	t, _ := b.resolve(r, e)
	return t
}

// resolve returns the one resource instance an expression of r references
// (see "References of a plan's configuration" above), or nil and why not,
// a clause for a warning.
func (b *tfBuilder) resolve(r *tfRes, e *tfjson.Expression) (*tfRes, string) {
	if e == nil {
		if r.cfg == nil {
			return nil, "the plan's configuration does not hold the resource"
		}
		return nil, "the plan's configuration has no expression for it"
	}
	var f refFinds
	b.collectRefs(&f, refScope{module: r.module, res: r}, e.References, 0)
	switch {
	case len(f.why) > 0:
		return nil, strings.Join(f.why, "; ")
	case len(f.found) == 1:
		return f.found[0], ""
	case len(f.found) > 1:
		var names []string
		for _, t := range f.found {
			names = append(names, t.addr)
		}
		return nil, "its expression references " + strings.Join(names, ", ") + ": which one the value comes from, the JSON does not say"
	}
	if len(e.References) == 0 {
		return nil, "its expression references no resource"
	}
	return nil, "no reference of its expression (" + strings.Join(e.References, ", ") + ") names a resource of the plan"
}

// collectRefs adds what refs, read in scope, name to f.
func (b *tfBuilder) collectRefs(f *refFinds, sc refScope, refs []string, depth int) {
	if depth > maxTFModuleDepth {
		f.unresolved("references through more than %d modules", maxTFModuleDepth)
		return
	}
	steps := make([][]tfStep, len(refs))
	for i, ref := range refs {
		steps[i] = splitRef(ref)
	}
	for i, st := range steps {
		if len(st) == 0 || isRefPrefix(st, steps) {
			continue // its longer form names the same thing
		}
		b.collectRef(f, sc, refs[i], st, steps, depth)
	}
}

// isRefPrefix reports whether st is a strict prefix of another reference of
// the list (Terraform lists each reference with its shorter prefixes), or
// the key-less form of a keyed one (azurerm_subnet.app beside
// azurerm_subnet.app[0]).
func isRefPrefix(st []tfStep, all [][]tfStep) bool {
	for _, o := range all {
		if len(o) < len(st) {
			continue
		}
		same := true
		for j := range st {
			last := j == len(st)-1
			if st[j].name != o[j].name || st[j].key != o[j].key && !(last && st[j].key == "" && o[j].key != "") {
				same = false
				break
			}
		}
		if same && (len(o) > len(st) || st[len(st)-1].key != o[len(st)-1].key) {
			return true
		}
	}
	return false
}

func (b *tfBuilder) collectRef(f *refFinds, sc refScope, ref string, st []tfStep, all [][]tfStep, depth int) {
	prefix := ""
	if sc.module != "" {
		prefix = sc.module + "."
	}
	switch st[0].name {
	case "var":
		if sc.module == "" || len(st) < 2 {
			return // a root module variable: known at plan time
		}
		parent, call, ok := splitModuleAddr(sc.module)
		if !ok {
			f.unresolved("%s: the module address %s cannot be read", ref, sc.module)
			return
		}
		pc := b.moduleConfig(parent)
		if pc == nil || pc.ModuleCalls[call] == nil {
			f.unresolved("%s: the plan's configuration does not hold the call of %s", ref, sc.module)
			return
		}
		e := pc.ModuleCalls[call].Expressions[st[1].name]
		if e == nil || e.ExpressionData == nil {
			return // the variable's default: a constant
		}
		b.collectRefs(f, refScope{module: parent}, e.References, depth+1)
	case "local":
		if len(st) > 1 {
			f.unresolved("it goes through local.%s, a local value, whose expression `terraform show -json` does not include", st[1].name)
		}
	case "module":
		b.moduleOutput(f, sc, prefix, ref, st, depth)
	case "each":
		if len(st) > 1 && st[1].name == "value" {
			b.eachValue(f, sc, ref)
		} // each.key: known at plan time
	case "count", "path", "terraform", "self":
		// Known at plan time.
	case "data":
		if len(st) >= 3 {
			b.lookupRef(f, prefix+"data."+st[1].name+"."+st[2].name, st[2].key, ref, all)
		}
	default:
		if len(st) >= 2 {
			b.lookupRef(f, prefix+st[0].name+"."+st[1].name, st[1].key, ref, all)
		}
	}
}

// lookupRef adds the instance base+key; a reference without a key to a
// resource of one instance names that instance, and to one of several, no
// instance the JSON says.
func (b *tfBuilder) lookupRef(f *refFinds, base, key, ref string, all [][]tfStep) {
	if key != "" {
		if t := b.byAddr[base+key]; t != nil {
			f.add(t)
		}
		return // an instance the plan does not hold (destroyed, count 0) gives no value
	}
	is := b.byBase[base]
	switch {
	case len(is) == 1:
		f.add(is[0])
	case len(is) > 1:
		var by []string
		for _, o := range all {
			if len(o) == 2 && (o[0].name == "count" && o[1].name == "index" || o[0].name == "each" && o[1].name == "key") {
				by = append(by, o[0].name+"."+o[1].name)
			}
		}
		how := "an index Terraform evaluates"
		if len(by) > 0 {
			how = "an index computed from " + strings.Join(by, " and ")
		}
		f.unresolved("it names %s, which has %d instances, through %s, which the JSON does not write out", ref, len(is), how)
	}
}

// moduleOutput follows module.NAME[KEY].OUTPUT into the output's
// expression in that module instance.
func (b *tfBuilder) moduleOutput(f *refFinds, sc refScope, prefix, ref string, st []tfStep, depth int) {
	if len(st) < 3 {
		return // the whole module object: its outputs are listed too
	}
	call := st[1]
	mc := b.moduleConfig(sc.module)
	if mc == nil || mc.ModuleCalls[call.name] == nil || mc.ModuleCalls[call.name].Module == nil {
		f.unresolved("%s: the plan's configuration does not hold module %s", ref, call.name)
		return
	}
	o := mc.ModuleCalls[call.name].Module.Outputs[st[2].name]
	if o == nil || o.Expression == nil || o.Expression.ExpressionData == nil {
		f.unresolved("%s: the plan's configuration does not hold that output", ref)
		return
	}
	inst := prefix + "module." + call.name + call.key
	if call.key == "" {
		insts := b.moduleInstances(prefix + "module." + call.name)
		switch len(insts) {
		case 0:
			return // the module holds no resource of the plan
		case 1:
			inst = insts[0]
		default:
			f.unresolved("it names %s, and module %s has %d instances: which one, the JSON does not write out", ref, call.name, len(insts))
			return
		}
	}
	b.collectRefs(f, refScope{module: inst}, o.Expression.References, depth+1)
}

// moduleInstances returns the instance addresses of the module call base
// (module.a.module.b) that hold resources, sorted.
func (b *tfBuilder) moduleInstances(base string) []string {
	bp, bc, ok := splitModuleAddr(base)
	if !ok {
		return nil
	}
	var out []string
	for _, r := range b.res {
		for m := r.module; m != ""; {
			p, c, ok := splitModuleAddr(m)
			if !ok {
				break
			}
			if p == bp && c == bc {
				if !slices.Contains(out, m) {
					out = append(out, m)
				}
				break
			}
			m = p
		}
	}
	slices.Sort(out)
	return out
}

// eachValue resolves each.value of a resource whose for_each references one
// resource and nothing else: the instance of that resource with the same
// key.
func (b *tfBuilder) eachValue(f *refFinds, sc refScope, ref string) {
	r := sc.res
	if r == nil || r.cfg == nil || r.cfg.ForEachExpression == nil || r.cfg.ForEachExpression.ExpressionData == nil {
		f.unresolved("it goes through %s, the for_each element, which the JSON does not describe", ref)
		return
	}
	refs := r.cfg.ForEachExpression.References
	var bases []string
	for _, x := range refs {
		st := splitRef(x)
		if len(st) == 2 && st[0].name != "var" && st[0].name != "local" && st[0].name != "module" && st[0].name != "each" && st[0].name != "count" && st[1].key == "" {
			bases = append(bases, st[0].name+"."+st[1].name)
		} else if len(st) == 3 && st[0].name == "data" && st[2].key == "" {
			bases = append(bases, "data."+st[1].name+"."+st[2].name)
		} else {
			bases = append(bases, "")
		}
	}
	key := r.addr[len(r.base):]
	if len(bases) != 1 || bases[0] == "" || key == "" {
		f.unresolved("it goes through %s, the element of a for_each over %s, which the JSON does not describe", ref, strings.Join(refs, ", "))
		return
	}
	prefix := ""
	if sc.module != "" {
		prefix = sc.module + "."
	}
	if t := b.byAddr[prefix+bases[0]+key]; t != nil {
		f.add(t)
		return
	}
	f.unresolved("it goes through %s of a for_each over %s, which has no instance %s", ref, bases[0], key)
}

// splitModuleAddr splits a module instance address ("module.a[\"x\"].module.b[0]")
// into its parent ("module.a[\"x\"]") and the last call's name ("b").
func splitModuleAddr(module string) (parent, call string, ok bool) {
	st := splitRef(module)
	if len(st) < 2 || len(st)%2 != 0 {
		return "", "", false
	}
	var sb strings.Builder
	for i := 0; i+2 < len(st); i += 2 {
		if st[i].name != "module" || st[i].key != "" {
			return "", "", false
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString("module." + st[i+1].name + st[i+1].key)
	}
	if st[len(st)-2].name != "module" {
		return "", "", false
	}
	return sb.String(), st[len(st)-1].name, true
}
