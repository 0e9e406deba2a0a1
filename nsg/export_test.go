package nsg

// Test hooks for the fused NIC+subnet path (pair.go).

// VerdictPath returns c.Verdict(f) and whether the unrolled outbound path
// (fused when the NIC has two NSGs) answered.
func VerdictPath(c *Classifier, f Flow) (Verdict, bool) {
	fused := false
	testHookFast = func() { fused = true }
	defer func() { testHookFast = nil }()
	v := c.Verdict(f)
	return v, fused
}

// VerdictStaged returns the verdict of the stage-by-stage path, whatever the
// Classifier's fused tables.
func VerdictStaged(c *Classifier, f Flow) Verdict {
	u := &Classifier{nic: c.nic, addrs: c.addrs, groups: c.groups, bound: c.bound, boundM: c.boundM, scope: c.scope}
	v, fused := VerdictPath(u, f)
	if fused {
		panic("nsg: the unfused Classifier took the fused path")
	}
	return v
}

// HasPair reports whether c has fused NIC+subnet tables.
func HasPair(c *Classifier) bool { return c.pair != nil }

// SamePair reports whether c1 and c2 share one fused table.
func SamePair(c1, c2 *Classifier) bool { return c1.pair != nil && c1.pair == c2.pair }

// BuildPair builds, without the cache, the fused table of nic as the NIC's
// NSG and sub as the subnet's.
func BuildPair(nic, sub *Group) any {
	out := dirIndex(Outbound)
	return newPairTable(&nic.tables[out], &sub.tables[out])
}

// SharePartition reports whether g1 and g2 share the destination partition
// of their outbound tables (compiled with one Cache, naming the same sets).
func SharePartition(g1, g2 *Group) bool {
	out := dirIndex(Outbound)
	return g1.tables[out].dst.tbl == g2.tables[out].dst.tbl
}
