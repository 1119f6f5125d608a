package states

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type detectIn struct {
	Key string `json:"key"`
}
type detectOut struct {
	Faces int    `json:"faces"`
	Key   string `json:"key"`
}

const fnARN = "arn:aws:lambda:local:000000000000:function:detect"

func TestTaskLambdaARN(t *testing.T) {
	e, _, _ := testEngine()
	var gotARN string
	e.RegisterFunc(fnARN, func(ctx context.Context, in detectIn) (detectOut, error) {
		lc, _ := lambdacontext.FromContext(ctx)
		gotARN = lc.InvokedFunctionArn
		return detectOut{Faces: 2, Key: in.Key}, nil
	})
	x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`",
		"Parameters":{"key.$":"$.image"},"ResultSelector":{"n.$":"$.faces"},"ResultPath":"$.detect","End":true}}}`, `{"image":"a.jpg"}`)
	assert.JSONEq(t, `{"image":"a.jpg","detect":{"n":2}}`, succeeded(t, x))
	assert.Equal(t, fnARN, gotARN)
	var types []string
	for _, ev := range x.History() {
		types = append(types, string(ev.Type))
	}
	assert.Equal(t, []string{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
		"LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded"}, types)
}

func TestTaskResolvesNamesAndPartialARNs(t *testing.T) {
	for _, reg := range []string{"detect", fnARN, "000000000000:function:detect", "arn:aws:lambda:eu-west-1:123456789012:function:detect:live"} {
		t.Run(reg, func(t *testing.T) {
			e, _, _ := testEngine()
			e.RegisterFunc(reg, func(in detectIn) (detectOut, error) { return detectOut{Faces: 1}, nil })
			x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"`+fnARN+`","End":true}}}`, `{}`)
			assert.JSONEq(t, `{"faces":1,"key":""}`, succeeded(t, x))
		})
	}
}

func TestTaskLambdaInvokeWrapsPayload(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("detect", func(in detectIn) (detectOut, error) { return detectOut{Faces: 3, Key: in.Key}, nil })
	x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName":"`+fnARN+`:$LATEST","Payload":{"key.$":"$.k"}},"End":true}}}`, `{"k":"x"}`)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(succeeded(t, x)), &out))
	assert.Equal(t, map[string]any{"faces": 3.0, "key": "x"}, out["Payload"])
	assert.Equal(t, 200.0, out["StatusCode"])
	assert.Equal(t, "$LATEST", out["ExecutedVersion"])
	assert.Contains(t, out, "SdkHttpMetadata")

	// The dynamic FunctionName.$ form resolves at run time.
	x = run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
		"Parameters":{"FunctionName.$":"$.fn","Payload.$":"$"},"OutputPath":"$.Payload","End":true}}}`, `{"fn":"detect","key":"y"}`)
	assert.JSONEq(t, `{"faces":3,"key":"y"}`, succeeded(t, x))
}

type namedErr struct{}

func (namedErr) Error() string { return "value-typed error" }

func TestTaskErrorNamesAreGoTypeNames(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"domain pointer type", &domain.ImageUnreadable{Key: "a.jpg", Reason: "truncated"}, "ImageUnreadable"},
		{"transient", &domain.TransientStoreError{Op: "put", Err: errors.New("503")}, "TransientStoreError"},
		{"errors.New", errors.New("plain"), "errorString"},
		{"wrapped", fmt.Errorf("ctx: %w", &domain.ObjectMissing{Key: "k"}), "wrapError"},
		{"value type", namedErr{}, "namedErr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _, _ := testEngine()
			e.RegisterFunc("f", func() error { return tc.err })
			x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}}`, `{}`)
			err := failed(t, x, tc.want)
			assert.JSONEq(t, mustJSON(map[string]string{"errorMessage": tc.err.Error(), "errorType": tc.want}), err.Cause)
			assert.Equal(t, tc.want, ErrorType(tc.err))
		})
	}
}

func TestTaskPanicBecomesError(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func() error { panic("boom") })
	x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}}`, `{}`)
	err := failed(t, x, "string")
	assert.Contains(t, err.Cause, "boom")
}

func TestTaskTimeout(t *testing.T) {
	e, clk, _ := testEngine()
	e.RegisterFunc("slow", func(ctx context.Context) error {
		// Ten virtual seconds pass inside the handler.
		return clk.Sleep(ctx, 10*time.Second)
	})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:slow","TimeoutSeconds":5,
		"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"Caught"}],"End":true},"Caught":{"Type":"Pass","End":true}}}`
	x := run(t, e, def, `{}`)
	assert.JSONEq(t, `{"err":{"Error":"States.Timeout","Cause":"Task timed out after 5 seconds"}}`, succeeded(t, x))
	var timedOut bool
	for _, ev := range x.History() {
		timedOut = timedOut || ev.Type == "LambdaFunctionTimedOut"
	}
	assert.True(t, timedOut)
}

func TestTaskTimeoutSecondsPath(t *testing.T) {
	e, clk, _ := testEngine()
	e.RegisterFunc("slow", func(ctx context.Context) error { return clk.Sleep(ctx, 3*time.Second) })
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:slow","TimeoutSecondsPath":"$.t","End":true}}}`
	failed(t, run(t, e, def, `{"t":2}`), ErrTimeout)
	succeeded(t, run(t, e, def, `{"t":4}`))
}

func TestTaskOtherResource(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("arn:aws:states:::sqs:sendMessage", func(in map[string]any) (map[string]any, error) {
		return map[string]any{"MessageId": "m-1", "Got": in["MessageBody"]}, nil
	})
	x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"MessageBody":"hi"},"End":true}}}`, `{}`)
	assert.JSONEq(t, `{"MessageId":"m-1","Got":"hi"}`, succeeded(t, x))
}

func TestTaskDataLimit(t *testing.T) {
	e, _, _ := testEngine()
	big := make([]byte, MaxPayloadBytes)
	for i := range big {
		big[i] = 'a'
	}
	e.RegisterFunc("big", func() (string, error) { return string(big), nil })
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:big",
		"Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`
	// States.ALL does not catch States.DataLimitExceeded.
	failed(t, run(t, e, def, `{}`), ErrDataLimitExceeded)

	// Output just under the limit passes.
	small := string(big[:MaxPayloadBytes-2])
	e.RegisterFunc("small", func() (string, error) { return small, nil })
	x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:small","End":true}}}`, `{}`)
	assert.Len(t, succeeded(t, x), MaxPayloadBytes)
}

// A handler built by lambda.NewHandler reuses its output buffer, so the
// engine never invokes one instance concurrently: Register serializes its
// calls; RegisterFunc gives each concurrent call its own instance. Either
// way every item gets its own output back intact.
func TestHandlerConcurrency(t *testing.T) {
	for _, mode := range []string{"Register", "RegisterFunc"} {
		t.Run(mode, func(t *testing.T) {
			e, _, _ := testEngine()
			var inFlight, peak atomic.Int64
			fn := func(n int) (map[string]int, error) {
				c := inFlight.Add(1)
				for {
					p := peak.Load()
					if c <= p || peak.CompareAndSwap(p, c) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				inFlight.Add(-1)
				return map[string]int{"n": n, "square": n * n}, nil
			}
			if mode == "Register" {
				e.Register("f", lambda.NewHandler(fn))
			} else {
				e.RegisterFunc("f", fn)
			}
			items := make([]int, 200)
			for i := range items {
				items[i] = i
			}
			x := run(t, e, distributedMap(`"MaxConcurrency":8,`), mustJSON(items))
			var out []map[string]int
			require.NoError(t, json.Unmarshal([]byte(succeeded(t, x)), &out))
			for i, o := range out {
				assert.Equal(t, map[string]int{"n": i, "square": i * i}, o)
			}
			if mode == "Register" {
				assert.Equal(t, int64(1), peak.Load())
			} else {
				assert.Greater(t, peak.Load(), int64(1))
			}
		})
	}
}

// The specification's InputPath/ResultPath/OutputPath example.
func TestTaskSpecInputResultOutputPaths(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("add", func(in struct{ Val1, Val2 int }) (int, error) { return in.Val1 + in.Val2, nil })
	x := run(t, e, `{"StartAt":"Add","States":{"Add":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:add",
		"InputPath":"$.numbers","ResultPath":"$.sum","OutputPath":"$","End":true}}}`,
		`{"title":"Numbers to add","numbers":{"val1":3,"val2":4}}`)
	assert.JSONEq(t, `{"title":"Numbers to add","numbers":{"val1":3,"val2":4},"sum":7}`, succeeded(t, x))
}

func TestResultPathMatchFailureIsCatchable(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func() (int, error) { return 1, nil })
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","ResultPath":"$.a.b",%s"End":true},"C":{"Type":"Pass","End":true}}}`
	failed(t, run(t, e, sprintf(def, `"Catch":[{"ErrorEquals":["Nope"],"Next":"C"}],`), `{"a":"string"}`), ErrResultPathMatchFailure)
	x := run(t, e, sprintf(def, `"Catch":[{"ErrorEquals":["States.ResultPathMatchFailure"],"Next":"C"}],`), `{"a":"string"}`)
	assert.Contains(t, succeeded(t, x), ErrResultPathMatchFailure)
}
