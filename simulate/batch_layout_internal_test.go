package simulate

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
)

// TestNICStateLayout: a nicState is a whole number of cache lines, so that
// the first-hop fields at its front share the lines of one NIC only.
func TestNICStateLayout(t *testing.T) {
	var st nicState
	assert.Zero(t, unsafe.Sizeof(st)%64, "sizeof(nicState) = %d: adjust nicPad", unsafe.Sizeof(st))
	assert.LessOrEqual(t, unsafe.Offsetof(st.unsure), uintptr(192), "the hot fields span more than three lines")
}

// TestBatchNICLayout: ClassifyBatch's per-NIC record is the 32 bytes its
// doc comment says, two to a cache line.
func TestBatchNICLayout(t *testing.T) {
	assert.Equal(t, uintptr(32), unsafe.Sizeof(batchNIC{}))
}
