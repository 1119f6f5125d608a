package steps

import (
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// photo is a listed photo of album "a" and its index entry.
func photo(name, etag string) (blob.Info, string) {
	key := names.AlbumPrefix("a") + name
	return blob.Info{Key: key, ETag: etag}, names.ImageID(key)
}

func entry(info blob.Info, status domain.Status, faces int) domain.IndexEntry {
	return domain.IndexEntry{Key: info.Key, ETag: info.ETag, ImageID: names.ImageID(info.Key), Status: status, Faces: faces}
}

func oldIndex(es ...domain.IndexEntry) *domain.AlbumIndex {
	idx := &domain.AlbumIndex{AlbumID: "a", PackVersion: "default-1", Images: map[string]domain.IndexEntry{}}
	for _, e := range es {
		idx.Images[e.ImageID] = e
	}
	return idx
}

func TestReconcile(t *testing.T) {
	done, doneID := photo("done.jpg", "e1")
	land, landID := photo("land.jpg", "e2")
	broken, brokenID := photo("broken.jpg", "e3")
	huge, hugeID := photo("huge.png", "e4")
	sidecar, _ := photo("x.xmp", "e5")
	fresh, _ := photo("fresh.jpg", "e6")

	cases := []struct {
		name    string
		old     *domain.AlbumIndex
		results map[string]domain.ItemResult
		listing []blob.Info
		// want
		index   map[string]domain.IndexEntry
		put     []string
		summary domain.Summary // counts and Failed only
	}{
		{
			name:    "empty album",
			old:     oldIndex(),
			index:   map[string]domain.IndexEntry{},
			summary: domain.Summary{Failed: []domain.FailedImage{}},
		},
		{
			name: "results of a run: done, no faces, unreadable, unsupported; a sidecar is no photo",
			old:  oldIndex(),
			results: map[string]domain.ItemResult{
				doneID:   {Image: done.Key, ETag: done.ETag, Status: domain.StatusDone, Faces: 2},
				landID:   {Image: land.Key, ETag: "read-before-a-change", Status: domain.StatusNoFaces, Faces: 3},
				brokenID: {Image: broken.Key, Status: domain.StatusFailed, Error: domain.ErrImageUnreadable, Cause: "empty file", Faces: 1},
				hugeID:   {Image: huge.Key, ETag: huge.ETag, Status: domain.StatusFailed, Error: domain.ErrImageUnsupported, Cause: "pixels"},
			},
			listing: []blob.Info{done, land, broken, huge, sidecar},
			index: map[string]domain.IndexEntry{
				doneID:   entry(done, domain.StatusDone, 2),
				landID:   {Key: land.Key, ETag: "read-before-a-change", ImageID: landID, Status: domain.StatusNoFaces},
				brokenID: {Key: broken.Key, ETag: broken.ETag, ImageID: brokenID, Status: domain.StatusUnreadable, Error: domain.ErrImageUnreadable, Cause: "empty file"},
				hugeID:   {Key: huge.Key, ETag: huge.ETag, ImageID: hugeID, Status: domain.StatusFailed, Error: domain.ErrImageUnsupported, Cause: "pixels"},
			},
			put: []string{doneID},
			summary: domain.Summary{Images: 4, Processed: 4, NoFaces: 1, Faces: 2, Failed: []domain.FailedImage{
				{Key: broken.Key, Error: domain.ErrImageUnreadable, Cause: "empty file"},
				{Key: huge.Key, Error: domain.ErrImageUnsupported, Cause: "pixels"},
			}},
		},
		{
			name:    "unprocessed photos: same content skipped, changed or new pending",
			old:     oldIndex(entry(done, domain.StatusDone, 2), entry(land, domain.StatusNoFaces, 0), entry(broken, domain.StatusUnreadable, 0), entry(huge, "stale", 0)),
			listing: []blob.Info{done, land, broken, {Key: huge.Key, ETag: "changed"}, fresh},
			index: map[string]domain.IndexEntry{
				doneID:   entry(done, domain.StatusDone, 2),
				landID:   entry(land, domain.StatusNoFaces, 0),
				brokenID: entry(broken, domain.StatusUnreadable, 0),
			},
			summary: domain.Summary{Images: 5, Skipped: 3, Pending: 2, NoFaces: 1, Faces: 2, Failed: []domain.FailedImage{{Key: broken.Key}}},
		},
		{
			name: "a redo that failed keeps the faces of the same content; a changed photo does not",
			old:  oldIndex(entry(done, domain.StatusDone, 2), entry(land, domain.StatusDone, 1)),
			results: map[string]domain.ItemResult{
				doneID: {Image: done.Key, ETag: done.ETag, Status: domain.StatusFailed, Error: domain.ErrEngineError, Cause: "onnx"},
				landID: {Image: land.Key, ETag: "new", Status: domain.StatusFailed, Error: domain.ErrEngineError, Cause: "onnx"},
			},
			listing: []blob.Info{done, {Key: land.Key, ETag: "new"}},
			index: map[string]domain.IndexEntry{
				doneID: entry(done, domain.StatusDone, 2),
				landID: {Key: land.Key, ETag: "new", ImageID: landID, Status: domain.StatusFailed, Error: domain.ErrEngineError, Cause: "onnx"},
			},
			summary: domain.Summary{Images: 2, Processed: 2, Faces: 2, Failed: []domain.FailedImage{
				{Key: done.Key, Error: domain.ErrEngineError, Cause: "onnx"}, {Key: land.Key, Error: domain.ErrEngineError, Cause: "onnx"},
			}},
		},
		{
			name: "the engine failing for some photos fails those photos only",
			old:  oldIndex(),
			results: map[string]domain.ItemResult{
				doneID: {Image: done.Key, ETag: done.ETag, Status: domain.StatusDone, Faces: 1},
				landID: {Image: land.Key, ETag: land.ETag, Status: domain.StatusFailed, Error: domain.ErrEngineUnavailable, Cause: "no model"},
			},
			listing: []blob.Info{done, land},
			index: map[string]domain.IndexEntry{
				doneID: entry(done, domain.StatusDone, 1),
				landID: {Key: land.Key, ETag: land.ETag, ImageID: landID, Status: domain.StatusFailed, Error: domain.ErrEngineUnavailable, Cause: "no model"},
			},
			put:     []string{doneID},
			summary: domain.Summary{Images: 2, Processed: 2, Faces: 1, Failed: []domain.FailedImage{{Key: land.Key, Error: domain.ErrEngineUnavailable, Cause: "no model"}}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			started := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			r, err := reconcile(reconcileInput{AlbumID: "a", Pack: "default", PackVersion: "default-1", StartedAt: started,
				Old: c.old, Results: c.results, Listing: c.listing})
			require.NoError(t, err)
			assert.Equal(t, c.index, r.Index.Images)
			assert.Equal(t, "a", r.Index.AlbumID)
			assert.Equal(t, "default-1", r.Index.PackVersion)
			if c.put == nil {
				c.put = []string{}
			}
			assert.ElementsMatch(t, c.put, r.putIDs())
			r.finish(nil, "") // counts the faces, sorts the failures
			want := c.summary
			want.AlbumID, want.Pack, want.PackVersion, want.StartedAt = "a", "default", "default-1", started
			assert.Equal(t, want, r.Summary)
		})
	}
}

func TestReconcileFailsWhenTheEngineFailedEverywhere(t *testing.T) {
	a, aID := photo("a.jpg", "e1")
	b, bID := photo("b.jpg", "e2")
	_, err := reconcile(reconcileInput{AlbumID: "a", Pack: "default", Old: oldIndex(), Listing: []blob.Info{a, b},
		Results: map[string]domain.ItemResult{
			aID: {Image: a.Key, Status: domain.StatusFailed, Error: domain.ErrEngineUnavailable, Cause: "model file missing"},
			bID: {Image: b.Key, Status: domain.StatusFailed, Error: domain.ErrEngineUnavailable, Cause: "other"},
		}})
	var eng *domain.EngineUnavailable
	require.ErrorAs(t, err, &eng)
	assert.Equal(t, "default", eng.Pack)
	assert.ErrorContains(t, err, "all 2 photos of album a failed: model file missing")
}

// The vector sync and clean-up stages: restore what the store lost, take
// the records read, and compute what goes.
func TestReconcileVectorsAndCleanUp(t *testing.T) {
	kept, keptID := photo("kept.jpg", "e1")       // done before, vectors all there
	lost, lostID := photo("lost.jpg", "e2")       // done before, store lost face 1
	redone, redoneID := photo("redone.jpg", "e3") // processed now: 1 face (was 3)
	moved, movedID := photo("moved.jpg", "e4")    // processed now, but a later run rewrote its record
	failed, failedID := photo("failed.jpg", "e5") // processed now, failed: its old vectors go
	_, goneID := photo("gone.jpg", "e6")          // left the album
	old := oldIndex(entry(kept, domain.StatusDone, 1), entry(lost, domain.StatusDone, 2), entry(redone, domain.StatusDone, 3),
		domain.IndexEntry{Key: names.AlbumPrefix("a") + "gone.jpg", ETag: "e6", ImageID: goneID, Status: domain.StatusDone, Faces: 1},
		domain.IndexEntry{Key: failed.Key, ETag: "before", ImageID: failedID, Status: domain.StatusDone, Faces: 1})
	r, err := reconcile(reconcileInput{AlbumID: "a", Pack: "default", PackVersion: "default-1", Old: old,
		Listing: []blob.Info{kept, lost, redone, moved, failed},
		Results: map[string]domain.ItemResult{
			redoneID: {Image: redone.Key, ETag: redone.ETag, Status: domain.StatusDone, Faces: 1},
			movedID:  {Image: moved.Key, ETag: moved.ETag, Status: domain.StatusDone, Faces: 1},
			failedID: {Image: failed.Key, ETag: failed.ETag, Status: domain.StatusFailed, Error: domain.ErrEngineError},
		}})
	require.NoError(t, err)
	vk := func(id string, i int) string { return names.VectorKey("a", id, i) }
	have := []string{vk(keptID, 0), vk(lostID, 0), vk(redoneID, 0), vk(redoneID, 1), vk(redoneID, 2), vk(failedID, 0), vk(goneID, 0)}

	r.restore(have)
	assert.ElementsMatch(t, []string{lostID, movedID, redoneID}, r.putIDs())
	assert.True(t, sort.StringsAreSorted(r.putIDs()))
	assert.Equal(t, 1, r.Summary.Restored)

	emb := []float32{1, 0}
	vs := r.record(redoneID, &domain.FaceRecord{ETag: redone.ETag, Faces: []domain.Face{{Box: [4]float32{1, 2, 3, 4}, Score: 0.9, Embedding: emb}}})
	require.Len(t, vs, 1)
	assert.Equal(t, vk(redoneID, 0), vs[0].Key)
	assert.Equal(t, emb, vs[0].Data)
	assert.Equal(t, "a", vs[0].Metadata.AlbumID)
	assert.Equal(t, redoneID, vs[0].Metadata.ImageID)
	assert.Equal(t, "default-1", vs[0].Metadata.Pack)
	assert.Equal(t, float32(0.9), vs[0].Metadata.Score)
	assert.Equal(t, [4]float32{1, 2, 3, 4}, vs[0].Metadata.Box)
	assert.Len(t, r.record(lostID, &domain.FaceRecord{ETag: lost.ETag, Faces: []domain.Face{{Embedding: emb}, {Embedding: emb}}}), 2)
	assert.Empty(t, r.record(movedID, &domain.FaceRecord{ETag: "written-by-a-later-run", Faces: []domain.Face{{Embedding: emb}}}))
	assert.NotContains(t, r.Index.Images, movedID, "the next run redoes it")
	assert.Empty(t, r.record("missing", nil))

	w := r.finish(have, "work/a/default-1/manifests/run.json")
	assert.Equal(t, []string{vk(redoneID, 1), vk(redoneID, 2), vk(failedID, 0), vk(goneID, 0)}, w.DeleteVectors)
	assert.Equal(t, 4, r.Summary.Removed)
	assert.Equal(t, 1+2+1, r.Summary.Faces)
	assert.Equal(t, []string{names.RecordKey("a", "default-1", goneID), names.ThumbnailKey("a", goneID)}, w.Prune)
	assert.Equal(t, []string{"work/a/default-1/manifests/run.json", names.DetectionsKey("a", "default-1", redoneID, redone.ETag)}, w.Spent,
		"the manifest and the detections of the done photos; not those of a failed one")

	now := time.Date(2026, 1, 1, 0, 1, 0, 0, time.FixedZone("x", 3600))
	r.Summary.StartedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("x", 3600))
	sum := r.summary(now)
	assert.Equal(t, now.UTC(), sum.FinishedAt)
	assert.Equal(t, 60.0, sum.DurationSeconds)
	assert.Equal(t, AggregateOutput{SummaryKey: "k", Images: 5, Processed: 3, Skipped: 2, Failed: 1, Faces: 4}, r.output("k"))
}

// Faces the quality filter marked stay in the record but are not put: the
// photo's vectors number its indexed faces 0..n-1, each naming its face's
// place in the record, and the index counts n.
func TestReconcilePutsOnlyIndexedFaces(t *testing.T) {
	mixed, mixedID := photo("mixed.jpg", "e1")
	r, err := reconcile(reconcileInput{AlbumID: "a", Pack: "default", PackVersion: "default-1", Old: oldIndex(),
		Listing: []blob.Info{mixed},
		Results: map[string]domain.ItemResult{mixedID: {Image: mixed.Key, ETag: mixed.ETag, Status: domain.StatusDone, Faces: 2}}})
	require.NoError(t, err)
	a, b := []float32{1, 0}, []float32{0, 1}
	vs := r.record(mixedID, &domain.FaceRecord{ETag: mixed.ETag, Faces: []domain.Face{
		{Embedding: []float32{0.6, 0.8}, Filtered: "not a face: a drawing"},
		{Embedding: a, Score: 0.9},
		{Embedding: []float32{0.8, 0.6}, Filtered: "too small: 10 px under MEDIUM's 32"},
		{Embedding: b, Score: 0.8},
	}})
	require.Len(t, vs, 2)
	vk := func(i int) string { return names.VectorKey("a", mixedID, i) }
	assert.Equal(t, vk(0), vs[0].Key)
	assert.Equal(t, a, vs[0].Data)
	assert.Equal(t, 1, vs[0].Metadata.FaceIndex)
	assert.Equal(t, vk(1), vs[1].Key)
	assert.Equal(t, b, vs[1].Data)
	assert.Equal(t, 3, vs[1].Metadata.FaceIndex)
	assert.Equal(t, 2, r.Index.Images[mixedID].Faces)

	w := r.finish([]string{vk(0), vk(1), vk(2), vk(3)}, "")
	assert.Equal(t, []string{vk(2), vk(3)}, w.DeleteVectors, "leftovers of a version that indexed every face go")
	assert.Equal(t, 2, r.Summary.Faces)
}
