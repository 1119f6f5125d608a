package embedded

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/steps"
)

// forgedPNG is a PNG header claiming w x h pixels, with no pixels.
func forgedPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

// Finding 5: a photo refused for this deployment's limits (over the pixel
// budget; a forged header claiming 2^31 pixels) does not make the nightly
// job rerun its album every night: only new limits or a new version of the
// photo do.
func TestNightlyRetriesLimitRefusalsOnlyWhenSomethingChanged(t *testing.T) {
	src, _ := loadTruth(t)
	dir := makeAlbum(t, src, []string{"faces/Test3.jpg", "faces/t1.jpg"}) // t1: 1280x886, 1.13 MP
	require.NoError(t, os.WriteFile(filepath.Join(dir, "forged.png"), forgedPNG(1<<16, 1<<15), 0o644))
	data := t.TempDir()
	ctx := context.Background()
	night := func(n int) steps.ReprocessInput {
		return steps.ReprocessInput{ScheduledTime: time.Date(2026, 12, 1+n, 3, 0, 0, 0, time.UTC), DryRun: true}
	}

	p := open(t, data, Options{MaxPixels: 1_100_000})
	_, err := p.Import(ctx, "limits", dir)
	require.NoError(t, err)
	sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "limits"})
	require.NoError(t, err)
	require.Len(t, sum.Failed, 2)
	for _, f := range sum.Failed {
		assert.Equal(t, domain.ErrImageUnsupported, f.Error, f.Key)
	}
	for n := 1; n <= 3; n++ {
		out, err := p.Reprocess(ctx, night(n))
		require.NoError(t, err)
		assert.Empty(t, out.Started, "night %d: nothing changed", n)
		assert.Equal(t, 1, out.UpToDate)
	}
	again, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "limits"})
	require.NoError(t, err)
	assert.Equal(t, 0, again.Processed, "a run does not redo them either")
	assert.Len(t, again.Failed, 2, "and still reports them")
	require.NoError(t, p.Close())

	// A larger budget: both are worth trying again; t1 now fits.
	p = open(t, data, Options{MaxPixels: 2_000_000})
	out, err := p.Reprocess(ctx, night(4))
	require.NoError(t, err)
	require.Len(t, out.Started, 1)
	assert.Equal(t, "2 failed", out.Started[0].Reason)
	sum, _, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "limits"})
	require.NoError(t, err)
	assert.Equal(t, 2, sum.Processed)
	require.Len(t, sum.Failed, 1, "the forged header is over any budget")
	out, err = p.Reprocess(ctx, night(5))
	require.NoError(t, err)
	assert.Empty(t, out.Started)

	// A new version of the photo is tried again under the same limits.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "forged.png"), forgedPNG(1<<16, 1<<14), 0o644))
	_, err = p.Import(ctx, "limits", dir)
	require.NoError(t, err)
	out, err = p.Reprocess(ctx, night(6))
	require.NoError(t, err)
	require.Len(t, out.Started, 1)
	assert.Equal(t, "1 changed", out.Started[0].Reason)
}
