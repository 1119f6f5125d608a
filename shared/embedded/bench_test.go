package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// benchAlbum builds an album of n photos from the test photos (portraits,
// group photos, the format variants; refused files left out), repeating
// them under other names to reach n.
func benchAlbum(b testing.TB, n int) string {
	src, tr := loadTruth(b)
	var pool []string
	for f := range tr.Faces {
		pool = append(pool, f)
	}
	pairs, err := filepath.Glob(filepath.Join(src, "pairs", "*.jpg"))
	require.NoError(b, err)
	for _, p := range pairs {
		pool = append(pool, filepath.Join("pairs", filepath.Base(p)))
	}
	sort.Strings(pool)
	dst := b.TempDir()
	for i := 0; i < n; i++ {
		f := pool[i%len(pool)]
		body, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(b, err)
		name := fmt.Sprintf("%03d_%s", i, strings.ReplaceAll(f, "/", "_"))
		require.NoError(b, os.WriteFile(filepath.Join(dst, name), body, 0o644))
	}
	return dst
}

// BenchmarkAlbumThroughput runs a 240-photo album through the workflow with
// the real models, concurrency 1 and 2. Metrics: photos/s; engine-% is the
// share of the execution's wall time not spent inside handlers, measured at
// concurrency 1 where it is exact (the orchestration overhead); peak-RSS-MB.
//
//	go test -run '^$' -bench AlbumThroughput -benchtime 1x ./shared/embedded/
func BenchmarkAlbumThroughput(b *testing.B) {
	const photos = 240
	dir := benchAlbum(b, photos)
	for _, conc := range []int{1, 2} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			timer := &HandlerTimer{}
			p := open(b, b.TempDir(), Options{MaxConcurrency: conc, Wrap: timer.Wrap})
			ctx := context.Background()
			_, err := p.Import(ctx, "bench", dir)
			require.NoError(b, err)
			var m Measurement
			for b.Loop() {
				m, err = p.MeasureAlbum(ctx, "bench", timer)
				require.NoError(b, err)
				require.Equal(b, photos, m.Photos)
			}
			b.ReportMetric(m.PhotosPerSecond(), "photos/s")
			if share := m.EngineShare(); share >= 0 {
				b.ReportMetric(100*share, "engine-%")
			}
			b.ReportMetric(float64(m.PeakRSS)/(1<<20), "peak-RSS-MB")
		})
	}
}
