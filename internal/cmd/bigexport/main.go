// Command bigexport writes the benchmarks' big network (package bignet) to
// a file, for timing the egress command on it as a whole process:
//
//	go run ./internal/cmd/bigexport -o big.json           # the ARM export, ~25 MB
//	go run ./internal/cmd/bigexport -native -o big.yaml   # the native design
package main

import (
	"flag"
	"log"
	"os"

	"github.com/egresslab/egress/internal/bignet"
)

func main() {
	out := flag.String("o", "big.json", "the file to write")
	native := flag.Bool("native", false, "write the native YAML design instead of the ARM export")
	vnets := flag.Int("vnets", 1001, "VNets of the generator: 1001 makes 1,000 spokes (and 3 hubs)")
	nics := flag.Int("nics", 10, "NICs per spoke")
	flag.Parse()
	data := []byte(nil)
	if *native {
		data = []byte(bignet.Design(*vnets, *nics))
	} else {
		data = bignet.ARMExport(*vnets, *nics)
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		log.Fatal(err)
	}
}
