package topology_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/perimeter"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const paasRG = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-paas/providers/"

func warningWith(n *topology.Network, parts ...string) error {
	for _, w := range n.Warnings() {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(w.Error(), p)
		}
		if ok {
			return w
		}
	}
	return nil
}

// TestPerimeterShapes reads the documented shapes of a perimeter and its
// children (paas-semantics §4.3): REST GET bodies of the 2024-07-01 API in
// a list wrapper, the nsp az extension's flattened output (1.0.0), and a
// template with a nested profile and name-path children.
func TestPerimeterShapes(t *testing.T) {
	n := loadPaaS(t, "ai-rest.json", "ai-az.json", "template.json", "nsp-rest.json", "nsp-az.json", "nsp-template.json")
	perims, profiles, rules, assocs := n.Perimeters()
	assert.Len(t, perims, 2, "nsp-ai (REST) and nsp-apps (template); nsp-learn has no perimeter resource in the input")
	assert.Len(t, profiles, 3)
	require.Len(t, rules, 4)
	assert.Len(t, assocs, 4)

	b := n.PerimeterOf(topology.Ref(paasRG + "Microsoft.CognitiveServices/accounts/my-openai"))
	assert.Equal(t, 1, b.Associations)
	assert.Equal(t, "assoc-openai", b.Association.Name())
	assert.Equal(t, perimeter.Enforced, b.Mode)
	assert.True(t, b.ModeKnown)
	assert.Equal(t, topology.RefInput, b.ProfileState)
	require.Equal(t, 1, b.Rules.Len(), "only the outbound rule")
	assert.Equal(t, "allow-search", b.Rules.RuleName(0))
	assert.Equal(t, perimeter.Disabled, aiAccount(t, n, "my-openai").PublicAccess())

	// The flattened az output: profile and rule at the top level.
	s := n.PerimeterOf(topology.Ref(paasRG + "Microsoft.CognitiveServices/accounts/speech-locked"))
	assert.Equal(t, perimeter.Learning, s.Mode)
	require.Equal(t, 1, s.Rules.Len())
	assert.Equal(t, "api.contoso.com", s.Rules.Entry(0, 0))
	// SpeechServices is not an onboarded kind: a warning citing the table.
	w := warningWith(n, "assoc-speech", "privateLinkResource.id", "not in Learn's list of onboarded resource types")
	require.Error(t, w)
	assert.True(t, errors.Is(w, topology.ErrUndocumented))
	assert.Contains(t, w.Error(), "of kind SpeechServices")

	// The template: resourceId() in the template's scope binds foundry-tmpl.
	f := aiAccount(t, n, "foundry-tmpl")
	fb := n.PerimeterOf(f.ID())
	assert.Equal(t, perimeter.Audit, fb.Mode)
	assert.Equal(t, 1, fb.Rules.Len())
	wc := warningWith(n, "allow-kv", "fullyQualifiedDomainNames[1]", "A-24")
	require.Error(t, wc, "the wildcard entry: %v", n.Warnings())
	assert.Contains(t, wc.Error(), "nsp-template.json:")

	// Intra-perimeter: the associated storage account's endpoints.
	perim := b.Perimeter
	assert.True(t, n.InPerimeter("MyStorage.blob.core.windows.net.", perim))
	assert.True(t, n.InPerimeter("mystorage.dfs.core.windows.net", perim))
	assert.False(t, n.InPerimeter("mystorage.blob.core.windows.net", fb.Perimeter), "another perimeter")
	assert.False(t, n.InPerimeter("otherstorage.blob.core.windows.net", perim))
	assert.True(t, n.InPerimeter("my-openai.openai.azure.com", perim), "the account's custom subdomain")

	assert.Zero(t, n.PerimeterOf(topology.Ref(paasRG+"Microsoft.CognitiveServices/accounts/vision-open")).Associations)
}

func TestNativePerimeter(t *testing.T) {
	n, err := nativeLoad(`egress: v1
location: eastus
aiAccounts:
  - name: oai
    publicNetworkAccess: SecuredByPerimeter
    customSubDomainName: oai-contoso
perimeters:
  - name: nsp-ai
    profiles:
      - name: ai
        accessRules:
          - name: allow-search
            direction: Outbound
            fullyQualifiedDomainNames: [search-contoso.search.windows.net]
    associations:
      - resource: oai
        profile: ai
        accessMode: Enforced
      - name: kv
        resource: /subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-contoso
        profile: ai
`)
	require.NoError(t, err)
	a := aiAccount(t, n, "oai")
	assert.Equal(t, perimeter.SecuredByPerimeter, a.PublicAccess())
	b := n.PerimeterOf(a.ID())
	assert.Equal(t, perimeter.Enforced, b.Mode)
	assert.Equal(t, "oai", b.Association.Name(), "named after its resource")
	assert.Equal(t, 1, b.Rules.Len())
	assert.True(t, n.InPerimeter("kv-contoso.vault.azure.net", b.Perimeter))
	assert.True(t, n.InPerimeter("oai-contoso.openai.azure.com", b.Perimeter))
	kv := n.PerimeterOf("/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-contoso")
	assert.Equal(t, perimeter.Learning, kv.Mode, "accessMode absent: Learning, the default")
}

// TestPerimeterErrors: each error names the resource and the field.
func TestPerimeterErrors(t *testing.T) {
	var fqdns strings.Builder
	for i := range 201 {
		fqdns.WriteString("h" + strings.Repeat("x", i%5) + "-" + string(rune('a'+i%26)) + ".example, ")
	}
	_, err := nativeLoad(`egress: v1
location: eastus
aiAccounts:
  - name: oai
    publicNetworkAccess: Restricted
perimeters:
  - name: nsp
    profiles:
      - name: p
        accessRules:
          - name: sideways
            direction: Upward
          - name: out
            direction: Outbound
            fullyQualifiedDomainNames: [10.0.0.1, "https://a.example/"]
      - name: big
        accessRules:
          - name: many
            direction: Outbound
            fullyQualifiedDomainNames: [` + strings.TrimSuffix(fqdns.String(), ", ") + `]
    associations:
      - resource: oai
`)
	require.Error(t, err)
	msg := err.Error()
	for _, want := range []string{
		"sideways", "direction", `"Upward"`, "want Inbound or Outbound",
		"fullyQualifiedDomainNames[0]", `"10.0.0.1"`, "fullyQualifiedDomainNames[1]",
		"profiles/big", "201 rule elements", "at most 200",
		"profile.id", "an association names the profile",
		"publicNetworkAccess", `"Restricted"`,
	} {
		assert.Contains(t, msg, want)
	}
	assert.Contains(t, msg, "design.yaml:", "positions")

	_, err = nativeLoad(`egress: v1
perimeters:
  - name: nsp
    associations:
      - resource: nobody
`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `perimeter association "nobody": resource "nobody"`)
	assert.Contains(t, err.Error(), "names no AI services account or web app")
}

func TestPerimeterWarnings(t *testing.T) {
	n, err := nativeLoad(`egress: v1
location: eastus
aiAccounts:
  - name: oai
perimeters:
  - name: nsp
    profiles:
      - name: p
        accessRules:
          - name: in
            direction: Inbound
            fullyQualifiedDomainNames: [a.example]
    associations:
      - resource: oai
        profile: p
        accessMode: Strict
      - name: again
        resource: oai
        profile: p
`)
	require.NoError(t, err)
	assert.Error(t, warningWith(n, "accessMode", `"Strict"`, "Unknown"))
	assert.Error(t, warningWith(n, "A-26", "2 perimeter associations"))
	assert.Error(t, warningWith(n, "an inbound rule's FQDNs are ignored"))
	b := n.PerimeterOf(aiAccount(t, n, "oai").ID())
	assert.Equal(t, 2, b.Associations)
}

// TestOverlaySetPerimeterAssociation: the what-if of enforcing a perimeter.
func TestOverlaySetPerimeterAssociation(t *testing.T) {
	dir := t.TempDir()
	design := dir + "/design.yaml"
	overlay := dir + "/enforce.yaml"
	require.NoError(t, writeFile(design, `egress: v1
location: eastus
aiAccounts:
  - name: oai
perimeters:
  - name: nsp-ai
    profiles: [{name: learn}, {name: strict}]
    associations:
      - {name: oai-assoc, resource: oai, profile: learn, accessMode: Learning}
`))
	require.NoError(t, writeFile(overlay, `egress: overlay/v1
changes:
  - setPerimeterAssociation: {association: nsp-ai/oai-assoc, accessMode: Enforced, profile: strict}
`))
	n, err := topology.Load(topology.LoadOptions{Files: []string{design}, Overlays: []string{overlay}})
	require.NoError(t, err)
	b := n.PerimeterOf(aiAccount(t, n, "oai").ID())
	assert.Equal(t, perimeter.Enforced, b.Mode)
	assert.Equal(t, "strict", b.Profile.Name())

	require.NoError(t, writeFile(overlay, `egress: overlay/v1
changes:
  - setPerimeterAssociation: {association: nsp-ai/nobody, accessMode: Enforced}
  - setPerimeterAssociation: {association: oai-assoc}
`))
	_, err = topology.Load(topology.LoadOptions{Files: []string{design}, Overlays: []string{overlay}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `association "nsp-ai/nobody"`)
	assert.Contains(t, err.Error(), `"perimeter/association"`)
	assert.Contains(t, err.Error(), "enforce.yaml:3:")
}

func writeFile(path, data string) error { return os.WriteFile(path, []byte(data), 0o600) }
