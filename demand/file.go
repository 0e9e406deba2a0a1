package demand

// This file reads demand files: the peaks written by hand, where the
// estimator derives them from flow logs.

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"go.yaml.in/yaml/v3"
)

// Entry is one line of a demand file: at peak, From holds Concurrent
// connections open to To at once.
type Entry struct {
	From       string         // a NIC, web app or container group, by name or resource ID
	To         netip.AddrPort // destination address and port
	Protocol   ipproto.Proto  // TCP or UDP
	Concurrent int
	// File, Line and Column say where the entry is.
	File         string
	Line, Column int
}

// ErrDemand is wrapped by every error of ParseFile.
var ErrDemand = errors.New("bad demand file")

type fileDoc struct {
	Demand []yaml.Node `yaml:"demand"`
}

type entryDoc struct {
	From       string `yaml:"from"`
	To         string `yaml:"to"`
	Protocol   string `yaml:"protocol"`
	Concurrent *int   `yaml:"concurrent"`
}

var knownFields = map[string]bool{"from": true, "to": true, "protocol": true, "concurrent": true}

// ParseFile reads a demand file:
//
//	demand:
//	  - {from: vm-batch-01-nic, to: 52.1.2.3:443, protocol: Tcp, concurrent: 45000}
//
// protocol is Tcp (the default) or Udp; concurrent is required. Unknown
// fields, a destination without a port, and a negative or missing count
// are errors naming the file, line and column.
func ParseFile(name string, data []byte) ([]Entry, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc fileDoc
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrDemand, name, err)
	}
	if doc.Demand == nil {
		return nil, fmt.Errorf("%w: %s: no demand: list", ErrDemand, name)
	}
	var out []Entry
	var errs []error
	for i := range doc.Demand {
		n := &doc.Demand[i]
		at := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("%w: %s:%d:%d: demand %d: %s", ErrDemand, name, n.Line, n.Column, i+1, fmt.Sprintf(format, args...)))
		}
		if n.Kind == yaml.MappingNode {
			for k := 0; k+1 < len(n.Content); k += 2 {
				if key := n.Content[k].Value; !knownFields[key] {
					at("unknown field %q (want from, to, protocol, concurrent)", key)
				}
			}
		}
		var d entryDoc
		if err := n.Decode(&d); err != nil {
			at("%v", err)
			continue
		}
		e := Entry{From: d.From, File: name, Line: n.Line, Column: n.Column, Protocol: ipproto.TCP}
		if d.From == "" {
			at("from: required")
		}
		to, err := netip.ParseAddrPort(d.To)
		switch {
		case err != nil:
			at("to %q: want an address and port (52.1.2.3:443, [2001:db8::1]:443)", d.To)
		case to.Port() == 0:
			at("to %q: port 0", d.To)
		}
		e.To = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
		switch strings.ToLower(d.Protocol) {
		case "", "tcp":
		case "udp":
			e.Protocol = ipproto.UDP
		default:
			at("protocol %q: want Tcp or Udp", d.Protocol)
		}
		switch {
		case d.Concurrent == nil:
			at("concurrent: required")
		case *d.Concurrent < 0:
			at("concurrent %d is negative", *d.Concurrent)
		default:
			e.Concurrent = *d.Concurrent
		}
		out = append(out, e)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
