package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
	"github.com/egresslab/egress/topology/arm"
)

// env holds what every command shares: the output streams, the parsed
// shared flags, and the loaded network.
type env struct {
	stdout, stderr io.Writer

	topologies  multiFlag
	overlays    multiFlag
	learned     multiFlag
	serviceTags string
	output      string
	strict      bool
	template    templateFlags

	tags    *servicetag.Set
	network *topology.Network
	engine  *simulate.Engine
	opts    simulate.Options

	// validating: the command is validate, which reports what load finds
	// itself rather than having load print warnings.
	validating bool
	// warnings are what load found that does not stop the command: the
	// references outside the input and the loaders' warnings, and, for
	// the commands other than validate, the resources Azure would reject
	// (their flows answer Unknown). Empty with --strict.
	warnings      []error
	warningsExtra int
}

// flags returns a FlagSet with the shared flags registered.
func (e *env) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("egress "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Var(&e.topologies, "topology", "design (native YAML) or Azure export (ARM JSON); repeatable (default: the embedded hub-and-spoke design)")
	fs.Var(&e.overlays, "overlay", "an overlay (egress: overlay/v1) to apply on top of the topology; repeatable, applied in order")
	fs.Var(&e.learned, "learned-routes", "GATEWAY=FILE: a gateway's `az network vnet-gateway list-learned-routes -o json` output; repeatable")
	fs.StringVar(&e.serviceTags, "service-tags", "", "Microsoft's ServiceTags_*.json (default: the embedded copy)")
	fs.StringVar(&e.output, "o", "table", "output format: table or json")
	fs.BoolVar(&e.strict, "strict", false, "refuse what is otherwise a warning: references to resources outside the input, resources Azure would reject, values the loaders assumed")
	e.template.register(fs)
	return fs
}

// templateFlags are the shared flags that evaluate ARM templates: their
// parameters and the deployment they are evaluated for.
type templateFlags struct {
	paramFiles    multiFlag
	params        multiFlag
	subscription  string
	resourceGroup string
	location      string
}

func (t *templateFlags) register(fs *flag.FlagSet) {
	fs.Var(&t.paramFiles, "parameters", "an ARM parameters `file` (deploymentParameters.json) for the templates that declare its parameters; repeatable, later files win")
	fs.Var(&t.params, "parameter", "a template parameter `name=value`, read as the parameter's type (JSON for arrays and objects); repeatable, wins over files")
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
		return opts, &exitError{2, fmt.Errorf("reading the parameters:\n%w", err)}
	}
	ps, err := arm.NewParameters(files, t.params...)
	if err != nil {
		return opts, usageErr("--parameter: %v", err)
	}
	opts.Parameters = ps
	return opts, nil
}

// parse parses args and checks the shared flags.
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &exitError{2, err}
	}
	if fs.NArg() > 0 {
		return usageErr("unexpected argument %q", fs.Arg(0))
	}
	if e.output != "table" && e.output != "json" {
		return usageErr("-o %q: want table or json", e.output)
	}
	return nil
}

// load reads the service tags and loads the network.
func (e *env) load() error {
	var err error
	if e.serviceTags != "" {
		e.tags, err = servicetag.ParseFile(e.serviceTags)
	} else {
		e.tags, err = servicetag.Default()
	}
	if err != nil {
		return &exitError{2, err}
	}
	e.network, err = e.loadNetwork(e.overlays)
	return err
}

// loadNetwork loads the network of the topology with the given overlays
// applied ([topology.Load]). Errors are refused: exit 2, with a
// *topology.Problems for validate to report. What does not stop the command
// is kept in e.warnings and, but for validate, printed to stderr: references
// outside the input and the loaders' warnings, and, but for validate,
// resources Azure would reject. --strict refuses them all.
func (e *env) loadNetwork(overlays []string) (*topology.Network, error) {
	lo := topology.LoadOptions{Tags: e.tags, Overlays: overlays, Strict: e.strict, RefuseRejected: e.validating}
	if len(e.topologies) == 0 {
		lo.Inputs = []topology.Input{{Name: designs.HubSpokeFile, Data: designs.HubSpoke}}
	} else {
		opts, err := e.template.options()
		if err != nil {
			return nil, err
		}
		lo.Files, lo.Template = e.topologies, opts
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
		return nil, &exitError{2, err}
	}
	// What the network was accepted with: past the cap, errors and rejected
	// resources are counted together (Extra), and with no error listed the
	// count is of rejected ones.
	v := n.Validation()
	switch {
	case e.strict:
		e.warnings, e.warningsExtra = nil, 0
	case e.validating:
		e.warnings, e.warningsExtra = slices.Concat(v.External, v.Warnings), v.ExternalExtra
	default:
		e.warnings, e.warningsExtra = n.Warnings(), v.ExternalExtra+v.Extra
	}
	if !e.validating {
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

// nic resolves a NIC name or ID to an engine handle.
func (e *env) nic(name string) (simulate.NIC, error) {
	h, err := e.engine.NIC(name)
	if err != nil {
		return simulate.NIC{}, &exitError{2, err}
	}
	return h, nil
}

func (e *env) json(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // "->" and "<" print as they are
	return enc.Encode(v)
}

// nicCommand parses the flags of a command that takes only --nic and the
// shared flags, compiles the engine and resolves the NIC.
func (e *env) nicCommand(name string, args []string) (simulate.NIC, error) {
	fs := e.flags(name)
	nicName := fs.String("nic", "", "the NIC, by name or resource ID (required)")
	if err := e.parse(fs, args); err != nil {
		return simulate.NIC{}, err
	}
	if *nicName == "" {
		return simulate.NIC{}, usageErr("--nic is required")
	}
	if err := e.compile(); err != nil {
		return simulate.NIC{}, err
	}
	return e.nic(*nicName)
}
