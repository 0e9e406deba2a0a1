package simulate

import "github.com/egresslab/egress/nsg"

// Stage is the security evaluation a [SecurityStep] reports: the security
// admin rules of Azure Virtual Network Manager, the NIC's NSG, the subnet's
// NSG, or an Azure Firewall's policy or classic rules. One enum covers them
// all, so that a denial, a finding or a what-if cause names its stage the
// same way.
//
// The zero value is [StageAdminRules]. Its text form ("AdminRules",
// "NicNSG", "SubnetNSG", "AzureFirewall") is what results print and what
// JSON holds.
type Stage uint8

// Stages, in the order an outbound flow meets them at a NIC (admin rules,
// then the NIC's NSG, then the subnet's; inbound: admin rules, subnet, NIC,
// https://learn.microsoft.com/azure/virtual-network/network-security-group-how-it-works),
// then a firewall on the path.
const (
	StageAdminRules Stage = Stage(nsg.StageAdmin)  // security admin rules (concept-security-admins)
	StageNicNSG     Stage = Stage(nsg.StageNIC)    // the network security group on the NIC
	StageSubnetNSG  Stage = Stage(nsg.StageSubnet) // the network security group on the subnet
	StageFirewall   Stage = 3                      // an Azure Firewall's policy or classic rule collections
	StageAllowList  Stage = 4                      // an AI services account's allowedFqdnList
	StagePerimeter  Stage = 5                      // a network security perimeter's outbound access rules
	numStages             = 6
)

var stageNames = [numStages]string{"AdminRules", "NicNSG", "SubnetNSG", "AzureFirewall", "AllowedFqdnList", "NetworkSecurityPerimeter"}

// nsgStage returns the Stage of one of package nsg's stages.
func nsgStage(s nsg.Stage) Stage { return Stage(s) }

// String returns the stage's name.
func (s Stage) String() string { return nameOf(stageNames[:], int(s), "Stage") }

// MarshalText implements [encoding.TextMarshaler].
func (s Stage) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements [encoding.TextUnmarshaler]; it accepts the names
// in any letter case.
func (s *Stage) UnmarshalText(b []byte) error {
	i, err := parseName(stageNames[:], b, "stage")
	if err == nil {
		*s = Stage(i)
	}
	return err
}
