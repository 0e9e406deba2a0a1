package simulate

// ReferenceTrace is Trace with the reference twin's lookups: every compiled
// index (next-hop owners, egress choices) replaced by a scan of the model.
func ReferenceTrace(e *Engine, f Flow) (*Result, error) { return e.trace(f, true) }
