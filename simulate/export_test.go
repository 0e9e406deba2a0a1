package simulate

// ReferenceTrace is Trace with the reference twin's lookups: every compiled
// index (next-hop owners, egress choices) replaced by a scan of the model.
func ReferenceTrace(e *Engine, f Flow) (*Result, error) { return e.trace(f, true) }

// ReferenceTraceFrom is TraceFrom with the reference lookups, for web apps
// and container groups.
func ReferenceTraceFrom(e *Engine, s Source, f Flow) (*Result, error) {
	switch s.kind {
	case SourceWebApp:
		return e.traceApp(s.i, f, true, false)
	case SourceContainerGroup:
		return e.traceInjected(s.i, f, true)
	}
	return e.TraceFrom(s, f)
}

// DecidedBy names the rule that denied d, as Trace's DecidedBy does.
func DecidedBy(e *Engine, d Decision) string { return e.decidedBy(d) }

// ReachHostEvery is ReachHost walking every atomic class: no row is reused
// by signature.
func ReachHostEvery(e *Engine, h NIC, host string) *EgressMap { return e.reachHost(h, host, false) }

// AuditWithoutSharing is Audit with every NIC's egress map built by
// Reach, one by one (auditMaps's slow twin).
func AuditWithoutSharing(e *Engine) *AuditReport { return e.audit(nil, false) }
