package vectors_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/vectors"
)

// BenchmarkQuery measures an exact top-10 over 100,000 vectors of 512
// dimensions in one album (the embedded and memory stores share the index).
// Run it on one core: go test -bench BenchmarkQuery -cpu 1 ./shared/vectors
func BenchmarkQuery(b *testing.B) {
	const n, dim = 100_000, 512
	ctx := context.Background()
	s := vectors.NewMemory()
	require.NoError(b, s.EnsureIndex(ctx, "faces-bench", dim))
	r := rand.New(rand.NewPCG(1, 1))
	batch := make([]vectors.Vector, 0, 1000)
	for i := 0; i < n; i++ {
		batch = append(batch, vectors.Vector{Key: fmt.Sprintf("album/img%06d/0", i), Data: randVec(r, dim),
			Metadata: vectors.Metadata{AlbumID: "album"}})
		if len(batch) == cap(batch) {
			require.NoError(b, s.Put(ctx, "faces-bench", batch))
			batch = batch[:0]
		}
	}
	queries := make([][]float32, 16)
	for i := range queries {
		queries[i] = randVec(r, dim)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m, err := s.Query(ctx, "faces-bench", queries[i%len(queries)], 10, "album")
		if err != nil || len(m) != 10 {
			b.Fatalf("query: %v, %d matches", err, len(m))
		}
		i++
	}
}
