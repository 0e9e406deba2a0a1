package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/egresslab/egress/topology/arm"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// env holds what every command shares: the output streams, the parsed
// shared flags, and the loaded network.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// resolved: the topology inputs, resolved once (stdin is read once).
	resolved    bool
	files       []string
	stdinInputs []topology.Input

	topologies  []string
	overlays    []string
	learned     []string
	serviceTags string
	output      string
	noHeaders   bool
	exact       bool     // whatif and diff: --exact (egress maps, the default)
	sample      bool     // whatif and diff: --sample (the probe flows)
	flowLogs    []string // whatif and diff: --flows (the flows of flow logs)
	strict      bool
	template    templateFlags

	// formats are the -o values the command accepts.
	formats []string

	tags    *servicetag.Set
	network *topology.Network
	engine  *simulate.Engine
	opts    simulate.Options

	// validating: the command is validate, which reports what load finds
	// itself rather than having load print warnings.
	validating bool
	// quiet: print no warnings (shell completion).
	quiet bool
	// colour: colour the table format (a terminal, no NO_COLOR).
	colour bool
	// warnings are what load found that does not stop the command: the
	// references outside the input and the loaders' warnings, and, for
	// the commands other than validate, the resources Azure would reject
	// (their flows answer Unknown). Empty with --strict.
	warnings      []error
	warningsExtra int
}

// Environment variables that stand for flags the command line leaves out.
const (
	envTopology    = "EGRESS_TOPOLOGY"     // a path list (os.PathListSeparator), as --topology
	envServiceTags = "EGRESS_SERVICE_TAGS" // as --service-tags
)

// formatsData are the -o formats of a command that prints data.
var formatsData = []string{"table", "json", "yaml", "tsv"}

// inputFlags registers the flags that say what to load, in the input group.
func (e *env) inputFlags(cmd *cobra.Command) {
	fs := cmd.Flags()
	inGroup(fs, groupInput, func() {
		fs.Var(&listFlag{&e.topologies, "file"}, "topology", "a design (native YAML) or an Azure export (ARM JSON), a directory of them (every .json, .yaml, .yml, sorted) or - for stdin; repeatable (default: $"+envTopology+", else the embedded hub-and-spoke design)")
		fs.Var(&listFlag{&e.overlays, "file"}, "overlay", "an overlay (egress: overlay/v1) to apply on top of the topology; repeatable, applied in order; a directory applies its .yaml, .yml and .json files in name order")
		fs.Var(&listFlag{&e.learned, "GATEWAY=FILE"}, "learned-routes", "a gateway's learned routes: the gateway's name and a file with the output of az network vnet-gateway list-learned-routes -o json; repeatable")
		fs.StringVar(&e.serviceTags, "service-tags", "", "Microsoft's ServiceTags_*.json `file` (default: $"+envServiceTags+", else the embedded copy)")
		fs.BoolVar(&e.strict, "strict", false, "refuse what is otherwise a warning: references to resources outside the input, resources Azure would reject, values the loaders assumed")
	})
	_ = cmd.MarkFlagFilename("topology", "json", "yaml", "yml")
	_ = cmd.MarkFlagFilename("overlay", "yaml", "yml", "json")
	_ = cmd.MarkFlagFilename("service-tags", "json")
	inGroup(fs, groupTemplate, func() { e.template.register(fs) })
	_ = cmd.MarkFlagFilename("parameters", "json")
	_ = cmd.RegisterFlagCompletionFunc("parameter", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("subscription", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("resource-group", cobra.NoFileCompletions)
	_ = cmd.RegisterFlagCompletionFunc("location", cobra.NoFileCompletions)
}

// outputFlags registers -o (with the formats the command accepts, the
// first the default) and --no-headers, in the output group.
func (e *env) outputFlags(cmd *cobra.Command, formats ...string) {
	if len(formats) == 0 {
		formats = formatsData
	}
	e.formats = formats
	fs := cmd.Flags()
	inGroup(fs, groupOutput, func() {
		fs.StringVarP(&e.output, "output", "o", formats[0], "output `format`: "+strings.Join(formats, ", "))
		if slices.Contains(formats, "table") {
			fs.BoolVar(&e.noHeaders, "no-headers", false, "print tables without their header lines")
		}
	})
	_ = cmd.RegisterFlagCompletionFunc("output", fixedCompletions(formats))
}

// dataFlags registers the input and output flags of a command that loads a
// network and prints data.
func (e *env) dataFlags(cmd *cobra.Command) {
	e.inputFlags(cmd)
	e.outputFlags(cmd)
}

// listFlag is a repeatable string flag, shown in help with a type name of
// its own ("file").
type listFlag struct {
	p   *[]string
	typ string
}

func (f *listFlag) String() string     { return strings.Join(*f.p, ",") }
func (f *listFlag) Set(s string) error { *f.p = append(*f.p, s); return nil }
func (f *listFlag) Type() string       { return f.typ }

// templateFlags are the shared flags that evaluate ARM templates: their
// parameters and the deployment they are evaluated for.
type templateFlags struct {
	paramFiles    []string
	params        []string
	subscription  string
	resourceGroup string
	location      string
}

func (t *templateFlags) register(fs *pflag.FlagSet) {
	fs.Var(&listFlag{&t.paramFiles, "file"}, "parameters", "an ARM parameters file (deploymentParameters.json) for the templates that declare its parameters; repeatable, later files win")
	fs.Var(&listFlag{&t.params, "name=value"}, "parameter", "a template parameter, read as the parameter's type (JSON for arrays and objects); repeatable, wins over files")
	fs.StringVar(&t.subscription, "subscription", "", "`ID` of the subscription templates are deployed to (default: from the template's literal IDs, else "+arm.TemplateSubscription+")")
	fs.StringVar(&t.resourceGroup, "resource-group", "", "`name` of the resource group templates are deployed to (default: from the template's literal IDs, else "+arm.TemplateResourceGroup+")")
	fs.StringVar(&t.location, "location", "", "`region` of that resource group, for resourceGroup().location (default: unknown; values depending on it are unresolved)")
}

// options returns the template options of the flags.
func (t *templateFlags) options() (arm.Options, error) {
	opts := arm.Options{SubscriptionID: t.subscription, ResourceGroup: t.resourceGroup, Location: t.location}
	if len(t.paramFiles) == 0 && len(t.params) == 0 {
		return opts, nil
	}
	files, err := arm.ReadParameterFiles(t.paramFiles...)
	if err != nil {
		return opts, &exitError{code: 2, err: fmt.Errorf("reading the parameters:\n%w", err)}
	}
	ps, err := arm.NewParameters(files, t.params...)
	if err != nil {
		return opts, usageErr("--parameter: %v", err)
	}
	opts.Parameters = ps
	return opts, nil
}

// check checks the shared flags once cobra has parsed them.
func (e *env) check() error {
	if e.formats != nil && !slices.Contains(e.formats, e.output) {
		return usageErr("-o %q: want %s", e.output, orList(e.formats))
	}
	return nil
}

// orList renders "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// load reads the service tags and loads the network.
func (e *env) load() error {
	var err error
	if e.serviceTags == "" {
		e.serviceTags = e.getenv(envServiceTags)
	}
	if e.serviceTags != "" {
		e.tags, err = servicetag.ParseFile(e.serviceTags)
	} else {
		e.tags, err = servicetag.Default()
	}
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	e.network, err = e.loadNetwork(e.overlays)
	return err
}

// stdinName is the name of standard input in positions and messages.
const stdinName = "<stdin>"

// inputs resolves the topology inputs, once: the --topology arguments, or
// else the EGRESS_TOPOLOGY path list; a directory stands for every .json,
// .yaml and .yml file in it (sorted, not recursive), and - for standard
// input, read whole (up to topology.MaxFileSize) and given to the loader
// after the files. No input at all means the embedded design.
func (e *env) inputs() ([]string, []topology.Input, error) {
	if e.resolved {
		return e.files, e.stdinInputs, nil
	}
	paths, from := e.topologies, "--topology"
	if len(paths) == 0 {
		for _, p := range filepath.SplitList(e.getenv(envTopology)) {
			if p != "" {
				paths = append(paths, p)
			}
		}
		from = "$" + envTopology
	}
	var files []string
	var inputs []topology.Input
	for _, p := range paths {
		if p == "-" {
			if len(inputs) > 0 {
				return nil, nil, usageErr("%s: - (stdin) given more than once", from)
			}
			data, err := io.ReadAll(io.LimitReader(e.stdin, topology.MaxFileSize+1))
			if err != nil {
				return nil, nil, &exitError{code: 2, err: fmt.Errorf("%s: %w", stdinName, err)}
			}
			if len(data) > topology.MaxFileSize {
				return nil, nil, &exitError{code: 2, err: fmt.Errorf("%s: %w: more than %d MiB", stdinName, topology.ErrTooLarge, topology.MaxFileSize>>20)}
			}
			inputs = append(inputs, topology.Input{Name: stdinName, Data: data})
			continue
		}
		more, err := expandDir(from, p)
		if err != nil {
			return nil, nil, err
		}
		files = append(files, more...)
	}
	e.resolved, e.files, e.stdinInputs = true, files, inputs
	return files, inputs, nil
}

// expandDir returns path p, or, for a directory, every .json, .yaml and
// .yml file in it, sorted by name (not recursive); a directory without one
// is an input error naming the flag (from).
func expandDir(from, p string) ([]string, error) {
	fi, err := os.Stat(p)
	if err != nil || !fi.IsDir() {
		return []string{p}, nil // the loader says what is wrong with it
	}
	entries, err := os.ReadDir(p)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	var files []string
	for _, de := range entries { // sorted by name
		switch strings.ToLower(filepath.Ext(de.Name())) {
		case ".json", ".yaml", ".yml":
			if !de.IsDir() {
				files = append(files, filepath.Join(p, de.Name()))
			}
		}
	}
	if len(files) == 0 {
		return nil, &exitError{code: 2, err: fmt.Errorf("%s %s: a directory with no .json, .yaml or .yml file", from, p)}
	}
	return files, nil
}

// loadNetwork loads the network of the topology with the given overlays
// applied ([topology.Load]). Errors are refused: exit 2, with a
// *topology.Problems for validate to report. What does not stop the command
// is kept in e.warnings and, but for validate, printed to stderr: references
// outside the input and the loaders' warnings, and, but for validate,
// resources Azure would reject. --strict refuses them all.
func (e *env) loadNetwork(overlays []string) (*topology.Network, error) {
	var expanded []string
	for _, o := range overlays {
		more, err := expandDir("--overlay", o) // a directory: its overlays in name order
		if err != nil {
			return nil, err
		}
		expanded = append(expanded, more...)
	}
	lo := topology.LoadOptions{Tags: e.tags, Overlays: expanded, Strict: e.strict, RefuseRejected: e.validating}
	files, inputs, err := e.inputs()
	if err != nil {
		return nil, err
	}
	if len(files)+len(inputs) == 0 {
		lo.Inputs = []topology.Input{{Name: designs.HubSpokeFile, Data: designs.HubSpoke}}
	} else {
		opts, err := e.template.options()
		if err != nil {
			return nil, err
		}
		lo.Files, lo.Inputs, lo.Template = files, inputs, opts
	}
	for _, l := range e.learned {
		gw, file, ok := strings.Cut(l, "=")
		if !ok {
			return nil, usageErr("--learned-routes %q: want GATEWAY=FILE", l)
		}
		lo.LearnedRoutes = append(lo.LearnedRoutes, topology.LearnedRoutes{Gateway: gw, File: file})
	}
	n, err := topology.Load(lo)
	if err != nil {
		return nil, &exitError{code: 2, err: err}
	}
	// What the network was accepted with (no errors: they refuse it).
	v := n.Validation()
	switch {
	case e.strict:
		e.warnings, e.warningsExtra = nil, 0
	case e.validating:
		e.warnings, e.warningsExtra = slices.Concat(v.External, v.Warnings), v.ExternalExtra
	default:
		e.warnings, e.warningsExtra = n.Warnings(), v.ExternalExtra+v.RejectedExtra
	}
	if !e.validating && !e.quiet {
		e.printWarnings()
	}
	return n, nil
}

// maxStderrWarnings is how many warnings a command other than validate
// prints before counting the rest (validate lists them all).
const maxStderrWarnings = 5

// printWarnings prints the first warnings to stderr, then how many more
// there are and where to see them.
func (e *env) printWarnings() {
	for i, w := range e.warnings {
		if i == maxStderrWarnings {
			break
		}
		fmt.Fprintf(e.stderr, "warning: %v\n", w)
	}
	if n := len(e.warnings) + e.warningsExtra - maxStderrWarnings; n > 0 {
		fmt.Fprintf(e.stderr, "warning: %d more warnings; egress validate lists them (--strict refuses them)\n", n)
	}
}

// compile loads the topology and compiles the simulation engine.
func (e *env) compile() error {
	if err := e.load(); err != nil {
		return err
	}
	e.engine = simulate.Compile(e.network, e.opts)
	return nil
}

// nic resolves a NIC name or ID to an engine handle; an unknown name
// says which names are close.
func (e *env) nic(name string) (simulate.NIC, error) {
	h, err := e.engine.NIC(name)
	if err != nil {
		var le *topology.LookupError
		if errors.As(err, &le) && errors.Is(err, topology.ErrUnknownNIC) && !le.ByID {
			err = didYouMean(err, name, le.Candidates)
		}
		return simulate.NIC{}, &exitError{code: 2, err: err}
	}
	return h, nil
}

// source resolves a flow source (a NIC, an AI services account, a web app
// or a container group); an unknown name is an input error with suggestions from every
// source's name.
func (e *env) source(name string) (simulate.Source, error) {
	s, err := e.engine.Source(name)
	if err != nil {
		if errors.Is(err, simulate.ErrUnknownSource) && !strings.HasPrefix(name, "/") {
			err = didYouMean(err, name, sourceNames(e))
		}
		return simulate.Source{}, &exitError{code: 2, err: err}
	}
	return s, nil
}

// nicFlag registers a required NIC flag, completed from the loaded design.
func (e *env) nicFlag(cmd *cobra.Command, p *string, name, usage string) {
	cmd.Flags().StringVar(p, name, "", usage)
	_ = cmd.RegisterFlagCompletionFunc(name, e.completeNICs)
}

// nicCommand builds a command that takes only --nic and the shared flags:
// it compiles the engine, resolves the NIC and calls do.
func (e *env) nicCommand(cmd *cobra.Command, do func(h simulate.NIC) error) *cobra.Command {
	var nicName string
	e.nicFlag(cmd, &nicName, "nic", "the `NIC`, by name or resource ID (required)")
	e.dataFlags(cmd)
	cmd.RunE = e.runE(func() error {
		if nicName == "" {
			return usageErr("--nic is required")
		}
		if err := e.compile(); err != nil {
			return err
		}
		h, err := e.nic(nicName)
		if err != nil {
			return err
		}
		return do(h)
	})
	return cmd
}

// runE wraps a command's body: the shared flags are checked first.
func (e *env) runE(body func() error) func(*cobra.Command, []string) error {
	return func(*cobra.Command, []string) error {
		if err := e.check(); err != nil {
			return err
		}
		e.colour = e.output == "table" && useColour(e.stdout, e.getenv)
		return body()
	}
}
