package embedded

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
)

// TestSoak is the long run behind `make test-long` (DIVINEPIC_LONG=1): a
// 1,000-photo album under 20% transient faults, then rounds of changes
// (photos removed, replaced, added) with a rerun after each. After every
// round the vector store holds exactly the faces the face records call for,
// and the process's peak memory stays flat after the first round.
func TestSoak(t *testing.T) {
	if os.Getenv("DIVINEPIC_LONG") == "" {
		t.Skip("the soak run is long: make test-long (DIVINEPIC_LONG=1) runs it")
	}
	dir := benchAlbum(t, 1000)
	f := &faults{rng: rand.New(rand.NewPCG(1, 2)), rate: 0.2}
	p := open(t, t.TempDir(), Options{Wrap: f.wrap})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	var firstPeak float64
	for round := 0; round < 3; round++ {
		if round > 0 {
			names, err := filepath.Glob(filepath.Join(dir, "*"))
			require.NoError(t, err)
			sort.Strings(names)
			for i := 0; i < 50; i++ { // 50 go, 50 change to another photo's content, 50 arrive
				j := rng.IntN(len(names))
				require.NoError(t, os.Remove(names[j]))
				names = append(names[:j], names[j+1:]...)
				src, dst := names[rng.IntN(len(names))], names[rng.IntN(len(names))]
				body, err := os.ReadFile(src)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(dst, body, 0o644))
				require.NoError(t, os.WriteFile(filepath.Join(dir, fmt.Sprintf("new-%d-%03d.jpg", round, i)), body, 0o644))
			}
		}
		_, err := p.Import(ctx, "soak", dir)
		require.NoError(t, err)
		sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "soak"})
		require.NoError(t, err)
		assert.Empty(t, sum.Failed, "round %d", round)
		recs, err := p.Faces(ctx, "soak", "default-1")
		require.NoError(t, err)
		assert.Len(t, recs, sum.Images, "round %d: one face record per photo", round)
		assert.Equal(t, expectedKeys(recs), vectorKeys(t, p, "soak", "default-1"), "round %d: no duplicate, no missing face", round)
		peak := float64(PeakRSS())
		if round == 0 {
			firstPeak = peak
		} else {
			assert.Less(t, peak, firstPeak*1.25, "round %d: peak RSS %.0f MB after %.0f MB", round, peak/(1<<20), firstPeak/(1<<20))
		}
		t.Logf("round %d: %d photos, %d processed, %d faces, %d faults injected so far, peak RSS %.0f MB",
			round, sum.Images, sum.Processed, sum.Faces, f.injected.Load(), peak/(1<<20))
	}
}
