package s3vectorsserver_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/document"
	"github.com/aws/aws-sdk-go-v2/service/s3vectors/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

const bucket = "test-bucket"

func setup(t *testing.T, dim int, nonFilterable ...string) (*s3vectors.Client, *s3vectorsserver.Server) {
	srv := s3vectorsserver.NewServer()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c := s3vectorsserver.NewClient(hs.URL, 1)
	ctx := context.Background()
	_, err := c.CreateVectorBucket(ctx, &s3vectors.CreateVectorBucketInput{VectorBucketName: aws.String(bucket)})
	require.NoError(t, err)
	in := &s3vectors.CreateIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"),
		DataType: types.DataTypeFloat32, Dimension: aws.Int32(int32(dim)), DistanceMetric: types.DistanceMetricCosine}
	if len(nonFilterable) > 0 {
		in.MetadataConfiguration = &types.MetadataConfiguration{NonFilterableMetadataKeys: nonFilterable}
	}
	_, err = c.CreateIndex(ctx, in)
	require.NoError(t, err)
	return c, srv
}

func vec(key string, meta map[string]any, data ...float32) types.PutInputVector {
	v := types.PutInputVector{Key: aws.String(key), Data: &types.VectorDataMemberFloat32{Value: data}}
	if meta != nil {
		v.Metadata = document.NewLazyDocument(meta)
	}
	return v
}

func isValidation(err error) bool {
	var v *types.ValidationException
	return errors.As(err, &v)
}

func TestIndexLifecycle(t *testing.T) {
	ctx := context.Background()
	c, _ := setup(t, 3)
	out, err := c.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx")})
	require.NoError(t, err)
	assert.Equal(t, int32(3), *out.Index.Dimension)
	assert.Equal(t, types.DistanceMetricCosine, out.Index.DistanceMetric)
	assert.Equal(t, "arn:aws:s3vectors:us-east-1:123456789012:bucket/test-bucket/index/idx", *out.Index.IndexArn)
	assert.NotNil(t, out.Index.CreationTime)

	_, err = c.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"),
		DataType: types.DataTypeFloat32, Dimension: aws.Int32(3), DistanceMetric: types.DistanceMetricCosine})
	var conflict *types.ConflictException
	assert.ErrorAs(t, err, &conflict)

	for _, bad := range []struct {
		name string
		dim  int32
	}{{"ab", 3}, {"Upper", 3}, {"under_score", 3}, {"ok-name", 0}, {"ok-name", 4097}} {
		_, err = c.CreateIndex(ctx, &s3vectors.CreateIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String(bad.name),
			DataType: types.DataTypeFloat32, Dimension: aws.Int32(bad.dim), DistanceMetric: types.DistanceMetricCosine})
		assert.True(t, isValidation(err), "%v: %v", bad, err)
	}

	// By ARN, then deleted.
	_, err = c.PutVectors(ctx, &s3vectors.PutVectorsInput{IndexArn: out.Index.IndexArn, Vectors: []types.PutInputVector{vec("k", nil, 1, 2, 3)}})
	require.NoError(t, err)
	_, err = c.DeleteIndex(ctx, &s3vectors.DeleteIndexInput{IndexArn: out.Index.IndexArn})
	require.NoError(t, err)
	_, err = c.GetIndex(ctx, &s3vectors.GetIndexInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx")})
	var nf *types.NotFoundException
	assert.ErrorAs(t, err, &nf)
}

func TestLimits(t *testing.T) {
	ctx := context.Background()
	c, _ := setup(t, 2)
	many := func(n int) []types.PutInputVector {
		var vs []types.PutInputVector
		for i := 0; i < n; i++ {
			vs = append(vs, vec(fmt.Sprint(i), nil, 1, float32(i)))
		}
		return vs
	}
	put := func(vs ...types.PutInputVector) error {
		_, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), Vectors: vs})
		return err
	}
	require.NoError(t, put(many(500)...))
	assert.True(t, isValidation(put(many(501)...)), "501 vectors")
	assert.True(t, isValidation(put(vec("x", nil, 1, 2, 3))), "wrong dimension")
	assert.True(t, isValidation(put(vec("x", nil, 0, 0))), "zero vector")
	assert.True(t, isValidation(put(vec(strings.Repeat("k", 1025), nil, 1, 2))), "long key")
	assert.True(t, isValidation(put(vec("x", map[string]any{"big": strings.Repeat("x", 3000)}, 1, 2))), "filterable metadata over 2 KB")
	assert.True(t, isValidation(put(vec("x", nil, float32(1), float32(math.NaN())))), "NaN")

	var keys []string
	for i := 0; i < 501; i++ {
		keys = append(keys, fmt.Sprint(i))
	}
	_, err := c.DeleteVectors(ctx, &s3vectors.DeleteVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), Keys: keys})
	assert.True(t, isValidation(err), "delete 501")
	_, err = c.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), Keys: keys[:101]})
	assert.True(t, isValidation(err), "get 101")
	for _, k := range []int32{0, 101} {
		_, err = c.QueryVectors(ctx, &s3vectors.QueryVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"),
			QueryVector: &types.VectorDataMemberFloat32{Value: []float32{1, 0}}, TopK: aws.Int32(k)})
		assert.True(t, isValidation(err), "topK %d", k)
	}
	_, err = c.ListVectors(ctx, &s3vectors.ListVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), MaxResults: aws.Int32(1001)})
	assert.True(t, isValidation(err), "list 1001")
}

func TestQueryFilters(t *testing.T) {
	ctx := context.Background()
	c, _ := setup(t, 2, "note")
	_, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), Vectors: []types.PutInputVector{
		vec("a", map[string]any{"album": "x", "n": 1, "tags": []string{"red", "blue"}, "note": "n"}, 1, 0),
		vec("b", map[string]any{"album": "x", "n": 5}, 1, 1),
		vec("c", map[string]any{"album": "y", "n": 9, "tags": []string{"green"}}, 0, 1),
		vec("d", nil, -1, 0),
	}})
	require.NoError(t, err)
	cases := []struct {
		filter any
		want   []string // best first for query (1, 0)
		bad    bool
	}{
		{nil, []string{"a", "b", "c", "d"}, false},
		{map[string]any{"album": "x"}, []string{"a", "b"}, false},
		{map[string]any{"album": map[string]any{"$eq": "y"}}, []string{"c"}, false},
		{map[string]any{"album": map[string]any{"$ne": "x"}}, []string{"c"}, false},
		{map[string]any{"n": map[string]any{"$gte": 5}}, []string{"b", "c"}, false},
		{map[string]any{"n": map[string]any{"$gt": 1, "$lt": 9}}, []string{"b"}, false},
		{map[string]any{"n": map[string]any{"$in": []int{1, 9}}}, []string{"a", "c"}, false},
		{map[string]any{"album": map[string]any{"$nin": []string{"x"}}}, []string{"c"}, false},
		{map[string]any{"tags": "blue"}, []string{"a"}, false},
		{map[string]any{"tags": map[string]any{"$exists": false}}, []string{"b", "d"}, false},
		{map[string]any{"$or": []any{map[string]any{"n": 1}, map[string]any{"album": "y"}}}, []string{"a", "c"}, false},
		{map[string]any{"$and": []any{map[string]any{"album": "x"}, map[string]any{"n": map[string]any{"$lte": 1}}}}, []string{"a"}, false},
		{map[string]any{"album": map[string]any{"$regex": "x"}}, nil, true},
		{map[string]any{"note": "n"}, nil, true},
		{map[string]any{"$or": []any{}}, nil, true},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.filter), func(t *testing.T) {
			in := &s3vectors.QueryVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"),
				QueryVector: &types.VectorDataMemberFloat32{Value: []float32{1, 0}}, TopK: aws.Int32(10), ReturnDistance: true}
			if tc.filter != nil {
				in.Filter = document.NewLazyDocument(tc.filter)
			}
			out, err := c.QueryVectors(ctx, in)
			if tc.bad {
				assert.True(t, isValidation(err), "%v", err)
				return
			}
			require.NoError(t, err)
			var got []string
			for _, v := range out.Vectors {
				got = append(got, *v.Key)
			}
			assert.Equal(t, tc.want, got)
			assert.Equal(t, types.DistanceMetricCosine, out.DistanceMetric)
			if len(out.Vectors) > 0 && *out.Vectors[0].Key == "a" {
				assert.InDelta(t, 0, *out.Vectors[0].Distance, 1e-6, "cosine distance of the same direction")
			}
		})
	}
}

func TestListAndGet(t *testing.T) {
	ctx := context.Background()
	c, srv := setup(t, 2)
	var vs []types.PutInputVector
	var want []string
	for i := 0; i < 25; i++ {
		k := fmt.Sprintf("k%02d", i)
		want = append(want, k)
		vs = append(vs, vec(k, map[string]any{"i": i}, 1, float32(i)))
	}
	_, err := c.PutVectors(ctx, &s3vectors.PutVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), Vectors: vs})
	require.NoError(t, err)

	var got []string
	in := &s3vectors.ListVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), MaxResults: aws.Int32(10), ReturnMetadata: true}
	pages := 0
	for {
		out, err := c.ListVectors(ctx, in)
		require.NoError(t, err)
		pages++
		for _, v := range out.Vectors {
			got = append(got, *v.Key)
			var m map[string]any
			require.NoError(t, v.Metadata.UnmarshalSmithyDocument(&m))
			assert.Contains(t, m, "i")
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	assert.Equal(t, 3, pages)
	assert.Equal(t, want, got)

	// Segments partition the keys.
	var seg []string
	for i := int32(0); i < 3; i++ {
		out, err := c.ListVectors(ctx, &s3vectors.ListVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), SegmentCount: aws.Int32(3), SegmentIndex: i})
		require.NoError(t, err)
		for _, v := range out.Vectors {
			seg = append(seg, *v.Key)
		}
	}
	sort.Strings(seg)
	assert.Equal(t, want, seg)

	g, err := c.GetVectors(ctx, &s3vectors.GetVectorsInput{VectorBucketName: aws.String(bucket), IndexName: aws.String("idx"), Keys: []string{"k03", "nope"}, ReturnData: true})
	require.NoError(t, err)
	require.Len(t, g.Vectors, 1)
	assert.Equal(t, []float32{1, 3}, g.Vectors[0].Data.(*types.VectorDataMemberFloat32).Value)

	calls := srv.Calls()
	assert.Equal(t, s3vectorsserver.Call{Op: "PutVectors", Index: "idx", Count: 25}, calls[2])
}
