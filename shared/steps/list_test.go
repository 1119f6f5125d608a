package steps

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

func TestListInputs(t *testing.T) {
	cases := []struct {
		name     string
		in       domain.AlbumInput
		bucket   string // the bucket the album is in
		want     ListOutput
		manifest string // the manifest's JSON
		err      string // the InvalidInput's field, when it fails
	}{
		{name: "the album's photos", in: domain.AlbumInput{AlbumID: "a"}, bucket: "photos",
			want:     ListOutput{Bucket: "photos", Prefix: "albums/a/", Total: 2, ToProcess: 2, PhotosPerChild: 1, ToleratedFailures: 1},
			manifest: `[{"key":"albums/a/sub/x.jpg","etag":"e","imageId":"i","size":1},{"key":"albums/a/y.jpg","etag":"e","imageId":"i","size":1}]`},
		{name: "under a prefix", in: domain.AlbumInput{AlbumID: "a", Prefix: "albums/a/sub/"}, bucket: "photos",
			want:     ListOutput{Bucket: "photos", Prefix: "albums/a/sub/", Total: 1, ToProcess: 1, PhotosPerChild: 1, ToleratedFailures: 0},
			manifest: `[{"key":"albums/a/sub/x.jpg","etag":"e","imageId":"i","size":1}]`},
		{name: "in another bucket", in: domain.AlbumInput{AlbumID: "a", Bucket: "event-2026"}, bucket: "event-2026",
			want:     ListOutput{Bucket: "event-2026", Prefix: "albums/a/", Total: 2, ToProcess: 2, PhotosPerChild: 1, ToleratedFailures: 1},
			manifest: `[{"key":"albums/a/sub/x.jpg","etag":"e","imageId":"i","size":1},{"key":"albums/a/y.jpg","etag":"e","imageId":"i","size":1}]`},
		{name: "bad album id", in: domain.AlbumInput{AlbumID: "-a"}, err: "albumId"},
		{name: "unknown pack", in: domain.AlbumInput{AlbumID: "a", Pack: "nope"}, err: "pack"},
		{name: "absolute prefix", in: domain.AlbumInput{AlbumID: "a", Prefix: "/albums/a/"}, err: "prefix"},
		{name: "prefix climbing out", in: domain.AlbumInput{AlbumID: "a", Prefix: "albums/a/../b/"}, err: "prefix"},
		{name: "bad bucket name", in: domain.AlbumInput{AlbumID: "a", Bucket: "Not A Bucket"}, err: "bucket"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := testSteps(t)
			ctx := context.Background()
			if c.bucket != "" {
				b, err := s.Blobs.Bucket(c.bucket)
				require.NoError(t, err)
				put := putter(t, b)
				put("albums/a/y.jpg", "y")
				put("albums/a/sub/x.jpg", "x")
				put("albums/ab/z.jpg", "not album a")
			}
			out, err := s.List(ctx, ListInput{Input: c.in, ExecutionName: "run-1", MaxConcurrency: 2, ToleratedFailurePercentage: 50})
			if c.err != "" {
				var bad *domain.InvalidInput
				require.ErrorAs(t, err, &bad)
				assert.Equal(t, c.err, bad.Field)
				return
			}
			require.NoError(t, err)
			want := c.want
			want.ManifestBucket, want.Pack, want.PackVersion, want.StartedAt = c.bucket, "default", "default-1", s.now()
			want.ManifestKey = names.ManifestKey(c.in.AlbumID, "default-1", "run-1")
			assert.Equal(t, want, out)
			b, err := s.Blobs.Bucket(c.bucket)
			require.NoError(t, err)
			var items []domain.Image
			require.NoError(t, getJSON(ctx, b, out.ManifestKey, &items))
			for i := range items { // ids and ETags are checked elsewhere
				assert.Equal(t, names.ImageID(items[i].Key), items[i].ImageID)
				items[i].ETag, items[i].ImageID = "e", "i"
			}
			assert.JSONEq(t, c.manifest, mustJSON(t, items))
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}
