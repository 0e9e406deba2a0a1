package simulate_test

import (
	"math/rand/v2"
	"testing"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/require"
)

// BenchmarkAudit runs the whole audit on three networks: the embedded
// hub-and-spoke design (container group, web app, AI accounts); 1,000 NICs
// in 20 subnets of auditNetwork (twins: the egress maps are shared); and a
// generated network (genTwinNetwork with web apps: NVAs, a firewall, many
// unlike NICs). It reports the findings and the cost as a ratio to L_hot
// measured in the same run (x-L).
func BenchmarkAudit(b *testing.B) {
	hn, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(designs.HubSpoke)}}, Tags: defaultTagsMust()})
	require.NoError(b, err)
	hub := simulate.Compile(hn, simulate.Options{})
	m := auditNetwork(10, 50)
	require.NoError(b, m.Validate(defaultTagsMust()))
	many, err := compile(m, defaultTagsMust(), simulate.Options{})
	require.NoError(b, err)
	r := rand.New(rand.NewPCG(42, 11))
	n := genTwinNetwork(r, 6, 4, storageAddr(b))
	addWebApps(r, n.m)
	require.Empty(b, n.m.Check(defaultTagsMust()).Errors)
	gen, err := compile(n.m, defaultTagsMust(), simulate.Options{})
	require.NoError(b, err)
	for _, w := range []struct {
		name string
		e    *simulate.Engine
	}{{"hubspoke", hub}, {"twins-1000", many}, {"generated", gen}} {
		b.Run(w.name, func(b *testing.B) {
			var rep *simulate.AuditReport
			b.ReportAllocs()
			for b.Loop() {
				rep = w.e.Audit()
			}
			b.ReportMetric(float64(len(rep.Findings)), "findings")
			b.ReportMetric(float64(w.e.NumNICs()), "nics")
			b.ReportMetric(reachRatio(func() { w.e.Audit() }), "x-L")
		})
	}
}
