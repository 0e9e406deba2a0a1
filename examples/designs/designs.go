// Package designs embeds the example network designs shipped with egress,
// in the native YAML format (see package topology).
package designs

import _ "embed"

// HubSpoke is the default design: a regulated hub-and-spoke network in East
// US with an Azure Firewall hub, spokes forced through it by UDRs, a NAT
// gateway, a private subnet with a private endpoint, a VPN gateway with BGP
// routes and a globally peered partner network. Every egress CLI verb runs on
// it when no --topology is given.
//
//go:embed hubspoke.yaml
var HubSpoke []byte

// HubSpokeFile is the file name HubSpoke is reported under in messages.
const HubSpokeFile = "hubspoke.yaml"
