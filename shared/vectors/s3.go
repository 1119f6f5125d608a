package vectors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"sync"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"github.com/aws/smithy-go"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// S3VectorsAPI is the part of the s3vectors client that S3Vectors uses;
// *s3vectors.Client satisfies it.
type S3VectorsAPI interface {
	CreateIndex(ctx context.Context, in *s3vectors.CreateIndexInput, opts ...func(*s3vectors.Options)) (*s3vectors.CreateIndexOutput, error)
	GetIndex(ctx context.Context, in *s3vectors.GetIndexInput, opts ...func(*s3vectors.Options)) (*s3vectors.GetIndexOutput, error)
	PutVectors(ctx context.Context, in *s3vectors.PutVectorsInput, opts ...func(*s3vectors.Options)) (*s3vectors.PutVectorsOutput, error)
	DeleteVectors(ctx context.Context, in *s3vectors.DeleteVectorsInput, opts ...func(*s3vectors.Options)) (*s3vectors.DeleteVectorsOutput, error)
	QueryVectors(ctx context.Context, in *s3vectors.QueryVectorsInput, opts ...func(*s3vectors.Options)) (*s3vectors.QueryVectorsOutput, error)
	ListVectors(ctx context.Context, in *s3vectors.ListVectorsInput, opts ...func(*s3vectors.Options)) (*s3vectors.ListVectorsOutput, error)
	GetVectors(ctx context.Context, in *s3vectors.GetVectorsInput, opts ...func(*s3vectors.Options)) (*s3vectors.GetVectorsOutput, error)
}

var _ S3VectorsAPI = (*s3vectors.Client)(nil)

// S3Vectors is the Store on Amazon S3 Vectors: one vector index per index
// name in one vector bucket (which must exist; the CDK app creates it).
// Indexes are created with cosine distance, float32 data and, like the CDK
// stack's, names.NonFilterableMetadataKeys as non-filterable metadata.
// Metadata is stored under the JSON names of Metadata's fields; Query
// filters with {"albumId": {"$eq": id}}. Keys lists the whole index and
// keeps the album's keys (ListVectors has no filter), so it costs one
// request per 1,000 vectors of the index (8 segments in parallel).
//
// Errors that a retry may cure (throttling, 5xx, timeouts, network errors,
// after the SDK's own retries) are returned as *domain.TransientStoreError.
// Query is approximate, as the service is.
type S3Vectors struct {
	api    S3VectorsAPI
	bucket string

	mu   sync.Mutex
	dims map[string]int // index -> dimension, once seen
}

var _ Store = (*S3Vectors)(nil)

// NewS3Vectors returns a store on the vector bucket through api.
func NewS3Vectors(api S3VectorsAPI, bucket string) (*S3Vectors, error) {
	if api == nil {
		return nil, errors.New("s3 vectors store: nil client")
	}
	if err := ValidateIndexName(bucket); err != nil || bucketHasDot(bucket) {
		return nil, fmt.Errorf("s3 vectors store: %w: bucket name %q: 3 to 63 characters of a-z, 0-9 and '-'", ErrInvalid, bucket)
	}
	return &S3Vectors{api: api, bucket: bucket, dims: map[string]int{}}, nil
}

func bucketHasDot(b string) bool {
	for i := 0; i < len(b); i++ {
		if b[i] == '.' {
			return true
		}
	}
	return false
}

// s3Metadata is Metadata as stored in S3 Vectors.
type s3Metadata struct {
	AlbumID   string     `document:"albumId"`
	ImageID   string     `document:"imageId"`
	FaceIndex int        `document:"faceIndex"`
	Pack      string     `document:"pack"`
	Box       [4]float32 `document:"box"`
	Score     float32    `document:"score"`
}

// EnsureIndex implements Store.
func (s *S3Vectors) EnsureIndex(ctx context.Context, index string, dim int) error {
	if err := checkIndexArgs(index, dim); err != nil {
		return err
	}
	have, err := s.describe(ctx, index)
	if errors.Is(err, ErrIndexNotFound) {
		_, err = s.api.CreateIndex(ctx, &s3vectors.CreateIndexInput{
			VectorBucketName: &s.bucket,
			IndexName:        &index,
			DataType:         types.DataTypeFloat32,
			Dimension:        ptr(int32(dim)),
			DistanceMetric:   types.DistanceMetricCosine,
			// The CDK stack creates the packs' indexes with the same
			// configuration (names.NonFilterableMetadataKeys).
			MetadataConfiguration: &types.MetadataConfiguration{NonFilterableMetadataKeys: names.NonFilterableMetadataKeys},
		})
		var conflict *types.ConflictException
		if errors.As(err, &conflict) {
			// Created concurrently: check what was created.
			have, err = s.describe(ctx, index)
			if err != nil {
				return err
			}
			return sameDim(index, have, dim)
		}
		if err != nil {
			return s.wrap("create index "+index, err)
		}
		s.mu.Lock()
		s.dims[index] = dim
		s.mu.Unlock()
		return nil
	}
	if err != nil {
		return err
	}
	return sameDim(index, have, dim)
}

// describe returns the index's dimension, checking that it is a cosine
// float32 index.
func (s *S3Vectors) describe(ctx context.Context, index string) (int, error) {
	out, err := s.api.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: &s.bucket, IndexName: &index})
	if err != nil {
		return 0, s.wrap("get index "+index, err)
	}
	if out.Index == nil || out.Index.Dimension == nil {
		return 0, fmt.Errorf("get index %s: the response has no dimension", index)
	}
	if out.Index.DistanceMetric != types.DistanceMetricCosine {
		return 0, fmt.Errorf("%w: index %s uses %s distance, not cosine", ErrInvalid, index, out.Index.DistanceMetric)
	}
	dim := int(*out.Index.Dimension)
	s.mu.Lock()
	s.dims[index] = dim
	s.mu.Unlock()
	return dim, nil
}

// dim returns the index's dimension, asking the service the first time.
func (s *S3Vectors) dim(ctx context.Context, index string) (int, error) {
	if err := ValidateIndexName(index); err != nil {
		return 0, err
	}
	s.mu.Lock()
	d, ok := s.dims[index]
	s.mu.Unlock()
	if ok {
		return d, nil
	}
	return s.describe(ctx, index)
}

// Put implements Store.
func (s *S3Vectors) Put(ctx context.Context, index string, vs []Vector) error {
	dim, err := s.dim(ctx, index)
	if err != nil {
		return err
	}
	if err := validateVectors(vs, dim); err != nil {
		return fmt.Errorf("put into index %s: %w", index, err)
	}
	for start := 0; start < len(vs); start += MaxBatch {
		batch := vs[start:min(start+MaxBatch, len(vs))]
		in := &s3vectors.PutVectorsInput{VectorBucketName: &s.bucket, IndexName: &index,
			Vectors: make([]types.PutInputVector, len(batch))}
		for i := range batch {
			v := &batch[i]
			m := v.Metadata
			in.Vectors[i] = types.PutInputVector{
				Key:      &v.Key,
				Data:     &types.VectorDataMemberFloat32{Value: v.Data},
				Metadata: document.NewLazyDocument(&s3Metadata{m.AlbumID, m.ImageID, m.FaceIndex, m.Pack, m.Box, m.Score}),
			}
		}
		if _, err := s.api.PutVectors(ctx, in); err != nil {
			return s.wrap(fmt.Sprintf("put %d vectors into index %s", len(batch), index), err)
		}
	}
	return nil
}

// Delete implements Store.
func (s *S3Vectors) Delete(ctx context.Context, index string, keys []string) error {
	if _, err := s.dim(ctx, index); err != nil {
		return err
	}
	for start := 0; start < len(keys); start += MaxBatch {
		batch := keys[start:min(start+MaxBatch, len(keys))]
		_, err := s.api.DeleteVectors(ctx, &s3vectors.DeleteVectorsInput{VectorBucketName: &s.bucket, IndexName: &index, Keys: batch})
		if err != nil {
			return s.wrap(fmt.Sprintf("delete %d vectors from index %s", len(batch), index), err)
		}
	}
	return nil
}

// Query implements Store.
func (s *S3Vectors) Query(ctx context.Context, index string, q []float32, k int, albumID string) ([]Match, error) {
	dim, err := s.dim(ctx, index)
	if err != nil {
		return nil, err
	}
	if err := checkQuery(index, q, k, dim); err != nil {
		return nil, err
	}
	in := &s3vectors.QueryVectorsInput{
		VectorBucketName: &s.bucket,
		IndexName:        &index,
		QueryVector:      &types.VectorDataMemberFloat32{Value: q},
		TopK:             ptr(int32(k)),
		ReturnDistance:   true,
		ReturnMetadata:   true,
	}
	if albumID != "" {
		in.Filter = document.NewLazyDocument(map[string]any{"albumId": map[string]any{"$eq": albumID}})
	}
	out, err := s.api.QueryVectors(ctx, in)
	if err != nil {
		return nil, s.wrap("query index "+index, err)
	}
	matches := make([]Match, 0, len(out.Vectors))
	for _, v := range out.Vectors {
		if v.Key == nil || v.Distance == nil {
			return nil, fmt.Errorf("query index %s: a result has no key or distance", index)
		}
		m, err := decodeS3Metadata(v.Metadata)
		if err != nil {
			return nil, fmt.Errorf("query index %s: vector %s: %w", index, *v.Key, err)
		}
		// The service's cosine distance is 1 - cosine similarity.
		matches = append(matches, Match{Key: *v.Key, Score: 1 - *v.Distance, Metadata: m})
	}
	sort.SliceStable(matches, func(i, j int) bool { return better(matches[i], matches[j]) })
	return matches, nil
}

var _ KeyLookup = (*S3Vectors)(nil)

// maxGetVectors is GetVectors' limit on keys per call.
const maxGetVectors = 100

// Existing implements KeyLookup with GetVectors (no data, no metadata), 100
// keys a call: it costs what the keys asked about cost, not what the whole
// index holds.
func (s *S3Vectors) Existing(ctx context.Context, index string, keys []string) (map[string]bool, error) {
	if _, err := s.dim(ctx, index); err != nil {
		return nil, err
	}
	found := map[string]bool{}
	for start := 0; start < len(keys); start += maxGetVectors {
		batch := keys[start:min(start+maxGetVectors, len(keys))]
		out, err := s.api.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: &s.bucket, IndexName: &index, Keys: batch})
		if err != nil {
			return nil, s.wrap("get vectors "+index, err)
		}
		for _, v := range out.Vectors {
			if v.Key != nil {
				found[*v.Key] = true
			}
		}
	}
	return found, nil
}

// listSegments is how many parallel ListVectors scans Keys runs.
const listSegments = 8

// Keys implements Store. ListVectors cannot filter, so Keys reads the whole
// index, in listSegments parallel segments of pages of 1,000.
func (s *S3Vectors) Keys(ctx context.Context, index string, albumID string) ([]string, error) {
	if _, err := s.dim(ctx, index); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	parts := make([][]string, listSegments)
	errs := make([]error, listSegments)
	var wg sync.WaitGroup
	for seg := range listSegments {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[seg], errs[seg] = s.listSegment(ctx, index, albumID, int32(seg))
			if errs[seg] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	keys := []string{}
	for seg := range listSegments {
		if errs[seg] != nil {
			return nil, errs[seg]
		}
		keys = append(keys, parts[seg]...)
	}
	sort.Strings(keys)
	return keys, nil
}

// listSegment returns the keys of albumID ("" = all) in one segment.
func (s *S3Vectors) listSegment(ctx context.Context, index, albumID string, seg int32) ([]string, error) {
	var keys []string
	in := &s3vectors.ListVectorsInput{VectorBucketName: &s.bucket, IndexName: &index,
		MaxResults: ptr(int32(1000)), ReturnMetadata: albumID != "",
		SegmentCount: ptr(int32(listSegments)), SegmentIndex: seg}
	for {
		out, err := s.api.ListVectors(ctx, in)
		if err != nil {
			return nil, s.wrap("list vectors of index "+index, err)
		}
		for _, v := range out.Vectors {
			if v.Key == nil {
				continue
			}
			if albumID != "" {
				m, err := decodeS3Metadata(v.Metadata)
				if err != nil {
					return nil, fmt.Errorf("list vectors of index %s: vector %s: %w", index, *v.Key, err)
				}
				if m.AlbumID != albumID {
					continue
				}
			}
			keys = append(keys, *v.Key)
		}
		if out.NextToken == nil || *out.NextToken == "" {
			return keys, nil
		}
		in.NextToken = out.NextToken
	}
}

func decodeS3Metadata(d document.Interface) (Metadata, error) {
	if d == nil {
		return Metadata{}, errors.New("no metadata")
	}
	var m s3Metadata
	if err := d.UnmarshalSmithyDocument(&m); err != nil {
		return Metadata{}, fmt.Errorf("decode metadata: %w", err)
	}
	return Metadata(m), nil
}

// wrap classifies a service error: missing index or bucket -> ErrIndexNotFound,
// refused input -> ErrInvalid, what a retry may cure -> TransientStoreError.
func (s *S3Vectors) wrap(op string, err error) error {
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", op, err)
	}
	var notFound *types.NotFoundException
	if errors.As(err, &notFound) {
		return fmt.Errorf("%s: %w: %v", op, ErrIndexNotFound, err)
	}
	var invalid *types.ValidationException
	if errors.As(err, &invalid) {
		return fmt.Errorf("%s: %w: %v", op, ErrInvalid, err)
	}
	if transient(err) {
		return &domain.TransientStoreError{Op: op + " (bucket " + s.bucket + ")", Err: err}
	}
	return fmt.Errorf("%s: %w", op, err)
}

func transient(err error) bool {
	var (
		throttled   *types.TooManyRequestsException
		unavailable *types.ServiceUnavailableException
		internal    *types.InternalServerException
		timeout     *types.RequestTimeoutException
	)
	if errors.As(err, &throttled) || errors.As(err, &unavailable) || errors.As(err, &internal) || errors.As(err, &timeout) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var resp *awshttp.ResponseError
	if errors.As(err, &resp) && (resp.HTTPStatusCode() >= 500 || resp.HTTPStatusCode() == 429) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorFault() == smithy.FaultServer {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

func ptr[T any](v T) *T { return &v }
