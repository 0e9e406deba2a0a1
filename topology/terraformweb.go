package topology

import (
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// App Service web and function apps of a Terraform plan or state, with the
// field semantics of Microsoft.Web/sites (armpaas.go). Attribute names are
// the azurerm provider's, verified against its schema at commit
// 69697b7fe6a923fc89e88f386bc95c3ed1ee2ec6 (v5.2.0-14;
// internal/services/appservice/{linux,windows}_{web,function}_app_resource.go,
// helpers' site_config schemas, and
// internal/services/web/app_service_virtual_network_swift_connection_resource.go):
//
//   - virtual_network_subnet_id: regional VNet integration (ARM
//     virtualNetworkSubnetId);
//   - site_config[0].vnet_route_all_enabled (ARM
//     siteConfig.vnetRouteAllEnabled);
//   - app_settings: WEBSITE_VNET_ROUTE_ALL, WEBSITE_CONTENTOVERVNET,
//     WEBSITE_PULL_IMAGE_OVER_VNET;
//   - outbound_ip_address_list and possible_outbound_ip_address_list
//     (computed; ARM outboundIpAddresses, possibleOutboundIpAddresses);
//   - public_network_access_enabled (ARM publicNetworkAccess);
//   - virtual_network_backup_restore_enabled (ARM
//     vnetBackupRestoreEnabled) and vnet_image_pull_enabled, spelled
//     virtual_network_image_pull_enabled on the Windows web app (ARM
//     vnetImagePullEnabled);
//   - kind (computed; else the resource type's: "app,linux", "app",
//     "functionapp,linux", "functionapp");
//   - azurerm_app_service_virtual_network_swift_connection: app_service_id,
//     subnet_id (the provider documents that it and the app's own
//     virtual_network_subnet_id are not to be used together).

// tfWebAppKinds are the ARM kinds of the app types, for an input whose
// computed kind is unknown.
var tfWebAppKinds = map[string]string{
	"azurerm_linux_web_app":        "app,linux",
	"azurerm_windows_web_app":      "app",
	"azurerm_linux_function_app":   "functionapp,linux",
	"azurerm_windows_function_app": "functionapp",
}

func (b *tfBuilder) webApp(r *tfRes) {
	app := &WebApp{Meta: b.meta(r), Kind: strOr(r, "kind"), Subnet: b.refAt(r, "virtual_network_subnet_id")}
	if app.Kind == "" {
		app.Kind = tfWebAppKinds[r.typ]
	}
	if v, st := r.at("public_network_access_enabled"); st == tfKnown {
		if on, ok := v.(bool); !ok {
			b.p.add(r.posAt("public_network_access_enabled"), r.addr, "public_network_access_enabled", "", ErrInvalid, "want true or false")
		} else if on {
			app.PublicNetworkAccess = "Enabled"
		} else {
			app.PublicNetworkAccess = "Disabled"
		}
	}
	if v, st := r.at("site_config", 0, "vnet_route_all_enabled"); st == tfKnown {
		x, ok := v.(bool)
		if !ok {
			b.p.add(r.posAt("site_config", 0, "vnet_route_all_enabled"), r.addr, "site_config[0].vnet_route_all_enabled", "", ErrInvalid, "want true or false")
		} else {
			app.Routing.SiteConfigVnetRouteAllEnabled = &x
		}
	} else if st == tfUnknown {
		b.unknownWarn(r, []any{"site_config", 0, "vnet_route_all_enabled"}, "the app's route-all setting is known after apply")
	}
	if settings, ok := r.vals["app_settings"].(map[string]any); ok {
		for _, k := range slices.Sorted(maps.Keys(settings)) { // deterministic when two keys differ in case only
			s, ok := settings[k].(string)
			if !ok {
				continue
			}
			switch strings.ToUpper(k) {
			case "WEBSITE_VNET_ROUTE_ALL":
				app.Routing.AppRouteAll = s
			case "WEBSITE_CONTENTOVERVNET":
				app.Routing.AppContentOverVNet = s
			case "WEBSITE_PULL_IMAGE_OVER_VNET":
				app.Routing.AppPullImageOverVNet = s
			}
		}
	}
	// The site's VNet routing flags (ARM vnetBackupRestoreEnabled,
	// vnetImagePullEnabled): virtual_network_backup_restore_enabled on all
	// four; the image pull flag is vnet_image_pull_enabled on the Linux
	// apps and the Windows function app, virtual_network_image_pull_enabled
	// on the Windows web app (internal/services/appservice/*_resource.go).
	app.Routing.VnetBackupRestoreEnabled = b.optBoolTF(r, "virtual_network_backup_restore_enabled")
	app.Routing.VnetImagePullEnabled = b.optBoolTF(r, "vnet_image_pull_enabled")
	if app.Routing.VnetImagePullEnabled == nil {
		app.Routing.VnetImagePullEnabled = b.optBoolTF(r, "virtual_network_image_pull_enabled")
	}
	app.OutboundIPs = b.ipListTF(r, "outbound_ip_address_list")
	app.PossibleOutboundIPs = b.ipListTF(r, "possible_outbound_ip_address_list")
	b.webs[app.ID.Key()] = app
	b.m.WebApps = append(b.m.WebApps, app)
}

// optBoolTF reads an optional flag: nil when absent; known after apply,
// nil with a warning.
func (b *tfBuilder) optBoolTF(r *tfRes, attr string) *bool {
	switch v, st := r.at(attr); st {
	case tfUnknown:
		b.unknownWarn(r, []any{attr}, "the app's setting is known after apply")
	case tfKnown:
		x, ok := v.(bool)
		if !ok {
			b.p.add(r.posAt(attr), r.addr, attr, "", ErrInvalid, "want true or false")
			return nil
		}
		return &x
	}
	return nil
}

// ipListTF reads a computed address list: nil when absent or known after
// apply (with a warning), else the addresses (an empty list is known).
func (b *tfBuilder) ipListTF(r *tfRes, attr string) []netip.Addr {
	switch _, st := r.at(attr); st {
	case tfUnknown:
		b.unknownWarn(r, []any{attr}, "the app's shared outbound addresses are known after apply")
		return nil
	case tfAbsent:
		return nil
	}
	out := b.addrs(r, attr)
	if out == nil {
		out = []netip.Addr{}
	}
	for i := range out {
		out[i] = out[i].Unmap()
	}
	return slices.Clip(out)
}

// swiftConnection maps an azurerm_app_service_virtual_network_swift_connection:
// the app's regional VNet integration. It is what Terraform applies, so it
// wins over the app's own virtual_network_subnet_id, with a warning when
// the two differ.
func (b *tfBuilder) swiftConnection(r *tfRes) {
	id := b.refAt(r, "app_service_id")
	if id.IsZero() {
		return
	}
	app := b.webs[id.Key()]
	if app == nil {
		b.p.add(r.posAt("app_service_id"), r.addr, "app_service_id", string(id), ErrDangling, "names a web or function app the input does not hold")
		return
	}
	app.Subnet = b.assocTarget(r, app.Subnet, "subnet_id")
}
