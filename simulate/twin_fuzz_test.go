package simulate_test

import (
	"net/netip"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/simulate"
)

// FuzzWalk holds Classify and Trace to the walk twin on small random
// networks (genTwinNetwork with two spokes), under options and for flows
// the fuzzer picks: a destination from the network's interesting addresses,
// one of its NICs, an IPv6 address or any IPv4 address.
func FuzzWalk(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint16(0), uint32(0x08080808), uint8(6), uint16(443), uint8(0))
	f.Add(uint64(2), uint8(1), uint16(3), uint32(0x0a000204), uint8(17), uint16(53), uint8(1))
	f.Add(uint64(3), uint8(2), uint16(5), uint32(0x09050101), uint8(1), uint16(0), uint8(0))
	f.Add(uint64(4), uint8(3), uint16(7), uint32(0x0a000264), uint8(50), uint16(25), uint8(2))
	f.Add(uint64(5), uint8(4), uint16(1), uint32(0x01010101), uint8(6), uint16(443), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, opt uint8, nic uint16, dst uint32, proto uint8, port uint16, host uint8) {
		opts := simulate.Options{
			NVA:              simulate.NVAMode(opt & 1),
			Firewall:         simulate.FirewallMode((opt >> 1 & 3) % 3),
			SMTP:             simulate.SMTPMode((opt >> 3 & 3) % 3),
			PrivateByDefault: opt&0x20 != 0,
			MaxHops:          int(opt >> 6),
		}
		w := newTwinWorld(t, seed, 2, 2, opts)
		fl := twinFlow{h: w.e.NICAt(int(nic) % w.e.NumNICs()), proto: protos[int(proto)%len(protos)], port: port}
		switch dst % 4 {
		case 0:
			fl.dst = w.dsts[int(dst/4)%len(w.dsts)]
		case 1:
			fl.dst = w.e.NICAt(int(dst/4) % w.e.NumNICs()).Addr()
		default:
			fl.dst = netip.AddrFrom4([4]byte{byte(dst >> 24), byte(dst >> 16), byte(dst >> 8), byte(dst)})
		}
		if fl.port == 0 && fl.proto.HasPorts() {
			fl.port = 1 // Trace refuses TCP/UDP port 0
		}
		if fl.proto == ipproto.TCP {
			fl.host = []string{"", "api.partner.example", "www.news.example", "partner.example"}[host%4]
		}
		var dis disagreements
		w.compare(t, fl, &dis)
		if dis.total() > 0 {
			t.Fatalf("Classify/Trace and the walk twin disagree:\n%s", &dis)
		}
	})
}
