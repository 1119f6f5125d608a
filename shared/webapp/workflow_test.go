package webapp_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
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
