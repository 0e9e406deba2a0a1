package pipeline_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	pipeline "github.com/egresslab/egress/beam"
	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/replay"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

func TestMain(m *testing.M) {
	beam.Init()
	os.Exit(m.Run())
}

// genLogs writes VNet flow logs of the embedded design's app and batch NICs
// (mapped by address), with a planted disagreement: SMB logged as allowed
// where nsg-app denies it.
func genLogs(t *testing.T, dir string, files, tuples int) {
	r := rand.New(rand.NewPCG(3, 3))
	srcs := []string{"10.1.1.4", "10.2.1.4", "10.9.9.9"}
	for i := range files {
		var ts []string
		for j := range tuples {
			port := []int{443, 80, 445}[r.IntN(3)]
			ts = append(ts, fmt.Sprintf("%q", fmt.Sprintf("%d,%s,52.%d.%d.%d,%d,%d,6,O,B,NX,1,100,1,100", 1746352852000+j, srcs[(i+j)%len(srcs)],
				r.IntN(256), r.IntN(256), r.IntN(256), 1024+r.IntN(60000), port)))
		}
		p := filepath.Join(dir, fmt.Sprintf("y=2025/m=05/d=04/h=%02d/m=00/macAddress=0022480A%04X/PT1H.json", i%24, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		doc := `{"records": [{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": "0022480ABCDE", "category": "FlowLogFlowEvent",
 "flowRecords": {"flows": [{"aclID": "a", "flowGroups": [{"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": [` + strings.Join(ts, ",") + `]}]}]}}]}`
		if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPipelineOnPrism: the Beam pipeline on the local Prism runner writes
// the report replay.Run gives for the same logs, byte for byte.
func TestPipelineOnPrism(t *testing.T) {
	dir := t.TempDir()
	genLogs(t, dir, 6, 400)
	files, err := flowlog.Walk(dir)
	if err != nil {
		t.Fatal(err)
	}
	design := pipeline.Design{Name: designs.HubSpokeFile, Data: designs.HubSpoke}
	tags, err := servicetag.Default()
	if err != nil {
		t.Fatal(err)
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: design.Name, Data: design.Data}}, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	want, err := replay.Run(simulate.Compile(n, simulate.Options{}), files, replay.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report.json")
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, design, files, out)
	if _, err := prism.Execute(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got replay.Report
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(want)
	b, _ := json.Marshal(&got)
	if string(a) != string(b) {
		t.Fatalf("the pipeline's report differs from replay.Run's:\n%s\n%s", b, a)
	}
	if len(want.Disagreements) == 0 || want.Flows != 6*400 {
		t.Fatalf("the logs plant disagreements and %d flows: %d, %d", 6*400, len(want.Disagreements), want.Flows)
	}
}
