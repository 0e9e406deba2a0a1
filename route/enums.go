package route

import (
	"fmt"
	"strings"
)

// NextHopType is where a route sends matching traffic, spelled as Azure's
// effective-routes API spells it.
//
// The zero value is [NextHopInvalid], which no route ever has.
type NextHopType uint8

// Next-hop types. The first six can be set on a user-defined route
// ([VirtualApplianceEcmp] since api-version 2026-01-01); the others appear only
// on system routes, as `az network nic show-effective-route-table` prints them.
const (
	NextHopInvalid                NextHopType = iota // not a next hop: the zero value
	VnetLocal                                        // within the virtual network ("Virtual network" in the portal)
	Internet                                         // to the internet (Azure services stay on the backbone)
	VirtualAppliance                                 // to one IP address: an NVA, an Azure Firewall or an internal load balancer
	VirtualApplianceEcmp                             // to 2..64 appliance IP addresses, equal cost (api-version 2026-01-01)
	VirtualNetworkGateway                            // to the VPN/ExpressRoute gateway, or an NVA advertising through Route Server
	None                                             // drop the traffic
	VNetPeering                                      // to a regionally peered virtual network (system route)
	VNetGlobalPeering                                // to a globally peered virtual network (system route)
	VirtualNetworkServiceEndpoint                    // to a service through its service endpoint (system route)
	InterfaceEndpoint                                // to a private endpoint's /32 (system route)
	ConnectedGroup                                   // to a member of an AVNM connected group (system route)
	numNextHopTypes
)

var nextHopNames = [numNextHopTypes]string{
	NextHopInvalid:                "Invalid",
	VnetLocal:                     "VnetLocal",
	Internet:                      "Internet",
	VirtualAppliance:              "VirtualAppliance",
	VirtualApplianceEcmp:          "VirtualApplianceEcmp",
	VirtualNetworkGateway:         "VirtualNetworkGateway",
	None:                          "None",
	VNetPeering:                   "VNetPeering",
	VNetGlobalPeering:             "VNetGlobalPeering",
	VirtualNetworkServiceEndpoint: "VirtualNetworkServiceEndpoint",
	InterfaceEndpoint:             "InterfaceEndpoint",
	ConnectedGroup:                "ConnectedGroup",
}

// nextHopAliases are other spellings of the same next hops found in Azure's
// tools: the portal's words and the classic (ASM) names, per
// https://learn.microsoft.com/azure/virtual-network/virtual-networks-udr-overview
var nextHopAliases = map[string]NextHopType{
	"virtualnetwork":          VnetLocal,
	"virtual network":         VnetLocal,
	"vnetlocal":               VnetLocal,
	"vpngateway":              VirtualNetworkGateway,
	"virtual network gateway": VirtualNetworkGateway,
	"virtual appliance":       VirtualAppliance,
	"null":                    None,
	"virtualnetworkpeering":   VNetPeering,
}

// String returns the effective-routes spelling, e.g. "VnetLocal".
func (t NextHopType) String() string {
	if t < numNextHopTypes {
		return nextHopNames[t]
	}
	return fmt.Sprintf("NextHopType(%d)", uint8(t))
}

// IsValid reports whether t is one of the defined next-hop types other than
// [NextHopInvalid].
func (t NextHopType) IsValid() bool { return t > NextHopInvalid && t < numNextHopTypes }

// IsUserSettable reports whether a user-defined route may use t.
func (t NextHopType) IsUserSettable() bool { return t >= VnetLocal && t <= None }

// HasIPs reports whether routes of this type carry next-hop IP addresses in
// their definition (the appliance types). Gateway and Route Server routes
// carry them too, but as learned, not as configured, values.
func (t NextHopType) HasIPs() bool { return t == VirtualAppliance || t == VirtualApplianceEcmp }

// MarshalText implements [encoding.TextMarshaler].
func (t NextHopType) MarshalText() ([]byte, error) {
	if !t.IsValid() {
		return nil, fmt.Errorf("route: cannot marshal %v", t)
	}
	return []byte(t.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler]. It accepts the API
// spellings case-insensitively and the portal and classic aliases ("Virtual
// network", "VPNGateway", "Null").
func (t *NextHopType) UnmarshalText(b []byte) error {
	v, err := ParseNextHopType(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// ParseNextHopType parses a next-hop type name; see [NextHopType.UnmarshalText].
func ParseNextHopType(s string) (NextHopType, error) {
	for i := VnetLocal; i < numNextHopTypes; i++ {
		if strings.EqualFold(nextHopNames[i], s) {
			return i, nil
		}
	}
	if v, ok := nextHopAliases[strings.ToLower(s)]; ok {
		return v, nil
	}
	return NextHopInvalid, fmt.Errorf("unknown next hop type %q", s)
}

// Source is who created a route, as the effective-routes API reports it.
//
// The zero value is [SourceUnknown].
type Source uint8

// Route sources.
const (
	SourceUnknown Source = iota // "Unknown": the zero value
	SourceDefault               // "Default": a system route
	SourceUser                  // "User": a user-defined route from the subnet's route table
	SourceGateway               // "VirtualNetworkGateway": learned from a gateway or Route Server
	numSources
)

var sourceNames = [numSources]string{"Unknown", "Default", "User", "VirtualNetworkGateway"}

// String returns the API spelling, e.g. "VirtualNetworkGateway".
func (s Source) String() string {
	if s < numSources {
		return sourceNames[s]
	}
	return fmt.Sprintf("Source(%d)", uint8(s))
}

// MarshalText implements [encoding.TextMarshaler].
func (s Source) MarshalText() ([]byte, error) {
	if s >= numSources {
		return nil, fmt.Errorf("route: cannot marshal %v", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler], case-insensitively.
func (s *Source) UnmarshalText(b []byte) error {
	for i := range numSources {
		if strings.EqualFold(sourceNames[i], string(b)) {
			*s = i
			return nil
		}
	}
	return fmt.Errorf("unknown route source %q", b)
}

// State says whether a route is used: [Active], or [Invalid] because another
// route for the same destination takes precedence.
//
// The zero value is [Active].
type State uint8

// Route states.
const (
	Active  State = iota // the route is used for its prefixes
	Invalid              // another route takes precedence; listed, never used
)

// String returns "Active" or "Invalid".
func (s State) String() string {
	switch s {
	case Active:
		return "Active"
	case Invalid:
		return "Invalid"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// MarshalText implements [encoding.TextMarshaler].
func (s State) MarshalText() ([]byte, error) {
	if s > Invalid {
		return nil, fmt.Errorf("route: cannot marshal %v", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText implements [encoding.TextUnmarshaler], case-insensitively.
func (s *State) UnmarshalText(b []byte) error {
	switch strings.ToLower(string(b)) {
	case "active":
		*s = Active
	case "invalid":
		*s = Invalid
	default:
		return fmt.Errorf("unknown route state %q", b)
	}
	return nil
}
