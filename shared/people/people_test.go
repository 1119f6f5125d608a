package people

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func labels(s synthetic) map[string]int {
	m := make(map[string]int, len(s.faces))
	for i, f := range s.faces {
		m[f.ID] = s.label[i]
	}
	return m
}

func personOf(ps []Person) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		for _, f := range p.Faces {
			m[f] = p.ID
		}
	}
	return m
}

// On synthetic identities (cosine 0.72 between two faces of one person,
// about 0 between people) the grouping is nearly exact.
func TestRegroupSynthetic(t *testing.T) {
	s := makeSynthetic(1, 512, 200, 8, 300)
	ps, _, err := Regroup(s.faces, nil, Corrections{}, Options{})
	require.NoError(t, err)
	p, r := bcubed(ps, labels(s))
	t.Logf("synthetic: %d faces, %d persons, BCubed precision %.4f recall %.4f", len(s.faces), len(ps), p, r)
	assert.GreaterOrEqual(t, p, 0.999)
	assert.GreaterOrEqual(t, r, 0.99)
	assertNoPhotoTwice(t, ps, s.faces)
}

func assertNoPhotoTwice(t *testing.T, ps []Person, faces []Face) {
	t.Helper()
	photo := map[string]string{}
	for _, f := range faces {
		photo[f.ID] = f.Photo
	}
	for _, p := range ps {
		seen := map[string]bool{}
		for _, f := range p.Faces {
			assert.False(t, seen[photo[f]], "person %s holds two faces of photo %s", p.ID, photo[f])
			seen[photo[f]] = true
		}
	}
}

// Two faces of one photo are never one person, however alike (twins, a
// reflection): the cannot-link constraint.
func TestTwoFacesOfOnePhotoStayApart(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	id := unitVector(rng, 64)
	faces := []Face{
		{ID: "a/0", Photo: "a", Embedding: noisy(rng, id, 0.01), Weight: 1},
		{ID: "a/1", Photo: "a", Embedding: noisy(rng, id, 0.01), Weight: 0.9},
		{ID: "b/0", Photo: "b", Embedding: noisy(rng, id, 0.01), Weight: 0.8},
	}
	ps, _, err := Regroup(faces, nil, Corrections{}, Options{})
	require.NoError(t, err)
	require.Len(t, ps, 2)
	of := personOf(ps)
	assert.NotEqual(t, of["a/0"], of["a/1"])
	assert.Len(t, ps[0].Faces, 2, "the third face joins one of them")
}

// Person ids are stable: a rerun with the same faces, Regroup or Assign,
// gives the same persons with the same ids.
func TestIDsAreStableAcrossReruns(t *testing.T) {
	s := makeSynthetic(2, 128, 30, 6, 20)
	first, cells, err := Regroup(s.faces, nil, Corrections{}, Options{})
	require.NoError(t, err)
	again, _, err := Regroup(s.faces, first, Corrections{}, Options{})
	require.NoError(t, err)
	assert.Equal(t, first, again)
	kept, _, err := Assign(s.faces, first, Corrections{}, Options{})
	require.NoError(t, err)
	assert.Equal(t, personOf(first), personOf(kept))
	// With the stored cells every person stays filed where it was, and the
	// cells come back unchanged, to be stored again.
	kept, keptCells, err := Assign(s.faces, first, Corrections{}, Options{Cells: cells})
	require.NoError(t, err)
	assert.Equal(t, first, kept)
	assert.Equal(t, cells, keptCells)

	// A regroup of shuffled input inherits the same ids.
	shuffled := append([]Face(nil), s.faces...)
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	re, _, err := Regroup(shuffled, first, Corrections{}, Options{})
	require.NoError(t, err)
	assert.Equal(t, personOf(first), personOf(re))
}

// Assign: new faces join the nearest person above the threshold (others
// start persons), faces of removed photos leave, ids stay.
func TestAssignIsIncremental(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const dim = 128
	ids := [][]float32{unitVector(rng, dim), unitVector(rng, dim), unitVector(rng, dim)}
	var faces []Face
	for p := 0; p < 12; p++ {
		faces = append(faces, Face{ID: fmt.Sprintf("p%d/0", p), Photo: fmt.Sprintf("p%d", p), Embedding: noisy(rng, ids[p%2], faceNoise(dim)), Weight: 1})
	}
	first, firstCells, err := Regroup(faces, nil, Corrections{}, Options{})
	require.NoError(t, err)
	require.Len(t, first, 2)
	of := personOf(first)

	// Photos p0 and p1 leave; p12 (identity 0), p13 (identity 1) and p14
	// (identity 2, new) arrive.
	next := append([]Face(nil), faces[2:]...)
	next = append(next,
		Face{ID: "p12/0", Photo: "p12", Embedding: noisy(rng, ids[0], faceNoise(dim)), Weight: 1},
		Face{ID: "p13/0", Photo: "p13", Embedding: noisy(rng, ids[1], faceNoise(dim)), Weight: 1},
		Face{ID: "p14/0", Photo: "p14", Embedding: noisy(rng, ids[2], faceNoise(dim)), Weight: 1})
	got, _, err := Assign(next, first, Corrections{}, Options{})
	require.NoError(t, err)
	require.Len(t, got, 3)
	after := personOf(got)
	// The same with the first grouping's cells stored (a record of an
	// earlier version has none; cells of another dimension are not used).
	for _, cs := range []*Cells{firstCells, {Dim: 3, Centres: make([]byte, 64), Steps: []float32{1}}} {
		again, _, err := Assign(next, first, Corrections{}, Options{Cells: cs})
		require.NoError(t, err)
		assert.Equal(t, after, personOf(again))
	}
	assert.Equal(t, of["p2/0"], after["p12/0"], "joins identity 0's person")
	assert.Equal(t, of["p3/0"], after["p13/0"], "joins identity 1's person")
	assert.NotContains(t, []string{of["p2/0"], of["p3/0"]}, after["p14/0"], "a new person")
	assert.NotContains(t, after, "p0/0", "the removed photo's face left")
	assert.Equal(t, len(first[0].Faces), len(got[0].Faces), "one left, one joined")
}

// The photographer's corrections: Together merges two persons, Apart takes
// a face out; both hold in Assign and in a full Regroup.
func TestCorrectionsSurviveReruns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	const dim = 128
	a, b := unitVector(rng, dim), unitVector(rng, dim)
	var faces []Face
	for p := 0; p < 8; p++ {
		id := a
		if p >= 4 {
			id = b
		}
		faces = append(faces, Face{ID: fmt.Sprintf("p%d/0", p), Photo: fmt.Sprintf("p%d", p), Embedding: noisy(rng, id, faceNoise(dim)), Weight: 1})
	}
	first, _, err := Regroup(faces, nil, Corrections{}, Options{})
	require.NoError(t, err)
	require.Len(t, first, 2)

	c := Corrections{Together: [][2]string{{"p0/0", "p4/0"}}, Apart: [][2]string{{"p3/0", "p1/0"}}}
	for name, run := range map[string]func() ([]Person, error){
		"assign": func() ([]Person, error) {
			ps, _, err := Assign(faces, first, c, Options{})
			return ps, err
		},
		"regroup": func() ([]Person, error) {
			ps, _, err := Regroup(faces, first, c, Options{})
			return ps, err
		},
	} {
		got, err := run()
		require.NoError(t, err, name)
		of := personOf(got)
		assert.Equal(t, of["p0/0"], of["p4/0"], name+": merged")
		assert.NotEqual(t, of["p3/0"], of["p1/0"], name+": split")
		assert.Contains(t, []string{first[0].ID, first[1].ID}, of["p0/0"], name+": the merged person keeps an old id")
	}
	_, _, err = Regroup(faces, nil, Corrections{Together: [][2]string{{"p0/0", "p1/0"}}, Apart: [][2]string{{"p1/0", "p0/0"}}}, Options{})
	assert.ErrorContains(t, err, "both together and apart")
}

func TestBadInput(t *testing.T) {
	_, _, err := Regroup([]Face{{ID: "a", Embedding: []float32{1, 0}}, {ID: "b", Embedding: []float32{1}}}, nil, Corrections{}, Options{})
	assert.ErrorContains(t, err, "embedding of 1 values")
	_, _, err = Regroup([]Face{{ID: "a", Embedding: []float32{1, 0}}, {ID: "a", Embedding: []float32{0, 1}}}, nil, Corrections{}, Options{})
	assert.ErrorContains(t, err, "given twice")
	ps, _, err := Regroup(nil, nil, Corrections{}, Options{})
	require.NoError(t, err)
	assert.Empty(t, ps)
}
