package simulate

import (
	"runtime"
	"sync"

	"github.com/egresslab/egress/firewall"
)

// HostClass is a set of flows from one source whose outcome changes when
// the flows name a server (TLS SNI, HTTP Host, the MSSQL server name) that
// an Azure Firewall's application rules tell apart: "allowed if the SNI
// matches *.blob.core.windows.net". [Engine.ReachHosts] finds them.
type HostClass struct {
	// Firewall names the firewall whose application rules hold Pattern
	// (the first of them, when several do).
	Firewall string `json:"firewall"`
	// Pattern is the target FQDN or URL host the class is conditioned on,
	// in lower case ("*.blob.core.windows.net"), or "" for a name that no
	// target names (Host is then [firewall.OtherHost]).
	Pattern string `json:"pattern"`
	// Host is the name the class's flows give: a name Pattern matches.
	Host string `json:"host"`
	// Rule names the first application rule carrying Pattern, or "".
	Rule string `json:"rule,omitempty"`
	// URL: Pattern is a target URL's host; the rule also matches on the
	// URL path, which a flow without one leaves undecided.
	URL bool `json:"url,omitempty"`
	// Change is the set: its Before is the outcome of the flows naming no
	// server ([Engine.Reach]), its After that of the flows naming Host
	// ([Engine.ReachHost]); its Witness names Host.
	Change MapChange `json:"change"`
	// DecidedBy is what decides the witness when it names Host
	// ([Result.DecidedBy] of its trace).
	DecidedBy string `json:"decidedBy"`
}

// ReachHosts returns the flows of NIC h whose outcome depends on the
// server name they give, exactly per name: for each target pattern of the
// application rules of every firewall h's flows can reach
// ([firewall.Engine.HostWitnesses]: one name per pattern, and one that no
// pattern names), every set of flows whose outcome under ReachHost(h,
// name) differs from Reach(h) ([DiffMaps]), in firewall, pattern and
// address order. Names that match two patterns at once (an Allow pattern
// and an earlier Deny one) are not enumerated: their flows take the
// outcome of the first matching rule, which a trace of that name shows.
// Web categories and FQDN tags that cannot be resolved offline have no
// name to map.
//
// base is h's map without a name ([Engine.Reach]); nil builds it. The
// maps per name are built in parallel (runtime.GOMAXPROCS(0) at once),
// one per distinct name; a NIC whose flows reach no firewall with
// application rules costs nothing beyond base.
func (e *Engine) ReachHosts(h NIC, base *EgressMap) []HostClass {
	hi := e.handle(h)
	_, _, _, fws, _ := e.reachScope(hi)
	type job struct {
		fw string
		w  firewall.HostWitness
		rs string
		m  *EgressMap
	}
	var jobs []*job
	seen := map[string]bool{}
	for _, f := range fws {
		st := &e.firewalls[f]
		if st.eng == nil {
			continue
		}
		for _, w := range st.eng.HostWitnesses() {
			if seen[w.Host] {
				continue
			}
			seen[w.Host] = true
			j := &job{fw: st.name, w: w}
			if info, ok := st.eng.RuleOf(firewall.Verdict{Rule: int32(w.Rule)}); ok {
				j.rs = info.String()
			}
			jobs = append(jobs, j)
		}
	}
	if len(jobs) == 0 {
		return nil
	}
	if base == nil {
		base = e.Reach(h)
	}
	var wg sync.WaitGroup
	next := make(chan *job)
	for range min(runtime.GOMAXPROCS(0), len(jobs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				j.m = e.ReachHost(h, j.w.Host)
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	var out []HostClass
	for _, j := range jobs {
		for _, c := range DiffMaps(base, j.m) {
			c.Witness.Host = j.w.Host
			hc := HostClass{Firewall: j.fw, Pattern: j.w.Pattern, Host: j.w.Host, Rule: j.rs, URL: j.w.URL, Change: c}
			if r, err := e.Trace(c.Witness); err == nil {
				hc.DecidedBy = r.DecidedBy
			}
			out = append(out, hc)
		}
	}
	return out
}
