package webapp_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/webapp"
)

// forgetful is a Step Functions client that knows no execution (a local
// server after a restart) and whose names are all taken.
type forgetful struct{ webapp.SFNAPI }

func (forgetful) DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return nil, &types.ExecutionDoesNotExist{Message: aws.String("Execution Does Not Exist")}
}

func (forgetful) StartExecution(context.Context, *sfn.StartExecutionInput, ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error) {
	return nil, &types.ExecutionAlreadyExists{Message: aws.String("Execution Already Exists")}
}

func TestStepFunctionsWorkflowEdges(t *testing.T) {
	w := &webapp.StepFunctions{Client: forgetful{}, StateMachineARN: "arn:aws:states:local:000000000000:stateMachine:divinepic-album"}
	p, err := w.Progress(context.Background(), "arn:aws:states:local:000000000000:execution:divinepic-album:gone")
	require.NoError(t, err)
	assert.Equal(t, webapp.StatusNone, p.Status, "a forgotten execution is no progress, not an error")
	arn, err := w.Start(context.Background(), "a-b-123", domain.AlbumInput{AlbumID: "a"})
	require.NoError(t, err, "a name that exists is that execution")
	assert.Equal(t, "arn:aws:states:local:000000000000:execution:divinepic-album:a-b-123", arn)
}

// mapRuns is a Step Functions client with one finished execution and the
// given Map Runs (by label).
type mapRuns struct {
	webapp.SFNAPI
	runs map[string]types.MapRunItemCounts
}

func (mapRuns) DescribeExecution(context.Context, *sfn.DescribeExecutionInput, ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error) {
	return &sfn.DescribeExecutionOutput{Status: types.ExecutionStatusSucceeded}, nil
}

func (m mapRuns) ListMapRuns(context.Context, *sfn.ListMapRunsInput, ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error) {
	out := &sfn.ListMapRunsOutput{}
	for label := range m.runs {
		out.MapRuns = append(out.MapRuns, types.MapRunListItem{MapRunArn: aws.String("arn:aws:states:local:000000000000:mapRun:divinepic-album/" + label + ":1")})
	}
	return out, nil
}

func (m mapRuns) DescribeMapRun(_ context.Context, in *sfn.DescribeMapRunInput, _ ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error) {
	for label, c := range m.runs {
		if strings.Contains(aws.ToString(in.MapRunArn), "/"+label+":") {
			return &sfn.DescribeMapRunOutput{ItemCounts: &c}, nil
		}
	}
	return nil, errors.New("no such Map Run")
}

// The album's progress counts photos: ProcessImages' items, less those
// ReportFailures failed that their batch had counted done; a batch that
// failed as a whole is not counted twice.
func TestProgressCountsEachFailedPhotoOnce(t *testing.T) {
	for name, c := range map[string]struct {
		process, report   types.MapRunItemCounts
		succeeded, failed int64
	}{
		"one photo caught in its batch": {types.MapRunItemCounts{Succeeded: 4, Total: 4}, types.MapRunItemCounts{Failed: 1, Total: 1}, 3, 1},
		"a batch of two failed whole":   {types.MapRunItemCounts{Succeeded: 2, Failed: 2, Total: 4}, types.MapRunItemCounts{Failed: 2, Total: 2}, 2, 2},
		"both":                          {types.MapRunItemCounts{Succeeded: 2, Failed: 2, Total: 4}, types.MapRunItemCounts{Failed: 3, Total: 3}, 1, 3},
		"none failed":                   {types.MapRunItemCounts{Succeeded: 4, Total: 4}, types.MapRunItemCounts{}, 4, 0},
	} {
		runs := map[string]types.MapRunItemCounts{names.StateProcessImages: c.process}
		if c.report.Total > 0 {
			runs[names.StateReportFailures] = c.report
		}
		w := &webapp.StepFunctions{Client: mapRuns{runs: runs}}
		p, err := w.Progress(context.Background(), "arn:aws:states:local:000000000000:execution:divinepic-album:x")
		require.NoError(t, err, name)
		assert.Equal(t, int64(4), p.Total, name)
		assert.Equal(t, c.succeeded, p.Succeeded, name)
		assert.Equal(t, c.failed, p.Failed, name)
	}
}
