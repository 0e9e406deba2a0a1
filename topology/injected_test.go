package topology_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/problem"
	"github.com/egresslab/egress/servicetag"
	"github.com/egresslab/egress/topology"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func injectedFiles(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "testdata/injected/" + n
	}
	return out
}

func injected(t *testing.T, n *topology.Network, name string) topology.InjectedView {
	t.Helper()
	for i := range n.NumInjected() {
		if v := n.Injected(i); v.Name() == name {
			return v
		}
	}
	t.Fatalf("no injected resource %q", name)
	return topology.InjectedView{}
}

// TestInjectedKindFacts: each kind's delegation, as its Learn page requires
// it, with the page.
func TestInjectedKindFacts(t *testing.T) {
	for _, c := range []struct {
		k               topology.InjectedKind
		typ, delegation string
		address         bool
	}{
		{topology.InjectedContainerGroup, "Microsoft.ContainerInstance/containerGroups", "Microsoft.ContainerInstance/containerGroups", true},
		{topology.InjectedPostgreSQL, "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.DBforPostgreSQL/flexibleServers", false},
		{topology.InjectedMySQL, "Microsoft.DBforMySQL/flexibleServers", "Microsoft.DBforMySQL/flexibleServers", false},
	} {
		assert.Equal(t, c.typ, c.k.Type())
		assert.Equal(t, c.delegation, c.k.Delegation())
		assert.Equal(t, c.address, c.k.AddressInResource())
		assert.True(t, strings.HasPrefix(c.k.Source(), "https://learn.microsoft.com/"), c.k.Source())
		k, ok := topology.InjectedKindOf(strings.ToLower(c.typ))
		assert.True(t, ok)
		assert.Equal(t, c.k, k)
		k, err := topology.ParseInjectedKind(c.k.String())
		require.NoError(t, err)
		assert.Equal(t, c.k, k)
	}
	_, err := topology.ParseInjectedKind("Microsoft.Web/sites")
	assert.Error(t, err)
	assert.Equal(t, "InjectedKind(9)", topology.InjectedKind(9).String())
}

// TestContainerGroupShapes reads a container group in the REST GET shape
// (https://learn.microsoft.com/rest/api/container-instances/container-groups/get)
// and in `az container show`'s flattened one, and flexible servers from
// the REST GET (PostgreSQL) and `az mysql flexible-server show` (MySQL).
func TestContainerGroupShapes(t *testing.T) {
	tags, err := servicetag.Default()
	require.NoError(t, err)
	n, err := topology.Load(topology.LoadOptions{Files: injectedFiles("vnet-rest.json", "aci-rest.json", "aci-az.json", "pg-rest.json", "mysql-az.json"), Tags: tags})
	require.NoError(t, err)
	assert.Empty(t, n.Warnings())

	w := injected(t, n, "aci-worker")
	assert.Equal(t, topology.InjectedContainerGroup, w.Kind())
	assert.Equal(t, netip.MustParseAddr("10.20.1.4"), w.IP())
	assert.Equal(t, topology.IPAddressPrivate, w.AddressType())
	s, ok := w.Subnet()
	require.True(t, ok)
	assert.Equal(t, "snet-aci", s.Name())
	r := w.Resource()
	assert.Equal(t, []topology.InjectedPort{{Protocol: ipproto.TCP, Port: 80}}, r.Ports)
	assert.Equal(t, "Linux", r.OSType)

	b := injected(t, n, "aci-batch").Resource()
	assert.Equal(t, netip.MustParseAddr("10.20.1.5"), b.IP)
	assert.Equal(t, []topology.InjectedPort{{Protocol: ipproto.UDP, Port: 53}}, b.Ports)

	pg := injected(t, n, "pg-orders")
	assert.Equal(t, topology.InjectedPostgreSQL, pg.Kind())
	assert.False(t, pg.IP().IsValid(), "a flexible server's address is not in its resource")
	s, ok = pg.Subnet()
	require.True(t, ok)
	assert.Equal(t, "snet-pg", s.Name())
	assert.Equal(t, "Disabled", pg.Resource().PublicNetworkAccess)
	assert.Equal(t, "pg-orders.private.postgres.database.azure.com", pg.Resource().PrivateDNSZone.Name())

	my := injected(t, n, "mysql-ledger").Resource()
	assert.Equal(t, topology.InjectedMySQL, my.Kind)
	assert.Equal(t, "mysql-ledger.private.mysql.database.azure.com", my.PrivateDNSZone.Name())
	assert.Equal(t, "mysql-ledger.mysql.database.azure.com", my.FQDN)
	assert.Equal(t, "snet-mysql", my.Subnets[0].Name())
}

// TestInjectedTemplate: a template's container group (no address until it
// is deployed) and flexible server, evaluated offline.
func TestInjectedTemplate(t *testing.T) {
	n, err := topology.Load(topology.LoadOptions{Files: injectedFiles("template.json")})
	require.NoError(t, err)
	aci := injected(t, n, "aci-tpl")
	assert.False(t, aci.IP().IsValid())
	s, ok := aci.Subnet()
	require.True(t, ok)
	assert.Equal(t, "snet-aci", s.Name())
	pg := injected(t, n, "pg-tpl")
	s, ok = pg.Subnet()
	require.True(t, ok)
	assert.Equal(t, "snet-pg", s.Name())
}

const nativeInjected = `egress: v1
location: eastus
vnets:
  - name: vnet-a
    addressSpace: [10.1.0.0/16]
    subnets:
      - {name: snet-aci, prefix: 10.1.2.0/24, delegations: [Microsoft.ContainerInstance/containerGroups]}
      - {name: snet-pg, prefix: 10.1.3.0/24, delegations: [Microsoft.DBforPostgreSQL/flexibleServers]}
containerGroups:
  - name: aci-a
    subnet: vnet-a/snet-aci
    ip: 10.1.2.4
    ports: [{port: 443}, {port: 53, protocol: UDP}]
flexibleServers:
  - {name: pg-a, engine: PostgreSQL, subnet: vnet-a/snet-pg, publicNetworkAccess: Disabled}
  - {name: my-a, engine: MySQL, subnet: vnet-a/snet-pg}
`

func TestNativeInjected(t *testing.T) {
	n, err := nativeLoad(nativeInjected)
	require.NoError(t, err)
	a := injected(t, n, "aci-a").Resource()
	assert.Equal(t, topology.IPAddressPrivate, a.AddressType, "Private is the default with a subnet")
	assert.Equal(t, []topology.InjectedPort{{Protocol: ipproto.TCP, Port: 443}, {Protocol: ipproto.UDP, Port: 53}}, a.Ports)
	assert.Equal(t, "design.yaml:10:5", a.Pos.String())
	assert.Equal(t, topology.InjectedPostgreSQL, injected(t, n, "pg-a").Kind())

	// The MySQL server's subnet is delegated to PostgreSQL: a warning
	// naming resource, field and both services.
	var msgs []string
	for _, w := range n.Warnings() {
		msgs = append(msgs, w.Error())
	}
	assert.Contains(t, strings.Join(msgs, "\n"), `design.yaml:16:5: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.DBforMySQL/flexibleServers/my-a: network.delegatedSubnetResourceId "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.Network/virtualNetworks/vnet-a/subnets/snet-pg": invalid value: the subnet is delegated to Microsoft.DBforPostgreSQL/flexibleServers, not Microsoft.DBforMySQL/flexibleServers`)
}

// injectedProblems loads a design and returns its problems by field.
func injectedProblems(t *testing.T, design string) map[string]*topology.Error {
	t.Helper()
	_, err := nativeLoad(design)
	require.Error(t, err)
	out := map[string]*topology.Error{}
	for _, e := range unjoin(err) {
		var te *topology.Error
		if errors.As(e, &te) {
			out[te.Field] = te
		}
	}
	return out
}

// unjoin flattens a load error into its *topology.Error values.
func unjoin(err error) []error {
	var es *problem.Errors
	switch x := err.(type) {
	case *topology.Error:
		return []error{x}
	case interface{ Unwrap() []error }:
		var out []error
		for _, e := range x.Unwrap() {
			out = append(out, unjoin(e)...)
		}
		return out
	case interface{ Unwrap() error }:
		return unjoin(x.Unwrap())
	}
	if errors.As(err, &es) {
		return es.List
	}
	return []error{err}
}

// TestInjectedErrors: bad values are errors that name the resource and
// the field, at the resource's position.
func TestInjectedErrors(t *testing.T) {
	design := strings.NewReplacer("{port: 443}", "{port: 70000}", "protocol: UDP", "protocol: SCTP", "engine: MySQL", "engine: Oracle",
		"flexibleServers:", "  - {name: aci-bad, ipAddressType: Elastic}\nflexibleServers:").Replace(nativeInjected)
	probs := injectedProblems(t, design)
	for field, want := range map[string]string{
		"ports[0].port":     `design.yaml:13:13: container group "aci-a": ports[0].port "70000": invalid value: want a port number`,
		"ports[1].protocol": `container group "aci-a": ports[1].protocol "SCTP": invalid value: want TCP or UDP`,
		"engine":            `flexible server "my-a": engine "Oracle": invalid value: want PostgreSQL or MySQL`,
		"ipAddressType":     `container group "aci-bad": ipAddressType "Elastic": invalid value`,
	} {
		e, ok := probs[field]
		if assert.True(t, ok, "no problem for field %s: %v", field, probs) {
			assert.Contains(t, e.Error(), want)
		}
	}
}

// TestInjectedValidation: an address outside the container group's subnet
// is an error, and so is a public address in a virtual network
// ("Container groups deployed to a virtual network don't currently support
// exposing containers directly to the internet with a public IP address",
// container-instances-virtual-network-concepts).
func TestInjectedValidation(t *testing.T) {
	design := strings.NewReplacer("ip: 10.1.2.4", "ip: 10.1.9.4",
		"flexibleServers:", "  - {name: aci-pub, subnet: vnet-a/snet-aci, ipAddressType: Public}\nflexibleServers:").Replace(nativeInjected)
	probs := injectedProblems(t, design)
	e, ok := probs["ipAddress.ip"]
	require.True(t, ok, "%v", probs)
	assert.Equal(t, "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/design/providers/Microsoft.ContainerInstance/containerGroups/aci-a", e.Resource)
	assert.Equal(t, "10.1.9.4", e.Value)
	assert.ErrorIs(t, e, topology.ErrInvalid)
	assert.Equal(t, "design.yaml:10:5", e.Pos.String())
	e, ok = probs["ipAddress.type"]
	require.True(t, ok, "%v", probs)
	assert.True(t, strings.HasSuffix(e.Resource, "/containerGroups/aci-pub"), e.Resource)
	assert.ErrorIs(t, e, topology.ErrNotAllowed)
}

// TestInjectedARMProblems: in ARM shapes, a container group in a subnet
// not delegated to Azure Container Instances is a warning naming resource
// and field; a retired networkProfile is a warning; a bad ipAddress.type
// or port is an error at the value's position.
func TestInjectedARMProblems(t *testing.T) {
	const sub = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-inj/providers/"
	group := func(name, props string) string {
		return `{"id": "` + sub + `Microsoft.ContainerInstance/containerGroups/` + name + `", "name": "` + name + `", "type": "Microsoft.ContainerInstance/containerGroups", "location": "eastus", "properties": ` + props + `}`
	}
	vnet, err := os.ReadFile("testdata/injected/vnet-rest.json")
	require.NoError(t, err)
	in := func(name, data string) topology.Input { return topology.Input{Name: name, Data: []byte(data)} }
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{in("vnet.json", string(vnet)),
		in("cg.json", "["+group("aci-vm", `{"subnetIds": [{"id": "`+sub+`Microsoft.Network/virtualNetworks/vnet-inj/subnets/snet-vm"}], "ipAddress": {"type": "Private", "ip": "10.20.0.9", "ports": []}}`)+","+
			group("aci-old", `{"networkProfile": {"id": "`+sub+`Microsoft.Network/networkProfiles/aci-profile"}, "ipAddress": {"type": "Private", "ports": []}}`)+"]")}})
	require.NoError(t, err)
	var msgs []string
	for _, w := range n.Warnings() {
		msgs = append(msgs, w.Error())
	}
	all := strings.Join(msgs, "\n")
	assert.Contains(t, all, sub+`Microsoft.ContainerInstance/containerGroups/aci-vm: subnetIds[0].id "`+sub+`Microsoft.Network/virtualNetworks/vnet-inj/subnets/snet-vm": invalid value: the subnet is not delegated to Microsoft.ContainerInstance/containerGroups`)
	assert.Contains(t, all, `containerGroups/aci-old: networkProfile "`+sub+`Microsoft.Network/networkProfiles/aci-profile": unknown field: a network profile`)
	v, ok := n.Injected(0), n.NumInjected() == 2
	require.True(t, ok)
	assert.Equal(t, netip.MustParseAddr("10.20.0.9"), v.IP())

	bad := group("aci-bad", `{"subnetIds": [{"id": "`+sub+`Microsoft.Network/virtualNetworks/vnet-inj/subnets/snet-aci"}], "ipAddress": {"type": "Elastic", "ports": [{"port": 0}]}}`)
	_, err = topology.Load(topology.LoadOptions{Inputs: []topology.Input{in("vnet.json", string(vnet)), in("cg.json", bad)}})
	require.Error(t, err)
	probs := map[string]*topology.Error{}
	for _, e := range unjoin(err) {
		var te *topology.Error
		if errors.As(e, &te) {
			probs[te.Field] = te
		}
	}
	require.Contains(t, probs, "ipAddress.type")
	assert.Equal(t, fmt.Sprintf("cg.json:1:%d", strings.Index(bad, `"Elastic"`)+1), probs["ipAddress.type"].Pos.String(), "the value's position")
	assert.True(t, strings.HasSuffix(probs["ipAddress.type"].Resource, "/containerGroups/aci-bad"))
	require.Contains(t, probs, "ipAddress.ports[0].port")
}

// TestInjectedMerge: a container group exported twice (REST GET and `az
// container show`) is one resource when both say the same, and an error
// naming both positions and the field when they do not.
func TestInjectedMerge(t *testing.T) {
	rest, err := os.ReadFile("testdata/injected/aci-rest.json")
	require.NoError(t, err)
	vnet, err := os.ReadFile("testdata/injected/vnet-rest.json")
	require.NoError(t, err)
	const sub = "/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/rg-inj/providers/"
	az := func(ip string) string {
		return `{"id": "` + sub + `Microsoft.ContainerInstance/containerGroups/aci-worker", "name": "aci-worker", "location": "eastus", "resourceGroup": "rg-inj",
  "type": "Microsoft.ContainerInstance/containerGroups", "osType": "Linux", "provisioningState": "Succeeded",
  "ipAddress": {"ip": "` + ip + `", "ports": [{"port": 80, "protocol": "TCP"}], "type": "Private"},
  "subnetIds": [{"id": "` + sub + `Microsoft.Network/virtualNetworks/vnet-inj/subnets/snet-aci", "name": "snet-aci", "resourceGroup": "rg-inj"}]}`
	}
	in := func(name, data string) topology.Input { return topology.Input{Name: name, Data: []byte(data)} }
	n, err := topology.Load(topology.LoadOptions{Inputs: []topology.Input{in("vnet.json", string(vnet)), in("rest.json", string(rest)), in("az.json", az("10.20.1.4"))}})
	require.NoError(t, err)
	assert.Equal(t, 1, n.NumInjected())

	_, err = topology.Load(topology.LoadOptions{Inputs: []topology.Input{in("vnet.json", string(vnet)), in("rest.json", string(rest)), in("az.json", az("10.20.1.8"))}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `az.json:1:1: `+sub+`Microsoft.ContainerInstance/containerGroups/aci-worker: ipAddress.ip "10.20.1.8": duplicate: declared twice with different values: "10.20.1.4" at rest.json:1:1`)
}

// TestInjectedAddressClash: a container group's address that a NIC of the
// VNet, or another container group, already has, or one Azure reserves, is
// an error naming the field.
func TestInjectedAddressClash(t *testing.T) {
	design := strings.Replace(nativeInjected, "flexibleServers:", `  - {name: aci-b, subnet: vnet-a/snet-aci, ip: 10.1.2.4}
  - {name: aci-c, subnet: vnet-a/snet-aci, ip: 10.1.2.1}
  - {name: aci-d, subnet: vnet-a/snet-aci, ip: 10.1.2.20}
nics:
  - {name: vm1, subnet: vnet-a/snet-aci, ip: 10.1.2.20}
flexibleServers:`, 1)
	_, err := nativeLoad(design)
	require.Error(t, err)
	byRes := map[string]*topology.Error{}
	for _, e := range unjoin(err) {
		var te *topology.Error
		if errors.As(e, &te) && te.Field == "ipAddress.ip" {
			byRes[topology.Ref(te.Resource).Name()] = te
		}
	}
	require.Contains(t, byRes, "aci-b")
	assert.ErrorIs(t, byRes["aci-b"], topology.ErrDuplicate)
	assert.Contains(t, byRes["aci-b"].Error(), `also the address of container group "aci-a"`)
	require.Contains(t, byRes, "aci-c")
	assert.Contains(t, byRes["aci-c"].Error(), "Azure reserves the first four")
	require.Contains(t, byRes, "aci-d")
	assert.Contains(t, byRes["aci-d"].Error(), `also the address of NIC "vm1"`)
}
