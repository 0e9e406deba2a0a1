package firewall_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/egresslab/egress/firewall"
	"github.com/egresslab/egress/internal/fwref"
)

// An application rule whose protocols are unknown (a Terraform plan's
// protocols known after apply) matches every application protocol and
// port 1..64000 (ARM FirewallPolicyRuleApplicationProtocol's limit) and
// never decides: a verdict it could change is flagged FlagUnknown, one it
// could not (same action, another name, a port past 64000) is not. The
// engine and the reference agree on each flow.
func TestApplicationRuleProtocolsUnknown(t *testing.T) {
	maybeDeny := appRule("maybe-deny", "*.example.com")
	maybeDeny.Protocols, maybeDeny.ProtocolsUnknown = nil, true
	maybeAllow := appRule("maybe-allow", "db.internal.example")
	maybeAllow.Protocols, maybeAllow.ProtocolsUnknown = nil, true
	p := policy(group("g", 100,
		appColl("deny", 100, firewall.Deny, maybeDeny),
		appColl("allow", 200, firewall.Allow, appRule("web", "*"), maybeAllow)))
	e := compile(t, p, firewall.Resolvers{})
	ref, err := fwref.New(p, firewall.Resolvers{})
	if !assert.NoError(t, err) {
		return
	}
	flow := func(app firewall.AppProtocolType, port uint16, name string) firewall.Flow {
		f := tcpFlow("10.0.0.4", "52.1.2.3", port)
		f.App, f.Name = app, name
		return f
	}
	for _, c := range []struct {
		f       firewall.Flow
		action  firewall.Action
		unknown bool
		rule    string
	}{
		{flow(firewall.AppHTTPS, 443, "a.example.com"), firewall.Allow, true, "pol/g/allow/web"},        // maybe-deny could deny it
		{flow(firewall.AppHTTPS, 443, "other.org"), firewall.Allow, false, "pol/g/allow/web"},           // maybe-deny names another server
		{flow(firewall.AppMSSQL, 1433, "a.example.com"), firewall.Deny, false, ""},                      // only maybe-deny could match: a Deny either way
		{flow(firewall.AppMSSQL, 1433, "db.internal.example"), firewall.Deny, true, ""},                 // maybe-allow could allow it
		{flow(firewall.AppMSSQL, 64001, "db.internal.example"), firewall.Deny, false, ""},               // no application rule takes that port
		{flow(firewall.AppHTTP, 8080, "db.internal.example"), firewall.Deny, true, ""},                  // every protocol
		{flow(firewall.AppNone, 8080, "db.internal.example"), firewall.Deny, false, ""},                 // not an application flow
		{flow(firewall.AppHTTPS, 443, "db.internal.example"), firewall.Allow, false, "pol/g/allow/web"}, // web decides first
	} {
		v := e.Evaluate(c.f)
		assert.Equal(t, c.action, v.Action, "%+v", c.f)
		assert.Equal(t, c.unknown, v.Flags&firewall.FlagUnknown != 0, "%+v: %v", c.f, v.Flags)
		assert.Equal(t, c.rule, ruleName(e, v), "%+v", c.f)
		assert.Zero(t, testing.AllocsPerRun(100, func() { v = e.Evaluate(c.f) }), "%+v", c.f)
		r := ref.Evaluate(c.f)
		assert.Equal(t, v.Action, r.Action, "reference %+v", c.f)
		assert.Equal(t, v.Flags, r.Flags, "reference %+v", c.f)
	}
	// Its spaces: every port of the application rules.
	assert.Equal(t, [][2]uint16{{1, firewall.MaxAppPort}}, e.AppDestinationSpaces()[0].Ports)
}
