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
// shared flags, and the loaded model.
type env struct {
	stdout, stderr io.Writer

	topologies  multiFlag
	overlays    multiFlag
	learned     multiFlag
	serviceTags string
	output      string
	strict      bool
	template    templateFlags

	tags   *servicetag.Set
	model  *topology.Model
	engine *simulate.Engine
	opts   simulate.Options

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

// load reads the service tags and the topology (validated).
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
	e.model, err = e.loadModel(e.overlays)
	return err
}

// loadModel loads the topology with the given overlays applied and checks
// it (see [topology.Model.Check]). Errors of the model are refused: exit 2,
// a *topology.Problems for validate to report. What does not stop the
// command is kept in e.warnings and, but for validate, printed to stderr:
// references outside the input and the loaders' warnings, and, but for
// validate, resources Azure would reject. --strict refuses them all.
func (e *env) loadModel(overlays []string) (*topology.Model, error) {
	var m *topology.Model
	var err error
	if len(e.topologies) == 0 {
		m, err = topology.ParseNative(designs.HubSpokeFile, designs.HubSpoke)
	} else {
		opts, oerr := e.template.options()
		if oerr != nil {
			return nil, oerr
		}
		m, err = topology.ParseFiles(topology.LoadOptions{Tags: e.tags, Template: opts}, e.topologies...)
	}
	if err != nil {
		return nil, &exitError{2, fmt.Errorf("loading the topology:\n%w", err)}
	}
	if len(overlays) == 0 && len(e.learned) == 0 {
		return m, e.check(m, "loading the topology")
	}
	// Overlays and learned routes name resources of the model: they apply
	// to one whose structure is sound.
	if v := m.Check(e.tags); len(v.Errors) > 0 {
		return nil, &exitError{2, fmt.Errorf("loading the topology:\n%w", &topology.Problems{List: v.Errors, Total: len(v.Errors) + v.Extra})}
	}
	for _, l := range e.learned {
		gw, file, ok := strings.Cut(l, "=")
		if !ok {
			return nil, usageErr("--learned-routes %q: want GATEWAY=FILE", l)
		}
		data, err := topology.ReadFile(file)
		if err != nil {
			return nil, &exitError{2, err}
		}
		if err := m.AddLearnedRoutes(gw, file, data); err != nil {
			return nil, &exitError{2, err}
		}
	}
	for _, o := range overlays {
		if err := m.ApplyOverlayFile(o); err != nil {
			return nil, &exitError{2, fmt.Errorf("applying overlay %s:\n%w", o, err)}
		}
	}
	return m, e.check(m, "the topology after the overlays")
}

// check sorts what m.Check finds into what refuses the model and what is
// a warning (see loadModel).
func (e *env) check(m *topology.Model, what string) error {
	v := m.Check(e.tags)
	fatal, fatalExtra := v.Errors, v.Extra
	var warn []error
	warnExtra := v.ExternalExtra
	switch {
	case e.strict:
		fatal = slices.Concat(v.Errors, v.Rejected, v.External, v.Warnings)
		fatalExtra, warnExtra = v.Extra+v.ExternalExtra, 0
	case e.validating:
		fatal = slices.Concat(v.Errors, v.Rejected)
		warn = slices.Concat(v.External, v.Warnings)
	default:
		// Past the cap, errors and rejected resources are counted together;
		// with no errors listed, the count is of rejected ones.
		warn = slices.Concat(v.Rejected, v.External, v.Warnings)
		if len(v.Errors) == 0 {
			fatalExtra, warnExtra = 0, warnExtra+v.Extra
		}
	}
	if len(fatal) > 0 {
		return &exitError{2, fmt.Errorf("%s:\n%w", what, &topology.Problems{List: fatal, Total: len(fatal) + fatalExtra})}
	}
	e.warnings, e.warningsExtra = warn, warnExtra
	if !e.validating {
		e.printWarnings()
	}
	return nil
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
	e.opts.Tags = e.tags
	eng, err := simulate.Compile(e.model, e.opts)
	if err != nil {
		return &exitError{2, err}
	}
	e.engine = eng
	return nil
}

// nic resolves a NIC name or ID to an engine handle.
func (e *env) nic(name string) (simulate.NIC, error) {
	h, err := e.engine.NIC(name)
	if err != nil {
		return 0, &exitError{2, err}
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
		return 0, err
	}
	if *nicName == "" {
		return 0, usageErr("--nic is required")
	}
	if err := e.compile(); err != nil {
		return 0, err
	}
	return e.nic(*nicName)
}
