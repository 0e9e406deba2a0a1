// Command egress simulates, offline, how traffic leaves an Azure network.
//
// Usage:
//
//	egress <command> [flags]
//
// Commands:
//
//	trace       trace a flow hop by hop: verdict, deciding rule, egress IP
//	routes      effective routes of a NIC (az network nic show-effective-route-table)
//	rules       effective security rules of a NIC (az network nic list-effective-nsg)
//	next-hop    next hop from a NIC (az network watcher show-next-hop)
//	verify      NSG verdict for a flow (az network watcher test-ip-flow)
//	whatif      what an overlay changes: flows whose verdict, path or egress IP change
//	audit       egress audits; --fail-on makes findings fail the command
//	validate    load and validate the topology, print every problem
//	list        list NICs, subnets, VNets, firewalls, route tables or NSGs
//	schema      the JSON Schema of a command's -o json output
//	version     the module version, commit and embedded service-tags changeNumber
//	completion  shell completion for bash, zsh, fish and powershell
//
// Run egress <command> --help for a command's synopsis, examples and flags;
// help goes to stdout.
//
// Inputs: --topology FILE|DIR|- (repeatable; a directory reads every .json,
// .yaml and .yml in it, sorted; - reads stdin), else the EGRESS_TOPOLOGY
// path list, else the embedded hub-and-spoke design. --service-tags FILE,
// else EGRESS_SERVICE_TAGS, else the embedded copy.
//
// Outputs: -o table|json|yaml|tsv; --no-headers for tables. JSON and YAML
// have the same field names, and every JSON document carries schemaVersion.
// Colour only on a terminal, never with NO_COLOR.
//
// Exit status: 0 on success, 1 when validate finds problems in a network it
// could load (or audit finds what --fail-on names), 2 on a usage error or an
// input that cannot be read or parsed, JSON or YAML alike.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// exitError carries an exit status through the command functions. usage
// marks a usage error: the message is followed by a pointer to --help.
type exitError struct {
	code  int
	err   error
	usage bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageErr is a usage error: exit 2, and a pointer to the command's help.
func usageErr(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...), usage: true}
}

// errPrinted is an error already reported on stderr.
var errPrinted = errors.New("already printed")

// run runs the CLI with args and returns its exit status. Help and data go
// to stdout; errors, warnings and progress to stderr, each error once.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr, os.Getenv)
	if slices.Contains(args, "--version") {
		root.Version = buildVersion().String() // read only when asked for
	}
	root.SetArgs(goFlagStyle(root, args))
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	var ee *exitError
	if !errors.As(err, &ee) {
		// cobra's own errors: unknown commands and flags, bad arguments.
		ee = &exitError{code: 2, err: err, usage: true}
	}
	if errors.Is(ee.err, errPrinted) {
		return ee.code
	}
	name := cmd.CommandPath()
	fmt.Fprintf(stderr, "%s: %v\n", name, ee.err)
	if ee.usage {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", name)
	}
	return ee.code
}

// newRoot builds the command tree, fresh for each run.
func newRoot(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *cobra.Command {
	root := &cobra.Command{
		Use:   "egress",
		Short: "Simulate, offline, how traffic leaves an Azure network",
		Long: `egress simulates, offline, how traffic leaves an Azure network: for a source NIC and a
destination it answers, hop by hop, which route Azure chooses, which rule allows or
denies the flow, and which public IP it leaves from, or why it never leaves.

Every command runs on the embedded hub-and-spoke design unless --topology (or
EGRESS_TOPOLOGY) names files.`,
		Example: `  egress trace --from vm-batch-01-nic --to 52.1.2.3:443
  egress list nics
  egress routes --nic vm-app-01-nic -o yaml
  egress audit --fail-on high
  egress validate --topology ./network/`,
		Version:           versionString(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		Args:              noArgsRoot,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			// egress alone: a usage error, its usage on stderr.
			fmt.Fprintln(stderr, "egress: no command given")
			fmt.Fprintln(stderr)
			cmd.SetOut(stderr)
			_ = cmd.Usage()
			return &exitError{code: 2, err: errPrinted}
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	// --version without cobra's -v, which stays free for verbosity.
	root.Flags().Bool("version", false, "print the version (as egress version)")
	root.SetHelpCommand(helpCommand(root))
	root.SetVersionTemplate("{{.Version}}")
	root.SetUsageFunc(usageFunc)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: 2, err: err, usage: true}
	})
	root.SuggestionsMinimumDistance = 2
	root.CompletionOptions.SetDefaultShellCompDirective(cobra.ShellCompDirectiveNoFileComp)
	for _, newCmd := range []func(*env) *cobra.Command{
		cmdTrace, cmdReach, cmdRoutes, cmdRules, cmdNextHop, cmdVerify, cmdWhatIf, cmdDiff, cmdAudit, cmdValidate,
		cmdCheck, cmdCapacity, cmdFlows, cmdGraph, cmdList, cmdSchema, cmdVersion,
	} {
		root.AddCommand(newCmd(&env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}))
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().SortFlags = false // the help lists flags in the order they matter
		c.SuggestionsMinimumDistance = 2
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	completionCommand(root)
	return root
}

// noArgsRoot refuses arguments to egress itself: an unknown command, with
// suggestions.
func noArgsRoot(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
	}
	return &exitError{code: 2, err: errors.New(msg), usage: true}
}

// shells are the shells egress completion writes scripts for.
var shells = []string{"bash", "zsh", "fish", "powershell"}

// completionCommand adds cobra's completion command, and makes a missing or
// unknown shell a usage error rather than its help.
func completionCommand(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	c, _, err := root.Find([]string{"completion"})
	if err != nil || c == root {
		return
	}
	c.Example = "  source <(egress completion bash)\n  egress completion zsh > \"${fpath[1]}/_egress\"\n  egress completion fish > ~/.config/fish/completions/egress.fish"
	c.Args = cobra.ArbitraryArgs
	c.RunE = func(_ *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usageErr("which shell: %s", orList(shells))
		}
		return &exitError{code: 2, err: didYouMean(fmt.Errorf("unknown shell %q: want %s", args[0], orList(shells)), args[0], shells), usage: true}
	}
}

// helpCommand is egress help [command]: cobra's, but an unknown topic is a
// usage error with suggestions.
func helpCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Help prints the synopsis, examples and flags of any command, on stdout.",
		ValidArgsFunction: func(_ *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			c, _, err := root.Find(args)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []cobra.Completion
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					out = append(out, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(_ *cobra.Command, args []string) error {
			c, rest, err := root.Find(args)
			if err != nil || len(rest) > 0 {
				parent := root
				if c != nil {
					parent = c
				}
				topic := strings.Join(args, " ")
				if len(rest) > 0 {
					topic = rest[0]
				}
				msg := fmt.Sprintf("unknown help topic %q", strings.Join(args, " "))
				if s := parent.SuggestionsFor(topic); len(s) > 0 {
					msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
				}
				return &exitError{code: 2, err: errors.New(msg), usage: true}
			}
			return c.Help()
		},
	}
}

// goFlagStyle rewrites the single-dash long flags that Go's flag package
// accepted, and egress before cobra (-nic x, -topology=f), as --nic x: an
// argument -NAME or -NAME=VALUE where NAME is a long flag of some command
// and longer than one letter. Arguments after -- are left alone.
func goFlagStyle(root *cobra.Command, args []string) []string {
	long := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) { long[f.Name] = true })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	out := slices.Clone(args)
	for i, a := range out {
		if a == "--" {
			break
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && long[name] {
			out[i] = "-" + a
		}
	}
	return out
}
