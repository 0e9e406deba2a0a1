// Package demand derives SNAT port demand from flow logs: for each source
// (private IP and NIC MAC address), destination IP:port and protocol, the
// peak number of connections open at once, the number of SNAT ports that
// source needs towards that destination at its busiest instant.
//
// An [Estimator] takes the flows of any number of flow-log files
// ([flowlog.Flow], in any order) and reports [Peak] rows; [FromFiles]
// reads files and directories with it.
//
// # What a connection is
//
// A connection is a 5-tuple (MAC, source IP and port, destination IP and
// port, protocol) of an outbound flow that the NIC allowed. Virtual network
// flow logs tag each tuple with the flow's state
// (https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview#log-format):
// B (begin: the flow is created), C (continuing: an ongoing flow, logged at
// five-minute intervals), E (end: the flow is terminated) and D (deny: the
// flow was denied). NSG flow logs version 2 carry the same B, C and E
// states next to an A or D decision
// (https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview#log-format).
// From those states, for each 5-tuple, sorted by time (at the same
// millisecond: B, then C, then E):
//
//   - a B opens the connection (a B while it is already open keeps it open:
//     its E was not logged, so the port is taken as held throughout, which
//     overstates rather than understates demand);
//   - an E closes it; an E with nothing open is a repeated close and is
//     ignored, unless it is the 5-tuple's first tuple (below);
//   - the 5-tuple's first tuple, when it is a C or an E, opens the
//     connection at its own time: the log started while the connection was
//     open. A later C or E after a close with no new B is taken as a late
//     tuple of the closed connection and ignored, since Azure logs a B for
//     every new flow (a log filtered with recordTypes to leave out B
//     therefore undercounts);
//   - a connection still open after the 5-tuple's last tuple stays open
//     until that last tuple's time plus [Options.Idle] (default 4 minutes,
//     the TCP idle timeout default of NAT gateway and load balancer
//     outbound rules: https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#timers,
//     https://learn.microsoft.com/azure/load-balancer/outbound-rules);
//   - a closed connection holds its port until its E's time plus
//     [Options.Hold] (default 0). How long a SNAT port stays reserved after
//     a close before it is reused is a property of the platform doing the
//     SNAT, not of the flow log (NAT gateway's port reuse timers, same
//     page): the caller passes it from the supply side.
//
// A connection holds its port from its opening through its end, both
// instants included (flow-log time stamps are milliseconds; NSG flow logs
// give seconds). A 5-tuple holds at most one port at a time: its
// connections that overlap (a reused 5-tuple within the hold) count once.
//
// Only outbound tuples count (inbound connections never take a SNAT port),
// only allowed ones (a VNet state D or an NSG decision D is left out), and
// only TCP and UDP
// (the protocols whose ports SNAT translates). NAT gateway flow logs have no
// source port and are not counted. NSG flow logs version 1 have no state:
// each of their 5-tuples is one connection from its first tuple to its last
// plus Idle. What was left out is counted in [Stats].
//
// # Arrival order and memory
//
// The result does not depend on the order in which flows are added:
// tuples of one connection may arrive across files and records in any
// order. The estimator keeps, per 5-tuple, its B and E time stamps and a
// summary of its C tuples (the earliest and the latest), so a C of a known
// 5-tuple costs no memory and no allocation; memory grows with the number
// of connections, not of tuples. [Estimator.Peaks] sorts each 5-tuple's
// stamps and sweeps each destination's connections.
package demand

import (
	"cmp"
	"fmt"
	"net/netip"
	"time"

	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/ipproto"
)

// DefaultIdle is the idle timeout used when [Options.Idle] is 0: 4
// minutes, the default TCP idle timeout of NAT gateway
// (https://learn.microsoft.com/azure/nat-gateway/nat-gateway-resource#timers)
// and of load balancer outbound rules
// (https://learn.microsoft.com/azure/load-balancer/outbound-rules).
const DefaultIdle = 4 * time.Minute

// Options tune an [Estimator]. The zero value is the default: a 4-minute
// idle timeout, no hold after a close, one peak over the whole input.
// Durations must be whole milliseconds, the flow logs' resolution, and not
// negative.
type Options struct {
	// Idle is how long a connection whose end was never logged stays open
	// after its last tuple; 0 means [DefaultIdle]. Pass the idle timeout of
	// the egress the flows take (NAT gateway: 4 to 120 minutes).
	Idle time.Duration
	// Hold is how long a closed connection's SNAT port stays reserved after
	// its E tuple before it may be reused (a supply-side property; 0: freed
	// at once).
	Hold time.Duration
	// Window, when positive, splits the time line into windows of this
	// length aligned to the Unix epoch (time.Hour: UTC hours) and reports
	// each window's peak as a row of its own; 0 reports one peak over all
	// input.
	Window time.Duration
	// Workers is the number of files [FromFiles] reads at once; 0 means
	// GOMAXPROCS. The result does not depend on it.
	Workers int
}

// Peak is one demand row: the peak number of connections open at once
// from one source to one destination, in one window.
type Peak struct {
	// Src is the private source IP as logged; MAC the logging NIC's MAC
	// address (from the record, or the blob path in [FromFiles]; "" when
	// neither gives it). The same IP under two MACs (the address moved to
	// another NIC) makes two rows.
	Src netip.Addr
	MAC string
	// Dst is the destination IP and port, Proto the protocol (TCP or UDP).
	Dst   netip.AddrPort
	Proto ipproto.Proto
	// Window is the start of the row's window; zero without
	// [Options.Window].
	Window time.Time
	// Peak is the largest number of connections (distinct 5-tuples) open
	// at one instant of the window: the SNAT ports this source needs
	// towards Dst at that instant.
	Peak int
	// At is the first instant of the window at which Peak connections are
	// open, and Until the end (exclusive) of that stretch.
	At, Until time.Time
	// Unclosed is how many of the Peak connections open at At have no
	// logged end: they are counted as open until their last tuple plus
	// [Options.Idle], an estimate.
	Unclosed int
	// Connections is the number of connections (a 5-tuple's stretch
	// holding a port) that overlap the window: how many the peak is drawn
	// from.
	Connections int
	// Tuples is the number of flow tuples counted for this source,
	// destination and protocol over the whole input (not per window).
	Tuples int
}

// String returns a one-line summary of the row.
func (p Peak) String() string {
	s := fmt.Sprintf("%v", p.Src)
	if p.MAC != "" {
		s += " (" + p.MAC + ")"
	}
	s += fmt.Sprintf(" -> %v %v: peak %d at %s", p.Dst, p.Proto, p.Peak, p.At.UTC().Format(time.RFC3339Nano))
	if !p.Window.IsZero() {
		s += " in window " + p.Window.UTC().Format(time.RFC3339)
	}
	return s
}

// Stats counts the tuples an [Estimator] was given and what it did with
// them.
type Stats struct {
	Tuples     int // flows given to Add
	Counted    int // outbound, allowed TCP or UDP tuples with ports: the demand
	Inbound    int // inbound tuples: never take a SNAT port
	Denied     int // denied tuples (VNet state D, NSG decision D)
	NoPorts    int // tuples without a direction or source port (NAT gateway flow logs)
	OtherProto int // outbound allowed tuples of another protocol than TCP and UDP
	Invalid    int // tuples with an invalid source or destination address, or a time stamp before 1970 or after 9999
	// Connections is the number of distinct 5-tuples counted.
	Connections int
}

func (s *Stats) add(o Stats) {
	s.Tuples += o.Tuples
	s.Counted += o.Counted
	s.Inbound += o.Inbound
	s.Denied += o.Denied
	s.NoPorts += o.NoPorts
	s.OtherProto += o.OtherProto
	s.Invalid += o.Invalid
}

// maxTime is the latest time stamp counted: 9999-12-31T23:59:59.999Z, in
// milliseconds since the Unix epoch. Flow logs cannot stamp earlier than
// the epoch.
const maxTime = 253402300799999

// dkey is a demand key: one row's identity, windows aside, as its row
// keeps it.
type dkey struct {
	mac   string
	src   netip.Addr
	dst   netip.AddrPort
	proto ipproto.Proto
}

func (a dkey) compare(b dkey) int {
	if c := a.src.Compare(b.src); c != 0 {
		return c
	}
	if c := cmp.Compare(a.mac, b.mac); c != 0 {
		return c
	}
	if c := a.dst.Compare(b.dst); c != 0 {
		return c
	}
	return cmp.Compare(a.proto, b.proto)
}

// ckey is a connection key, the 5-tuple and MAC as plain bytes (the MAC
// numbered by Estimator.macs): the map hashes it as memory, with no
// string or pointer to follow.
type ckey struct {
	src, dst     [16]byte
	mac          int32
	dport, sport uint16
	proto        ipproto.Proto
}

// conn is one 5-tuple: its demand row, its B and E stamps (a list in
// Estimator.stamps, newest first) and the summary of all its tuples.
type conn struct {
	d         int32  // index in Estimator.demands
	head      int32  // first stamp, or -1
	first     int64  // earliest tuple of any state
	last      int64  // latest tuple of any state
	tuples    uint32 // tuples counted (a C every five minutes: 4 billion is 40,000 years)
	sport     uint16
	firstKind kind // the kind of the earliest tuple (the earliest kind at that time)
}

type kind uint8

// Kinds in their order at the same millisecond.
const (
	kindB kind = iota
	kindC
	kindE
)

// stamp is a B or E time stamp of a connection.
type stamp struct {
	t    int64
	next int32
	kind kind
}

type demandRow struct {
	key dkey
}

// Estimator derives peak demand from flows (see the package doc for the
// semantics). Create one with [NewEstimator], give it flows with Add, read
// the result with Peaks. Its memory is bounded by the number of distinct
// connections.
//
// An Estimator is not safe for concurrent use; give each goroutine its own
// and combine them with Merge. Its zero value is not usable.
type Estimator struct {
	opts               Options
	idle, hold, window int64 // milliseconds
	demands            []demandRow
	dindex             map[ckey]int32 // by a ckey with sport 0
	conns              []conn
	cindex             map[ckey]int32
	stamps             []stamp
	macs               map[string]int32
	stats              Stats
	lastMAC            string // one-entry cache of macs
	lastMACID          int32
}

// NewEstimator returns an estimator with the given options, or an error
// naming the option that is negative or not whole milliseconds.
func NewEstimator(opts Options) (*Estimator, error) {
	for _, o := range []struct {
		name string
		d    time.Duration
	}{{"Idle", opts.Idle}, {"Hold", opts.Hold}, {"Window", opts.Window}} {
		if o.d < 0 {
			return nil, fmt.Errorf("demand: Options.%s %v is negative", o.name, o.d)
		}
		if o.d%time.Millisecond != 0 {
			return nil, fmt.Errorf("demand: Options.%s %v is not a whole number of milliseconds (the flow logs' resolution)", o.name, o.d)
		}
	}
	if opts.Workers < 0 {
		return nil, fmt.Errorf("demand: Options.Workers %d is negative", opts.Workers)
	}
	if opts.Idle == 0 {
		opts.Idle = DefaultIdle
	}
	return &Estimator{
		opts: opts, idle: opts.Idle.Milliseconds(), hold: opts.Hold.Milliseconds(), window: opts.Window.Milliseconds(),
		dindex: map[ckey]int32{}, cindex: map[ckey]int32{}, macs: map[string]int32{"": 0},
	}, nil
}

// Options returns the estimator's options, defaults filled in.
func (e *Estimator) Options() Options { return e.opts }

// Stats returns the counts of the tuples given so far.
func (e *Estimator) Stats() Stats {
	s := e.stats
	s.Connections = len(e.conns)
	return s
}

// Add counts one flow, or counts in [Stats] why it does not. Addresses are
// unmapped (::ffff:10.1.1.4 is 10.1.1.4) and zones dropped. Add keeps
// nothing that points into f beyond its MAC string (flowlog interns those).
// A C tuple of a 5-tuple already seen allocates nothing and grows nothing.
func (e *Estimator) Add(f *flowlog.Flow) {
	e.stats.Tuples++
	switch {
	case f.Direction == flowlog.Inbound:
		e.stats.Inbound++
		return
	case f.Decision == flowlog.Denied || f.State == flowlog.DeniedState:
		e.stats.Denied++
		return
	case f.Direction != flowlog.Outbound || f.SrcPort == 0:
		e.stats.NoPorts++
		return
	case !f.Proto.HasPorts():
		e.stats.OtherProto++
		return
	case !f.Src.IsValid() || !f.Dst.IsValid() || f.Time < 0 || f.Time > maxTime:
		e.stats.Invalid++
		return
	}
	e.stats.Counted++
	kd := kindC
	switch f.State {
	case flowlog.Begin:
		kd = kindB
	case flowlog.End:
		kd = kindE
	}
	src, dst := f.Src.Unmap().WithZone(""), f.Dst.Unmap().WithZone("")
	if f.MAC != e.lastMAC {
		e.lastMAC, e.lastMACID = f.MAC, e.macID(f.MAC)
	}
	ck := ckey{src: src.As16(), dst: dst.As16(), mac: e.lastMACID, dport: f.DstPort, sport: f.SrcPort, proto: f.Proto}
	i, ok := e.cindex[ck]
	if !ok {
		i = e.newConn(ck, dkey{mac: f.MAC, src: src, dst: netip.AddrPortFrom(dst, f.DstPort), proto: f.Proto}, f.Time, kd)
	}
	e.conns[i].tuples++
	e.observe(i, f.Time, kd)
}

// macID returns mac's number in e.macs, numbering it if new.
func (e *Estimator) macID(mac string) int32 {
	id, ok := e.macs[mac]
	if !ok {
		id = int32(len(e.macs))
		e.macs[mac] = id
	}
	return id
}

// newConn adds connection ck of demand key k, first seen at t as kd, and
// returns its index.
func (e *Estimator) newConn(ck ckey, k dkey, t int64, kd kind) int32 {
	dk := ck
	dk.sport = 0
	d, ok := e.dindex[dk]
	if !ok {
		d = int32(len(e.demands))
		e.demands = append(e.demands, demandRow{key: k})
		e.dindex[dk] = d
	}
	i := int32(len(e.conns))
	e.conns = append(e.conns, conn{d: d, head: -1, first: t, firstKind: kd, last: t, sport: ck.sport})
	e.cindex[ck] = i
	return i
}

// observe records a tuple of connection i at t.
func (e *Estimator) observe(i int32, t int64, kd kind) {
	e.seen(i, t, kd)
	if kd != kindC {
		e.push(i, t, kd)
	}
}

// seen updates connection i's earliest and latest tuple with one at t.
func (e *Estimator) seen(i int32, t int64, kd kind) {
	c := &e.conns[i]
	if t < c.first || t == c.first && kd < c.firstKind {
		c.first, c.firstKind = t, kd
	}
	c.last = max(c.last, t)
}

// push adds a B or E stamp to connection i.
func (e *Estimator) push(i int32, t int64, kd kind) {
	c := &e.conns[i]
	if c.head >= 0 {
		if h := e.stamps[c.head]; h.t == t && h.kind == kd {
			return // a repeated tuple
		}
	}
	e.stamps = append(e.stamps, stamp{t: t, next: c.head, kind: kd})
	c.head = int32(len(e.stamps) - 1)
}

// Merge adds what o has seen to e, as if o's flows had been added to e: the
// result is the same in any order. o must have the same options (Workers
// aside); o is left unchanged.
func (e *Estimator) Merge(o *Estimator) error {
	if o == e {
		return fmt.Errorf("demand: merging an estimator into itself")
	}
	a, b := e.opts, o.opts
	a.Workers, b.Workers = 0, 0
	if a != b {
		return fmt.Errorf("demand: merging estimators with different options (%+v and %+v)", a, b)
	}
	e.stats.add(o.stats)
	for _, c := range o.conns {
		k := o.demands[c.d].key
		ck := ckey{src: k.src.As16(), dst: k.dst.Addr().As16(), mac: e.macID(k.mac), dport: k.dst.Port(), sport: c.sport, proto: k.proto}
		i, ok := e.cindex[ck]
		if !ok {
			i = e.newConn(ck, k, c.first, c.firstKind)
		}
		e.seen(i, c.first, c.firstKind)
		e.seen(i, c.last, kindC)
		e.conns[i].tuples += c.tuples
		for s := c.head; s >= 0; s = o.stamps[s].next {
			e.push(i, o.stamps[s].t, o.stamps[s].kind)
		}
	}
	return nil
}
