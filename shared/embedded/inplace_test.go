package embedded

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/cameraphoto"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/names"
)

// noPhotoCopies fails when any file of the data directory is as large as a
// camera photo or holds the content of one.
func noPhotoCopies(t *testing.T, data string, photos []string) {
	t.Helper()
	sums := map[string]string{}
	for _, p := range photos {
		if body, err := os.ReadFile(p); err == nil {
			sums[blob.ETagOf(body)] = p
		}
	}
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		if d.Type().IsRegular() {
			fi, err := d.Info()
			require.NoError(t, err)
			if !strings.HasPrefix(d.Name(), execstore.FileName) { // the executions' histories grow with the album
				require.Less(t, fi.Size(), int64(1<<20), "%s: a photo-sized file in the data directory", path)
			}
			body, err := os.ReadFile(path)
			require.NoError(t, err)
			require.NotContains(t, sums, blob.ETagOf(body), "%s is a copy of a photo", path)
		}
		return nil
	})
	require.NoError(t, err)
	require.NoDirExists(t, filepath.Join(data, "blobs", "divinepic", "albums"))
}

// TestInPlaceCameraAlbum: `run DIR` on 40 camera-sized photos reads them
// where they are (no copy in the data directory, a thumbnail each), and
// reruns skip unchanged photos (touched ones too) and redo changed and new
// ones, as with copies; a new process finds the folder again; a moved
// folder fails the album until it is indexed where it is now; --copy and
// back leave no copy.
func TestInPlaceCameraAlbum(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "wedding")
	photos, err := cameraphoto.WriteAlbum(dir, 40, cameraphoto.AlbumOptions{Distinct: 4})
	require.NoError(t, err)
	data := t.TempDir()
	ctx := context.Background()
	p := open(t, data, Options{})

	imp, err := p.IndexInPlace(ctx, "cam", dir)
	require.NoError(t, err)
	assert.Equal(t, ImportResult{InPlace: 40}, imp)
	first, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cam"})
	require.NoError(t, err)
	require.Equal(t, 40, first.Processed)
	require.Empty(t, first.Failed)
	require.Positive(t, first.Faces)
	noPhotoCopies(t, data, photos)

	// One thumbnail a photo, upright (IMG_0003 is a portrait: orientation 6).
	for i, name := range []string{"IMG_0001.JPG", "IMG_0003.JPG"} {
		body, _, err := p.Bucket.Get(ctx, names.ThumbnailKey("cam", names.ImageID(names.AlbumPrefix("cam")+name)))
		require.NoError(t, err)
		_, w, h, _, err := imaging.DecodeConfig(body)
		require.NoError(t, err)
		want := [2]int{512, 341}
		if i == 1 {
			want = [2]int{341, 512}
		}
		assert.Equal(t, want, [2]int{w, h}, name)
	}
	thumbs := 0
	require.NoError(t, p.Bucket.List(ctx, "thumbs/cam/", func(blob.Info) error { thumbs++; return nil }))
	assert.Equal(t, 40, thumbs)

	again, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cam"})
	require.NoError(t, err)
	assert.Equal(t, 0, again.Processed)
	assert.Equal(t, 40, again.Skipped)

	// Touched (same content): skipped. Changed: redone. Deleted: its
	// faces and thumbnail go. New: done.
	later := time.Now().Add(time.Minute)
	require.NoError(t, os.Chtimes(photos[0], later, later))
	body, err := os.ReadFile(photos[1])
	require.NoError(t, err)
	changed, err := cameraphoto.Retime(body, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(photos[1], changed, 0o644))
	require.NoError(t, os.Remove(photos[3]))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "IMG_0041.JPG"), changed, 0o644))
	next, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cam"})
	require.NoError(t, err)
	assert.Equal(t, 2, next.Processed, "the changed photo and the new one")
	assert.Equal(t, 38, next.Skipped, "the touched photo among them")
	assert.Equal(t, 40, next.Images)
	assert.Positive(t, next.Removed, "IMG_0004's faces")
	_, err = p.Bucket.Head(ctx, names.ThumbnailKey("cam", names.ImageID(names.AlbumPrefix("cam")+"IMG_0004.JPG")))
	assert.Error(t, err, "the deleted photo's thumbnail is gone")
	recs, err := p.Faces(ctx, "cam", "default-1")
	require.NoError(t, err)
	assert.Len(t, recs, 40)
	assert.Equal(t, expectedKeys(recs), vectorKeys(t, p, "cam", "default-1"))
	faces := next.Faces
	p.Close()

	// Another process over the same data directory reads the same folder.
	p = open(t, data, Options{})
	s, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cam"})
	require.NoError(t, err)
	assert.Equal(t, 40, s.Skipped)

	// The folder moves: the album fails, saying so, and loses nothing;
	// indexed where it is now, nothing is redone.
	moved := dir + "-moved"
	require.NoError(t, os.Rename(dir, moved))
	_, _, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cam"})
	require.ErrorContains(t, err, "is gone")
	assert.Equal(t, expectedKeys(recs), vectorKeys(t, p, "cam", "default-1"))
	_, err = p.IndexInPlace(ctx, "cam", moved)
	require.NoError(t, err)
	s, _, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cam"})
	require.NoError(t, err)
	assert.Equal(t, 40, s.Skipped)
	assert.Equal(t, faces, s.Faces)

	// --copy copies (the other tests run copied albums); in place again,
	// the copies go and nothing is redone.
	imp, err = p.Import(ctx, "cam", moved)
	require.NoError(t, err)
	assert.Equal(t, 40, imp.Copied)
	require.DirExists(t, filepath.Join(data, "blobs", "divinepic", "albums", "cam"))
	imp, err = p.IndexInPlace(ctx, "cam", moved)
	require.NoError(t, err)
	assert.Equal(t, ImportResult{InPlace: 40, Removed: 40}, imp)
	s, _, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cam"})
	require.NoError(t, err)
	assert.Equal(t, 40, s.Skipped)
	var now []string
	for _, ph := range photos {
		now = append(now, filepath.Join(moved, filepath.Base(ph)))
	}
	noPhotoCopies(t, data, now)
}
