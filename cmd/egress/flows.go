package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/egresslab/egress/flowlog"
	"github.com/egresslab/egress/replay"
	"github.com/spf13/cobra"
)

// cmdFlows groups the verbs over flow logs: replay for now.
func cmdFlows(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "flows",
		Short: "Flow logs against the design: replay",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(cmdReplay(e))
	return cmd
}

// cmdReplay reads flow logs and compares them with the design.
func cmdReplay(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "replay PATH...",
		Short: "Compare VNet, NSG and NAT gateway flow logs with the design",
		Long: `Read flow logs (VNet flow logs version 4, NSG flow logs versions 1 and 2, NAT gateway
flow logs) from files or directories (every .json file, as Azure lays out the blobs:
.../y=/m=/d=/h=/m=00/macAddress=/PT1H.json) and compare them with the design, like with
like: the decision the NSGs and admin rules logged at the NIC against the design's
decision at that NIC (a flow a later firewall drops is still logged as allowed there),
and the public IP a NAT gateway logged against the predicted egress IPs.

Flows map to NICs by MAC address (the NICs' macAddress), else by private address. The
report groups the disagreements with a witness flow and its trace, lists the rules
that decided no logged flow, the top talkers, and the flows from unknown addresses.`,
		Example: `  egress flows replay ./flowlogs/ --topology export.json
  egress flows replay PT1H.json -o json | jq '.disagreements[0].trace'
  egress flows replay ./flowlogs/ --fail-on-disagreement   # exit 1 on a disagreement, for CI`,
		Args: cobra.MinimumNArgs(1),
	}
	var workers int
	var fail bool
	cmd.Flags().IntVar(&workers, "workers", 0, "files read at once (default: one per core)")
	cmd.Flags().BoolVar(&fail, "fail-on-disagreement", false, "exit 1 when a logged decision or egress IP disagrees with the design")
	e.simFlags(cmd)
	e.dataFlags(cmd)
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return nil, cobra.ShellCompDirectiveDefault
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		return e.runE(func() error { return e.replay(args, workers, fail) })(c, args)
	}
	return cmd
}

func (e *env) replay(paths []string, workers int, fail bool) error {
	if err := e.compile(); err != nil {
		return err
	}
	files, err := flowlog.Walk(paths...)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	if len(files) == 0 {
		return &exitError{code: 2, err: fmt.Errorf("%w under %v", replay.ErrNoFiles, paths)}
	}
	opts := replay.Options{Workers: workers}
	if bar := e.progress("replaying flow logs"); bar != nil {
		opts.Progress = func(done, _ int) { bar(done, len(files)) }
	}
	rep, err := replay.Run(e.engine, files, opts)
	if err != nil {
		return err
	}
	rows := func() *table {
		t := &table{header: []string{"NIC", "Direction", "Logged", "LoggedRule", "Design", "DesignRule", "Flows", "File", "Record"}}
		for _, d := range rep.Disagreements {
			t.add(d.NIC, d.Direction, d.LoggedText, d.LoggedRule, d.Predicted, d.PredictedRule, strconv.Itoa(d.Flows), d.Witness.File, strconv.Itoa(d.Witness.Record))
		}
		return t
	}
	if err := e.print(rep, rows, func(w io.Writer) error {
		_, err := io.WriteString(w, rep.String())
		return err
	}); err != nil {
		return err
	}
	if fail && (len(rep.Disagreements) > 0 || len(rep.EgressDisagreements) > 0) {
		return &exitError{code: 1, err: fmt.Errorf("%d decision and %d egress disagreements", len(rep.Disagreements), len(rep.EgressDisagreements))}
	}
	return nil
}
