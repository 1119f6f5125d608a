package embedded

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/cameraphoto"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
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

// cameraAlbum writes n camera-sized photos (shared/cameraphoto: 24 MP,
// 9 MB, ten different pictures of group photos and portraits, one without
// a face, landscape and portrait).
func cameraAlbum(b testing.TB, n int) (string, []string) {
	dir := b.TempDir()
	paths, err := cameraphoto.WriteAlbum(dir, n, cameraphoto.AlbumOptions{Distinct: 10})
	require.NoError(b, err)
	return dir, paths
}

// BenchmarkAlbumThroughput runs 40 camera-sized photos, indexed in place,
// through the workflow with the real models, concurrency 1 and 2. Metrics:
// photos/s and ms/photo; engine-% is the share of the execution's wall time
// not spent inside handlers, measured at concurrency 1 where it is exact
// (the orchestration overhead); peak-RSS-MB; thumb-% (concurrency 1): what
// the thumbnails add to a photo's time, timed in the same run on every
// photo of the album (the resize and encode from the decoded photo, and the
// write; the decode is the one the detector needs anyway); cpu-ms/photo and
// thumb-cpu-% are the same by CPU time, which other processes on the
// machine disturb less.
//
//	go test -run '^$' -bench AlbumThroughput -benchtime 1x ./shared/embedded/
func BenchmarkAlbumThroughput(b *testing.B) {
	const photos = 40
	dir, paths := cameraAlbum(b, photos)
	for _, conc := range []int{1, 2} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			timer := &HandlerTimer{}
			p := open(b, b.TempDir(), Options{MaxConcurrency: conc, Wrap: timer.Wrap})
			ctx := context.Background()
			_, err := p.IndexInPlace(ctx, "bench", dir)
			require.NoError(b, err)
			var m Measurement
			for b.Loop() {
				m, err = p.MeasureAlbum(ctx, "bench", timer)
				require.NoError(b, err)
				require.Equal(b, photos, m.Photos)
			}
			perPhoto := m.Wall / time.Duration(photos)
			b.ReportMetric(m.PhotosPerSecond(), "photos/s")
			b.ReportMetric(float64(perPhoto.Microseconds())/1e3, "ms/photo")
			cpuPerPhoto := m.CPU / time.Duration(photos)
			b.ReportMetric(float64(cpuPerPhoto.Microseconds())/1e3, "cpu-ms/photo")
			if share := m.EngineShare(); share >= 0 {
				b.ReportMetric(100*share, "engine-%")
				wall, cpu := thumbnailTime(b, p, paths)
				b.ReportMetric(100*float64(wall)/float64(perPhoto), "thumb-%")
				b.ReportMetric(100*float64(cpu)/float64(cpuPerPhoto), "thumb-cpu-%")
			}
			b.ReportMetric(float64(m.PeakRSS)/(1<<20), "peak-RSS-MB")
		})
	}
}

// thumbnailTime is the mean wall and CPU time of making and writing one
// photo's thumbnail, as DetectFaces does after its decode.
func thumbnailTime(b *testing.B, p *Pipeline, paths []string) (wall, cpu time.Duration) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, path := range paths {
		body, err := os.ReadFile(path)
		require.NoError(b, err)
		img, err := imaging.Decode(body, imaging.Options{MinLongSide: face.DecodeLongSide})
		require.NoError(b, err)
		start, startCPU := time.Now(), threadCPU()
		thumb, err := steps.Thumbnail(img)
		require.NoError(b, err)
		_, err = p.Bucket.Put(context.Background(), "thumbs/bench-timing/"+filepath.Base(path)+".jpg", thumb)
		require.NoError(b, err)
		wall += time.Since(start)
		cpu += threadCPU() - startCPU
	}
	n := time.Duration(len(paths))
	return wall / n, cpu / n
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}
