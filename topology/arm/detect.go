package arm

import "bytes"

// Format is the format of a topology file, as told by [Detect].
//
// The zero value is [FormatUnknown].
type Format uint8

// The formats [Detect] tells apart.
const (
	FormatUnknown Format = iota // empty, or not text this package or YAML reads
	FormatJSON                  // JSON: read it with [Parse]
	FormatYAML                  // anything else: the native YAML format
)

// String returns "unknown", "json" or "yaml".
func (f Format) String() string {
	switch f {
	case FormatJSON:
		return "json"
	case FormatYAML:
		return "yaml"
	}
	return "unknown"
}

// MarshalText implements [encoding.TextMarshaler] using [Format.String].
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// Detect tells ARM JSON from YAML by the first significant byte of data: after
// an optional UTF-8 byte order mark and white space, "{" or "[" means
// [FormatJSON] and anything else [FormatYAML]. Empty or blank data, UTF-16
// text and data containing NUL bytes in its first 512 bytes (binary) are
// [FormatUnknown]. Only a prefix of data is examined.
//
// JSON is a subset of YAML, so a YAML document written in flow style
// ("{a: 1}") is reported as JSON; the native format is block-style YAML.
func Detect(data []byte) Format {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return FormatUnknown
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(data[:min(len(data), 512)], 0) >= 0 {
		return FormatUnknown
	}
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return FormatJSON
		}
		return FormatYAML
	}
	return FormatUnknown
}
