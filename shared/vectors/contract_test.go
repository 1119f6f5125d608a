package vectors_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/vectors"
)

// harness is one implementation under the contract test.
type harness struct {
	name string
	// open returns a fresh, empty store.
	open func(t *testing.T) vectors.Store
	// putBatches, when set, returns the sizes of the write calls the store
	// made to its backend since open, in order.
	putBatches func() []int
}

func randVec(r *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

func key(album string, image, face int) string {
	return fmt.Sprintf("%s/img%04d/%d", album, image, face)
}

// cosine is the reference similarity, in float64.
func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return ab / math.Sqrt(aa*bb)
}

type refVec struct {
	key   string
	album string
	data  []float32
}

// bruteForce is the reference top-k: every vector scored, sorted.
func bruteForce(all []refVec, q []float32, k int, album string) []float64 {
	var scores []float64
	for _, v := range all {
		if album == "" || v.album == album {
			scores = append(scores, cosine(q, v.data))
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(scores)))
	return scores[:min(k, len(scores))]
}

// runContract runs the Store contract against h.
func runContract(t *testing.T, h harness) {
	ctx := context.Background()
	const dim = 48

	t.Run("EnsureIndex", func(t *testing.T) {
		s := h.open(t)
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim), "idempotent")
		err := s.EnsureIndex(ctx, "faces-a", dim+1)
		require.ErrorIs(t, err, vectors.ErrDimensionMismatch)
		for _, bad := range []string{"", "ab", "Faces", "faces_a", "-faces", "faces-", "a/b/c", "../x", string(make([]byte, 64))} {
			require.ErrorIs(t, s.EnsureIndex(ctx, bad, dim), vectors.ErrInvalid, "index name %q", bad)
		}
		for _, bad := range []int{0, -1, vectors.MaxDimension + 1} {
			require.ErrorIs(t, s.EnsureIndex(ctx, "faces-b", bad), vectors.ErrInvalid, "dimension %d", bad)
		}
	})

	t.Run("MissingIndex", func(t *testing.T) {
		s := h.open(t)
		q := randVec(rand.New(rand.NewPCG(1, 1)), dim)
		_, err := s.Query(ctx, "faces-none", q, 5, "")
		assert.ErrorIs(t, err, vectors.ErrIndexNotFound)
		_, err = s.Keys(ctx, "faces-none", "")
		assert.ErrorIs(t, err, vectors.ErrIndexNotFound)
		err = s.Put(ctx, "faces-none", []vectors.Vector{{Key: "a/b/0", Data: q, Metadata: vectors.Metadata{AlbumID: "a"}}})
		assert.ErrorIs(t, err, vectors.ErrIndexNotFound)
		assert.ErrorIs(t, s.Delete(ctx, "faces-none", []string{"a/b/0"}), vectors.ErrIndexNotFound)
	})

	t.Run("UpsertKeepsOneCopyAndMetadata", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(2, 2))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		first, second := randVec(r, dim), randVec(r, dim)
		meta := vectors.Metadata{AlbumID: "al", ImageID: "img1", FaceIndex: 3, Pack: "pack-v1",
			Box: [4]float32{1.5, 2.25, 100.125, 200.5}, Score: 0.875}
		require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{{Key: "al/img1/3", Data: first, Metadata: meta}}))
		meta2 := meta
		meta2.Score = 0.5
		meta2.Pack = "pack-v2"
		require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{{Key: "al/img1/3", Data: second, Metadata: meta2}}))
		require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{{Key: "al/img1/3", Data: second, Metadata: meta2}}))

		keys, err := s.Keys(ctx, "faces-a", "al")
		require.NoError(t, err)
		assert.Equal(t, []string{"al/img1/3"}, keys)
		got, err := s.Query(ctx, "faces-a", second, 10, "al")
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "al/img1/3", got[0].Key)
		assert.InDelta(t, 1.0, got[0].Score, 1e-5, "the second vector replaced the first")
		assert.Equal(t, meta2, got[0].Metadata)
	})

	t.Run("UpsertMovesKeyBetweenAlbums", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(3, 3))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		v := randVec(r, dim)
		require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{{Key: "k1", Data: v, Metadata: vectors.Metadata{AlbumID: "x"}}}))
		require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{{Key: "k1", Data: v, Metadata: vectors.Metadata{AlbumID: "y"}}}))
		kx, err := s.Keys(ctx, "faces-a", "x")
		require.NoError(t, err)
		assert.Empty(t, kx)
		ky, err := s.Keys(ctx, "faces-a", "y")
		require.NoError(t, err)
		assert.Equal(t, []string{"k1"}, ky)
		got, err := s.Query(ctx, "faces-a", v, 5, "x")
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("QueryIsExactAndFiltered", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(4, 4))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		albums := []string{"alpha", "beta", "gamma"}
		var all []refVec
		var vs []vectors.Vector
		for i := 0; i < 900; i++ {
			album := albums[i%3]
			if i%7 == 0 {
				album = "alpha" // uneven album sizes
			}
			v := refVec{key: key(album, i, i%2), album: album, data: randVec(r, dim)}
			all = append(all, v)
			vs = append(vs, vectors.Vector{Key: v.key, Data: v.data, Metadata: vectors.Metadata{AlbumID: album, ImageID: fmt.Sprint(i)}})
		}
		require.NoError(t, s.Put(ctx, "faces-a", vs))
		byKey := map[string]refVec{}
		for _, v := range all {
			byKey[v.key] = v
		}
		for qi := 0; qi < 12; qi++ {
			q := randVec(r, dim)
			if qi%3 == 0 {
				// a near-duplicate of a stored vector, as a selfie of a guest
				q = append([]float32(nil), all[qi*17].data...)
				q[0] += 0.1
			}
			for _, album := range []string{"", "alpha", "beta", "gamma", "nobody"} {
				for _, k := range []int{1, 10, vectors.MaxTopK} {
					name := fmt.Sprintf("q%d/album=%q/k=%d", qi, album, k)
					got, err := s.Query(ctx, "faces-a", q, k, album)
					require.NoError(t, err, name)
					want := bruteForce(all, q, k, album)
					require.Len(t, got, len(want), name)
					for i, m := range got {
						ref, ok := byKey[m.Key]
						require.True(t, ok, "%s: unknown key %s", name, m.Key)
						if album != "" {
							assert.Equal(t, album, m.Metadata.AlbumID, name)
							assert.Equal(t, album, ref.album, name)
						}
						assert.InDelta(t, cosine(q, ref.data), m.Score, 1e-5, "%s: score of %s", name, m.Key)
						assert.InDelta(t, want[i], m.Score, 1e-5, "%s: rank %d", name, i)
					}
				}
			}
		}
	})

	t.Run("DuplicatesAndScale", func(t *testing.T) {
		// The same direction at different lengths scores 1 (cosine ignores
		// length); 30 such vectors among noise, k = 10.
		s := h.open(t)
		r := rand.New(rand.NewPCG(10, 10))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		base := randVec(r, dim)
		dup := map[string]bool{}
		var vs []vectors.Vector
		for i := 0; i < 300; i++ {
			data := randVec(r, dim)
			if i%10 == 0 {
				data = make([]float32, dim)
				for j := range data {
					data[j] = base[j] * float32(i+1) / 7
				}
				dup[key("al", i, 0)] = true
			}
			vs = append(vs, vectors.Vector{Key: key("al", i, 0), Data: data, Metadata: vectors.Metadata{AlbumID: "al"}})
		}
		require.NoError(t, s.Put(ctx, "faces-a", vs))
		got, err := s.Query(ctx, "faces-a", base, 10, "al")
		require.NoError(t, err)
		require.Len(t, got, 10)
		for _, m := range got {
			assert.True(t, dup[m.Key], "%s is not a duplicate", m.Key)
			assert.InDelta(t, 1, m.Score, 1e-5)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(5, 5))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		var vs []vectors.Vector
		for i := 0; i < 20; i++ {
			vs = append(vs, vectors.Vector{Key: key("al", i, 0), Data: randVec(r, dim), Metadata: vectors.Metadata{AlbumID: "al"}})
		}
		require.NoError(t, s.Put(ctx, "faces-a", vs))
		require.NoError(t, s.Delete(ctx, "faces-a", []string{vs[3].Key, vs[7].Key, "al/missing/0"}))
		require.NoError(t, s.Delete(ctx, "faces-a", []string{vs[3].Key}), "deleting twice is fine")
		require.NoError(t, s.Delete(ctx, "faces-a", nil))
		keys, err := s.Keys(ctx, "faces-a", "al")
		require.NoError(t, err)
		assert.Len(t, keys, 18)
		assert.NotContains(t, keys, vs[3].Key)
		assert.NotContains(t, keys, vs[7].Key)
		got, err := s.Query(ctx, "faces-a", vs[3].Data, vectors.MaxTopK, "al")
		require.NoError(t, err)
		assert.Len(t, got, 18)
		for _, m := range got {
			assert.NotEqual(t, vs[3].Key, m.Key)
			assert.NotEqual(t, vs[7].Key, m.Key)
		}
	})

	t.Run("Keys", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(6, 6))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		want := map[string][]string{}
		var vs []vectors.Vector
		for i := 0; i < 60; i++ {
			album := []string{"a1", "a2", "a3"}[r.IntN(3)]
			k := key(album, i, 0)
			want[album] = append(want[album], k)
			want[""] = append(want[""], k)
			vs = append(vs, vectors.Vector{Key: k, Data: randVec(r, dim), Metadata: vectors.Metadata{AlbumID: album}})
		}
		r.Shuffle(len(vs), func(i, j int) { vs[i], vs[j] = vs[j], vs[i] })
		require.NoError(t, s.Put(ctx, "faces-a", vs))
		for album, keys := range want {
			sort.Strings(keys)
			got, err := s.Keys(ctx, "faces-a", album)
			require.NoError(t, err)
			assert.Equal(t, keys, got, "album %q", album)
		}
		got, err := s.Keys(ctx, "faces-a", "a4")
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("LargePutIsBatched", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(7, 7))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", 8))
		var vs []vectors.Vector
		for i := 0; i < 1234; i++ {
			vs = append(vs, vectors.Vector{Key: key("big", i, 0), Data: randVec(r, 8), Metadata: vectors.Metadata{AlbumID: "big"}})
		}
		var before int
		if h.putBatches != nil {
			before = len(h.putBatches())
		}
		require.NoError(t, s.Put(ctx, "faces-a", vs))
		keys, err := s.Keys(ctx, "faces-a", "big")
		require.NoError(t, err)
		assert.Len(t, keys, 1234)
		if h.putBatches != nil {
			batches := h.putBatches()[before:]
			assert.Equal(t, []int{500, 500, 234}, batches)
		}
		// Deleting more than a batch works too.
		var del []string
		for _, v := range vs[:1100] {
			del = append(del, v.Key)
		}
		require.NoError(t, s.Delete(ctx, "faces-a", del))
		keys, err = s.Keys(ctx, "faces-a", "big")
		require.NoError(t, err)
		assert.Len(t, keys, 134)
	})

	t.Run("InvalidInput", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(8, 8))
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", dim))
		good := vectors.Vector{Key: "al/i/0", Data: randVec(r, dim), Metadata: vectors.Metadata{AlbumID: "al"}}
		cases := []struct {
			name string
			v    vectors.Vector
			err  error
		}{
			{"short vector", vectors.Vector{Key: "al/i/1", Data: randVec(r, dim-1), Metadata: vectors.Metadata{AlbumID: "al"}}, vectors.ErrDimensionMismatch},
			{"long vector", vectors.Vector{Key: "al/i/1", Data: randVec(r, dim+1), Metadata: vectors.Metadata{AlbumID: "al"}}, vectors.ErrDimensionMismatch},
			{"zero vector", vectors.Vector{Key: "al/i/1", Data: make([]float32, dim), Metadata: vectors.Metadata{AlbumID: "al"}}, vectors.ErrInvalid},
			{"NaN", vectors.Vector{Key: "al/i/1", Data: append(randVec(r, dim-1), float32(math.NaN())), Metadata: vectors.Metadata{AlbumID: "al"}}, vectors.ErrInvalid},
			{"empty key", vectors.Vector{Key: "", Data: randVec(r, dim), Metadata: vectors.Metadata{AlbumID: "al"}}, vectors.ErrInvalid},
			{"long key", vectors.Vector{Key: string(make([]byte, vectors.MaxKeyLen+1)), Data: randVec(r, dim), Metadata: vectors.Metadata{AlbumID: "al"}}, vectors.ErrInvalid},
			{"no album", vectors.Vector{Key: "al/i/1", Data: randVec(r, dim)}, vectors.ErrInvalid},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := s.Put(ctx, "faces-a", []vectors.Vector{good, c.v})
				require.ErrorIs(t, err, c.err)
			})
		}
		keys, err := s.Keys(ctx, "faces-a", "")
		require.NoError(t, err)
		assert.Empty(t, keys, "a bad vector fails the whole Put before anything is written")

		require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{good}))
		_, err = s.Query(ctx, "faces-a", randVec(r, dim+2), 5, "al")
		assert.ErrorIs(t, err, vectors.ErrDimensionMismatch)
		_, err = s.Query(ctx, "faces-a", make([]float32, dim), 5, "al")
		assert.ErrorIs(t, err, vectors.ErrInvalid)
		for _, k := range []int{0, -1, vectors.MaxTopK + 1} {
			_, err = s.Query(ctx, "faces-a", good.Data, k, "al")
			assert.ErrorIs(t, err, vectors.ErrInvalid, "k=%d", k)
		}
	})

	t.Run("IndexesAreSeparate", func(t *testing.T) {
		s := h.open(t)
		r := rand.New(rand.NewPCG(9, 9))
		require.NoError(t, s.EnsureIndex(ctx, "faces-small", 4))
		require.NoError(t, s.EnsureIndex(ctx, "faces-large", 16))
		require.NoError(t, s.Put(ctx, "faces-small", []vectors.Vector{{Key: "a/1/0", Data: randVec(r, 4), Metadata: vectors.Metadata{AlbumID: "a"}}}))
		require.NoError(t, s.Put(ctx, "faces-large", []vectors.Vector{{Key: "a/2/0", Data: randVec(r, 16), Metadata: vectors.Metadata{AlbumID: "a"}}}))
		small, err := s.Keys(ctx, "faces-small", "a")
		require.NoError(t, err)
		assert.Equal(t, []string{"a/1/0"}, small)
		large, err := s.Keys(ctx, "faces-large", "a")
		require.NoError(t, err)
		assert.Equal(t, []string{"a/2/0"}, large)
	})
}

func TestMemoryContract(t *testing.T) {
	runContract(t, harness{
		name: "memory",
		open: func(t *testing.T) vectors.Store { return vectors.NewMemory() },
	})
}

func TestLocalContract(t *testing.T) {
	runContract(t, harness{
		name: "local",
		open: func(t *testing.T) vectors.Store {
			s, err := vectors.OpenLocal(t.TempDir())
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, s.Close()) })
			return s
		},
	})
}
