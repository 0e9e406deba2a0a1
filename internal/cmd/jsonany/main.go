// Command jsonany is the baseline of the CLI's start-up figure in README: it
// decodes a JSON file (the service-tags file, uncompressed) with
// encoding/json into generic values (any) and prints how many top-level
// keys it has. It is not shipped; it exists to be timed next to egress.
//
//	go build -o /tmp/egress ./cmd/egress
//	go build -o /tmp/jsonany ./internal/cmd/jsonany
//	gunzip -c servicetag/data/ServiceTags_Public_20251109.json.gz >/tmp/tags.json
//	/usr/bin/time -v /tmp/egress trace --from vm-batch-01-nic --to 52.1.2.3:443
//	/usr/bin/time -v /tmp/jsonany /tmp/tags.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: jsonany FILE")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m, _ := v.(map[string]any)
	fmt.Println(len(m))
}
