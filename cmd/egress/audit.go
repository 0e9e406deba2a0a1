package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/egresslab/egress/simulate"
)

var severityRank = map[string]int{"none": 0, "low": 1, "medium": 2, "high": 3}

// cmdAudit runs the egress audits; --fail-on makes findings fail the command
// (exit 1), for CI.
func cmdAudit(e *env, args []string) error {
	fs := e.flags("audit")
	failOn := fs.String("fail-on", "none", "exit 1 when a finding is at least this severe: high, medium, low or none")
	e.simFlags(fs)
	if err := e.parse(fs, args); err != nil {
		return err
	}
	threshold, ok := severityRank[*failOn]
	if !ok {
		return usageErr("--fail-on %q: want high, medium, low or none", *failOn)
	}
	if err := e.compile(); err != nil {
		return err
	}
	fs2 := e.engine.Audit()
	if fs2 == nil {
		fs2 = []simulate.Finding{}
	}
	if e.output == "json" {
		if err := e.json(fs2); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "Severity\tCheck\tResource\tFinding")
		for _, f := range fs2 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.Severity, f.Check, f.Name, f.Message)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%d findings\n", len(fs2))
	}
	if threshold > 0 {
		for _, f := range fs2 {
			if severityRank[f.Severity] >= threshold {
				return &exitError{1, fmt.Errorf("findings at or above %s", *failOn)}
			}
		}
	}
	return nil
}
