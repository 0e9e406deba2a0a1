package topology

import (
	"slices"
)

// Input is an input given in memory, read as a file of that name would be
// (see [LoadOptions.Inputs]).
type Input struct {
	Name string // reported in positions, as a file name
	Data []byte
}

// LearnedRoutes names a gateway (by name or resource ID) and the file
// holding its `az network vnet-gateway list-learned-routes -o json` output
// (see [Model.AddLearnedRoutes]).
type LearnedRoutes struct {
	Gateway string
	File    string
}

// LoadError is the error of [Load]: the step that failed, and why.
type LoadError struct {
	// Step names what failed, as the CLI prints it: "loading the topology"
	// (reading, parsing or validating the inputs), "applying overlay FILE",
	// or "the topology after the overlays" (validating the result of the
	// learned routes and overlays). It is empty for a learned-routes file
	// that cannot be read or used, whose errors name it.
	Step string
	// Err is what went wrong: the inputs' errors joined, or a [*Problems]
	// when the network was read and built but has problems (errors.As
	// tells one from the other).
	Err error
}

// Error returns the step, a colon and a newline, and the errors, one a
// line; the errors alone when Step is empty.
func (e *LoadError) Error() string {
	if e.Step == "" {
		return e.Err.Error()
	}
	return e.Step + ":\n" + e.Err.Error()
}

// Unwrap returns Err.
func (e *LoadError) Unwrap() error { return e.Err }

// Load is the whole pipeline from inputs to a validated, compiled
// [Network]: it reads and parses opts.Files and opts.Inputs as one
// resource set ([ParseFiles]), adds opts.LearnedRoutes to their gateways,
// applies opts.Overlays in order, validates the result ([Model.Check]) and
// builds the network ([Model.Network]).
//
// What validation finds decides, by consequence: Errors refuse the
// network; the resources Azure would reject, the references outside the
// input and the loaders' warnings are kept on it ([Network.Validation]),
// unless opts.RefuseRejected (the rejected resources) or opts.Strict (all of
// them) refuse them too. Learned routes and overlays name resources of the
// model, so they apply only to a model without Errors: Load validates it
// before them too.
//
// Every problem is reported at once. On error Load returns a nil Network
// and a [*LoadError] naming the step; its Err is a [*Problems] when the
// inputs were read and the network they make has problems, so that
// errors.As tells "the input is broken" from "the network has problems".
func Load(opts LoadOptions) (*Network, error) {
	const loading = "loading the topology"
	m, err := parseInputs(opts, opts.Files, opts.Inputs)
	if err != nil {
		return nil, &LoadError{Step: loading, Err: err}
	}
	step := loading
	if len(opts.LearnedRoutes) > 0 || len(opts.Overlays) > 0 {
		step = "the topology after the overlays"
		if v := m.Check(opts.Tags); len(v.Errors) > 0 {
			return nil, &LoadError{Step: loading, Err: &Problems{List: v.Errors, Total: len(v.Errors) + v.ErrorsExtra}}
		}
	}
	for _, l := range opts.LearnedRoutes {
		data, err := ReadFile(l.File)
		if err == nil {
			err = m.AddLearnedRoutes(l.Gateway, l.File, data)
		}
		if err != nil {
			return nil, &LoadError{Err: err}
		}
	}
	for _, o := range opts.Overlays {
		if err := m.ApplyOverlayFile(o); err != nil {
			return nil, &LoadError{Step: "applying overlay " + o, Err: err}
		}
	}
	// m is Load's own (parsed here, seen by no caller): the network takes
	// it without the copy Model.Network makes.
	v, keep := m.checkKeep(opts.Tags)
	var fatal []error
	extra := v.ErrorsExtra
	switch {
	case opts.Strict:
		fatal = slices.Concat(v.Errors, v.Rejected, v.External, v.Warnings)
		extra += v.RejectedExtra + v.ExternalExtra
	case opts.RefuseRejected:
		fatal = slices.Concat(v.Errors, v.Rejected)
		extra += v.RejectedExtra
	default:
		fatal = v.Errors
	}
	if len(fatal) > 0 {
		return nil, &LoadError{Step: step, Err: &Problems{List: fatal, Total: len(fatal) + extra}}
	}
	return newNetwork(m, opts.Tags, v, keep), nil
}
