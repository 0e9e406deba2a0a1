// Command egress-beam replays flow logs against a design on Apache Beam:
// the local Prism runner by default, or any runner Beam's --runner flag
// names (flink, spark, dataflow, with their own flags: --endpoint for the
// portable runners' job servers; --project, --region and
// --staging_location for Dataflow). The report is egress flows replay -o
// json's.
//
//	go run ./cmd/egress-beam --design design.yaml --out report.json ./flowlogs/
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	pipeline "github.com/egresslab/egress/beam"
	"github.com/egresslab/egress/flowlog"
)

var (
	design = flag.String("design", "", "the design or export (native YAML or ARM JSON) to replay the logs against")
	out    = flag.String("out", "report.json", "where the report (JSON) is written")
)

func main() {
	flag.Parse()
	beam.Init()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "egress-beam:", err)
		os.Exit(1)
	}
}

func run() error {
	if *design == "" || flag.NArg() == 0 {
		return fmt.Errorf("usage: egress-beam --design FILE [--out FILE] [--runner R] PATH...")
	}
	data, err := os.ReadFile(*design)
	if err != nil {
		return err
	}
	files, err := flowlog.Walk(flag.Args()...)
	if err != nil {
		return err
	}
	p, s := beam.NewPipelineWithRoot()
	pipeline.Build(s, pipeline.Design{Name: *design, Data: data}, files, *out)
	return beamx.Run(context.Background(), p)
}
