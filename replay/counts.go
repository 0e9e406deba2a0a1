package replay

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"

	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/simulate"
)

// Replayer replays flow-log files one at a time against an engine's
// design: the unit a distributed run (the Beam pipeline of module
// github.com/egresslab/egress/beam) does on each worker. [Run] is a
// Replayer per core. A Replayer is not safe for concurrent use.
type Replayer struct {
	x  *index
	r  *flowlog.Reader
	eg map[egressCacheKey]egressPrediction
}

// NewReplayer returns a replayer of e's design. Two replayers of engines
// compiled from the same inputs index NICs alike, so that their Counts
// merge.
func NewReplayer(e *simulate.Engine) *Replayer {
	return &Replayer{x: newIndex(e), r: flowlog.NewReader("", nil), eg: map[egressCacheKey]egressPrediction{}}
}

// Counts are the counts of some files: they merge in any order into the
// same total, and Report turns a total into the report. Data is their
// serialized form (JSON), so that a pipeline can ship them between
// workers; the zero Counts are empty.
type Counts struct {
	Data []byte
}

// File replays one file; index is its position in the whole, sorted file
// list (it orders the witnesses, so that the report does not depend on
// which worker read which file).
func (rp *Replayer) File(path string, index int) (Counts, error) {
	p := newPartial()
	if err := replayFile(rp.x, rp.r, rp.eg, path, index, p); err != nil {
		return Counts{}, err
	}
	return p.counts(), nil
}

// Merge returns the counts of a and b together.
func Merge(a, b Counts) (Counts, error) {
	pa, err := a.partial()
	if err != nil {
		return Counts{}, err
	}
	pb, err := b.partial()
	if err != nil {
		return Counts{}, err
	}
	pa.merge(pb)
	return pa.counts(), nil
}

// Report turns the counts of every file into the report; files is the
// whole, sorted file list the indices refer to.
func (rp *Replayer) Report(c Counts, files []string, opts Options) (*Report, error) {
	p, err := c.partial()
	if err != nil {
		return nil, err
	}
	if err := rp.x.fits(p, len(files)); err != nil {
		return nil, err
	}
	return rp.x.report(p, opts, files), nil
}

// The serialized form of a partial.
type wireCounts struct {
	Files, Records, Flows, Decisions int
	Groups                           []wireGroup
	Egress                           []wireEgress
	Unknown                          []wireUnknown
	Talk                             []wireTalk
	Matched                          []wireMatched
	Shadow                           []wireShadow
}

// wireMatched is the match counts of one group and direction, by rule.
type wireMatched struct {
	Group int32
	Dir   int
	Flows []int
}

type wireShadow struct {
	Group, Rule     int32
	Dir             uint8
	ByGroup, ByRule int32
	Flows           int
}

type wireWitness struct {
	File, Record, Tuple int
	Flow                flowlog.Flow
}

type wireGroup struct {
	NIC     int32
	Dir     flowlog.Direction
	Logged  flowlog.Decision
	Rule    string
	Verdict nsg.Verdict
	Flows   int
	Witness wireWitness
}

type wireEgress struct {
	NIC      int32
	Observed netip.Addr
	Flows    int
	Agree    bool
	Witness  wireWitness
}

type wireUnknown struct {
	MAC   string
	Addr  netip.Addr
	Flows int
}

type wireTalk struct {
	NIC        int32
	Flows      int
	Sent, Recv uint64
}

func toWire(w witnessKey) wireWitness { return wireWitness{w.file, w.record, w.tuple, w.flow} }
func fromWire(w wireWitness) witnessKey {
	return witnessKey{file: w.File, record: w.Record, tuple: w.Tuple, flow: w.Flow}
}

// counts serializes p, sorted, so that equal counts have equal bytes.
func (p *partial) counts() Counts {
	w := wireCounts{Files: p.files, Records: p.records, Flows: p.flows, Decisions: p.decisions}
	for k, v := range p.groups {
		w.Groups = append(w.Groups, wireGroup{k.nic, k.dir, k.logged, k.rule, k.verdict, v.flows, toWire(v.witness)})
	}
	slices.SortFunc(w.Groups, func(a, b wireGroup) int {
		return cmp.Or(cmp.Compare(a.NIC, b.NIC), cmp.Compare(a.Dir, b.Dir), cmp.Compare(a.Logged, b.Logged), cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Verdict.String(), b.Verdict.String()))
	})
	for k, v := range p.egress {
		w.Egress = append(w.Egress, wireEgress{k.nic, k.observed, v.flows, v.agree, toWire(v.witness)})
	}
	slices.SortFunc(w.Egress, func(a, b wireEgress) int { return cmp.Or(cmp.Compare(a.NIC, b.NIC), a.Observed.Compare(b.Observed)) })
	for k, n := range p.unknown {
		w.Unknown = append(w.Unknown, wireUnknown{k.mac, k.addr, n})
	}
	slices.SortFunc(w.Unknown, func(a, b wireUnknown) int { return cmp.Or(cmp.Compare(a.MAC, b.MAC), a.Addr.Compare(b.Addr)) })
	for k, t := range p.talk {
		w.Talk = append(w.Talk, wireTalk{k, t.flows, t.sent, t.recv})
	}
	slices.SortFunc(w.Talk, func(a, b wireTalk) int { return cmp.Compare(a.NIC, b.NIC) })
	for gid, rows := range p.matched {
		for di, r := range rows {
			if r != nil {
				w.Matched = append(w.Matched, wireMatched{int32(gid), di, r})
			}
		}
	}
	for k, n := range p.shadow {
		w.Shadow = append(w.Shadow, wireShadow{k.gid, k.rule, k.di, k.by.gid, k.by.rule, n})
	}
	slices.SortFunc(w.Shadow, func(a, b wireShadow) int {
		return cmp.Or(cmp.Compare(a.Group, b.Group), cmp.Compare(a.Dir, b.Dir), cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.ByGroup, b.ByGroup), cmp.Compare(a.ByRule, b.ByRule))
	})
	data, err := json.Marshal(w)
	if err != nil {
		panic(err) // plain values always marshal
	}
	return Counts{Data: data}
}

// partial deserializes counts.
func (c Counts) partial() (*partial, error) {
	p := newPartial()
	if len(c.Data) == 0 {
		return p, nil
	}
	var w wireCounts
	if err := json.Unmarshal(c.Data, &w); err != nil {
		return nil, err
	}
	p.files, p.records, p.flows, p.decisions = w.Files, w.Records, w.Flows, w.Decisions
	for _, g := range w.Groups {
		p.groups[groupKey{g.NIC, g.Dir, g.Logged, g.Rule, g.Verdict}] = &groupVal{flows: g.Flows, witness: fromWire(g.Witness)}
	}
	for _, e := range w.Egress {
		p.egress[egressKey{e.NIC, e.Observed}] = &egressVal{flows: e.Flows, agree: e.Agree, witness: fromWire(e.Witness)}
	}
	for _, u := range w.Unknown {
		p.unknown[unknownKey{u.MAC, u.Addr}] = u.Flows
	}
	for _, t := range w.Talk {
		p.talk[t.NIC] = &talker{t.Flows, t.Sent, t.Recv}
	}
	for _, m := range w.Matched {
		if m.Group < 0 || m.Dir < 0 || m.Dir > 1 {
			return nil, fmt.Errorf("replay: counts: bad match row (group %d, direction %d)", m.Group, m.Dir)
		}
		r := p.matchRow(m.Group, m.Dir, len(m.Flows))
		if len(r) != len(m.Flows) {
			return nil, fmt.Errorf("replay: counts: group %d has two match rows of %d and %d rules", m.Group, len(r), len(m.Flows))
		}
		copy(r, m.Flows)
	}
	for _, sh := range w.Shadow {
		p.shadow[shadowKey{gid: sh.Group, rule: sh.Rule, di: sh.Dir, by: ruleRef{sh.ByGroup, sh.ByRule}}] = sh.Flows
	}
	return p, nil
}

// fits reports counts that another design's replayer made: NIC, group or
// rule indices this design does not have, witnesses of files not given.
func (x *index) fits(p *partial, files int) error {
	bad := func(what string, args ...any) error {
		return fmt.Errorf("replay: counts of another design or file list: "+what, args...)
	}
	nic := func(i int32) bool { return i >= 0 && int(i) < len(x.nics) }
	for k, g := range p.groups {
		if !nic(k.nic) || g.witness.file < 0 || g.witness.file >= files {
			return bad("NIC %d, file %d", k.nic, g.witness.file)
		}
	}
	for k, v := range p.egress {
		if !nic(k.nic) || v.witness.file < 0 || v.witness.file >= files {
			return bad("NIC %d, file %d", k.nic, v.witness.file)
		}
	}
	for k := range p.talk {
		if !nic(k) {
			return bad("NIC %d", k)
		}
	}
	dirs := [2]nsg.Direction{nsg.Inbound, nsg.Outbound}
	rule := func(gid, i int32, di uint8) bool {
		return gid >= 0 && int(gid) < len(x.groups) && di < 2 && i >= 0 && int(i) < x.groups[gid].Len(dirs[di])
	}
	for gid, rows := range p.matched {
		for di, r := range rows {
			if r != nil && (gid >= len(x.groups) || len(r) != x.groups[gid].Len(dirs[di])) {
				return bad("group %d of %d rules", gid, len(r))
			}
		}
	}
	for k := range p.shadow {
		if !rule(k.gid, k.rule, k.di) || (k.by.gid >= 0 && !rule(k.by.gid, k.by.rule, k.di)) {
			return bad("rule %d of group %d", k.rule, k.gid)
		}
	}
	return nil
}
