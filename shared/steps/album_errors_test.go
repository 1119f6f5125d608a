package steps

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
)

// An album id with nothing stored, or with no photo, fails ListImages with
// a named error; an album that was indexed and lost all its photos goes on
// (Aggregate removes their faces).
func TestListRefusesMissingAndEmptyAlbums(t *testing.T) {
	ctx := context.Background()
	s, b := testSteps(t)
	put := putter(t, b)

	_, err := s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "nosuch"}, ExecutionName: "run-1"})
	var notFound *domain.AlbumNotFound
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, "nosuch", notFound.AlbumID)
	assert.Equal(t, domain.ErrAlbumNotFound, states.ErrorType(domain.ForWorkflow(err)), "the name reaches Step Functions")

	put(names.AlbumPrefix("notes")+"readme.txt", "no photo")
	_, err = s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "notes"}, ExecutionName: "run-1"})
	var empty *domain.AlbumEmpty
	require.ErrorAs(t, err, &empty)
	assert.Equal(t, 1, empty.Objects)

	// Indexed before: an album whose photos all went is not an error.
	require.NoError(t, putJSON(ctx, b, names.IndexKey("gone", "default-1"), domain.AlbumIndex{AlbumID: "gone", PackVersion: "default-1",
		Images: map[string]domain.IndexEntry{"x": {Key: names.AlbumPrefix("gone") + "x.jpg", Status: domain.StatusDone}}}))
	out, err := s.List(ctx, ListInput{Input: domain.AlbumInput{AlbumID: "gone"}, ExecutionName: "run-1"})
	require.NoError(t, err)
	assert.Zero(t, out.Total)
}
