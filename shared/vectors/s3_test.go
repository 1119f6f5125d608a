package vectors_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

const testBucket = "divinepic-faces"

// newS3 starts a fake S3 Vectors server with the bucket and returns a store
// using the real SDK client against it, making up to attempts attempts per
// call. (The SDK's standard retryer retries connection errors; one is
// expected now and then: the Go HTTP client can close a kept-alive
// connection under a response being read, aws/aws-sdk-go-v2#2737.)
func newS3(t *testing.T, attempts int) (*vectors.S3Vectors, *s3vectorsserver.Server) {
	srv := s3vectorsserver.NewServer()
	srv.CreateBucket(testBucket)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	s, err := vectors.NewS3Vectors(s3vectorsserver.NewClient(hs.URL, attempts), testBucket)
	require.NoError(t, err)
	return s, srv
}

func TestS3VectorsContract(t *testing.T) {
	var srv *s3vectorsserver.Server
	runContract(t, harness{
		name: "s3vectors",
		open: func(t *testing.T) vectors.Store {
			var s *vectors.S3Vectors
			s, srv = newS3(t, 3)
			return s
		},
		putBatches: func() []int {
			var sizes []int
			for _, c := range srv.Calls() {
				if c.Op == "PutVectors" {
					sizes = append(sizes, c.Count)
				}
			}
			return sizes
		},
	})
}

func TestS3VectorsErrors(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 1))
	v := vectors.Vector{Key: "a/1/0", Data: randVec(r, 8), Metadata: vectors.Metadata{AlbumID: "a"}}
	cases := []struct {
		name      string
		status    int
		code      string
		transient bool
	}{
		{"throttled", 429, "TooManyRequestsException", true},
		{"unavailable", 503, "ServiceUnavailableException", true},
		{"internal", 500, "InternalServerException", true},
		{"timeout", 408, "RequestTimeoutException", true},
		{"unknown 502", 502, "BadGateway", true},
		{"access denied", 403, "AccessDeniedException", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, srv := newS3(t, 1)
			require.NoError(t, s.EnsureIndex(ctx, "faces-a", 8))
			srv.InjectFault("PutVectors", 1, c.status, c.code)
			err := s.Put(ctx, "faces-a", []vectors.Vector{v})
			require.Error(t, err)
			var te *domain.TransientStoreError
			assert.Equal(t, c.transient, errors.As(err, &te), "transient: %v", err)
			assert.Equal(t, c.transient, domain.IsTransient(err))
			// The fault is spent: the retry succeeds.
			require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{v}))
		})
	}

	t.Run("no bucket", func(t *testing.T) {
		srv := s3vectorsserver.NewServer()
		hs := httptest.NewServer(srv)
		defer hs.Close()
		s, err := vectors.NewS3Vectors(s3vectorsserver.NewClient(hs.URL, 1), "missing-bucket")
		require.NoError(t, err)
		assert.ErrorIs(t, s.EnsureIndex(ctx, "faces-a", 8), vectors.ErrIndexNotFound)
	})

	t.Run("unreachable service is transient", func(t *testing.T) {
		hs := httptest.NewServer(s3vectorsserver.NewServer())
		url := hs.URL
		hs.Close()
		s, err := vectors.NewS3Vectors(s3vectorsserver.NewClient(url, 1), testBucket)
		require.NoError(t, err)
		assert.True(t, domain.IsTransient(s.EnsureIndex(ctx, "faces-a", 8)))
	})

	t.Run("bad bucket name", func(t *testing.T) {
		_, err := vectors.NewS3Vectors(s3vectorsserver.NewClient("http://127.0.0.1:1", 1), "Bad_Bucket")
		assert.ErrorIs(t, err, vectors.ErrInvalid)
	})

	t.Run("SDK retries then succeeds", func(t *testing.T) {
		srv := s3vectorsserver.NewServer()
		srv.CreateBucket(testBucket)
		hs := httptest.NewServer(srv)
		defer hs.Close()
		s, err := vectors.NewS3Vectors(s3vectorsserver.NewClient(hs.URL, 3), testBucket)
		require.NoError(t, err)
		require.NoError(t, s.EnsureIndex(ctx, "faces-a", 8))
		srv.InjectFault("QueryVectors", 1, 503, "ServiceUnavailableException")
		got, err := s.Query(ctx, "faces-a", v.Data, 1, "a")
		require.NoError(t, err)
		assert.Empty(t, got)
	})
}

// TestS3VectorsQueryRequest checks what the store asks of the service: the
// album filter, and an index created with cosine distance.
func TestS3VectorsQueryRequest(t *testing.T) {
	ctx := context.Background()
	s, srv := newS3(t, 1)
	require.NoError(t, s.EnsureIndex(ctx, "faces-a", 4))
	require.NoError(t, s.EnsureIndex(ctx, "faces-a", 4))
	r := rand.New(rand.NewPCG(2, 2))
	require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{
		{Key: "a/1/0", Data: randVec(r, 4), Metadata: vectors.Metadata{AlbumID: "a"}},
		{Key: "b/1/0", Data: randVec(r, 4), Metadata: vectors.Metadata{AlbumID: "b"}},
	}))
	got, err := s.Query(ctx, "faces-a", randVec(r, 4), 10, "b")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "b/1/0", got[0].Key)
	var ops []string
	for _, c := range srv.Calls() {
		ops = append(ops, c.Op)
	}
	assert.Equal(t, []string{"GetIndex", "CreateIndex", "GetIndex", "PutVectors", "QueryVectors"}, ops)
}

// TestS3VectorsKeysPages: Keys follows NextToken in every segment.
func TestS3VectorsKeysPages(t *testing.T) {
	ctx := context.Background()
	s, srv := newS3(t, 3)
	require.NoError(t, s.EnsureIndex(ctx, "faces-a", 2))
	const n = 9000 // more than 8 segments of 1,000
	var vs []vectors.Vector
	for i := 0; i < n; i++ {
		album := "a"
		if i%3 == 0 {
			album = "b"
		}
		vs = append(vs, vectors.Vector{Key: key(album, i, 0), Data: []float32{1, float32(i)}, Metadata: vectors.Metadata{AlbumID: album}})
	}
	require.NoError(t, s.Put(ctx, "faces-a", vs))
	all, err := s.Keys(ctx, "faces-a", "")
	require.NoError(t, err)
	assert.Len(t, all, n)
	b, err := s.Keys(ctx, "faces-a", "b")
	require.NoError(t, err)
	assert.Len(t, b, n/3)
	lists := 0
	for _, c := range srv.Calls() {
		if c.Op == "ListVectors" {
			lists++
		}
	}
	assert.Greater(t, lists, 2*8, "some segments took more than one page")
}

// An index EnsureIndex creates has the metadata configuration of the CDK
// stack's indexes: the keys of names.NonFilterableMetadataKeys are not
// filterable, and queries still filter by album.
func TestS3VectorsCreatesIndexesWithTheStacksMetadataConfiguration(t *testing.T) {
	ctx := context.Background()
	s, srv := newS3(t, 3)
	require.NoError(t, s.EnsureIndex(ctx, "faces-a", 4))
	hs := httptest.NewServer(srv)
	defer hs.Close()
	out, err := s3vectorsserver.NewClient(hs.URL, 1).GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String(testBucket), IndexName: aws.String("faces-a")})
	require.NoError(t, err)
	require.NotNil(t, out.Index.MetadataConfiguration)
	assert.ElementsMatch(t, names.NonFilterableMetadataKeys, out.Index.MetadataConfiguration.NonFilterableMetadataKeys)

	require.NoError(t, s.Put(ctx, "faces-a", []vectors.Vector{
		{Key: "a/1/0", Data: []float32{1, 0, 0, 0}, Metadata: vectors.Metadata{AlbumID: "a", ImageID: "1", Box: [4]float32{1, 2, 3, 4}, Score: 0.9}},
		{Key: "b/1/0", Data: []float32{1, 0, 0, 0}, Metadata: vectors.Metadata{AlbumID: "b", ImageID: "1"}},
	}))
	got, err := s.Query(ctx, "faces-a", []float32{1, 0, 0, 0}, 10, "a")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, [4]float32{1, 2, 3, 4}, got[0].Metadata.Box, "non-filterable metadata is returned")
}
