package servicetag

import (
	"errors"
	"strconv"
	"strings"
)

// The categories of [Error]. Test for them with [errors.Is]; the error
// returned by [Parse], [ParseFile] and [Default] matches every category of
// the problems it joins.
var (
	// ErrSyntax: the input is not JSON (or not gzip-compressed JSON): a
	// malformed or truncated document, nesting deeper than encoding/json
	// allows, or data after the top-level object.
	ErrSyntax = errors.New("servicetag: malformed input")

	// ErrInvalid: the input is JSON but not a well-formed service-tags file:
	// a value of the wrong type, a missing or duplicate field, an invalid or
	// non-canonical prefix, an unknown network feature, a duplicate tag.
	ErrInvalid = errors.New("servicetag: invalid service-tags file")

	// ErrTooLarge: the input, compressed or decompressed, is larger than
	// [MaxSize].
	ErrTooLarge = errors.New("servicetag: input too large")
)

// Error is one problem found in a service-tags file, with its position.
//
// Error() formats it in the style of the Go compiler, leaving out the parts
// that are unknown:
//
//	servicetag: ServiceTags_Public_20251109.json:85320:11: tag "Storage.EastUS": values[1963].properties.addressPrefixes[0]: netip.ParsePrefix("13.68.263.32/28"): ParseAddr("13.68.263.32"): IPv4 field has value >255
//
// Err holds what is wrong and wraps one of [ErrSyntax], [ErrInvalid] or
// [ErrTooLarge], and, where there is one, the error of the function that
// rejected the value (for example [netip.ParsePrefix]).
type Error struct {
	File   string // the path given to ParseFile; "" for Parse
	Line   int    // 1-based line of the offending value; 0 if the problem has no position
	Column int    // 1-based column, in bytes
	Tag    string // the tag's name as spelled in the file, or "" when not inside a tag or the tag has no name
	Field  string // JSON path of the offending value from the top level, e.g. "values[3].properties.regionId"; "" for the whole file
	Err    error  // what is wrong
}

// Error returns the problem as one line starting with "servicetag: " and the
// position, as shown in the type's doc.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("servicetag: ")
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			b.WriteByte(':')
		} else {
			b.WriteString(": ")
		}
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Column))
		b.WriteString(": ")
	}
	if e.Tag != "" {
		b.WriteString("tag ")
		b.WriteString(strconv.Quote(e.Tag))
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// problem is the Err of an [Error]: a message, its category and an optional
// cause (the error of the function that rejected the value).
type problem struct {
	kind  error // ErrSyntax, ErrInvalid, ErrTooLarge or nil
	msg   string
	cause error
}

func (p *problem) Error() string { return p.msg }

func (p *problem) Unwrap() []error {
	errs := make([]error, 0, 2)
	if p.kind != nil {
		errs = append(errs, p.kind)
	}
	if p.cause != nil {
		errs = append(errs, p.cause)
	}
	return errs
}
