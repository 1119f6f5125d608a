package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
)

func TestAggregateMetrics(t *testing.T) {
	var buf bytes.Buffer
	result := steps.AggregateOutput{SummaryKey: "state/a/default-1/summary.json", Images: 10, Processed: 8, Skipped: 2, Failed: 1, Faces: 31}
	h := Wrap(names.StepAggregate, "DivinePic/Test", lambda.NewHandler(func(context.Context, json.RawMessage) (steps.AggregateOutput, error) {
		return result, nil
	}), &buf)
	h.(*emitting).now = func() time.Time { return time.UnixMilli(1700000000000) }
	out, err := h.Invoke(context.Background(), []byte(`{}`))
	require.NoError(t, err)
	want, err := json.Marshal(result)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(out), "the handler's result is untouched")
	assert.JSONEq(t, `{
		"_aws": {"Timestamp": 1700000000000, "CloudWatchMetrics": [{"Namespace": "DivinePic/Test", "Dimensions": [[]],
			"Metrics": [{"Name":"AlbumsIndexed","Unit":"Count"},{"Name":"Faces","Unit":"Count"},{"Name":"PhotosFailed","Unit":"Count"},
				{"Name":"PhotosProcessed","Unit":"Count"},{"Name":"PhotosSkipped","Unit":"Count"}]}]},
		"AlbumsIndexed": 1, "Faces": 31, "PhotosFailed": 1, "PhotosProcessed": 8, "PhotosSkipped": 2,
		"summaryKey": "state/a/default-1/summary.json", "images": 10, "step": "aggregate"}`, buf.String())
}

func TestNightlyOutcome(t *testing.T) {
	var buf bytes.Buffer
	h := Wrap(names.StepReprocess, "DivinePic/Test", lambda.NewHandler(func(context.Context, json.RawMessage) (steps.ReprocessOutput, error) {
		return steps.ReprocessOutput{Albums: 4, UpToDate: 1,
			Started: []steps.AlbumWork{{AlbumID: "a"}, {AlbumID: "b"}},
			Errors:  []steps.AlbumWork{{AlbumID: "c", Error: "throttled"}}}, nil
	}), &buf)
	_, err := h.Invoke(context.Background(), []byte(`{}`))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &doc))
	assert.Equal(t, "nightly job: 4 albums, 2 started, 1 up to date, 0 already started today, 1 could not be started", doc["message"])
	assert.Equal(t, float64(2), doc[NightlyAlbumsStarted])
	assert.Equal(t, float64(1), doc[NightlyAlbumsFailed])
	assert.Equal(t, []any{"c: throttled"}, doc["albumsFailed"])
}

func TestNoMetricsWithoutNamespaceOrOnError(t *testing.T) {
	var buf bytes.Buffer
	inner := lambda.NewHandler(func(context.Context, json.RawMessage) (steps.AggregateOutput, error) {
		return steps.AggregateOutput{}, errors.New("boom")
	})
	assert.Same(t, inner, Wrap(names.StepAggregate, "", inner, &buf), "no namespace: the handler itself")
	assert.Same(t, inner, Wrap(names.StepDetect, "ns", inner, &buf), "detect emits nothing")
	_, err := Wrap(names.StepAggregate, "ns", inner, &buf).Invoke(context.Background(), []byte(`{}`))
	require.Error(t, err)
	assert.Empty(t, buf.String(), "a failed invocation writes no metrics")
}
