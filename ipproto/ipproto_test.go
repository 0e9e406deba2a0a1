package ipproto_test

import (
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want ipproto.Proto
		str  string
	}{
		{"Tcp", ipproto.TCP, "Tcp"},
		{"TCP", ipproto.TCP, "Tcp"},
		{"T", ipproto.TCP, "Tcp"},
		{"6", ipproto.TCP, "Tcp"},
		{"udp", ipproto.UDP, "Udp"},
		{"U", ipproto.UDP, "Udp"},
		{"Icmp", ipproto.ICMP, "Icmp"},
		{"Esp", ipproto.ESP, "Esp"},
		{"Ah", ipproto.AH, "Ah"},
		{"58", ipproto.ICMPv6, "IcmpV6"},
		{"132", ipproto.Proto(132), "132"},
	}
	for _, tt := range tests {
		got, err := ipproto.Parse(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, "Parse(%q)", tt.in)
		assert.Equal(t, tt.str, got.String())
		// Round trip through text marshalling.
		b, err := got.MarshalText()
		require.NoError(t, err)
		var back ipproto.Proto
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, got, back)
	}
	for _, bad := range []string{"", "*", "Any", "All", "0", "256", "-1", "tcpx"} {
		_, err := ipproto.Parse(bad)
		assert.Error(t, err, "Parse(%q)", bad)
	}
	assert.Equal(t, "Unknown", ipproto.Unknown.String())
	assert.True(t, ipproto.TCP.HasPorts())
	assert.False(t, ipproto.ICMP.HasPorts())
}
