package servicetag

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/jsontwin"
	"github.com/egresslab/egress/problem"
)

// This file is the slow twin of the parser, for the differential tests
// (parse_twin_test.go): it reads the whole file with internal/jsontwin,
// which decodes with encoding/json and finds every value's offset, and
// then checks the tree that it gets as the doc comment of Parse says, in
// the plainest way, with the same messages.

// twinParse parses text, a service-tags file without gzip compression,
// with the twin. After a syntax error it reports that error alone.
func twinParse(text string) (*Set, error) {
	p := twinParser{text: text}
	root, jerr := jsontwin.Read(text, maxDepth)
	switch {
	case jerr != nil:
		p.add(jerr.Off, "", "", ErrSyntax, nil, jerr.Kind+" error")
	case root.Kind != "object":
		p.add(root.Off, "", "", ErrInvalid, nil, fmt.Sprintf("top-level value is %s, want object", root.Kind))
	default:
		p.top(root)
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	slices.SortFunc(p.tags, func(a, b tagRec) int { return strings.Compare(a.key, b.key) })
	s := &Set{changeNumber: p.changeNumber, cloud: p.cloud, tags: p.tags, index: map[string]int32{}}
	for i, t := range s.tags {
		s.index[t.key] = int32(i)
	}
	if len(s.tags) == 0 {
		s.index = nil
	}
	return s, nil
}

type twinParser struct {
	text     string
	problems []*Error // in the order found, at most maxProblems
	more     int

	changeNumber int
	cloud        string
	tags         []tagRec       // in file order
	tagOff       map[string]int // offset of each tag's element, by key
}

// twinKey returns the one of keys that key matches case-insensitively, or
// "".
func twinKey(key string, keys ...string) string {
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return ""
}

// twinInt reads an integer field: null reads as 0.
func twinInt(v *jsontwin.Node) (int, string) {
	switch v.Kind {
	case "null":
		return 0, ""
	case "number":
		n, err := strconv.ParseInt(v.Text, 10, 0)
		if err != nil {
			return 0, "got number " + v.Text + ", want integer"
		}
		return int(n), ""
	}
	return 0, "got " + v.Kind + ", want integer"
}

// twinString reads a string field: null reads as "".
func twinString(v *jsontwin.Node) (string, string) {
	switch v.Kind {
	case "null":
		return "", ""
	case "string":
		return v.Text, ""
	}
	return "", "got " + v.Kind + ", want string"
}

func (p *twinParser) top(root *jsontwin.Node) {
	seen := map[string]bool{}
	for i, key := range root.Keys {
		v := root.Kids[i]
		k := twinKey(key, "changeNumber", "cloud", "values")
		if k == "" {
			continue
		}
		if seen[k] {
			p.add(v.Off, "", key, ErrInvalid, nil, "duplicate key")
			continue
		}
		seen[k] = true
		var msg string
		switch k {
		case "changeNumber":
			if p.changeNumber, msg = twinInt(v); msg == "" && p.changeNumber < 0 {
				msg = fmt.Sprintf("%d is negative", p.changeNumber)
			}
		case "cloud":
			if p.cloud, msg = twinString(v); msg == "" && p.cloud == "" {
				msg = "empty"
			}
		case "values":
			if v.Kind != "array" {
				msg = "got " + v.Kind + ", want array"
				break
			}
			for j, el := range v.Kids {
				p.element(j, el)
			}
		}
		if msg != "" {
			p.add(v.Off, "", key, ErrInvalid, nil, msg)
		}
	}
	for _, k := range []string{"changeNumber", "cloud", "values"} {
		if !seen[k] {
			p.add(root.Off, "", "", ErrInvalid, nil, "missing "+k)
		}
	}
}

// element checks element i of values, el, and adds its tag.
func (p *twinParser) element(i int, el *jsontwin.Node) {
	field := func(path ...any) string {
		s := fmt.Sprintf("values[%d]", i)
		for _, step := range path {
			if k, ok := step.(int); ok {
				s += fmt.Sprintf("[%d]", k)
			} else {
				s += "." + step.(string)
			}
		}
		return s
	}
	if el.Kind != "object" {
		p.add(el.Off, "", field(), ErrInvalid, nil, "got "+el.Kind+", want object")
		return
	}
	first := len(p.problems) // the element's problems, which name its tag
	problem := func(off int, field string, cause error, msg string) {
		p.add(off, "", field, ErrInvalid, cause, msg)
	}
	var (
		seen           = map[string]bool{}
		name, id       string
		nameOff, idOff = el.Off, el.Off
		nameOK, idOK   = true, true
		rec            tagRec
		prefixes       []netip.Prefix
		nameMsg, idMsg string
	)
	for k, key := range el.Keys {
		v := el.Kids[k]
		f := twinKey(key, "name", "id", "properties")
		if f == "" {
			continue
		}
		if seen[f] {
			problem(v.Off, field(f), nil, "duplicate key")
			continue
		}
		seen[f] = true
		switch f {
		case "name":
			name, nameMsg = twinString(v)
			nameOff, nameOK = v.Off, nameMsg == ""
			if !nameOK {
				problem(v.Off, field("name"), nil, nameMsg)
			}
		case "id":
			id, idMsg = twinString(v)
			idOff, idOK = v.Off, idMsg == ""
			if !idOK {
				problem(v.Off, field("id"), nil, idMsg)
			}
		case "properties":
			if v.Kind != "object" {
				problem(v.Off, field("properties"), nil, "got "+v.Kind+", want object")
				break
			}
			prefixes = p.properties(v, &rec, field, problem)
		}
	}
	add := nameOK && name != ""
	switch {
	case !nameOK:
	case name == "":
		problem(nameOff, field("name"), nil, "missing or empty name")
	default:
		rec.name, rec.key = name, strings.ToLower(name)
		if idOK && id != name {
			problem(idOff, field("id"), nil, fmt.Sprintf("id %q differs from name %q", id, name))
		}
		if IsVirtual(name) {
			problem(nameOff, field("name"), nil, fmt.Sprintf("%q is a virtual tag, which a service-tags file cannot define", name))
		}
		if off, dup := p.tagOff[rec.key]; dup {
			j := slices.IndexFunc(p.tags, func(t tagRec) bool { return t.key == rec.key })
			pos := p.pos(off)
			problem(nameOff, field("name"), nil, fmt.Sprintf("duplicate tag: %q is at %d:%d", p.tags[j].name, pos[0], pos[1]))
			add = false
		}
	}
	if !seen["properties"] {
		problem(el.Off, field(), nil, "missing properties")
	}
	for _, e := range p.problems[first:] {
		e.Resource = tagResource(name)
	}
	if !add {
		return
	}
	if p.tagOff == nil {
		p.tagOff = map[string]int{}
	}
	p.tagOff[rec.key] = el.Off
	rec.prefixes = prefixes
	p.tags = append(p.tags, rec)
}

// properties checks the properties object v into rec and returns the
// tag's prefixes, sorted and without duplicates.
func (p *twinParser) properties(v *jsontwin.Node, rec *tagRec, field func(...any) string, problem func(int, string, error, string)) []netip.Prefix {
	var prefixes []netip.Prefix
	seen := map[string]bool{}
	for k, key := range v.Keys {
		x := v.Kids[k]
		f := twinKey(key, "changeNumber", "region", "regionId", "systemService", "addressPrefixes", "networkFeatures")
		if f == "" {
			continue
		}
		if seen[f] {
			problem(x.Off, field("properties", f), nil, "duplicate key")
			continue
		}
		seen[f] = true
		var msg string
		switch f {
		case "changeNumber":
			if rec.changeNumber, msg = twinInt(x); msg == "" && rec.changeNumber < 0 {
				msg = fmt.Sprintf("%d is negative", rec.changeNumber)
			}
		case "region":
			rec.region, msg = twinString(x)
			rec.region = strings.ToLower(rec.region)
		case "regionId":
			if rec.regionID, msg = twinInt(x); msg == "" && rec.regionID < 0 {
				msg = fmt.Sprintf("%d is negative", rec.regionID)
			}
		case "systemService":
			rec.systemService, msg = twinString(x)
		case "addressPrefixes", "networkFeatures":
			if x.Kind != "array" {
				if x.Kind != "null" {
					msg = "got " + x.Kind + ", want array"
				}
				break
			}
			for j, e := range x.Kids {
				at := field("properties", f, j)
				if e.Kind != "string" {
					problem(e.Off, at, nil, "got "+e.Kind+", want string")
					continue
				}
				if f == "networkFeatures" {
					g, ok := parseFeature(e.Text)
					if !ok {
						problem(e.Off, at, nil, fmt.Sprintf("unknown network feature %q (want API, NSG, UDR, FW or VSE)", e.Text))
					}
					rec.features |= g
					continue
				}
				pfx, err := netip.ParsePrefix(e.Text)
				switch {
				case err != nil:
					problem(e.Off, at, err, err.Error())
				case pfx.Addr().Is4In6():
					problem(e.Off, at, nil, fmt.Sprintf("%q is an IPv4-mapped IPv6 prefix; write it as IPv4", pfx))
				case pfx != pfx.Masked():
					problem(e.Off, at, nil, fmt.Sprintf("prefix %q has host bits set; want %q", pfx, pfx.Masked()))
				default:
					prefixes = append(prefixes, pfx)
				}
			}
		}
		if msg != "" {
			problem(x.Off, field("properties", f), nil, msg)
		}
	}
	if !seen["addressPrefixes"] {
		problem(v.Off, field("properties"), nil, "missing addressPrefixes")
	}
	slices.SortFunc(prefixes, netip.Prefix.Compare)
	return slices.Compact(prefixes)
}

// pos returns the line and column of offset off, counted the slowest way.
func (p *twinParser) pos(off int) [2]int {
	before := p.text[:off]
	return [2]int{strings.Count(before, "\n") + 1, len(before) - strings.LastIndexByte(before, '\n')}
}

func (p *twinParser) add(off int, tag, field string, kind, cause error, msg string) {
	if len(p.problems) == maxProblems {
		p.more++
		return
	}
	pos := p.pos(off)
	p.problems = append(p.problems, &Error{Pos: problem.Pos{Line: pos[0], Col: pos[1]}, Resource: tagResource(tag), Field: field, Kind: kind, Detail: msg, Cause: cause})
}

// err returns the problems, in the order of their positions.
func (p *twinParser) err() error {
	errs := make([]error, 0, len(p.problems))
	slices.SortStableFunc(p.problems, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	for _, e := range p.problems {
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		return nil
	}
	return &problem.Errors{List: errs, Total: len(errs) + p.more}
}
