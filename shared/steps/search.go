package steps

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/people"
	"github.com/divinepic/pipeline/shared/vectors"
)

// DefaultTopK is how many photos a search returns when it does not say.
const DefaultTopK = 10

// DefaultMinScore is the similarity under which a face is not taken for the
// selfie's person. With the default pack, same-person pairs of the test data
// score 0.69 and more, different people 0.08 and less, and LFW's hard
// different-person pairs up to about 0.37: 0.4 sits above those.
const DefaultMinScore = 0.4

// The reasons of a selfie that cannot be searched (domain.InvalidInput's
// Reason, field "image").
const (
	ReasonNoFace       = "no face found in the selfie"
	ReasonSeveralFaces = "several faces in the selfie: take one that shows only you"
)

// Search finds the photos of an album that show the person in a selfie:
// detect the selfie's largest face, embed it, take the nearest faces of the
// album, and return each photo once (with its best face), best score first;
// when the album's people are grouped, the photos of the person the best
// match belongs to join them (withPerson), single-face matches of no
// person staying in the list.
func (s *Steps) Search(ctx context.Context, in SearchInput) (SearchOutput, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return SearchOutput{}, err
	}
	pack, err := s.pack(in.Pack)
	if err != nil {
		return SearchOutput{}, err
	}
	topK := in.TopK
	if topK <= 0 {
		topK = DefaultTopK
	}
	if topK > vectors.MaxTopK {
		return SearchOutput{}, &domain.InvalidInput{Field: "topK", Reason: "at most 100"}
	}
	albums, err := s.bucket(in.Bucket)
	if err != nil {
		return SearchOutput{}, err
	}
	// The album index, read once: it says the album was processed, and maps
	// image ids back to photo keys.
	idx := in.Index
	if idx == nil {
		idx = &domain.AlbumIndex{}
		if err := getJSON(ctx, albums, names.IndexKey(in.AlbumID, pack.Version), idx); err != nil {
			if isMissing(err) {
				return SearchOutput{}, &domain.InvalidInput{Field: "albumId",
					Reason: fmt.Sprintf("album %s has not been processed with model pack %s", in.AlbumID, pack.Name)}
			}
			return SearchOutput{}, err
		}
	}
	body, name, err := selfie(in)
	if err != nil {
		return SearchOutput{}, err
	}
	largest, emb, err := s.embedSelfie(ctx, pack, name, body, in.OneFace)
	if err != nil {
		return SearchOutput{}, err
	}
	index, err := names.IndexForPack(pack.Version)
	if err != nil {
		return SearchOutput{}, err
	}
	// A photo can hold several similar faces: ask for more faces than photos.
	matches, err := s.Vectors.Query(ctx, index, emb, min(vectors.MaxTopK, 4*topK), in.AlbumID)
	if err != nil {
		return SearchOutput{}, err
	}
	minScore := float32(DefaultMinScore)
	if in.MinScore != nil {
		minScore = *in.MinScore
	}
	// The album's people, when the People step has grouped them.
	var ppl *domain.PeopleRecord
	var rec domain.PeopleRecord
	if err := getJSON(ctx, albums, names.PeopleKey(in.AlbumID, pack.Version), &rec); err == nil {
		ppl = &rec
	} else if !isMissing(err) {
		return SearchOutput{}, err
	}
	photos := rankPhotos(matches, idx, minScore, topK)
	photos = withPerson(photos, matches, idx, ppl, minScore, topK)
	if err := s.personBoxes(ctx, albums, in.AlbumID, pack.Version, ppl, photos); err != nil {
		return SearchOutput{}, err
	}
	return SearchOutput{Query: largest.Box, Photos: photos}, nil
}

// withPerson adds the photos of the person the selfie matched: the best
// match, if at least people.DefaultThreshold, is one of a person's faces
// (of two or more), and each photo of that person not matched directly
// joins the list with the best match's score (so right after it: the
// person's evidence is that strong), marked with the person. A photo
// uploaded twice (same content under two names) is listed once.
func withPerson(photos []SearchMatch, matches []vectors.Match, idx *domain.AlbumIndex, ppl *domain.PeopleRecord, minScore float32, topK int) []SearchMatch {
	if ppl == nil || len(matches) == 0 {
		return photos
	}
	best := matches[0]
	for _, m := range matches[1:] {
		if m.Score > best.Score {
			best = m
		}
	}
	if best.Score < max(minScore, people.DefaultThreshold) {
		return photos
	}
	if e, ok := idx.Images[best.Metadata.ImageID]; !ok || e.Status != domain.StatusDone {
		return photos
	}
	matched := names.FaceID(best.Metadata.ImageID, best.Metadata.FaceIndex)
	var person *domain.Person
	for i := range ppl.People {
		if slices.Contains(ppl.People[i].Faces, matched) {
			person = &ppl.People[i]
			break
		}
	}
	if person == nil || len(person.Faces) < 2 {
		return photos
	}
	seen := map[string]bool{}
	for _, p := range photos {
		seen[p.ImageID] = true
		if e := idx.Images[p.ImageID]; e.ETag != "" {
			seen["etag:"+e.ETag] = true
		}
	}
	out := append([]SearchMatch(nil), photos...)
	for _, f := range person.Faces {
		id := names.ImageOfFaceID(f)
		e, ok := idx.Images[id]
		if !ok || e.Status != domain.StatusDone || seen[id] || (e.ETag != "" && seen["etag:"+e.ETag]) {
			continue
		}
		seen[id] = true
		if e.ETag != "" {
			seen["etag:"+e.ETag] = true
		}
		out = append(out, SearchMatch{Key: e.Key, ImageID: id, Score: best.Score, Person: person.ID})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > topK {
		out = out[:topK]
	}
	return out
}

// personBoxes gives each photo found through a person the box of that
// person's face in it, from its face record.
func (s *Steps) personBoxes(ctx context.Context, b blob.Store, albumID, packVersion string, ppl *domain.PeopleRecord, photos []SearchMatch) error {
	if ppl == nil {
		return nil
	}
	faceOf := map[string]string{} // image id -> the person's face in it
	for i := range photos {
		if photos[i].Person == "" {
			continue
		}
		for _, p := range ppl.People {
			if p.ID != photos[i].Person {
				continue
			}
			for _, f := range p.Faces {
				if names.ImageOfFaceID(f) == photos[i].ImageID {
					faceOf[photos[i].ImageID] = f
				}
			}
		}
	}
	for i := range photos {
		f, ok := faceOf[photos[i].ImageID]
		if !ok {
			continue
		}
		var rec domain.FaceRecord
		if err := getJSON(ctx, b, names.RecordKey(albumID, packVersion, photos[i].ImageID), &rec); err != nil {
			if isMissing(err) {
				continue
			}
			return err
		}
		_, n, _ := strings.Cut(f, "/")
		if k, err := strconv.Atoi(n); err == nil && k >= 0 && k < len(rec.Faces) {
			photos[i].Box = rec.Faces[k].Box
		}
	}
	return nil
}

// selfie returns the selfie's bytes and a name for errors.
func selfie(in SearchInput) ([]byte, string, error) {
	if len(in.Image) == 0 {
		return nil, "", &domain.InvalidInput{Field: "image", Reason: "give the selfie's bytes (a JPEG, PNG, WebP or HEIC photo)"}
	}
	return in.Image, "selfie", nil
}

// embedSelfie decodes the selfie, detects its faces and embeds the largest
// (with oneFace, only when no other face is at least half as large).
func (s *Steps) embedSelfie(ctx context.Context, pack *modelpack.Pack, name string, body []byte, oneFace bool) (*face.Face, []float32, error) {
	img, err := s.decode(name, body)
	if err != nil {
		return nil, nil, err
	}
	eng, err := s.Engines.Engine(ctx, pack)
	if err != nil {
		return nil, nil, &domain.EngineUnavailable{Pack: pack.Name, Err: err}
	}
	faces, err := eng.Detect(img)
	if err != nil {
		return nil, nil, &domain.EngineError{Op: "detect " + name, Err: err}
	}
	largest := face.Largest(faces)
	if largest == nil {
		return nil, nil, &domain.InvalidInput{Field: "image", Reason: ReasonNoFace}
	}
	if oneFace {
		for i := range faces {
			if &faces[i] != largest && 2*faces[i].Area() >= largest.Area() {
				return nil, nil, &domain.InvalidInput{Field: "image", Reason: ReasonSeveralFaces}
			}
		}
	}
	chips, err := eng.Align(img, []face.Face{*largest})
	if err != nil {
		return nil, nil, &domain.EngineError{Op: "align " + name, Err: err}
	}
	embs, err := eng.Embed(chips)
	if err != nil {
		return nil, nil, &domain.EngineError{Op: "embed " + name, Err: err}
	}
	return largest, embs[0], nil
}

// rankPhotos turns the nearest faces into photos: each photo the index has
// as done once (with its best face), at least minScore, best first, at most
// topK.
func rankPhotos(matches []vectors.Match, idx *domain.AlbumIndex, minScore float32, topK int) []SearchMatch {
	photos := []SearchMatch{}
	seen := map[string]bool{}
	for _, m := range matches {
		id := m.Metadata.ImageID
		e, indexed := idx.Images[id]
		if m.Score < minScore || !indexed || e.Status != domain.StatusDone {
			continue // a stranger, or a leftover of a photo the album no longer has
		}
		if seen[id] || (e.ETag != "" && seen["etag:"+e.ETag]) {
			continue // one photo, or the same photo uploaded under another name
		}
		seen[id] = true
		if e.ETag != "" {
			seen["etag:"+e.ETag] = true
		}
		photos = append(photos, SearchMatch{Key: e.Key, ImageID: id, Score: m.Score, Box: m.Metadata.Box})
	}
	sort.SliceStable(photos, func(i, j int) bool { return photos[i].Score > photos[j].Score })
	if len(photos) > topK {
		photos = photos[:topK]
	}
	return photos
}
