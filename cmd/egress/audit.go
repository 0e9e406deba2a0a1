package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/egresslab/egress/simulate"
	"github.com/spf13/cobra"
)

// tableNICs is how many NIC names a table row shows; -o json lists them all.
const tableNICs = 3

// cmdAudit runs the egress audits and prints one line per finding (a check
// at a subnet, a VNet or a resource), or the whole report with -o json.
// --fail-on makes findings at or above a severity fail the command (exit
// 1), for CI; the severities and their order are simulate.Severity's.
func cmdAudit(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit [--fail-on SEVERITY]",
		Short: "Egress audits: default outbound, direct internet, open NSG rules, ...",
		Long: `Audit the network for data-egress risks: default outbound access, direct internet paths
and unstable egress IPs (proved on each NIC's egress map, over every address, protocol and
port, with the classes and a witness flow), NSG rules open to the internet, VirtualNetwork
tags widened by UDRs or gateway prefixes, firewall rules allowing anything, missing or
bypassed forced tunnelling, AI services without outbound restriction, shadowed rules.

The table has one line per finding (a subnet, a VNet or a resource); -o json lists every
NIC. --fail-on makes findings at or above a severity fail the command (exit 1), for CI.`,
		Example: `  egress audit
  egress audit --fail-on high            # exit 1 on a high finding
  egress audit -o json | jq '.findings[] | select(.severity == "high") | .check'`,
		Args: cobra.NoArgs,
	}
	var failOn simulate.Severity
	cmd.Flags().Var(textFlag{&failOn, "severity"}, "fail-on", "exit 1 when a finding is at least this severe: high, medium, low or none")
	_ = cmd.RegisterFlagCompletionFunc("fail-on", fixedCompletions([]string{"high", "medium", "low", "none"}))
	e.simFlags(cmd)
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error { return e.audit(failOn) })
	return cmd
}

func (e *env) audit(failOn simulate.Severity) error {
	if err := e.compile(); err != nil {
		return err
	}
	rep := e.engine.AuditProgress(e.progress("auditing NICs"))
	rows := func() *table {
		t := &table{header: []string{"Severity", "Check", "Scope", "NICs", "Finding"}}
		for _, f := range rep.Findings {
			names := make([]string, len(f.NICs))
			for i, n := range f.NICs {
				names[i] = n.Name
			}
			t.add(f.Severity.String(), string(f.Check), f.Scope.Name, strconv.Itoa(f.NICCount), strings.Join(names, ","), f.Message)
		}
		t.header = []string{"Severity", "Check", "Scope", "NIC Count", "NICs", "Finding"}
		return t
	}
	if err := e.print(rep, rows, func(io.Writer) error { return auditTable(e, rep) }); err != nil {
		return err
	}
	if rep.FailsAt(failOn) {
		return &exitError{code: 1, err: fmt.Errorf("findings at or above %s", failOn)}
	}
	return nil
}

// auditTable prints one row per finding: severity, check, scope, the number
// of NICs with a few names, and the message; then the probes and a count.
func auditTable(e *env, rep *simulate.AuditReport) error {
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	if !e.noHeaders {
		fmt.Fprintln(tw, "Severity\tCheck\tScope\tNICs\tFinding")
	}
	count := map[simulate.Severity]int{}
	for _, f := range rep.Findings {
		count[f.Severity]++
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", f.Severity, f.Check, f.Scope.Name, nicColumn(f), f.Message)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	p := rep.Probes
	fmt.Fprintf(e.stdout, "probed %s: outbound %s; inbound %s\n", p.Internet, probeList(p.Outbound), probeList(p.Inbound))
	if _, err := fmt.Fprintf(e.stdout, "%d findings: %d high, %d medium, %d low\n", len(rep.Findings),
		count[simulate.SeverityHigh], count[simulate.SeverityMedium], count[simulate.SeverityLow]); err != nil {
		return err
	}
	s := rep.Summary
	_, err := fmt.Fprintf(e.stdout, "AI services accounts restricted: %d of %d; web apps whose internet traffic enters their VNet: %d of %d; perimeter associations enforced: %d of %d\n",
		s.AIAccountsRestricted, s.AIAccounts, s.WebAppsRouted, s.WebApps, s.PerimeterAssociationsEnforced, s.PerimeterAssociations)
	return err
}

// nicColumn renders "3: vm-a, vm-b, vm-c" or "1200: nic-0, nic-1, nic-2, …",
// or "-" for a finding that concerns no NIC.
func nicColumn(f simulate.Finding) string {
	if f.NICCount == 0 {
		return "-"
	}
	var names []string
	for _, n := range f.NICs[:min(tableNICs, len(f.NICs))] {
		names = append(names, n.Name)
	}
	s := strconv.Itoa(f.NICCount) + ": " + strings.Join(names, ", ")
	if f.NICCount > tableNICs {
		s += ", …"
	}
	return s
}

func probeList(ps []simulate.Probe) string {
	var s []string
	for _, p := range ps {
		s = append(s, fmt.Sprintf("%v/%d", p.Protocol, p.Port))
	}
	return strings.Join(s, " ")
}
