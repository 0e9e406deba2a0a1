package main

import (
	"cmp"
	"fmt"
	"net/netip"
	"os"
	"slices"

	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/replay"
	"github.com/egresslab/egress/simulate"
)

// loggedFlows reads the flow logs of --flows and returns their distinct
// outbound flows as flows of the base engine e, in a stable order (NIC
// index, destination, protocol, port): each tuple's source mapped to a NIC
// as flow replay maps it (MAC, else address: replay.Mapper), and only
// from NIC if given. Inbound tuples are left out (whatif and diff compare
// what leaves a NIC), as are tuples from no NIC of the design and from a
// NIC's secondary address (a Flow leaves from its NIC's primary one); how
// many of each is said on stderr. A tuple's source port is not kept: the
// flow leaves from an ephemeral port, as every Flow without one does.
func (e *env) loggedFlows(base *simulate.Engine, from string) ([]simulate.Flow, error) {
	var only simulate.NIC
	if from != "" {
		h, err := e.nic(from)
		if err != nil {
			return nil, err
		}
		only = h
	}
	files, err := flowlog.Walk(e.flowLogs...)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	if len(files) == 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("%w under %v", replay.ErrNoFiles, e.flowLogs)}
	}
	type key struct {
		nic   int
		dst   netip.Addr
		proto ipproto.Proto
		port  uint16
	}
	seen := map[key]simulate.NIC{}
	mapper := replay.NewMapper(base)
	var tuples, unmapped, secondary int
	r := flowlog.NewReader("", nil)
	for _, file := range files {
		f, err := os.Open(file)
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
		r.Reset(file, f)
		for r.Next() {
			fl := r.Flow()
			if fl.Direction == flowlog.Inbound {
				continue
			}
			tuples++
			h, ok := mapper.NIC(fl.MAC, fl.Src)
			switch {
			case !ok:
				unmapped++
				continue
			case only.IsValid() && h != only:
				continue
			case fl.Src.Unmap() != h.Addr():
				secondary++
				continue
			}
			port := fl.DstPort
			if !fl.Proto.HasPorts() {
				port = 0
			}
			seen[key{h.Index(), fl.Dst.Unmap(), fl.Proto, port}] = h
		}
		err = r.Err()
		f.Close()
		if err != nil {
			return nil, &exitError{code: 2, err: err}
		}
	}
	keys := make([]key, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.nic, b.nic), a.dst.Compare(b.dst), cmp.Compare(a.proto, b.proto), cmp.Compare(a.port, b.port))
	})
	flows := make([]simulate.Flow, len(keys))
	for i, k := range keys {
		flows[i] = simulate.Flow{From: seen[k].ID(), To: k.dst, Protocol: k.proto, Port: k.port}
	}
	fmt.Fprintf(e.stderr, "egress: %d outbound flow tuples in %d files: %d distinct flows compared", tuples, len(files), len(flows))
	if unmapped > 0 {
		fmt.Fprintf(e.stderr, "; %d from no NIC of the base", unmapped)
	}
	if secondary > 0 {
		fmt.Fprintf(e.stderr, "; %d from a NIC's secondary address, not compared", secondary)
	}
	fmt.Fprintln(e.stderr)
	return flows, nil
}
