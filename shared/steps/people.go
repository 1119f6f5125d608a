package steps

import (
	"context"
	"sort"
	"sync"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/people"
)

// recordReaders is how many face records People reads at once.
const recordReaders = 8

// People groups the album's indexed faces into people (shared/people) and
// writes them under PeopleKey. A rerun is incremental: the people of the
// last run keep their ids and faces (those of photos that changed or left
// go), new faces join the nearest person or start one. The album is
// grouped from scratch (ids inherited by overlap) when the input asks for
// it (regroup), or when there is no record for this pack version yet. The
// photographer's corrections (CorrectionsKey) hold either way.
func (s *Steps) People(ctx context.Context, in PeopleInput) (PeopleOutput, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return PeopleOutput{}, err
	}
	pack, err := s.pack(in.Pack)
	if err != nil {
		return PeopleOutput{}, err
	}
	b, err := s.bucket(in.Bucket)
	if err != nil {
		return PeopleOutput{}, err
	}
	faces, err := s.indexedFaces(ctx, b, in.AlbumID, pack.Version)
	if err != nil {
		return PeopleOutput{}, err
	}
	key := names.PeopleKey(in.AlbumID, pack.Version)
	var old domain.PeopleRecord
	found := true
	if err := getJSON(ctx, b, key, &old); err != nil {
		if !isMissing(err) {
			return PeopleOutput{}, err
		}
		found = false
	}
	corr, err := s.corrections(ctx, b, in.AlbumID, pack.Version)
	if err != nil {
		return PeopleOutput{}, err
	}
	threshold := float32(people.DefaultThreshold)
	regroup := in.Regroup || !found || old.Threshold != threshold
	group := people.Assign
	if regroup {
		group = people.Regroup
	}
	ps, err := group(faces, old.People, corr, people.Options{Threshold: threshold})
	if err != nil {
		return PeopleOutput{}, &domain.InvalidInput{Field: "corrections", Reason: err.Error()}
	}
	rec := domain.PeopleRecord{AlbumID: in.AlbumID, PackVersion: pack.Version, Threshold: threshold, People: ps,
		Faces: len(faces), UpdatedAt: s.now().UTC()}
	if err := putJSON(ctx, b, key, rec); err != nil {
		return PeopleOutput{}, err
	}
	out := PeopleOutput{AggregateOutput: in.Aggregate, PeopleKey: key, Grouped: len(faces), Regrouped: regroup}
	for _, p := range ps {
		if len(p.Faces) > 1 {
			out.People++
		}
	}
	return out, nil
}

// corrections reads the album's people corrections (none when missing).
func (s *Steps) corrections(ctx context.Context, b blob.Store, albumID, packVersion string) (domain.PeopleCorrections, error) {
	var c domain.PeopleCorrections
	if err := getJSON(ctx, b, names.CorrectionsKey(albumID, packVersion), &c); err != nil && !isMissing(err) {
		return c, err
	}
	return c, nil
}

// indexedFaces reads the face records of the album index's done photos
// and returns their indexed faces (those the quality filter kept), by
// photo id and face index. A record whose content is not the index's is
// skipped: the next run redoes that photo.
func (s *Steps) indexedFaces(ctx context.Context, b blob.Store, albumID, packVersion string) ([]people.Face, error) {
	idx, err := s.loadIndex(ctx, b, albumID, packVersion)
	if err != nil {
		return nil, err
	}
	var ids []string
	for id, e := range idx.Images {
		if e.Status == domain.StatusDone && e.Faces > 0 {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	recs := make([]*domain.FaceRecord, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	work := make(chan int)
	for range min(recordReaders, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var rec domain.FaceRecord
				err := getJSON(ctx, b, names.RecordKey(albumID, packVersion, ids[i]), &rec)
				if err != nil {
					if !isMissing(err) {
						errs[i] = err
					}
					continue
				}
				recs[i] = &rec
			}
		}()
	}
	for i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
	var faces []people.Face
	for i, rec := range recs {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if rec == nil || rec.ETag != idx.Images[ids[i]].ETag {
			continue
		}
		for j, f := range rec.Faces {
			if f.Filtered != "" || len(f.Embedding) == 0 {
				continue
			}
			faces = append(faces, people.Face{ID: names.FaceID(ids[i], j), Photo: ids[i], Embedding: f.Embedding,
				Weight: f.Score * min(f.Width(), f.Height())})
		}
	}
	return faces, nil
}
