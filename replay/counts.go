package replay

import (
	"cmp"
	"encoding/json"
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
	return rp.x.report(p, opts, files), nil
}

// The serialized form of a partial.
type wireCounts struct {
	Files, Records, Flows, Decisions int
	Groups                           []wireGroup
	Egress                           []wireEgress
	Unknown                          []wireUnknown
	Talk                             []wireTalk
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
	return p, nil
}
