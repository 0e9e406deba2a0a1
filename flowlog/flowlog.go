// Package flowlog reads Azure flow logs as Azure writes them to storage:
// virtual network flow logs (category FlowLogFlowEvent, flowLogVersion 4,
// https://learn.microsoft.com/azure/network-watcher/vnet-flow-logs-overview#log-format),
// network security group flow logs (category NetworkSecurityGroupFlowEvent,
// versions 1 and 2,
// https://learn.microsoft.com/azure/network-watcher/nsg-flow-logs-overview#log-format;
// retired for new deployments, still found in archives) and NAT gateway
// flow logs (category NatGatewayFlowlogsV1,
// https://learn.microsoft.com/azure/azure-monitor/reference/tables/natgatewayflowlogsv1).
//
// A [Reader] streams the flows of one blob (a PT1H.json file: an object
// whose "records" array holds the records, or a bare array of records) one
// at a time, record by record: its memory is bounded by the largest
// record, not the file. Parsing is done once per flow into a [Flow] the
// caller may keep by value; the reader reuses its buffers, so a run of
// flows allocates nothing. [ParsePath] reads the blob layout
// (…/y=/m=/d=/h=/m=00/macAddress=/PT1H.json) and [Walk] lists the blobs of
// a directory tree in a stable order.
//
// Bad input is an *[Error] naming the file, line and column, the record
// and the field; the reader stops at the first.
package flowlog

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/egresslab/egress/ipproto"
)

// Format is the kind of flow log a flow comes from.
type Format uint8

// Formats.
const (
	FormatUnknown Format = iota
	VNetV4               // virtual network flow log, flowLogVersion 4 (or 2, the same tuple layout)
	NSGV1                // NSG flow log version 1: tuples end after the decision
	NSGV2                // NSG flow log version 2: state and byte and packet counters
	NATGateway           // NAT gateway flow log (NatGatewayFlowlogsV1): source, destination and NAT gateway IP
	numFormats
)

var formatNames = [numFormats]string{"Unknown", "VNetFlowLogV4", "NSGFlowLogV1", "NSGFlowLogV2", "NATGatewayFlowLogV1"}

// String returns the format's name.
func (f Format) String() string {
	if f < numFormats {
		return formatNames[f]
	}
	return fmt.Sprintf("Format(%d)", uint8(f))
}

// Direction is a flow's direction at the NIC that logged it.
type Direction uint8

// Directions ("I" and "O" in the tuples).
const (
	DirUnknown Direction = iota // NAT gateway logs have no direction: outbound through the gateway
	Inbound
	Outbound
)

// String returns "Inbound", "Outbound" or "Unknown".
func (d Direction) String() string {
	switch d {
	case Inbound:
		return "Inbound"
	case Outbound:
		return "Outbound"
	}
	return "Unknown"
}

// Decision is what the NSG or admin rules decided for the flow at the
// NIC (VNet flow logs: state D is a denial; NSG flow logs: A or D).
type Decision uint8

// Decisions.
const (
	DecisionUnknown Decision = iota // NAT gateway logs record no decision
	Allowed
	Denied
)

// String returns "Allowed", "Denied" or "Unknown".
func (d Decision) String() string {
	switch d {
	case Allowed:
		return "Allowed"
	case Denied:
		return "Denied"
	}
	return "Unknown"
}

// State is a flow's state in its tuple.
type State uint8

// States: B begin, C continuing, E end, D denied (VNet flow logs only).
const (
	StateNone State = iota // NSG v1 and NAT gateway logs
	Begin
	Continuing
	End
	DeniedState
)

var stateNames = [...]string{"", "B", "C", "E", "D"}

// String returns the state's letter ("" for none).
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Flow is one flow tuple with what its record and group say about it.
// Strings point into the reader's buffers: they stay valid, as Go strings
// do, but are copies only where the field says so.
type Flow struct {
	Format Format
	// Time is the tuple's time stamp, in milliseconds since the Unix epoch
	// (NSG flow logs give seconds; the record's time for NAT gateway logs).
	Time             int64
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16 // zero when the log has none (NAT gateway logs)
	Proto            ipproto.Proto
	Direction        Direction
	Decision         Decision
	State            State
	// Encryption is a VNet flow log's encryption field (X, NX, NX_HW_NOT_SUPPORTED, ...).
	Encryption string
	// Counters: packets and bytes source to destination and back (deltas
	// since the flow's previous tuple in VNet flow logs); HasCounters is
	// false when the tuple leaves them empty (NSG v2 begin tuples, v1).
	PacketsSent, BytesSent, PacketsReceived, BytesReceived uint64
	HasCounters                                            bool
	// DroppedSent and DroppedReceived are a NAT gateway log's dropped
	// packet counts.
	DroppedSent, DroppedReceived uint64
	// NATGatewayIP is the public address a NAT gateway log saw the flow
	// leave from: the observed egress IP.
	NATGatewayIP netip.Addr
	// MAC is the logging NIC's MAC address as written (12 hex digits,
	// upper case); Rule the rule that decided ("DefaultRule_AllowInternetOutBound",
	// "UserRule_deny-smb-out"); ACL the VNet flow log's aclID (an NSG or
	// admin configuration; "unspecified" for encryption drops); Resource the
	// record's targetResourceID (VNet flow logs: the VNet, subnet or NIC
	// logged) or resourceId (NSG flow logs: the NSG; NAT logs: the gateway).
	MAC, Rule, ACL, Resource string
	// Record is the record's index in its file (0-based).
	Record int
}

// TimeUTC returns Time as a time.Time in UTC.
func (f *Flow) TimeUTC() time.Time { return time.UnixMilli(f.Time).UTC() }
