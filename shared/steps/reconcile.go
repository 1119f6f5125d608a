package steps

import (
	"fmt"
	"sort"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

// reconcileInput is what Aggregate has read before it decides anything: the
// old index, the Map's results and the album's listing.
type reconcileInput struct {
	AlbumID     string
	Pack        string // the pack's name (summary, errors)
	PackVersion string
	StartedAt   time.Time
	Old         *domain.AlbumIndex
	Results     map[string]domain.ItemResult // by image id
	Listing     []blob.Info                  // the album's objects, in listing order
	Limits      string                       // the deployment's limits (imaging.Options.Limits), kept with ImageUnsupported photos
}

// reconciliation is Aggregate's bookkeeping, with no storage: the new index
// and summary, and the work that follows from them. Aggregate builds it
// with reconcile, tells it which vectors the store has (restore) and which
// face records it read (record), and then asks it for the rest of the work
// (finish). Each stage is a pure function of what it is given, so the table
// tests need no store.
type reconciliation struct {
	in      reconcileInput
	Index   *domain.AlbumIndex
	Summary domain.Summary
	// Put holds the photos whose face records go to the vector store.
	Put map[string]bool
}

// aggregateWork is what is left to do once the vectors are in place.
type aggregateWork struct {
	DeleteVectors []string // vector keys the new index does not account for
	Prune         []string // the face records and thumbnails of photos that left the album
	Spent         []string // the run's work objects (manifest, detections)
}

// reconcile builds the new index and the summary's counts from the old
// index, the Map's results and the listing, and picks the photos whose
// faces go to the vector store. It fails with *domain.EngineUnavailable when
// every processed photo failed because the face engine could not be loaded:
// the album failed, not its photos.
func reconcile(in reconcileInput) (*reconciliation, error) {
	r := &reconciliation{
		in: in,
		Summary: domain.Summary{AlbumID: in.AlbumID, Pack: in.Pack, PackVersion: in.PackVersion,
			StartedAt: in.StartedAt, Failed: []domain.FailedImage{}},
		Index: &domain.AlbumIndex{AlbumID: in.AlbumID, PackVersion: in.PackVersion, Images: map[string]domain.IndexEntry{}},
		Put:   map[string]bool{},
	}
	engineFailures := 0
	var engineCause string
	for _, info := range in.Listing {
		if !names.IsPhotoKey(info.Key) {
			continue
		}
		r.Summary.Images++
		id := names.ImageID(info.Key)
		res, ok := in.Results[id]
		if !ok {
			r.unprocessed(id, info)
			continue
		}
		if r.processed(id, info, res) {
			engineFailures++
			if engineCause == "" {
				engineCause = res.Cause
			}
		}
	}
	if r.Summary.Processed > 0 && engineFailures == r.Summary.Processed {
		return nil, &domain.EngineUnavailable{Pack: in.Pack,
			Err: fmt.Errorf("all %d photos of album %s failed: %s", r.Summary.Processed, in.AlbumID, engineCause)}
	}
	return r, nil
}

// processed enters a photo this run processed. It reports whether the
// photo failed because the face engine could not be loaded.
func (r *reconciliation) processed(id string, info blob.Info, res domain.ItemResult) (engineFailure bool) {
	r.Summary.Processed++
	// The ETag the result was computed from wins over the listing's, so the
	// next run sees a change made while this one ran.
	e := domain.IndexEntry{Key: info.Key, ETag: res.ETag, ImageID: id, Status: res.Status, Faces: res.Faces, Error: res.Error, Cause: res.Cause}
	if e.ETag == "" {
		e.ETag = info.ETag
	}
	switch res.Status {
	case domain.StatusDone:
		r.Put[id] = true
	case domain.StatusNoFaces:
		r.Summary.NoFaces++
		e.Faces = 0
	default:
		e.Status, e.Faces = domain.StatusFailed, 0
		if res.Error == domain.ErrImageUnreadable {
			e.Status = domain.StatusUnreadable // final: that content never decodes
		}
		if res.Error == domain.ErrImageUnsupported {
			e.Limits = r.in.Limits // retried once the limits change (Steps.retry)
		}
		engineFailure = res.Error == domain.ErrEngineUnavailable
		r.Summary.Failed = append(r.Summary.Failed, domain.FailedImage{Key: info.Key, Error: res.Error, Cause: res.Cause})
		// A photo done before with this very content keeps its faces when
		// redoing it failed.
		if o, ok := r.in.Old.Images[id]; ok && o.ETag == e.ETag && e.Status == domain.StatusFailed && (o.Status == domain.StatusDone || o.Status == domain.StatusNoFaces) {
			e = o
		}
	}
	r.Index.Images[id] = e
	return engineFailure
}

// unprocessed enters a photo this run did not process: the old index's
// entry stays when the content is the same; anything else appeared or
// changed after ListImages, and the next run takes it.
func (r *reconciliation) unprocessed(id string, info blob.Info) {
	e, ok := r.in.Old.Images[id]
	if !ok || e.ETag != info.ETag {
		r.Summary.Pending++
		return
	}
	r.Index.Images[id] = e
	r.Summary.Skipped++
	switch e.Status {
	case domain.StatusNoFaces:
		r.Summary.NoFaces++
	case domain.StatusFailed, domain.StatusUnreadable:
		r.Summary.Failed = append(r.Summary.Failed, domain.FailedImage{Key: info.Key, Error: e.Error, Cause: e.Cause})
	}
}

// restore marks the done photos whose vectors the store lost (a replaced
// index, a deleted file) to be put again from their face records. have is
// the album's keys in the vector store.
func (r *reconciliation) restore(have []string) {
	haveSet := make(map[string]bool, len(have))
	for _, k := range have {
		haveSet[k] = true
	}
	for id, e := range r.Index.Images {
		if e.Status != domain.StatusDone || r.Put[id] {
			continue
		}
		for i := 0; i < e.Faces; i++ {
			if !haveSet[names.VectorKey(r.in.AlbumID, id, i)] {
				r.Put[id] = true
				r.Summary.Restored++
				break
			}
		}
	}
}

// putIDs returns the photos to put, sorted.
func (r *reconciliation) putIDs() []string {
	ids := make([]string, 0, len(r.Put))
	for id := range r.Put {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// record takes the face record read for a photo to put (nil when there is
// none) and returns the vectors of its faces the quality filter kept
// (recordVectors); the index entry's Faces is their number. A record whose
// content is not the one the index has (the photo changed and a later run
// wrote it), or none at all, takes the photo out of the index: the next
// run redoes it.
func (r *reconciliation) record(id string, rec *domain.FaceRecord) []vectors.Vector {
	e := r.Index.Images[id]
	if rec == nil || rec.ETag != e.ETag {
		delete(r.Index.Images, id)
		return nil
	}
	vs := recordVectors(r.in.AlbumID, id, r.in.PackVersion, rec)
	e.Faces = len(vs)
	r.Index.Images[id] = e
	return vs
}

// finish counts the album's faces and returns the rest of the work: every
// vector of the album (have) that the new index does not account for goes,
// the face records of photos that left the album go, and the run's
// manifest and the detections of its done photos are spent. The Map's
// results stay: a retried Aggregate reads them again (the bucket's
// lifecycle rule expires results/ and work/).
func (r *reconciliation) finish(have []string, manifestKey string) aggregateWork {
	var w aggregateWork
	want := map[string]bool{}
	r.Summary.Faces = 0
	for id, e := range r.Index.Images {
		if e.Status == domain.StatusDone {
			for i := 0; i < e.Faces; i++ {
				want[names.VectorKey(r.in.AlbumID, id, i)] = true
			}
			r.Summary.Faces += e.Faces
		}
	}
	for _, k := range have {
		if !want[k] {
			w.DeleteVectors = append(w.DeleteVectors, k)
		}
	}
	r.Summary.Removed = len(w.DeleteVectors)
	for id := range r.in.Old.Images {
		if _, ok := r.Index.Images[id]; !ok {
			w.Prune = append(w.Prune, names.RecordKey(r.in.AlbumID, r.in.PackVersion, id), names.ThumbnailKey(r.in.AlbumID, id))
		}
	}
	sort.Strings(w.Prune)
	for id := range r.in.Results {
		if e, ok := r.Index.Images[id]; ok && e.Status == domain.StatusDone {
			w.Spent = append(w.Spent, names.DetectionsKey(r.in.AlbumID, r.in.PackVersion, id, e.ETag))
		}
	}
	sort.Strings(w.Spent)
	if manifestKey != "" {
		w.Spent = append([]string{manifestKey}, w.Spent...)
	}
	sort.Slice(r.Summary.Failed, func(i, j int) bool { return r.Summary.Failed[i].Key < r.Summary.Failed[j].Key })
	return w
}

// summary returns the summary of a run that finished at now.
func (r *reconciliation) summary(now time.Time) domain.Summary {
	sum := r.Summary
	sum.FinishedAt = now.UTC()
	if !sum.StartedAt.IsZero() {
		sum.DurationSeconds = sum.FinishedAt.Sub(sum.StartedAt).Seconds()
	}
	return sum
}

// output is Aggregate's result for the summary written at summaryKey.
func (r *reconciliation) output(summaryKey string) AggregateOutput {
	s := r.Summary
	return AggregateOutput{SummaryKey: summaryKey, Images: s.Images, Processed: s.Processed, Skipped: s.Skipped,
		Failed: len(s.Failed), LeftOut: len(s.LeftOut), Faces: s.Faces}
}
