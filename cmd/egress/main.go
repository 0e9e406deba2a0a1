// Command egress simulates, offline, how traffic leaves an Azure network.
//
// Usage:
//
//	egress <command> [flags]
//
// Commands:
//
//	trace     trace a flow hop by hop: verdict, deciding rule, egress IP
//	routes    effective routes of a NIC (az network nic show-effective-route-table)
//	rules     effective security rules of a NIC (az network nic list-effective-nsg)
//	next-hop  next hop from a NIC (az network watcher show-next-hop)
//	verify    NSG verdict for a flow (az network watcher test-ip-flow)
//	whatif    what an overlay changes: flows whose verdict, path or egress IP change
//	audit     egress audits; --fail-on makes findings fail the command
//	validate  load and validate the topology, print every problem
//
// Shared flags:
//
//	--topology FILE      a design (native YAML) or an Azure export (ARM JSON);
//	                     repeatable; default: the embedded hub-and-spoke design
//	--overlay FILE       a what-if patch applied on top (egress: overlay/v1); repeatable
//	--service-tags FILE  Microsoft's ServiceTags_*.json; default: the embedded copy
//	-o table|json        output format (default table)
//
// ARM template flags (for templates among the topology files):
//
//	--parameters FILE          an ARM parameters file; repeatable
//	--parameter name=value     a parameter value; repeatable
//	--subscription ID          the subscription deployed to
//	--resource-group NAME      the resource group deployed to
//	--location REGION          that resource group's region
//
// Simulator flags (trace, whatif, audit):
//
//	--nva forward|unknown                 what third-party NVAs do
//	--firewall evaluate|unknown|allow     how Azure Firewalls decide
//	--smtp unknown|allowed|blocked        TCP 25 to the internet, by subscription type
//	--private-by-default                  subnets without defaultOutboundAccess are private
//
// Exit status: 0 on success, 1 when validate finds problems in a network it
// could load (or audit finds what --fail-on names), 2 on a usage error or an
// input that cannot be read or parsed, JSON or YAML alike.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitError carries an exit status through the command functions.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func usageErr(format string, args ...any) error {
	return &exitError{2, fmt.Errorf(format, args...)}
}

type command struct {
	name, summary string
	run           func(env *env, args []string) error
}

var commands = []command{
	{"trace", "trace a flow hop by hop: verdict, deciding rule, egress IP", cmdTrace},
	{"routes", "effective routes of a NIC, as az network nic show-effective-route-table", cmdRoutes},
	{"rules", "effective security rules of a NIC, as az network nic list-effective-nsg", cmdRules},
	{"next-hop", "next hop from a NIC, as az network watcher show-next-hop", cmdNextHop},
	{"verify", "NSG verdict for a flow, as az network watcher test-ip-flow", cmdVerify},
	{"whatif", "what an overlay changes: flows whose verdict, path or egress IP change, and why", cmdWhatIf},
	{"audit", "egress audits: default outbound, direct internet, open NSG rules, ...", cmdAudit},
	{"validate", "load and validate the topology, print every problem", cmdValidate},
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		e := &env{stdout: stdout, stderr: stderr}
		err := c.run(e, args[1:])
		if err == nil {
			return 0
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "egress %s: %v\n", c.name, err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 2
	}
	fmt.Fprintf(stderr, "egress: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: egress <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "shared flags: --topology FILE (repeatable), --overlay FILE (repeatable), --service-tags FILE, --strict, -o table|json")
	fmt.Fprintln(w, "ARM templates: --parameters FILE, --parameter name=value (repeatable), --subscription ID, --resource-group NAME, --location REGION")
	fmt.Fprintln(w, "run 'egress <command> -h' for a command's flags")
}

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }
