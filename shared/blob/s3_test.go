package blob_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
)

// fakeS3 is an in-process S3-compatible server (gofakes3, buckets created
// on first use) and a real SDK client pointed at it, path-style.
type fakeS3 struct {
	url       string
	client    *s3.Client
	backend   *s3mem.Backend
	listCalls atomic.Int64 // ListObjectsV2 requests served
}

func newFakeS3(t *testing.T, wrap ...func(http.Handler) http.Handler) *fakeS3 {
	t.Helper()
	f := &fakeS3{backend: s3mem.New()}
	faker := gofakes3.New(f.backend, gofakes3.WithAutoBucket(true))
	handler := faker.Server()
	for _, w := range wrap {
		handler = w(handler)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2" {
			f.listCalls.Add(1)
		}
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	f.client = newS3Client(srv.URL, srv.Client())
	return f
}

// newS3Client is the real SDK client as a test uses it: static credentials,
// us-east-1, path-style, the given endpoint.
func newS3Client(endpoint string, hc *http.Client, opts ...func(*s3.Options)) *s3.Client {
	if hc == nil {
		hc = &http.Client{}
	}
	return s3.New(s3.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", ""),
		BaseEndpoint: aws.String(endpoint),
		UsePathStyle: true,
		HTTPClient:   hc,
	}, opts...)
}

func TestS3ListPaginatesPastOneThousandKeys(t *testing.T) {
	f := newFakeS3(t)
	ctx := context.Background()
	s, err := blob.NewS3Store(f.client, "many") // default page size: 1000
	require.NoError(t, err)
	// Create the bucket through the SDK, then seed through the backend (fast).
	_, err = s.Put(ctx, "many/0000", []byte("0"))
	require.NoError(t, err)
	const n = 2345
	for i := 1; i < n; i++ {
		body := []byte(fmt.Sprint(i))
		_, err := f.backend.PutObject("many", fmt.Sprintf("many/%04d", i), map[string]string{}, bytes.NewReader(body), int64(len(body)), nil)
		require.NoError(t, err)
	}
	f.listCalls.Store(0)
	var keys []string
	require.NoError(t, s.List(ctx, "many/", func(info blob.Info) error {
		keys = append(keys, info.Key)
		return nil
	}))
	require.Len(t, keys, n)
	for i, k := range keys {
		require.Equal(t, fmt.Sprintf("many/%04d", i), k)
	}
	assert.Equal(t, int64(3), f.listCalls.Load(), "2345 keys are three pages of 1000")
}

// TestS3ErrorClassification drives the real client against a server that
// answers with canned errors.
func TestS3ErrorClassification(t *testing.T) {
	ctx := context.Background()
	xmlErr := func(status int, code string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			if r.Method != http.MethodHead {
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>canned</Message></Error>`, code)
			}
		}
	}
	for _, tc := range []struct {
		name      string
		handler   http.HandlerFunc
		transient bool
		missing   bool
		denied    bool
	}{
		{"503 SlowDown", xmlErr(503, "SlowDown"), true, false, false},
		{"500 InternalError", xmlErr(500, "InternalError"), true, false, false},
		{"502 bare", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(502) }, true, false, false},
		{"429", xmlErr(429, "TooManyRequests"), true, false, false},
		{"403 AccessDenied", xmlErr(403, "AccessDenied"), false, false, true},
		{"404 NoSuchBucket", xmlErr(404, "NoSuchBucket"), false, false, false},
		{"404 NoSuchKey", xmlErr(404, "NoSuchKey"), false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			client := newS3Client(srv.URL, srv.Client(), func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
			s, err := blob.NewS3Store(client, "errs")
			require.NoError(t, err)

			_, _, err = s.Get(ctx, "a/key.jpg")
			require.Error(t, err)
			var missing *domain.ObjectMissing
			assert.Equal(t, tc.missing, errors.As(err, &missing), "missing: %v", err)
			assert.Equal(t, tc.transient, domain.IsTransient(err), "transient: %v", err)
			assert.Equal(t, tc.denied, errors.Is(err, blob.ErrAccessDenied), "denied: %v", err)
			if !tc.missing {
				assert.Contains(t, err.Error(), "get errs/a/key.jpg", "names the op and key")
			}

			_, err = s.Put(ctx, "a/key.jpg", []byte("x"))
			require.Error(t, err)
			assert.Equal(t, tc.transient, domain.IsTransient(err), "put transient: %v", err)
			assert.False(t, errors.As(err, &missing), "a put never reports a missing object")

			err = s.List(ctx, "a/", func(blob.Info) error { return nil })
			require.Error(t, err)
			assert.Equal(t, tc.transient, domain.IsTransient(err), "list transient: %v", err)
		})
	}

	t.Run("connection refused", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		client := newS3Client(url, http.DefaultClient, func(o *s3.Options) { o.Retryer = aws.NopRetryer{} })
		s, err := blob.NewS3Store(client, "errs")
		require.NoError(t, err)
		_, err = s.Head(ctx, "k")
		var transient *domain.TransientStoreError
		require.ErrorAs(t, err, &transient)
		assert.Equal(t, "head errs/k", transient.Op)
	})

	t.Run("retried by the SDK, then succeeds", func(t *testing.T) {
		var calls, failNext atomic.Int64 // requests seen; how many of the next ones fail
		f := newFakeS3(t, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				if failNext.Add(-1) >= 0 {
					xmlErr(503, "SlowDown")(w, r)
					return
				}
				next.ServeHTTP(w, r)
			})
		})
		client := newS3Client(f.url, nil, func(o *s3.Options) {
			o.Retryer = retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 3
				o.Backoff = noBackoff{}
			})
		})
		s, err := blob.NewS3Store(client, "retry")
		require.NoError(t, err)
		failNext.Store(2)
		info, err := s.Put(ctx, "k", []byte("body"))
		require.NoError(t, err)
		assert.Equal(t, blob.ETagOf([]byte("body")), info.ETag)
		assert.Equal(t, int64(3), calls.Load(), "two 503s, then the request that succeeded")

		calls.Store(0)
		failNext.Store(100) // more than the SDK's 3 attempts
		_, err = s.Put(ctx, "k", []byte("body"))
		assert.Equal(t, int64(3), calls.Load(), "the SDK tried 3 times")
		var transient *domain.TransientStoreError
		require.ErrorAs(t, err, &transient, "still failing after the SDK's retries")
	})
}

type noBackoff struct{}

func (noBackoff) BackoffDelay(int, error) (time.Duration, error) { return 0, nil }

func TestIsTransientS3(t *testing.T) {
	assert.False(t, blob.IsTransientS3(nil))
	assert.False(t, blob.IsTransientS3(errors.New("plain")))
	assert.False(t, blob.IsTransientS3(fmt.Errorf("op: %w", context.Canceled)))
	assert.True(t, blob.IsTransientS3(fmt.Errorf("op: %w", context.DeadlineExceeded)))
}

func TestS3StoreConstruction(t *testing.T) {
	_, err := blob.NewS3(nil)
	require.Error(t, err)
	_, err = blob.NewS3(newS3Client("http://127.0.0.1:1", nil), blob.WithPageSize(1001))
	require.ErrorContains(t, err, "page size")
	_, err = blob.NewS3Store(newS3Client("http://127.0.0.1:1", nil), "Bad_Bucket")
	var invalid *domain.InvalidInput
	require.ErrorAs(t, err, &invalid)
}
