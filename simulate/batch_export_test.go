package simulate

// BatchStateBytes returns the bytes of e's compact first-hop state
// (ClassifyBatch's), building it if need be, and how many of e's NICs it
// covers.
func BatchStateBytes(e *Engine) (bytes, covered int) {
	bs := e.batchState()
	for _, n := range bs.nics {
		if n.n > 0 {
			covered++
		}
	}
	return bs.size, covered
}
