package blob_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
)

func TestOpen(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for _, tc := range []struct {
		name, url string
		check     func(t *testing.T, b blob.Buckets)
	}{
		{"file URL", "file://" + filepath.ToSlash(root), func(t *testing.T, b blob.Buckets) {
			require.IsType(t, &blob.DirBuckets{}, b)
			assert.Equal(t, root, b.(*blob.DirBuckets).Root())
		}},
		{"bare path", root, func(t *testing.T, b blob.Buckets) {
			assert.Equal(t, root, b.(*blob.DirBuckets).Root())
		}},
		{"memory", "mem://", func(t *testing.T, b blob.Buckets) { require.IsType(t, &blob.MemBuckets{}, b) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := blob.Open(ctx, tc.url)
			require.NoError(t, err)
			tc.check(t, b)
			s, err := b.Bucket("opened")
			require.NoError(t, err)
			_, err = s.Put(ctx, "k", []byte("v"))
			require.NoError(t, err)
			got, _, err := s.Get(ctx, "k")
			require.NoError(t, err)
			assert.Equal(t, "v", string(got))
		})
	}

	for _, bad := range []string{"", "ftp://host/x", "file://host/x", "file://", "s3://bucket", "s3:///bucket/prefix", "s3://?path_style=maybe", "s3://?page_size=x", "s3://?page_size=5000", "%zz"} {
		t.Run("refused "+bad, func(t *testing.T) {
			withFakeAWSEnv(t)
			_, err := blob.Open(ctx, bad)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "blob:")
		})
	}
}

// TestOpenS3 opens "s3://" with an endpoint, as for a local S3-compatible
// server, and works through it.
func TestOpenS3(t *testing.T) {
	ctx := context.Background()
	f := newFakeS3(t)
	withFakeAWSEnv(t)
	q := url.Values{"endpoint": {f.url}, "region": {"us-east-1"}, "page_size": {"2"}}
	b, err := blob.Open(ctx, "s3://?"+q.Encode())
	require.NoError(t, err)
	require.IsType(t, &blob.S3Buckets{}, b)
	s, err := b.Bucket("opened")
	require.NoError(t, err)
	for i := range 5 {
		_, err := s.Put(ctx, fmt.Sprintf("k%d", i), []byte("v"))
		require.NoError(t, err)
	}
	f.listCalls.Store(0)
	var keys []string
	require.NoError(t, s.List(ctx, "", func(i blob.Info) error { keys = append(keys, i.Key); return nil }))
	assert.Equal(t, []string{"k0", "k1", "k2", "k3", "k4"}, keys)
	assert.Equal(t, int64(3), f.listCalls.Load(), "page_size=2 reached the client")
	_, err = f.backend.HeadObject("opened", "k4")
	require.NoError(t, err, "the objects are in the server, path-style bucket")
}

// withFakeAWSEnv isolates the SDK's default configuration from the machine.
func withFakeAWSEnv(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(empty, nil, 0o600))
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRETTEST")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_PROFILE", "")
}
