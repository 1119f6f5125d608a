package vectors_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/vectors"
)

const benchN, benchDim = 100_000, 512

// benchFixture is 100,000 random 512-d vectors in one album, in a Memory
// store (the embedded Local store queries the same index) and as one flat
// slice for the baseline, plus 16 queries.
var benchFixture = sync.OnceValues(func() (*vectors.Memory, [][]float32) {
	ctx := context.Background()
	s := vectors.NewMemory()
	if err := s.EnsureIndex(ctx, "faces-bench", benchDim); err != nil {
		panic(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	batch := make([]vectors.Vector, 0, 1000)
	for i := 0; i < benchN; i++ {
		batch = append(batch, vectors.Vector{Key: fmt.Sprintf("album/img%06d/0", i), Data: randVec(r, benchDim),
			Metadata: vectors.Metadata{AlbumID: "album"}})
		if len(batch) == cap(batch) {
			if err := s.Put(ctx, "faces-bench", batch); err != nil {
				panic(err)
			}
			batch = batch[:0]
		}
	}
	queries := make([][]float32, 16)
	for i := range queries {
		queries[i] = randVec(r, benchDim)
	}
	return s, queries
})

// BenchmarkQuery measures an exact top-10 over 100,000 vectors of 512
// dimensions in one album. Run it on one core:
//
//	go test -run XXX -bench BenchmarkQuery -cpu 1 ./shared/vectors
//
// cpu-ns/op is the CPU time per query, which a busy machine does not inflate.
func BenchmarkQuery(b *testing.B) {
	s, queries := benchFixture()
	ctx := context.Background()
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		m, err := s.Query(ctx, "faces-bench", queries[i%len(queries)], 10, "album")
		if err != nil || len(m) != 10 {
			b.Fatalf("query: %v, %d matches", err, len(m))
		}
		i++
	}
	reportCPU(b, cpu0)
}

// BenchmarkQueryBaseline is the plain Go loop the store is compared with:
// a float32 dot product (eight accumulators) with every normalized vector,
// stored contiguously, and a bounded heap. It checks that it finds the
// store's top 10.
func BenchmarkQueryBaseline(b *testing.B) {
	s, queries := benchFixture()
	ctx := context.Background()
	flat := make([]float32, 0, benchN*benchDim)
	keys := make([]string, 0, benchN)
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < benchN; i++ { // the fixture's vectors, regenerated
		v := randVec(r, benchDim)
		normalizeInPlace(v)
		flat = append(flat, v...)
		keys = append(keys, fmt.Sprintf("album/img%06d/0", i))
	}
	want, err := s.Query(ctx, "faces-bench", queries[0], 10, "album")
	require.NoError(b, err)
	cpu0 := cpuTime()
	i := 0
	for b.Loop() {
		q := append([]float32(nil), queries[i%len(queries)]...)
		normalizeInPlace(q)
		top := plainTopK(flat, q, 10)
		if i == 0 {
			for j := range top {
				require.Equal(b, want[j].Key, keys[top[j].row])
				require.InDelta(b, want[j].Score, top[j].score, 1e-5)
			}
		}
		i++
	}
	reportCPU(b, cpu0)
}

type scored struct {
	row   int
	score float32
}

func plainTopK(flat, q []float32, k int) []scored {
	dim := len(q)
	var top []scored // kept sorted, best first; k is small
	for row := 0; row*dim < len(flat); row++ {
		v := flat[row*dim : (row+1)*dim]
		var s0, s1, s2, s3, s4, s5, s6, s7 float32
		for j := 0; j+8 <= dim; j += 8 {
			vv, qq := v[j:j+8:j+8], q[j:j+8:j+8]
			s0 += vv[0] * qq[0]
			s1 += vv[1] * qq[1]
			s2 += vv[2] * qq[2]
			s3 += vv[3] * qq[3]
			s4 += vv[4] * qq[4]
			s5 += vv[5] * qq[5]
			s6 += vv[6] * qq[6]
			s7 += vv[7] * qq[7]
		}
		s := ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
		if len(top) == k && s <= top[k-1].score {
			continue
		}
		pos := len(top)
		for pos > 0 && top[pos-1].score < s {
			pos--
		}
		top = append(top, scored{})
		copy(top[pos+1:], top[pos:])
		top[pos] = scored{row, s}
		if len(top) > k {
			top = top[:k]
		}
	}
	return top
}

func normalizeInPlace(v []float32) {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	inv := 1 / math.Sqrt(n)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}

func reportCPU(b *testing.B, cpu0 int64) {
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	}
}
