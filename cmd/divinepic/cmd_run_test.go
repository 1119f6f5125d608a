package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
)

// A crafted file name never reaches the terminal raw (finding 3): the
// summary names it escaped, with why it was left out, and --json has it.
func TestRunShowsLeftOutFilesSafely(t *testing.T) {
	src, tr := loadTruthForServe(t)
	album := t.TempDir()
	copyPhotos(t, src, album, tr, "faces/Test3.jpg")
	body, err := os.ReadFile(filepath.Join(album, "Test3.jpg"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(album, "x\x1b]0;owned\x07\x1b[2J.jpg"), body, 0o644))
	require.NoError(t, os.Symlink("/etc/hostname", filepath.Join(album, "host.jpg")))
	data := t.TempDir()

	var out, errOut bytes.Buffer
	require.Equal(t, 0, dispatch([]string{"run", album, "--album", "safe", "--data", data, "--quiet"}, &out, &errOut), errOut.String())
	assert.NotContains(t, out.String()+errOut.String(), "\x1b", "no escape sequence reaches the terminal")
	assert.NotContains(t, out.String()+errOut.String(), "\x07")
	assert.Contains(t, out.String(), `left out: x\x1b]0;owned\a\x1b[2J.jpg: the name cannot be stored`)
	assert.Contains(t, out.String(), "left out: host.jpg: a link to a file outside the album's folder")
	assert.Contains(t, out.String(), "left out   2")

	out.Reset()
	require.Equal(t, 0, dispatch([]string{"run", album, "--album", "safe", "--data", data, "--quiet", "--json"}, &out, &errOut), errOut.String())
	var sum domain.Summary
	require.NoError(t, json.Unmarshal(out.Bytes(), &sum))
	assert.Len(t, sum.LeftOut, 2)
}
