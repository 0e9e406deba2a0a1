package demand

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFile(t *testing.T) {
	es, err := ParseFile("d.yaml", []byte(`demand:
  - {from: vm-batch-01-nic, to: 52.1.2.3:443, concurrent: 45000}
  - from: vm-app-01-nic
    to: "[2001:db8::1]:53"
    protocol: Udp
    concurrent: 10
`))
	require.NoError(t, err)
	require.Len(t, es, 2)
	assert.Equal(t, Entry{From: "vm-batch-01-nic", To: netip.MustParseAddrPort("52.1.2.3:443"), Protocol: ipproto.TCP, Concurrent: 45000, File: "d.yaml", Line: 2, Column: 5}, es[0])
	assert.Equal(t, ipproto.UDP, es[1].Protocol)
	assert.Equal(t, 3, es[1].Line)
}

func TestParseFileErrors(t *testing.T) {
	_, err := ParseFile("d.yaml", []byte(`demand:
  - {from: a, to: 52.1.2.3, concurrent: 1}
  - {from: b, to: 52.1.2.3:443, protocol: Icmp, concurrent: 1}
  - {from: c, to: 52.1.2.3:443, concurrent: -5}
  - {to: 52.1.2.3:443}
  - {from: e, to: 52.1.2.3:443, concurrent: 1, port: 3}
`))
	require.ErrorIs(t, err, ErrDemand)
	msg := err.Error()
	assert.Contains(t, msg, `d.yaml:2:5: demand 1: to "52.1.2.3": want an address and port`)
	assert.Contains(t, msg, `d.yaml:3:5: demand 2: protocol "Icmp": want Tcp or Udp`)
	assert.Contains(t, msg, `d.yaml:4:5: demand 3: concurrent -5 is negative`)
	assert.Contains(t, msg, `d.yaml:5:5: demand 4: from: required`)
	assert.Contains(t, msg, `d.yaml:5:5: demand 4: concurrent: required`)
	assert.Contains(t, msg, `d.yaml:6:5: demand 5:`)
	assert.Contains(t, msg, `port`)

	_, err = ParseFile("e.yaml", []byte("other: 1\n"))
	assert.ErrorIs(t, err, ErrDemand)
}
