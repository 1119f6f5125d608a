package imaging_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/divinepic/pipeline/shared/cameraphoto"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/locate"
)

// cameraPhoto is a camera-sized JPEG of the t1 scene (see
// shared/cameraphoto: 24 MP, quality 94, 4:2:2, sensor noise, EXIF).
func cameraPhoto(b *testing.B, orientation int) []byte {
	b.Helper()
	dir, err := locate.TestdataDir()
	if err != nil {
		b.Fatal(err)
	}
	src, err := os.ReadFile(filepath.Join(dir, "faces", "t1.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	scene, err := imaging.Decode(src, imaging.Options{})
	if err != nil {
		b.Fatal(err)
	}
	body, err := cameraphoto.Make(scene, cameraphoto.Options{Orientation: orientation, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return body
}

var tjFrameRate = regexp.MustCompile(`Decompress\s+--> Frame rate:\s+([0-9.]+) fps`)

// tjbenchFPS runs libjpeg-turbo's own benchmark (Debian's
// libjpeg-turbo-progs; make bench installs it) on file, decompressing to
// RGB at scale 1/d with the fast IDCT as Decode does, and returns its
// frames per second.
func tjbenchFPS(b *testing.B, file string, d int) float64 {
	b.Helper()
	if _, err := exec.LookPath("tjbench"); err != nil {
		b.Fatal("tjbench is not installed: make bench installs it (Debian package libjpeg-turbo-progs)")
	}
	out, err := exec.Command("tjbench", file, "-scale", fmt.Sprintf("1/%d", d), "-fastdct", "-rgb", "-nowrite", "-benchtime", "1", "-warmup", "0.5").CombinedOutput()
	if err != nil {
		b.Fatalf("tjbench: %v\n%s", err, out)
	}
	m := tjFrameRate.FindSubmatch(out)
	if m == nil {
		b.Fatalf("tjbench printed no decompression frame rate:\n%s", out)
	}
	fps, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		b.Fatal(err)
	}
	return fps
}

// BenchmarkDecodeCamera decodes a camera-sized JPEG (9 MB, 24 MP) as the
// face engine does (the DCT scale that leaves >= 1280 pixels, 1/4 here,
// then the EXIF orientation: 1 landscape, 6 portrait, which turns the
// pixels) and reports the throughput in MB/s of JPEG data next to
// tjbench's for the same file and scale, measured in the same run:
// libjpeg-turbo's own decoding is the limit.
//
//	go test -run '^$' -bench DecodeCamera -benchtime 20x ./shared/imaging/
func BenchmarkDecodeCamera(b *testing.B) {
	for _, o := range []int{1, 6} {
		b.Run(fmt.Sprintf("orientation=%d", o), func(b *testing.B) {
			data := cameraPhoto(b, o)
			file := filepath.Join(b.TempDir(), "camera.jpg")
			if err := os.WriteFile(file, data, 0o644); err != nil {
				b.Fatal(err)
			}
			img, err := imaging.Decode(data, imaging.Options{MinLongSide: 1280})
			if err != nil {
				b.Fatal(err)
			}
			// Three rounds of tjbench then a third of the iterations, so that
			// load from other processes hits both alike.
			var fps float64
			var spent time.Duration
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for r := 0; r < 3; r++ {
				b.StopTimer()
				fps += tjbenchFPS(b, file, int(img.Scale)) / 3
				b.StartTimer()
				start := time.Now()
				for i := r * b.N / 3; i < (r+1)*b.N/3; i++ {
					if _, err := imaging.Decode(data, imaging.Options{MinLongSide: 1280}); err != nil {
						b.Fatal(err)
					}
				}
				spent += time.Since(start)
			}
			limit := fps * float64(len(data)) / 1e6
			ours := float64(len(data)) * float64(b.N) / spent.Seconds() / 1e6
			b.ReportMetric(float64(len(data))/1e6, "file-MB")
			b.ReportMetric(limit, "tjbench-MB/s")
			b.ReportMetric(100*ours/limit, "%-of-tjbench")
		})
	}
}
