package simulate

// Walk record events of the sources that are not NICs (see walkRecord),
// in the kinds walk.go leaves free.
const (
	// recSrcSecurity: a subnet source (bits 8–39, its index as
	// Engine.inSubnet numbers it) and direction (bits 0–7), then the
	// nsg.Verdict packed in the next word: the source's own outbound rules.
	recSrcSecurity = 9 << 56
	// recSrcPort: a destination port (bits 0–15) that a container
	// group's Trace names (Learn's unsupported ports).
	recSrcPort = 10 << 56
	// recSrcWay: which way a web app's settings send the flow (bits 0–7,
	// an appInto), which its Trace names.
	recSrcWay = 11 << 56
)
