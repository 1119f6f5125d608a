package steps

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

func TestDetectionsRoundTrip(t *testing.T) {
	det := domain.Detections{Width: 640, Height: 480, ETag: "e1", Faces: []domain.Face{
		{Box: [4]float32{1, 2, 3, 4}, Score: 0.9}, {Box: [4]float32{5, 6, 7, 8}, Score: 0.8},
	}}
	chips := []face.Chip{make(face.Chip, face.ChipBytes), make(face.Chip, face.ChipBytes)}
	chips[1][0] = 7
	obj, err := encodeDetections(det, chips)
	require.NoError(t, err)
	got, gotChips, err := decodeDetections("k", obj)
	require.NoError(t, err)
	assert.Equal(t, det, got)
	assert.Equal(t, chips, gotChips)

	_, _, err = decodeDetections("k", obj[:len(obj)-1])
	assert.ErrorContains(t, err, "want 2 faces")
	_, _, err = decodeDetections("k", []byte("no header"))
	assert.ErrorContains(t, err, "no header line")
	_, err = encodeDetections(det, []face.Chip{make(face.Chip, 3)})
	assert.Error(t, err)
}

// testSteps has memory stores and no face engine (List and Aggregate need
// none).
func testSteps(t *testing.T) (*Steps, blob.Store) {
	t.Helper()
	packs, err := modelpack.Default()
	require.NoError(t, err)
	buckets := blob.NewMem()
	b, err := buckets.Bucket("photos")
	require.NoError(t, err)
	return &Steps{Blobs: buckets, Vectors: vectors.NewMemory(), Packs: packs, Bucket: "photos", DefaultPack: "default",
		Now: func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }}, b
}

// putter returns a function that stores an object and returns its Info.
func putter(t *testing.T, b blob.Store) func(key, body string) blob.Info {
	return func(key, body string) blob.Info {
		info, err := b.Put(context.Background(), key, []byte(body))
		require.NoError(t, err)
		return info
	}
}

func TestListSkipsWhatTheIndexHasDone(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	put := putter(t, b)
	done := put("albums/a/done.jpg", "1")
	changed := put("albums/a/changed.jpg", "2")
	failed := put("albums/a/failed.jpg", "3")
	unreadable := put("albums/a/unreadable.jpg", "4")
	put("albums/a/new.jpg", "5")
	put("albums/a/sidecar.xmp", "6")
	put("albums/b/other-album.jpg", "7")
	idx := domain.AlbumIndex{AlbumID: "a", PackVersion: "default-1", Images: map[string]domain.IndexEntry{}}
	for _, e := range []domain.IndexEntry{
		{Key: done.Key, ETag: done.ETag, Status: domain.StatusDone, Faces: 2},
		{Key: changed.Key, ETag: "old", Status: domain.StatusDone, Faces: 1},
		{Key: failed.Key, ETag: failed.ETag, Status: domain.StatusFailed},
		{Key: unreadable.Key, ETag: unreadable.ETag, Status: domain.StatusUnreadable},
	} {
		e.ImageID = names.ImageID(e.Key)
		idx.Images[e.ImageID] = e
	}
	require.NoError(t, putJSON(ctx, b, names.IndexKey("a", "default-1"), idx))

	out, err := s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "a"}, ExecutionName: "run:1"})
	require.NoError(t, err)
	assert.Equal(t, 5, out.Total)
	assert.Equal(t, 2, out.Skipped, "done and unreadable with the same ETag")
	assert.Equal(t, 3, out.ToProcess)
	assert.Equal(t, "photos", out.Bucket)
	assert.Equal(t, "albums/a/", out.Prefix)
	assert.Equal(t, "work/a/default-1/manifests/run-1.json", out.ManifestKey)
	body, _, err := b.Get(ctx, out.ManifestKey)
	require.NoError(t, err)
	var items []domain.Image
	require.NoError(t, json.Unmarshal(body, &items))
	var keys []string
	for _, it := range items {
		keys = append(keys, it.Key)
		assert.Equal(t, names.ImageID(it.Key), it.ImageID)
	}
	assert.Equal(t, []string{"albums/a/changed.jpg", "albums/a/failed.jpg", "albums/a/new.jpg"}, keys)

	out, err = s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "a", Reprocess: true}})
	require.NoError(t, err)
	assert.Equal(t, 5, out.ToProcess, "reprocess takes everything")

	_, err = s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "a", Pack: "nope"}})
	var bad *domain.InvalidInput
	assert.ErrorAs(t, err, &bad)
	_, err = s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "a", Prefix: "../x/"}})
	assert.ErrorAs(t, err, &bad)
}

// Aggregate over a hand-written Map result: the ETag a result was computed
// from wins over the listing's, unreadable photos are terminal, and a photo
// whose faces are all missing from the vector store is put back.
func TestAggregateFromMapResults(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	put := putter(t, b)
	withFace := put("albums/a/face.jpg", "face")
	noFace := put("albums/a/landscape.jpg", "land")
	broken := put("albums/a/broken.jpg", "broken")
	huge := put("albums/a/huge.png", "huge")
	emb := make([]float32, 512)
	emb[0] = 1
	rec := domain.FaceRecord{AlbumID: "a", ImageID: names.ImageID(withFace.Key), Key: withFace.Key, ETag: withFace.ETag, Pack: "default", PackVersion: "default-1",
		Faces: []domain.Face{{Box: [4]float32{1, 2, 3, 4}, Score: 0.9, Embedding: emb}}}
	require.NoError(t, putJSON(ctx, b, names.RecordKey("a", "default-1", rec.ImageID), rec))

	// Two batches (child executions) of two photos each.
	require.NoError(t, putJSON(ctx, b, "results/run/SUCCEEDED_0.json", []map[string]any{
		batchChild([]blob.Info{withFace, noFace}, []domain.ItemResult{
			{Image: withFace.Key, ETag: withFace.ETag, Status: domain.StatusDone, Faces: 1},
			{Image: noFace.Key, ETag: "read-before-a-change", Status: domain.StatusNoFaces}}, "SUCCEEDED"),
		batchChild([]blob.Info{broken, huge}, []domain.ItemResult{
			{Image: broken.Key, Status: domain.StatusFailed, Error: "ImageUnreadable", Cause: "empty file"},
			{Image: huge.Key, Status: domain.StatusFailed, Error: "ImageUnsupported", Cause: "over the pixel budget"}}, "SUCCEEDED"),
	}))
	require.NoError(t, putJSON(ctx, b, "results/run/manifest.json", map[string]any{
		"DestinationBucket": "photos", "ResultFiles": map[string]any{"SUCCEEDED": []map[string]string{{"Key": "results/run/SUCCEEDED_0.json"}}, "FAILED": []any{}},
	}))
	in := AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Bucket: "photos", Prefix: "albums/a/", Pack: "default"},
		Map: &MapResult{ResultBucket: "photos", ResultKey: "results/run/manifest.json"}}
	out, err := s.Aggregate(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, AggregateOutput{SummaryKey: "state/a/default-1/summary.json", Images: 4, Processed: 4, Failed: 2, Faces: 1}, out)

	idx, err := s.loadIndex(ctx, b, "a", "default-1")
	require.NoError(t, err)
	assert.Equal(t, domain.StatusUnreadable, idx.Images[names.ImageID(broken.Key)].Status, "final: that content never decodes")
	assert.Equal(t, domain.StatusFailed, idx.Images[names.ImageID(huge.Key)].Status, "retried: another deployment may decode it")
	assert.Equal(t, "read-before-a-change", idx.Images[names.ImageID(noFace.Key)].ETag, "the ETag that was processed, so the next run sees the change")
	keys, err := s.Vectors.Keys(ctx, "faces-default-1", "a")
	require.NoError(t, err)
	assert.Equal(t, []string{names.VectorKey("a", rec.ImageID, 0)}, keys)
	// Aggregate can run again on the same input (a retry after a lost
	// answer): the Map's results are still there, and nothing changes.
	again, err := s.Aggregate(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, out, again)

	// The store loses the face; a run with nothing to process puts it back.
	require.NoError(t, s.Vectors.Delete(ctx, "faces-default-1", keys))
	out, err = s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: in.List})
	require.NoError(t, err)
	assert.Equal(t, 1, out.Faces)
	keys, err = s.Vectors.Keys(ctx, "faces-default-1", "a")
	require.NoError(t, err)
	assert.Len(t, keys, 1)
}

// batchChild is one child execution's entry in a Map Run's results: its
// batch of photos in, one result per photo out.
func batchChild(imgs []blob.Info, out []domain.ItemResult, status string) map[string]any {
	var batch BatchInput
	for _, img := range imgs {
		batch.Items = append(batch.Items, DetectInput{AlbumID: "a", Bucket: "photos", Pack: "default", Image: domain.Image{Key: img.Key, ETag: img.ETag}})
	}
	in, _ := json.Marshal(batch)
	child := map[string]any{"Input": string(in), "Status": status}
	if out != nil {
		o, _ := json.Marshal(out)
		child["Output"] = string(o)
	}
	return child
}

// CollectFailures lists the photos that failed, caught in their batch or
// with their whole batch, with errors and causes, sorted; with none it
// writes nothing.
func TestFailuresListsTheFailedPhotos(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	put := putter(t, b)
	ok, broken, late1, late2 := put("albums/a/ok.jpg", "1"), put("albums/a/broken.jpg", "2"), put("albums/a/late1.jpg", "3"), put("albums/a/late2.jpg", "4")
	require.NoError(t, putJSON(ctx, b, "results/run/SUCCEEDED_0.json", []map[string]any{
		batchChild([]blob.Info{ok, broken}, []domain.ItemResult{
			{Image: ok.Key, Status: domain.StatusDone, Faces: 2},
			{Image: broken.Key, Status: domain.StatusFailed, Error: "ImageUnreadable", Cause: "not a photo"}}, "SUCCEEDED"),
	}))
	timedOut := batchChild([]blob.Info{late2, late1}, nil, "TIMED_OUT")
	require.NoError(t, putJSON(ctx, b, "results/run/FAILED_0.json", []map[string]any{timedOut}))
	require.NoError(t, putJSON(ctx, b, "results/run/manifest.json", map[string]any{
		"DestinationBucket": "photos", "ResultFiles": map[string]any{
			"SUCCEEDED": []map[string]string{{"Key": "results/run/SUCCEEDED_0.json"}},
			"FAILED":    []map[string]string{{"Key": "results/run/FAILED_0.json"}}},
	}))
	list := ListOutput{Bucket: "photos", Prefix: "albums/a/", Pack: "default", StartedAt: time.Now().Add(-time.Minute)}
	// The timed-out batch had finished one photo of another album run
	// before this one: that record does not make it done.
	old := domain.FaceRecord{AlbumID: "a", ImageID: names.ImageID(late2.Key), Key: late2.Key, ETag: late2.ETag, Pack: "default", PackVersion: "default-1"}
	require.NoError(t, putJSON(ctx, b, names.RecordKey("a", "default-1", old.ImageID), old))
	list.StartedAt = time.Now().Add(time.Millisecond)
	time.Sleep(2 * time.Millisecond)
	// It had finished late3 in this run before it ran out of time: late3
	// is done, with its kept faces, not failed.
	late3 := put("albums/a/late3.jpg", "5")
	rec := domain.FaceRecord{AlbumID: "a", ImageID: names.ImageID(late3.Key), Key: late3.Key, ETag: late3.ETag, Pack: "default", PackVersion: "default-1",
		Faces: []domain.Face{{Score: 0.9}, {Score: 0.8, Filtered: "too small"}}}
	require.NoError(t, putJSON(ctx, b, names.RecordKey("a", "default-1", rec.ImageID), rec))
	timedOut = batchChild([]blob.Info{late2, late1, late3}, nil, "TIMED_OUT")
	require.NoError(t, putJSON(ctx, b, "results/run/FAILED_0.json", []map[string]any{timedOut}))
	out, err := s.Failures(ctx, FailuresInput{AlbumID: "a", List: list, ExecutionName: "run/1",
		Map: &MapResult{ResultBucket: "photos", ResultKey: "results/run/manifest.json"}})
	require.NoError(t, err)
	assert.Equal(t, FailuresOutput{Failed: 3, FailuresBucket: "photos", FailuresKey: names.FailuresKey("a", "default-1", "run/1")}, out)
	var failed []FailedPhoto
	require.NoError(t, getJSON(ctx, b, out.FailuresKey, &failed))
	img := func(i blob.Info) domain.Image { return domain.Image{Key: i.Key, ImageID: names.ImageID(i.Key)} }
	assert.Equal(t, []FailedPhoto{
		{Image: img(broken), Error: "ImageUnreadable", Cause: "not a photo"},
		{Image: img(late1), Error: "States.TIMED_OUT"},
		{Image: img(late2), Error: "States.TIMED_OUT"},
	}, failed, "late3, finished in this run before its batch ran out of time, is not failed")
	results, err := s.readMapResults(ctx, &MapResult{ResultBucket: "photos", ResultKey: "results/run/manifest.json"})
	require.NoError(t, err)
	require.NoError(t, s.keepFinished(ctx, b, "a", "default-1", list.StartedAt, results))
	assert.Equal(t, domain.ItemResult{Image: late3.Key, ETag: late3.ETag, Status: domain.StatusDone, Faces: 1}, results[names.ImageID(late3.Key)])

	// Nothing failed: no list, and ReportFailures does not run.
	require.NoError(t, putJSON(ctx, b, "results/run/manifest.json", map[string]any{
		"DestinationBucket": "photos", "ResultFiles": map[string]any{"SUCCEEDED": []map[string]string{{"Key": "results/run/SUCCEEDED_0.json"}}},
	}))
	require.NoError(t, putJSON(ctx, b, "results/run/SUCCEEDED_0.json", []map[string]any{
		batchChild([]blob.Info{ok}, []domain.ItemResult{{Image: ok.Key, Status: domain.StatusDone, Faces: 2}}, "SUCCEEDED")}))
	out, err = s.Failures(ctx, FailuresInput{AlbumID: "a", List: list, ExecutionName: "run-2",
		Map: &MapResult{ResultBucket: "photos", ResultKey: "results/run/manifest.json"}})
	require.NoError(t, err)
	assert.Equal(t, FailuresOutput{}, out)
	_, _, err = b.Get(ctx, names.FailuresKey("a", "default-1", "run-2"))
	assert.True(t, isMissing(err), "no list written")

	// A batch whose output does not match its photos is an error, not a guess.
	require.NoError(t, putJSON(ctx, b, "results/run/SUCCEEDED_0.json", []map[string]any{
		batchChild([]blob.Info{ok, broken}, []domain.ItemResult{{Image: ok.Key, Status: domain.StatusDone}}, "SUCCEEDED")}))
	_, err = s.Failures(ctx, FailuresInput{AlbumID: "a", List: list, ExecutionName: "run-3",
		Map: &MapResult{ResultBucket: "photos", ResultKey: "results/run/manifest.json"}})
	assert.ErrorContains(t, err, "1 results for 2 photos")
}

// When every photo failed because of the face engine, the album fails.
func TestAggregateFailsWhenTheEngineFailedEverywhere(t *testing.T) {
	s, b := testSteps(t)
	ctx := context.Background()
	img, err := b.Put(ctx, "albums/a/x.jpg", []byte("x"))
	require.NoError(t, err)
	require.NoError(t, putJSON(ctx, b, "results/r/S.json", []map[string]any{batchChild([]blob.Info{img},
		[]domain.ItemResult{{Image: img.Key, Status: domain.StatusFailed, Error: "EngineUnavailable", Cause: "model file missing"}}, "SUCCEEDED")}))
	require.NoError(t, putJSON(ctx, b, "results/r/manifest.json", map[string]any{"ResultFiles": map[string]any{"SUCCEEDED": []map[string]string{{"Key": "results/r/S.json"}}}}))
	_, err = s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Bucket: "photos", Pack: "default"},
		Map: &MapResult{ResultBucket: "photos", ResultKey: "results/r/manifest.json"}})
	var eng *domain.EngineUnavailable
	require.ErrorAs(t, err, &eng)
	assert.Contains(t, err.Error(), "model file missing")

	// An ONNX failure on one photo is that photo's failure, not the album's.
	require.NoError(t, putJSON(ctx, b, "results/r/S.json", []map[string]any{batchChild([]blob.Info{img},
		[]domain.ItemResult{{Image: img.Key, Status: domain.StatusFailed, Error: "EngineError", Cause: "alignment: points coincide"}}, "SUCCEEDED")}))
	out, err := s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Bucket: "photos", Pack: "default"},
		Map: &MapResult{ResultBucket: "photos", ResultKey: "results/r/manifest.json"}})
	require.NoError(t, err)
	assert.Equal(t, 1, out.Failed)
}

// lookupStore is the memory store with the KeyLookup capability, recording
// what it was asked, so Aggregate's lookup path runs without S3 Vectors.
type lookupStore struct {
	*vectors.Memory
	asked int
}

func (l *lookupStore) Existing(ctx context.Context, index string, keys []string) (map[string]bool, error) {
	all, err := l.Memory.Keys(ctx, index, "")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, k := range all {
		have[k] = true
	}
	out := map[string]bool{}
	for _, k := range keys {
		l.asked++
		if have[k] {
			out[k] = true
		}
	}
	return out, nil
}

// Vectors left past a photo's last face (a run that put 5 faces and died
// before the index said so, then the photo changed to 2 faces) are found by
// probing past the end, and deleted.
func TestAggregateProbesPastTheLastFace(t *testing.T) {
	s, b := testSteps(t)
	store := &lookupStore{Memory: vectors.NewMemory()}
	s.Vectors = store
	ctx := context.Background()
	img, err := b.Put(ctx, "albums/a/x.jpg", []byte("x"))
	require.NoError(t, err)
	id := names.ImageID(img.Key)
	emb := make([]float32, 512)
	emb[0] = 1
	rec := domain.FaceRecord{AlbumID: "a", ImageID: id, Key: img.Key, ETag: img.ETag, PackVersion: "default-1",
		Faces: []domain.Face{{Embedding: emb}, {Embedding: emb}}}
	require.NoError(t, putJSON(ctx, b, names.RecordKey("a", "default-1", id), rec))
	require.NoError(t, putJSON(ctx, b, names.IndexKey("a", "default-1"), domain.AlbumIndex{AlbumID: "a", PackVersion: "default-1",
		Images: map[string]domain.IndexEntry{id: {Key: img.Key, ETag: img.ETag, ImageID: id, Status: domain.StatusDone, Faces: 2}}}))
	require.NoError(t, store.EnsureIndex(ctx, "faces-default-1", 512))
	var stale []vectors.Vector
	for i := 0; i < 5; i++ {
		stale = append(stale, vectors.Vector{Key: names.VectorKey("a", id, i), Data: emb, Metadata: vectors.Metadata{AlbumID: "a", ImageID: id, FaceIndex: i}})
	}
	require.NoError(t, store.Put(ctx, "faces-default-1", stale))

	out, err := s.Aggregate(ctx, AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Bucket: "photos", Prefix: "albums/a/", Pack: "default"}})
	require.NoError(t, err)
	assert.Equal(t, 2, out.Faces)
	keys, err := store.Keys(ctx, "faces-default-1", "a")
	require.NoError(t, err)
	assert.Equal(t, []string{names.VectorKey("a", id, 0), names.VectorKey("a", id, 1)}, keys)
	assert.Equal(t, 2+4, store.asked, "the two known faces, then keys 2, 3, 4 and 5 (missing: the probe stops)")
}

// An album read in place (a Folder mounted at its prefix) is listed without
// reading the photos the index does not know: their ETags are left for
// DetectFaces' read; a photo the index knows is hashed to tell whether it
// changed.
func TestListReadsOnlyKnownPhotosOfAFolder(t *testing.T) {
	s, _ := testSteps(t)
	ctx := context.Background()
	dir := t.TempDir()
	for name, body := range map[string]string{"done.jpg": "1", "changed.jpg": "2", "new.jpg": "3"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	f, err := blob.NewFolder(dir, t.TempDir(), 0)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	mounts := blob.NewMounts(s.Blobs)
	require.NoError(t, mounts.Mount("photos", "albums/a/", f))
	s.Blobs = mounts
	b, err := mounts.Bucket("photos")
	require.NoError(t, err)
	idx := domain.AlbumIndex{AlbumID: "a", PackVersion: "default-1", Images: map[string]domain.IndexEntry{}}
	for key, etag := range map[string]string{"albums/a/done.jpg": blob.FolderETag([]byte("1")), "albums/a/changed.jpg": "old"} {
		idx.Images[names.ImageID(key)] = domain.IndexEntry{Key: key, ETag: etag, ImageID: names.ImageID(key), Status: domain.StatusDone}
	}
	require.NoError(t, putJSON(ctx, b, names.IndexKey("a", "default-1"), idx))

	out, err := s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "a"}, ExecutionName: "run"})
	require.NoError(t, err)
	assert.Equal(t, 3, out.Total)
	assert.Equal(t, 1, out.Skipped, "done.jpg, unchanged")
	var items []domain.Image
	require.NoError(t, getJSON(ctx, b, out.ManifestKey, &items))
	etags := map[string]string{}
	for _, it := range items {
		etags[it.Key] = it.ETag
	}
	assert.Equal(t, map[string]string{"albums/a/changed.jpg": blob.FolderETag([]byte("2")), "albums/a/new.jpg": ""}, etags)
	unread := map[string]string{}
	require.NoError(t, f.ListStat(ctx, "", func(i blob.Info) error { unread[i.Key] = i.ETag; return nil }))
	assert.Empty(t, unread["new.jpg"], "new.jpg was not read")
}
