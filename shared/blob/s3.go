package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/divinepic/pipeline/shared/domain"
)

// S3API is the part of *s3.Client the S3 store uses; *s3.Client satisfies
// it, and a test may pass a fake.
type S3API interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	HeadObject(ctx context.Context, in *s3.HeadObjectInput, opts ...func(*s3.Options)) (*s3.HeadObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, opts ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

var _ S3API = (*s3.Client)(nil)

// S3Option configures the S3 stores.
type S3Option func(*S3Buckets)

// WithPageSize sets how many keys one ListObjectsV2 call asks for (1 to
// 1000; S3's default and maximum is 1000). Smaller pages only make sense in
// tests of pagination.
func WithPageSize(n int32) S3Option { return func(b *S3Buckets) { b.pageSize = n } }

// S3Buckets opens S3 buckets through one injected client. Retries within a
// call are the client's (its retryer); what is still failing afterwards and
// may succeed later is reported as a *domain.TransientStoreError.
type S3Buckets struct {
	client   S3API
	pageSize int32
}

var _ Buckets = (*S3Buckets)(nil)

// NewS3 returns the buckets reachable through client.
func NewS3(client S3API, opts ...S3Option) (*S3Buckets, error) {
	if client == nil {
		return nil, errors.New("blob: S3 store: nil client")
	}
	b := &S3Buckets{client: client}
	for _, o := range opts {
		o(b)
	}
	if b.pageSize < 0 || b.pageSize > 1000 {
		return nil, fmt.Errorf("blob: S3 store: page size %d out of range 1..1000", b.pageSize)
	}
	return b, nil
}

// Bucket returns the store of the named bucket; it does no I/O.
func (b *S3Buckets) Bucket(name string) (Store, error) { return b.S3Bucket(name) }

// S3Bucket is Bucket returning the concrete type.
func (b *S3Buckets) S3Bucket(name string) (*S3Store, error) {
	if err := ValidateBucket(name); err != nil {
		return nil, err
	}
	return &S3Store{client: b.client, bucket: name, pageSize: b.pageSize}, nil
}

// NewS3Store returns the store of one bucket through client.
func NewS3Store(client S3API, bucket string, opts ...S3Option) (*S3Store, error) {
	b, err := NewS3(client, opts...)
	if err != nil {
		return nil, err
	}
	return b.S3Bucket(bucket)
}

// S3Store is one S3 bucket.
type S3Store struct {
	client   S3API
	bucket   string
	pageSize int32
}

var _ Store = (*S3Store)(nil)

// Get implements Store.
func (s *S3Store) Get(ctx context.Context, key string) ([]byte, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return nil, Info{}, s.fail("get", key, err)
	}
	defer out.Body.Close()
	var buf bytes.Buffer
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		buf.Grow(int(n))
	}
	if _, err := io.Copy(&buf, out.Body); err != nil {
		return nil, Info{}, s.fail("get", key, err)
	}
	info := Info{
		Key:          key,
		Size:         int64(buf.Len()),
		ETag:         unquote(aws.ToString(out.ETag)),
		LastModified: aws.ToTime(out.LastModified).UTC(),
	}
	return buf.Bytes(), info, nil
}

// Put implements Store. S3 does not return the modification time on PUT,
// so Info.LastModified is the client's clock.
func (s *S3Store) Put(ctx context.Context, key string, body []byte) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           &key,
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
	})
	if err != nil {
		return Info{}, s.fail("put", key, err)
	}
	etag := unquote(aws.ToString(out.ETag))
	if etag == "" {
		etag = ETagOf(body)
	}
	return Info{Key: key, Size: int64(len(body)), ETag: etag, LastModified: time.Now().UTC()}, nil
}

// Head implements Store.
func (s *S3Store) Head(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		return Info{}, s.fail("head", key, err)
	}
	return Info{
		Key:          key,
		Size:         aws.ToInt64(out.ContentLength),
		ETag:         unquote(aws.ToString(out.ETag)),
		LastModified: aws.ToTime(out.LastModified).UTC(),
	}, nil
}

// Delete implements Store.
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &key})
	if err != nil {
		if isS3NotFound(err) && !isS3NoSuchBucket(err) {
			return nil
		}
		return s.fail("delete", key, err)
	}
	return nil
}

// List implements Store with ListObjectsV2, one page at a time.
func (s *S3Store) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	in := &s3.ListObjectsV2Input{Bucket: &s.bucket}
	if prefix != "" {
		in.Prefix = &prefix
	}
	if s.pageSize > 0 {
		in.MaxKeys = aws.Int32(s.pageSize)
	}
	pages := s3.NewListObjectsV2Paginator(s.client, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return s.fail("list", prefix, err)
		}
		for _, o := range page.Contents {
			info := Info{
				Key:          aws.ToString(o.Key),
				Size:         aws.ToInt64(o.Size),
				ETag:         unquote(aws.ToString(o.ETag)),
				LastModified: aws.ToTime(o.LastModified).UTC(),
			}
			if err := fn(info); err != nil {
				return err
			}
		}
	}
	return nil
}

// ErrAccessDenied is wrapped by an S3 error that is AccessDenied (403). S3
// answers a read of a missing key with it, not with NoSuchKey, when the
// caller may not list the bucket; a caller whose role may read the key
// (and so would get the object if it were there) can take it as missing.
var ErrAccessDenied = errors.New("access denied")

// fail turns an SDK error into the pipeline's: a missing object is a
// *domain.ObjectMissing, a retryable one a *domain.TransientStoreError,
// a refused one wraps ErrAccessDenied, anything else is wrapped with the
// operation, bucket and key.
func (s *S3Store) fail(op, key string, err error) error {
	name := opName(op, s.bucket, key)
	switch {
	case (op == "get" || op == "head") && isS3NotFound(err) && !isS3NoSuchBucket(err):
		return &domain.ObjectMissing{Key: key}
	case IsTransientS3(err):
		return &domain.TransientStoreError{Op: name, Err: err}
	case isS3AccessDenied(err):
		return fmt.Errorf("blob: %s: %w: %w", name, ErrAccessDenied, err)
	}
	return fmt.Errorf("blob: %s: %w", name, err)
}

func isS3AccessDenied(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "AccessDenied" {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusForbidden
}

var (
	s3Retryables = retry.IsErrorRetryables(retry.DefaultRetryables)
	s3Throttles  = retry.IsErrorThrottles(retry.DefaultThrottles)
)

// IsTransientS3 reports whether an error from the S3 client may succeed on
// a later try: what the SDK's own retryer classifies as retryable or
// throttling (5xx, 429, SlowDown, connection and timeout errors), any other
// 5xx, an exhausted retry quota, or an expired deadline. A cancelled
// context is not transient.
func IsTransientS3(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var quota *ratelimit.QuotaExceededError
	if errors.As(err, &quota) {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	if errors.As(err, &status) && (status.HTTPStatusCode() >= 500 || status.HTTPStatusCode() == http.StatusTooManyRequests) {
		return true
	}
	return s3Retryables.IsErrorRetryable(err) == aws.TrueTernary || s3Throttles.IsErrorThrottle(err) == aws.TrueTernary
}

func isS3NotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) && (api.ErrorCode() == "NoSuchKey" || api.ErrorCode() == "NotFound") {
		return true
	}
	var status interface{ HTTPStatusCode() int }
	return errors.As(err, &status) && status.HTTPStatusCode() == http.StatusNotFound
}

func isS3NoSuchBucket(err error) bool {
	var nsb *types.NoSuchBucket
	var api smithy.APIError
	return errors.As(err, &nsb) || errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket"
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }
