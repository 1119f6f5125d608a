package embedded

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// brokenDetect is a deployment whose detection fails on every photo.
type brokenDetect struct{ lambda.Handler }

func (brokenDetect) Invoke(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("the detector model is missing")
}

// Beyond the tolerated share of failed photos the album fails in
// ReportFailures (AWS's ToleratedFailureCount, as ListImages computed it)
// before Aggregate runs: a broken deployment reprocessing an indexed album
// leaves its faces as they were. (Within it the album succeeds:
// TestAlbumEndToEnd, and sfnapi's TestPipelineThroughTheAPI at 50%.)
func TestToleratedFailuresGuardTheAlbum(t *testing.T) {
	src, _ := loadTruth(t)
	dir := makeAlbum(t, src, []string{"faces/Test1.jpg", "faces/Test3.jpg", "faces/woman_search.jpeg", "faces/Rob_Lowe_0001.jpg"})
	data := t.TempDir()
	ctx := context.Background()

	p := open(t, data, Options{ToleratedFailurePercentage: 50})
	_, err := p.Import(ctx, "tol", dir)
	require.NoError(t, err)
	sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "tol"})
	require.NoError(t, err)
	require.Empty(t, sum.Failed)
	before := vectorKeys(t, p, "tol", "default-1")
	require.NotEmpty(t, before)
	require.NoError(t, p.Close())

	broken := open(t, data, Options{ToleratedFailurePercentage: 50, Wrap: func(step string, h lambda.Handler) lambda.Handler {
		if step == names.StepDetect {
			return brokenDetect{h}
		}
		return h
	}})
	_, x, err := broken.RunAlbum(ctx, domain.AlbumInput{AlbumID: "tol", Reprocess: true})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "States.ExceedToleratedFailureThreshold")
	assert.Equal(t, []string{"ListImages", "AnyWork?", "ProcessImages", "CollectFailures", "AnyFailed?", "ReportFailures", "AlbumFailed"}, x.Path())
	assert.Equal(t, before, vectorKeys(t, broken, "tol", "default-1"), "the album's faces are untouched")
	runs, err := broken.Store.MapRuns(ctx, x.ARN)
	require.NoError(t, err)
	for _, run := range runs {
		if run.State == names.StateReportFailures {
			items, err := broken.Store.ItemCounts(ctx, run)
			require.NoError(t, err)
			assert.Equal(t, 4, items.Failed+items.Pending+items.Running, "every photo failed")
			assert.EqualValues(t, 2, run.ToleratedFailureCount, "half of the four photos")
		}
	}
}
