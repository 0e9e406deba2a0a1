// Command flowgen writes a generated set of VNet flow logs (version 4) in
// the blob layout Azure writes
// (insights-logs-flowlogflowevent/flowLogResourceID=/…/y=/m=/d=/h=/m=00/macAddress=/PT1H.json)
// for the NICs of the embedded design, mapped by address: the input of
// the replay's memory and speed figures in README. It is not shipped.
//
//	go run ./internal/cmd/flowgen -o /tmp/flows -files 100 -tuples 100000
//	go build -o /tmp/egress ./cmd/egress
//	/usr/bin/time -v /tmp/egress flows replay /tmp/flows
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("o", "flows", "output directory")
	files := flag.Int("files", 10, "blobs to write")
	tuples := flag.Int("tuples", 100_000, "flow tuples per blob")
	flag.Parse()
	if err := run(*out, *files, *tuples); err != nil {
		fmt.Fprintln(os.Stderr, "flowgen:", err)
		os.Exit(1)
	}
}

// The embedded design's NICs (addresses, see examples/designs/hubspoke.yaml).
var sources = []string{"10.1.1.4", "10.1.1.5", "10.1.2.4", "10.2.1.4", "10.2.9.4", "10.0.2.4", "10.50.1.4"}

func run(dir string, files, tuples int) error {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range files {
		p := filepath.Join(dir, "insights-logs-flowlogflowevent/flowLogResourceID=/SUBSCRIPTIONS/00000000-0000-0000-0000-000000000000/RESOURCEGROUPS/NETWORKWATCHERRG/PROVIDERS/MICROSOFT.NETWORK/NETWORKWATCHERS/NETWORKWATCHER_EASTUS/FLOWLOGS/FL",
			fmt.Sprintf("y=2025/m=05/d=%02d/h=%02d/m=00/macAddress=0022480A%04X/PT1H.json", 1+i/24%28, i%24, i))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		src := sources[i%len(sources)]
		fmt.Fprintf(w, `{"records": [`)
		const perRecord = 1000
		for rec := 0; rec*perRecord < tuples; rec++ {
			if rec > 0 {
				w.WriteString(",\n")
			}
			fmt.Fprintf(w, `{"time": "2025-05-04T10:00:00Z", "flowLogVersion": 4, "macAddress": "0022480A%04X", "category": "FlowLogFlowEvent", "operationName": "FlowLogFlowEvent", "flowRecords": {"flows": [{"aclID": "acl", "flowGroups": [{"rule": "DefaultRule_AllowInternetOutBound", "flowTuples": [`, i)
			for j := 0; j < perRecord && rec*perRecord+j < tuples; j++ {
				if j > 0 {
					w.WriteByte(',')
				}
				fmt.Fprintf(w, `"%d,%s,52.%d.%d.%d,%d,%d,6,O,%c,NX,1,100,1,100"`, 1746352852000+int64(j), src, r.IntN(256), r.IntN(256), r.IntN(256),
					1024+r.IntN(60000), []int{443, 80, 53, 445}[r.IntN(4)], "BCE"[r.IntN(3)])
			}
			w.WriteString(`]}]}]}}`)
		}
		w.WriteString("]}\n")
		if err := w.Flush(); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
