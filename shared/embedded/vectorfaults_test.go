package embedded

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors"
)

// albumFaces is what each album's search sees: its keys, and the matches
// of a query with each of its first faces.
type albumFaces struct {
	Keys    []string
	Matches [][]vectors.Match
}

func searchAlbums(t *testing.T, p *Pipeline, albums ...string) map[string]albumFaces {
	t.Helper()
	ctx := context.Background()
	index, err := names.IndexForPack("default-1")
	require.NoError(t, err)
	out := map[string]albumFaces{}
	for _, a := range albums {
		recs, err := p.Faces(ctx, a, "default-1")
		require.NoError(t, err)
		ids := make([]string, 0, len(recs))
		for id := range recs {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		f := albumFaces{Keys: vectorKeys(t, p, a, "default-1")}
		for _, id := range ids {
			if len(recs[id].Faces) > 0 {
				m, err := p.Deps.Vectors.Query(ctx, index, recs[id].Faces[0].Embedding, 10, a)
				require.NoError(t, err)
				f.Matches = append(f.Matches, m)
			}
		}
		require.NotEmpty(t, f.Keys, a)
		out[a] = f
	}
	return out
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	}))
}

// Finding 2, end to end: the one vector log holds every album; truncating
// it, a garbage tail, a flipped byte in the middle or deleting it ends with
// every album searchable and the same faces as before the damage, without
// rerunning any album; the damaged file is kept.
func TestVectorLogDamageLosesNoAlbum(t *testing.T) {
	src, _ := loadTruth(t)
	wed := makeAlbum(t, src, []string{"faces/Test1.jpg", "faces/Test3.jpg", "faces/Rob_Lowe_0001.jpg"})
	party := makeAlbum(t, src, []string{"faces/woman_search.jpeg", "faces/view.jpg", "faces/Nathalie_Baye_0002.jpg"})
	clean := t.TempDir()
	ctx := context.Background()
	p := open(t, clean, Options{})
	// In this order (the album with more faces first), the middle of the
	// log lies inside wed's record, not in the last one: a flipped byte there
	// is damage, not a torn tail.
	for _, al := range []struct{ id, dir string }{{"wed", wed}, {"party", party}} {
		_, err := p.Import(ctx, al.id, al.dir)
		require.NoError(t, err)
		_, _, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: al.id})
		require.NoError(t, err)
	}
	before := searchAlbums(t, p, "wed", "party")
	require.NoError(t, p.Close())
	logName := "faces-default-1.vlog"

	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
		aside  bool
	}{
		{"truncated", func(t *testing.T, path string) {
			st, err := os.Stat(path)
			require.NoError(t, err)
			require.NoError(t, os.Truncate(path, st.Size()/2))
		}, false},
		{"garbage tail", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			require.NoError(t, err)
			_, err = f.Write([]byte("\x13\x37not a record at all"))
			require.NoError(t, err)
			require.NoError(t, f.Close())
		}, true},
		{"flipped byte mid-file", func(t *testing.T, path string) {
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			b[len(b)/2] ^= 0x01
			require.NoError(t, os.WriteFile(path, b, 0o644))
		}, true},
		{"deleted", func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			copyTree(t, clean, data)
			tc.damage(t, filepath.Join(data, "vectors", logName))
			var repairs []vectors.Repair
			p := open(t, data, Options{OnRepair: func(r vectors.Repair) { repairs = append(repairs, r) }})
			assert.Equal(t, before, searchAlbums(t, p, "wed", "party"), "every album finds the same faces")
			require.Len(t, repairs, 1)
			assert.Positive(t, repairs[0].Restored)
			assert.NoError(t, repairs[0].Err)
			aside, _ := filepath.Glob(filepath.Join(data, "vectors", logName+".damaged-*"))
			if tc.aside {
				assert.Len(t, aside, 1, "the damaged log is kept for inspection")
			}

			// Each album runs as usual, and the nightly job sees nothing to do
			// while every album stays searchable.
			sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "wed"})
			require.NoError(t, err)
			assert.Equal(t, 0, sum.Processed)
			out, err := p.Reprocess(ctx, steps.ReprocessInput{ScheduledTime: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), DryRun: true})
			require.NoError(t, err)
			assert.Empty(t, out.Started)
			assert.Equal(t, before, searchAlbums(t, p, "wed", "party"))
		})
	}
}
