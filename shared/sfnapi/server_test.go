package sfnapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
)

var bg = context.Background()

func TestStartAndDescribe(t *testing.T) {
	f := newFixture(t)
	before := time.Now().Add(-time.Second)
	tests := []struct {
		name, input string
		status      types.ExecutionStatus
		output      string
		errName     string
		cause       string
	}{
		{"ok", `{"name": "Ada"}`, types.ExecutionStatusSucceeded, `{"message":"hello Ada"}`, "", ""},
		{"handler-error", `{"name": "fail"}`, types.ExecutionStatusFailed, "", "BadName", "cannot greet fail"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			started := f.start(t, f.greet, tc.name, tc.input)
			assert.Equal(t, "arn:aws:states:local:000000000000:execution:greet:"+tc.name, aws.ToString(started.ExecutionArn))
			require.NotNil(t, started.StartDate)
			assert.True(t, started.StartDate.After(before), "startDate %v decoded from epoch seconds", started.StartDate)

			d := f.waitEnd(t, *started.ExecutionArn)
			assert.Equal(t, tc.status, d.Status)
			assert.Equal(t, tc.name, aws.ToString(d.Name))
			assert.Equal(t, f.greet, aws.ToString(d.StateMachineArn))
			assert.Equal(t, tc.input, aws.ToString(d.Input), "the input as given")
			assert.WithinDuration(t, *started.StartDate, *d.StartDate, time.Millisecond)
			require.NotNil(t, d.StopDate)
			assert.False(t, d.StopDate.Before(*d.StartDate))
			if tc.output != "" {
				assert.JSONEq(t, tc.output, aws.ToString(d.Output))
			} else {
				assert.Nil(t, d.Output)
			}
			assert.Equal(t, tc.errName, aws.ToString(d.Error))
			assert.Contains(t, aws.ToString(d.Cause), tc.cause)
		})
	}

	t.Run("no name: a UUID", func(t *testing.T) {
		out := f.start(t, f.greet, "", `{"name": "Bo"}`)
		d := f.waitEnd(t, *out.ExecutionArn)
		assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, aws.ToString(d.Name))
		assert.True(t, strings.HasSuffix(*out.ExecutionArn, ":"+aws.ToString(d.Name)))
	})
	t.Run("no input: {}", func(t *testing.T) {
		out, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.greet)})
		require.NoError(t, err)
		d := f.waitEnd(t, *out.ExecutionArn)
		assert.Equal(t, "{}", aws.ToString(d.Input))
		assert.JSONEq(t, `{"message":"hello "}`, aws.ToString(d.Output))
	})
}

func TestExecutionNames(t *testing.T) {
	f := newFixture(t)
	held := `{"name": "Cy", "hold": true}`
	first := f.start(t, f.greet, "album-1", held)

	t.Run("same name and input while running: the same execution", func(t *testing.T) {
		again := f.start(t, f.greet, "album-1", held)
		assert.Equal(t, *first.ExecutionArn, *again.ExecutionArn)
		assert.WithinDuration(t, *first.StartDate, *again.StartDate, time.Millisecond)
	})
	t.Run("same name, other input: ExecutionAlreadyExists", func(t *testing.T) {
		_, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.greet), Name: aws.String("album-1"), Input: aws.String(`{"name": "Di", "hold": true}`)})
		var exists *types.ExecutionAlreadyExists
		require.ErrorAs(t, err, &exists)
		assert.Contains(t, exists.ErrorMessage(), *first.ExecutionArn)
	})
	t.Run("same name and input once closed: ExecutionAlreadyExists", func(t *testing.T) {
		f.releaseAll()
		f.waitEnd(t, *first.ExecutionArn)
		_, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.greet), Name: aws.String("album-1"), Input: aws.String(held)})
		var exists *types.ExecutionAlreadyExists
		require.ErrorAs(t, err, &exists)
	})
	t.Run("names are per state machine", func(t *testing.T) {
		out := f.start(t, f.fanOut, "album-1", `{"names": []}`)
		assert.Equal(t, types.ExecutionStatusSucceeded, f.waitEnd(t, *out.ExecutionArn).Status)
	})

	for _, name := range []string{"", "a b", "a/b", "a:b", "x{y}", "tab\tname", "ctl\x7f", strings.Repeat("n", 81)} {
		t.Run("invalid name "+strconvQuote(name), func(t *testing.T) {
			_, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.greet), Name: aws.String(name)})
			var invalid *types.InvalidName
			require.ErrorAs(t, err, &invalid)
		})
	}
	t.Run("80 characters and unicode are valid", func(t *testing.T) {
		f.start(t, f.greet, strings.Repeat("é", 80), `{}`)
	})
}

func strconvQuote(s string) string {
	b, _ := json.Marshal(s)
	if len(b) > 20 {
		return string(b[:20]) + "…"
	}
	return string(b)
}

func TestStopExecution(t *testing.T) {
	f := newFixture(t)
	out := f.start(t, f.greet, "to-stop", `{"name": "Ed", "hold": true}`)
	f.waitState(t, *out.ExecutionArn, "Hold")

	stopped, err := f.client.StopExecution(bg, &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn, Error: aws.String("UserStop"), Cause: aws.String("changed my mind")})
	require.NoError(t, err)
	require.NotNil(t, stopped.StopDate)

	d := f.waitEnd(t, *out.ExecutionArn)
	assert.Equal(t, types.ExecutionStatusAborted, d.Status)
	assert.Equal(t, "UserStop", aws.ToString(d.Error))
	assert.Equal(t, "changed my mind", aws.ToString(d.Cause))
	assert.WithinDuration(t, *stopped.StopDate, *d.StopDate, time.Millisecond)

	h, err := f.client.GetExecutionHistory(bg, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, ReverseOrder: true, MaxResults: 1})
	require.NoError(t, err)
	require.Len(t, h.Events, 1)
	assert.Equal(t, types.HistoryEventTypeExecutionAborted, h.Events[0].Type)
	assert.Equal(t, "changed my mind", aws.ToString(h.Events[0].ExecutionAbortedEventDetails.Cause))

	t.Run("stopping a closed execution changes nothing", func(t *testing.T) {
		again, err := f.client.StopExecution(bg, &sfn.StopExecutionInput{ExecutionArn: out.ExecutionArn})
		require.NoError(t, err)
		assert.WithinDuration(t, *d.StopDate, *again.StopDate, time.Millisecond)
		assert.Equal(t, types.ExecutionStatusAborted, f.waitEnd(t, *out.ExecutionArn).Status)
	})
}

func TestExecutionHistory(t *testing.T) {
	f := newFixture(t)
	out := f.start(t, f.greet, "history", `{"name": "Flo"}`)
	f.waitEnd(t, *out.ExecutionArn)
	want := f.srv.Execution(*out.ExecutionArn).History()
	require.Greater(t, len(want), 7, "enough events to page through")

	pages := func(t *testing.T, in *sfn.GetExecutionHistoryInput) ([]types.HistoryEvent, int) {
		var got []types.HistoryEvent
		n := 0
		p := sfn.NewGetExecutionHistoryPaginator(f.client, in)
		for p.HasMorePages() {
			page, err := p.NextPage(bg)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(page.Events), int(in.MaxResults))
			got = append(got, page.Events...)
			n++
		}
		return got, n
	}

	t.Run("forward, three at a time", func(t *testing.T) {
		got, n := pages(t, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 3})
		sameEvents(t, want, got)
		assert.Equal(t, (len(want)+2)/3, n)
	})
	t.Run("reverse, four at a time", func(t *testing.T) {
		got, _ := pages(t, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 4, ReverseOrder: true})
		rev := make([]types.HistoryEvent, len(want))
		for i := range want {
			rev[len(want)-1-i] = want[i]
		}
		sameEvents(t, rev, got)
	})
	t.Run("without execution data", func(t *testing.T) {
		got, _ := pages(t, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 100, IncludeExecutionData: aws.Bool(false)})
		require.Len(t, got, len(want))
		var entered int
		for _, ev := range got {
			if d := ev.StateEnteredEventDetails; d != nil {
				entered++
				assert.NotEmpty(t, aws.ToString(d.Name))
				assert.Nil(t, d.Input)
			}
			if d := ev.ExecutionSucceededEventDetails; d != nil {
				assert.Nil(t, d.Output)
			}
		}
		assert.Equal(t, 3, entered, "Hold?, Greet, Shape")
	})
	t.Run("a token of another query is refused", func(t *testing.T) {
		first, err := f.client.GetExecutionHistory(bg, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 2})
		require.NoError(t, err)
		require.NotNil(t, first.NextToken)
		_, err = f.client.GetExecutionHistory(bg, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 2, ReverseOrder: true, NextToken: first.NextToken})
		var invalid *types.InvalidToken
		require.ErrorAs(t, err, &invalid)
	})
}

// sameEvents compares events as the wire carries them: times to the
// millisecond.
func sameEvents(t *testing.T, want, got []types.HistoryEvent) {
	t.Helper()
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		assert.WithinDuration(t, *w.Timestamp, *g.Timestamp, time.Millisecond, "event %d", w.Id)
		w.Timestamp, g.Timestamp = nil, nil
		assert.Equal(t, w, g, "event %d", w.Id)
	}
}

func TestListExecutions(t *testing.T) {
	f := newFixture(t)
	var succeeded, failed []string
	for i, name := range []string{"a", "fail", "b", "fail", "c"} {
		out := f.start(t, f.greet, name+"-"+string(rune('0'+i)), `{"name": "`+name+`"}`)
		d := f.waitEnd(t, *out.ExecutionArn)
		if d.Status == types.ExecutionStatusSucceeded {
			succeeded = append([]string{*out.ExecutionArn}, succeeded...) // newest first
		} else {
			failed = append([]string{*out.ExecutionArn}, failed...)
		}
	}
	running := f.start(t, f.greet, "held", `{"hold": true}`)

	list := func(t *testing.T, filter types.ExecutionStatus, pageSize int32) []string {
		var arns []string
		p := sfn.NewListExecutionsPaginator(f.client, &sfn.ListExecutionsInput{StateMachineArn: aws.String(f.greet), StatusFilter: filter, MaxResults: pageSize})
		for p.HasMorePages() {
			page, err := p.NextPage(bg)
			require.NoError(t, err)
			for _, e := range page.Executions {
				if filter != "" {
					assert.Equal(t, filter, e.Status)
				}
				assert.Equal(t, f.greet, aws.ToString(e.StateMachineArn))
				arns = append(arns, aws.ToString(e.ExecutionArn))
			}
		}
		return arns
	}
	tests := []struct {
		filter types.ExecutionStatus
		want   []string
	}{
		{types.ExecutionStatusSucceeded, succeeded},
		{types.ExecutionStatusFailed, failed},
		{types.ExecutionStatusRunning, []string{*running.ExecutionArn}},
		{types.ExecutionStatusAborted, nil},
		{"", append(append([]string{*running.ExecutionArn}, succeeded[0], failed[0]), succeeded[1], failed[1], succeeded[2])},
	}
	for _, tc := range tests {
		t.Run("filter "+string(tc.filter), func(t *testing.T) {
			assert.Equal(t, tc.want, list(t, tc.filter, 2))
		})
	}
	t.Run("pages stay put when executions start between them", func(t *testing.T) {
		first, err := f.client.ListExecutions(bg, &sfn.ListExecutionsInput{StateMachineArn: aws.String(f.greet), MaxResults: 2, StatusFilter: types.ExecutionStatusSucceeded})
		require.NoError(t, err)
		newer := f.start(t, f.greet, "newer", `{"name": "z"}`)
		f.waitEnd(t, *newer.ExecutionArn)
		second, err := f.client.ListExecutions(bg, &sfn.ListExecutionsInput{StateMachineArn: aws.String(f.greet), MaxResults: 2, StatusFilter: types.ExecutionStatusSucceeded, NextToken: first.NextToken})
		require.NoError(t, err)
		require.Len(t, second.Executions, 1)
		assert.Equal(t, succeeded[2], aws.ToString(second.Executions[0].ExecutionArn))
		assert.Nil(t, second.NextToken)
	})
	t.Run("unknown status filter", func(t *testing.T) {
		_, err := f.client.ListExecutions(bg, &sfn.ListExecutionsInput{StateMachineArn: aws.String(f.greet), StatusFilter: "DONE"})
		var invalid *types.ValidationException
		require.ErrorAs(t, err, &invalid)
	})
}

func TestErrors(t *testing.T) {
	f := newFixture(t)
	missing := "arn:aws:states:local:000000000000:execution:greet:nope"
	tests := []struct {
		name string
		call func() error
		want any // pointer to the SDK error type
	}{
		{"describe unknown execution", func() error {
			_, err := f.client.DescribeExecution(bg, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(missing)})
			return err
		}, new(*types.ExecutionDoesNotExist)},
		{"stop unknown execution", func() error {
			_, err := f.client.StopExecution(bg, &sfn.StopExecutionInput{ExecutionArn: aws.String(missing)})
			return err
		}, new(*types.ExecutionDoesNotExist)},
		{"history of unknown execution", func() error {
			_, err := f.client.GetExecutionHistory(bg, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(missing)})
			return err
		}, new(*types.ExecutionDoesNotExist)},
		{"malformed ARN", func() error {
			_, err := f.client.DescribeExecution(bg, &sfn.DescribeExecutionInput{ExecutionArn: aws.String("greet:nope")})
			return err
		}, new(*types.InvalidArn)},
		{"state machine ARN where an execution ARN belongs", func() error {
			_, err := f.client.DescribeExecution(bg, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(f.greet)})
			return err
		}, new(*types.InvalidArn)},
		{"start unknown state machine", func() error {
			_, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String("arn:aws:states:local:000000000000:stateMachine:nope")})
			return err
		}, new(*types.StateMachineDoesNotExist)},
		{"describe unknown state machine", func() error {
			_, err := f.client.DescribeStateMachine(bg, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String("arn:aws:states:local:000000000000:stateMachine:nope")})
			return err
		}, new(*types.StateMachineDoesNotExist)},
		{"input not JSON", func() error {
			_, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.greet), Input: aws.String("{name")})
			return err
		}, new(*types.InvalidExecutionInput)},
		{"input over 256 KiB", func() error {
			_, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.greet), Input: aws.String(`"` + strings.Repeat("x", states.MaxPayloadBytes) + `"`)})
			return err
		}, new(*types.InvalidExecutionInput)},
		{"bad token", func() error {
			_, err := f.client.ListExecutions(bg, &sfn.ListExecutionsInput{StateMachineArn: aws.String(f.greet), NextToken: aws.String("garbage")})
			return err
		}, new(*types.InvalidToken)},
		{"maxResults over 1000", func() error {
			_, err := f.client.ListExecutions(bg, &sfn.ListExecutionsInput{StateMachineArn: aws.String(f.greet), MaxResults: 1001})
			return err
		}, new(*types.ValidationException)},
		{"unknown map run", func() error {
			_, err := f.client.DescribeMapRun(bg, &sfn.DescribeMapRunInput{MapRunArn: aws.String("arn:aws:states:local:000000000000:mapRun:fan-out/Each:nope")})
			return err
		}, new(*types.ResourceNotFound)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Error(t, err)
			assert.ErrorAs(t, err, tc.want)
			var api smithy.APIError
			require.ErrorAs(t, err, &api)
			assert.NotEmpty(t, api.ErrorMessage())
		})
	}

	t.Run("unknown operation", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader("{}"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.CreateActivity")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
		assert.Equal(t, "application/x-amz-json-1.0", resp.Header.Get("Content-Type"))
		body, _ := io.ReadAll(resp.Body)
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		require.NoError(t, json.Unmarshal(body, &e))
		assert.Equal(t, "UnknownOperationException", e.Type)
		assert.Contains(t, e.Message, "CreateActivity")

		_, err = f.client.CreateActivity(bg, &sfn.CreateActivityInput{Name: aws.String("x")})
		var api smithy.APIError
		require.ErrorAs(t, err, &api)
		assert.Equal(t, "UnknownOperationException", api.ErrorCode())
	})
	t.Run("malformed body", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader("{"))
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.DescribeExecution")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	})
}

func TestStateMachines(t *testing.T) {
	f := newFixture(t)
	d, err := f.client.DescribeStateMachine(bg, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(f.greet)})
	require.NoError(t, err)
	assert.Equal(t, greetDef, aws.ToString(d.Definition))
	assert.Equal(t, "greet", aws.ToString(d.Name))
	assert.Equal(t, types.StateMachineTypeStandard, d.Type)
	assert.Equal(t, types.StateMachineStatusActive, d.Status)
	assert.Equal(t, "greets a name", aws.ToString(d.Description))
	assert.Equal(t, "arn:aws:iam::000000000000:role/StepFunctions-greet", aws.ToString(d.RoleArn))
	assert.WithinDuration(t, time.Now(), *d.CreationDate, time.Minute)

	out := f.start(t, f.greet, "x", `{}`)
	fe, err := f.client.DescribeStateMachineForExecution(bg, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: out.ExecutionArn})
	require.NoError(t, err)
	assert.Equal(t, f.greet, aws.ToString(fe.StateMachineArn))
	assert.Equal(t, greetDef, aws.ToString(fe.Definition))

	var arns []string
	p := sfn.NewListStateMachinesPaginator(f.client, &sfn.ListStateMachinesInput{MaxResults: 1})
	for p.HasMorePages() {
		page, err := p.NextPage(bg)
		require.NoError(t, err)
		require.Len(t, page.StateMachines, 1)
		arns = append(arns, aws.ToString(page.StateMachines[0].StateMachineArn))
	}
	assert.ElementsMatch(t, []string{f.greet, f.fanOut}, arns)

	t.Run("AddStateMachine refuses a duplicate and a missing definition", func(t *testing.T) {
		sm, err := states.New().Parse("greet", []byte(`{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}`))
		require.NoError(t, err)
		assert.Error(t, f.srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: []byte("{}")}))
		s := sfnapi.New(sfnapi.WithoutSigV4())
		assert.Error(t, s.AddStateMachine(sm, sfnapi.MachineOptions{}))
		assert.Error(t, s.AddStateMachine(sm, sfnapi.MachineOptions{Definition: []byte("{}"), Type: "BATCH"}))
	})
}

func TestMapRuns(t *testing.T) {
	f := newFixture(t)
	out := f.start(t, f.fanOut, "fan", `{"names": ["a", "fail", "b"]}`)
	d := f.waitEnd(t, *out.ExecutionArn)
	require.Equal(t, types.ExecutionStatusSucceeded, d.Status, aws.ToString(d.Cause))

	runs, err := f.client.ListMapRuns(bg, &sfn.ListMapRunsInput{ExecutionArn: out.ExecutionArn})
	require.NoError(t, err)
	require.Len(t, runs.MapRuns, 1)
	run := runs.MapRuns[0]
	assert.Equal(t, *out.ExecutionArn, aws.ToString(run.ExecutionArn))
	assert.Equal(t, "arn:aws:states:local:000000000000:stateMachine:fan-out/Each", aws.ToString(run.StateMachineArn))
	assert.True(t, strings.HasPrefix(aws.ToString(run.MapRunArn), "arn:aws:states:local:000000000000:mapRun:fan-out/Each:"))
	require.NotNil(t, run.StopDate)

	dm, err := f.client.DescribeMapRun(bg, &sfn.DescribeMapRunInput{MapRunArn: run.MapRunArn})
	require.NoError(t, err)
	assert.Equal(t, types.MapRunStatusSucceeded, dm.Status)
	assert.Equal(t, *out.ExecutionArn, aws.ToString(dm.ExecutionArn))
	assert.Equal(t, types.MapRunItemCounts{Succeeded: 2, Failed: 1, Total: 3}, *dm.ItemCounts)
	assert.Equal(t, types.MapRunExecutionCounts{Succeeded: 2, Failed: 1, Total: 3}, *dm.ExecutionCounts)
	assert.False(t, dm.StopDate.Before(*dm.StartDate))

	children, err := f.client.ListExecutions(bg, &sfn.ListExecutionsInput{MapRunArn: run.MapRunArn})
	require.NoError(t, err)
	require.Len(t, children.Executions, 3)
	statuses := map[types.ExecutionStatus]int{}
	for _, c := range children.Executions {
		statuses[c.Status]++
		assert.Equal(t, aws.ToString(run.MapRunArn), aws.ToString(c.MapRunArn))
	}
	assert.Equal(t, map[types.ExecutionStatus]int{types.ExecutionStatusSucceeded: 2, types.ExecutionStatusFailed: 1}, statuses)

	t.Run("the history carries the Map Run events", func(t *testing.T) {
		h, err := f.client.GetExecutionHistory(bg, &sfn.GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn})
		require.NoError(t, err)
		sameEvents(t, f.srv.Execution(*out.ExecutionArn).History(), h.Events)
		var kinds []types.HistoryEventType
		for _, ev := range h.Events {
			kinds = append(kinds, ev.Type)
		}
		assert.Contains(t, kinds, types.HistoryEventTypeMapRunStarted)
		assert.Contains(t, kinds, types.HistoryEventTypeMapRunSucceeded)
	})
	t.Run("a child execution can be described", func(t *testing.T) {
		for _, c := range children.Executions {
			cd, err := f.client.DescribeExecution(bg, &sfn.DescribeExecutionInput{ExecutionArn: c.ExecutionArn})
			require.NoError(t, err)
			assert.Equal(t, aws.ToString(run.MapRunArn), aws.ToString(cd.MapRunArn))
			assert.Equal(t, aws.ToString(run.StateMachineArn), aws.ToString(cd.StateMachineArn))
			var in greetIn
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(cd.Input)), &in))
			if in.Name == "fail" {
				assert.Equal(t, "BadName", aws.ToString(cd.Error))
			} else {
				assert.JSONEq(t, `{"greeting": "hello `+in.Name+`"}`, aws.ToString(cd.Output))
			}
		}
	})
}

func TestShutdownStopsExecutions(t *testing.T) {
	f := newFixture(t)
	out := f.start(t, f.greet, "long", `{"hold": true}`)
	f.waitState(t, *out.ExecutionArn, "Hold")
	require.NoError(t, f.srv.Shutdown(bg, "server going away"))
	x := f.srv.Execution(*out.ExecutionArn)
	assert.Equal(t, states.StatusAborted, x.Status())
	assert.Equal(t, "server going away", x.Err().Cause)

	_, err := f.client.StartExecution(bg, &sfn.StartExecutionInput{StateMachineArn: aws.String(f.greet)})
	var api smithy.APIError
	require.ErrorAs(t, err, &api)
	assert.Equal(t, "ServiceUnavailable", api.ErrorCode())
	assert.False(t, errors.Is(err, context.Canceled))
}
