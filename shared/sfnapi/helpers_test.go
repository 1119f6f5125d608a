package sfnapi_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
)

// greetDef greets $.name, or blocks in the "hold" handler until the test
// releases it (or the execution is stopped) when $.hold is true.
const greetDef = `{
  "Comment": "greets a name",
  "StartAt": "Hold?",
  "States": {
    "Hold?": {"Type": "Choice", "Choices": [{"And": [{"Variable": "$.hold", "IsPresent": true}, {"Variable": "$.hold", "BooleanEquals": true}], "Next": "Hold"}], "Default": "Greet"},
    "Hold": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:hold", "Next": "Greet"},
    "Greet": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:greet", "Next": "Shape"},
    "Shape": {"Type": "Pass", "Parameters": {"message.$": "$.greeting"}, "End": true}
  }
}`

// fanOutDef greets every name of $.names in a Distributed Map.
const fanOutDef = `{
  "StartAt": "Each",
  "States": {
    "Each": {
      "Type": "Map", "ItemsPath": "$.names", "MaxConcurrency": 2,
      "ToleratedFailurePercentage": 100,
      "ItemSelector": {"name.$": "$$.Map.Item.Value"},
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Greet",
        "States": {"Greet": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:greet", "End": true}}
      },
      "End": true
    }
  }
}`

// BadName is the error greet returns for the name "fail": its Go type
// name is the ASL error name.
type BadName struct{ Name string }

func (e BadName) Error() string { return "cannot greet " + e.Name }

type greetIn struct {
	Name string `json:"name"`
}

type greetOut struct {
	Greeting string `json:"greeting"`
}

// fixture is a Server with the greet and fan-out machines behind an
// httptest server, and an sfn client pointed at it.
type fixture struct {
	srv     *sfnapi.Server
	client  *sfn.Client
	url     string
	greet   string // state machine ARNs
	fanOut  string
	release chan struct{} // closing it lets held executions go on
	once    sync.Once
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{release: make(chan struct{})}
	e := states.New()
	e.RegisterFunc("greet", func(in greetIn) (greetOut, error) {
		if in.Name == "fail" {
			return greetOut{}, BadName(in)
		}
		return greetOut{Greeting: "hello " + in.Name}, nil
	})
	e.RegisterFunc("hold", func(ctx context.Context, in map[string]any) (map[string]any, error) {
		select {
		case <-f.release:
			return in, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	f.srv = sfnapi.New(sfnapi.WithoutSigV4())
	for name, def := range map[string]string{"greet": greetDef, "fan-out": fanOutDef} {
		sm, err := e.Parse(name, []byte(def))
		require.NoError(t, err)
		require.NoError(t, f.srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: []byte(def)}))
		if name == "greet" {
			f.greet = sm.ARN
		} else {
			f.fanOut = sm.ARN
		}
	}
	hs := httptest.NewServer(f.srv)
	f.url = hs.URL
	t.Cleanup(func() {
		f.releaseAll()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, f.srv.Shutdown(ctx, "test over"))
		hs.Close()
	})
	f.client = newClient(hs.URL)
	return f
}

func (f *fixture) releaseAll() { f.once.Do(func() { close(f.release) }) }

// newClient is the real SDK client, unsigned, pointed at url.
func newClient(url string) *sfn.Client {
	return sfn.New(sfn.Options{
		Region:           "local",
		BaseEndpoint:     aws.String(url),
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
}

func (f *fixture) start(t *testing.T, arn, name, input string) *sfn.StartExecutionOutput {
	t.Helper()
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Input: aws.String(input)}
	if name != "" {
		in.Name = aws.String(name)
	}
	out, err := f.client.StartExecution(context.Background(), in)
	require.NoError(t, err)
	return out
}

// waitEnd polls DescribeExecution until the execution is no longer
// RUNNING, as a client of Step Functions would.
func (f *fixture) waitEnd(t *testing.T, arn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := f.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(arn)})
		require.NoError(t, err)
		if out.Status != types.ExecutionStatusRunning {
			return out
		}
		require.True(t, time.Now().Before(deadline), fmt.Sprintf("%s still running", arn))
		time.Sleep(5 * time.Millisecond)
	}
}

// waitState polls GetExecutionHistory until the execution has entered state.
func (f *fixture) waitState(t *testing.T, arn, state string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := f.client.GetExecutionHistory(context.Background(), &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), ReverseOrder: true, MaxResults: 5})
		require.NoError(t, err)
		for _, ev := range out.Events {
			if ev.StateEnteredEventDetails != nil && aws.ToString(ev.StateEnteredEventDetails.Name) == state {
				return
			}
		}
		require.True(t, time.Now().Before(deadline), fmt.Sprintf("%s never entered %s", arn, state))
		time.Sleep(5 * time.Millisecond)
	}
}
