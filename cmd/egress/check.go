package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/egresslab/egress/check"
	"github.com/egresslab/egress/simulate"
	"github.com/spf13/cobra"
)

// cmdCheck runs a check file against the design, for CI.
func cmdCheck(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "check FILE",
		Short: "Run a file of expectations about the design, for CI (exit 1 when one fails)",
		Long: `Run a check file (egress: check/v1): expectations about flows (verdict, deciding rule,
egress method and IPs, hops crossed or avoided, assumptions), subnets with no direct
internet path and subnets that reach no destination of a set (both decided exactly, on
the NICs' egress maps), and flows an overlay must not change. Exit 0 when all hold, 1 when one
fails (each failure with its trace), 2 for usage and input errors. -o junit writes JUnit
XML, so that CI systems show each check as a test; egress schema check-file prints the
file's JSON Schema.`,
		Example: `  egress check policy.yaml
  egress check policy.yaml --topology export.json -o junit > egress-checks.xml
  egress schema check-file > check.schema.json`,
		Args: cobra.ExactArgs(1),
	}
	e.simFlags(cmd)
	e.inputFlags(cmd)
	e.outputFlags(cmd, "table", "json", "yaml", "junit")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return e.runE(func() error { return e.check1(args[0]) })(c, args)
	}
	return cmd
}

func (e *env) check1(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	f, err := check.Parse(path, data)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if err := e.compile(); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	rep, err := check.Run(e.engine, f, check.Env{WithOverlay: func(overlay string) (*simulate.Engine, error) {
		if !filepath.IsAbs(overlay) {
			overlay = filepath.Join(dir, overlay)
		}
		n, err := e.loadNetwork(append(append([]string(nil), e.overlays...), overlay))
		if err != nil {
			return nil, err
		}
		return simulate.Compile(n, e.opts), nil
	}})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	switch e.output {
	case "junit":
		err = rep.WriteJUnit(e.stdout)
	default:
		rows := func() *table {
			t := &table{header: []string{"Result", "Check", "Line", "Failures"}}
			for _, r := range rep.Results {
				res := "PASS"
				if !r.Passed {
					res = "FAIL"
				}
				t.add(res, r.Name, strconv.Itoa(r.Line), strconv.Itoa(len(r.Failures)))
			}
			return t
		}
		err = e.print(rep, rows, func(w io.Writer) error {
			_, err := io.WriteString(w, rep.String())
			return err
		})
	}
	if err != nil {
		return err
	}
	if rep.Failed > 0 {
		return &exitError{code: 1, err: fmt.Errorf("%d of %d checks failed", rep.Failed, len(rep.Results))}
	}
	return nil
}
