package steps

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

// peopleAlbum stores album a's index and face records: photos P1..P3 show
// one person (embedding near e1), P2 also a look-alike's face that the
// filter dropped, P4 a second person (e2), P5 the second person too but
// its record is of other content (skipped), P6 failed.
func peopleAlbum(t *testing.T, s *Steps, photos ...string) map[string]string {
	t.Helper()
	ctx := context.Background()
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	near := func(axis int, wobble float32) []float32 {
		v := make([]float32, 512)
		v[axis] = 1
		v[100+axis] = wobble
		l := float32(1 / sqrt32(1+wobble*wobble))
		v[axis] *= l
		v[100+axis] *= l
		return v
	}
	faces := map[string][]domain.Face{
		"P1": {{Score: 0.9, Box: [4]float32{0, 0, 50, 50}, Embedding: near(1, 0.1)}},
		"P2": {{Score: 0.9, Box: [4]float32{0, 0, 50, 50}, Embedding: near(1, 0.2)}, {Score: 0.9, Embedding: near(1, 0), Filtered: "too small"}},
		"P3": {{Score: 0.8, Box: [4]float32{0, 0, 40, 40}, Embedding: near(1, 0.3)}},
		"P4": {{Score: 0.9, Box: [4]float32{0, 0, 50, 50}, Embedding: near(2, 0.1)}},
		"P5": {{Score: 0.9, Box: [4]float32{0, 0, 50, 50}, Embedding: near(2, 0.2)}},
	}
	ids := map[string]string{}
	idx := domain.AlbumIndex{AlbumID: "a", PackVersion: "default-1", Images: map[string]domain.IndexEntry{}}
	for _, p := range photos {
		key := "albums/a/" + p + ".jpg"
		id := names.ImageID(key)
		ids[p] = id
		st := domain.StatusDone
		if p == "P6" {
			st = domain.StatusFailed
		}
		idx.Images[id] = domain.IndexEntry{Key: key, ETag: "e-" + p, ImageID: id, Status: st, Faces: 1}
		if fs, ok := faces[p]; ok {
			etag := "e-" + p
			if p == "P5" {
				etag = "other"
			}
			require.NoError(t, putJSON(ctx, b, names.RecordKey("a", "default-1", id),
				domain.FaceRecord{AlbumID: "a", ImageID: id, Key: key, ETag: etag, PackVersion: "default-1", Faces: fs}))
		}
	}
	require.NoError(t, putJSON(ctx, b, names.IndexKey("a", "default-1"), idx))
	return ids
}

func sqrt32(v float32) float32 {
	x := v
	for range 30 {
		x = (x + v/x) / 2
	}
	return x
}

func readPeople(t *testing.T, s *Steps) domain.PeopleRecord {
	t.Helper()
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	var rec domain.PeopleRecord
	require.NoError(t, getJSON(context.Background(), b, names.PeopleKey("a", "default-1"), &rec))
	return rec
}

func TestPeopleStep(t *testing.T) {
	s, _ := testSteps(t)
	ctx := context.Background()
	ids := peopleAlbum(t, s, "P1", "P2", "P3", "P4", "P5", "P6")
	agg := AggregateOutput{SummaryKey: "k", Images: 6, Faces: 5}
	out, err := s.People(ctx, PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, Aggregate: agg})
	require.NoError(t, err)
	assert.Equal(t, PeopleOutput{AggregateOutput: agg, PeopleKey: names.PeopleKey("a", "default-1"), People: 1, Grouped: 4, Regrouped: true}, out,
		"P1-P3 are one person, P4 alone; the filtered face and P5's stale record are not grouped")
	rec := readPeople(t, s)
	require.Len(t, rec.People, 2)
	assert.ElementsMatch(t, []string{names.FaceID(ids["P1"], 0), names.FaceID(ids["P2"], 0), names.FaceID(ids["P3"], 0)}, rec.People[0].Faces)
	assert.Equal(t, []string{names.FaceID(ids["P4"], 0)}, rec.People[1].Faces)
	first := rec.People[0].ID

	// A rerun without P1 and with the same photos otherwise: incremental,
	// the person keeps its id.
	s2, _ := testSteps(t)
	s2.Blobs = s.Blobs
	peopleAlbum(t, s2, "P2", "P3", "P4")
	out, err = s.People(ctx, PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}})
	require.NoError(t, err)
	assert.False(t, out.Regrouped)
	rec = readPeople(t, s)
	assert.Equal(t, first, rec.People[0].ID)
	assert.ElementsMatch(t, []string{names.FaceID(ids["P2"], 0), names.FaceID(ids["P3"], 0)}, rec.People[0].Faces, "P1's face left")

	// The photographer takes P3 out: the correction holds on a regroup.
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	require.NoError(t, putJSON(ctx, b, names.CorrectionsKey("a", "default-1"),
		domain.PeopleCorrections{Apart: [][2]string{{names.FaceID(ids["P3"], 0), names.FaceID(ids["P2"], 0)}}}))
	out, err = s.People(ctx, PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: "a", Regroup: true}})
	require.NoError(t, err)
	assert.True(t, out.Regrouped)
	assert.Zero(t, out.People, "three people of one face each")
	assert.Len(t, readPeople(t, s).People, 3)

	_, err = s.People(ctx, PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: "../x"}})
	assert.Equal(t, domain.ErrInvalidInput, errorName(err))
}

// Search through people: the best match's person brings its other photos
// (marked with the person, the matched face's score), a photo stored twice
// under two names is listed once, and a match in no person stays.
func TestWithPerson(t *testing.T) {
	idx := &domain.AlbumIndex{Images: map[string]domain.IndexEntry{
		"a":  {Key: "albums/x/a.jpg", ImageID: "a", ETag: "ea", Status: domain.StatusDone},
		"b":  {Key: "albums/x/b.jpg", ImageID: "b", ETag: "eb", Status: domain.StatusDone},
		"c":  {Key: "albums/x/c.jpg", ImageID: "c", ETag: "ec", Status: domain.StatusDone},
		"c2": {Key: "albums/x/c copy.jpg", ImageID: "c2", ETag: "ec", Status: domain.StatusDone},
		"d":  {Key: "albums/x/d.jpg", ImageID: "d", ETag: "ed", Status: domain.StatusDone},
		"f":  {Key: "albums/x/f.jpg", ImageID: "f", ETag: "ef", Status: domain.StatusFailed},
	}}
	ppl := &domain.PeopleRecord{People: []domain.Person{
		{ID: "pa", Faces: []string{"a/0", "b/1", "c/0", "c2/0", "f/0"}},
		{ID: "pd", Faces: []string{"d/0"}},
	}}
	m := func(id string, face int, score float32) vectors.Match {
		return vectors.Match{Score: score, Metadata: vectors.Metadata{ImageID: id, FaceIndex: face}}
	}
	matches := []vectors.Match{m("a", 0, 0.8), m("d", 0, 0.45)}
	direct := rankPhotos(matches, idx, 0.4, 10)
	got := withPerson(direct, matches, idx, ppl, 0.4, 10)
	var keys []string
	for _, p := range got {
		keys = append(keys, p.ImageID+":"+p.Person)
	}
	assert.Equal(t, []string{"a:", "b:pa", "c:pa", "d:"}, keys, "c2 is c's content again; f failed")
	assert.Equal(t, float32(0.8), got[1].Score)

	// A best match under the people threshold brings nobody.
	weak := []vectors.Match{m("a", 0, 0.45)}
	assert.Len(t, withPerson(rankPhotos(weak, idx, 0.4, 10), weak, idx, ppl, 0.4, 10), 1)
	assert.Len(t, withPerson(direct, matches, idx, nil, 0.4, 10), 2, "no people record: direct matches only")
	assert.Len(t, withPerson(direct, matches, idx, ppl, 0.4, 2), 2, "topK holds")
}

func TestCorrectPeople(t *testing.T) {
	s, _ := testSteps(t)
	ctx := context.Background()
	ids := peopleAlbum(t, s, "P1", "P2", "P3", "P4")
	_, err := s.CorrectPeople(ctx, PeopleCorrection{AlbumID: "a", Split: "x/0"})
	assert.ErrorContains(t, err, "not been grouped yet")
	_, err = s.People(ctx, PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}})
	require.NoError(t, err)
	rec := readPeople(t, s)
	require.Len(t, rec.People, 2)
	big, small := rec.People[0].ID, rec.People[1].ID

	out, err := s.CorrectPeople(ctx, PeopleCorrection{AlbumID: "a", Merge: [2]string{big, small}})
	require.NoError(t, err)
	assert.Equal(t, 1, out.People)
	rec = readPeople(t, s)
	require.Len(t, rec.People, 1, "merged")
	assert.Len(t, rec.People[0].Faces, 4)
	assert.Equal(t, big, rec.People[0].ID)

	p3 := names.FaceID(ids["P3"], 0)
	_, err = s.CorrectPeople(ctx, PeopleCorrection{AlbumID: "a", Split: p3})
	require.NoError(t, err)
	rec = readPeople(t, s)
	require.Len(t, rec.People, 2)
	assert.NotContains(t, rec.People[0].Faces, p3)
	assert.Equal(t, []string{p3}, rec.People[1].Faces)

	// Both hold on a full regroup.
	_, err = s.People(ctx, PeopleInput{AlbumInput: domain.AlbumInput{AlbumID: "a", Regroup: true}})
	require.NoError(t, err)
	again := readPeople(t, s)
	assert.Equal(t, withoutCells(rec.People), withoutCells(again.People), "a regroup trains new cells: only the filing may differ")
	require.NotNil(t, again.Cells, "the cells are stored for the next incremental run")

	for _, bad := range []PeopleCorrection{
		{AlbumID: "a"},
		{AlbumID: "a", Merge: [2]string{big, big}},
		{AlbumID: "a", Merge: [2]string{big, "nobody"}},
		{AlbumID: "a", Split: p3}, // alone already
		{AlbumID: "a", Split: "nope/0"},
	} {
		_, err := s.CorrectPeople(ctx, bad)
		assert.Equal(t, domain.ErrInvalidInput, errorName(err), "%+v", bad)
	}

	// A face split out by mistake is merged back: the merge drops the
	// split's Apart pairs instead of contradicting them.
	_, err = s.CorrectPeople(ctx, PeopleCorrection{AlbumID: "a", Merge: [2]string{rec.People[0].ID, rec.People[1].ID}})
	require.NoError(t, err)
	rec = readPeople(t, s)
	require.Len(t, rec.People, 1)
	assert.Contains(t, rec.People[0].Faces, p3)
}

// withoutCells is the persons without their coarse cells.
func withoutCells(ps []domain.Person) []domain.Person {
	out := make([]domain.Person, len(ps))
	for i, p := range ps {
		out[i] = domain.Person{ID: p.ID, Faces: p.Faces}
	}
	return out
}
