package vectors_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/vectors"
)

// truth is a Source over vectors held in memory, by album, standing for
// the face records; broken albums fail to read.
type truth struct {
	dim    int
	albums map[string][]vectors.Vector
	broken map[string]bool
}

func (s *truth) Expected(ctx context.Context, index string) (int, []string, error) {
	var keys []string
	for _, vs := range s.albums {
		for _, v := range vs {
			keys = append(keys, v.Key)
		}
	}
	return s.dim, keys, nil
}

func (s *truth) Vectors(ctx context.Context, index string, put func([]vectors.Vector) error) error {
	var errs []error
	names := make([]string, 0, len(s.albums))
	for a := range s.albums {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if s.broken[a] {
			errs = append(errs, errors.New("album "+a+": face record unreadable"))
			continue
		}
		if err := put(s.albums[a]); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}

const dim = 8

// indexedAlbums writes three albums of 400 vectors each (several records
// each) to a store in dir, and returns the source of truth and, per album,
// what a query finds.
func indexedAlbums(t *testing.T, dir string) (*truth, map[string][]vectors.Match, []float32) {
	t.Helper()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 7))
	src := &truth{dim: dim, albums: map[string][]vectors.Vector{}}
	s := openLocal(t, dir)
	s.SetSource(src, nil)
	require.NoError(t, s.EnsureIndex(ctx, localIndex, dim))
	for _, a := range []string{"a", "b", "c"} {
		src.albums[a] = someVectors(r, a, 0, 400, dim)
		for start := 0; start < 400; start += 100 {
			require.NoError(t, s.Put(ctx, localIndex, src.albums[a][start:start+100]))
		}
	}
	q := randVec(r, dim)
	before := map[string][]vectors.Match{}
	for _, a := range []string{"a", "b", "c"} {
		m, err := s.Query(ctx, localIndex, q, 20, a)
		require.NoError(t, err)
		before[a] = m
	}
	require.NoError(t, s.Close())
	return src, before, q
}

// Finding 2: one damaged log file no longer takes every album down. Each
// kind of damage ends with every album searchable and the same faces as
// before; a damaged file is kept beside the new one.
func TestDamagedLogIsRebuiltFromTheFaceRecords(t *testing.T) {
	logPath := func(dir string) string { return filepath.Join(dir, localIndex+".vlog") }
	for _, tc := range []struct {
		name    string
		damage  func(t *testing.T, path string)
		setAide bool
	}{
		{"truncated mid-file", func(t *testing.T, p string) {
			st, err := os.Stat(p)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(p, st.Size()*3/5))
		}, false},
		{"a garbage tail", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.WriteString("garbage appended by a careless tool\n")
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, true},
		{"a flipped byte in the middle", func(t *testing.T, p string) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[len(b)/2] ^= 0x10
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, true},
		{"a damaged header", func(t *testing.T, p string) {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			b[3] = 'X'
			require.NoError(t, os.WriteFile(p, b, 0o644))
		}, true},
		{"the file deleted", func(t *testing.T, p string) { require.NoError(t, os.Remove(p)) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			src, before, q := indexedAlbums(t, dir)
			tc.damage(t, logPath(dir))

			s := openLocal(t, dir)
			defer s.Close()
			var repairs []vectors.Repair
			s.SetSource(src, func(r vectors.Repair) { repairs = append(repairs, r) })
			for a, want := range before {
				got, err := s.Query(ctx, localIndex, q, 20, a)
				require.NoError(t, err, a)
				assert.Equal(t, want, got, "album %s finds the same faces as before", a)
				keys, err := s.Keys(ctx, localIndex, a)
				require.NoError(t, err)
				assert.Len(t, keys, 400, a)
			}
			require.Len(t, repairs, 1)
			assert.Positive(t, repairs[0].Restored)
			assert.Equal(t, repairs[0].Missing, repairs[0].Restored)
			assert.NoError(t, repairs[0].Err)
			aside, _ := filepath.Glob(logPath(dir) + ".damaged-*")
			if tc.setAide {
				require.Len(t, aside, 1, "the damaged log is kept")
				assert.Equal(t, filepath.Base(aside[0]), repairs[0].SetAside)
				assert.Contains(t, repairs[0].String(), "kept as "+repairs[0].SetAside)
			} else {
				assert.Empty(t, aside)
			}

			// Rebuilt for good: the next process finds nothing to repair.
			require.NoError(t, s.Close())
			repairs = nil
			s2 := openLocal(t, dir)
			defer s2.Close()
			s2.SetSource(src, func(r vectors.Repair) { repairs = append(repairs, r) })
			n, err := s2.Check(ctx, localIndex)
			require.NoError(t, err)
			assert.Equal(t, 1200, n)
			assert.Empty(t, repairs)
		})
	}
}

// A face record that cannot be read loses only its own album's vectors;
// the others come back, and the report says what was not restored.
func TestRebuildGoesOnPastABrokenAlbum(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, before, q := indexedAlbums(t, dir)
	require.NoError(t, os.Remove(filepath.Join(dir, localIndex+".vlog")))
	src.broken = map[string]bool{"b": true}
	s := openLocal(t, dir)
	defer s.Close()
	var repairs []vectors.Repair
	s.SetSource(src, func(r vectors.Repair) { repairs = append(repairs, r) })
	for _, a := range []string{"a", "c"} {
		got, err := s.Query(ctx, localIndex, q, 20, a)
		require.NoError(t, err)
		assert.Equal(t, before[a], got)
	}
	require.Len(t, repairs, 1)
	assert.Equal(t, 800, repairs[0].Restored)
	assert.ErrorContains(t, repairs[0].Err, "album b")
	assert.True(t, strings.Contains(repairs[0].String(), "not restored"))
}

// Without a source (no face records to rebuild from), damage is reported,
// and the file is left as it is.
func TestDamageWithoutASourceIsAnError(t *testing.T) {
	dir := t.TempDir()
	indexedAlbums(t, dir)
	p := filepath.Join(dir, localIndex+".vlog")
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	b[len(b)/2] ^= 0x10
	require.NoError(t, os.WriteFile(p, b, 0o644))
	s := openLocal(t, dir)
	defer s.Close()
	_, err = s.Keys(context.Background(), localIndex, "")
	assert.ErrorIs(t, err, vectors.ErrCorrupt)
	assert.NotContains(t, err.Error(), dir, "no absolute path in the error")
	after, err := os.ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, b, after)
}
