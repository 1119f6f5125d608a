package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
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
// got right.
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
	old, err := s.loadIndex(ctx, b, in.AlbumID, pack.Version)
	if err != nil {
		return AggregateOutput{}, err
	}
	results := map[string]domain.ItemResult{}
	if in.Map != nil && in.Map.ResultKey != "" {
		results, err = s.readMapResults(ctx, in.Map)
		if err != nil {
			return AggregateOutput{}, err
		}
	}

	sum := domain.Summary{AlbumID: in.AlbumID, Pack: pack.Name, PackVersion: pack.Version, StartedAt: in.List.StartedAt, Failed: []domain.FailedImage{}}
	idx := &domain.AlbumIndex{AlbumID: in.AlbumID, PackVersion: pack.Version, Images: map[string]domain.IndexEntry{}}
	put := map[string]bool{} // photos whose face records go to the vector store
	engineFailures := 0
	var engineCause string
	prefix := in.List.Prefix
	if prefix == "" {
		prefix = names.AlbumPrefix(in.AlbumID)
	}
	err = b.List(ctx, prefix, func(info blob.Info) error {
		if !names.IsPhotoKey(info.Key) {
			return nil
		}
		sum.Images++
		id := names.ImageID(info.Key)
		if r, ok := results[id]; ok {
			sum.Processed++
			e := domain.IndexEntry{Key: info.Key, ETag: r.ETag, ImageID: id, Status: r.Status, Faces: r.Faces, Error: r.Error, Cause: r.Cause}
			if e.ETag == "" {
				e.ETag = info.ETag
			}
			switch r.Status {
			case domain.StatusDone:
				put[id] = true
			case domain.StatusNoFaces:
				sum.NoFaces++
				e.Faces = 0
			default:
				e.Status, e.Faces = domain.StatusFailed, 0
				if r.Error == domain.ErrImageUnreadable {
					e.Status = domain.StatusUnreadable
				}
				if r.Error == domain.ErrEngineUnavailable {
					engineFailures++
					if engineCause == "" {
						engineCause = r.Cause
					}
				}
				sum.Failed = append(sum.Failed, domain.FailedImage{Key: info.Key, Error: r.Error, Cause: r.Cause})
				// A photo done before with this very content keeps its faces
				// when redoing it failed.
				if o, ok := old.Images[id]; ok && o.ETag == e.ETag && e.Status == domain.StatusFailed && (o.Status == domain.StatusDone || o.Status == domain.StatusNoFaces) {
					e = o
				}
			}
			idx.Images[id] = e
			return nil
		}
		if e, ok := old.Images[id]; ok && e.ETag == info.ETag {
			idx.Images[id] = e
			sum.Skipped++
			switch e.Status {
			case domain.StatusNoFaces:
				sum.NoFaces++
			case domain.StatusFailed, domain.StatusUnreadable:
				sum.Failed = append(sum.Failed, domain.FailedImage{Key: info.Key, Error: e.Error, Cause: e.Cause})
			}
			return nil
		}
		sum.Pending++ // appeared or changed after ListImages: the next run takes it
		return nil
	})
	if err != nil {
		return AggregateOutput{}, err
	}
	if sum.Processed > 0 && engineFailures == sum.Processed {
		// Not one photo could be processed because the face engine could
		// not be loaded (missing model, no runtime): the album failed, not
		// its photos.
		return AggregateOutput{}, &domain.EngineUnavailable{Pack: pack.Name,
			Err: fmt.Errorf("all %d photos of album %s failed: %s", sum.Processed, in.AlbumID, engineCause)}
	}

	index, err := names.IndexForPack(pack.Version)
	if err != nil {
		return AggregateOutput{}, err
	}
	if err := s.Vectors.EnsureIndex(ctx, index, pack.Recognizer.EmbeddingDim); err != nil {
		return AggregateOutput{}, err
	}
	have, err := s.albumKeys(ctx, index, in.AlbumID, old, idx)
	if err != nil {
		return AggregateOutput{}, err
	}
	haveSet := make(map[string]bool, len(have))
	for _, k := range have {
		haveSet[k] = true
	}
	// Done photos whose vectors the store lost (a replaced index, a deleted
	// file) are put again from their face records.
	for id, e := range idx.Images {
		if e.Status != domain.StatusDone || put[id] {
			continue
		}
		for i := 0; i < e.Faces; i++ {
			if !haveSet[names.VectorKey(in.AlbumID, id, i)] {
				put[id] = true
				sum.Restored++
				break
			}
		}
	}
	if err := s.putFaces(ctx, b, in.AlbumID, pack.Version, index, idx, put); err != nil {
		return AggregateOutput{}, err
	}

	// Every vector of the album that the new index does not account for goes.
	want := map[string]bool{}
	for id, e := range idx.Images {
		if e.Status == domain.StatusDone {
			for i := 0; i < e.Faces; i++ {
				want[names.VectorKey(in.AlbumID, id, i)] = true
			}
			sum.Faces += e.Faces
		}
	}
	var gone []string
	for _, k := range have {
		if !want[k] {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if err := s.Vectors.Delete(ctx, index, gone); err != nil {
			return AggregateOutput{}, err
		}
	}
	sum.Removed = len(gone)
	// Face records of photos that left the album go too.
	for id := range old.Images {
		if _, ok := idx.Images[id]; !ok {
			if err := b.Delete(ctx, names.RecordKey(in.AlbumID, pack.Version, id)); err != nil {
				return AggregateOutput{}, err
			}
		}
	}

	if err := putJSON(ctx, b, names.IndexKey(in.AlbumID, pack.Version), idx); err != nil {
		return AggregateOutput{}, err
	}
	sum.FinishedAt = s.now().UTC()
	if !sum.StartedAt.IsZero() {
		sum.DurationSeconds = sum.FinishedAt.Sub(sum.StartedAt).Seconds()
	}
	sort.Slice(sum.Failed, func(i, j int) bool { return sum.Failed[i].Key < sum.Failed[j].Key })
	key := names.SummaryKey(in.AlbumID, pack.Version)
	if err := putJSON(ctx, b, key, sum); err != nil {
		return AggregateOutput{}, err
	}

	// The run's manifest and detections are spent. The Map's results stay:
	// a retried Aggregate reads them again (the bucket's lifecycle rule
	// expires results/ and work/). Best effort, a few at a time.
	var spent []string
	if in.List.ManifestKey != "" {
		spent = append(spent, in.List.ManifestKey)
	}
	for id := range results {
		if e, ok := idx.Images[id]; ok && e.Status == domain.StatusDone {
			spent = append(spent, names.DetectionsKey(in.AlbumID, pack.Version, id, e.ETag))
		}
	}
	deleteAll(ctx, b, spent)
	return AggregateOutput{SummaryKey: key, Images: sum.Images, Processed: sum.Processed, Skipped: sum.Skipped,
		Failed: len(sum.Failed), Faces: sum.Faces}, nil
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

// putFaces reads the face records of the photos in ids and upserts their
// faces, in batches. A record whose content is not the one the index has
// (the photo changed and a later run wrote it) leaves the index: the next
// run redoes the photo.
func (s *Steps) putFaces(ctx context.Context, b blob.Store, albumID, packVersion, index string, idx *domain.AlbumIndex, ids map[string]bool) error {
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	sort.Strings(list)
	for start := 0; start < len(list); start += putBatch {
		var vs []vectors.Vector
		for _, id := range list[start:min(start+putBatch, len(list))] {
			var rec domain.FaceRecord
			if err := getJSON(ctx, b, names.RecordKey(albumID, packVersion, id), &rec); err != nil {
				if isMissing(err) {
					delete(idx.Images, id)
					continue
				}
				return err
			}
			e := idx.Images[id]
			if rec.ETag != e.ETag {
				delete(idx.Images, id)
				continue
			}
			e.Faces = len(rec.Faces)
			idx.Images[id] = e
			for i, f := range rec.Faces {
				vs = append(vs, vectors.Vector{Key: names.VectorKey(albumID, id, i), Data: f.Embedding,
					Metadata: vectors.Metadata{AlbumID: albumID, ImageID: id, FaceIndex: i, Pack: packVersion, Box: f.Box, Score: f.Score}})
			}
		}
		if len(vs) > 0 {
			if err := s.Vectors.Put(ctx, index, vs); err != nil {
				return err
			}
		}
	}
	return nil
}

// The Distributed Map's ResultWriter output, as AWS writes it.
type resultManifest struct {
	DestinationBucket string `json:"DestinationBucket"`
	ResultFiles       map[string][]struct {
		Key string `json:"Key"`
	} `json:"ResultFiles"`
}

type childResult struct {
	Input  string `json:"Input"`
	Output string `json:"Output"`
	Status string `json:"Status"`
	Error  string `json:"Error"`
	Cause  string `json:"Cause"`
}

// readMapResults reads every child execution's outcome, by image id. A
// child that failed as a whole (not caught by RecordFailure) counts as a
// failed photo with its error.
func (s *Steps) readMapResults(ctx context.Context, m *MapResult) (map[string]domain.ItemResult, error) {
	b, err := s.bucket(m.ResultBucket)
	if err != nil {
		return nil, err
	}
	var man resultManifest
	if err := getJSON(ctx, b, m.ResultKey, &man); err != nil {
		return nil, err
	}
	out := map[string]domain.ItemResult{}
	for _, status := range []string{"SUCCEEDED", "FAILED", "PENDING"} {
		for _, f := range man.ResultFiles[status] {
			if man.DestinationBucket != "" && man.DestinationBucket != m.ResultBucket {
				return nil, fmt.Errorf("map results %s: written to bucket %s, expected %s", m.ResultKey, man.DestinationBucket, m.ResultBucket)
			}
			var children []childResult
			if err := getJSON(ctx, b, f.Key, &children); err != nil {
				return nil, err
			}
			for _, c := range children {
				var in DetectInput
				if err := json.Unmarshal([]byte(c.Input), &in); err != nil || in.Image.Key == "" {
					return nil, fmt.Errorf("map result %s: a child's input names no image: %v", f.Key, err)
				}
				r := domain.ItemResult{Image: in.Image.Key, Status: domain.StatusFailed, Error: c.Error, Cause: c.Cause}
				if c.Status == "SUCCEEDED" {
					if err := json.Unmarshal([]byte(c.Output), &r); err != nil {
						return nil, fmt.Errorf("map result %s: output of %s: %w", f.Key, in.Image.Key, err)
					}
				} else if r.Error == "" {
					r.Error = "States." + c.Status
				}
				id := names.ImageID(in.Image.Key)
				if prev, seen := out[id]; seen && prev.Status != domain.StatusFailed {
					continue // an EXPRESS child ran twice: keep the success
				}
				out[id] = r
			}
		}
	}
	return out, nil
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
