package steps

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// Finding 1: an execution's input must not widen its album. Each attempt
// is refused as InvalidInput by the step that reads the prefix or key, and
// writes nothing.
func TestInputCannotWidenAnAlbum(t *testing.T) {
	ctx := context.Background()
	s, b := testSteps(t)
	put := putter(t, b)
	put("albums/faces/victim.jpg", "1")
	put("albums/thief/own.jpg", "2")
	put("albums/thief/2026/day1.jpg", "4")
	put("albums/thiefs/neighbour.jpg", "3")

	for _, prefix := range []string{
		"albums/faces/",            // another album
		"albums/",                  // every album
		"",                         // (the default: accepted, below)
		"albums/thief",             // would take albums/thiefs/ too
		"albums/thief/../faces/",   // climbs out
		"albums/thief/./",          // dot segment
		"albums/thief//",           // empty segment
		"/albums/thief/",           // absolute
		"faces/faces/default-1/",   // another album's face records
		"state/faces/",             // album state
		"work/faces/default-1/",    // work objects
		"ALBUMS/thief/",            // not the album's prefix
		"albums/thief/\x00/",       // NUL
		"albums/thief/sub/../../x", // climbs out from a sub-folder
	} {
		if prefix == "" {
			continue
		}
		t.Run("ListImages prefix "+prefix, func(t *testing.T) {
			_, err := s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "thief", Prefix: prefix}, ExecutionName: "x"})
			var bad *domain.InvalidInput
			require.ErrorAs(t, err, &bad)
			assert.Equal(t, "prefix", bad.Field)
			assert.Contains(t, bad.Reason, "albums/thief/")
			_, _, err = b.Get(ctx, names.ManifestKey("thief", "default-1", "x"))
			assert.True(t, isMissing(err), "no manifest written")
		})
		t.Run("Aggregate prefix "+prefix, func(t *testing.T) {
			_, err := s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "thief"},
				List: ListOutput{Prefix: prefix, Pack: "default", PackVersion: "default-1"}})
			var bad *domain.InvalidInput
			require.ErrorAs(t, err, &bad)
			_, _, err = b.Get(ctx, names.SummaryKey("thief", "default-1"))
			assert.True(t, isMissing(err), "no summary written")
		})
	}
	t.Run("ListImages: the album's own folder and a folder below it are fine", func(t *testing.T) {
		for _, prefix := range []string{"", "albums/thief/", "albums/thief/2026/"} {
			out, err := s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "thief", Prefix: prefix}, ExecutionName: "ok"})
			require.NoError(t, err, prefix)
			if prefix == "" {
				assert.Equal(t, 2, out.Total, "only the album's own photos, not albums/thiefs/")
			}
		}
	})
	t.Run("DetectFaces: a key of another album", func(t *testing.T) {
		for _, key := range []string{"albums/faces/victim.jpg", "albums/thiefs/neighbour.jpg", "albums/thief/../faces/victim.jpg", "albums/thief/", "faces/faces/default-1/x.json", ""} {
			_, err := s.Detect(ctx, DetectInput{AlbumID: "thief", Image: domain.Image{Key: key}})
			var bad *domain.InvalidInput
			require.ErrorAs(t, err, &bad, key)
			assert.Equal(t, "image.key", bad.Field)
		}
	})
	t.Run("EmbedFaces: a key of another album, or detections of another photo", func(t *testing.T) {
		_, err := s.Embed(ctx, EmbedInput{DetectInput: DetectInput{AlbumID: "thief", Image: domain.Image{Key: "albums/faces/victim.jpg"}},
			Detect: DetectOutput{FaceCount: 1, DetectionsKey: names.DetectionsKey("thief", "default-1", names.ImageID("albums/faces/victim.jpg"), "e")}})
		var bad *domain.InvalidInput
		require.ErrorAs(t, err, &bad)
		assert.Equal(t, "image.key", bad.Field)

		other := names.DetectionsKey("faces", "default-1", names.ImageID("albums/faces/victim.jpg"), "e")
		_, err = s.Embed(ctx, EmbedInput{DetectInput: DetectInput{AlbumID: "thief", Image: domain.Image{Key: "albums/thief/own.jpg"}},
			Detect: DetectOutput{FaceCount: 1, ETag: "e", DetectionsKey: other}})
		require.ErrorAs(t, err, &bad)
		assert.Equal(t, "detect.detectionsKey", bad.Field)
	})
}
