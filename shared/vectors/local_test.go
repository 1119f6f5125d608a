package vectors_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/vectors"
)

const localIndex = "faces-test"

func openLocal(t *testing.T, dir string) *vectors.Local {
	t.Helper()
	s, err := vectors.OpenLocal(dir)
	require.NoError(t, err)
	return s
}

func someVectors(r *rand.Rand, album string, from, n, dim int) []vectors.Vector {
	var vs []vectors.Vector
	for i := from; i < from+n; i++ {
		vs = append(vs, vectors.Vector{Key: key(album, i, 0), Data: randVec(r, dim),
			Metadata: vectors.Metadata{AlbumID: album, ImageID: fmt.Sprint(i), Score: 0.9}})
	}
	return vs
}

func keysOf(t *testing.T, s vectors.Store) []string {
	t.Helper()
	k, err := s.Keys(context.Background(), localIndex, "")
	require.NoError(t, err)
	return k
}

func TestLocalPersists(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(1, 1))
	s := openLocal(t, dir)
	require.NoError(t, s.EnsureIndex(ctx, localIndex, 16))
	vs := someVectors(r, "al", 0, 30, 16)
	require.NoError(t, s.Put(ctx, localIndex, vs))
	require.NoError(t, s.Delete(ctx, localIndex, []string{vs[0].Key, vs[1].Key}))
	vs[2].Metadata.Score = 0.25
	require.NoError(t, s.Put(ctx, localIndex, vs[2:3]))
	q := randVec(r, 16)
	before, err := s.Query(ctx, localIndex, q, 10, "al")
	require.NoError(t, err)
	wantKeys := keysOf(t, s)
	require.NoError(t, s.Close())

	s = openLocal(t, dir)
	defer s.Close()
	assert.Equal(t, wantKeys, keysOf(t, s))
	after, err := s.Query(ctx, localIndex, q, 10, "al")
	require.NoError(t, err)
	assert.Equal(t, before, after)
	require.ErrorIs(t, s.EnsureIndex(ctx, localIndex, 17), vectors.ErrDimensionMismatch, "the dimension persists")
}

func TestLocalLock(t *testing.T) {
	dir := t.TempDir()
	s := openLocal(t, dir)
	_, err := vectors.OpenLocal(dir)
	require.ErrorIs(t, err, vectors.ErrLocked)
	require.NoError(t, s.Close())
	s2, err := vectors.OpenLocal(dir)
	require.NoError(t, err, "the lock is released by Close")
	require.NoError(t, s2.Close())
}

// TestLocalTornTail cuts the file at every byte offset inside its last
// record, as a crash during that append would: the reopened store holds
// exactly the records before it, and appends after it survive a reopen.
func TestLocalTornTail(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(2, 2))
	dir := t.TempDir()
	path := filepath.Join(dir, localIndex+".vlog")
	s := openLocal(t, dir)
	require.NoError(t, s.EnsureIndex(ctx, localIndex, 8))
	require.NoError(t, s.Put(ctx, localIndex, someVectors(r, "al", 0, 3, 8)))
	require.NoError(t, s.Delete(ctx, localIndex, []string{key("al", 1, 0)}))
	complete := keysOf(t, s)
	good, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, s.Put(ctx, localIndex, someVectors(r, "al", 10, 2, 8))) // the last record
	require.NoError(t, s.Close())
	// Appending after every cut is slow (an fsync each); every 8th cut and
	// the last one are checked.
	full, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Greater(t, len(full), int(good.Size()))
	extra := someVectors(r, "al", 20, 1, 8)

	for cut := int(good.Size()); cut < len(full); cut++ {
		d := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(d, localIndex+".vlog"), full[:cut], 0o644))
		s := openLocal(t, d)
		require.Equal(t, complete, keysOf(t, s), "cut at %d of %d", cut, len(full))
		got, err := s.Query(ctx, localIndex, extra[0].Data, 10, "al")
		require.NoError(t, err)
		require.Len(t, got, len(complete))
		if cut%8 != 0 && cut != len(full)-1 {
			require.NoError(t, s.Close())
			continue
		}
		require.NoError(t, s.Put(ctx, localIndex, extra))
		require.NoError(t, s.Close())

		s = openLocal(t, d)
		require.Equal(t, append(append([]string(nil), complete...), extra[0].Key), keysOf(t, s), "append after cut at %d", cut)
		require.NoError(t, s.Close())
	}
}

// TestLocalDamage: a damaged last record is a torn write (dropped); a damaged
// record with records after it is corruption (reported, file untouched);
// zeros after the last record (left by some file systems) are dropped.
func TestLocalDamage(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 3))
	dir := t.TempDir()
	path := filepath.Join(dir, localIndex+".vlog")
	s := openLocal(t, dir)
	require.NoError(t, s.EnsureIndex(ctx, localIndex, 8))
	require.NoError(t, s.Put(ctx, localIndex, someVectors(r, "al", 0, 2, 8)))
	first := keysOf(t, s)
	st, err := os.Stat(path)
	require.NoError(t, err)
	firstEnd := int(st.Size())
	require.NoError(t, s.Put(ctx, localIndex, someVectors(r, "al", 10, 2, 8)))
	all := keysOf(t, s)
	require.NoError(t, s.Close())
	full, err := os.ReadFile(path)
	require.NoError(t, err)

	cases := []struct {
		name    string
		mutate  func([]byte) []byte
		keys    []string
		corrupt bool
	}{
		{"flipped byte in the last record", func(b []byte) []byte { b[len(b)-3] ^= 0x40; return b }, first, false},
		{"flipped byte in an earlier record", func(b []byte) []byte { b[firstEnd-3] ^= 0x40; return b }, nil, true},
		{"zeros after the last record", func(b []byte) []byte { return append(b, make([]byte, 4096)...) }, all, false},
		{"garbage after the last record", func(b []byte) []byte { return append(b, []byte("garbage!garbage!")...) }, nil, true},
		{"short header", func(b []byte) []byte { return b[:10] }, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := t.TempDir()
			p := filepath.Join(d, localIndex+".vlog")
			damaged := c.mutate(append([]byte(nil), full...))
			require.NoError(t, os.WriteFile(p, damaged, 0o644))
			s := openLocal(t, d)
			defer s.Close()
			keys, err := s.Keys(ctx, localIndex, "")
			if c.corrupt {
				require.ErrorIs(t, err, vectors.ErrCorrupt)
				after, _ := os.ReadFile(p)
				assert.Equal(t, damaged, after, "a corrupt file is left as it is")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.keys, keys)
		})
	}
}

// TestLocalCompaction: rewriting the same vectors grows the log until it is
// compacted; the compacted log holds the same vectors.
func TestLocalCompaction(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(4, 4))
	dir := t.TempDir()
	path := filepath.Join(dir, localIndex+".vlog")
	s := openLocal(t, dir)
	require.NoError(t, s.EnsureIndex(ctx, localIndex, 32))
	vs := someVectors(r, "al", 0, 600, 32)
	require.NoError(t, s.Put(ctx, localIndex, vs))
	one, err := os.Stat(path)
	require.NoError(t, err)
	require.NoError(t, s.Put(ctx, localIndex, vs))
	two, err := os.Stat(path)
	require.NoError(t, err)
	assert.Greater(t, two.Size(), one.Size()+one.Size()/2, "the second Put is appended")
	require.NoError(t, s.Put(ctx, localIndex, vs)) // 1,800 entries for 600 vectors: compacted
	three, err := os.Stat(path)
	require.NoError(t, err)
	assert.Less(t, three.Size(), two.Size(), "compacted")
	q := randVec(r, 32)
	before, err := s.Query(ctx, localIndex, q, 20, "al")
	require.NoError(t, err)

	require.NoError(t, s.Delete(ctx, localIndex, []string{vs[0].Key, vs[5].Key}))
	require.NoError(t, s.Compact(localIndex))
	want := keysOf(t, s)
	require.NoError(t, s.Close())
	_, err = os.Stat(path + ".tmp")
	assert.True(t, os.IsNotExist(err), "no temporary file left")

	s = openLocal(t, dir)
	defer s.Close()
	assert.Equal(t, want, keysOf(t, s))
	assert.Len(t, want, 598)
	after, err := s.Query(ctx, localIndex, q, 20, "al")
	require.NoError(t, err)
	var kept []vectors.Match
	for _, m := range before {
		if m.Key != vs[0].Key && m.Key != vs[5].Key {
			kept = append(kept, m)
		}
	}
	require.GreaterOrEqual(t, len(after), len(kept))
	for i := range kept {
		assert.Equal(t, kept[i].Key, after[i].Key)
		assert.InDelta(t, kept[i].Score, after[i].Score, 1e-6)
		assert.Equal(t, kept[i].Metadata, after[i].Metadata)
	}
}

// TestLocalConcurrent runs writers and readers together (meaningful under
// -race) and checks that nothing is lost.
func TestLocalConcurrent(t *testing.T) {
	ctx := context.Background()
	s := openLocal(t, t.TempDir())
	defer s.Close()
	require.NoError(t, s.EnsureIndex(ctx, localIndex, 8))
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 5))
			for i := 0; i < 10; i++ {
				assert.NoError(t, s.Put(ctx, localIndex, someVectors(r, fmt.Sprint("al", w), i*5, 5, 8)))
			}
		}()
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 6))
			for i := 0; i < 10; i++ {
				_, err := s.Query(ctx, localIndex, randVec(r, 8), 5, "")
				assert.NoError(t, err)
				_, err = s.Keys(ctx, localIndex, fmt.Sprint("al", w))
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
	assert.Len(t, keysOf(t, s), 4*50)
}
