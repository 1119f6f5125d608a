package imaging_test

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"syscall"
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

// tjbench runs libjpeg-turbo's own benchmark (Debian's libjpeg-turbo-progs;
// make bench installs it) on file for two seconds, decompressing to RGB
// at scale 1/d with the fast IDCT as Decode does. It returns the frames it
// decoded and the CPU time it used (user + system, the process's start
// included, which makes the limit a little lower than it is).
func tjbench(b *testing.B, file string, d int) (frames float64, cpu time.Duration) {
	b.Helper()
	if _, err := exec.LookPath("tjbench"); err != nil {
		b.Fatal("tjbench is not installed: make bench installs it (Debian package libjpeg-turbo-progs)")
	}
	const seconds = 2.0
	cmd := exec.Command("tjbench", file, "-scale", fmt.Sprintf("1/%d", d), "-fastdct", "-rgb", "-nowrite",
		"-benchtime", strconv.FormatFloat(seconds, 'f', -1, 64), "-warmup", "0")
	out, err := cmd.CombinedOutput()
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
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	// tjbench decodes whole frames until `seconds` have passed and reports
	// frames per second of the time they took, which is at least `seconds`
	// and less than one frame more: frames is the next whole number above
	// fps x seconds.
	return math.Ceil(fps * seconds), time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}

// BenchmarkDecodeCamera decodes a camera-sized JPEG (9 MB, 24 MP) as the
// face engine does (the DCT scale that leaves >= 1280 pixels, 1/4 here,
// then the EXIF orientation: 1 landscape, 6 portrait, which turns the
// pixels) and reports its throughput in MB/s of JPEG data next to
// libjpeg-turbo's own tjbench on the same file and scale, the limit. Three
// rounds of tjbench alternate with three thirds of the iterations. Two
// figures each: by wall time (MB/s, tjbench-MB/s, %-of-tjbench), and by CPU
// time (cpu-MB/s, tjbench-cpu-MB/s, cpu-%-of-tjbench), which other
// processes on the machine disturb far less.
//
//	go test -run '^$' -bench DecodeCamera -benchtime 30x ./shared/imaging/
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
			runtime.LockOSThread() // the decodes run on this thread: its CPU time is theirs
			defer runtime.UnlockOSThread()
			var tjFrames float64
			var tjCPU, wall, cpu time.Duration
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for r := 0; r < 3; r++ {
				b.StopTimer()
				f, c := tjbench(b, file, int(img.Scale))
				tjFrames += f
				tjCPU += c
				b.StartTimer()
				start, startCPU := time.Now(), threadCPU()
				for i := r * b.N / 3; i < (r+1)*b.N/3; i++ {
					if _, err := imaging.Decode(data, imaging.Options{MinLongSide: 1280}); err != nil {
						b.Fatal(err)
					}
				}
				wall += time.Since(start)
				cpu += threadCPU() - startCPU
			}
			mb := float64(len(data)) / 1e6
			n := float64(b.N / 3 * 3)
			rate := func(frames float64, d time.Duration) float64 { return mb * frames / d.Seconds() }
			b.ReportMetric(mb, "file-MB")
			b.ReportMetric(rate(tjFrames, 3*2*time.Second), "tjbench-MB/s")
			b.ReportMetric(100*rate(n, wall)/rate(tjFrames, 3*2*time.Second), "%-of-tjbench")
			b.ReportMetric(rate(n, cpu), "cpu-MB/s")
			b.ReportMetric(rate(tjFrames, tjCPU), "tjbench-cpu-MB/s")
			b.ReportMetric(100*rate(n, cpu)/rate(tjFrames, tjCPU), "cpu-%-of-tjbench")
		})
	}
}
