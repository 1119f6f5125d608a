package sfnapi_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/steps"
)

// TestPipelineThroughTheAPI runs statemachine.asl.json on a small album
// the way a Step Functions client does: StartExecution, then
// DescribeExecution until it ends, then its Map Run.
func TestPipelineThroughTheAPI(t *testing.T) {
	src, err := locate.TestdataDir()
	require.NoError(t, err)
	var truth struct {
		Faces map[string]int `json:"faces"`
	}
	body, err := os.ReadFile(filepath.Join(src, "truth.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(body, &truth))
	photos := []string{"faces/Test1.jpg", "faces/Test3.jpg", "faces/view.jpg"}
	album := t.TempDir()
	wantFaces := 0
	for _, p := range photos {
		b, err := os.ReadFile(filepath.Join(src, p))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(album, filepath.Base(p)), b, 0o644))
		n, ok := truth.Faces[p]
		require.True(t, ok, p)
		wantFaces += n
	}

	// A file that is not a photo fails its child execution, within the
	// album's tolerance.
	require.NoError(t, os.WriteFile(filepath.Join(album, "broken.jpg"), []byte("not a photo"), 0o644))

	ctx := context.Background()
	opt := embedded.Options{DataDir: t.TempDir(), MaxConcurrency: 2, ToleratedFailurePercentage: 50}
	p, err := embedded.Open(ctx, opt)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	_, err = p.Import(ctx, "api-album", album)
	require.NoError(t, err)
	def, err := embedded.Definition(opt)
	require.NoError(t, err)

	srv := sfnapi.New(sfnapi.WithoutSigV4())
	require.NoError(t, srv.AddStateMachine(p.Machine, sfnapi.MachineOptions{Definition: def}))
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Shutdown(ctx, "test over")
		hs.Close()
	})
	client := newClient(hs.URL)

	input, err := json.Marshal(domain.AlbumInput{AlbumID: "api-album"})
	require.NoError(t, err)
	started, err := client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(p.Machine.ARN), Name: aws.String("api-album-1"), Input: aws.String(string(input)),
	})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:states:local:000000000000:execution:"+embedded.MachineName+":api-album-1", aws.ToString(started.ExecutionArn))

	var d *sfn.DescribeExecutionOutput
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
		require.NoError(t, err)
		if d.Status != types.ExecutionStatusRunning {
			break
		}
		require.True(t, time.Now().Before(deadline), "album still running")
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, types.ExecutionStatusSucceeded, d.Status, "%s: %s", aws.ToString(d.Error), aws.ToString(d.Cause))

	var out steps.AggregateOutput
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.Output)), &out))
	assert.Equal(t, len(photos)+1, out.Images)
	assert.Equal(t, len(photos)+1, out.Processed)
	assert.Equal(t, 1, out.Failed)
	assert.Equal(t, wantFaces, out.Faces)
	_, _, err = p.Bucket.Get(ctx, out.SummaryKey)
	assert.NoError(t, err, "the summary the output names exists")

	// Two Map Runs: the photos in batches, then one failing child per
	// failed photo (which ToleratedFailureCount guards).
	runs, err := client.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: started.ExecutionArn})
	require.NoError(t, err)
	require.Len(t, runs.MapRuns, 2)
	byState := map[string]*sfn.DescribeMapRunOutput{}
	for _, r := range runs.MapRuns {
		d, err := client.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: r.MapRunArn})
		require.NoError(t, err)
		for _, state := range []string{"ProcessImages", "ReportFailures"} {
			if strings.Contains(aws.ToString(r.MapRunArn), "/"+state+":") {
				byState[state] = d
			}
		}
	}
	require.Len(t, byState, 2, "one Map Run of each Map state")
	photosRun, failuresRun := byState["ProcessImages"], byState["ReportFailures"]
	assert.Equal(t, types.MapRunStatusSucceeded, photosRun.Status)
	// Every batch succeeded (the broken photo was caught in its own):
	// itemCounts count the photos, executionCounts the batches.
	assert.Equal(t, types.MapRunItemCounts{Succeeded: int64(len(photos)) + 1, Total: int64(len(photos)) + 1}, *photosRun.ItemCounts)
	perChild := names.PhotosPerChild(len(photos)+1, int(photosRun.MaxConcurrency))
	batches := int64((len(photos) + perChild) / perChild)
	require.Greater(t, perChild, 1, "the test's album is batched")
	assert.Equal(t, types.MapRunExecutionCounts{Succeeded: batches, Total: batches}, *photosRun.ExecutionCounts)
	// The deploy-time values of statemachine.asl.json, as the local pipeline fills them.
	assert.EqualValues(t, 50, photosRun.ToleratedFailurePercentage)
	assert.Positive(t, photosRun.MaxConcurrency)
	assert.Equal(t, types.MapRunStatusSucceeded, failuresRun.Status, "within the tolerance")
	assert.Equal(t, types.MapRunItemCounts{Failed: 1, Total: 1}, *failuresRun.ItemCounts, "DescribeMapRun counts the failed photo as failed")
	assert.EqualValues(t, (len(photos)+1)/2, failuresRun.ToleratedFailureCount, "half the photos to process, as ListImages computed it")

	// The failed photo is where an operator looks for it, with its reason.
	failed, err := client.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: failuresRun.MapRunArn, StatusFilter: types.ExecutionStatusFailed})
	require.NoError(t, err)
	require.Len(t, failed.Executions, 1)
	child, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: failed.Executions[0].ExecutionArn})
	require.NoError(t, err)
	assert.Equal(t, domain.ErrImageUnreadable, aws.ToString(child.Error))
	assert.Contains(t, aws.ToString(child.Input), "broken.jpg")
	assert.NotEmpty(t, aws.ToString(child.Cause))

	// An album id that holds nothing, or nothing but a sidecar, fails clearly.
	_, err = p.Bucket.Put(ctx, names.AlbumPrefix("notes-only")+"readme.txt", []byte("no photos here"))
	require.NoError(t, err)
	for album, want := range map[string]string{"no-such-album": domain.ErrAlbumNotFound, "notes-only": domain.ErrAlbumEmpty} {
		input, err := json.Marshal(domain.AlbumInput{AlbumID: album})
		require.NoError(t, err)
		started, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(p.Machine.ARN), Input: aws.String(string(input))})
		require.NoError(t, err)
		d := waitStatus(t, client, *started.ExecutionArn)
		assert.Equal(t, types.ExecutionStatusFailed, d.Status, album)
		assert.Equal(t, want, aws.ToString(d.Error), album)
		assert.Contains(t, aws.ToString(d.Cause), album)
	}
}
