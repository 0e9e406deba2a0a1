package simulate

// ReferenceTrace is Trace with the reference twin's lookups: every compiled
// index (next-hop owners, egress choices) replaced by a scan of the model.
func ReferenceTrace(e *Engine, f Flow) (*Result, error) { return e.trace(f, true) }

// DecidedBy names the rule that denied d, as Trace's DecidedBy does.
func DecidedBy(e *Engine, d Decision) string { return e.decidedBy(d) }
