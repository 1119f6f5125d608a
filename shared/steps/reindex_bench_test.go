package steps

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

// The cost of the vector store being an index of the face records, on a
// data directory of 50 albums x 100 photos x 2 faces (10,000 512-d vectors)
// in local directories:
//
//	go test -run '^$' -bench 'VectorIndex' -benchtime 5x ./shared/steps/
//
// Open: an intact log replayed, and checked against the album indexes (what
// every process pays on its first use of an index). OpenUnchecked: the
// replay alone (no Source, as before). Rebuild: the log deleted, rebuilt
// from every face record.
func BenchmarkVectorIndex(b *testing.B) {
	const albums, photos, faces, dim = 50, 100, 2, 512
	root := b.TempDir()
	ctx := context.Background()
	buckets, err := blob.NewDir(filepath.Join(root, "blobs"))
	require.NoError(b, err)
	defer buckets.Close()
	bk, err := buckets.Bucket("photos")
	require.NoError(b, err)
	packs, err := modelpack.Default()
	require.NoError(b, err)
	s := &Steps{Blobs: buckets, Packs: packs, Bucket: "photos", DefaultPack: "default", Now: time.Now}
	r := rand.New(rand.NewPCG(1, 2))
	index, err := names.IndexForPack("default-1")
	require.NoError(b, err)
	vdir := filepath.Join(root, "vectors")
	st, err := vectors.OpenLocal(vdir)
	require.NoError(b, err)
	require.NoError(b, st.EnsureIndex(ctx, index, dim))
	for a := 0; a < albums; a++ {
		album := fmt.Sprintf("album%02d", a)
		idx := domain.AlbumIndex{AlbumID: album, PackVersion: "default-1", Images: map[string]domain.IndexEntry{}}
		var vs []vectors.Vector
		for p := 0; p < photos; p++ {
			key := fmt.Sprintf("albums/%s/%03d.jpg", album, p)
			id := names.ImageID(key)
			rec := domain.FaceRecord{AlbumID: album, ImageID: id, Key: key, ETag: "e", PackVersion: "default-1"}
			for f := 0; f < faces; f++ {
				emb := make([]float32, dim)
				for i := range emb {
					emb[i] = r.Float32() - 0.5
				}
				rec.Faces = append(rec.Faces, domain.Face{Score: 0.9, Embedding: emb})
			}
			require.NoError(b, putJSON(ctx, bk, names.RecordKey(album, "default-1", id), rec))
			idx.Images[id] = domain.IndexEntry{Key: key, ETag: "e", ImageID: id, Status: domain.StatusDone, Faces: faces}
			vs = append(vs, recordVectors(album, id, "default-1", &rec)...)
		}
		require.NoError(b, putJSON(ctx, bk, names.IndexKey(album, "default-1"), idx))
		require.NoError(b, st.Put(ctx, index, vs))
	}
	require.NoError(b, st.Close())
	logPath := filepath.Join(vdir, index+".vlog")
	intact, err := os.ReadFile(logPath)
	require.NoError(b, err)

	run := func(b *testing.B, withSource bool, prepare func()) {
		for b.Loop() {
			b.StopTimer()
			prepare()
			st, err := vectors.OpenLocal(vdir)
			require.NoError(b, err)
			if withSource {
				st.SetSource(FaceRecords{Steps: s}, nil)
			}
			b.StartTimer()
			n, err := st.Check(ctx, index)
			b.StopTimer()
			require.NoError(b, err)
			require.Equal(b, albums*photos*faces, n)
			require.NoError(b, st.Close())
			b.StartTimer()
		}
	}
	restore := func() { require.NoError(b, os.WriteFile(logPath, intact, 0o644)) }
	b.Run("OpenUnchecked", func(b *testing.B) { run(b, false, restore) })
	b.Run("Open", func(b *testing.B) { run(b, true, restore) })
	b.Run("Rebuild", func(b *testing.B) {
		run(b, true, func() {
			require.NoError(b, os.Remove(logPath))
		})
	})
}
