package steps

import (
	"context"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
)

// goldenResults stores the ResultWriter golden files of shared/states (AWS's
// documented manifest.json and SUCCEEDED_0.json, for the ProcessImages Map
// of two photos) where the manifest says they are, and returns where the
// Map's result is.
func goldenResults(t *testing.T, s *Steps) *MapResult {
	t.Helper()
	dir := filepath.Join("..", "states", "testdata", "resultwriter")
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	require.NoError(t, err)
	var man states.ResultManifest
	require.NoError(t, json.Unmarshal(raw, &man))
	b, err := s.Blobs.Bucket(man.DestinationBucket)
	require.NoError(t, err)
	key := path.Dir(man.ResultFiles.Succeeded[0].Key) + "/manifest.json"
	putter(t, b)(key, string(raw))
	succ, err := os.ReadFile(filepath.Join(dir, "SUCCEEDED_0.json"))
	require.NoError(t, err)
	putter(t, b)(man.ResultFiles.Succeeded[0].Key, string(succ))
	return &MapResult{ResultBucket: man.DestinationBucket, ResultKey: key}
}

func TestReadMapResultsOfTheGoldenFiles(t *testing.T) {
	s, _ := testSteps(t)
	got, err := s.readMapResults(context.Background(), goldenResults(t, s))
	require.NoError(t, err)
	assert.Equal(t, map[string]domain.ItemResult{
		names.ImageID("albums/a/IMG_0001.jpg"): {Image: "albums/a/IMG_0001.jpg", ETag: "3869e791589a5b0977b5c4edf3c53ef7", Status: domain.StatusDone, Faces: 2},
		names.ImageID("albums/a/IMG_0002.jpg"): {Image: "albums/a/IMG_0002.jpg", ETag: "672992cb81de1c5f92bb372022f104c6", Status: domain.StatusNoFaces},
	}, got)

	_, err = s.readMapResults(context.Background(), &MapResult{ResultBucket: "elsewhere", ResultKey: "results/ad9b5f27-090b-3ac6-9beb-243cd77144a7/manifest.json"})
	var missing *domain.ObjectMissing
	assert.ErrorAs(t, err, &missing, "the manifest is looked for in the bucket the Map said")
}

// Aggregate over the golden files: the photo with two faces is put from its
// face record, the one with none is counted.
func TestAggregateOfTheGoldenFiles(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	put := putter(t, b)
	put("albums/a/IMG_0001.jpg", "one")
	put("albums/a/IMG_0002.jpg", "two")
	id := names.ImageID("albums/a/IMG_0001.jpg")
	emb := make([]float32, 512)
	emb[1] = 1
	require.NoError(t, putJSON(ctx, b, names.RecordKey("a", "default-1", id), domain.FaceRecord{AlbumID: "a", ImageID: id,
		Key: "albums/a/IMG_0001.jpg", ETag: "3869e791589a5b0977b5c4edf3c53ef7", Faces: []domain.Face{{Embedding: emb}, {Embedding: emb}}}))
	out, err := s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"},
		List: ListOutput{Bucket: "photos", Prefix: "albums/a/", Pack: "default"}, Map: goldenResults(t, s)})
	require.NoError(t, err)
	assert.Equal(t, AggregateOutput{SummaryKey: names.SummaryKey("a", "default-1"), Images: 2, Processed: 2, Faces: 2}, out)
	keys, err := s.Vectors.Keys(ctx, "faces-default-1", "a")
	require.NoError(t, err)
	assert.Equal(t, []string{names.VectorKey("a", id, 0), names.VectorKey("a", id, 1)}, keys)
}
