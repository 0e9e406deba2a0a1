package main

import (
	"errors"
	"fmt"

	"github.com/egresslab/egress/topology"
)

// validateResult is the JSON output of `egress validate`.
type validateResult struct {
	Valid       bool     `json:"valid"`
	Problems    []string `json:"problems"`
	Counts      counts   `json:"counts"`
	ServiceTags string   `json:"serviceTags"`
}

type counts struct {
	VNets       int `json:"vnets"`
	Subnets     int `json:"subnets"`
	NICs        int `json:"nics"`
	RouteTables int `json:"routeTables"`
	NSGs        int `json:"nsgs"`
}

// cmdValidate loads and validates the topology: exit 0 when clean, 1 when the
// topology has problems (all printed), 2 on a usage or unreadable-input error.
func cmdValidate(e *env, args []string) error {
	fs := e.flags("validate")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	err := e.load()
	res := validateResult{Valid: err == nil, Problems: []string{}}
	if e.tags != nil {
		res.ServiceTags = fmt.Sprintf("%s changeNumber %d", e.tags.Cloud(), e.tags.ChangeNumber())
	}
	if err != nil {
		var ee *exitError
		var te *topology.Error
		if !errors.As(err, &ee) || !errors.As(ee.err, &te) {
			return err // not a topology problem: unreadable file, bad flags
		}
		for _, p := range unjoin(errors.Unwrap(ee.err)) {
			res.Problems = append(res.Problems, p.Error())
		}
	} else {
		m := e.model
		res.Counts = counts{VNets: len(m.VNets), NICs: len(m.NICs), RouteTables: len(m.RouteTables), NSGs: len(m.NSGs)}
		for _, v := range m.VNets {
			res.Counts.Subnets += len(v.Subnets)
		}
	}
	if e.output == "json" {
		if err := e.json(res); err != nil {
			return err
		}
	} else if res.Valid {
		c := res.Counts
		fmt.Fprintf(e.stdout, "valid: %d VNets, %d subnets, %d NICs, %d route tables, %d NSGs (service tags: %s)\n", c.VNets, c.Subnets, c.NICs, c.RouteTables, c.NSGs, res.ServiceTags)
	} else {
		for _, p := range res.Problems {
			fmt.Fprintln(e.stdout, p)
		}
		fmt.Fprintf(e.stdout, "%d problems\n", len(res.Problems))
	}
	if !res.Valid {
		return &exitError{1, fmt.Errorf("%d problems", len(res.Problems))}
	}
	return nil
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	}
	return []error{err}
}
