package steps

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

// scored is a unit vector whose cosine with unit(1) (the fake engine's
// embedding of a selfie's largest face) is score.
func scored(score float64) []float32 {
	v := make([]float32, 512)
	v[1] = float32(score)
	v[3] = float32(math.Sqrt(1 - score*score))
	return v
}

// searchAlbum stores album a's index and faces: photo A has two faces that
// match (1.0 and 0.9), B one (0.6), C a stranger (0.3), D failed and E is no
// longer in the album (both close matches, left over in the store), and
// album b has the very face.
func searchAlbum(t *testing.T, s *Steps) map[string]string {
	t.Helper()
	ctx := context.Background()
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	ids := map[string]string{}
	idx := domain.AlbumIndex{AlbumID: "a", PackVersion: "default-1", Images: map[string]domain.IndexEntry{}}
	for _, p := range []struct {
		name   string
		status domain.Status
	}{{"A", domain.StatusDone}, {"B", domain.StatusDone}, {"C", domain.StatusDone}, {"D", domain.StatusFailed}} {
		key := "albums/a/" + p.name + ".jpg"
		ids[p.name] = names.ImageID(key)
		idx.Images[ids[p.name]] = domain.IndexEntry{Key: key, ImageID: ids[p.name], Status: p.status, Faces: 1}
	}
	ids["E"] = names.ImageID("albums/a/E.jpg")
	require.NoError(t, putJSON(ctx, b, names.IndexKey("a", "default-1"), idx))
	require.NoError(t, s.Vectors.EnsureIndex(ctx, "faces-default-1", 512))
	var vs []vectors.Vector
	for _, f := range []struct {
		album, photo string
		face         int
		score        float64
	}{{"a", "A", 0, 1}, {"a", "A", 1, 0.9}, {"a", "B", 0, 0.6}, {"a", "C", 0, 0.3}, {"a", "D", 0, 0.95}, {"a", "E", 0, 0.97}, {"b", "A", 0, 1}} {
		id := ids[f.photo]
		vs = append(vs, vectors.Vector{Key: names.VectorKey(f.album, id, f.face), Data: scored(f.score),
			Metadata: vectors.Metadata{AlbumID: f.album, ImageID: id, FaceIndex: f.face, Pack: "default-1", Box: [4]float32{float32(f.face), 0, 10, 10}}})
	}
	require.NoError(t, s.Vectors.Put(ctx, "faces-default-1", vs))
	return ids
}

func TestSearch(t *testing.T) {
	small, large := faceAt(0, 0, 4, 0.99), faceAt(5, 5, 9, 0.9)
	low := float32(0.2)
	cases := []struct {
		name   string
		in     SearchInput
		photos []string // expected, best first
	}{
		{name: "each matching photo once, with its best face; not strangers, failed photos or photos gone", in: SearchInput{TopK: 10}, photos: []string{"A", "B"}},
		{name: "topK photos", in: SearchInput{TopK: 1}, photos: []string{"A"}},
		{name: "default topK and min score", in: SearchInput{}, photos: []string{"A", "B"}},
		{name: "a lower min score", in: SearchInput{MinScore: &low}, photos: []string{"A", "B", "C"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, engines := engineSteps(t, small, large)
			ids := searchAlbum(t, s)
			in := c.in
			in.AlbumID, in.Image = "a", pngPhoto(t, 32, 24)
			out, err := s.Search(context.Background(), in)
			require.NoError(t, err)
			assert.Equal(t, large.Box, out.Query, "the selfie's largest face")
			var got []string
			for _, p := range out.Photos {
				got = append(got, p.Key)
				assert.Equal(t, ids[p.Key[len("albums/a/"):len(p.Key)-len(".jpg")]], p.ImageID)
			}
			var want []string
			for _, p := range c.photos {
				want = append(want, "albums/a/"+p+".jpg")
			}
			assert.Equal(t, want, got)
			assert.InDelta(t, 1.0, out.Photos[0].Score, 1e-5)
			assert.Equal(t, [4]float32{0, 0, 10, 10}, out.Photos[0].Box, "photo A's best face is face 0")
			assert.Equal(t, []engineCall{{Op: "detect", Width: 32, Height: 24}, {Op: "align", Width: 32, Height: 24, N: 1}, {Op: "embed", N: 1}},
				engines.engine.Calls())
		})
	}
}

// The selfie is only ever bytes: a payload that names an object (as an
// older contract allowed) reads nothing and is refused for having no
// selfie.
func TestSearchReadsNoSelfieObject(t *testing.T) {
	s, _ := engineSteps(t, faceAt(0, 0, 4, 0.99))
	searchAlbum(t, s)
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	putter(t, b)("albums/other/photo.png", string(pngPhoto(t, 8, 8)))
	var in SearchInput
	require.NoError(t, json.Unmarshal([]byte(`{"albumId":"a","selfieKey":"albums/other/photo.png"}`), &in))
	_, err = s.Search(context.Background(), in)
	var bad *domain.InvalidInput
	require.ErrorAs(t, err, &bad)
	assert.Equal(t, "image", bad.Field)
}

func TestSearchErrors(t *testing.T) {
	boom := errors.New("boom")
	selfie := func(in SearchInput) SearchInput {
		in.AlbumID, in.Image = "a", []byte("png")
		return in
	}
	cases := []struct {
		name    string
		in      SearchInput
		setup   func(s *Steps, e *fakeEngines)
		want    string
		message string
	}{
		{name: "bad album id", in: SearchInput{AlbumID: "a/b"}, want: domain.ErrInvalidInput},
		{name: "unknown pack", in: SearchInput{AlbumID: "a", Pack: "nope"}, want: domain.ErrInvalidInput, message: "pack"},
		{name: "too many photos asked for", in: SearchInput{AlbumID: "a", TopK: vectors.MaxTopK + 1}, want: domain.ErrInvalidInput, message: "at most 100"},
		{name: "unknown bucket", in: SearchInput{AlbumID: "a", Bucket: "Not A Bucket"}, want: domain.ErrInvalidInput, message: "bucket"},
		{name: "album never processed", in: SearchInput{AlbumID: "never"}, want: domain.ErrInvalidInput, message: "album never has not been processed with model pack default"},
		{name: "no selfie", in: SearchInput{AlbumID: "a"}, want: domain.ErrInvalidInput, message: "give the selfie's bytes"},
		{name: "selfie not an image", in: SearchInput{AlbumID: "a", Image: []byte("text")}, want: domain.ErrImageUnreadable, message: "selfie"},
		{name: "no face in the selfie", in: selfie(SearchInput{}), setup: func(s *Steps, e *fakeEngines) { e.engine.faces = nil },
			want: domain.ErrInvalidInput, message: "no face found in the selfie"},
		{name: "engine unavailable", in: selfie(SearchInput{}), setup: func(s *Steps, e *fakeEngines) { e.err = boom }, want: domain.ErrEngineUnavailable},
		{name: "detection fails", in: selfie(SearchInput{}), setup: func(s *Steps, e *fakeEngines) { e.engine.detectErr = boom }, want: domain.ErrEngineError, message: "detect selfie"},
		{name: "alignment fails", in: selfie(SearchInput{}), setup: func(s *Steps, e *fakeEngines) { e.engine.alignErr = boom }, want: domain.ErrEngineError, message: "align selfie"},
		{name: "embedding fails", in: selfie(SearchInput{}), setup: func(s *Steps, e *fakeEngines) { e.engine.embedErr = boom }, want: domain.ErrEngineError, message: "embed selfie"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, engines := engineSteps(t, faceAt(0, 0, 4, 0.99))
			searchAlbum(t, s)
			if c.setup != nil {
				c.setup(s, engines)
			}
			in := c.in
			if string(in.Image) == "png" {
				in.Image = pngPhoto(t, 8, 8)
			}
			_, err := s.Search(context.Background(), in)
			require.Error(t, err)
			assert.Equal(t, c.want, errorName(err), "%v", err)
			assert.ErrorContains(t, err, c.message)
		})
	}
}

func TestRankPhotos(t *testing.T) {
	idx := &domain.AlbumIndex{Images: map[string]domain.IndexEntry{
		"x": {Key: "albums/a/x.jpg", Status: domain.StatusDone},
		"y": {Key: "albums/a/y.jpg", Status: domain.StatusDone},
		"z": {Key: "albums/a/z.jpg", Status: domain.StatusNoFaces},
	}}
	m := func(id string, score float32) vectors.Match {
		return vectors.Match{Score: score, Metadata: vectors.Metadata{ImageID: id, Box: [4]float32{score}}}
	}
	got := rankPhotos([]vectors.Match{m("y", 0.5), m("x", 0.8), m("x", 0.9), m("z", 0.99), m("gone", 0.99), m("y", 0.1)}, idx, 0.4, 10)
	assert.Equal(t, []SearchMatch{
		{Key: "albums/a/x.jpg", ImageID: "x", Score: 0.8, Box: [4]float32{0.8}},
		{Key: "albums/a/y.jpg", ImageID: "y", Score: 0.5, Box: [4]float32{0.5}},
	}, got, "the first match of a photo is its best (the store returns best first)")
	assert.Empty(t, rankPhotos(nil, idx, 0.4, 10))
	assert.NotNil(t, rankPhotos(nil, idx, 0.4, 10), "an empty list, not null, in JSON")
}

// OneFace refuses a selfie with a second face at least half as large as
// the largest, and searches one whose other faces are small (people in
// the background).
func TestSearchOneFace(t *testing.T) {
	for _, c := range []struct {
		name  string
		faces []face.Face
		ok    bool
	}{
		{"one face", []face.Face{faceAt(0, 0, 4, 0.99)}, true},
		{"a small face behind", []face.Face{faceAt(0, 0, 4, 0.99), faceAt(5, 5, 2, 0.9)}, true},
		{"two faces alike", []face.Face{faceAt(0, 0, 4, 0.99), faceAt(5, 0, 3, 0.9)}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _ := engineSteps(t, c.faces...)
			searchAlbum(t, s)
			in := SearchInput{AlbumID: "a", Image: pngPhoto(t, 8, 8), OneFace: true}
			_, err := s.Search(context.Background(), in)
			if c.ok {
				assert.NoError(t, err)
				return
			}
			var bad *domain.InvalidInput
			require.ErrorAs(t, err, &bad)
			assert.Equal(t, ReasonSeveralFaces, bad.Reason)
			in.OneFace = false
			_, err = s.Search(context.Background(), in)
			assert.NoError(t, err, "without OneFace, the largest face is searched")
		})
	}
}

// An index the caller already read is used as is: the stored one is not
// read (here it is gone), and only its photos are answered.
func TestSearchWithTheCallersIndex(t *testing.T) {
	s, _ := engineSteps(t, faceAt(0, 0, 4, 0.99))
	ids := searchAlbum(t, s)
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	require.NoError(t, b.Delete(context.Background(), names.IndexKey("a", "default-1")))
	only := &domain.AlbumIndex{Images: map[string]domain.IndexEntry{ids["B"]: {Key: "albums/a/B.jpg", ImageID: ids["B"], Status: domain.StatusDone}}}
	out, err := s.Search(context.Background(), SearchInput{AlbumID: "a", Image: pngPhoto(t, 8, 8), Index: only})
	require.NoError(t, err)
	require.Len(t, out.Photos, 1)
	assert.Equal(t, "albums/a/B.jpg", out.Photos[0].Key)
	_, err = s.Search(context.Background(), SearchInput{AlbumID: "a", Image: pngPhoto(t, 8, 8)})
	assert.ErrorContains(t, err, "has not been processed", "without it, the stored index is read")
}
