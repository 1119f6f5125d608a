package webapp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/divinepic/pipeline/shared/arn"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// Workflow starts and watches album executions.
type Workflow interface {
	// Start starts the execution name for an album and returns its ARN.
	// Starting a name that exists is not an error: it returns that
	// execution (a batch completed twice starts once).
	Start(ctx context.Context, name string, in domain.AlbumInput) (string, error)
	// Progress reports an execution and its Map Run's item counts.
	Progress(ctx context.Context, executionARN string) (Progress, error)
}

// StatusNone is the Progress of an album with no execution to report.
const StatusNone = "none"

// Progress is an execution's status and its photos' counts.
type Progress struct {
	Status                   string // the execution's status (RUNNING, SUCCEEDED, ...)
	Total, Succeeded, Failed int64  // the album's photos in this run (0 until ProcessImages starts)
	StartedAt                time.Time
}

// SFNAPI is what StepFunctions needs of the Step Functions client.
type SFNAPI interface {
	StartExecution(ctx context.Context, in *sfn.StartExecutionInput, opts ...func(*sfn.Options)) (*sfn.StartExecutionOutput, error)
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	ListMapRuns(ctx context.Context, in *sfn.ListMapRunsInput, opts ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error)
	DescribeMapRun(ctx context.Context, in *sfn.DescribeMapRunInput, opts ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error)
}

var _ SFNAPI = (*sfn.Client)(nil)

// StepFunctions is the Workflow of a state machine, through the Step
// Functions API: AWS's, or `divinepic serve`'s own (InProcess).
type StepFunctions struct {
	Client          SFNAPI
	StateMachineARN string
}

var _ Workflow = (*StepFunctions)(nil)

// Start implements Workflow.
func (s *StepFunctions) Start(ctx context.Context, name string, in domain.AlbumInput) (string, error) {
	input, err := json.Marshal(in)
	if err != nil {
		return "", err
	}
	out, err := s.Client.StartExecution(ctx, &sfn.StartExecutionInput{
		StateMachineArn: aws.String(s.StateMachineARN), Name: aws.String(name), Input: aws.String(string(input)),
	})
	var exists *types.ExecutionAlreadyExists
	if errors.As(err, &exists) {
		return ExecutionARN(s.StateMachineARN, name), nil
	}
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ExecutionArn), nil
}

// ExecutionARN is the ARN of a state machine's execution by name.
func ExecutionARN(stateMachineARN, name string) string {
	return strings.Replace(stateMachineARN, ":stateMachine:", ":execution:", 1) + ":" + name
}

// Progress implements Workflow.
func (s *StepFunctions) Progress(ctx context.Context, execARN string) (Progress, error) {
	x, err := s.Client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
	var gone *types.ExecutionDoesNotExist
	if errors.As(err, &gone) {
		// Forgotten: a local server restarted (its executions live in
		// memory), or AWS's 90 days passed. The photos' statuses remain.
		return Progress{Status: StatusNone}, nil
	}
	if err != nil {
		return Progress{}, err
	}
	p := Progress{Status: string(x.Status), StartedAt: aws.ToTime(x.StartDate)}
	runs, err := s.Client.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(execARN)})
	if err != nil {
		return Progress{}, err
	}
	// ProcessImages' items are the photos (those of a batch that failed as
	// a whole failed); the photos caught in their batch are ReportFailures'
	// failed items.
	var reported int64
	for _, run := range runs.MapRuns {
		label := ""
		if a, err := arn.ParseMapRun(aws.ToString(run.MapRunArn)); err == nil {
			label = a.Label
		}
		if label != names.StateProcessImages && label != names.StateReportFailures {
			continue
		}
		m, err := s.Client.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: run.MapRunArn})
		if err != nil {
			return Progress{}, err
		}
		c := m.ItemCounts
		if c == nil {
			continue
		}
		if label == names.StateProcessImages {
			p.Total += c.Total
			p.Succeeded += c.Succeeded
			p.Failed += c.Failed + c.TimedOut + c.Aborted
		} else {
			reported += c.Failed + c.TimedOut + c.Aborted
		}
	}
	// A batch that failed as a whole failed its photos in ProcessImages
	// already, and they are among ReportFailures' too: only the rest were
	// caught in a batch that succeeded, and counted there as done.
	caught := min(max(0, reported-p.Failed), p.Succeeded)
	p.Succeeded -= caught
	p.Failed += caught
	return p, nil
}

// InProcess is an http.Client that serves every request with h in this
// process (no socket): the app talks to `divinepic serve`'s own Step
// Functions API through the real SDK client and wire protocol.
func InProcess(h http.Handler) *http.Client {
	return &http.Client{Transport: handlerTransport{h}}
}

type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	// Through the wire format and back, so the handler sees the request a
	// socket would have given it (Host and Content-Length headers included,
	// which a signature covers).
	var wire bytes.Buffer
	if err := r.Write(&wire); err != nil {
		return nil, err
	}
	in, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		return nil, err
	}
	in = in.WithContext(r.Context())
	in.RemoteAddr = "127.0.0.1:0"
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, in)
	res := rec.Result()
	res.Request = r
	return res, nil
}
