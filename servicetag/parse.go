package servicetag

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/egresslab/egress/internal/jsonpos"
	"github.com/egresslab/egress/problem"
)

// MaxSize is the largest input, in bytes before and after decompression,
// that [Parse] and [ParseFile] accept; larger input fails with [ErrTooLarge]
// after reading MaxSize+1 bytes. The public cloud's file was about 4 MiB in
// 2025.
const MaxSize = 64 << 20

// maxProblems is the number of problems reported for one file; the rest are
// counted.
const maxProblems = problem.Max

// maxDepth is the deepest nesting of arrays and objects accepted, as in
// encoding/json; a real file nests four levels deep.
const maxDepth = 10000

// Parse reads a service-tags file (ServiceTags_Public_YYYYMMDD.json or a
// file of another cloud) from r and returns its [Set]. The input may be
// gzip-compressed, which Parse recognises by its magic number, and may
// start with a UTF-8 byte-order mark. Parse reads no more than one byte past
// [MaxSize].
//
// Parse checks the whole file and reports every problem it finds, up to 100
// (and the number of the others), joined with [errors.Join] in the order of
// their positions. Each is an [*Error] carrying the line and column of the
// offending value in the (decompressed) input, the tag and the field, and
// matching [ErrSyntax], [ErrInvalid] or [ErrTooLarge]. After a syntax error
// the rest of the input cannot be read, so it is the last problem reported.
// An error from r is returned wrapped, not as an *Error. On any error Parse
// returns a nil *Set: there is no partial result.
//
// The input must be JSON as encoding/json reads it, with strings of valid
// UTF-8 and no half of a UTF-16 surrogate pair in a \u escape (which
// encoding/json would replace with U+FFFD), nested no deeper than 10,000
// levels (encoding/json's limit). A UTF-16 file is refused, saying so.
// Columns count bytes, a byte-order mark included.
//
// A tag is accepted when its name is non-empty and equal to its id, it is not
// a virtual tag ([IsVirtual]), no other tag has the same name in any letter
// case, it has a properties object with an addressPrefixes array (null for
// none), every prefix is a valid, masked IPv4 or IPv6 prefix (IPv4-mapped IPv6
// is rejected), every networkFeatures entry names a [Features] constant, and
// its changeNumber and regionId, if present, are non-negative integers. The
// top level must have a non-negative integer changeNumber, a non-empty cloud
// and a values array. Object keys match case-insensitively, as in
// encoding/json, and none of the keys read may appear twice in one object;
// unknown keys, and the platform field, are ignored. A scalar field that is
// null reads as absent. Duplicate prefixes within a tag are dropped;
// overlapping ones are kept.
//
// Parsing the public cloud's file (4 MiB, 96,000 prefixes) takes about half
// the time encoding/json takes to decode it into generic values, reading it
// once. Memory use is proportional to the input, a few times its size at
// most. [Default] does not parse: it reads a copy checked when it was made.
func Parse(r io.Reader) (*Set, error) {
	return parse("", r, 0)
}

// ParseFile is like [Parse] but reads the file at path, and every error
// names it.
func ParseFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("servicetag: %w", err) // *fs.PathError names the file
	}
	defer f.Close()
	hint := 0
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		if fi.Size() > MaxSize { // refused before reading it
			return nil, &Error{Pos: problem.Pos{File: path}, Kind: ErrTooLarge, Detail: fmt.Sprintf("larger than %d MiB (MaxSize): %d bytes", MaxSize>>20, fi.Size())}
		}
		hint = int(fi.Size())
	}
	return parse(path, f, hint)
}

// parse reads all of r, which has about hint bytes (0 if unknown), and
// parses it; name is the file name for errors.
func parse(name string, r io.Reader, hint int) (*Set, error) {
	data, err := readAll(r, hint)
	if err != nil {
		if e, ok := err.(*Error); ok {
			e.Pos.File = name
			return nil, e
		}
		return nil, fmt.Errorf("servicetag: reading %s: %w", cmp.Or(name, "input"), err)
	}
	return parseData(name, data, 0)
}

// parseData parses data, decompressing it first if it is gzip-compressed;
// hint is the size of the decompressed data, if known.
func parseData(name string, data []byte, hint int) (*Set, error) {
	if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err == nil {
			data, err = readAll(zr, cmp.Or(hint, 8*len(data)))
		}
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				e = &Error{Kind: ErrSyntax, Detail: "reading gzip-compressed input: " + err.Error(), Cause: err}
			}
			e.Pos.File = name
			return nil, e
		}
	}
	p := parser{name: name, text: string(data)}
	return p.parse()
}

// readAll reads r to its end into a buffer of about hint bytes, and fails
// with ErrTooLarge after reading more than MaxSize bytes.
func readAll(r io.Reader, hint int) ([]byte, error) {
	b := make([]byte, 0, max(512, min(hint, MaxSize)+1))
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if len(b) > MaxSize {
			return nil, &Error{Kind: ErrTooLarge, Detail: fmt.Sprintf("larger than %d MiB (MaxSize)", MaxSize>>20)}
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = slices.Grow(b, min(cap(b), MaxSize+1-len(b)))
		}
	}
}

// parsePrefix4 parses an IPv4 prefix in canonical decimal form, such as
// "192.0.2.0/24" (no leading zeros), without allocating; three quarters of
// a real file's prefixes have that form. It reports false for anything else,
// for netip.ParsePrefix to parse or reject: it accepts a subset of what
// netip.ParsePrefix accepts, with the same result (FuzzParsePrefix4).
func parsePrefix4(b string) (netip.Prefix, bool) {
	var a [4]byte
	i := 0
	for k := range 5 {
		v, n := 0, 0
		for ; i < len(b) && '0' <= b[i] && b[i] <= '9' && n < 3; i, n = i+1, n+1 {
			v = v*10 + int(b[i]-'0')
		}
		if n == 0 || n > 1 && b[i-n] == '0' {
			return netip.Prefix{}, false
		}
		switch {
		case k < 3 && i < len(b) && b[i] == '.' && v <= 255,
			k == 3 && i < len(b) && b[i] == '/' && v <= 255:
			a[k] = byte(v)
			i++
		case k == 4 && i == len(b) && v <= 32:
			return netip.PrefixFrom(netip.AddrFrom4(a), v), true
		default:
			return netip.Prefix{}, false
		}
	}
	return netip.Prefix{}, false // not reached
}

// parser turns the text of one file into a Set, collecting problems. It
// reads the text once, with internal/jsonpos, which gives the offset of
// every value.
type parser struct {
	name  string
	text  string
	r     *jsonpos.Reader
	lines jsonpos.Lines

	problems []error
	more     int // problems found after maxProblems
	// pending are the problems of the values element being read: they
	// name its tag, which is known only at the element's end.
	pending []*Error

	set      Set            // tags in file order, with prefixes still nil
	tagOff   []int          // offset in text of each of set.tags, for duplicates
	bounds   [][2]int       // bounds in prefixes of each of set.tags
	prefixes []netip.Prefix // of all tags: the Set's backing array
}

// The keys that the parser reads, at the top level, in an element of
// values, and in its properties. It skips others (platform, and any that a
// later format adds).
var (
	topKeys      = []string{"changeNumber", "cloud", "values"}
	elementKeys  = []string{"name", "id", "properties"}
	propertyKeys = []string{"changeNumber", "region", "regionId", "systemService", "addressPrefixes", "networkFeatures"}
)

func (p *parser) parse() (*Set, error) {
	r := jsonpos.NewReader(p.text, jsonpos.Limits{MaxDepth: maxDepth})
	p.r = r
	if r.AtEnd() {
		p.add(r.Off(), "", "", ErrSyntax, nil, "empty input")
		return nil, p.err()
	}
	kind, start := r.Peek()
	if kind != jsonpos.Object {
		if r.Skip() && r.End() {
			p.add(start, "", "", ErrInvalid, nil, fmt.Sprintf("top-level value is %s, want object", kind))
		}
		return nil, p.err()
	}
	r.Value() // '{'
	// Size the backing array for all prefixes at once, but for no more
	// than two bytes of it per byte of input.
	p.prefixes = make([]netip.Prefix, 0, min(strings.Count(p.text, "/"), len(p.text)/16))
	var seen uint
	for i := 0; ; i++ {
		key, ok := r.Member(i)
		if !ok {
			break
		}
		var off int
		var msg string
		switch p.member(topKeys, key, &seen, func(off int, _ string) { p.add(off, "", key, ErrInvalid, nil, "duplicate key") }) {
		case 0:
			p.set.changeNumber, off, msg = p.integer()
			if msg == "" && p.set.changeNumber < 0 {
				msg = fmt.Sprintf("%d is negative", p.set.changeNumber)
			}
		case 1:
			p.set.cloud, off, msg = p.string()
			if msg == "" && p.set.cloud == "" {
				msg = "empty"
			}
		case 2:
			if kind, at := r.Peek(); kind != jsonpos.Array {
				r.Skip()
				off, msg = at, fmt.Sprintf("got %s, want array", kind)
				break
			}
			r.Value() // '['
			for j := 0; r.Elem(j); j++ {
				p.element(j)
			}
		case -1:
			r.Skip()
		}
		if msg != "" && r.Err() == nil {
			p.add(off, "", key, ErrInvalid, nil, msg)
		}
	}
	if !r.End() {
		return nil, p.err()
	}
	for f, key := range topKeys {
		if seen&(1<<f) == 0 {
			p.add(start, "", "", ErrInvalid, nil, "missing "+key)
		}
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return p.finish(), nil
}

// skipped is what member returns for a duplicate key, whose value it has
// skipped.
const skipped = -2

// member returns the index in keys of the key that matches key
// case-insensitively, as encoding/json matches keys to fields, or -1. If
// that key was seen before in the object (its bit in *seen), it skips the
// value, reports the duplicate with dup (the value's offset, and the key as
// keys spells it), and returns skipped.
func (p *parser) member(keys []string, key string, seen *uint, dup func(off int, key string)) int {
	for f, k := range keys {
		if !strings.EqualFold(k, key) {
			continue
		}
		if *seen&(1<<f) != 0 {
			_, off := p.r.Peek()
			if p.r.Skip() {
				dup(off, k)
			}
			return skipped
		}
		*seen |= 1 << f
		return f
	}
	return -1
}

// integer reads an integer, or null as 0, and returns it with its offset.
// A value of another kind it skips, returning what is wrong.
func (p *parser) integer() (n, off int, msg string) {
	kind, off := p.r.Peek()
	switch kind {
	case jsonpos.Null:
		p.r.Value()
		return 0, off, ""
	case jsonpos.Number:
		t, _ := p.r.Value()
		n, err := strconv.ParseInt(t.Text, 10, 0)
		if err != nil {
			return 0, off, fmt.Sprintf("got number %s, want integer", t.Text)
		}
		return int(n), off, ""
	}
	p.r.Skip()
	return 0, off, fmt.Sprintf("got %s, want integer", kind)
}

// string reads a string, or null as "", as integer reads an integer.
func (p *parser) string() (s string, off int, msg string) {
	kind, off := p.r.Peek()
	switch kind {
	case jsonpos.Null:
		p.r.Value()
		return "", off, ""
	case jsonpos.String:
		t, _ := p.r.Value()
		return t.Text, off, ""
	}
	p.r.Skip()
	return "", off, fmt.Sprintf("got %s, want string", kind)
}

// element is the values element being read.
type element struct {
	index int // in values
	off   int // offset of its '{' in the text
}

// field returns the JSON path of el's value reached by path: names of
// members and indices of elements.
func (el *element) field(path ...any) string {
	b := fmt.Appendf(nil, "values[%d]", el.index)
	for _, step := range path {
		switch step := step.(type) {
		case string:
			b = append(b, '.')
			b = append(b, step...)
		case int:
			b = fmt.Appendf(b, "[%d]", step)
		}
	}
	return string(b)
}

// element reads element i of values, checks it, and adds its tag to the
// set. It checks all of a tag even if its name is missing or a duplicate,
// but adds it only if not.
func (p *parser) element(i int) {
	r := p.r
	kind, off := r.Peek()
	if kind != jsonpos.Object {
		if r.Skip() {
			p.add(off, "", fmt.Sprintf("values[%d]", i), ErrInvalid, nil, fmt.Sprintf("got %s, want object", kind))
		}
		return
	}
	r.Value() // '{'
	el := &element{index: i, off: off}
	dup := func(off int, key string) { p.tagProblem(off, el.field(key), nil, "duplicate key") }
	var (
		seen           uint
		name, id       string
		nameOff, idOff = off, off // where the name and the id are, or the element
		nameOK, idOK   = true, true
		rec            tagRec
	)
	lo := len(p.prefixes)
	for j := 0; ; j++ {
		key, ok := r.Member(j)
		if !ok {
			break
		}
		var msg, field string
		var at int
		switch p.member(elementKeys, key, &seen, dup) {
		case 0:
			name, nameOff, msg = p.string()
			at, field, nameOK = nameOff, "name", msg == ""
		case 1:
			id, idOff, msg = p.string()
			at, field, idOK = idOff, "id", msg == ""
		case 2:
			var kind jsonpos.Kind
			kind, at = r.Peek()
			field = "properties"
			switch kind {
			case jsonpos.Object:
				p.properties(el, &rec)
			case jsonpos.Null:
				r.Value()
				msg = "got null, want object"
			default:
				r.Skip()
				msg = fmt.Sprintf("got %s, want object", kind)
			}
		case -1:
			r.Skip()
		}
		if msg != "" && r.Err() == nil {
			p.tagProblem(at, el.field(field), nil, msg)
		}
	}
	if r.Err() != nil {
		// The element is broken: what else seems wrong with it may be
		// the syntax error's doing.
		clear(p.pending)
		p.pending = p.pending[:0]
		return
	}

	add := nameOK && name != ""
	switch {
	case !nameOK:
		// reported: not a string
	case name == "":
		p.tagProblem(nameOff, el.field("name"), nil, "missing or empty name")
	default:
		rec.name, rec.key = name, strings.ToLower(name)
		if idOK && id != name {
			p.tagProblem(idOff, el.field("id"), nil, fmt.Sprintf("id %q differs from name %q", id, name))
		}
		if IsVirtual(name) {
			p.tagProblem(nameOff, el.field("name"), nil, fmt.Sprintf("%q is a virtual tag, which a service-tags file cannot define", name))
		}
		if j, dup := p.set.index[rec.key]; dup {
			line, col := p.position(p.tagOff[j])
			p.tagProblem(nameOff, el.field("name"), nil, fmt.Sprintf("duplicate tag: %q is at %d:%d", p.set.tags[j].name, line, col))
			add = false
		}
	}
	if seen&(1<<2) == 0 {
		p.tagProblem(off, el.field(), nil, "missing properties")
	}
	p.flush(name)
	if !add {
		p.prefixes = p.prefixes[:lo]
		return
	}
	if p.set.index == nil {
		p.set.index = make(map[string]int32)
	}
	p.set.index[rec.key] = int32(len(p.set.tags))
	p.set.tags = append(p.set.tags, rec)
	p.tagOff = append(p.tagOff, el.off)
	p.bounds = append(p.bounds, [2]int{lo, len(p.prefixes)})
}

// properties reads the properties object of el, checks it, and copies it
// to rec, and its prefixes to the end of p.prefixes, sorted and without
// duplicates.
func (p *parser) properties(el *element, rec *tagRec) {
	r := p.r
	_, start := r.Peek()
	r.Value() // '{'
	dup := func(off int, key string) { p.tagProblem(off, el.field("properties", key), nil, "duplicate key") }
	var seen uint
	lo := len(p.prefixes)
	for j := 0; ; j++ {
		key, ok := r.Member(j)
		if !ok {
			break
		}
		f := p.member(propertyKeys, key, &seen, dup)
		var msg string
		var at int
		switch f {
		case 0:
			rec.changeNumber, at, msg = p.integer()
			if msg == "" && rec.changeNumber < 0 {
				msg = fmt.Sprintf("%d is negative", rec.changeNumber)
			}
		case 1:
			rec.region, at, msg = p.string()
			rec.region = strings.ToLower(rec.region)
		case 2:
			rec.regionID, at, msg = p.integer()
			if msg == "" && rec.regionID < 0 {
				msg = fmt.Sprintf("%d is negative", rec.regionID)
			}
		case 3:
			rec.systemService, at, msg = p.string()
		case 4:
			at, msg = p.array(el, "addressPrefixes", func(k int, s string, off int) {
				p.prefix(el, k, s, off)
			})
		case 5:
			at, msg = p.array(el, "networkFeatures", func(k int, s string, off int) {
				if g, ok := parseFeature(s); ok {
					rec.features |= g
					return
				}
				p.tagProblem(off, el.field("properties", "networkFeatures", k), nil,
					fmt.Sprintf("unknown network feature %q (want API, NSG, UDR, FW or VSE)", s))
			})
		case -1:
			r.Skip()
		}
		if msg != "" && r.Err() == nil {
			p.tagProblem(at, el.field("properties", propertyKeys[f]), nil, msg)
		}
	}
	if r.Err() != nil {
		return
	}
	if seen&(1<<4) == 0 {
		p.tagProblem(start, el.field("properties"), nil, "missing addressPrefixes")
	}
	seg := p.prefixes[lo:]
	if !slices.IsSortedFunc(seg, netip.Prefix.Compare) {
		slices.SortFunc(seg, netip.Prefix.Compare)
	}
	p.prefixes = p.prefixes[:lo+len(slices.Compact(seg))]
}

// array reads the array of strings properties.key of el, or null for none,
// calling f with the index, the text and the offset of each string; an
// element of another kind is a problem. A value that is neither an array
// nor null it skips, returning its offset and what is wrong.
func (p *parser) array(el *element, key string, f func(k int, s string, off int)) (at int, msg string) {
	r := p.r
	kind, at := r.Peek()
	switch kind {
	case jsonpos.Null:
		r.Value()
		return at, ""
	case jsonpos.Array:
	default:
		r.Skip()
		return at, fmt.Sprintf("got %s, want array", kind)
	}
	r.Value() // '['
	for k := 0; r.Elem(k); k++ {
		kind, off := r.Peek()
		if kind != jsonpos.String {
			if r.Skip() {
				p.tagProblem(off, el.field("properties", key, k), nil, fmt.Sprintf("got %s, want string", kind))
			}
			continue
		}
		t, ok := r.Value()
		if !ok {
			break
		}
		f(k, t.Text, off)
	}
	return at, ""
}

// prefix checks s, entry k of el's addressPrefixes at offset off, and
// appends it to p.prefixes.
func (p *parser) prefix(el *element, k int, s string, off int) {
	pfx, ok := parsePrefix4(s)
	var err error
	if !ok {
		pfx, err = netip.ParsePrefix(s)
	}
	var msg string
	switch {
	case err != nil:
		msg = err.Error()
	case pfx.Addr().Is4In6():
		msg = fmt.Sprintf("%q is an IPv4-mapped IPv6 prefix; write it as IPv4", pfx)
	case pfx != pfx.Masked():
		msg = fmt.Sprintf("prefix %q has host bits set; want %q", pfx, pfx.Masked())
	default:
		p.prefixes = append(p.prefixes, pfx)
		return
	}
	p.tagProblem(off, el.field("properties", "addressPrefixes", k), err, msg)
}

// finish returns the Set built from the checked tags.
func (p *parser) finish() *Set {
	flat := p.prefixes
	if cap(flat)-len(flat) > len(flat)/8 {
		flat = slices.Clone(flat) // give back what append over-allocated
	}
	for i := range p.set.tags {
		b := p.bounds[i]
		p.set.tags[i].prefixes = flat[b[0]:b[1]:b[1]]
	}
	s := &Set{changeNumber: p.set.changeNumber, cloud: p.set.cloud, tags: p.set.tags, index: p.set.index}
	slices.SortFunc(s.tags, func(a, b tagRec) int { return strings.Compare(a.key, b.key) })
	for i := range s.tags {
		s.index[s.tags[i].key] = int32(i)
	}
	return s
}

// room reports whether another problem will be kept; if not, it counts it.
func (p *parser) room() bool {
	if len(p.problems)+len(p.pending) < maxProblems {
		return true
	}
	p.more++
	return false
}

// problemAt returns a problem at offset off of the text.
func (p *parser) problemAt(off int, tag, field string, kind, cause error, msg string) *Error {
	line, col := p.position(off)
	return &Error{Pos: problem.Pos{File: p.name, Line: line, Col: col}, Resource: tagResource(tag), Field: field, Kind: kind, Detail: msg, Cause: cause}
}

// add records a problem at offset off of the text.
func (p *parser) add(off int, tag, field string, kind, cause error, msg string) {
	if p.room() {
		p.problems = append(p.problems, p.problemAt(off, tag, field, kind, cause, msg))
	}
}

// tagProblem records a problem at offset off within the values element
// being read, for flush to name its tag.
func (p *parser) tagProblem(off int, field string, cause error, msg string) {
	if p.room() {
		p.pending = append(p.pending, p.problemAt(off, "", field, ErrInvalid, cause, msg))
	}
}

// flush records the problems of the values element just read, naming its
// tag, as spelled in the file ("" if it has none).
func (p *parser) flush(tag string) {
	for _, e := range p.pending {
		e.Resource = tagResource(tag)
		p.problems = append(p.problems, e)
	}
	clear(p.pending)
	p.pending = p.pending[:0]
}

// err returns the problems found, and the reader's syntax error if there
// is one, joined, in the order of their positions.
func (p *parser) err() error {
	if e := p.r.Err(); e != nil {
		// A nesting limit is a syntax error, as it is for encoding/json.
		// It is the last problem, and reported past maxProblems too.
		p.problems = append(p.problems, p.problemAt(e.Off, "", "", ErrSyntax, nil, e.Msg))
	}
	errs := p.problems
	slices.SortStableFunc(errs, func(a, b error) int {
		ea, eb := a.(*Error), b.(*Error)
		return cmp.Or(cmp.Compare(ea.Pos.Line, eb.Pos.Line), cmp.Compare(ea.Pos.Col, eb.Pos.Col))
	})
	if len(errs) == 0 {
		return nil
	}
	return &problem.Errors{List: errs, Total: len(errs) + p.more}
}

// tagResource names a tag as the resource of a problem; "" for none.
func tagResource(tag string) string {
	if tag == "" {
		return ""
	}
	return "tag " + strconv.Quote(tag)
}

// position returns the 1-based line and byte column of offset off.
func (p *parser) position(off int) (line, col int) {
	return p.lines.Position(p.text, off)
}
