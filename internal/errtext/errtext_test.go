package errtext_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/egresslab/egress/internal/errtext"
	"github.com/stretchr/testify/assert"
)

func TestTail(t *testing.T) {
	kind := errors.New("invalid port")
	for _, tc := range []struct {
		field, value, detail, want string
	}{
		{"ports[0]", "99999", "outside 1..65535", `: ports[0] "99999": invalid port: outside 1..65535`},
		{"ports", "", "", `: ports: invalid port`},
		{"", "ignored", "x", `: invalid port: x`},
		{"f", strings.Repeat("a", 150), "", `: f "` + strings.Repeat("a", 97) + `...": invalid port`},
	} {
		var b strings.Builder
		errtext.Tail(&b, tc.field, tc.value, kind, tc.detail)
		assert.Equal(t, tc.want, b.String())
	}
}
