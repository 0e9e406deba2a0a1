package topology

import (
	"fmt"

	"github.com/egresslab/egress/ipproto"
	"net/netip"
	"strconv"
	"strings"

	"github.com/egresslab/egress/topology/arm"
)

// aiAccount reads a Microsoft.CognitiveServices/accounts resource (REST,
// template and az shapes: arm.Value.Prop reads properties nested or
// flattened), keeping each allow-list entry's position.
func (b *armBuilder) aiAccount(meta Meta, v *arm.Value) *AIAccount {
	a := &AIAccount{Meta: meta, Kind: b.str(v.Get("kind")), RestrictOutboundNetworkAccess: b.boolean(v.Prop("restrictOutboundNetworkAccess")),
		PublicNetworkAccess: b.str(v.Prop("publicNetworkAccess")), CustomSubDomain: b.str(v.Prop("customSubDomainName"))}
	list := v.Prop("allowedFqdnList")
	if list != nil && list.Kind() != arm.KindArray && list.Kind() != arm.KindUnresolved {
		b.p.add(list.Pos(), string(meta.ID), "allowedFqdnList", "", ErrInvalid, "want an array of strings")
	}
	for _, e := range elems(list) {
		s, ok := e.Str()
		if !b.known(e) {
			continue
		}
		if !ok {
			b.p.add(e.Pos(), string(meta.ID), "allowedFqdnList", "", ErrInvalid, "want a string")
			continue
		}
		a.AllowedFqdnList = append(a.AllowedFqdnList, s)
		a.AllowedFqdnPos = append(a.AllowedFqdnPos, e.Pos())
	}
	if tags := v.Get("tags"); tags != nil && tags.Kind() == arm.KindObject {
		for k, t := range tags.Members() {
			if s, ok := t.Str(); ok {
				if a.Tags == nil {
					a.Tags = map[string]string{}
				}
				a.Tags[k] = s
			}
		}
	}
	return a
}

// webApp reads a Microsoft.Web/sites resource: REST GET and template
// (properties nested), `az webapp show` (flattened), and the routing flags
// of every API generation (configure-vnet-integration-routing).
func (b *armBuilder) webApp(meta Meta, v *arm.Value) *WebApp {
	res := string(meta.ID)
	app := &WebApp{Meta: meta, Kind: b.str(v.Get("kind")), Subnet: Ref(b.str(v.Prop("virtualNetworkSubnetId"))),
		PublicNetworkAccess: b.str(v.Prop("publicNetworkAccess"))}
	r := &app.Routing
	if o := v.Prop("outboundVnetRouting"); o != nil {
		for _, f := range []struct {
			name string
			dst  **bool
		}{{"allTraffic", &r.AllTraffic}, {"applicationTraffic", &r.ApplicationTraffic}, {"contentShareTraffic", &r.ContentShareTraffic},
			{"imagePullTraffic", &r.ImagePullTraffic}, {"backupRestoreTraffic", &r.BackupRestoreTraffic}, {"managedIdentityTraffic", &r.ManagedIdentityTraffic}} {
			*f.dst = b.optBool(o.Get(f.name), res, "outboundVnetRouting."+f.name)
		}
		if c := o.Get("contentStorageTraffic"); c != nil {
			// The App Service blog's spelling; the API's is contentShareTraffic.
			b.w.warn(c.Pos(), res, "outboundVnetRouting.contentStorageTraffic", "", ErrUnknownField,
				"not an API property: the content share flag is contentShareTraffic (https://learn.microsoft.com/javascript/api/@azure/arm-appservice/outboundvnetrouting); ignored")
		}
	}
	r.VnetRouteAllEnabled = b.optBool(v.Prop("vnetRouteAllEnabled"), res, "vnetRouteAllEnabled")
	r.VnetContentShareEnabled = b.optBool(v.Prop("vnetContentShareEnabled"), res, "vnetContentShareEnabled")
	r.VnetImagePullEnabled = b.optBool(v.Prop("vnetImagePullEnabled"), res, "vnetImagePullEnabled")
	r.VnetBackupRestoreEnabled = b.optBool(v.Prop("vnetBackupRestoreEnabled"), res, "vnetBackupRestoreEnabled")
	if sc := v.Prop("siteConfig"); sc != nil {
		b.siteConfig(app, sc, res, "siteConfig.")
	}
	app.OutboundIPs = b.ipList(v.Prop("outboundIpAddresses"), res, "outboundIpAddresses")
	app.PossibleOutboundIPs = b.ipList(v.Prop("possibleOutboundIpAddresses"), res, "possibleOutboundIpAddresses")
	return app
}

// siteConfig reads the routing parts of a site's configuration: embedded
// (siteConfig) or its config/web child.
func (b *armBuilder) siteConfig(app *WebApp, sc *arm.Value, res, prefix string) {
	if x := b.optBool(sc.Get("vnetRouteAllEnabled"), res, prefix+"vnetRouteAllEnabled"); x != nil {
		app.Routing.SiteConfigVnetRouteAllEnabled = x
	}
	if n := b.str(sc.Get("vnetName")); n != "" {
		app.VNetName = n
	}
	for _, s := range elems(sc.Get("appSettings")) {
		b.appSetting(app, b.str(s.Get("name")), b.str(s.Get("value")))
	}
}

func (b *armBuilder) appSetting(app *WebApp, name, value string) {
	switch strings.ToUpper(name) {
	case "WEBSITE_VNET_ROUTE_ALL":
		app.Routing.AppRouteAll = value
	case "WEBSITE_CONTENTOVERVNET":
		app.Routing.AppContentOverVNet = value
	case "WEBSITE_PULL_IMAGE_OVER_VNET":
		app.Routing.AppPullImageOverVNet = value
	}
}

// webConfig reads a site's config child: "web" (`az webapp config show`,
// the siteConfig resource) or "appsettings" (a map of setting names to
// values).
func (b *armBuilder) webConfig(r arm.Resource, v *arm.Value) {
	app := b.webs[parentKey(r.ID)]
	if app == nil {
		b.p.add(r.Pos, r.ID, "", "", ErrDangling, "configuration of a web app that is not in the input")
		return
	}
	switch strings.ToLower(Ref(r.ID).Name()) {
	case "web":
		props := v.Get("properties")
		if props == nil {
			props = v
		}
		b.siteConfig(app, props, r.ID, "")
	case "appsettings":
		props := v.Get("properties")
		for _, k := range []string{"WEBSITE_VNET_ROUTE_ALL", "WEBSITE_CONTENTOVERVNET", "WEBSITE_PULL_IMAGE_OVER_VNET"} {
			if s := props.Get(k); s != nil {
				b.appSetting(app, k, b.str(s))
			}
		}
	}
}

// optBool reads an optional boolean: nil when absent or null.
func (b *armBuilder) optBool(v *arm.Value, res, field string) *bool {
	if v == nil || !b.known(v) {
		return nil
	}
	x, ok := v.Bool()
	if !ok {
		b.p.add(v.Pos(), res, field, "", ErrInvalid, "want true or false")
		return nil
	}
	return &x
}

// ipList reads a comma-separated address list (outboundIpAddresses), or an
// array of addresses; nil when absent.
func (b *armBuilder) ipList(v *arm.Value, res, field string) []netip.Addr {
	if v == nil || !b.known(v) {
		return nil
	}
	var items []string
	if s, ok := v.Str(); ok {
		for _, it := range strings.Split(s, ",") {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
	} else {
		items = b.strs(v)
	}
	out := []netip.Addr{}
	for _, it := range items {
		a, err := netip.ParseAddr(it)
		if err != nil {
			b.p.addError(&Error{Pos: v.Pos(), Resource: res, Field: field, Value: it, Kind: ErrInvalid, Detail: "want comma-separated IP addresses", Cause: err})
			continue
		}
		out = append(out, a.Unmap())
	}
	return out
}

// otherSetting reads the outbound setting of a resource OtherPaaS holds,
// as written (paas-semantics §1.6: the flag is a boolean on IoT Hub, a
// string on SQL and Data Explorer).
func (b *armBuilder) otherSetting(v *arm.Value) string {
	var parts []string
	if m := b.str(v.Prop("managedNetwork").Get("isolationMode")); m != "" {
		parts = append(parts, "managedNetwork.isolationMode="+m)
	}
	if r := v.Prop("restrictOutboundNetworkAccess"); r != nil && b.known(r) {
		if x, ok := r.Bool(); ok {
			parts = append(parts, "restrictOutboundNetworkAccess="+strconv.FormatBool(x))
		} else if s, ok := r.Str(); ok {
			parts = append(parts, "restrictOutboundNetworkAccess="+s)
		}
	}
	return strings.Join(parts, ", ")
}

// webNetworkConfig reads a site's networkConfig child ("virtualNetwork"),
// the template form of regional VNet integration
// (https://learn.microsoft.com/azure/templates/microsoft.web/sites/networkconfig:
// properties.subnetResourceId). The site's own virtualNetworkSubnetId,
// when it has one, wins.
func (b *armBuilder) webNetworkConfig(r arm.Resource, v *arm.Value) {
	app := b.webs[parentKey(r.ID)]
	if app == nil {
		b.p.add(r.Pos, r.ID, "", "", ErrDangling, "network configuration of a web app that is not in the input")
		return
	}
	if id := b.str(v.Prop("subnetResourceId")); id != "" && app.Subnet.IsZero() {
		app.Subnet = Ref(id)
	}
}

// injected reads a container group or a flexible server, in the shapes of
// the REST GET, a template and az's flattened output (arm.Value.Prop reads
// properties nested or at the top level):
//
//   - container group (https://learn.microsoft.com/rest/api/container-instances/container-groups/get,
//     API 2023-05-01): properties.subnetIds[] {id, name},
//     properties.ipAddress {type "Private"|"Public", ip, ports[] {protocol, port}},
//     properties.osType; `az container show` prints the same at the top level.
//     API versions before 2021-07-01 named a networkProfile instead of
//     subnetIds (retired): a warning, and the group is not in a subnet.
//   - PostgreSQL flexible server (https://learn.microsoft.com/rest/api/postgresql/flexibleserver/servers/get):
//     properties.network {delegatedSubnetResourceId, privateDnsZoneArmResourceId,
//     publicNetworkAccess}, properties.fullyQualifiedDomainName;
//     `az postgres flexible-server show` prints network at the top level.
//   - MySQL flexible server (https://learn.microsoft.com/rest/api/mysql/flexibleserver/servers/get):
//     the same, with the zone as network.privateDnsZoneResourceId.
//
// A flexible server's private address is in none of them.
func (b *armBuilder) injected(meta Meta, k InjectedKind, v *arm.Value) *InjectedResource {
	res := string(meta.ID)
	r := &InjectedResource{Meta: meta, Kind: k}
	if k != InjectedContainerGroup {
		nw := v.Prop("network")
		if s := b.str(nw.Get("delegatedSubnetResourceId")); s != "" {
			r.Subnets = []Ref{Ref(s)}
		}
		r.PublicNetworkAccess = b.str(nw.Get("publicNetworkAccess"))
		zone := b.str(nw.Get("privateDnsZoneArmResourceId"))
		if zone == "" {
			zone = b.str(nw.Get("privateDnsZoneResourceId"))
		}
		r.PrivateDNSZone = Ref(zone)
		r.FQDN = b.str(v.Prop("fullyQualifiedDomainName"))
		return r
	}
	ids := v.Prop("subnetIds")
	if ids != nil && ids.Kind() != arm.KindArray && ids.Kind() != arm.KindUnresolved {
		b.p.add(ids.Pos(), res, "subnetIds", "", ErrInvalid, "want an array of {id, name} objects")
	}
	for i, e := range elems(ids) {
		ref := b.ref(e)
		if ref.IsZero() {
			if b.known(e) && b.known(e.Get("id")) {
				b.p.add(e.Pos(), res, fmt.Sprintf("subnetIds[%d].id", i), "", ErrMissing, "want the subnet's resource ID")
			}
			continue
		}
		r.Subnets = append(r.Subnets, ref)
	}
	if np := v.Prop("networkProfile"); np != nil && len(r.Subnets) == 0 {
		b.w.warn(np.Pos(), res, "networkProfile", string(b.ref(np)), ErrUnknownField,
			"a network profile (API versions before 2021-07-01, retired) is not modelled: give subnetIds (https://learn.microsoft.com/azure/container-instances/container-instances-virtual-network-concepts); the container group is taken as in no subnet")
	}
	ip := v.Prop("ipAddress")
	if ip == nil {
		r.OSType = b.str(v.Prop("osType"))
		return r
	}
	if t := ip.Get("type"); t != nil && b.known(t) {
		s, _ := t.Str()
		at, err := ParseIPAddressType(s)
		if err != nil || s == "" {
			b.p.add(t.Pos(), res, "ipAddress.type", s, ErrInvalid, "want Private or Public")
		}
		r.AddressType = at
	}
	if a := ip.Get("ip"); a != nil {
		r.IP, r.IPPos = b.addr(a, res, "ipAddress.ip"), a.Pos()
	}
	for i, pv := range elems(ip.Get("ports")) {
		field := fmt.Sprintf("ipAddress.ports[%d]", i)
		port := InjectedPort{Protocol: ipproto.TCP} // the API's default protocol
		if s := b.str(pv.Get("protocol")); s != "" {
			switch strings.ToUpper(s) {
			case "TCP":
			case "UDP":
				port.Protocol = ipproto.UDP
			default:
				b.p.add(pv.Pos(), res, field+".protocol", s, ErrInvalid, "want TCP or UDP")
			}
		}
		n, ok := pv.Get("port").Int()
		if !b.known(pv.Get("port")) {
			continue
		}
		if !ok || n < 1 || n > 65535 {
			b.p.add(pv.Pos(), res, field+".port", fmt.Sprint(n), ErrInvalid, "want a port number 1..65535")
			continue
		}
		port.Port = uint16(n)
		r.Ports = append(r.Ports, port)
	}
	r.OSType = b.str(v.Prop("osType"))
	return r
}
