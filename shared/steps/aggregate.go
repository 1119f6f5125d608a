package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/vectors"
)

// putBatch is how many face records' vectors are sent to the store at once.
const putBatch = 200

// Aggregate reads what the Distributed Map wrote, upserts the faces of the
// photos processed by this run into the vector store under
// albumId/imageId/faceIndex, deletes vectors whose photo changed, failed or
// went, writes the album index and the album summary. Every write is under
// a deterministic key and the deletions are computed from the index, so
// running it twice changes nothing the first run got right.
func (s *Steps) Aggregate(ctx context.Context, in AggregateInput) (AggregateOutput, error) {
	if err := ValidateAlbumID(in.AlbumID); err != nil {
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
	results := map[string]ItemResult{}
	if in.Map != nil && in.Map.ResultKey != "" {
		results, err = s.readMapResults(ctx, in.Map)
		if err != nil {
			return AggregateOutput{}, err
		}
	}

	sum := Summary{AlbumID: in.AlbumID, Pack: pack.Name, PackVersion: pack.Version, StartedAt: in.List.StartedAt, Failed: []FailedImage{}}
	idx := &AlbumIndex{AlbumID: in.AlbumID, PackVersion: pack.Version, Images: map[string]IndexEntry{}}
	var fresh []string // image ids whose faces this run produced
	prefix := in.List.Prefix
	if prefix == "" {
		prefix = DefaultPrefix(in.AlbumID)
	}
	err = b.List(ctx, prefix, func(info blob.Info) error {
		if !isPhotoKey(info.Key) {
			return nil
		}
		sum.Images++
		id := ImageID(info.Key)
		if r, ok := results[id]; ok {
			sum.Processed++
			e := IndexEntry{Key: info.Key, ETag: info.ETag, ImageID: id, Status: r.Status, Faces: r.Faces, Error: r.Error, Cause: r.Cause}
			switch r.Status {
			case StatusDone:
				fresh = append(fresh, id)
			case StatusNoFaces:
				sum.NoFaces++
			default:
				e.Status, e.Faces = StatusFailed, 0
				sum.Failed = append(sum.Failed, FailedImage{Key: info.Key, Error: r.Error, Cause: r.Cause})
			}
			idx.Images[id] = e
			return nil
		}
		if e, ok := old.Images[id]; ok && e.ETag == info.ETag {
			idx.Images[id] = e
			sum.Skipped++
			if e.Status == StatusNoFaces {
				sum.NoFaces++
			}
			if e.Status == StatusFailed {
				sum.Failed = append(sum.Failed, FailedImage{Key: info.Key, Error: e.Error, Cause: e.Cause})
			}
			return nil
		}
		sum.Pending++ // appeared or changed after ListImages: the next run takes it
		return nil
	})
	if err != nil {
		return AggregateOutput{}, err
	}

	index, err := vectors.IndexForPack(pack.Version)
	if err != nil {
		return AggregateOutput{}, err
	}
	if err := s.Vectors.EnsureIndex(ctx, index, pack.Recognizer.EmbeddingDim); err != nil {
		return AggregateOutput{}, err
	}
	sort.Strings(fresh)
	for start := 0; start < len(fresh); start += putBatch {
		end := min(start+putBatch, len(fresh))
		var vs []vectors.Vector
		for _, id := range fresh[start:end] {
			var rec FaceRecord
			if err := getJSON(ctx, b, RecordKey(in.AlbumID, pack.Version, id), &rec); err != nil {
				return AggregateOutput{}, err
			}
			e := idx.Images[id]
			e.ETag, e.Faces = rec.ETag, len(rec.Faces) // the ETag the faces were computed from
			idx.Images[id] = e
			for i, f := range rec.Faces {
				vs = append(vs, vectors.Vector{Key: VectorKey(in.AlbumID, id, i), Data: f.Embedding,
					Metadata: vectors.Metadata{AlbumID: in.AlbumID, ImageID: id, FaceIndex: i, Pack: pack.Version, Box: f.Box, Score: f.Score}})
			}
		}
		if err := s.Vectors.Put(ctx, index, vs); err != nil {
			return AggregateOutput{}, err
		}
	}

	// Every vector of the album that the new index does not account for goes.
	want := map[string]bool{}
	for id, e := range idx.Images {
		if e.Status == StatusDone {
			for i := 0; i < e.Faces; i++ {
				want[VectorKey(in.AlbumID, id, i)] = true
			}
			sum.Faces += e.Faces
		}
	}
	have, err := s.Vectors.Keys(ctx, index, in.AlbumID)
	if err != nil {
		return AggregateOutput{}, err
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
			if err := b.Delete(ctx, RecordKey(in.AlbumID, pack.Version, id)); err != nil {
				return AggregateOutput{}, err
			}
		}
	}

	if err := putJSON(ctx, b, IndexKey(in.AlbumID, pack.Version), idx); err != nil {
		return AggregateOutput{}, err
	}
	sum.FinishedAt = s.now().UTC()
	if !sum.StartedAt.IsZero() {
		sum.DurationSeconds = sum.FinishedAt.Sub(sum.StartedAt).Seconds()
	}
	sort.Slice(sum.Failed, func(i, j int) bool { return sum.Failed[i].Key < sum.Failed[j].Key })
	key := SummaryKey(in.AlbumID, pack.Version)
	if err := putJSON(ctx, b, key, sum); err != nil {
		return AggregateOutput{}, err
	}
	return AggregateOutput{SummaryKey: key, Images: sum.Images, Processed: sum.Processed, Skipped: sum.Skipped,
		Failed: len(sum.Failed), Faces: sum.Faces}, nil
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
func (s *Steps) readMapResults(ctx context.Context, m *MapResult) (map[string]ItemResult, error) {
	b, err := s.bucket(m.ResultBucket)
	if err != nil {
		return nil, err
	}
	var man resultManifest
	if err := getJSON(ctx, b, m.ResultKey, &man); err != nil {
		return nil, err
	}
	out := map[string]ItemResult{}
	for _, status := range []string{"SUCCEEDED", "FAILED", "PENDING"} {
		for _, f := range man.ResultFiles[status] {
			rb := b
			if man.DestinationBucket != "" {
				if rb, err = s.bucket(man.DestinationBucket); err != nil {
					return nil, err
				}
			}
			var children []childResult
			if err := getJSON(ctx, rb, f.Key, &children); err != nil {
				return nil, err
			}
			for _, c := range children {
				var in DetectInput
				if err := json.Unmarshal([]byte(c.Input), &in); err != nil || in.Image.Key == "" {
					return nil, fmt.Errorf("map result %s: a child's input names no image: %v", f.Key, err)
				}
				r := ItemResult{Image: in.Image.Key, Status: StatusFailed, Error: c.Error, Cause: c.Cause}
				if c.Status == "SUCCEEDED" {
					if err := json.Unmarshal([]byte(c.Output), &r); err != nil {
						return nil, fmt.Errorf("map result %s: output of %s: %w", f.Key, in.Image.Key, err)
					}
				} else if r.Error == "" {
					r.Error = "States." + c.Status
				}
				id := ImageID(in.Image.Key)
				if prev, seen := out[id]; seen && prev.Status != StatusFailed {
					continue // an EXPRESS child ran twice: keep the success
				}
				out[id] = r
			}
		}
	}
	return out, nil
}
