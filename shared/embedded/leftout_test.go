package embedded

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
)

// hostileAlbum is a folder with one good photo, one link to it, and every
// kind of file that cannot be a photo of the album.
func hostileAlbum(t *testing.T) string {
	t.Helper()
	src, _ := loadTruth(t)
	dir := makeAlbum(t, src, []string{"faces/Test3.jpg"})
	photo := filepath.Join(dir, "faces", "Test3.jpg")
	body, err := os.ReadFile(photo)
	require.NoError(t, err)
	for _, name := range []string{"evil\x1b]0;owned\x07\x1b[2J.jpg", "bad\xffname.jpg"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), body, 0o644))
	}
	huge, err := os.Create(filepath.Join(dir, "huge.jpg"))
	require.NoError(t, err)
	require.NoError(t, huge.Truncate(steps.MaxPhotoBytes+1)) // sparse: nothing is written
	require.NoError(t, huge.Close())
	outside := filepath.Join(t.TempDir(), "secret.jpg")
	require.NoError(t, os.WriteFile(outside, body, 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "outside.jpg")))
	require.NoError(t, os.Symlink("/nonexistent/x.jpg", filepath.Join(dir, "dangling.jpg")))
	require.NoError(t, os.Symlink(filepath.Join("faces", "Test3.jpg"), filepath.Join(dir, "inside.jpg")))
	require.NoError(t, os.Symlink("faces", filepath.Join(dir, "folder-link")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.jpg"), 0o644))
	return dir
}

// Finding 3: every file left out is in the summary (and so in --json and
// the pages), counted in the execution's output (the API), with its reason
// and a name safe to print; a link inside the album is followed.
func TestEveryLeftOutFileIsReported(t *testing.T) {
	dir := hostileAlbum(t)
	ctx := context.Background()
	p := open(t, t.TempDir(), Options{})
	imp, err := p.Import(ctx, "hostile", dir)
	require.NoError(t, err)
	assert.Equal(t, 2, imp.Copied, "the photo, and the link to it inside the album")

	sum, x, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "hostile"})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Images)
	got := map[string]string{}
	for _, l := range sum.LeftOut {
		got[l.Name] = l.Reason
	}
	assert.Equal(t, map[string]string{
		`evil\x1b]0;owned\a\x1b[2J.jpg`: "the name cannot be stored: it has control characters, is not valid UTF-8 or is too long",
		`bad\xffname.jpg`:               "the name cannot be stored: it has control characters, is not valid UTF-8 or is too long",
		"huge.jpg":                      "200 MB, over the 200 MB a photo may have",
		"outside.jpg":                   "a link to a file outside the album's folder",
		"dangling.jpg":                  "a link to nothing (its target does not exist)",
		"folder-link":                   "a link to a folder (the folder's photos are imported where they are)",
		"pipe.jpg":                      "not a regular file (a FIFO, socket or device)",
	}, got)
	for _, l := range sum.LeftOut {
		assert.Equal(t, l.Name, names.Printable(l.Name), "printable as it is")
	}
	assert.Contains(t, string(x.Output()), `"leftOut":7`, "the execution's output, as DescribeExecution shows it")

	// Fixed on disk: the next import and run say nothing is left out.
	for _, n := range []string{"evil\x1b]0;owned\x07\x1b[2J.jpg", "bad\xffname.jpg", "huge.jpg", "outside.jpg", "dangling.jpg", "folder-link", "pipe.jpg"} {
		require.NoError(t, os.Remove(filepath.Join(dir, n)))
	}
	_, err = p.Import(ctx, "hostile", dir)
	require.NoError(t, err)
	sum, _, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "hostile"})
	require.NoError(t, err)
	assert.Empty(t, sum.LeftOut)
}
