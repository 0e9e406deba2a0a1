package simulate

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/egresslab/egress/ipproto"
	"github.com/egresslab/egress/nsg"
)

// Probe is one flow an audit check sends: a protocol and a destination
// port, named after the service that commonly uses it.
type Probe struct {
	Service  string        `json:"service"` // "HTTPS", "SSH", ...
	Protocol ipproto.Proto `json:"protocol"`
	Port     uint16        `json:"port"`
}

// String returns the probe as "Tcp/443 (HTTPS)".
func (p Probe) String() string { return fmt.Sprintf("%v/%d (%s)", p.Protocol, p.Port, p.Service) }

// ProbeSet is what the audit checks that probe send: one public address and
// a few protocol/port pairs per direction. It is a sample, not a proof: a
// check that probes says which of these flows showed the finding, and never
// more ("reaches the internet on 8 of the 8 probed flows to 52.0.0.1", not
// "on any port"); ports and addresses outside the set may be treated
// differently by a narrower route or rule.
type ProbeSet struct {
	// Internet stands for the internet: the destination of outbound probes
	// and the source of inbound ones.
	Internet netip.Addr `json:"internetAddress"`
	// Outbound probes leave the NIC for Internet (direct-internet; the first
	// one, HTTPS, also decides default-outbound-access and
	// unstable-egress-ip).
	Outbound []Probe `json:"outbound"`
	// Inbound probes arrive at the NIC from Internet
	// (nsg-allows-internet-inbound, vnet-tag-widened).
	Inbound []Probe `json:"inbound"`
}

// AuditProbes returns the probe set of [Engine.Audit] (a fresh copy):
//
//   - Internet 52.0.0.1, a public IPv4 address outside every private and
//     reserved range (so in the Internet tag of any VNet that does not use
//     it as address space).
//   - Outbound: Tcp/443 (HTTPS), Tcp/80 (HTTP), Tcp/22 (SSH), Tcp/25 (SMTP),
//     Tcp/445 (SMB), Tcp/3389 (RDP), Udp/53 (DNS), Udp/123 (NTP): the common
//     egress services, and the ones data-egress controls usually single out.
//   - Inbound: Tcp/22 (SSH), Tcp/3389 (RDP) and Udp/3389 (RDP over UDP), the
//     remote-management ports that
//     https://learn.microsoft.com/azure/security/fundamentals/network-best-practices#disable-rdpssh-access-to-virtual-machines
//     asks to close to the internet.
func AuditProbes() ProbeSet {
	return ProbeSet{
		Internet: netip.AddrFrom4([4]byte{52, 0, 0, 1}),
		Outbound: []Probe{{"HTTPS", ipproto.TCP, 443}, {"HTTP", ipproto.TCP, 80}, {"SSH", ipproto.TCP, 22}, {"SMTP", ipproto.TCP, 25},
			{"SMB", ipproto.TCP, 445}, {"RDP", ipproto.TCP, 3389}, {"DNS", ipproto.UDP, 53}, {"NTP", ipproto.UDP, 123}},
		Inbound: []Probe{{"SSH", ipproto.TCP, 22}, {"RDP", ipproto.TCP, 3389}, {"RDP", ipproto.UDP, 3389}},
	}
}

// ProbeResult is what one probe showed at the representative NIC of a
// finding.
type ProbeResult struct {
	Probe
	Direction nsg.Direction `json:"direction"`
	// Address is the remote end: the destination of an outbound probe, the
	// source of an inbound one.
	Address netip.Addr `json:"address"`
	// Verdict is the flow's verdict: the whole path for direct-internet, the
	// NIC's security rules alone (Allowed or Denied) for the NSG checks.
	Verdict Verdict `json:"verdict"`
	// Method is how an outbound probe leaves, for direct-internet.
	Method Method `json:"egressMethod,omitempty"`
	// Open reports that the probe shows the finding: it reaches the internet
	// without an appliance (direct-internet), or the rule in question admits
	// it (nsg-allows-internet-inbound, vnet-tag-widened).
	Open bool `json:"open"`
	// Note says what decided, or under which condition the probe is open.
	Note string `json:"note,omitempty"`
}

// labels renders probes as "Tcp/443 (HTTPS), Udp/53 (DNS)".
func labels(ps []Probe) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}
