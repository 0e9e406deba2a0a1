// Package pipeline replays flow logs against a design on Apache Beam
// (github.com/apache/beam/sdks/v2), for log sets beyond one machine: each
// worker replays whole blobs with package replay's Replayer, the counts
// combine in any order, and the report is the one `egress flows replay`
// prints for the same input, byte for byte. It lives in its own Go module
// so that the egress library stays free of Beam's dependencies.
//
// Run it on the local Prism runner (the tests do), or on Flink, Spark or
// Dataflow through Beam's portable runners; see cmd/egress-beam:
//
//	go run ./cmd/egress-beam --design design.yaml --out report.json --runner prism FILE...
//	go run ./cmd/egress-beam --design design.yaml --out gs://bucket/report.json \
//	    --runner dataflow --project P --region R --staging_location gs://bucket/staging FILE...
//
// The files are local paths or any path Beam's filesystem packages read;
// the design is read once by the launcher and shipped with the transforms.
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/egresslab/egress/replay"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*replay.Counts)(nil)).Elem())
	register.DoFn2x2[context.Context, int, replay.Counts, error](&replayFn{})
	register.DoFn2x1[context.Context, replay.Counts, error](&reportFn{})
	register.Function2x1(mergeCounts)
}

// Design is the network the logs are replayed against: native YAML or
// ARM JSON, as topology.Load reads them.
type Design struct {
	Name string
	Data []byte
}

// engines caches one engine per design per worker process.
var engines sync.Map // design name + size → *simulate.Engine

func engine(d Design) (*simulate.Engine, error) {
	key := fmt.Sprintf("%s/%d", d.Name, len(d.Data))
	if e, ok := engines.Load(key); ok {
		return e.(*simulate.Engine), nil
	}
	tags, err := servicetag.Default()
	if err != nil {
		return nil, err
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: d.Name, Data: d.Data}}, Tags: tags})
	if err != nil {
		return nil, err
	}
	e := simulate.Compile(n, simulate.Options{})
	engines.Store(key, e)
	return e, nil
}

// replayFn replays one file, given by its index in Files.
type replayFn struct {
	Design Design
	Files  []string
	rp     *replay.Replayer
}

// Setup compiles the design once per worker.
func (f *replayFn) Setup() error {
	e, err := engine(f.Design)
	if err != nil {
		return err
	}
	f.rp = replay.NewReplayer(e)
	return nil
}

// ProcessElement replays file i.
func (f *replayFn) ProcessElement(_ context.Context, i int) (replay.Counts, error) {
	if f.rp == nil {
		if err := f.Setup(); err != nil {
			return replay.Counts{}, err
		}
	}
	return f.rp.File(f.Files[i], i)
}

// mergeCounts merges two counts; both come from replayFn, so they decode.
func mergeCounts(a, b replay.Counts) replay.Counts {
	c, err := replay.Merge(a, b)
	if err != nil {
		panic(fmt.Sprintf("egress: counts from replayFn do not decode: %v", err))
	}
	return c
}

// reportFn writes the report of the total counts as JSON to Out.
type reportFn struct {
	Design Design
	Files  []string
	Out    string
}

// ProcessElement writes the report.
func (f *reportFn) ProcessElement(_ context.Context, c replay.Counts) error {
	e, err := engine(f.Design)
	if err != nil {
		return err
	}
	rep, err := replay.NewReplayer(e).Report(c, f.Files, replay.Options{})
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(f.Out, append(b, '\n'), 0o644)
}

// Build adds the replay of files (sorted, as flowlog.Walk lists them) to
// the pipeline: one element per file, the counts combined globally, the
// report written to out.
func Build(s beam.Scope, design Design, files []string, out string) {
	s = s.Scope("egress.replay")
	idx := make([]int, len(files))
	for i := range idx {
		idx[i] = i
	}
	is := beam.CreateList(s, idx)
	counts := beam.ParDo(s, &replayFn{Design: design, Files: files}, is)
	total := beam.Combine(s, mergeCounts, counts)
	beam.ParDo0(s, &reportFn{Design: design, Files: files, Out: out}, total)
}
