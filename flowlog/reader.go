package flowlog

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/problem"
)

// Error is a problem of the input, with its position (see package problem).
type Error = problem.Error

// Problem categories.
var (
	ErrSyntax      = errors.New("syntax error")       // not JSON, or not the layout of a flow log
	ErrInvalid     = errors.New("invalid value")      // a field whose value the format does not allow
	ErrUnsupported = errors.New("unsupported format") // a flow log version egress does not read
)

// Reader streams the flows of one flow-log file. Use [NewReader] (or
// Reset to reuse one), then Next until it returns false, then Err.
//
//	r := flowlog.NewReader("PT1H.json", f)
//	for r.Next() {
//		fl := r.Flow()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// A Reader is not safe for concurrent use; use one per goroutine.
type Reader struct {
	file string
	s    scanner
	top  topState
	err  error
	nrec int // records read so far

	// The current record, parsed whole before its flows are handed out.
	rec    record
	arena  []byte // the record's strings
	groups []group
	tuples []span // each tuple's bytes in arena, with its group
	next   int    // the next tuple to hand out
	natDue bool   // the current record is a NAT gateway flow not yet handed out
	flow   Flow

	intern map[string]string
}

type topState uint8

const (
	topStart   topState = iota // nothing read
	topRecords                 // inside the records array
	topDone                    // the array is closed
)

// span is a string held in Reader.arena.
type span struct {
	off, n int32
	group  int32 // for a tuple: its group
	line   int32 // for a tuple: its line, for errors
	col    int32
}

// group is a flow group (VNet: flowRecords.flows[].flowGroups[]; NSG:
// properties.flows[].flows[]) with what it says about its tuples.
type group struct {
	rule, acl, mac span
}

// record is what a record's fields say, as spans of the arena.
type record struct {
	time, mac, category, resource, target   span
	version                                 uint64
	hasVersion, hasFlowRecords, hasNSGFlows bool
	nsgVersion                              uint64
	hasNSGVersion                           bool
	src, dst, natIP                         span
	nat                                     [6]uint64 // PacketsSent, BytesSent, PacketsReceived, BytesReceived, PacketsSentDropped, PacketsReceivedDropped
	hasNAT                                  bool
	line, col                               int
}

// NewReader returns a reader of src; file names it in errors.
func NewReader(file string, src io.Reader) *Reader {
	r := &Reader{}
	r.Reset(file, src)
	return r
}

// Reset makes r read src from the start, keeping its buffers.
func (r *Reader) Reset(file string, src io.Reader) {
	r.file = file
	r.s.init(src)
	r.top, r.err, r.nrec = topStart, nil, 0
	r.tuples, r.groups, r.arena, r.next = r.tuples[:0], r.groups[:0], r.arena[:0], 0
	if r.intern == nil || len(r.intern) > 4096 {
		r.intern = map[string]string{}
	}
}

// Err returns the first error, or nil after a clean end of input.
func (r *Reader) Err() error { return r.err }

// Records returns how many records were read so far.
func (r *Reader) Records() int { return r.nrec }

// Flow returns the current flow; it is overwritten by the next call to
// Next.
func (r *Reader) Flow() *Flow { return &r.flow }

// Next moves to the next flow, reading records as needed. It returns false
// at the end of the input or on an error (see Err).
func (r *Reader) Next() bool {
	for r.err == nil {
		if r.next < len(r.tuples) {
			t := r.tuples[r.next]
			r.next++
			if err := r.parseTuple(t); err != nil {
				r.err = err
				return false
			}
			return true
		}
		if r.natDue {
			// A NAT gateway record is one flow of its own.
			r.natDue = false
			if err := r.natFlow(); err != nil {
				r.err = err
				return false
			}
			return true
		}
		if !r.readRecord() {
			return false
		}
	}
	return false
}

func (r *Reader) fail(e *errSyntax, kind error, field, value string) {
	r.err = &Error{Pos: problem.Pos{File: r.file, Line: e.line, Col: e.col}, Resource: r.what(), Field: field, Value: value, Kind: kind, Detail: e.msg}
}

func (r *Reader) what() string {
	if r.top == topStart {
		return ""
	}
	return "record " + strconv.Itoa(r.nrec)
}

// readRecord reads the next record into r.rec, r.groups and r.tuples; it
// reports false at the end of the records or on an error.
func (r *Reader) readRecord() bool {
	r.tuples, r.groups, r.arena, r.next, r.rec, r.natDue = r.tuples[:0], r.groups[:0], r.arena[:0], 0, record{}, false
	s := &r.s
	switch r.top {
	case topDone:
		return false
	case topStart:
		b, ok := s.ws()
		if !ok {
			r.fail(s.bad("empty input: want a flow log ({\"records\": [...]})"), ErrSyntax, "", "")
			return false
		}
		switch b {
		case '[':
		case '{':
			if !r.findRecords() {
				return false
			}
		default:
			r.fail(s.bad("unexpected %q: want a flow log ({\"records\": [...]})", b), ErrSyntax, "", "")
			return false
		}
		empty, err := s.open('[', ']')
		if err != nil {
			r.fail(err, ErrSyntax, "records", "")
			return false
		}
		r.top = topRecords
		if empty {
			return r.finish()
		}
	case topRecords:
		more, err := s.next(']')
		if err != nil {
			r.fail(err, ErrSyntax, "records", "")
			return false
		}
		if !more {
			return r.finish()
		}
	}
	if err := r.parseRecord(); err != nil {
		r.fail(err, ErrSyntax, "", "")
		return false
	}
	if err := r.checkRecord(); err != nil {
		r.err = err
		return false
	}
	r.nrec++
	r.natDue = r.rec.hasNAT
	return true
}

// findRecords reads the top-level object up to its "records" array.
func (r *Reader) findRecords() bool {
	s := &r.s
	if err := s.expect('{'); err != nil {
		r.fail(err, ErrSyntax, "", "")
		return false
	}
	for {
		var err *errSyntax
		key := r.arena[:0]
		if key, err = s.str(key); err != nil {
			r.fail(err, ErrSyntax, "", "")
			return false
		}
		if err := s.expect(':'); err != nil {
			r.fail(err, ErrSyntax, "", "")
			return false
		}
		if string(key) == "records" {
			return true
		}
		if err := s.skip(); err != nil {
			r.fail(err, ErrSyntax, string(key), "")
			return false
		}
		more, err := s.next('}')
		if err != nil {
			r.fail(err, ErrSyntax, "", "")
			return false
		}
		if !more {
			r.fail(s.bad("no \"records\" array: not a flow log blob"), ErrSyntax, "", "")
			return false
		}
	}
}

// finish reads what follows the records array (the rest of the wrapping
// object) and checks that nothing else follows.
func (r *Reader) finish() bool {
	r.top = topDone
	s := &r.s
	for {
		b, ok := s.ws()
		if !ok {
			if s.rerr != nil {
				r.err = fmt.Errorf("%s: %w", r.file, s.rerr)
			}
			return false
		}
		switch b {
		case ',':
			s.pos++
			if _, err := s.str(nil); err != nil {
				r.fail(err, ErrSyntax, "", "")
				return false
			}
			if err := s.expect(':'); err != nil {
				r.fail(err, ErrSyntax, "", "")
				return false
			}
			if err := s.skip(); err != nil {
				r.fail(err, ErrSyntax, "", "")
				return false
			}
		case '}':
			s.pos++
		default:
			r.fail(s.bad("unexpected %q after the records", b), ErrSyntax, "", "")
			return false
		}
	}
}

// keep reads a string value into the arena.
func (r *Reader) keep() (span, *errSyntax) {
	if r.s.isNull() {
		return span{}, nil
	}
	off := len(r.arena)
	var err *errSyntax
	r.arena, err = r.s.str(r.arena)
	return span{off: int32(off), n: int32(len(r.arena) - off)}, err
}

func (r *Reader) text(sp span) []byte { return r.arena[sp.off : sp.off+sp.n] }

// str returns a span's text as an interned string.
func (r *Reader) str(sp span) string { return r.internBytes(r.text(sp)) }

// internBytes returns b as a string, interned: the few distinct names,
// MACs and rule names of a log allocate once.
func (r *Reader) internBytes(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := r.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	r.intern[s] = s
	return s
}

// key reads an object key into scratch space at the arena's end (dropped
// by the caller's next keep) and the colon after it.
func (r *Reader) key() ([]byte, *errSyntax) {
	off := len(r.arena)
	k, err := r.s.str(r.arena)
	if err == nil {
		err = r.s.expect(':')
	}
	r.arena = k[:off]
	return k[off:], err
}

// object calls field for each key of an object; field reads the value.
func (r *Reader) object(field func(key []byte) *errSyntax) *errSyntax {
	empty, err := r.s.open('{', '}')
	if err != nil || empty {
		return err
	}
	for {
		k, err := r.key()
		if err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
		more, err := r.s.next('}')
		if err != nil || !more {
			return err
		}
	}
}

// array calls elem for each element of an array (a null is empty).
func (r *Reader) array(elem func(i int) *errSyntax) *errSyntax {
	if r.s.isNull() {
		return nil
	}
	empty, err := r.s.open('[', ']')
	if err != nil || empty {
		return err
	}
	for i := 0; ; i++ {
		if err := elem(i); err != nil {
			return err
		}
		more, err := r.s.next(']')
		if err != nil || !more {
			return err
		}
	}
}

// parseRecord reads one record object.
func (r *Reader) parseRecord() *errSyntax {
	rec := &r.rec
	rec.line, rec.col = r.s.position(r.s.pos)
	return r.object(func(k []byte) *errSyntax {
		var err *errSyntax
		switch string(k) {
		case "time", "TimeGenerated":
			rec.time, err = r.keep()
		case "macAddress":
			rec.mac, err = r.keep()
		case "category", "Type":
			rec.category, err = r.keep()
		case "resourceId", "_ResourceId":
			rec.resource, err = r.keep()
		case "targetResourceID":
			rec.target, err = r.keep()
		case "flowLogVersion":
			rec.hasVersion = true
			rec.version, err = r.s.uint()
		case "flowRecords":
			rec.hasFlowRecords = true
			err = r.object(func(k []byte) *errSyntax {
				if string(k) != "flows" {
					return r.s.skip()
				}
				return r.array(func(int) *errSyntax { return r.aclFlows() })
			})
		case "properties":
			err = r.object(r.properties)
		default:
			if r.natField(k, &err) {
				return err
			}
			err = r.s.skip()
		}
		return err
	})
}

// groupSet reads an object of the two layouts' shape: a field that holds
// for all its groups (outer: a VNet flow log's aclID, an NSG flow log's
// rule) and a list of groups (flowGroups, flows), each with a field of its
// own (inner: rule, mac) and its flowTuples.
func (r *Reader) groupSet(outer, list, inner string, setOuter, setInner func(g *group, s span)) *errSyntax {
	var all span
	first := len(r.groups)
	err := r.object(func(k []byte) *errSyntax {
		switch string(k) {
		case outer:
			var err *errSyntax
			all, err = r.keep()
			return err
		case list:
			return r.array(func(int) *errSyntax {
				g := int32(len(r.groups))
				r.groups = append(r.groups, group{})
				return r.object(func(k []byte) *errSyntax {
					switch string(k) {
					case inner:
						sp, err := r.keep()
						setInner(&r.groups[g], sp)
						return err
					case "flowTuples":
						return r.tupleList(g)
					}
					return r.s.skip()
				})
			})
		}
		return r.s.skip()
	})
	for i := first; i < len(r.groups); i++ {
		setOuter(&r.groups[i], all)
	}
	return err
}

func setACL(g *group, s span)  { g.acl = s }
func setRule(g *group, s span) { g.rule = s }
func setMAC(g *group, s span)  { g.mac = s }

// aclFlows reads one element of flowRecords.flows: {aclID, flowGroups}.
func (r *Reader) aclFlows() *errSyntax {
	return r.groupSet("aclID", "flowGroups", "rule", setACL, setRule)
}

// properties reads an NSG flow log's properties ({Version, flows}) or a
// NAT gateway record's.
func (r *Reader) properties(k []byte) *errSyntax {
	rec := &r.rec
	var err *errSyntax
	switch string(k) {
	case "Version":
		rec.hasNSGVersion = true
		rec.nsgVersion, err = r.s.uint()
	case "flows":
		rec.hasNSGFlows = true
		err = r.array(func(int) *errSyntax { return r.groupSet("rule", "flows", "mac", setRule, setMAC) })
	default:
		if r.natField(k, &err) {
			return err
		}
		err = r.s.skip()
	}
	return err
}

// natFields are the columns of the NatGatewayFlowlogsV1 table that a NAT
// gateway record carries (the counters in rec.nat's order).
var natCounters = [...]string{"PacketsSent", "BytesSent", "PacketsReceived", "BytesReceived", "PacketsSentDropped", "PacketsReceivedDropped"}

// natField reads k if it is a NAT gateway column, reporting whether it was.
func (r *Reader) natField(k []byte, err **errSyntax) bool {
	rec := &r.rec
	switch string(k) {
	case "SourceIP":
		rec.hasNAT = true
		rec.src, *err = r.keep()
	case "DestinationIP":
		rec.hasNAT = true
		rec.dst, *err = r.keep()
	case "NatGatewayIP":
		rec.hasNAT = true
		rec.natIP, *err = r.keep()
	default:
		for i, c := range natCounters {
			if string(k) == c {
				rec.hasNAT = true
				rec.nat[i], *err = r.s.uint()
				return true
			}
		}
		return false
	}
	return true
}

// tupleList reads a flowTuples array of group g.
func (r *Reader) tupleList(g int32) *errSyntax {
	return r.array(func(int) *errSyntax {
		l, c := r.s.position(r.s.pos)
		sp, err := r.keep()
		sp.group, sp.line, sp.col = g, int32(l), int32(c)
		r.tuples = append(r.tuples, sp)
		return err
	})
}

// checkRecord decides the record's format.
func (r *Reader) checkRecord() error {
	rec := &r.rec
	cat := r.text(rec.category)
	switch {
	case rec.hasFlowRecords:
		if len(cat) > 0 && string(cat) != "FlowLogFlowEvent" {
			return r.unsupported("category", string(cat), "a record with flowRecords is a VNet flow log, category FlowLogFlowEvent")
		}
		if !rec.hasVersion || rec.version != 4 && rec.version != 2 {
			return r.unsupported("flowLogVersion", strconv.FormatUint(rec.version, 10), "egress reads VNet flow logs of version 4 (and 2, the same tuples)")
		}
	case rec.hasNSGFlows:
		if len(cat) > 0 && string(cat) != "NetworkSecurityGroupFlowEvent" {
			return r.unsupported("category", string(cat), "a record with properties.flows is an NSG flow log, category NetworkSecurityGroupFlowEvent")
		}
		if rec.nsgVersion != 1 && rec.nsgVersion != 2 {
			return r.unsupported("properties.Version", strconv.FormatUint(rec.nsgVersion, 10), "NSG flow logs have versions 1 and 2")
		}
	case rec.hasNAT:
		if len(r.tuples) > 0 {
			return r.unsupported("", "", "a record with both NAT gateway columns and flow tuples")
		}
	default:
		return r.unsupported("", string(cat), "neither a VNet flow log (flowRecords), an NSG flow log (properties.flows) nor a NAT gateway flow log (NatGatewayIP)")
	}
	return nil
}

// unsupported is the error of a record whose format egress does not read.
func (r *Reader) unsupported(field, value, detail string) error {
	return &Error{Pos: problem.Pos{File: r.file, Line: r.rec.line, Col: r.rec.col}, Resource: "record " + strconv.Itoa(r.nrec),
		Field: field, Value: value, Kind: ErrUnsupported, Detail: detail}
}

// parseTuple parses tuple t into r.flow.
func (r *Reader) parseTuple(t span) error {
	rec := &r.rec
	g := &r.groups[t.group]
	f := &r.flow
	*f = Flow{Record: r.nrec - 1, Rule: r.str(g.rule), ACL: r.str(g.acl)}
	if rec.hasFlowRecords {
		f.Format, f.MAC, f.Resource = VNetV4, r.str(rec.mac), r.str(rec.target)
	} else {
		f.Format, f.MAC, f.Resource = NSGV2, r.str(g.mac), r.str(rec.resource)
		if rec.nsgVersion == 1 {
			f.Format = NSGV1
		}
		if f.MAC == "" {
			f.MAC = r.str(rec.mac)
		}
	}
	b := r.text(t)
	var fields [14][]byte
	n := 0
	for n < len(fields) {
		i := bytes.IndexByte(b, ',')
		if i < 0 {
			fields[n] = b
			n++
			break
		}
		fields[n] = b[:i]
		b = b[i+1:]
		n++
	}
	fail := func(i int, format string, args ...any) error {
		field := "flowTuples"
		if i >= 0 {
			field = fmt.Sprintf("flowTuples: field %d", i+1)
		}
		return &Error{Pos: problem.Pos{File: r.file, Line: int(t.line), Col: int(t.col)}, Resource: "record " + strconv.Itoa(r.nrec-1),
			Field: field, Value: string(r.text(t)), Kind: ErrInvalid, Detail: fmt.Sprintf(format, args...)}
	}
	want := 13
	if f.Format == NSGV1 {
		want = 8
	}
	if n != want {
		return fail(-1, "%d comma-separated fields; a %v tuple has %d", n, f.Format, want)
	}
	ts, ok := atou(fields[0])
	if !ok {
		return fail(0, "want the time stamp in epoch %s", map[bool]string{true: "milliseconds", false: "seconds"}[f.Format == VNetV4])
	}
	if f.Format != VNetV4 {
		ts *= 1000
	}
	f.Time = int64(ts)
	var err error
	if f.Src, err = parseAddr(fields[1]); err != nil {
		return fail(1, "want the source IP address")
	}
	if f.Dst, err = parseAddr(fields[2]); err != nil {
		return fail(2, "want the destination IP address")
	}
	sp, ok1 := atou(fields[3])
	dp, ok2 := atou(fields[4])
	if !ok1 || sp > 65535 {
		return fail(3, "want the source port")
	}
	if !ok2 || dp > 65535 {
		return fail(4, "want the destination port")
	}
	f.SrcPort, f.DstPort = uint16(sp), uint16(dp)
	switch p := fields[5]; {
	case f.Format == VNetV4:
		n, ok := atou(p)
		if !ok || n > 255 {
			return fail(5, "want the protocol's IANA number (6, 17, ...)")
		}
		f.Proto = ipproto.Proto(n)
	case len(p) == 1 && p[0] == 'T':
		f.Proto = ipproto.TCP
	case len(p) == 1 && p[0] == 'U':
		f.Proto = ipproto.UDP
	default:
		return fail(5, "want T or U")
	}
	switch d := fields[6]; {
	case len(d) == 1 && d[0] == 'I':
		f.Direction = Inbound
	case len(d) == 1 && d[0] == 'O':
		f.Direction = Outbound
	default:
		return fail(6, "want I or O")
	}
	counters := 9
	if f.Format == VNetV4 {
		switch st := fields[7]; string(st) {
		case "B":
			f.State, f.Decision = Begin, Allowed
		case "C":
			f.State, f.Decision = Continuing, Allowed
		case "E":
			f.State, f.Decision = End, Allowed
		case "D":
			f.State, f.Decision = DeniedState, Denied
		default:
			return fail(7, "want the flow state B, C, E or D")
		}
		f.Encryption = r.internBytes(fields[8])
		if f.Encryption == "" {
			return fail(8, "want the encryption state (X, NX, ...)")
		}
	} else {
		switch string(fields[7]) {
		case "A":
			f.Decision = Allowed
		case "D":
			f.Decision = Denied
		default:
			return fail(7, "want the decision A or D")
		}
		if f.Format == NSGV1 {
			return nil
		}
		switch string(fields[8]) {
		case "B":
			f.State = Begin
		case "C":
			f.State = Continuing
		case "E":
			f.State = End
		default:
			return fail(8, "want the flow state B, C or E")
		}
	}
	empty := 0
	var c [4]uint64
	for i := range 4 {
		v := fields[counters+i]
		if len(v) == 0 {
			empty++
			continue
		}
		x, ok := atou(v)
		if !ok {
			return fail(counters+i, "want a packet or byte count")
		}
		c[i] = x
	}
	switch empty {
	case 0:
		f.HasCounters = true
		f.PacketsSent, f.BytesSent, f.PacketsReceived, f.BytesReceived = c[0], c[1], c[2], c[3]
	case 4:
	default:
		return fail(counters, "the four counters are all given or all empty")
	}
	return nil
}

// natFlow makes the current NAT gateway record a flow.
func (r *Reader) natFlow() error {
	rec := &r.rec
	f := &r.flow
	*f = Flow{Format: NATGateway, Record: r.nrec - 1, Resource: r.str(rec.resource), MAC: r.str(rec.mac)}
	bad := func(field, value, detail string) error {
		return &Error{Pos: problem.Pos{File: r.file, Line: rec.line, Col: rec.col}, Resource: "record " + strconv.Itoa(r.nrec-1),
			Field: field, Value: value, Kind: ErrInvalid, Detail: detail}
	}
	var err error
	for _, a := range []struct {
		name string
		sp   span
		dst  *netip.Addr
	}{{"SourceIP", rec.src, &f.Src}, {"DestinationIP", rec.dst, &f.Dst}, {"NatGatewayIP", rec.natIP, &f.NATGatewayIP}} {
		if *a.dst, err = parseAddr(r.text(a.sp)); err != nil {
			return bad(a.name, string(r.text(a.sp)), "want an IP address")
		}
	}
	ts := string(r.text(rec.time))
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return bad("time", ts, "want an RFC 3339 time (2025-05-04T10:00:00Z)")
	}
	f.Time = t.UnixMilli()
	f.PacketsSent, f.BytesSent, f.PacketsReceived, f.BytesReceived = rec.nat[0], rec.nat[1], rec.nat[2], rec.nat[3]
	f.DroppedSent, f.DroppedReceived, f.HasCounters = rec.nat[4], rec.nat[5], true
	return nil
}

// atou parses decimal digits (at most 19).
func atou(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// parseAddr parses an IPv4 address without allocating, and anything else
// with netip.ParseAddr.
func parseAddr(b []byte) (netip.Addr, error) {
	var a [4]byte
	part, n, digits := 0, 0, 0
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if digits > 0 && n == 0 { // a leading zero
				return slowAddr(b)
			}
			n = n*10 + int(c-'0')
			digits++
			if n > 255 {
				return slowAddr(b)
			}
		case c == '.' && digits > 0 && part < 3:
			a[part] = byte(n)
			part, n, digits = part+1, 0, 0
		default:
			return slowAddr(b)
		}
	}
	if part != 3 || digits == 0 {
		return slowAddr(b)
	}
	a[3] = byte(n)
	return netip.AddrFrom4(a), nil
}

func slowAddr(b []byte) (netip.Addr, error) {
	a, err := netip.ParseAddr(string(b))
	if err != nil {
		return netip.Addr{}, err
	}
	return a.Unmap(), nil
}
