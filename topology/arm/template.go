package arm

import "strings"

// isTemplate reports whether v is an ARM deployment template: its $schema
// names a *deploymentTemplate.json, or it has "resources" and
// "contentVersion".
func isTemplate(v *Value) bool {
	if s, ok := v.Get("$schema").Str(); ok && strings.Contains(strings.ToLower(s), "deploymenttemplate.json") {
		return true
	}
	return has(v, "resources") && has(v, "contentVersion")
}

// scopeRef is a literal resource ID in a template naming a resource group.
type scopeRef struct {
	sub, rg string
	keys    []string // type|name keys of the ID and its parents, lower-case
}

// template evaluates an ARM template (see eval.go) and adds its resources.
//
// Without a subscription and resource group in the options, the template is
// first evaluated in the placeholder scope; if its literal resource IDs (in
// the resources, parameter defaults and parameters files) name its own
// resources in one resource group, as an export with SkipAllParameterization
// does, it is evaluated again in that scope, so that the references
// resolve.
func (n *normalizer) template(t *Value) {
	opts := n.opts
	if opts == nil {
		opts = &Options{}
	}
	sub, rg := opts.SubscriptionID, opts.ResourceGroup
	infer := sub == "" && rg == ""
	if sub == "" {
		sub = TemplateSubscription
	}
	if rg == "" {
		rg = TemplateResourceGroup
	}
	var errs errList
	ev, res := runTemplate(n.src, t, opts, sub, rg, &errs)
	if infer && ev.root != nil {
		if isub, irg := inferScope(ev); isub != "" && (isub != sub || irg != rg) {
			errs = errList{}
			_, res = runTemplate(n.src, t, opts, isub, irg, &errs)
		}
	}
	n.errs.merge(errs.err())
	n.out = append(n.out, res...)
}

// runTemplate evaluates template t deployed to a resource group.
func runTemplate(src *source, t *Value, opts *Options, sub, rg string, errs *errList) (*evaluator, []Resource) {
	ev := newEvaluator(src, opts, errs)
	scope := deployScope{sub: sub, rg: rg, loc: opts.Location}
	if scope.loc == "" {
		scope.locWhy = "the resource group's location is not known offline: give the region (Options.Location; egress --location)"
	}
	name := opts.DeploymentName
	if name == "" {
		name = deploymentName(src.name)
	}
	root := ev.newTemplate(t, nil, scope, name, 0, nil, nil, "")
	if root == nil {
		return ev, nil
	}
	ev.root = root
	root.declareAll("")
	ev.expandPending()
	return ev, ev.resources(root, nil)
}

// inferScope returns the one subscription and resource group that the
// literal IDs of the root template give its own resources, or "", "".
func inferScope(ev *evaluator) (sub, rg string) {
	root := ev.root
	var refs []scopeRef
	walk := func(v *Value) { collectRefs(v, &refs) }
	for _, r := range root.decl.Get("resources").Elems() {
		walk(r)
	}
	for _, r := range root.decl.Get("resources").Members() {
		walk(r)
	}
	for _, p := range root.params {
		walk(p.decl.Get("defaultValue"))
		if p.has && !p.given.ref && p.given.v != nil {
			walk(p.given.v)
		}
	}
	declared := make(map[string]bool, len(root.insts))
	for _, i := range root.insts {
		if !i.deploy {
			declared[strings.ToLower(i.typ+"|"+i.name)] = true
		}
	}
	for _, ref := range refs {
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
			return "", ""
		}
	}
	return sub, rg
}

// collectRefs records the literal resource IDs in v that name a resource
// group, skipping dependsOn (deployment order only).
func collectRefs(v *Value, refs *[]scopeRef) {
	if len(*refs) >= 10000 {
		return
	}
	switch v.Kind() {
	case KindString:
		s := v.s
		if isExpr(s) || len(s) <= len("/subscriptions/") || !strings.EqualFold(s[:len("/subscriptions/")], "/subscriptions/") {
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
		*refs = append(*refs, ref)
	case KindArray:
		for i := range v.kids {
			collectRefs(&v.kids[i], refs)
		}
	case KindObject:
		for i := range v.kids {
			if !strings.EqualFold(v.keys[i], "dependsOn") {
				collectRefs(&v.kids[i], refs)
			}
		}
	}
}

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
