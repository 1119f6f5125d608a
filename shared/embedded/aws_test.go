package embedded

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/steps"
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
	want, _, err := local.RunAlbum(ctx, steps.AlbumInput{AlbumID: "cloud"})
	require.NoError(t, err)

	p := open(t, t.TempDir(), Options{
		Blobs:   "s3://?endpoint=" + s3srv.URL + "&region=us-east-1",
		Vectors: "s3vectors://divinepic-vectors?endpoint=" + vhttp.URL + "&region=us-east-1",
	})
	_, err = p.Import(ctx, "cloud", dir)
	require.NoError(t, err)
	got, _, err := p.RunAlbum(ctx, steps.AlbumInput{AlbumID: "cloud"})
	require.NoError(t, err)
	assert.Equal(t, want.Images, got.Images)
	assert.Equal(t, want.Faces, got.Faces)
	assert.Equal(t, vectorKeys(t, local, "cloud", "default-1"), vectorKeys(t, p, "cloud", "default-1"))

	var puts int
	for _, c := range vsrv.Calls() {
		if c.Op == "PutVectors" {
			puts++
		}
	}
	assert.Positive(t, puts, "the faces went through PutVectors")
}
