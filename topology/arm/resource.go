package arm

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Resource is one ARM resource of an input file, whatever wrapper it came in.
//
// ID, Type and Name are as the input spells them (Resource Graph lower-cases
// types; compare with [TypeIs], [EqualIDs] and [Key]). Name is the resource's
// own name, the last segment of its ID's name path ("snet1", not
// "vnet1/snet1"), so it is the same for every wrapper. ResourceGroup and
// SubscriptionID come from the ID. Location is "" when the input has none.
//
// Body is the resource's JSON object; read its ARM properties with
// [Value.Prop], which works for the REST shape and the az CLI's flattened
// shape alike. For template resources the ID is synthesized (see the package
// documentation) and Body is the evaluated declaration, without copy,
// condition, dependsOn and nested resources; values the template cannot
// give offline are unresolved ([Resource.Unresolved]).
//
// ID is the resource ID as written. Tools other than Azure's write IDs in
// short forms ("resourceGroups/rg/providers/...", even "resourceGroup/...");
// they are accepted ([ParseLooseID]; SubscriptionID is then "") and compare
// as case-insensitive strings. Type is inferred from the ID when the input
// has none (REST responses of child resources omit it).
//
// Pos is where the resource object starts; File is its file (Pos.File).
// Duplicates lists the keys that an object inside Body holds twice (see
// [DuplicateKey]); it is nil for nearly every resource.
//
// Resource is a plain value; copy it freely. Its Body is immutable and safe
// for concurrent reads.
type Resource struct {
	ID             string
	Type           string
	Name           string
	Location       string
	ResourceGroup  string
	SubscriptionID string
	Body           *Value
	Pos            Pos
	File           string
	Duplicates     []DuplicateKey

	unresolved bool // Body has KindUnresolved values
}

// TypeIs reports whether r is of resource type typ, such as
// "Microsoft.Network/virtualNetworks", comparing case-insensitively as ARM
// does (Resource Graph returns "microsoft.network/virtualnetworks").
func TypeIs(r Resource, typ string) bool { return strings.EqualFold(r.Type, typ) }

// The placeholder scope of template resources, whose IDs a template does not
// state; see the package documentation.
const (
	TemplateSubscription  = "00000000-0000-0000-0000-000000000000"
	TemplateResourceGroup = "template"
)

// Parse reads one file of ARM JSON from r, in any of the wrappers described
// in the package documentation (detected from the content), and returns its
// resources in document order. file names the input in positions and errors.
//
// Parse reports every problem of the file it can find, not just the first: the
// error is an *[Error] or an errors.Join of them (at most 100, then "and N
// more problems"), each with file:line:col. Two resources with the same ID
// (case-insensitively) are an error naming both positions ([ErrDuplicate]),
// even when their content is identical. On any error Parse returns no
// resources: a partial result is never returned.
//
// Parse enforces [MaxInputSize], [MaxDepth] and [MaxValues] and never panics
// on any input. It reads about 180 MB/s; the returned resources take about 4
// times the input size in memory, including the input text they share.
func Parse(file string, r io.Reader) ([]Resource, error) {
	return ParseWith(file, r, Options{})
}

// ParseKeepDuplicates is like [Parse] but keeps resources whose IDs repeat
// (the same resource exported twice, or inline in its parent and again on its
// own), for a caller that merges them, as topology.LoadFiles does. It is
// [ParseWith] with only [Options.KeepDuplicates] set.
func ParseKeepDuplicates(file string, r io.Reader) ([]Resource, error) {
	return ParseWith(file, r, Options{KeepDuplicates: true})
}

// ParseWith is [Parse] evaluating templates with opts.
func ParseWith(file string, r io.Reader, opts Options) ([]Resource, error) {
	if r == nil {
		return nil, &Error{Pos: Pos{File: file}, Detail: "nil reader", Kind: ErrFormat}
	}
	src, err := readSource(file, r)
	if err != nil {
		return nil, err
	}
	var errs errList
	res := parseSource(src, &opts, &errs)
	if !opts.KeepDuplicates {
		checkDuplicates(res, &errs)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return res, nil
}

// ParseFiles parses each named file like [Parse] and returns all their
// resources, files in argument order. Duplicate IDs are checked across all
// files. Problems of all files are reported together (at most 100); on any
// error no resources are returned. A file that cannot be read is an *[Error]
// with no line that wraps the I/O error.
func ParseFiles(paths ...string) ([]Resource, error) {
	return ParseFilesWith(Options{}, paths...)
}

// ParseFilesKeepDuplicates is like [ParseFiles] but keeps resources whose IDs
// repeat, within or across files, as [ParseKeepDuplicates] does.
func ParseFilesKeepDuplicates(paths ...string) ([]Resource, error) {
	return ParseFilesWith(Options{KeepDuplicates: true}, paths...)
}

// ParseFilesWith is [ParseFiles] evaluating templates with opts. Parameters
// files and overrides of opts.Parameters that apply to none of the templates
// are errors too (see [Parameters.Unused]).
func ParseFilesWith(opts Options, paths ...string) ([]Resource, error) {
	var errs errList
	var all []Resource
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			errs.add(&Error{Pos: Pos{File: path}, Kind: err})
			continue
		}
		src, err := readSource(path, f)
		f.Close()
		if err != nil {
			errs.merge(err)
			continue
		}
		all = append(all, parseSource(src, &opts, &errs)...)
	}
	errs.merge(opts.Parameters.Unused())
	if !opts.KeepDuplicates {
		checkDuplicates(all, &errs)
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return all, nil
}

// parseSource builds the tree of one file and normalizes it, evaluating
// templates with opts (nil: the zero Options), adding problems to errs.
func parseSource(src *source, opts *Options, errs *errList) []Resource {
	root, perr := parseTree(src)
	if perr != nil {
		errs.add(perr)
		return nil
	}
	n := normalizer{src: src, errs: errs, opts: opts}
	n.collect(root, true)
	if src.dups > 0 {
		for i := range n.out {
			n.out[i].Duplicates = duplicates(n.out[i].Body, nil, nil)
		}
	}
	return n.out
}

// checkDuplicates reports resources whose IDs are equal case-insensitively.
func checkDuplicates(res []Resource, errs *errList) {
	seen := make(map[string]int, len(res))
	for i, r := range res {
		k := Key(r.ID)
		if j, ok := seen[k]; ok {
			errs.addf(r.Pos, r.ID, "", ErrDuplicate, "the same ID (compared case-insensitively) is first defined at %s", res[j].Pos)
			continue
		}
		seen[k] = i
	}
}

// normalizer turns the tree of one file into resources.
type normalizer struct {
	src  *source
	errs *errList
	opts *Options
	out  []Resource
}

// collect handles v, which is a resource or any wrapper of resources. top is
// true for the document root only.
func (n *normalizer) collect(v *Value, top bool) {
	where := "array element"
	if top {
		where = "top-level value"
	}
	switch v.Kind() {
	case KindArray:
		for _, e := range v.Elems() {
			n.collect(e, false)
		}
		return
	case KindObject:
	default:
		n.errs.addf(v.Pos(), "", "", ErrFormat,
			"%s is a %s: expected an ARM resource object, an array of resources, or a wrapper object", where, v.Kind())
		return
	}
	switch {
	case isTemplate(v):
		if n.dupRead(v, "resources", "$schema", "contentVersion", "languageVersion") {
			return
		}
		n.template(v)
	case isRESTExample(v):
		n.restExample(v)
	case has(v, "type") || has(v, "id") || has(v, "name") || has(v, "properties"):
		n.resource(v)
	case has(v, "value"): // REST and az rest list pages; nextLink is not followed
		if !n.dupRead(v, "value") {
			n.list(v, "value")
		}
	case has(v, "data"): // Resource Graph: az graph query, and the REST API
		if n.dupRead(v, "data") {
			return
		}
		if d := v.Get("data"); d.Kind() == KindObject && has(d, "columns") {
			if !n.dupRead(d, "columns", "rows") {
				n.table(d)
			}
			return
		}
		n.list(v, "data")
	case v.Len() == 1 && v.kids[0].Kind() == KindObject && (has(&v.kids[0], "type") || has(&v.kids[0], "id")):
		// az ... create prints {"newVNet": {...}}.
		n.collect(&v.kids[0], false)
	default:
		n.errs.addf(v.Pos(), "", "", ErrFormat,
			"%s is not an ARM resource or wrapper: an object with no \"type\", \"id\", \"name\" or \"properties\", no \"value\" or \"data\" array and no template \"$schema\" (keys: %s)",
			where, keyList(v))
	}
}

// isRESTExample reports whether v is an example file of the Azure REST API
// specifications (Azure/azure-rest-api-specs, specification/*/examples):
// {"parameters": {...}, "responses": {"200": {"body": {...}}, ...}}, with
// "operationId" and "title" in newer ones.
func isRESTExample(v *Value) bool {
	return v.Get("responses").Kind() == KindObject && !has(v, "id") && !has(v, "type")
}

// restExample collects the body of a REST API example's 200 response (a
// resource or a list page), or of its 201 response when it has no 200 one.
func (n *normalizer) restExample(v *Value) {
	if n.dupRead(v, "responses") {
		return
	}
	resp := v.Get("responses")
	for _, code := range []string{"200", "201"} {
		if n.dupRead(resp, code) || n.dupRead(resp.Get(code), "body") {
			return
		}
		if body := resp.Get(code).Get("body"); body != nil {
			n.collect(body, false)
			return
		}
	}
	codes := keyList(resp)
	n.errs.addf(resp.Pos(), "", "responses", ErrFormat,
		"REST API example has no 200 or 201 response with a body to read (responses: %s)", codes)
}

// dupRead reports, as an error, the keys that object v holds twice and that
// the normalizer reads (wrapper members, a resource's id, type, name and
// location): which of the two was meant cannot be known. It returns true if
// there was one.
func (n *normalizer) dupRead(v *Value, keys ...string) bool {
	if v == nil || !v.dup {
		return false
	}
	found := false
	for _, key := range keys {
		var first *Value
		for i, k := range v.keys {
			if !foldEqual(k, key) {
				continue
			}
			if first == nil {
				first = &v.kids[i]
				continue
			}
			n.errs.addf(v.kids[i].Pos(), "", k, ErrFormat, "duplicate object key %q: also at %s; which one is meant cannot be known", truncate(k, 100), first.Pos())
			found = true
			break
		}
	}
	return found
}

// list collects the resources of wrapper member key, which must be an array
// or null (an empty page).
func (n *normalizer) list(v *Value, key string) {
	e := v.Get(key)
	switch e.Kind() {
	case KindAbsent, KindNull:
	case KindArray:
		for _, r := range e.Elems() {
			if r.Kind() != KindObject {
				n.errs.addf(r.Pos(), "", key+"[]", ErrFormat, "expected a resource object, found %s", r.Kind())
				continue
			}
			n.collect(r, false)
		}
	default:
		n.errs.addf(e.Pos(), "", key, ErrFormat, "expected an array of resources, found %s", e.Kind())
	}
}

// table converts Resource Graph's table result format
// ({"columns":[{"name":..}], "rows":[[..]]}) into row objects.
func (n *normalizer) table(d *Value) {
	cols := d.Get("columns")
	var names []string
	for i, c := range cols.Elems() {
		name, ok := c.Get("name").Str()
		if !ok {
			n.errs.addf(c.Pos(), "", fmt.Sprintf("data.columns[%d].name", i), ErrFormat, "expected a column name string")
			return
		}
		for _, x := range names {
			if foldEqual(x, name) {
				n.errs.addf(c.Pos(), "", fmt.Sprintf("data.columns[%d].name", i), ErrFormat, "column %q twice", truncate(name, 100))
				return
			}
		}
		names = append(names, name)
	}
	for i, row := range d.Get("rows").Elems() {
		if row.Kind() != KindArray || row.Len() != len(names) {
			n.errs.addf(row.Pos(), "", fmt.Sprintf("data.rows[%d]", i), ErrFormat,
				"expected an array of %d cells, found %s of length %d", len(names), row.Kind(), row.Len())
			continue
		}
		obj := &Value{src: row.src, off: row.off, kind: KindObject, keys: names, kids: row.kids}
		n.resource(obj)
	}
}

// has reports whether object v has member key (case-insensitively), even if
// its value is null.
func has(v *Value, key string) bool {
	if v.Kind() != KindObject {
		return false
	}
	for _, k := range v.keys {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

// keyList formats the first keys of an object for an error message.
func keyList(v *Value) string {
	const max = 6
	ks := v.keys
	var b strings.Builder
	for i, k := range ks {
		if i == max {
			fmt.Fprintf(&b, ", ... %d more", len(ks)-max)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", truncate(k, 40))
	}
	if len(ks) == 0 {
		return "none"
	}
	return b.String()
}

// truncate shortens s for an error message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// str reads an optional string member for a resource; it reports a member
// of the wrong kind.
func (n *normalizer) str(v *Value, key, res string) (string, *Value, bool) {
	m := v.Get(key)
	if m == nil {
		return "", nil, true
	}
	s, ok := m.Str()
	if !ok {
		n.errs.addf(m.Pos(), res, key, ErrFormat, "expected a string, found %s", m.Kind())
		return "", m, false
	}
	return s, m, true
}

// resource handles a deployed resource object (REST, az CLI, Resource Graph),
// which must have a string id and type that agree.
func (n *normalizer) resource(v *Value) {
	if n.dupRead(v, "id", "type", "name", "location") {
		return
	}
	nerr := n.errs.len()
	id, idv, _ := n.str(v, "id", "")
	typ, typv, _ := n.str(v, "type", id)
	loc, _, _ := n.str(v, "location", id)
	n.str(v, "name", id)
	if n.errs.len() > nerr {
		return
	}
	label := ""
	if name, ok := v.Get("name").Str(); ok {
		label = fmt.Sprintf(" (name %q)", truncate(name, 80))
	}
	if idv == nil {
		n.errs.addf(v.Pos(), "", "", ErrFormat, "resource%s has no \"id\"", label)
		return
	}
	rid, err := ParseLooseID(id)
	if err != nil {
		n.errs.addf(idv.Pos(), "", "id", ErrID, "%s", strings.TrimPrefix(err.Error(), ErrID.Error()+" "))
		return
	}
	if typv == nil {
		// REST responses of child resources (a subnet, a route, a
		// security rule) have no "type" (the Subnets_Get and Routes_Get
		// examples of the REST API specification): the ID holds it,
		// .../providers/{namespace}/{type}/{name}
		// (https://learn.microsoft.com/azure/azure-resource-manager/templates/template-functions-resource#resourceid).
		typ = rid.Type()
	}
	if !strings.EqualFold(rid.Type(), typ) {
		n.errs.addf(typv.Pos(), id, "type", ErrFormat, "type %q does not match the resource ID's type %q", truncate(typ, 200), rid.Type())
		return
	}
	n.out = append(n.out, Resource{
		ID: id, Type: typ, Name: rid.ShortName(), Location: loc,
		ResourceGroup: rid.ResourceGroup(), SubscriptionID: rid.SubscriptionID(),
		Body: v, Pos: v.Pos(), File: n.src.name,
	})
}
