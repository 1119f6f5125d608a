package vectors_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"

	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

// The embedded store: one directory, one index per model pack, upserts by
// key, exact search within an album.
func ExampleOpenLocal() {
	dir, _ := os.MkdirTemp("", "vectors")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	store, err := vectors.OpenLocal(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	index, _ := names.IndexForPack("buffalo_s")
	_ = store.EnsureIndex(ctx, index, 3)
	_ = store.Put(ctx, index, []vectors.Vector{
		{Key: "wedding/img1.jpg/0", Data: []float32{1, 0, 0}, Metadata: vectors.Metadata{AlbumID: "wedding", ImageID: "img1.jpg"}},
		{Key: "wedding/img2.jpg/0", Data: []float32{0.6, 0.8, 0}, Metadata: vectors.Metadata{AlbumID: "wedding", ImageID: "img2.jpg"}},
		{Key: "party/img9.jpg/0", Data: []float32{1, 0, 0}, Metadata: vectors.Metadata{AlbumID: "party", ImageID: "img9.jpg"}},
	})
	matches, _ := store.Query(ctx, index, []float32{2, 0, 0}, 10, "wedding")
	for _, m := range matches {
		fmt.Printf("%s %.2f\n", m.Metadata.ImageID, m.Score)
	}
	// Output:
	// img1.jpg 1.00
	// img2.jpg 0.60
}

// The S3 Vectors store against the in-process fake service, as the
// pipeline's end-to-end tests use it.
func ExampleNewS3Vectors() {
	fake := s3vectorsserver.NewServer()
	fake.CreateBucket("divinepic-vectors")
	srv := httptest.NewServer(fake)
	defer srv.Close()
	ctx := context.Background()

	store, _ := vectors.NewS3Vectors(s3vectorsserver.NewClient(srv.URL, 1), "divinepic-vectors")
	_ = store.EnsureIndex(ctx, "faces-buffalo-s", 2)
	_ = store.Put(ctx, "faces-buffalo-s", []vectors.Vector{
		{Key: "a/1/0", Data: []float32{1, 1}, Metadata: vectors.Metadata{AlbumID: "a"}},
	})
	keys, _ := store.Keys(ctx, "faces-buffalo-s", "a")
	fmt.Println(keys)
	for _, c := range fake.Calls() {
		if c.Op != "ListVectors" { // Keys lists 8 segments in parallel
			fmt.Println(c.Op, c.Count)
		}
	}
	// Output:
	// [a/1/0]
	// GetIndex 0
	// CreateIndex 0
	// PutVectors 1
}
