package main

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/egresslab/egress/topology"
	"github.com/spf13/cobra"
)

// validateResult is the JSON output of `egress validate`.
type validateResult struct {
	SchemaVersion int      `json:"schemaVersion"`
	Valid         bool     `json:"valid"`
	Problems      []string `json:"problems"`     // the first 200
	ProblemCount  int      `json:"problemCount"` // all of them
	// Warnings are what does not make the network invalid: references to
	// resources outside the input, values the loaders assumed, keys they
	// could not read (with --strict they are problems).
	Warnings     []string `json:"warnings"`
	WarningCount int      `json:"warningCount"`
	Counts       counts   `json:"counts"`
	ServiceTags  string   `json:"serviceTags"`
}

type counts struct {
	VNets       int `json:"vnets"`
	Subnets     int `json:"subnets"`
	NICs        int `json:"nics"`
	RouteTables int `json:"routeTables"`
	NSGs        int `json:"nsgs"`
}

// cmdValidate loads and validates the topology: exit 0 when clean, 1 when the
// loaded network has problems (all counted, the first 200 printed), 2 when
// an input cannot be read or parsed (JSON or YAML alike) or on a usage
// error. Resources Azure would reject are problems; references to resources
// outside the input and the loaders' warnings are printed as warnings and
// do not fail it, unless --strict. A Terraform plan's values known only
// after apply (a route's next hop among them) are the loader's warnings:
// the values are unknown, not invalid.
func cmdValidate(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "validate [--strict]",
		Short: "Load and validate the topology, print every problem",
		Long: `Load and validate the topology: every problem with its file:line:col (the first 200
listed, all counted), then the warnings (references to resources outside the input, values
the loaders assumed); --strict makes the warnings problems.

A Terraform plan's values known only after apply are warnings, naming the answers they
make Unknown (with --strict, problems).

Exit status: 0 when the network is valid, 1 when it has problems, 2 when an input cannot
be read or parsed.`,
		Example: `  egress validate
  egress validate --topology export.json --topology design.yaml
  egress validate --topology ./network/ --strict -o json`,
		Args: cobra.NoArgs,
	}
	e.dataFlags(cmd)
	cmd.RunE = e.runE(e.validate)
	return cmd
}

func (e *env) validate() error {
	e.validating = true
	err := e.load()
	var probs *topology.Problems
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || !errors.As(ee.err, &probs) {
			return err // the input is broken, not the network: exit 2
		}
	}
	// A Terraform plan's values known after apply are no problem Azure
	// would reject (a route's next hop among them, topology.CompilableRoutes):
	// the loader's warnings name them and the answers they make Unknown.
	res := validateResult{SchemaVersion: schemaVersion, Valid: probs == nil, Problems: []string{}, Warnings: []string{}}
	if e.tags != nil {
		res.ServiceTags = fmt.Sprintf("%s changeNumber %d", e.tags.Cloud(), e.tags.ChangeNumber())
	}
	if probs != nil {
		for _, p := range probs.List {
			res.Problems = append(res.Problems, p.Error())
		}
		res.ProblemCount = probs.Total
	} else {
		n := e.network
		res.Counts = counts{VNets: n.NumVNets(), Subnets: n.NumSubnets(), NICs: n.NumNICs(), RouteTables: n.NumRouteTables(), NSGs: n.NumNSGs()}
		for _, w := range e.warnings {
			res.Warnings = append(res.Warnings, w.Error())
		}
		res.WarningCount = len(e.warnings) + e.warningsExtra
	}
	rows := func() *table {
		t := &table{header: []string{"Kind", "Message"}}
		for _, p := range res.Problems {
			t.add("problem", p)
		}
		for _, w := range res.Warnings {
			t.add("warning", w)
		}
		return t
	}
	if e.output != "table" {
		if err := e.print(res, rows, nil); err != nil {
			return err
		}
	} else if res.Valid {
		for _, w := range res.Warnings {
			fmt.Fprintln(e.stdout, "warning:", w)
		}
		if more := res.WarningCount - len(res.Warnings); more > 0 {
			fmt.Fprintf(e.stdout, "warning: ... and %d more\n", more)
		}
		c := res.Counts
		fmt.Fprintf(e.stdout, "valid: %d VNets, %d subnets, %d NICs, %d route tables, %d NSGs (service tags: %s)", c.VNets, c.Subnets, c.NICs, c.RouteTables, c.NSGs, res.ServiceTags)
		if res.WarningCount > 0 {
			fmt.Fprintf(e.stdout, "; %d warnings (--strict refuses them)", res.WarningCount)
		}
		fmt.Fprintln(e.stdout)
		if sk := e.network.Skipped(); len(sk) > 0 {
			// Listed, never silently dropped: what the input holds that
			// egress does not model.
			var parts []string
			for _, t := range slices.Sorted(maps.Keys(sk)) {
				parts = append(parts, fmt.Sprintf("%s %d", t, sk[t]))
			}
			fmt.Fprintf(e.stdout, "not modelled: %s\n", strings.Join(parts, ", "))
		}
	} else {
		for _, p := range res.Problems {
			fmt.Fprintln(e.stdout, p)
		}
		for _, w := range res.Warnings {
			fmt.Fprintln(e.stdout, "warning:", w)
		}
		if more := res.ProblemCount - len(res.Problems); more > 0 {
			fmt.Fprintf(e.stdout, "... and %d more problems\n", more)
		}
		fmt.Fprintf(e.stdout, "%d problems\n", res.ProblemCount)
	}
	if !res.Valid {
		return &exitError{code: 1, err: fmt.Errorf("%d problems", res.ProblemCount)}
	}
	return nil
}
