package arm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFileTooLarge: ParseFiles refuses a file larger than MaxInputSize by its
// size, before reading it (a sparse file).
func TestFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "export.json")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxInputSize+1))
	require.NoError(t, f.Close())
	_, err = ParseFiles(path)
	require.ErrorIs(t, err, ErrLimit)
	assert.EqualError(t, err, path+": input too large: larger than the limit of 268435456 bytes (256 MiB): 268435457 bytes")
}
