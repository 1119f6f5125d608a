package domain_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/states"
)

func TestForWorkflowNamesEveryErrorAndHidesPaths(t *testing.T) {
	_, pathErr := os.Open("/srv/divinepic/data/vectors/faces-default-1.vlog")
	require.Error(t, pathErr)
	for _, tc := range []struct {
		err  error
		name string
		msg  string
	}{
		{fmt.Errorf("open index faces-default-1 (/srv/divinepic/data/vectors/faces-default-1.vlog): %w", errors.New("vector index file corrupt")),
			domain.ErrInternal, "open index faces-default-1 (faces-default-1.vlog): vector index file corrupt"},
		{fmt.Errorf("put: %w", pathErr), domain.ErrInternal, "put: open faces-default-1.vlog: no such file or directory"},
		{fmt.Errorf("aggregate: %w", &domain.ObjectMissing{Key: "albums/a/x.jpg"}), domain.ErrObjectMissing, "object missing: albums/a/x.jpg"},
		{&domain.TransientStoreError{Op: "get albums/a/x.jpg", Err: pathErr}, domain.ErrTransientStoreError, "faces-default-1.vlog"},
		{&domain.ImageUnreadable{Key: "albums/a/x.jpg", Reason: "corrupt JPEG"}, domain.ErrImageUnreadable, "image unreadable albums/a/x.jpg: corrupt JPEG"},
		{errors.New("s3://bucket/albums/a/x.jpg ratio 1/2"), domain.ErrInternal, "s3://bucket/albums/a/x.jpg ratio 1/2"},
	} {
		got := domain.ForWorkflow(tc.err)
		assert.Equal(t, tc.name, states.ErrorType(got), "%v", tc.err)
		assert.Contains(t, got.Error(), tc.msg)
		assert.NotContains(t, got.Error(), "/srv/")
	}
	assert.NoError(t, domain.ForWorkflow(nil))
}
