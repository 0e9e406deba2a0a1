package servicetag

import (
	"errors"

	"github.com/egresslab/egress/problem"
)

// The categories of [Error]. Test for them with [errors.Is]; the error
// returned by [Parse], [ParseFile] and [Default] matches every category of
// the problems it joins.
var (
	// ErrSyntax: the input is not JSON (or not gzip-compressed JSON): a
	// malformed or truncated document, nesting deeper than encoding/json
	// allows, or data after the top-level object.
	ErrSyntax = errors.New("malformed service-tags file")

	// ErrInvalid: the input is JSON but not a well-formed service-tags file:
	// a value of the wrong type, a missing or duplicate field, an invalid or
	// non-canonical prefix, an unknown network feature, a duplicate tag.
	ErrInvalid = errors.New("invalid service-tags file")

	// ErrTooLarge: the input, compressed or decompressed, is larger than
	// [MaxSize].
	ErrTooLarge = errors.New("service-tags file too large")
)

// Error is one problem found in a service-tags file, with its position:
// egress's one error shape ([problem.Error]). Resource names the tag
// (`tag "Storage.EastUS"`, as spelled in the file) when the problem is
// inside one, Field is the JSON path of the offending value from the top
// level, Kind is [ErrSyntax], [ErrInvalid] or [ErrTooLarge], and Cause,
// where there is one, is the error of the function that rejected the value
// (for example [netip.ParsePrefix]). It reads like
//
//	ServiceTags_Public_20251109.json:85320:11: tag "Storage.EastUS": values[1963].properties.addressPrefixes[0]: invalid service-tags file: netip.ParsePrefix("13.68.263.32/28"): ParseAddr("13.68.263.32"): IPv4 field has value >255
type Error = problem.Error
