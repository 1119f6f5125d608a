package embedded

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
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

// timedHandler adds the wall time spent inside handlers to total.
type timedHandler struct {
	lambda.Handler
	total *atomic.Int64
}

func (h timedHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	out, err := h.Handler.Invoke(ctx, payload)
	h.total.Add(int64(time.Since(start)))
	return out, err
}

// peakRSS is the process's peak resident memory (VmHWM), in bytes: Go heap
// and ONNX Runtime's native memory together.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
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
			var inHandlers atomic.Int64
			wrap := func(_ string, h lambda.Handler) lambda.Handler { return timedHandler{h, &inHandlers} }
			p := open(b, b.TempDir(), Options{MaxConcurrency: conc, Wrap: wrap})
			ctx := context.Background()
			_, err := p.Import(ctx, "bench", dir)
			require.NoError(b, err)
			// Load the models before timing (a warm worker).
			_, _, err = p.RunAlbum(ctx, steps.AlbumInput{AlbumID: "bench"})
			require.NoError(b, err)
			inHandlers.Store(0)
			b.ResetTimer()
			var wall time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				sum, _, err := p.RunAlbum(ctx, steps.AlbumInput{AlbumID: "bench", Reprocess: true}, states.WithoutHistory())
				wall += time.Since(start)
				require.NoError(b, err)
				require.Equal(b, photos, sum.Processed)
			}
			b.StopTimer()
			b.ReportMetric(float64(photos*b.N)/wall.Seconds(), "photos/s")
			if conc == 1 {
				b.ReportMetric(100*(1-float64(inHandlers.Load())/float64(wall)), "engine-%")
			}
			b.ReportMetric(peakRSS()/(1<<20), "peak-RSS-MB")
		})
	}
}
