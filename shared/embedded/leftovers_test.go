package embedded

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// leftovers lists the files of the data directory's blobs that a finished
// run of album should not have left: work objects of the album, and
// temporary files.
func leftovers(t *testing.T, data, album string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(data, "blobs")
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.Contains(rel, "/work/"+album+"/") || strings.Contains(rel, ".tmp") {
			out = append(out, rel)
		}
		return nil
	}))
	return out
}
