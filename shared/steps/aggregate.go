package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/vectors"
)

// putBatch is how many face records' vectors are sent to the store at once.
const putBatch = 200

// Aggregate reads what the Distributed Map wrote, upserts the faces of the
// photos processed by this run into the vector store under
// albumId/imageId/faceIndex, puts back the faces of done photos that the
// store lost, deletes vectors whose photo changed, failed or went, writes the
// album index and the album summary, and then removes the run's work
// objects. Every write is under a deterministic key and deletions are
// computed from the index, so running it twice changes nothing the first run
// got right. The decisions are reconcile's (no storage); this is the I/O
// around them.
func (s *Steps) Aggregate(ctx context.Context, in AggregateInput) (AggregateOutput, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return AggregateOutput{}, err
	}
	pack, err := s.pack(in.List.Pack)
	if err != nil {
		return AggregateOutput{}, err
	}
	b, err := s.bucket(in.List.Bucket)
	if err != nil {
		return AggregateOutput{}, err
	}
	rin := reconcileInput{AlbumID: in.AlbumID, Pack: pack.Name, PackVersion: pack.Version, StartedAt: in.List.StartedAt, Limits: s.Decode.Limits()}
	if rin.Old, err = s.loadIndex(ctx, b, in.AlbumID, pack.Version); err != nil {
		return AggregateOutput{}, err
	}
	if rin.Results, err = s.readMapResults(ctx, in.Map); err != nil {
		return AggregateOutput{}, err
	}
	if err := s.keepFinished(ctx, b, in.AlbumID, pack.Version, in.List.StartedAt, rin.Results); err != nil {
		return AggregateOutput{}, err
	}
	if err := names.ValidateAlbumPrefix(in.AlbumID, in.List.Prefix); err != nil {
		return AggregateOutput{}, err
	}
	prefix := in.List.Prefix
	if prefix == "" {
		prefix = names.AlbumPrefix(in.AlbumID)
	}
	if rin.Listing, err = listAll(ctx, b, prefix); err != nil {
		return AggregateOutput{}, err
	}
	r, err := reconcile(rin)
	if err != nil {
		return AggregateOutput{}, err
	}
	work, err := s.syncVectors(ctx, b, pack, r, in.List.ManifestKey)
	if err != nil {
		return AggregateOutput{}, err
	}
	for _, k := range work.Prune {
		if err := b.Delete(ctx, k); err != nil {
			return AggregateOutput{}, err
		}
	}
	if err := putJSON(ctx, b, names.IndexKey(in.AlbumID, pack.Version), r.Index); err != nil {
		return AggregateOutput{}, err
	}
	var left []domain.LeftOut
	if err := getJSON(ctx, b, names.LeftOutKey(in.AlbumID), &left); domain.IsTransient(err) {
		return AggregateOutput{}, err
	} else if err != nil || left == nil {
		left = []domain.LeftOut{} // none, or an unreadable list: only the list is lost
	}
	r.Summary.LeftOut = left
	key := names.SummaryKey(in.AlbumID, pack.Version)
	if err := putJSON(ctx, b, key, r.summary(s.now())); err != nil {
		return AggregateOutput{}, err
	}
	if in.Failures != nil && in.Failures.FailuresKey != "" {
		work.Spent = append(work.Spent, in.Failures.FailuresKey)
	}
	deleteAll(ctx, b, work.Spent) // best effort
	s.removeLeftovers(ctx, b, in.AlbumID, pack.Version, in.List.StartedAt)
	return r.output(key), nil
}

// syncVectors brings the pack's vector index in line with the
// reconciliation: it puts the faces of the photos to put (and of done
// photos whose vectors the store lost), deletes the album's vectors the new
// index does not account for, and returns the rest of the work.
func (s *Steps) syncVectors(ctx context.Context, b blob.Store, pack *modelpack.Pack, r *reconciliation, manifestKey string) (aggregateWork, error) {
	index, err := names.IndexForPack(pack.Version)
	if err != nil {
		return aggregateWork{}, err
	}
	if err := s.Vectors.EnsureIndex(ctx, index, pack.Recognizer.EmbeddingDim); err != nil {
		return aggregateWork{}, err
	}
	have, err := s.albumKeys(ctx, index, r.in.AlbumID, r.in.Old, r.Index)
	if err != nil {
		return aggregateWork{}, err
	}
	r.restore(have)
	if err := s.putFaces(ctx, b, index, r); err != nil {
		return aggregateWork{}, err
	}
	work := r.finish(have, manifestKey)
	if len(work.DeleteVectors) > 0 {
		if err := s.Vectors.Delete(ctx, index, work.DeleteVectors); err != nil {
			return aggregateWork{}, err
		}
	}
	return work, nil
}

// listAll returns the objects under prefix, in listing order.
func listAll(ctx context.Context, b blob.Store, prefix string) ([]blob.Info, error) {
	var out []blob.Info
	err := b.List(ctx, prefix, func(info blob.Info) error {
		out = append(out, info)
		return nil
	})
	return out, err
}

// albumKeys returns the album's keys in the vector store. A store that can
// look keys up (vectors.KeyLookup: S3 Vectors, where listing reads every
// album of the index) is asked about the keys the old and new index account
// for, and about the keys right after each photo's last face until one is
// missing (a photo's faces are 0..n-1, so that finds the leftovers of a
// version with more faces). Other stores list the album.
func (s *Steps) albumKeys(ctx context.Context, index, albumID string, old, idx *domain.AlbumIndex) ([]string, error) {
	kl, ok := s.Vectors.(vectors.KeyLookup)
	if !ok {
		return s.Vectors.Keys(ctx, index, albumID)
	}
	faces := map[string]int{} // image id -> most faces either index knows
	for _, x := range []*domain.AlbumIndex{old, idx} {
		for id, e := range x.Images {
			n := 0
			if e.Status == domain.StatusDone {
				n = e.Faces
			}
			faces[id] = max(faces[id], n)
		}
	}
	var ask []string
	for id, n := range faces {
		for i := 0; i < n; i++ {
			ask = append(ask, names.VectorKey(albumID, id, i))
		}
	}
	found, err := kl.Existing(ctx, index, ask)
	if err != nil {
		return nil, err
	}
	// Probe past the end, photo by photo, until a key is missing.
	next := faces
	for len(next) > 0 {
		ask = ask[:0]
		for id, n := range next {
			ask = append(ask, names.VectorKey(albumID, id, n))
		}
		more, err := kl.Existing(ctx, index, ask)
		if err != nil {
			return nil, err
		}
		following := map[string]int{}
		for id, n := range next {
			if k := names.VectorKey(albumID, id, n); more[k] {
				found[k] = true
				following[id] = n + 1
			}
		}
		next = following
	}
	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, nil
}

// putFaces reads the face records of the photos to put and upserts their
// faces, in batches; the reconciliation decides what each record means.
func (s *Steps) putFaces(ctx context.Context, b blob.Store, index string, r *reconciliation) error {
	ids := r.putIDs()
	for start := 0; start < len(ids); start += putBatch {
		var vs []vectors.Vector
		for _, id := range ids[start:min(start+putBatch, len(ids))] {
			var rec domain.FaceRecord
			if err := getJSON(ctx, b, names.RecordKey(r.in.AlbumID, r.in.PackVersion, id), &rec); err != nil {
				if !isMissing(err) {
					return err
				}
				vs = append(vs, r.record(id, nil)...)
				continue
			}
			vs = append(vs, r.record(id, &rec)...)
		}
		if len(vs) > 0 {
			if err := s.Vectors.Put(ctx, index, vs); err != nil {
				return err
			}
		}
	}
	return nil
}

// readMapResults reads every child execution's outcome, one result per
// photo of its batch, by image id. A photo caught in its batch is failed
// with its step's error; a child that failed as a whole fails every photo
// of its batch with the child's error.
func (s *Steps) readMapResults(ctx context.Context, m *MapResult) (map[string]domain.ItemResult, error) {
	out := map[string]domain.ItemResult{}
	if m == nil || m.ResultKey == "" {
		return out, nil // nothing was processed
	}
	b, err := s.bucket(m.ResultBucket)
	if err != nil {
		return nil, err
	}
	var man states.ResultManifest
	if err := getJSON(ctx, b, m.ResultKey, &man); err != nil {
		return nil, err
	}
	for _, group := range []string{states.ResultsSucceeded, states.ResultsFailed, states.ResultsPending} {
		for _, f := range man.ResultFiles.Group(group) {
			if man.DestinationBucket != "" && man.DestinationBucket != m.ResultBucket {
				return nil, fmt.Errorf("map results %s: written to bucket %s, expected %s", m.ResultKey, man.DestinationBucket, m.ResultBucket)
			}
			var children []states.ChildResult
			if err := getJSON(ctx, b, f.Key, &children); err != nil {
				return nil, err
			}
			for _, c := range children {
				if err := addChildResult(out, c); err != nil {
					return nil, fmt.Errorf("map result %s: %w", f.Key, err)
				}
			}
		}
	}
	return out, nil
}

// keepFinished turns the failed photos whose face record this run wrote
// into done ones: a batch that failed as a whole (an EXPRESS child that ran
// out of time) after it finished some of its photos, or an answer lost
// after the record was written. One GET per failed photo.
func (s *Steps) keepFinished(ctx context.Context, b blob.Store, albumID, packVersion string, since time.Time, results map[string]domain.ItemResult) error {
	for id, r := range results {
		if r.Status != domain.StatusFailed {
			continue
		}
		rec, ok, err := recordSince(ctx, b, albumID, packVersion, r.Image, "", since)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		done := domain.ItemResult{Image: r.Image, ETag: rec.ETag, Status: domain.StatusNoFaces}
		if len(rec.Faces) > 0 {
			done.Status = domain.StatusDone
			for _, f := range rec.Faces {
				if f.Filtered == "" {
					done.Faces++
				}
			}
		}
		results[id] = done
	}
	return nil
}

// addChildResult enters one child execution's outcome, a result per photo
// of its batch, by image id.
func addChildResult(out map[string]domain.ItemResult, c states.ChildResult) error {
	var in BatchInput
	if err := json.Unmarshal([]byte(c.Input), &in); err != nil || len(in.Items) == 0 {
		return fmt.Errorf("a child's input names no photo: %v", err)
	}
	var results []domain.ItemResult
	if c.Status == states.StatusSucceeded {
		if err := json.Unmarshal([]byte(c.Output), &results); err != nil || len(results) != len(in.Items) {
			return fmt.Errorf("output of the batch of %s: %d results for %d photos: %v", in.Items[0].Image.Key, len(results), len(in.Items), err)
		}
	} else {
		errName := c.Error
		if errName == "" {
			errName = "States." + string(c.Status)
		}
		for _, item := range in.Items {
			results = append(results, domain.ItemResult{Image: item.Image.Key, Status: domain.StatusFailed, Error: errName, Cause: c.Cause})
		}
	}
	for i, r := range results {
		if r.Image == "" {
			r.Image = in.Items[i].Image.Key
		}
		id := names.ImageID(r.Image)
		if prev, seen := out[id]; seen && prev.Status != domain.StatusFailed {
			continue // an EXPRESS child ran twice: keep the success
		}
		out[id] = r
	}
	return nil
}

// deleteAll deletes keys, eight at a time, ignoring errors (best effort).
func deleteAll(ctx context.Context, b blob.Store, keys []string) {
	var wg sync.WaitGroup
	work := make(chan string)
	for range min(8, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				_ = b.Delete(ctx, k)
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
}
