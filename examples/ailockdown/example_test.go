// Package ailockdown locks down an Azure OpenAI account in three steps and
// shows, for the calls it makes, what each step changes: the open account
// (restrictOutboundNetworkAccess off), the allow-list
// (https://learn.microsoft.com/azure/ai-services/cognitive-services-data-loss-prevention),
// then a network security perimeter in Learning mode (what enforcing would
// deny) and Enforced
// (https://learn.microsoft.com/azure/private-link/network-security-perimeter-transition).
package ailockdown_test

import (
	"fmt"
	"strings"

	"github.com/egresslab/egress/simulate"
	"github.com/egresslab/egress/topology"
)

const account = `
aiAccounts:
  - {name: oai, kind: OpenAI, restrictOutboundNetworkAccess: %v, allowedFqdns: [search-contoso.search.windows.net, stdata.blob.core.windows.net, api.partner.example]}
`

const perimeter = `
perimeters:
  - name: nsp-ai
    profiles:
      - name: ai
        accessRules:
          - {name: allow-search, direction: Outbound, fullyQualifiedDomainNames: [search-contoso.search.windows.net]}
    associations:
      - {resource: oai, profile: ai, accessMode: %s}
      - {name: stdata, resource: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Storage/storageAccounts/stdata, profile: ai, accessMode: Enforced}
`

func engine(restrict bool, mode string) *simulate.Engine {
	design := "egress: v1\nlocation: eastus\n" + fmt.Sprintf(account, restrict)
	if mode != "" {
		design += fmt.Sprintf(perimeter, mode)
	}
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{{Name: "design.yaml", Data: []byte(design)}}})
	if err != nil {
		panic(err)
	}
	return simulate.Compile(n, simulate.Options{})
}

func Example() {
	steps := []struct {
		name     string
		restrict bool
		mode     string
	}{{"open", false, ""}, {"allow-list", true, ""}, {"perimeter, Learning", true, "Learning"}, {"perimeter, Enforced", true, "Enforced"}}
	for _, st := range steps {
		e := engine(st.restrict, st.mode)
		src, err := e.Source("oai")
		if err != nil {
			panic(err)
		}
		var out []string
		for _, host := range []string{"search-contoso.search.windows.net", "stdata.blob.core.windows.net", "api.partner.example", "evil.example"} {
			r, err := e.TraceFrom(src, simulate.Flow{ToFQDN: host, Port: 443})
			if err != nil {
				panic(err)
			}
			v := r.Verdict.String()
			if r.WouldBeDenied {
				v += " (denied once enforced)"
			}
			out = append(out, host+": "+v)
		}
		fmt.Printf("%s:\n  %s\n", st.name, strings.Join(out, "\n  "))
	}
	// Output:
	// open:
	//   search-contoso.search.windows.net: Allowed
	//   stdata.blob.core.windows.net: Allowed
	//   api.partner.example: Allowed
	//   evil.example: Allowed
	// allow-list:
	//   search-contoso.search.windows.net: Allowed
	//   stdata.blob.core.windows.net: Allowed
	//   api.partner.example: Allowed
	//   evil.example: Denied
	// perimeter, Learning:
	//   search-contoso.search.windows.net: Allowed
	//   stdata.blob.core.windows.net: Allowed
	//   api.partner.example: Allowed (denied once enforced)
	//   evil.example: Denied
	// perimeter, Enforced:
	//   search-contoso.search.windows.net: Allowed
	//   stdata.blob.core.windows.net: Allowed
	//   api.partner.example: Denied
	//   evil.example: Denied
}
