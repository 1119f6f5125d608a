package blob_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
)

func TestPutReader(t *testing.T) {
	ctx := context.Background()
	dir, err := blob.NewDir(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { dir.Close() })
	for name, b := range map[string]blob.Buckets{"dir": dir, "mem": blob.NewMem()} {
		t.Run(name, func(t *testing.T) {
			s, err := b.Bucket("bucket")
			require.NoError(t, err)
			body := bytes.Repeat([]byte("photo"), 100_000) // 500 KB: several buffers
			info, err := blob.PutReader(ctx, s, "albums/a/x.jpg", bytes.NewReader(body), blob.ETagOf(body))
			require.NoError(t, err)
			assert.Equal(t, blob.ETagOf(body), info.ETag)
			assert.EqualValues(t, len(body), info.Size)
			got, _, err := s.Get(ctx, "albums/a/x.jpg")
			require.NoError(t, err)
			assert.Equal(t, body, got)

			// A wrong checksum stores nothing and leaves the old content.
			_, err = blob.PutReader(ctx, s, "albums/a/x.jpg", strings.NewReader("other"), blob.ETagOf(body))
			assert.ErrorIs(t, err, blob.ErrChecksumMismatch)
			got, _, err = s.Get(ctx, "albums/a/x.jpg")
			require.NoError(t, err)
			assert.Equal(t, body, got)
		})
	}
}
