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

	"github.com/divinepic/pipeline/shared/blob"
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

// Each child record becomes its photos' results: a child that failed as a
// whole (not caught in its batch) or never ran fails its photos.
func TestAddChildResult(t *testing.T) {
	input := func(key string) string {
		b, err := json.Marshal(BatchInput{Items: []DetectInput{{AlbumID: "a", Image: domain.Image{Key: key}}}})
		require.NoError(t, err)
		return string(b)
	}
	done := states.ChildResult{Status: states.StatusSucceeded, Input: input("albums/a/x.jpg"),
		Output: `[{"image":"albums/a/x.jpg","etag":"e","status":"done","faces":3}]`}
	cases := []struct {
		name     string
		children []states.ChildResult
		want     domain.ItemResult
		err      string
	}{
		{name: "succeeded", children: []states.ChildResult{done},
			want: domain.ItemResult{Image: "albums/a/x.jpg", ETag: "e", Status: domain.StatusDone, Faces: 3}},
		{name: "the child failed", children: []states.ChildResult{{Status: states.StatusFailed, Input: input("albums/a/x.jpg"), Error: "States.Timeout", Cause: "slow"}},
			want: domain.ItemResult{Image: "albums/a/x.jpg", Status: domain.StatusFailed, Error: "States.Timeout", Cause: "slow"}},
		{name: "the child never ran", children: []states.ChildResult{{Status: states.StatusPending, Input: input("albums/a/x.jpg")}},
			want: domain.ItemResult{Image: "albums/a/x.jpg", Status: domain.StatusFailed, Error: "States.PENDING"}},
		{name: "an EXPRESS child that ran twice keeps its success", children: []states.ChildResult{done, {Status: states.StatusFailed, Input: input("albums/a/x.jpg")}},
			want: domain.ItemResult{Image: "albums/a/x.jpg", ETag: "e", Status: domain.StatusDone, Faces: 3}},
		{name: "a success after a failure wins", children: []states.ChildResult{{Status: states.StatusFailed, Input: input("albums/a/x.jpg")}, done},
			want: domain.ItemResult{Image: "albums/a/x.jpg", ETag: "e", Status: domain.StatusDone, Faces: 3}},
		{name: "an input with no image", children: []states.ChildResult{{Status: states.StatusSucceeded, Input: `{}`}}, err: "names no photo"},
		{name: "an output that is no result", children: []states.ChildResult{{Status: states.StatusSucceeded, Input: input("albums/a/x.jpg"), Output: `{}`}},
			err: "output of the batch of albums/a/x.jpg"},
		{name: "fewer results than photos", children: []states.ChildResult{{Status: states.StatusSucceeded, Input: input("albums/a/x.jpg"), Output: `[]`}},
			err: "0 results for 1 photos"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := map[string]domain.ItemResult{}
			var err error
			for _, ch := range c.children {
				if err = addChildResult(out, ch); err != nil {
					break
				}
			}
			if c.err != "" {
				assert.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, map[string]domain.ItemResult{names.ImageID("albums/a/x.jpg"): c.want}, out)
		})
	}
}

func TestReadMapResultsErrors(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	put := putter(t, b)
	put("results/r/manifest.json", `{"DestinationBucket":"other","ResultFiles":{"SUCCEEDED":[{"Key":"results/r/SUCCEEDED_0.json"}]}}`)
	_, err := s.readMapResults(ctx, &MapResult{ResultBucket: "photos", ResultKey: "results/r/manifest.json"})
	assert.ErrorContains(t, err, "written to bucket other, expected photos")

	put("results/r/manifest.json", `{"ResultFiles":{"FAILED":[{"Key":"results/r/FAILED_0.json"}]}}`)
	_, err = s.readMapResults(ctx, &MapResult{ResultBucket: "photos", ResultKey: "results/r/manifest.json"})
	var missing *domain.ObjectMissing
	assert.ErrorAs(t, err, &missing, "a result file the manifest lists is gone")

	put("results/r/FAILED_0.json", `[{"Status":"FAILED","Input":"{}"}]`)
	_, err = s.readMapResults(ctx, &MapResult{ResultBucket: "photos", ResultKey: "results/r/manifest.json"})
	assert.ErrorContains(t, err, "map result results/r/FAILED_0.json: a child's input names no photo")

	_, err = s.readMapResults(ctx, &MapResult{ResultBucket: "Not A Bucket", ResultKey: "k"})
	var bad *domain.InvalidInput
	assert.ErrorAs(t, err, &bad)

	got, err := s.readMapResults(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing was processed")
}

func TestAggregateErrors(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	var bad *domain.InvalidInput
	_, err := s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a b"}})
	assert.ErrorAs(t, err, &bad)
	_, err = s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Pack: "nope"}})
	assert.ErrorAs(t, err, &bad)
	_, err = s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Bucket: "Not A Bucket"}})
	assert.ErrorAs(t, err, &bad)

	putter(t, b)(names.IndexKey("a", "default-1"), "not json")
	_, err = s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}})
	assert.ErrorContains(t, err, "read "+names.IndexKey("a", "default-1"), "a corrupt index is an error, not an empty album")
}

// A face record that is not the content the index has, or is gone, takes
// the photo out of the index and deletes what the old index had of it.
func TestAggregateDropsPhotosWhoseRecordIsNotTheirs(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	put := putter(t, b)
	changed := put("albums/a/changed.jpg", "c")
	gone := put("albums/a/gone.jpg", "g")
	emb := make([]float32, 512)
	emb[0] = 1
	require.NoError(t, putJSON(ctx, b, names.RecordKey("a", "default-1", names.ImageID(changed.Key)),
		domain.FaceRecord{ETag: "a later version", Faces: []domain.Face{{Embedding: emb}}}))
	idx := domain.AlbumIndex{AlbumID: "a", PackVersion: "default-1", Images: map[string]domain.IndexEntry{}}
	for _, i := range []blob.Info{changed, gone} {
		id := names.ImageID(i.Key)
		idx.Images[id] = domain.IndexEntry{Key: i.Key, ETag: i.ETag, ImageID: id, Status: domain.StatusDone, Faces: 1}
	}
	require.NoError(t, putJSON(ctx, b, names.IndexKey("a", "default-1"), idx))
	out, err := s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Pack: "default"}})
	require.NoError(t, err)
	assert.Equal(t, 0, out.Faces)
	var sum domain.Summary
	require.NoError(t, getJSON(ctx, b, out.SummaryKey, &sum))
	assert.Equal(t, 2, sum.Restored, "both were missing from the store")
	got, err := s.loadIndex(ctx, b, "a", "default-1")
	require.NoError(t, err)
	assert.Empty(t, got.Images, "the next run redoes both")
}
