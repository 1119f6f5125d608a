package embedded

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
)

// jsonataTwin is testdata/statemachine.jsonata.asl.json, the workflow in
// the JSONata query language, with the same local substitutions as the
// JSONPath definition.
func jsonataTwin(t testing.TB, opt Options) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", "statemachine.jsonata.asl.json"))
	require.NoError(t, err)
	conc := maxConcurrency(opt)
	tol := opt.ToleratedFailurePercentage
	if tol == 0 {
		tol = DefaultToleratedFailurePercentage
	}
	def, err := names.Substitute(body, Substitutions(conc, tol))
	require.NoError(t, err)
	return def
}

// TestJSONataTwin runs statemachine.asl.json and its JSONata twin on the
// same photos (the truth album: faces, a photo without any, and files
// that fail) and finds the same faces, the same failures and the same
// summary; so do a second run of each, and a run of an album with nothing
// to do (the Choice's other branch).
func TestJSONataTwin(t *testing.T) {
	dir, tr := truthAlbum(t)
	p := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	jsonPath := p.Machine
	jsonata, err := p.Engine.Parse(MachineName+"-jsonata", jsonataTwin(t, Options{ToleratedFailurePercentage: 100})) // as open: the truth album is broken on purpose
	require.NoError(t, err)

	run := func(m *states.StateMachine, album, dir string) (*domain.Summary, *states.Execution) {
		t.Helper()
		_, err := p.Import(ctx, album, dir)
		require.NoError(t, err)
		p.Machine = m
		defer func() { p.Machine = jsonPath }()
		sum, x, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: album})
		require.NoError(t, err)
		return sum, x
	}
	// compare checks that the two runs took the same path to the same
	// summary (but for the album's name and the times).
	compare := func(wantSum, gotSum *domain.Summary, wantX, gotX *states.Execution) {
		t.Helper()
		assert.Equal(t, wantX.Path(), gotX.Path())
		norm := func(s *domain.Summary) domain.Summary {
			c := *s
			c.Failed = nil
			for _, f := range s.Failed {
				f.Key = strings.TrimPrefix(f.Key, names.AlbumPrefix(s.AlbumID))
				f.Cause = strings.ReplaceAll(f.Cause, names.AlbumPrefix(s.AlbumID), "")
				c.Failed = append(c.Failed, f)
			}
			c.AlbumID, c.StartedAt, c.FinishedAt, c.DurationSeconds = "", time.Time{}, time.Time{}, 0
			return c
		}
		assert.Equal(t, norm(wantSum), norm(gotSum))
	}
	wantSum, wantX := run(jsonPath, "jp", dir)
	gotSum, gotX := run(jsonata, "ata", dir)
	compare(wantSum, gotSum, wantX, gotX)
	assert.Equal(t, []string{"ListImages", "AnyWork?", "ProcessImages", "CollectFailures", "AnyFailed?", "ReportFailures", "Aggregate", "People", "Done"}, gotX.Path())
	assert.Len(t, gotSum.Failed, len(tr.Rejected), "the files that cannot be read fail in their batch and in ReportFailures")
	assert.Equal(t, 1, gotSum.NoFaces, "view.jpg goes through NoFaces")

	// The same face records: boxes, scores, landmarks, embeddings.
	wantRecs, err := p.Faces(ctx, "jp", "default-1")
	require.NoError(t, err)
	gotRecs, err := p.Faces(ctx, "ata", "default-1")
	require.NoError(t, err)
	require.Len(t, gotRecs, len(wantRecs))
	require.NotEmpty(t, wantRecs)
	for key, w := range wantRecs {
		photo := strings.TrimPrefix(key, names.AlbumPrefix("jp"))
		g, ok := gotRecs[names.AlbumPrefix("ata")+photo]
		if !assert.True(t, ok, "the JSONata run has a face record for %s", photo) {
			continue
		}
		assert.Equal(t, w.ETag, g.ETag, photo)
		assert.Equal(t, [2]int{w.Width, w.Height}, [2]int{g.Width, g.Height}, photo)
		assert.Equal(t, w.PackVersion, g.PackVersion, photo)
		assert.Equal(t, w.Faces, g.Faces, photo)
	}
	assert.Equal(t, expectedKeys(gotRecs), vectorKeys(t, p, "ata", "default-1"))

	// A second run skips the photos done and retries the same failed
	// ones in both.
	wantSum, wantX = run(jsonPath, "jp", dir)
	gotSum, gotX = run(jsonata, "ata", dir)
	compare(wantSum, gotSum, wantX, gotX)
	assert.Positive(t, gotSum.Skipped)

	// An album with nothing to do goes from AnyWork? straight to Aggregate.
	done := t.TempDir()
	body, err := os.ReadFile(filepath.Join(dir, "faces", "view.jpg"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(done, "view.jpg"), body, 0o644))
	run(jsonPath, "jp-done", done)
	run(jsonata, "ata-done", done)
	wantSum, wantX = run(jsonPath, "jp-done", done)
	gotSum, gotX = run(jsonata, "ata-done", done)
	compare(wantSum, gotSum, wantX, gotX)
	assert.Equal(t, []string{"ListImages", "AnyWork?", "Aggregate", "People", "Done"}, gotX.Path())
}
