// Package errtext formats the part that every input error of egress's
// engines shares: the field, the offending value, the category and the
// detail, as in `...: destinationPorts[0] "99999": invalid port: 99999 is
// outside 1..65535`.
package errtext

import (
	"strconv"
	"strings"
)

// Tail appends `: field "value": kind: detail` to b, leaving out the field
// (with its value) and the detail when they are empty. Long values are
// shortened so that hostile input cannot make a message unbounded.
func Tail(b *strings.Builder, field, value string, kind error, detail string) {
	if field != "" {
		b.WriteString(": ")
		b.WriteString(field)
		if value != "" {
			b.WriteString(" ")
			b.WriteString(strconv.Quote(Shorten(value)))
		}
	}
	b.WriteString(": ")
	b.WriteString(kind.Error())
	if detail != "" {
		b.WriteString(": ")
		b.WriteString(detail)
	}
}

// Shorten cuts s to at most 100 bytes, ending in "..." when cut.
func Shorten(s string) string {
	if len(s) > 100 {
		return s[:97] + "..."
	}
	return s
}
