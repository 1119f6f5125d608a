package vectors

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Each crash's torn tail is kept, but only the newest keptTails of an
// index: one per crash would pile up. Another index's tails stay.
func TestKeepTailKeepsTheNewest(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "faces-a"+logExt)
	require.NoError(t, os.WriteFile(log, []byte("header and a torn record"), 0o644))
	other := filepath.Join(dir, "faces-b"+logExt+".tail-20260101T000000.000000000Z")
	require.NoError(t, os.WriteFile(other, []byte("b's"), 0o644))
	f, err := os.Open(log)
	require.NoError(t, err)
	defer f.Close()
	var names []string
	for i := 0; i < keptTails+3; i++ {
		name, err := keepTail(f, dir, "faces-a", 13, 24)
		require.NoError(t, err)
		names = append(names, name)
	}
	left, err := filepath.Glob(filepath.Join(dir, "faces-a"+logExt+".tail-*"))
	require.NoError(t, err)
	var got []string
	for _, p := range left {
		got = append(got, filepath.Base(p))
	}
	assert.Equal(t, names[len(names)-keptTails:], got, "the newest, in order")
	body, err := os.ReadFile(filepath.Join(dir, got[0]))
	require.NoError(t, err)
	assert.Equal(t, "torn record", string(body))
	assert.FileExists(t, other)
}
