package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/vectors"
)

// brokenStore fails every call the way a damaged local store without a
// source did: a wrapped error that names the file's absolute path.
type brokenStore struct{ vectors.Store }

func (brokenStore) EnsureIndex(ctx context.Context, index string, dim int) error {
	return fmt.Errorf("open index %s (/srv/divinepic/data/vectors/%s.vlog): %w", index, index, vectors.ErrCorrupt)
}

// Finding 2, at the API: an error that is not one of the named ones
// reaches Step Functions (and DescribeExecution) as InternalError, never
// wrapError, and without the server's paths.
func TestStepErrorsAreNamedAndPathless(t *testing.T) {
	s, b := testSteps(t)
	s.Vectors = brokenStore{vectors.NewMemory()}
	putter(t, b)("albums/a/x.jpg", "1")
	payload, err := json.Marshal(AggregateInput{AlbumInput: domain.AlbumInput{AlbumID: "a"}, List: ListOutput{Pack: "default"}})
	require.NoError(t, err)

	// The handler as the Lambda runtime and the local engine call it; the
	// error name is what both report (states.ErrorType).
	h, err := s.Handler(names.StepAggregate)
	require.NoError(t, err)
	_, err = h.Invoke(context.Background(), payload)
	require.Error(t, err)
	assert.Equal(t, domain.ErrInternal, states.ErrorType(err))
	assert.Contains(t, err.Error(), "faces-default-1.vlog")
	assert.NotContains(t, err.Error(), "/srv/")

	// A named error wrapped by a step keeps its name.
	_, err = step("wraps", func(ctx context.Context, in struct{}) (struct{}, error) {
		return struct{}{}, fmt.Errorf("reading: %w", &domain.ObjectMissing{Key: "albums/a/x.jpg"})
	}).NewHandler().Invoke(context.Background(), []byte(`{}`))
	assert.Equal(t, domain.ErrObjectMissing, states.ErrorType(err))
}
