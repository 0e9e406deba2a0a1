// Package cicheck runs a check file against the embedded design as a CI
// job does, and writes the JUnit XML a CI system shows as tests: one check
// fails on purpose (the legacy subnet still leaves by default outbound
// access), with its trace in the report.
package cicheck_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/egresslab/egress/check"
	"github.com/egresslab/egress/examples/designs"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

func Example() {
	data, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		panic(err)
	}
	f, err := check.Parse("testdata/policy.yaml", data)
	if err != nil {
		panic(err)
	}
	tags, err := servicetag.Default()
	if err != nil {
		panic(err)
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: designs.HubSpokeFile, Data: designs.HubSpoke}}, Tags: tags})
	if err != nil {
		panic(err)
	}
	rep, err := check.Run(simulate.Compile(n, simulate.Options{}), f, check.Env{})
	if err != nil {
		panic(err)
	}
	for _, r := range rep.Results {
		fmt.Println(r.Passed, r.Name)
	}
	var junit strings.Builder
	if err := rep.WriteJUnit(&junit); err != nil {
		panic(err)
	}
	fmt.Println(strings.Count(junit.String(), "<testcase "), "test cases,", strings.Count(junit.String(), "<failure "), "failure")
	// Output:
	// true the batch subnet leaves through its NAT gateway's IP
	// true the app tier is forced through the hub firewall
	// true the OpenAI account cannot call an unknown host
	// true the data subnet has no direct internet path
	// false the legacy subnet has no direct internet path
	// 5 test cases, 1 failure
}
