package embedded

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

// TestAlbumOverAWSProtocols runs the same workflow with the cloud stores:
// the real aws-sdk-go-v2 S3 client against an in-process S3 server
// (gofakes3) and the real S3 Vectors client against the project's S3
// Vectors-compatible server. The faces must be those of the local stores.
func TestAlbumOverAWSProtocols(t *testing.T) {
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	defer s3srv.Close()
	vsrv := s3vectorsserver.NewServer()
	vsrv.CreateBucket("divinepic-vectors")
	vhttp := httptest.NewServer(vsrv)
	defer vhttp.Close()
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	dir := smallAlbum(t)
	ctx := context.Background()
	local := open(t, t.TempDir(), Options{})
	_, err := local.Import(ctx, "cloud", dir)
	require.NoError(t, err)
	first, _, err := local.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cloud"})
	require.NoError(t, err)

	p := open(t, t.TempDir(), Options{
		Blobs:   "s3://?endpoint=" + s3srv.URL + "&region=us-east-1",
		Vectors: "s3vectors://divinepic-vectors?endpoint=" + vhttp.URL + "&region=us-east-1",
	})
	_, err = p.Import(ctx, "cloud", dir)
	require.NoError(t, err)
	got, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cloud"})
	require.NoError(t, err)
	calls := map[string]int{} // what the run asked of S3 Vectors
	for _, c := range vsrv.Calls() {
		calls[c.Op]++
	}
	assert.Equal(t, first.Images, got.Images)
	assert.Equal(t, first.Faces, got.Faces)
	assert.Equal(t, vectorKeys(t, local, "cloud", "default-1"), vectorKeys(t, p, "cloud", "default-1"))

	assert.Positive(t, calls["PutVectors"], "the faces went through PutVectors")
	assert.Positive(t, calls["GetVectors"], "Aggregate looks keys up")
	assert.Zero(t, calls["ListVectors"], "Aggregate never lists the whole index")

	// A photo goes, another gets fewer faces (Test3's 3 become Test1's 1):
	// both pipelines end with the same keys, the leftovers deleted.
	src, _ := locate.TestdataDir()
	require.NoError(t, os.Remove(filepath.Join(dir, "faces/Test7.jpg")))
	body, err := os.ReadFile(filepath.Join(src, "faces/Test1.jpg"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "faces/Test3.jpg"), body, 0o644))
	for _, pl := range []*Pipeline{local, p} {
		_, err := pl.Import(ctx, "cloud", dir)
		require.NoError(t, err)
		_, _, err = pl.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cloud"})
		require.NoError(t, err)
	}
	want := vectorKeys(t, local, "cloud", "default-1")
	assert.Equal(t, want, vectorKeys(t, p, "cloud", "default-1"))

	// S3 Vectors loses the album's faces: the next run puts them back.
	require.NoError(t, p.Deps.Vectors.Delete(ctx, "faces-default-1", want))
	s, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "cloud"})
	require.NoError(t, err)
	assert.Positive(t, s.Restored)
	assert.Equal(t, want, vectorKeys(t, p, "cloud", "default-1"))
}
