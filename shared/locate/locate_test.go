package locate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
}

func TestModuleRoot(t *testing.T) {
	top := t.TempDir()
	write(t, filepath.Join(top, "repo", "go.mod"), "module "+Module+"\n\ngo 1.26\n")
	write(t, filepath.Join(top, "repo", "vendor", "x", "go.mod"), "module example.com/other\n")
	root, ok := ModuleRoot(filepath.Join(top, "repo", "shared", "steps"))
	require.True(t, ok)
	assert.Equal(t, filepath.Join(top, "repo"), root)
	root, ok = ModuleRoot(filepath.Join(top, "repo", "vendor", "x", "y"))
	require.True(t, ok, "another module's go.mod is passed over")
	assert.Equal(t, filepath.Join(top, "repo"), root)
	_, ok = ModuleRoot(top)
	assert.False(t, ok)
}

// A folder named shared inside the checkout (the Go library), even one that
// has testdata/ or models/ of its own, is never the data directory: only
// ../shared beside the module root, recognised by a marker file.
func TestSharedDirNeedsModuleRootAndMarker(t *testing.T) {
	t.Setenv(names.EnvShared, "")
	top := t.TempDir()
	repo := filepath.Join(top, "repo")
	write(t, filepath.Join(repo, "go.mod"), "module "+Module+"\n")
	write(t, filepath.Join(repo, "shared", "states", "shared", "testdata", "truth.json"), "{}")
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "shared", "testdata"), 0o755))
	pkg := filepath.Join(repo, "shared", "states")
	t.Chdir(pkg)

	_, err := SharedDir()
	if err == nil {
		// The test binary's own directory may lie under a real checkout;
		// what matters is that the decoys inside this one are never chosen.
		d, _ := SharedDir()
		assert.NotContains(t, d, repo)
	}

	// With a marker beside the module root, that directory is found.
	write(t, filepath.Join(top, "shared", "models", "SHA256SUMS"), "")
	d, err := SharedDir()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(top, "shared"), d)
}

func TestSharedDirFromEnvironment(t *testing.T) {
	t.Setenv(names.EnvShared, "/somewhere")
	d, err := SharedDir()
	require.NoError(t, err)
	assert.Equal(t, "/somewhere", d)
}
