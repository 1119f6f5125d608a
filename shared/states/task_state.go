package states

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
)

// LambdaInvoke is the optimized Lambda integration's resource.
const LambdaInvoke = "arn:aws:states:::lambda:invoke"

// taskState calls a handler: a Lambda function (by ARN, or through
// arn:aws:states:::lambda:invoke), or another registered resource.
type taskState struct {
	common
	resource  string
	kind      taskKind
	staticFn  string   // function name for lambda:invoke with a literal FunctionName
	timeout   numField // TimeoutSeconds (absent = none)
	heartbeat numField // HeartbeatSeconds

	// bound by Engine.Parse
	handler *invoker
	fnARN   string
}

type taskKind int

const (
	kindLambda       taskKind = iota // Resource is a Lambda function ARN
	kindLambdaInvoke                 // arn:aws:states:::lambda:invoke
	kindOther                        // any other resource, bound by exact ARN
)

func (p *parser) taskState(o *object, c common) *taskState {
	s := &taskState{common: c}
	p.nextOrEnd(o, &s.common)
	p.inputOutput(o, &s.common)
	p.resultPath(o, &s.common)
	s.parameters = p.params(o, &s.common, "Parameters")
	s.resultSelector = p.params(o, &s.common, "ResultSelector")
	p.retryCatch(o, &s.common)
	resource, hasResource := o.str("Resource", true)
	s.resource = resource
	switch {
	case s.resource == LambdaInvoke:
		s.kind = kindLambdaInvoke
		field := "Parameters"
		params, _ := o.m["Parameters"].(map[string]any)
		if c.q.jsonata {
			field = "Arguments"
			params, _ = o.m["Arguments"].(map[string]any)
		}
		if fn, ok := params["FunctionName"].(string); ok && !isExpr(fn) {
			s.staticFn = fn
		} else if _, dyn := params["FunctionName.$"]; !dyn && !ok {
			if _, isExprArgs := o.m[field].(string); !isExprArgs {
				p.errorf(o.at(field), "lambda:invoke requires %s.FunctionName", field)
			}
		}
	case isLambdaARN(s.resource):
		s.kind = kindLambda
	case strings.HasPrefix(s.resource, "arn:"):
		s.kind = kindOther
	case hasResource: // "" included
		p.errorf(o.at("Resource"), "must be an ARN, got %q", s.resource)
	}
	s.timeout = p.numField(o, "TimeoutSeconds", 1, 99999999, true)
	s.heartbeat = p.numField(o, "HeartbeatSeconds", 1, 99999999, true)
	if s.timeout.hasLit && s.heartbeat.hasLit && s.heartbeat.lit >= s.timeout.lit {
		p.errorf(o.at("HeartbeatSeconds"), "must be smaller than TimeoutSeconds")
	}
	if v, ok := o.raw("Credentials"); ok {
		p.object(o.at("Credentials"), v)
	}
	return s
}

// isLambdaARN reports whether s is a Lambda function ARN
// (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]).
func isLambdaARN(s string) bool {
	_, err := arn.ParseFunction(s)
	return err == nil
}

// functionName extracts a Lambda function's name from a name, an ARN or a
// partial ARN (ACCOUNT:function:NAME), dropping any version or alias.
func functionName(s string) string {
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function":
		return parts[6]
	case len(parts) >= 3 && parts[1] == "function":
		return parts[2]
	case len(parts) == 2: // NAME:QUALIFIER
		return parts[0]
	}
	return s
}

func (s *taskState) resourceType() string {
	switch s.kind {
	case kindLambda, kindLambdaInvoke:
		return "lambda"
	}
	parts := strings.Split(s.resource, ":")
	if len(parts) > 5 {
		return strings.SplitN(parts[5], ".", 2)[0]
	}
	return s.resource
}

func (s *taskState) exec(r *runner, raw any) (any, string, *Error) {
	in, err := r.effectiveInput(&s.common, raw)
	if err != nil {
		return nil, "", err
	}
	// TimeoutSecondsPath selects from the effective input; a JSONata
	// expression sees the state's input as $states.input.
	src := in
	if s.q.jsonata {
		src = raw
	}
	timeout, err := s.timeout.intValue(r, src, 0)
	if err != nil {
		return nil, "", err
	}
	h, fnARN, payloadValue, err := s.target(r, in)
	if err != nil {
		return nil, "", err
	}
	payload, merr := marshal(payloadValue)
	if merr != nil {
		return nil, "", newError(ErrRuntime, "state %q: %v", s.name, merr)
	}
	if len(payload) > MaxPayloadBytes {
		return nil, "", newError(ErrDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", s.name)
	}
	lambdaEvents := s.kind == kindLambda
	if r.recording() {
		if lambdaEvents {
			d := &types.LambdaFunctionScheduledEventDetails{Resource: sp(s.resource), Input: sp(string(payload)), InputDetails: notTruncated}
			if timeout > 0 {
				d.TimeoutInSeconds = &timeout
			}
			r.event(types.HistoryEventTypeLambdaFunctionScheduled, d)
			r.event(types.HistoryEventTypeLambdaFunctionStarted, nil)
		} else {
			params, _ := marshal(in)
			d := &types.TaskScheduledEventDetails{Resource: sp(s.resourceName()), ResourceType: sp(s.resourceType()), Region: sp(r.x.sm.engine.region), Parameters: sp(string(params))}
			if timeout > 0 {
				d.TimeoutInSeconds = &timeout
			}
			r.event(types.HistoryEventTypeTaskScheduled, d)
			r.event(types.HistoryEventTypeTaskStarted, &types.TaskStartedEventDetails{Resource: sp(s.resourceName()), ResourceType: sp(s.resourceType())})
		}
	}
	out, callErr := r.invoke(h, fnARN, payload, timeout)
	if callErr != nil {
		if r.recording() {
			s.failedEvent(r, lambdaEvents, callErr)
		}
		return nil, "", callErr
	}
	var result any
	if len(out) == 0 {
		result = nil
	} else if result, merr = decodeJSON(out); merr == nil {
		r.x.keepRaw(out)
	} else {
		e := newError(ErrTaskFailed, "handler for %s returned invalid JSON: %v", s.resource, merr)
		if r.recording() {
			s.failedEvent(r, lambdaEvents, e)
		}
		return nil, "", e
	}
	if s.kind == kindLambdaInvoke {
		result = map[string]any{
			"ExecutedVersion": "$LATEST",
			"Payload":         result,
			"SdkHttpMetadata": map[string]any{
				"HttpHeaders":    map[string]any{"Content-Type": "application/json", "X-Amz-Executed-Version": "$LATEST"},
				"HttpStatusCode": json.Number("200"),
			},
			"SdkResponseMetadata": map[string]any{"RequestId": r.env().UUID()},
			"StatusCode":          json.Number("200"),
		}
	}
	if r.recording() {
		if lambdaEvents {
			r.event(types.HistoryEventTypeLambdaFunctionSucceeded, &types.LambdaFunctionSucceededEventDetails{Output: sp(string(out)), OutputDetails: notTruncated})
		} else {
			o := string(out)
			if s.kind == kindLambdaInvoke {
				b, _ := marshal(result)
				o = string(b)
			}
			r.event(types.HistoryEventTypeTaskSucceeded, &types.TaskSucceededEventDetails{Resource: sp(s.resourceName()), ResourceType: sp(s.resourceType()), Output: sp(o), OutputDetails: notTruncated})
		}
	}
	outV, err := r.finish(&s.common, raw, result)
	if err != nil {
		return nil, "", err
	}
	return outV, s.next, nil
}

// resourceName is the Resource as the Task* events show it ("invoke" for
// arn:aws:states:::lambda:invoke).
func (s *taskState) resourceName() string {
	if i := strings.LastIndex(s.resource, ":"); i >= 0 && strings.HasPrefix(s.resource, "arn:aws:states:::") {
		return s.resource[i+1:]
	}
	return s.resource
}

func (s *taskState) failedEvent(r *runner, lambdaEvents bool, e *Error) {
	switch {
	case e.Name == ErrTimeout && lambdaEvents:
		r.event(types.HistoryEventTypeLambdaFunctionTimedOut, &types.LambdaFunctionTimedOutEventDetails{Error: sp(e.Name), Cause: sp(e.Cause)})
	case e.Name == ErrTimeout:
		r.event(types.HistoryEventTypeTaskTimedOut, &types.TaskTimedOutEventDetails{Resource: sp(s.resourceName()), ResourceType: sp(s.resourceType()), Error: sp(e.Name), Cause: sp(e.Cause)})
	case lambdaEvents:
		r.event(types.HistoryEventTypeLambdaFunctionFailed, &types.LambdaFunctionFailedEventDetails{Error: sp(e.Name), Cause: sp(e.Cause)})
	default:
		r.event(types.HistoryEventTypeTaskFailed, &types.TaskFailedEventDetails{Resource: sp(s.resourceName()), ResourceType: sp(s.resourceType()), Error: sp(e.Name), Cause: sp(e.Cause)})
	}
}

// target resolves the handler and the payload it receives.
func (s *taskState) target(r *runner, in any) (*invoker, string, any, *Error) {
	switch s.kind {
	case kindLambdaInvoke:
		m, _ := in.(map[string]any)
		fn, _ := m["FunctionName"].(string)
		h, arn := s.handler, s.fnARN
		if h == nil || fn != s.staticFn {
			h, arn = r.x.sm.engine.lookupFunction(fn)
		}
		if h == nil {
			return nil, "", nil, newError("Lambda.ResourceNotFoundException", "Function not found: %s", fn)
		}
		payload, ok := m["Payload"]
		if !ok {
			payload = map[string]any{}
		}
		return h, arn, payload, nil
	default:
		if s.handler == nil {
			return nil, "", nil, newError(ErrRuntime, "no handler registered for resource %s", s.resource)
		}
		return s.handler, s.fnARN, in, nil
	}
}

// invoke calls the handler through aws-lambda-go's adapter, turning a
// returned error (or a panic) into the ASL error AWS would report, and
// enforcing the timeout on the engine's clock.
func (r *runner) invoke(h *invoker, fnARN string, payload []byte, timeout int64) ([]byte, *Error) {
	ctx := r.ctx
	lc := &lambdacontext.LambdaContext{AwsRequestID: r.env().UUID(), InvokedFunctionArn: fnARN}
	if timeout <= 0 {
		return callHandler(lambdacontext.NewContext(ctx, lc), h, payload)
	}
	tctx, cancel := r.clock().WithTimeout(ctx, time.Duration(timeout)*time.Second)
	defer cancel()
	type result struct {
		out []byte
		err *Error
	}
	done := make(chan result, 1)
	go func() {
		out, err := callHandler(lambdacontext.NewContext(tctx, lc), h, payload)
		done <- result{out, err}
	}()
	select {
	case res := <-done:
		if ctx.Err() == nil && tctx.Err() != nil && timedOut(tctx) {
			return nil, newError(ErrTimeout, "Task timed out after %d seconds", timeout)
		}
		return res.out, res.err
	case <-tctx.Done():
		if ctx.Err() != nil {
			return nil, r.abortError()
		}
		return nil, newError(ErrTimeout, "Task timed out after %d seconds", timeout)
	}
}

func callHandler(ctx context.Context, h *invoker, payload []byte) (out []byte, e *Error) {
	defer func() {
		if v := recover(); v != nil {
			e = lambdaError(v, fmt.Sprint(v))
		}
	}()
	out, err := h.invoke(ctx, payload)
	if err != nil {
		return nil, handlerError(err)
	}
	return out, nil
}

// handlerError converts a handler's returned error the way the Lambda Go
// runtime does: errorType is the Go type name of the error (pointer
// stripped), errorMessage its text; Step Functions uses errorType as the
// error name and the JSON of both as the cause.
func handlerError(err error) *Error {
	if ive, ok := err.(messages.InvokeResponse_Error); ok {
		return lambdaErrorTyped(ive.Type, ive.Message)
	}
	return lambdaError(err, err.Error())
}

func lambdaError(v any, msg string) *Error {
	t := reflect.TypeOf(v)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return lambdaErrorTyped(t.Name(), msg)
}

func lambdaErrorTyped(typ, msg string) *Error {
	cause, _ := marshal(messages.InvokeResponse_Error{Message: msg, Type: typ})
	return &Error{Name: typ, Cause: string(cause)}
}

// ErrorType returns the error name Step Functions would see for err
// returned by a Lambda handler written in Go.
func ErrorType(err error) string { return handlerError(err).Name }
