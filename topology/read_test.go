package topology

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endless is an input that never ends, as /dev/zero.
type endless struct{}

func (endless) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = ' '
	}
	return len(b), nil
}

// TestReadBounded: every input is read with a limit. A regular file is
// refused by its size before it is read; an endless input (a pipe,
// /dev/zero) after limit+1 bytes.
func TestReadBounded(t *testing.T) {
	_, err := readLimited("stdin", endless{}, 1<<20)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, "stdin: input too large: more than 1 MiB")

	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := readFile("/dev/zero", 1<<20)
		require.ErrorIs(t, err, ErrTooLarge)
		assert.EqualError(t, err, "/dev/zero: input too large: more than 1 MiB")
	}

	// A sparse file larger than the limit: refused from its size, unread.
	big := filepath.Join(t.TempDir(), "big.json")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxFileSize+1))
	require.NoError(t, f.Close())
	_, err = ReadFile(big)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, big+": input too large: more than 256 MiB (268435457 bytes)")
	_, err = LoadFiles(nil, big)
	assert.ErrorIs(t, err, ErrTooLarge)

	// Overlays are native YAML: MaxNativeSize.
	overlay := filepath.Join(t.TempDir(), "overlay.yaml")
	require.NoError(t, os.WriteFile(overlay, []byte("egress: overlay/v1\n"+strings.Repeat("#\n", MaxNativeSize/2)), 0o644))
	err = (&Model{}).ApplyOverlayFile(overlay)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "more than 16 MiB (16777235 bytes)")

	data, err := readLimited("small", strings.NewReader("egress: v1\n"), 11)
	require.NoError(t, err, "exactly the limit")
	assert.Equal(t, "egress: v1\n", string(data))
}

// TestNativeSize: a YAML document of more than MaxNativeSize bytes is
// refused before it is parsed.
func TestNativeSize(t *testing.T) {
	defer func(n int) { maxNativeSize = n }(maxNativeSize)
	maxNativeSize = 1 << 20
	doc := "egress: v1\nname: x\n" + strings.Repeat("#\n", 1<<19)
	_, err := ParseNative("big.yaml", []byte(doc))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, "big.yaml: input too large: more than 1 MiB of YAML (MaxNativeSize); larger networks load as ARM JSON")
	_, err = ParseNative("ok.yaml", []byte(doc[:1<<20]))
	require.NoError(t, err, "exactly the limit")
}
