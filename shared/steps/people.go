package steps

import (
	"context"
	"slices"
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
	ps, cells, err := group(faces, old.People, corr, people.Options{Threshold: threshold, Cells: old.Cells})
	if err != nil {
		return PeopleOutput{}, &domain.InvalidInput{Field: "corrections", Reason: err.Error()}
	}
	rec := domain.PeopleRecord{AlbumID: in.AlbumID, PackVersion: pack.Version, Threshold: threshold, People: ps,
		Faces: len(faces), UpdatedAt: s.now().UTC(), Cells: cells}
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

// PeopleCorrection is one correction of an album's people by the
// photographer: merge two persons, or split a face out of its person.
type PeopleCorrection struct {
	AlbumID string    `json:"albumId"`
	Bucket  string    `json:"bucket,omitempty"`
	Pack    string    `json:"pack,omitempty"`
	Merge   [2]string `json:"merge,omitempty"` // two person ids: one person
	Split   string    `json:"split,omitempty"` // a face id (names.FaceID): not its person's
}

// CorrectPeople stores a correction under CorrectionsKey (by face id, so
// it holds on every later run, incremental or regrouped) and applies it at
// once by running People. Two persons seen in one photo cannot be merged.
func (s *Steps) CorrectPeople(ctx context.Context, c PeopleCorrection) (PeopleOutput, error) {
	if err := names.ValidateAlbumID(c.AlbumID); err != nil {
		return PeopleOutput{}, err
	}
	pack, err := s.pack(c.Pack)
	if err != nil {
		return PeopleOutput{}, err
	}
	b, err := s.bucket(c.Bucket)
	if err != nil {
		return PeopleOutput{}, err
	}
	var rec domain.PeopleRecord
	if err := getJSON(ctx, b, names.PeopleKey(c.AlbumID, pack.Version), &rec); err != nil {
		if isMissing(err) {
			return PeopleOutput{}, &domain.InvalidInput{Field: "albumId", Reason: "the album's people have not been grouped yet: run the album first"}
		}
		return PeopleOutput{}, err
	}
	byID := map[string]*domain.Person{}
	for i := range rec.People {
		byID[rec.People[i].ID] = &rec.People[i]
	}
	corr, err := s.corrections(ctx, b, c.AlbumID, pack.Version)
	if err != nil {
		return PeopleOutput{}, err
	}
	switch {
	case c.Merge != [2]string{} && c.Split != "":
		return PeopleOutput{}, &domain.InvalidInput{Field: "merge", Reason: "merge or split, not both at once"}
	case c.Merge != [2]string{}:
		a, b := byID[c.Merge[0]], byID[c.Merge[1]]
		if a == nil || b == nil {
			return PeopleOutput{}, &domain.InvalidInput{Field: "merge", Reason: "no such person in this album"}
		}
		if a == b {
			return PeopleOutput{}, &domain.InvalidInput{Field: "merge", Reason: "a person cannot be merged with itself"}
		}
		photos := map[string]bool{}
		for _, f := range a.Faces {
			photos[names.ImageOfFaceID(f)] = true
		}
		for _, f := range b.Faces {
			if photos[names.ImageOfFaceID(f)] {
				return PeopleOutput{}, &domain.InvalidInput{Field: "merge", Reason: "the two are seen together in one photo: they are two people"}
			}
		}
		corr.Together = append(corr.Together, [2]string{a.Faces[0], b.Faces[0]})
		// A split that kept them apart no longer holds (a face split out
		// by mistake is merged back).
		inA, inB := map[string]bool{}, map[string]bool{}
		for _, f := range a.Faces {
			inA[f] = true
		}
		for _, f := range b.Faces {
			inB[f] = true
		}
		corr.Apart = slices.DeleteFunc(corr.Apart, func(p [2]string) bool { return inA[p[0]] && inB[p[1]] || inB[p[0]] && inA[p[1]] })
	case c.Split != "":
		var from *domain.Person
		for i := range rec.People {
			if slices.Contains(rec.People[i].Faces, c.Split) {
				from = &rec.People[i]
			}
		}
		if from == nil {
			return PeopleOutput{}, &domain.InvalidInput{Field: "split", Reason: "no such face among the album's people"}
		}
		if len(from.Faces) < 2 {
			return PeopleOutput{}, &domain.InvalidInput{Field: "split", Reason: "the face is a person of its own already"}
		}
		// Apart from every other face of the person: it leaves the person
		// whoever else joins it later.
		for _, f := range from.Faces {
			if f != c.Split {
				corr.Apart = append(corr.Apart, [2]string{c.Split, f})
			}
		}
		// A merge that put it there no longer holds.
		corr.Together = slices.DeleteFunc(corr.Together, func(p [2]string) bool { return p[0] == c.Split || p[1] == c.Split })
	default:
		return PeopleOutput{}, &domain.InvalidInput{Field: "merge", Reason: "say which two persons to merge or which face to split"}
	}
	if err := putJSON(ctx, b, names.CorrectionsKey(c.AlbumID, pack.Version), corr); err != nil {
		return PeopleOutput{}, err
	}
	return s.People(ctx, PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: c.AlbumID, Bucket: c.Bucket, Pack: c.Pack}})
}
