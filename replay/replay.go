// Package replay holds a design against the ground truth of its flow logs:
// it reads VNet, NSG and NAT gateway flow logs (package flowlog), maps each
// flow to a NIC of the design, and compares like with like.
//
//   - VNet and NSG flow logs record what the security admin rules and NSGs
//     decided at the NIC (a flow that a later hop, such as Azure Firewall,
//     drops is still logged as allowed there). Replay compares that stage
//     only: the NIC's compiled classifier (simulate.NIC.Classifier) against
//     the logged decision and rule, for the tuples that carry a decision
//     (state B, D, or version 1's), not the C and E tuples that continue
//     an allowed flow.
//   - NAT gateway flow logs record the public address a flow left from:
//     replay traces the flow from the NIC holding its source address and
//     compares the predicted egress IPs. The logs carry no protocol or
//     port; replay predicts for TCP port 443 and says so.
//
// A flow is mapped to its NIC by the log's MAC address (the NIC's
// macAddress in the design), else by its private address (the source of
// an outbound flow, the destination of an inbound one) when exactly one
// NIC has it; a flow no NIC takes is counted as from an unknown address,
// grouped by MAC and address. The report lists the disagreements grouped
// by NIC, direction and the two decisions, each with a witness trace; the
// rules of the NSGs and admin rules on logged NICs that no logged flow
// matches (dead in this window), and those that some match but none
// reaches because a rule of higher priority (or an earlier stage's Deny)
// decides them all, with the rules that do ([nsg.Classifier.Matching]);
// the top talkers; the mapping's gaps.
//
// [Run] reads files in parallel, one worker per core, each with its own
// reader and counters, and merges them in file order: the report is the
// same for the same inputs, byte for byte, whatever the scheduling.
package replay

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/internal/workpool"
	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

// SchemaVersion is the version of the report's JSON form. Version 2:
// deadRules are the rules no logged flow matches (version 1: that decided
// none), the rules that match but never decide are shadowedRules, and
// admin rules are in both.
const SchemaVersion = 2

// Options tune a replay.
type Options struct {
	// Workers is the number of files read at once; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called after each file with the files and
	// flows done so far, from one goroutine at a time.
	Progress func(files, flows int)
	// TopTalkers is how many NICs the report ranks by bytes; 0 means 10.
	TopTalkers int
}

// Report is what a replay found.
type Report struct {
	SchemaVersion int `json:"schemaVersion"`
	Files         int `json:"files"`
	Records       int `json:"records"`
	// Flows counts every tuple read (NAT gateway records included);
	// Decisions the tuples that carry a decision and were compared, Agree
	// those whose decision the design predicts, RuleDiffers those whose
	// decision agrees but whose deciding rule does not.
	Flows       int `json:"flows"`
	Decisions   int `json:"decisions"`
	Agree       int `json:"agree"`
	RuleDiffers int `json:"ruleDiffers"`
	// Disagreements groups the flows whose decision the design does not
	// predict, most flows first.
	Disagreements []Disagreement `json:"disagreements"`
	// EgressChecked counts the NAT gateway flows compared, EgressAgree
	// those whose observed NAT gateway IP is among the predicted egress IPs.
	EgressChecked       int                  `json:"egressChecked"`
	EgressAgree         int                  `json:"egressAgree"`
	EgressDisagreements []EgressDisagreement `json:"egressDisagreements"`
	// DeadRules are the user rules of the NSGs and admin rules on the
	// logged NICs that no logged flow of theirs matches (and that the logs
	// do not name), in the design's evaluation.
	DeadRules []Rule `json:"deadRules"`
	// ShadowedRules are the user rules of those NSGs and admin rules that
	// some logged flows match but that decide none of them: a rule of
	// higher priority in the same group decides them all, or an earlier
	// stage's Deny (or AlwaysAllow) keeps them from the rule's group. Most
	// matched flows first.
	ShadowedRules []ShadowedRule `json:"shadowedRules"`
	// TopTalkers ranks the logged NICs by bytes sent.
	TopTalkers []Talker `json:"topTalkers"`
	// Unknown groups the flows no NIC of the design takes.
	Unknown []UnknownSource `json:"unknown"`
	// Gaps says what limits the mapping (NICs without a MAC address in the
	// design, addresses several NICs hold), and what was assumed.
	Gaps []string `json:"gaps"`
}

// Disagreement is a group of logged flows of one NIC and direction whose
// logged decision (and rule) the design does not predict.
type Disagreement struct {
	NIC           string           `json:"nic"`
	Direction     string           `json:"direction"`
	Logged        flowlog.Decision `json:"-"`
	LoggedText    string           `json:"logged"`
	LoggedRule    string           `json:"loggedRule"`
	Predicted     string           `json:"predicted"`
	PredictedRule string           `json:"predictedRule"`
	Flows         int              `json:"flows"`
	Witness       Witness          `json:"witness"`
	Trace         *simulate.Result `json:"trace,omitempty"`
}

// Witness is one logged flow of a group: where it was read and its tuple.
type Witness struct {
	File     string        `json:"file"`
	Record   int           `json:"record"`
	Src      netip.Addr    `json:"sourceIpAddress"`
	Dst      netip.Addr    `json:"destinationIpAddress"`
	SrcPort  uint16        `json:"sourcePort"`
	DstPort  uint16        `json:"destinationPort"`
	Protocol ipproto.Proto `json:"protocol"`
}

// EgressDisagreement is a group of NAT gateway flows of one NIC whose
// observed public address the design does not predict.
type EgressDisagreement struct {
	NIC       string       `json:"nic"`
	Observed  netip.Addr   `json:"observedEgressIp"`
	Predicted []netip.Addr `json:"predictedEgressIps"`
	Method    string       `json:"predictedMethod"`
	Flows     int          `json:"flows"`
	Witness   Witness      `json:"witness"`
}

// Rule names an NSG rule, or an admin rule (NSG is then the admin
// configuration, and Collection the rule's collection).
type Rule struct {
	NSG        string `json:"nsg"`
	Collection string `json:"collection,omitempty"`
	Name       string `json:"name"`
}

// ShadowedRule is a rule that logged flows match but that decides none of
// them: Flows is how many it matches, DecidedBy the rules that decide them
// instead, most flows first.
type ShadowedRule struct {
	Rule
	Direction string    `json:"direction"`
	Flows     int       `json:"flows"`
	DecidedBy []Decider `json:"decidedBy"`
}

// Decider is a rule that decides flows a shadowed rule matches, and how
// many.
type Decider struct {
	Rule
	Flows int `json:"flows"`
}

// Talker is a NIC with its logged traffic.
type Talker struct {
	NIC           string `json:"nic"`
	Flows         int    `json:"flows"`
	BytesSent     uint64 `json:"bytesSent"`
	BytesReceived uint64 `json:"bytesReceived"`
}

// UnknownSource is a MAC address or private address of logged flows that
// no NIC of the design takes.
type UnknownSource struct {
	MAC     string     `json:"mac,omitempty"`
	Address netip.Addr `json:"address"`
	Flows   int        `json:"flows"`
}

// index maps a flow to its NIC.
type index struct {
	e      *simulate.Engine
	nics   []simulate.NIC
	byMAC  map[string]int32
	byAddr map[netip.Addr]int32 // -1: several NICs hold it
	gaps   []string
	// filtered marks the NICs a filtering flow log covers (record types or
	// a filtering expression): what their logs lack proves nothing.
	filtered map[int32]bool
	// gids numbers the groups (NSGs, admin rules) of each NIC's stages in
	// order of first appearance, -1 for none; groups are the numbered
	// groups, users[gid][dirIndex] their user rules per direction (an
	// NSG's default rules follow them).
	gids   [][3]int32
	groups []*nsg.Group
	users  [][2]int32
}

func newIndex(e *simulate.Engine) *index {
	x := &index{e: e, nics: e.NICs(), byMAC: map[string]int32{}, byAddr: map[netip.Addr]int32{}}
	noMAC := 0
	for i, h := range x.nics {
		if mac := h.View().MAC(); mac != "" {
			x.byMAC[mac] = int32(i)
		} else {
			noMAC++
		}
		for _, a := range h.Addrs() {
			if _, dup := x.byAddr[a]; dup {
				x.byAddr[a] = -1
			} else {
				x.byAddr[a] = int32(i)
			}
		}
	}
	if noMAC > 0 {
		x.gaps = append(x.gaps, fmt.Sprintf("%d of %d NICs have no macAddress in the design: their flows are mapped by private address", noMAC, len(x.nics)))
	}
	shared := 0
	for _, i := range x.byAddr {
		if i < 0 {
			shared++
		}
	}
	if shared > 0 {
		x.gaps = append(x.gaps, fmt.Sprintf("%d private addresses are held by NICs of several VNets: a flow logged without a known MAC from one of them is unknown", shared))
	}
	x.flowLogFilters(e)
	x.numberGroups()
	return x
}

// numberGroups numbers the NICs' groups, so that the counts of rule
// matches are dense: engines compiled from the same inputs number alike.
func (x *index) numberGroups() {
	ids := map[*nsg.Group]int32{}
	x.gids = make([][3]int32, len(x.nics))
	for i, h := range x.nics {
		cls := h.Classifier()
		for st := nsg.StageAdmin; st <= nsg.StageSubnet; st++ {
			g := cls.Group(st)
			if g == nil {
				x.gids[i][st] = -1
				continue
			}
			id, ok := ids[g]
			if !ok {
				id = int32(len(x.groups))
				ids[g] = id
				x.groups = append(x.groups, g)
				var u [2]int32
				for di, d := range []nsg.Direction{nsg.Inbound, nsg.Outbound} {
					for _, ri := range g.Rules(d) {
						if !ri.Default {
							u[di]++
						}
					}
				}
				x.users = append(x.users, u)
			}
			x.gids[i][st] = id
		}
	}
}

// flowLogFilters marks the NICs covered by a flow log of the design that
// leaves traffic out (recordTypes without one of B, C, E, D, or an
// enabledFilteringCriteria expression,
// https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-filtering):
// a rule that decided none of their logged flows may have decided flows
// the log did not record, so their rules are left out of the dead rules.
func (x *index) flowLogFilters(e *simulate.Engine) {
	x.filtered = map[int32]bool{}
	byTarget := map[string][]*topology.FlowLog{}
	for _, f := range e.Network().FlowLogs() {
		if f.Enabled && f.Filtered() {
			byTarget[f.Target.Key()] = append(byTarget[f.Target.Key()], f)
		}
	}
	if len(byTarget) == 0 {
		return
	}
	used := map[string]int{}
	for i, h := range x.nics {
		s := h.Subnet()
		targets := []topology.Ref{topology.Ref(h.ID()), s.ID(), s.VNet().ID()}
		if ref, _ := h.View().NSG(); !ref.IsZero() {
			targets = append(targets, ref)
		}
		if ref, _ := s.NSG(); !ref.IsZero() {
			targets = append(targets, ref)
		}
		for _, t := range targets {
			for _, f := range byTarget[t.Key()] {
				x.filtered[int32(i)] = true
				used[string(f.ID)]++
			}
		}
	}
	for _, fs := range byTarget {
		for _, f := range fs {
			what := "a filtering expression " + strconv.Quote(f.FilteringCriteria)
			if f.FilteringCriteria == "" {
				what = "only the flow states " + f.RecordTypes
			}
			x.gaps = append(x.gaps, fmt.Sprintf("flow log %s records %s: the flows it leaves out are not disagreements, and the rules of its %d NICs are left out of the dead rules", f.Name, what, used[string(f.ID)]))
		}
	}
	slices.Sort(x.gaps)
}

// nic returns the index of f's NIC, or -1.
func (x *index) nic(f *flowlog.Flow) int32 {
	a := f.Src
	if f.Direction == flowlog.Inbound {
		a = f.Dst
	}
	return x.lookup(f.MAC, a)
}

// lookup returns the index of the NIC with MAC address mac, else of the
// one NIC that holds private address a, or -1.
func (x *index) lookup(mac string, a netip.Addr) int32 {
	if i, ok := x.byMAC[mac]; ok && mac != "" {
		return i
	}
	if i, ok := x.byAddr[a]; ok {
		return i
	}
	return -1
}

// Mapper maps a logged source to the design's NIC as [Run] does: by MAC
// address, else by a private address one NIC holds. It is safe for
// concurrent use.
type Mapper struct{ x *index }

// NewMapper indexes e's NICs by MAC and private address.
func NewMapper(e *simulate.Engine) *Mapper { return &Mapper{newIndex(e)} }

// NIC returns the NIC with MAC address mac (as flow logs spell it), else
// the one NIC that holds private address a.
func (m *Mapper) NIC(mac string, a netip.Addr) (simulate.NIC, bool) {
	if i := m.x.lookup(mac, a); i >= 0 {
		return m.x.nics[i], true
	}
	return simulate.NIC{}, false
}

// Gaps says what limits the mapping (NICs without a MAC address,
// addresses several NICs hold, flow logs that filter).
func (m *Mapper) Gaps() []string { return slices.Clone(m.x.gaps) }

// groupKey identifies a group of compared flows: a NIC, a direction, the
// logged decision and rule, and the predicted verdict.
type groupKey struct {
	nic     int32
	dir     flowlog.Direction
	logged  flowlog.Decision
	rule    string
	verdict nsg.Verdict
}

type groupVal struct {
	flows   int
	witness witnessKey
}

// witnessKey orders witnesses: the first in file, record, tuple order.
type witnessKey struct {
	file, record, tuple int
	flow                flowlog.Flow
}

func (w witnessKey) less(o witnessKey) bool {
	return cmp.Or(cmp.Compare(w.file, o.file), cmp.Compare(w.record, o.record), cmp.Compare(w.tuple, o.tuple)) < 0
}

type egressKey struct {
	nic      int32
	observed netip.Addr
}

type egressVal struct {
	flows   int
	agree   bool
	witness witnessKey
}

type unknownKey struct {
	mac  string
	addr netip.Addr
}

type talker struct {
	flows      int
	sent, recv uint64
}

// shadowKey is a rule that matched a flow it did not decide (group,
// direction index and rule index), and the rule that decided the flow
// instead (by: group, rule index); by.gid is -1 when nothing did.
type shadowKey struct {
	gid, rule int32
	di        uint8
	by        ruleRef
}

type ruleRef struct{ gid, rule int32 }

// partial is one worker's counts.
type partial struct {
	files, records, flows, decisions int
	groups                           map[groupKey]*groupVal
	egress                           map[egressKey]*egressVal
	unknown                          map[unknownKey]int
	talk                             map[int32]*talker
	// matched[gid][dirIndex][i] counts the compared flows that rule i of
	// group gid matches (nsg.Classifier.Matching); a group no flow reached
	// has no row. shadow counts those a rule matched but did not decide.
	matched [][2][]int
	shadow  map[shadowKey]int
	err     error
}

func newPartial() *partial {
	return &partial{groups: map[groupKey]*groupVal{}, egress: map[egressKey]*egressVal{}, unknown: map[unknownKey]int{}, talk: map[int32]*talker{},
		shadow: map[shadowKey]int{}}
}

// matchRow returns the match counts of group gid in direction di, of n
// rules, making them on first use.
func (p *partial) matchRow(gid int32, di, n int) []int {
	if int(gid) >= len(p.matched) {
		p.matched = slices.Grow(p.matched, int(gid)+1-len(p.matched))[:gid+1]
	}
	r := p.matched[gid][di]
	if r == nil {
		r = make([]int, n)
		p.matched[gid][di] = r
	}
	return r
}

// Run replays the flow-log files (see [flowlog.Walk]) against the engine's
// design. It stops at the first unreadable file, with its error.
func Run(e *simulate.Engine, files []string, opts Options) (*Report, error) {
	x := newIndex(e)
	workers := workpool.Workers(len(files), opts.Workers)
	parts := make([]*partial, len(files))
	readers := make([]*flowlog.Reader, workers)
	caches := make([]map[egressCacheKey]egressPrediction, workers)
	for w := range workers {
		readers[w], caches[w] = flowlog.NewReader("", nil), map[egressCacheKey]egressPrediction{}
	}
	var (
		mu           sync.Mutex
		doneF, doneN int
	)
	workpool.Run(len(files), workers, func(w, i int) bool {
		p := newPartial()
		p.err = replayFile(x, readers[w], caches[w], files[i], i, p)
		parts[i] = p
		if opts.Progress != nil {
			mu.Lock()
			doneF++
			doneN += p.flows
			opts.Progress(doneF, doneN)
			mu.Unlock()
		}
		return true
	})
	total := newPartial()
	for _, p := range parts {
		if p.err != nil {
			return nil, p.err
		}
		total.merge(p)
	}
	return x.report(total, opts, files), nil
}

func (p *partial) merge(o *partial) {
	p.files += o.files
	p.records += o.records
	p.flows += o.flows
	p.decisions += o.decisions
	for k, v := range o.groups {
		if g := p.groups[k]; g == nil {
			p.groups[k] = v
		} else {
			g.flows += v.flows
			if v.witness.less(g.witness) {
				g.witness = v.witness
			}
		}
	}
	for k, v := range o.egress {
		if g := p.egress[k]; g == nil {
			p.egress[k] = v
		} else {
			g.flows += v.flows
			if v.witness.less(g.witness) {
				g.witness = v.witness
			}
		}
	}
	for k, v := range o.unknown {
		p.unknown[k] += v
	}
	for gid, rows := range o.matched {
		for di, r := range rows {
			for i, n := range r {
				p.matchRow(int32(gid), di, len(r))[i] += n
			}
		}
	}
	for k, v := range o.shadow {
		p.shadow[k] += v
	}
	for k, v := range o.talk {
		if t := p.talk[k]; t == nil {
			p.talk[k] = v
		} else {
			t.flows += v.flows
			t.sent += v.sent
			t.recv += v.recv
		}
	}
}

type egressCacheKey struct {
	nic int32
	dst netip.Addr
}

type egressPrediction struct {
	ips    []netip.Addr
	method simulate.Method
}

// replayFile reads one file into p.
func replayFile(x *index, r *flowlog.Reader, eg map[egressCacheKey]egressPrediction, file string, fi int, p *partial) error {
	fh, err := os.Open(file)
	if err != nil {
		return err
	}
	defer fh.Close()
	r.Reset(file, fh)
	p.files = 1
	tuple := 0
	for r.Next() {
		f := r.Flow()
		p.flows++
		tuple++
		if f.Format == flowlog.NATGateway {
			replayNAT(x, eg, f, witnessKey{fi, f.Record, tuple, *f}, p)
			continue
		}
		ni := x.nic(f)
		if ni < 0 {
			a := f.Src
			if f.Direction == flowlog.Inbound {
				a = f.Dst
			}
			p.unknown[unknownKey{f.MAC, a}]++
			continue
		}
		t := p.talk[ni]
		if t == nil {
			t = &talker{}
			p.talk[ni] = t
		}
		t.flows++
		t.sent += f.BytesSent
		t.recv += f.BytesReceived
		switch f.State {
		case flowlog.Continuing, flowlog.End:
			continue // the decision was logged with the flow's B tuple
		}
		p.decisions++
		dir := nsg.Outbound
		if f.Direction == flowlog.Inbound {
			dir = nsg.Inbound
		}
		cls := x.nics[ni].Classifier()
		nf := nsg.Flow{Direction: dir, Proto: f.Proto, Src: f.Src, Dst: f.Dst, SrcPort: f.SrcPort, DstPort: f.DstPort}
		v := cls.Verdict(nf)
		x.countMatches(p, ni, cls, nf, v)
		k := groupKey{nic: ni, dir: f.Direction, logged: f.Decision, rule: f.Rule, verdict: v}
		g := p.groups[k]
		w := witnessKey{fi, f.Record, tuple, *f}
		if g == nil {
			p.groups[k] = &groupVal{flows: 1, witness: w}
		} else {
			g.flows++
		}
	}
	p.records = r.Records()
	return r.Err()
}

// countMatches counts the rules flow f of NIC ni matches, and for those
// that did not decide it (user rules only: the default rules are Azure's),
// the rule that did: the first match of the rule's own group when the
// evaluation reached it, else the rule of the stage that decided v.
func (x *index) countMatches(p *partial, ni int32, cls *nsg.Classifier, f nsg.Flow, v nsg.Verdict) {
	di := 1
	if f.Direction == nsg.Inbound {
		di = 0
	}
	gids := &x.gids[ni]
	cls.Matching(f, func(st nsg.Stage, i int) {
		gid := gids[st]
		p.matchRow(gid, di, x.groups[gid].Len(f.Direction))[i]++
		first := v.Rules.At(st)
		if int(first) == i || i >= int(x.users[gid][di]) {
			return
		}
		by := ruleRef{gid, int32(first)}
		if first < 0 { // the evaluation stopped before st
			by = ruleRef{-1, -1}
			if ds, ok := v.Decider(f.Direction); ok {
				by = ruleRef{gids[ds], int32(v.Rules.At(ds))}
			}
		}
		p.shadow[shadowKey{gid: gid, rule: int32(i), di: uint8(di), by: by}]++
	})
}

// replayNAT compares a NAT gateway flow's observed address with the
// design's prediction for TCP 443 from the NIC holding its source.
func replayNAT(x *index, eg map[egressCacheKey]egressPrediction, f *flowlog.Flow, w witnessKey, p *partial) {
	ni, ok := x.byAddr[f.Src]
	if !ok || ni < 0 {
		p.unknown[unknownKey{"", f.Src}]++
		return
	}
	ck := egressCacheKey{ni, f.Dst}
	pred, ok := eg[ck]
	if !ok {
		h := x.nics[ni]
		res, err := x.e.Trace(simulate.Flow{From: h.ID(), To: f.Dst, Protocol: ipproto.TCP, Port: 443})
		if err == nil {
			pred = egressPrediction{ips: res.EgressIPs, method: res.EgressMethod}
		}
		eg[ck] = pred
	}
	k := egressKey{ni, f.NATGatewayIP}
	v := p.egress[k]
	if v == nil {
		v = &egressVal{agree: slices.Contains(pred.ips, f.NATGatewayIP), witness: w}
		p.egress[k] = v
	}
	v.flows++
}

// report turns the merged counts into the report, sorted.
func (x *index) report(t *partial, opts Options, files []string) *Report {
	rep := &Report{SchemaVersion: SchemaVersion, Files: t.files, Records: t.records, Flows: t.flows, Decisions: t.decisions,
		Disagreements: []Disagreement{}, EgressDisagreements: []EgressDisagreement{}, DeadRules: []Rule{}, ShadowedRules: []ShadowedRule{}, TopTalkers: []Talker{},
		Unknown: []UnknownSource{}, Gaps: slices.Clone(x.gaps)}
	logged := map[string]bool{} // rule names the logs name
	seenNIC := map[int32]bool{}
	for k, g := range t.groups {
		h := x.nics[k.nic]
		cls := h.Classifier()
		dir := nsg.Outbound
		if k.dir == flowlog.Inbound {
			dir = nsg.Inbound
		}
		seenNIC[k.nic] = true
		logged[k.rule] = true
		predRule := cls.FlowLogRuleName(k.verdict, dir)
		predDecision := flowlog.Denied
		if k.verdict.Allowed() {
			predDecision = flowlog.Allowed
		}
		switch {
		case predDecision == k.logged && predRule == k.rule:
			rep.Agree += g.flows
		case predDecision == k.logged:
			rep.Agree += g.flows
			rep.RuleDiffers += g.flows
		default:
			wf := g.witness.flow
			d := Disagreement{NIC: h.Name(), Direction: k.dir.String(), Logged: k.logged, LoggedText: k.logged.String(), LoggedRule: k.rule,
				Predicted: predDecision.String(), PredictedRule: predRule, Flows: g.flows, Witness: witness(files, g.witness)}
			if k.dir == flowlog.Outbound {
				if r, err := x.e.Trace(simulate.Flow{From: h.ID(), To: wf.Dst, Protocol: wf.Proto, Port: wf.DstPort, SrcPort: wf.SrcPort}); err == nil {
					d.Trace = r
				}
			}
			rep.Disagreements = append(rep.Disagreements, d)
		}
	}
	slices.SortFunc(rep.Disagreements, func(a, b Disagreement) int {
		return cmp.Or(cmp.Compare(b.Flows, a.Flows), cmp.Compare(a.NIC, b.NIC), cmp.Compare(a.Direction, b.Direction),
			cmp.Compare(a.LoggedRule, b.LoggedRule), cmp.Compare(a.PredictedRule, b.PredictedRule), cmp.Compare(a.Witness.File, b.Witness.File),
			cmp.Compare(a.Witness.Record, b.Witness.Record), a.Witness.Src.Compare(b.Witness.Src), a.Witness.Dst.Compare(b.Witness.Dst))
	})
	for k, v := range t.egress {
		rep.EgressChecked += v.flows
		if v.agree {
			rep.EgressAgree += v.flows
			continue
		}
		h := x.nics[k.nic]
		pred := x.predicted(k.nic, v.witness.flow.Dst)
		rep.EgressDisagreements = append(rep.EgressDisagreements, EgressDisagreement{NIC: h.Name(), Observed: k.observed,
			Predicted: pred.ips, Method: pred.method.String(), Flows: v.flows, Witness: witness(files, v.witness)})
	}
	slices.SortFunc(rep.EgressDisagreements, func(a, b EgressDisagreement) int {
		return cmp.Or(cmp.Compare(b.Flows, a.Flows), cmp.Compare(a.NIC, b.NIC), a.Observed.Compare(b.Observed))
	})
	if rep.EgressChecked > 0 {
		rep.Gaps = append(rep.Gaps, "NAT gateway flow logs carry no protocol or port: the egress IPs are predicted for TCP port 443")
	}
	x.ruleUse(rep, t, seenNIC, logged)
	for ni, tk := range t.talk {
		rep.TopTalkers = append(rep.TopTalkers, Talker{NIC: x.nics[ni].Name(), Flows: tk.flows, BytesSent: tk.sent, BytesReceived: tk.recv})
	}
	slices.SortFunc(rep.TopTalkers, func(a, b Talker) int {
		return cmp.Or(cmp.Compare(b.BytesSent, a.BytesSent), cmp.Compare(b.Flows, a.Flows), cmp.Compare(a.NIC, b.NIC))
	})
	top := cmp.Or(opts.TopTalkers, 10)
	if len(rep.TopTalkers) > top {
		rep.TopTalkers = rep.TopTalkers[:top]
	}
	for k, n := range t.unknown {
		rep.Unknown = append(rep.Unknown, UnknownSource{MAC: k.mac, Address: k.addr, Flows: n})
	}
	slices.SortFunc(rep.Unknown, func(a, b UnknownSource) int {
		return cmp.Or(cmp.Compare(b.Flows, a.Flows), cmp.Compare(a.MAC, b.MAC), a.Address.Compare(b.Address))
	})
	return rep
}

// ruleUse fills the dead and the shadowed rules: the user rules of the
// groups (NSGs, admin rules) on the logged NICs that no logged flow
// matches, and those that some match but that decide none. A rule the
// logs name is neither; the groups of NICs a filtering flow log covers
// are left out (unless a NIC no such log covers has them too): the rule
// may match or decide flows the log left out.
func (x *index) ruleUse(rep *Report, t *partial, seenNIC map[int32]bool, logged map[string]bool) {
	type shadowed struct {
		gid, rule int32
		di        uint8
	}
	by := map[shadowed]map[ruleRef]int{}
	for k, n := range t.shadow {
		s := shadowed{k.gid, k.rule, k.di}
		if by[s] == nil {
			by[s] = map[ruleRef]int{}
		}
		by[s][k.by] += n
	}
	name := func(gid, i int32, d nsg.Direction) Rule {
		g := x.groups[gid]
		ri := g.Rule(d, int(i))
		return Rule{NSG: g.Name(), Collection: ri.Collection, Name: ri.Name}
	}
	// Groups with one ID (the admin rules of one configuration, compiled
	// per VNet) count as one: a rule is dead when it matches nothing in
	// any of them.
	type use struct {
		rule     Rule
		dir      nsg.Direction
		matched  int
		deciders map[Rule]int
	}
	uses := map[string]*use{}
	var order []string
	seen := map[int32]bool{}
	for _, ni := range slices.Sorted(maps.Keys(seenNIC)) {
		if x.filtered[ni] {
			continue
		}
		for _, gid := range x.gids[ni] {
			if gid < 0 || seen[gid] {
				continue
			}
			seen[gid] = true
			for di, d := range []nsg.Direction{nsg.Inbound, nsg.Outbound} {
				var counts []int
				if int(gid) < len(t.matched) {
					counts = t.matched[gid][di]
				}
				for i := range x.users[gid][di] {
					r := name(gid, i, d)
					if logged["UserRule_"+r.Name] || (r.Collection != "" && logged[r.Name]) {
						continue // the logs say it decided flows
					}
					key := x.groups[gid].ID() + "\x00" + d.String() + "\x00" + r.Collection + "\x00" + r.Name
					u := uses[key]
					if u == nil {
						u = &use{rule: r, dir: d, deciders: map[Rule]int{}}
						uses[key] = u
						order = append(order, key)
					}
					if counts != nil {
						u.matched += counts[i]
					}
					for ref, n := range by[shadowed{gid, i, uint8(di)}] {
						dr := Rule{Name: "(none)"}
						if ref.gid >= 0 {
							dr = name(ref.gid, ref.rule, d)
						}
						u.deciders[dr] += n
					}
				}
			}
		}
	}
	for _, key := range order {
		u := uses[key]
		other := 0
		for _, n := range u.deciders {
			other += n
		}
		switch {
		case u.matched == 0:
			rep.DeadRules = append(rep.DeadRules, u.rule)
		case other == u.matched: // it decided none
			sr := ShadowedRule{Rule: u.rule, Direction: u.dir.String(), Flows: u.matched, DecidedBy: []Decider{}}
			for r, n := range u.deciders {
				sr.DecidedBy = append(sr.DecidedBy, Decider{Rule: r, Flows: n})
			}
			slices.SortFunc(sr.DecidedBy, func(a, b Decider) int {
				return cmp.Or(cmp.Compare(b.Flows, a.Flows), compareRules(a.Rule, b.Rule))
			})
			rep.ShadowedRules = append(rep.ShadowedRules, sr)
		}
	}
	slices.SortFunc(rep.DeadRules, compareRules)
	slices.SortFunc(rep.ShadowedRules, func(a, b ShadowedRule) int {
		return cmp.Or(cmp.Compare(b.Flows, a.Flows), compareRules(a.Rule, b.Rule), cmp.Compare(a.Direction, b.Direction))
	})
}

func compareRules(a, b Rule) int {
	return cmp.Or(cmp.Compare(a.NSG, b.NSG), cmp.Compare(a.Collection, b.Collection), cmp.Compare(a.Name, b.Name))
}

func (x *index) predicted(ni int32, dst netip.Addr) egressPrediction {
	res, err := x.e.Trace(simulate.Flow{From: x.nics[ni].ID(), To: dst, Protocol: ipproto.TCP, Port: 443})
	if err != nil {
		return egressPrediction{}
	}
	return egressPrediction{ips: res.EgressIPs, method: res.EgressMethod}
}

func witness(files []string, w witnessKey) Witness {
	f := w.flow
	return Witness{File: files[w.file], Record: w.record, Src: f.Src, Dst: f.Dst, SrcPort: f.SrcPort, DstPort: f.DstPort, Protocol: f.Proto}
}

// String renders the report as `egress flows replay` prints it.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d files, %d records, %d flows; %d decisions compared: %d agree", r.Files, r.Records, r.Flows, r.Decisions, r.Agree)
	if r.RuleDiffers > 0 {
		fmt.Fprintf(&b, " (%d by another rule)", r.RuleDiffers)
	}
	fmt.Fprintf(&b, ", %d disagree\n", r.Decisions-r.Agree)
	for _, d := range r.Disagreements {
		w := d.Witness
		fmt.Fprintf(&b, "  %s %s: logged %s by %s, design %s by %s: %d flows (e.g. %s %s:%d -> %s:%d, %s record %d)\n", d.NIC, d.Direction,
			d.LoggedText, orNone(d.LoggedRule), d.Predicted, orNone(d.PredictedRule), d.Flows, w.Protocol, w.Src, w.SrcPort, w.Dst, w.DstPort, w.File, w.Record)
	}
	if r.EgressChecked > 0 {
		fmt.Fprintf(&b, "egress: %d NAT gateway flows, %d leave from a predicted IP\n", r.EgressChecked, r.EgressAgree)
		for _, d := range r.EgressDisagreements {
			fmt.Fprintf(&b, "  %s: observed %s, design %s %v: %d flows\n", d.NIC, d.Observed, d.Method, d.Predicted, d.Flows)
		}
	}
	if len(r.DeadRules) > 0 {
		b.WriteString("rules no logged flow matches:")
		for _, d := range r.DeadRules {
			fmt.Fprintf(&b, " %s", d)
		}
		b.WriteByte('\n')
	}
	for _, s := range r.ShadowedRules {
		fmt.Fprintf(&b, "rule %s (%s) matches %d logged flows and decides none: decided by", s.Rule, s.Direction, s.Flows)
		for i, d := range s.DecidedBy {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %s %d", d.Rule, d.Flows)
		}
		b.WriteByte('\n')
	}
	if len(r.TopTalkers) > 0 {
		b.WriteString("top talkers (bytes sent):")
		for _, t := range r.TopTalkers {
			fmt.Fprintf(&b, " %s %d", t.NIC, t.BytesSent)
		}
		b.WriteByte('\n')
	}
	for _, u := range r.Unknown {
		fmt.Fprintf(&b, "unknown source: mac %s address %s: %d flows\n", orNone(u.MAC), u.Address, u.Flows)
	}
	for _, g := range r.Gaps {
		fmt.Fprintf(&b, "gap: %s\n", g)
	}
	return b.String()
}

// String returns "nsg/name", or "config/collection/name" for an admin rule.
func (r Rule) String() string {
	if r.NSG == "" {
		return r.Name
	}
	if r.Collection != "" {
		return r.NSG + "/" + r.Collection + "/" + r.Name
	}
	return r.NSG + "/" + r.Name
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// ErrNoFiles is returned for a replay with no input files.
var ErrNoFiles = errors.New("no flow-log files")
