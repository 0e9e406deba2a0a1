package servicetag

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"reflect"
	"slices"
	"strings"
)

// MaxSize is the largest input, in bytes before and after decompression,
// that [Parse] and [ParseFile] accept; larger input fails with [ErrTooLarge]
// after reading MaxSize+1 bytes. The public cloud's file was about 4 MiB in
// 2025.
const MaxSize = 64 << 20

// maxProblems is the number of problems reported for one file; the rest are
// counted.
const maxProblems = 100

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
// A tag is accepted when its name is non-empty and equal to its id, it is not
// a virtual tag ([IsVirtual]), no other tag has the same name in any letter
// case, it has a properties object with an addressPrefixes array (null for
// none), every prefix is a valid, masked IPv4 or IPv6 prefix (IPv4-mapped IPv6
// is rejected), every networkFeatures entry names a [Features] constant, and
// its changeNumber and regionId, if present, are non-negative integers. The
// top level must have a non-negative integer changeNumber, a non-empty cloud
// and a values array. Object keys match case-insensitively, as in
// encoding/json; unknown keys, and the platform field, are ignored.
// Duplicate prefixes within a tag are dropped; overlapping ones are kept.
//
// Parsing the public cloud's file (4 MiB, 96,000 prefixes) takes some 60 ms
// on a 2-core machine of 2025, little more than decoding it with
// encoding/json alone. Memory use is proportional to the input, a few times
// its size at most.
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
			return nil, &Error{File: path, Err: &problem{kind: ErrTooLarge, msg: fmt.Sprintf("input is larger than %d MiB (MaxSize): %d bytes", MaxSize>>20, fi.Size())}}
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
		if _, ok := err.(*problem); ok {
			return nil, &Error{File: name, Err: err}
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
			if _, ok := err.(*problem); !ok {
				err = &problem{kind: ErrSyntax, msg: "reading gzip-compressed input: " + err.Error(), cause: err}
			}
			return nil, &Error{File: name, Err: err}
		}
	}
	p := parser{name: name, data: bytes.TrimPrefix(data, []byte("\ufeff"))}
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
			return nil, &problem{kind: ErrTooLarge, msg: fmt.Sprintf("input is larger than %d MiB (MaxSize)", MaxSize>>20)}
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

// The JSON shape of one element of values. The types of the fields that
// repeat (prefixes, features) never fail to decode, so that one bad entry
// does not hide the others; the parser checks them afterwards.
type (
	valueJSON struct {
		Name       string          `json:"name"`
		ID         string          `json:"id"`
		Properties *propertiesJSON `json:"properties"`
	}
	propertiesJSON struct {
		ChangeNumber    int         `json:"changeNumber"`
		Region          string      `json:"region"`
		RegionID        int         `json:"regionId"`
		SystemService   string      `json:"systemService"`
		AddressPrefixes prefixList  `json:"addressPrefixes"`
		NetworkFeatures featureList `json:"networkFeatures"`
	}
)

// prefixList is addressPrefixes, and featureList networkFeatures. Their
// UnmarshalJSON methods read the arrays themselves, without reflection
// (which cost more than the rest of the parse), and never fail: the parser
// checks their entries afterwards, so that one bad entry does not hide the
// others.
type (
	prefixList struct {
		seen  bool         // the key was present, with any value
		got   string       // the kind of a value that is neither array nor null
		items []prefixJSON // the entries
	}
	featureList struct {
		got   string
		items []featureJSON
	}
)

// prefixJSON is one entry of addressPrefixes: a valid prefix, the text
// that is not one, or the kind of a value that is not a string.
type prefixJSON struct {
	p   netip.Prefix
	bad string
	got string
}

// featureJSON is one entry of networkFeatures: a known feature, the text
// that is not one, or the kind of a value that is not a string.
type featureJSON struct {
	f   Features
	bad string
	got string
}

func (l *prefixList) UnmarshalJSON(b []byte) error {
	*l = prefixList{seen: true, items: l.items[:0]}
	l.got = eachString(b, func(text []byte, got string) {
		l.items = append(l.items, prefixOf(text, got))
	})
	return nil
}

// prefixOf returns the entry of addressPrefixes for a string element's
// text, or for an element of kind got.
func prefixOf(text []byte, got string) prefixJSON {
	if got != "" {
		return prefixJSON{got: got}
	}
	if p, ok := parsePrefix4(text); ok {
		return prefixJSON{p: p}
	}
	p, err := netip.ParsePrefix(string(text))
	if err != nil {
		return prefixJSON{bad: string(text)}
	}
	return prefixJSON{p: p}
}

func (l *featureList) UnmarshalJSON(b []byte) error {
	*l = featureList{items: l.items[:0]}
	l.got = eachString(b, func(text []byte, got string) {
		jf := featureJSON{got: got}
		if got == "" {
			var ok bool
			if jf.f, ok = parseFeature(string(text)); !ok {
				jf.bad = string(text)
			}
		}
		l.items = append(l.items, jf)
	})
	return nil
}

// eachString calls f for each element of the JSON array b, which
// encoding/json has already checked to be valid JSON: with the unquoted text
// of a string element, or with the kind (see kindOf) of any other element.
// If b is not an array, eachString returns its kind, "" for null.
func eachString(b []byte, f func(text []byte, got string)) (got string) {
	if len(b) == 0 || b[0] == 'n' {
		return ""
	}
	if b[0] != '[' {
		return kindOf(b[0])
	}
	// The fast path: strings without escapes.
	n := 0
	for i := 1; ; n++ {
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
		if i >= len(b) || b[i] == ']' {
			return ""
		}
		if b[i] != '"' {
			break
		}
		j := bytes.IndexByte(b[i+1:], '"')
		if j < 0 || bytes.IndexByte(b[i+1:i+1+j], '\\') >= 0 {
			break
		}
		f(b[i+1:i+1+j], "")
		i += j + 2
	}
	// The slow path, for the elements after the first that is not such a
	// string.
	var raw []json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return "" // not reached: b is valid JSON
	}
	for _, r := range raw[n:] {
		var s string
		if r[0] != '"' || json.Unmarshal(r, &s) != nil {
			f(nil, kindOf(r[0]))
			continue
		}
		f([]byte(s), "")
	}
	return ""
}

// parsePrefix4 parses an IPv4 prefix in canonical decimal form, such as
// "192.0.2.0/24" (no leading zeros), without allocating; three quarters of
// a real file's prefixes have that form. It reports false for anything else,
// for netip.ParsePrefix to parse or reject: it accepts a subset of what
// netip.ParsePrefix accepts, with the same result (FuzzParsePrefix4).
func parsePrefix4(b []byte) (netip.Prefix, bool) {
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

// skipValue decodes any JSON value into nothing.
type skipValue struct{}

func (*skipValue) UnmarshalJSON([]byte) error { return nil }

// parser turns the bytes of one file into a Set, collecting problems.
type parser struct {
	name  string
	data  []byte
	lines []int // offset of the start of each line, built on first use

	problems []error
	more     int // problems found after maxProblems

	set      Set            // tags in file order, with prefixes still nil
	tagOff   []int          // offset in data of each of set.tags, for duplicates
	bounds   [][2]int       // bounds in prefixes of each of set.tags
	prefixes []netip.Prefix // of all tags: the Set's backing array

	v     valueJSON      // the element being decoded, reused
	props propertiesJSON // the properties being decoded, reused
}

// element is the values element being checked.
type element struct {
	index int    // in values
	off   int    // offset in data
	doc   []byte // its JSON text
	name  string // its name, if known
}

func (p *parser) parse() (*Set, error) {
	dec := json.NewDecoder(bytes.NewReader(p.data))
	start := skipSpace(p.data, 0)
	if start == len(p.data) {
		p.add(start, "", "", ErrSyntax, nil, "empty input")
		return nil, p.err()
	}
	if p.data[start] != '{' {
		if !json.Valid(p.data) {
			p.syntax(nil)
		} else {
			p.add(start, "", "", ErrInvalid, nil, fmt.Sprintf("top-level value is %s, want object", kindOf(p.data[start])))
		}
		return nil, p.err()
	}
	if _, err := dec.Token(); err != nil { // '{'
		p.syntax(err)
		return nil, p.err()
	}
	// Size the backing array for all prefixes at once, but for no more
	// than two bytes of it per byte of input.
	p.prefixes = make([]netip.Prefix, 0, min(bytes.Count(p.data, []byte{'/'}), len(p.data)/16))
	seen := make(map[string]bool, 4) // the known keys, lower-cased
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			p.syntax(err)
			return nil, p.err()
		}
		key, _ := tok.(string)
		off := valueStart(p.data, int(dec.InputOffset()))
		if off >= len(p.data) {
			p.syntax(io.ErrUnexpectedEOF)
			return nil, p.err()
		}
		field := strings.ToLower(key)
		switch field {
		case "changenumber", "cloud", "values":
			if seen[field] {
				p.add(off, "", key, ErrInvalid, nil, "duplicate key")
				field = "" // skip the value
			}
			seen[field] = true
		}
		var ok, stop bool
		switch field {
		case "changenumber":
			if ok, stop = p.decodeTop(dec, off, key, &p.set.changeNumber); ok && p.set.changeNumber < 0 {
				p.add(off, "", key, ErrInvalid, nil, fmt.Sprintf("%d is negative", p.set.changeNumber))
			}
		case "cloud":
			if ok, stop = p.decodeTop(dec, off, key, &p.set.cloud); ok && p.set.cloud == "" {
				p.add(off, "", key, ErrInvalid, nil, "empty")
			}
		case "values":
			stop = !p.values(dec, off, key)
		default:
			_, stop = p.decodeTop(dec, off, key, new(skipValue))
		}
		if stop {
			return nil, p.err()
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		p.syntax(err)
		return nil, p.err()
	}
	if end := skipSpace(p.data, int(dec.InputOffset())); end < len(p.data) {
		p.syntax(nil)
		return nil, p.err()
	}
	for _, key := range []string{"changeNumber", "cloud", "values"} {
		if !seen[strings.ToLower(key)] {
			p.add(start, "", "", ErrInvalid, nil, "missing "+key)
		}
	}
	if len(p.problems) > 0 {
		return nil, p.err()
	}
	return p.finish(), nil
}

// decodeTop decodes the value of the top-level key at off into v. It
// reports whether it succeeded, and whether the parse must stop because of
// a syntax error.
func (p *parser) decodeTop(dec *json.Decoder, off int, key string, v any) (ok, stop bool) {
	err := dec.Decode(v)
	if err == nil {
		return true, false
	}
	var te *json.UnmarshalTypeError
	if !errors.As(err, &te) {
		p.syntax(err)
		return false, true
	}
	p.add(off, "", key, ErrInvalid, nil, fmt.Sprintf("got %s, want %s", te.Value, describe(te.Type)))
	return false, false
}

// values decodes the values array at off, element by element.
func (p *parser) values(dec *json.Decoder, off int, key string) bool {
	if p.data[off] != '[' {
		p.add(off, "", key, ErrInvalid, nil, fmt.Sprintf("got %s, want array", kindOf(p.data[off])))
		_, stop := p.decodeTop(dec, off, key, new(skipValue))
		return !stop
	}
	if _, err := dec.Token(); err != nil {
		p.syntax(err)
		return false
	}
	for i := 0; dec.More(); i++ {
		el := element{index: i, off: valueStart(p.data, int(dec.InputOffset()))}
		if el.off >= len(p.data) || p.data[el.off] != '{' {
			if el.off < len(p.data) {
				p.add(el.off, "", fmt.Sprintf("values[%d]", i), ErrInvalid, nil, fmt.Sprintf("got %s, want object", kindOf(p.data[el.off])))
			}
			if err := dec.Decode(new(skipValue)); err != nil {
				p.syntax(err)
				return false
			}
			continue
		}
		p.reset()
		err := dec.Decode(&p.v)
		var te *json.UnmarshalTypeError
		if err != nil && !errors.As(err, &te) {
			p.syntax(err)
			return false
		}
		el.doc = p.data[el.off:dec.InputOffset()]
		el.name = p.v.Name
		if te != nil {
			p.typeError(&el, te)
			continue
		}
		p.tag(&el)
	}
	if _, err := dec.Token(); err != nil { // ']'
		p.syntax(err)
		return false
	}
	return true
}

// reset prepares p.v for the next element, reusing the slices of the last.
func (p *parser) reset() {
	pre, nf := p.props.AddressPrefixes.items, p.props.NetworkFeatures.items
	clear(pre) // let go of the strings
	clear(nf)
	p.props = propertiesJSON{
		AddressPrefixes: prefixList{items: pre[:0]},
		NetworkFeatures: featureList{items: nf[:0]},
	}
	p.v = valueJSON{Properties: &p.props}
}

// typeError reports a value of the wrong JSON type inside el, the first
// that encoding/json found. The rest of el is not checked: the fields that
// failed to decode would be reported again as missing.
func (p *parser) typeError(el *element, te *json.UnmarshalTypeError) {
	if !p.room() {
		return
	}
	var path []any
	if te.Field != "" {
		for f := range strings.SplitSeq(te.Field, ".") {
			path = append(path, f)
		}
	}
	off, ok := locate(el.doc, path...)
	if !ok {
		off = 0 // not reached
	}
	p.add(el.off+off, el.name, el.field(path), ErrInvalid, nil, fmt.Sprintf("got %s, want %s", te.Value, describe(te.Type)))
}

// tag checks the decoded element el and adds it to the set. It checks
// all of a tag even if its name is missing or a duplicate, but adds it only
// if not.
func (p *parser) tag(el *element) {
	v := &p.v
	rec := tagRec{name: v.Name, key: strings.ToLower(v.Name)}
	add := true
	if v.Name == "" {
		p.tagProblem(el, "missing or empty name", nil, "name")
		add = false
	} else {
		if v.ID != v.Name {
			p.tagProblem(el, fmt.Sprintf("id %q differs from name %q", v.ID, v.Name), nil, "id")
		}
		if IsVirtual(v.Name) {
			p.tagProblem(el, fmt.Sprintf("%q is a virtual tag, which a service-tags file cannot define", v.Name), nil, "name")
		}
		if j, dup := p.set.index[rec.key]; dup {
			line, col := p.position(p.tagOff[j])
			p.tagProblem(el, fmt.Sprintf("duplicate tag: %q is at %d:%d", p.set.tags[j].name, line, col), nil, "name")
			add = false
		}
	}
	lo := len(p.prefixes)
	p.properties(el, &rec)
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

// properties checks the properties of el and copies them to rec, and its
// prefixes to the end of p.prefixes, sorted and without duplicates.
func (p *parser) properties(el *element, rec *tagRec) {
	props := p.v.Properties
	if props == nil {
		p.tagProblem(el, "got null, want object", nil, "properties")
		return
	}
	switch pl := &props.AddressPrefixes; {
	case !pl.seen:
		// The parser's props stand for a missing properties object too.
		if _, ok := locate(el.doc, "properties"); !ok {
			p.tagProblem(el, "missing properties", nil)
		} else {
			p.tagProblem(el, "missing addressPrefixes", nil, "properties")
		}
		return
	case pl.got != "":
		p.tagProblem(el, fmt.Sprintf("got %s, want array", pl.got), nil, "properties", "addressPrefixes")
	}
	if props.ChangeNumber < 0 {
		p.tagProblem(el, fmt.Sprintf("%d is negative", props.ChangeNumber), nil, "properties", "changeNumber")
	}
	if props.RegionID < 0 {
		p.tagProblem(el, fmt.Sprintf("%d is negative", props.RegionID), nil, "properties", "regionId")
	}
	rec.changeNumber = props.ChangeNumber
	rec.region = strings.ToLower(props.Region)
	rec.regionID = props.RegionID
	rec.systemService = props.SystemService

	lo := len(p.prefixes)
	var bad []entryProblem
	for i, jp := range props.AddressPrefixes.items {
		pfx := jp.p
		var e entryProblem
		switch {
		case jp.got != "":
			e.msg = fmt.Sprintf("got %s, want string", jp.got)
		case !pfx.IsValid():
			_, e.cause = netip.ParsePrefix(jp.bad)
			e.msg = e.cause.Error()
		case pfx.Addr().Is4In6():
			e.msg = fmt.Sprintf("%q is an IPv4-mapped IPv6 prefix; write it as IPv4", pfx)
		case pfx != pfx.Masked():
			e.msg = fmt.Sprintf("prefix %q has host bits set; want %q", pfx, pfx.Masked())
		default:
			p.prefixes = append(p.prefixes, pfx)
			continue
		}
		bad = p.appendEntryProblem(bad, i, e)
	}
	p.entryProblems(el, "addressPrefixes", bad)
	seg := p.prefixes[lo:]
	if !slices.IsSortedFunc(seg, netip.Prefix.Compare) {
		slices.SortFunc(seg, netip.Prefix.Compare)
	}
	p.prefixes = p.prefixes[:lo+len(slices.Compact(seg))]

	if got := props.NetworkFeatures.got; got != "" {
		p.tagProblem(el, fmt.Sprintf("got %s, want array", got), nil, "properties", "networkFeatures")
	}
	bad = bad[:0]
	for i, jf := range props.NetworkFeatures.items {
		switch {
		case jf.got != "":
			bad = p.appendEntryProblem(bad, i, entryProblem{msg: fmt.Sprintf("got %s, want string", jf.got)})
		case jf.bad != "" || jf.f == 0:
			bad = p.appendEntryProblem(bad, i, entryProblem{msg: fmt.Sprintf("unknown network feature %q (want API, NSG, UDR, FW or VSE)", jf.bad)})
		}
		rec.features |= jf.f
	}
	p.entryProblems(el, "networkFeatures", bad)
}

// entryProblem is a problem with one entry of an array in a tag's
// properties.
type entryProblem struct {
	index int
	msg   string
	cause error
}

// appendEntryProblem appends e, the problem with entry i, to bad, unless
// that would report more than maxProblems; then it counts it.
func (p *parser) appendEntryProblem(bad []entryProblem, i int, e entryProblem) []entryProblem {
	if len(p.problems)+len(bad) >= maxProblems {
		p.more++
		return bad
	}
	e.index = i
	return append(bad, e)
}

// entryProblems reports the problems bad with entries of the array
// properties.key of el. It finds their positions in one pass over the
// array, so that the cost stays linear however many entries are bad.
func (p *parser) entryProblems(el *element, key string, bad []entryProblem) {
	if len(bad) == 0 {
		return
	}
	arr, ok := locate(el.doc, "properties", key)
	var offs []int
	if ok {
		offs = make([]int, 0, len(bad))
		dec := json.NewDecoder(bytes.NewReader(el.doc[arr:]))
		if _, err := dec.Token(); err == nil {
			for i := 0; dec.More() && len(offs) < len(bad); i++ {
				if i == bad[len(offs)].index {
					offs = append(offs, arr+valueStart(el.doc[arr:], int(dec.InputOffset())))
				}
				if dec.Decode(new(skipValue)) != nil {
					break
				}
			}
		}
	}
	for k, e := range bad {
		off := 0 // the element, if the entry is not found (not reached)
		if k < len(offs) {
			off = offs[k]
		}
		p.add(el.off+off, el.name, el.field([]any{"properties", key, e.index}), ErrInvalid, e.cause, e.msg)
	}
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

// field returns the JSON path of el's value reached by path.
func (el *element) field(path []any) string {
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

// tagProblem reports a problem with the value of el reached by path, or
// with el itself when that value is absent.
func (p *parser) tagProblem(el *element, msg string, cause error, path ...any) {
	if !p.room() {
		return
	}
	off, ok := locate(el.doc, path...)
	if !ok {
		off = 0
	}
	p.add(el.off+off, el.name, el.field(path), ErrInvalid, cause, msg)
}

// syntax reports the syntax error that stopped the decoder. The decoder
// reports an unexpected end of input without an offset, so syntax finds the
// first error of the whole input again, with encoding/json's validator, for
// an offset that is always absolute.
func (p *parser) syntax(decErr error) {
	err := json.Unmarshal(p.data, new(skipValue))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		off := min(max(int(se.Offset)-1, 0), len(p.data))
		p.add(off, "", "", ErrSyntax, se, se.Error())
		return
	}
	// Not reached with encoding/json as of Go 1.26: a top-level value the
	// decoder rejects is also invalid for Unmarshal, and the only other
	// case, data after the top-level object, is one as well.
	if decErr == nil {
		decErr = errors.New("malformed JSON")
	}
	p.add(len(p.data), "", "", ErrSyntax, decErr, decErr.Error())
}

// room reports whether another problem will be kept; if not, it counts it.
func (p *parser) room() bool {
	if len(p.problems) < maxProblems {
		return true
	}
	p.more++
	return false
}

// add records a problem at offset off of the input.
func (p *parser) add(off int, tag, field string, kind, cause error, msg string) {
	if !p.room() {
		return
	}
	line, col := p.position(off)
	p.problems = append(p.problems, &Error{
		File:   p.name,
		Line:   line,
		Column: col,
		Tag:    tag,
		Field:  field,
		Err:    &problem{kind: kind, msg: msg, cause: cause},
	})
}

// err returns the problems found, joined, in the order of their positions.
func (p *parser) err() error {
	errs := p.problems
	slices.SortStableFunc(errs, func(a, b error) int {
		ea, eb := a.(*Error), b.(*Error)
		return cmp.Or(cmp.Compare(ea.Line, eb.Line), cmp.Compare(ea.Column, eb.Column))
	})
	if p.more > 0 {
		errs = append(errs, &Error{File: p.name, Err: &problem{msg: fmt.Sprintf("%d more problems not shown", p.more)}})
	}
	return errors.Join(errs...)
}

// position returns the 1-based line and byte column of offset off.
func (p *parser) position(off int) (line, col int) {
	if p.lines == nil {
		p.lines = []int{0}
		for i := 0; ; {
			j := bytes.IndexByte(p.data[i:], '\n')
			if j < 0 {
				break
			}
			i += j + 1
			p.lines = append(p.lines, i)
		}
	}
	i, found := slices.BinarySearch(p.lines, off)
	if !found {
		i--
	}
	return i + 1, off - p.lines[i] + 1
}

// locate returns the offset in doc of the value reached from doc's
// top-level value by path: a string steps into an object's member (keys
// compare case-insensitively, as in encoding/json), an int into an array's
// element. It reports false if there is no such value. It is slow, for
// reporting errors only.
func locate(doc []byte, path ...any) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // no float64 conversion to fail
	for _, step := range path {
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		delim, _ := tok.(json.Delim)
		switch step := step.(type) {
		case string:
			if delim != '{' {
				return 0, false
			}
			found := false
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return 0, false
				}
				if k, _ := k.(string); strings.EqualFold(k, step) {
					found = true
					break
				}
				if dec.Decode(new(skipValue)) != nil {
					return 0, false
				}
			}
			if !found {
				return 0, false
			}
		case int:
			if delim != '[' {
				return 0, false
			}
			for range step {
				if !dec.More() || dec.Decode(new(skipValue)) != nil {
					return 0, false
				}
			}
			if !dec.More() {
				return 0, false
			}
		}
	}
	off := valueStart(doc, int(dec.InputOffset()))
	return off, off < len(doc)
}

// skipSpace returns the offset of the first byte at or after off that is
// not JSON white space.
func skipSpace(data []byte, off int) int {
	for off < len(data) {
		switch data[off] {
		case ' ', '\t', '\n', '\r':
			off++
		default:
			return off
		}
	}
	return off
}

// valueStart returns the offset of the value that follows off, where the
// decoder stopped: past white space and one ':' or ','.
func valueStart(data []byte, off int) int {
	off = skipSpace(data, off)
	if off < len(data) && (data[off] == ':' || data[off] == ',') {
		off = skipSpace(data, off+1)
	}
	return off
}

// kindOf names the kind of the JSON value starting with c, in the words of
// encoding/json's UnmarshalTypeError.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// describe names the JSON kind that decodes into t.
func describe(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.String:
		return "string"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return describe(t.Elem())
	case reflect.Struct, reflect.Map:
		return "object"
	}
	return t.Kind().String()
}
