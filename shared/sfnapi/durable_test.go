package sfnapi_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
)

// photosDef is an album-like workflow: a Distributed Map over $.photos,
// then a Pass. A photo named "hold" blocks while the test holds it.
const photosDef = `{
  "StartAt": "Prepare",
  "States": {
    "Prepare": {"Type": "Pass", "Next": "Photos"},
    "Photos": {
      "Type": "Map", "ItemsPath": "$.photos", "MaxConcurrency": 2, "ResultPath": "$.results",
      "ItemSelector": {"name.$": "$$.Map.Item.Value"},
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Photo",
        "States": {"Photo": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:photo", "End": true}}
      },
      "Next": "Done"
    },
    "Done": {"Type": "Pass", "Parameters": {"photos.$": "States.ArrayLength($.results)"}, "End": true}
  }
}`

// durableServe is one life of a `serve` process over a store file: an
// engine whose photo handler counts its calls and blocks on "hold" while
// hold is open.
type durableServe struct {
	srv    *sfnapi.Server
	store  *execstore.Store
	client *sfn.Client
	arn    string
	calls  atomic.Int64
	hs     *httptest.Server
}

func startDurable(t testing.TB, path string, hold <-chan struct{}) *durableServe {
	t.Helper()
	d := &durableServe{}
	e := states.New()
	e.RegisterFunc("photo", func(ctx context.Context, in greetIn) (greetOut, error) {
		d.calls.Add(1)
		if in.Name == "hold" && hold != nil {
			select {
			case <-hold:
			case <-ctx.Done():
				return greetOut{}, ctx.Err()
			}
		}
		return greetOut{Greeting: "done " + in.Name}, nil
	})
	sm, err := e.Parse("photos", []byte(photosDef))
	require.NoError(t, err)
	d.store, err = execstore.Open(path)
	require.NoError(t, err)
	d.srv = sfnapi.New(sfnapi.WithoutSigV4(), sfnapi.WithStore(d.store))
	require.NoError(t, d.srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: []byte(photosDef)}))
	d.arn = sm.ARN
	d.hs = httptest.NewServer(d.srv)
	d.client = newClient(d.hs.URL)
	return d
}

// stop shuts the server down as Ctrl-C does.
func (d *durableServe) stop(t testing.TB) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, d.srv.Shutdown(ctx, "stopped"))
	d.hs.Close()
	require.NoError(t, d.store.Close())
}

// kill ends the process abruptly: nothing more reaches the store.
func (d *durableServe) kill() {
	d.hs.Close()
	d.store.Close()
}

func waitStatus(t *testing.T, c *sfn.Client, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := c.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		require.NoError(t, err)
		if d.Status != types.ExecutionStatusRunning {
			return d
		}
		require.True(t, time.Now().Before(deadline), "execution still running")
		time.Sleep(10 * time.Millisecond)
	}
}

// A restarted server lists the executions of the one before, with their
// histories and Map Runs, and their names stay taken.
func TestExecutionsSurviveARestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), execstore.FileName)
	first := startDurable(t, path, nil)
	out, err := first.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(first.arn), Name: aws.String("album-20261201"),
		Input: aws.String(`{"photos": ["a", "b", "c"]}`)})
	require.NoError(t, err)
	require.Equal(t, types.ExecutionStatusSucceeded, waitStatus(t, first.client, *out.ExecutionArn).Status)
	before, err := first.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn})
	require.NoError(t, err)
	first.stop(t)

	second := startDurable(t, path, nil)
	defer second.stop(t)
	list, err := second.client.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(second.arn)})
	require.NoError(t, err)
	require.Len(t, list.Executions, 1)
	assert.Equal(t, "album-20261201", aws.ToString(list.Executions[0].Name))
	assert.Equal(t, types.ExecutionStatusSucceeded, list.Executions[0].Status)
	after, err := second.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn})
	require.NoError(t, err)
	require.Equal(t, len(before.Events), len(after.Events))
	for i := range before.Events {
		assert.Equal(t, before.Events[i].Type, after.Events[i].Type)
		assert.Equal(t, before.Events[i].Id, after.Events[i].Id)
	}
	runs, err := second.client.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: out.ExecutionArn})
	require.NoError(t, err)
	require.Len(t, runs.MapRuns, 1)
	run, err := second.client.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	require.NoError(t, err)
	assert.Equal(t, types.MapRunStatusSucceeded, run.Status)
	assert.Equal(t, int64(3), run.ItemCounts.Succeeded)

	// The nightly job's name cannot start the album twice, restart or not.
	_, err = second.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(second.arn), Name: aws.String("album-20261201"),
		Input: aws.String(`{"photos": ["a", "b", "c"]}`)})
	var exists *types.ExecutionAlreadyExists
	require.True(t, errors.As(err, &exists), "%v", err)
	assert.Zero(t, second.calls.Load(), "nothing ran again")
}

// A server killed while an album runs leaves the execution FAILED with a
// cause that says so; RedriveExecution on the next server completes it,
// running again only the photo that had not finished.
func TestKilledServeLeavesARedrivableExecution(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), execstore.FileName)
	hold := make(chan struct{})
	defer close(hold)
	first := startDurable(t, path, hold)
	photos := `{"photos": ["a", "b", "hold", "c", "d", "e"]}`
	out, err := first.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(first.arn), Name: aws.String("album-1"), Input: aws.String(photos)})
	require.NoError(t, err)
	// Wait until every photo but the held one is done and stored.
	require.Eventually(t, func() bool {
		if first.calls.Load() < 6 {
			return false
		}
		first.store.Flush()
		recs, _, err := first.store.List(ctx, execstore.Query{MapRun: mapRunOf(t, first.store, *out.ExecutionArn), Status: "SUCCEEDED", Limit: 10})
		return err == nil && len(recs) == 5
	}, 20*time.Second, 10*time.Millisecond)
	first.kill()

	second := startDurable(t, path, nil)
	defer second.stop(t)
	d := waitStatus(t, second.client, *out.ExecutionArn)
	require.Equal(t, types.ExecutionStatusFailed, d.Status)
	assert.Equal(t, execstore.ErrInterrupted, aws.ToString(d.Error))
	assert.Contains(t, aws.ToString(d.Cause), "ended before it finished")
	assert.Equal(t, types.ExecutionRedriveStatusRedrivable, d.RedriveStatus)
	assert.EqualValues(t, 0, aws.ToInt32(d.RedriveCount))

	rd, err := second.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: out.ExecutionArn})
	require.NoError(t, err)
	require.NotNil(t, rd.RedriveDate)
	d = waitStatus(t, second.client, *out.ExecutionArn)
	require.Equal(t, types.ExecutionStatusSucceeded, d.Status, "%s: %s", aws.ToString(d.Error), aws.ToString(d.Cause))
	assert.JSONEq(t, `{"photos": 6}`, aws.ToString(d.Output))
	assert.EqualValues(t, 1, aws.ToInt32(d.RedriveCount))
	assert.NotNil(t, d.RedriveDate)
	assert.Equal(t, int64(1), second.calls.Load(), "only the photo that had not finished ran again")

	runs, err := second.client.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: out.ExecutionArn})
	require.NoError(t, err)
	require.Len(t, runs.MapRuns, 1, "the Map Run is redriven, not started anew")
	run, err := second.client.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
	require.NoError(t, err)
	assert.Equal(t, types.MapRunStatusSucceeded, run.Status)
	assert.Equal(t, int64(6), run.ItemCounts.Succeeded)
	assert.EqualValues(t, 1, aws.ToInt32(run.RedriveCount))
	h, err := second.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 1000})
	require.NoError(t, err)
	var typesSeen []types.HistoryEventType
	for i, ev := range h.Events {
		assert.Equal(t, int64(i+1), ev.Id, "one history, numbered on")
		typesSeen = append(typesSeen, ev.Type)
	}
	assert.Contains(t, typesSeen, types.HistoryEventTypeExecutionFailed)
	assert.Contains(t, typesSeen, types.HistoryEventTypeExecutionRedriven)
	assert.Contains(t, typesSeen, types.HistoryEventTypeMapRunRedriven)
	assert.Equal(t, types.HistoryEventTypeExecutionSucceeded, typesSeen[len(typesSeen)-1])

	// A succeeded execution is not redriven again.
	_, err = second.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: out.ExecutionArn})
	var notRedrivable *types.ExecutionNotRedrivable
	assert.True(t, errors.As(err, &notRedrivable), "%v", err)
}

func mapRunOf(t *testing.T, st *execstore.Store, execARN string) string {
	runs, err := st.MapRuns(context.Background(), execARN)
	require.NoError(t, err)
	if len(runs) == 0 {
		return "none"
	}
	return runs[0].ARN
}
