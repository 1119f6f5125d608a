package face

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/onnx"
)

// dynamicEmbedder opens the pack's recognizer with its batch made dynamic
// (dynamicBatch, written to a temporary file).
func dynamicEmbedder(t testing.TB, pack string) *Embedder {
	t.Helper()
	m, err := modelpack.Default()
	require.NoError(t, err)
	p, err := m.Pack(pack)
	require.NoError(t, err)
	path, err := modelpack.NewResolver(m).Path(context.Background(), p.Recognizer.File)
	require.NoError(t, err)
	model, err := os.ReadFile(path)
	require.NoError(t, err)
	rewritten, err := dynamicBatch(model)
	require.NoError(t, err)
	path = filepath.Join(t.TempDir(), "dynamic-batch.onnx")
	require.NoError(t, os.WriteFile(path, rewritten, 0o644))
	sess, err := onnx.Open(path, onnx.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { sess.Close() })
	require.EqualValues(t, -1, sess.Input().Shape[0], "the batch dimension is dynamic")
	e, err := NewEmbedder(sess, p.Recognizer)
	require.NoError(t, err)
	require.Equal(t, MaxBatch, e.BatchSize())
	return e
}

func groupChips(t testing.TB) []Chip {
	e := engine(t, "default", Options{})
	img := decodeFile(t, "faces/Test7.jpg")
	faces, err := e.Detect(img)
	require.NoError(t, err)
	chips, err := e.Align(img, faces)
	require.NoError(t, err)
	require.Len(t, chips, 7)
	return chips
}

func maxDiff(a, b [][]float32) float64 {
	var d float64
	for i := range a {
		for j := range a[i] {
			d = math.Max(d, math.Abs(float64(a[i][j]-b[i][j])))
		}
	}
	return d
}

// The shipped recognizer, its batch made dynamic, embeds seven faces in one
// Run as it embeds them one by one: equal within 1e-5.
func TestDynamicBatchSameEmbeddings(t *testing.T) {
	chips := groupChips(t)
	fixed := engine(t, "default", Options{}).Embedder
	require.Equal(t, 1, fixed.BatchSize(), "the shipped file fixes the batch at 1")
	want, err := fixed.Embed(chips)
	require.NoError(t, err)
	got, err := dynamicEmbedder(t, "default").Embed(chips)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	require.LessOrEqual(t, maxDiff(want, got), 1e-5)
}

// BenchmarkEmbedBatch embeds n faces one Run each (the shipped recognizer,
// batch fixed at 1) and in one Run (the same weights with a dynamic batch),
// alternately in the same iterations (which goes first alternates too).
// batched-% is the batched time over the one-by-one time, by wall time;
// cpu-batched-% the same by the CPU time of the calling thread (ONNX
// Runtime runs a one-thread session there), which other processes on the
// machine disturb less.
//
//	go test -run '^$' -bench EmbedBatch -benchtime 40x ./shared/face/
func BenchmarkEmbedBatch(b *testing.B) {
	chips := groupChips(b)
	fixed := engine(b, "default", Options{}).Embedder
	dyn := dynamicEmbedder(b, "default")
	for _, n := range []int{1, 3, 7} {
		b.Run(fmt.Sprintf("faces=%d", n), func(b *testing.B) {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			var one, batched, oneCPU, batchedCPU time.Duration
			var diff float64
			timed := func(e *Embedder, total, cpu *time.Duration) [][]float32 {
				start, startCPU := time.Now(), threadCPU()
				embs, err := e.Embed(chips[:n])
				*total += time.Since(start)
				*cpu += threadCPU() - startCPU
				if err != nil {
					b.Fatal(err)
				}
				return embs
			}
			i := 0
			for b.Loop() {
				var want, got [][]float32
				if i%2 == 0 {
					want, got = timed(fixed, &one, &oneCPU), timed(dyn, &batched, &batchedCPU)
				} else {
					got, want = timed(dyn, &batched, &batchedCPU), timed(fixed, &one, &oneCPU)
				}
				diff = math.Max(diff, maxDiff(want, got))
				i++
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) / 1e3 }
			b.ReportMetric(per(one), "one-by-one-ms")
			b.ReportMetric(per(batched), "batched-ms")
			b.ReportMetric(100*float64(batched)/float64(one), "batched-%")
			b.ReportMetric(per(oneCPU), "one-by-one-cpu-ms")
			b.ReportMetric(100*float64(batchedCPU)/float64(oneCPU), "cpu-batched-%")
			b.ReportMetric(diff, "max-diff")
		})
	}
}

// threadCPU is the CPU time the calling OS thread has used.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime))
}
