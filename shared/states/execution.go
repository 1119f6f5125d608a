package states

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/states/intrinsic"
)

// Status is an execution's status, with the names DescribeExecution uses.
type Status string

const (
	StatusRunning   Status = "RUNNING"
	StatusSucceeded Status = "SUCCEEDED"
	StatusFailed    Status = "FAILED"
	StatusTimedOut  Status = "TIMED_OUT"
	StatusAborted   Status = "ABORTED"
)

// EventKind says what an observer Event reports.
type EventKind int

const (
	StateEntered EventKind = iota + 1
	StateExited
	MapItemSucceeded
	MapItemFailed
	ExecutionFinished
)

// Event is what a listener sees while an execution runs: states entered
// and exited, and Map items (iterations or child executions) finished.
type Event struct {
	Kind      EventKind
	Time      time.Time
	Execution string // ARN of the execution the event belongs to
	State     string // state name (the Map state for item events)
	StateType string
	Index     int    // Map item index, for MapItem* events
	Total     int    // number of Map items, for MapItem* events
	Error     string // error name, for MapItemFailed and failed executions
	Status    Status // for ExecutionFinished
}

// Listener receives Events. It is called synchronously from the goroutines
// that run states (concurrently for Map items and Parallel branches), so it
// must be fast and safe for concurrent use.
type Listener func(Event)

// StartOption configures one execution.
type StartOption func(*Execution)

// WithName names the execution (default: a new UUID).
func WithName(name string) StartOption { return func(x *Execution) { x.Name = name } }

// WithListener observes the execution and every child execution it starts.
func WithListener(l Listener) StartOption { return func(x *Execution) { x.listener = l } }

// WithRecorder keeps the execution, its history and every child execution
// it starts (see Recorder).
func WithRecorder(rec Recorder) StartOption { return func(x *Execution) { x.recorder = rec } }

// WithRedrive restarts an unsuccessful execution where it stopped (see
// Redrive): the execution keeps its name and ARN.
func WithRedrive(rd *Redrive) StartOption { return func(x *Execution) { x.redrive = rd } }

// WithoutHistory skips recording history events (the listener still runs).
func WithoutHistory() StartOption { return func(x *Execution) { x.noHistory = true } }

// Execution is one run of a StateMachine.
type Execution struct {
	Name      string
	ARN       string
	StartTime time.Time

	sm        *StateMachine
	graph     *graph
	timeout   int64
	input     any
	inputJSON string
	raw       *rawTexts // for States.JsonToString's key order; nil when the definition does not call it
	listener  Listener
	noHistory bool
	recorder  Recorder
	redrive   *Redrive
	parentRun *MapRun     // the Map Run of a child execution
	item      int         // the child's item index in parentRun
	stopWatch func() bool // detaches the caller's context

	ctx    context.Context
	cancel context.CancelCauseFunc
	done   chan struct{}
	nEvent atomic.Int64

	mu       sync.Mutex
	status   Status
	stopTime time.Time
	output   json.RawMessage
	outValue any
	err      *Error
	events   []event
	mapRuns  []*MapRun
	ctxExec  map[string]any
	ctxOnce  sync.Once
	stopErr  *Error // the error and cause given to Stop
}

// Start begins an execution in its own goroutine; use Wait for its end.
// input must be JSON (empty means {}).
func (sm *StateMachine) Start(ctx context.Context, input []byte, opts ...StartOption) (*Execution, error) {
	if len(input) == 0 {
		input = []byte("{}")
	}
	in, err := decodeJSON(input)
	if err != nil {
		return nil, fmt.Errorf("start execution of %s: input is not JSON: %w", sm.Name, err)
	}
	if len(input) > MaxPayloadBytes {
		return nil, fmt.Errorf("start execution of %s: input is %d bytes, over the %d-byte limit", sm.Name, len(input), MaxPayloadBytes)
	}
	x := sm.newExecution(ctx, sm.top, sm.TimeoutSeconds, in, string(compact(input)), "execution", opts...)
	go x.run()
	return x, nil
}

// Run starts an execution and waits for it to end.
func (sm *StateMachine) Run(ctx context.Context, input []byte, opts ...StartOption) (*Execution, error) {
	x, err := sm.Start(ctx, input, opts...)
	if err != nil {
		return nil, err
	}
	x.Wait()
	return x, nil
}

func compact(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return b
	}
	return out.Bytes()
}

func (sm *StateMachine) newExecution(ctx context.Context, g *graph, timeout int64, in any, inJSON, arnKind string, opts ...StartOption) *Execution {
	e := sm.engine
	x := &Execution{sm: sm, graph: g, timeout: timeout, input: in, inputJSON: inJSON, status: StatusRunning, done: make(chan struct{})}
	for _, o := range opts {
		o(x)
	}
	if sm.Definition.keyOrder && x.raw == nil {
		// A Map Run's child (raw set by withKeyOrderOf) has an input the
		// engine wrote, keys sorted: its parent's texts have the order.
		x.raw = &rawTexts{}
		x.raw.add([]byte(inJSON))
	}
	if x.Name == "" {
		x.Name = e.newUUID()
	}
	if x.ARN == "" {
		x.ARN = arn.Execution{Machine: e.machineARN(sm.Name), Name: x.Name, Kind: arnKind}.String()
	}
	x.StartTime = e.clk.Now()
	x.ctx, x.cancel = context.WithCancelCause(context.WithoutCancel(ctx))
	if ctx.Done() != nil {
		// The caller's context stops the execution, like StopExecution.
		x.stopWatch = context.AfterFunc(ctx, func() { x.Stop("", "context cancelled: "+context.Cause(ctx).Error()) })
	}
	return x
}

// contextExecution is $$.Execution, built on first use.
func (x *Execution) contextExecution() map[string]any {
	x.ctxOnce.Do(func() {
		x.ctxExec = map[string]any{
			"Id":           x.ARN,
			"Input":        x.input,
			"Name":         x.Name,
			"RoleArn":      x.roleARN(),
			"StartTime":    x.StartTime.Format(time.RFC3339Nano),
			"RedriveCount": json.Number(fmt.Sprint(x.RedriveCount())),
		}
	})
	return x.ctxExec
}

func (x *Execution) roleARN() string {
	return x.sm.engine.machineARN(x.sm.Name).Role()
}

// Stop aborts a running execution (StopExecution): running states are
// cancelled, and the execution ends ABORTED with the given error and cause.
func (x *Execution) Stop(errName, cause string) {
	x.mu.Lock()
	if x.stopErr == nil {
		x.stopErr = &Error{Name: errName, Cause: cause}
	}
	x.mu.Unlock()
	x.cancel(&Error{Name: errAborted, Cause: "execution stopped"})
}

// Wait blocks until the execution ends.
func (x *Execution) Wait() { <-x.done }

// Done is closed when the execution ends.
func (x *Execution) Done() <-chan struct{} { return x.done }

// Status returns the execution's status.
func (x *Execution) Status() Status {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.status
}

// Output returns the output JSON of a SUCCEEDED execution.
func (x *Execution) Output() json.RawMessage {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.output
}

// Err returns the error of a FAILED, TIMED_OUT or ABORTED execution.
func (x *Execution) Err() *Error {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.err
}

// StopTime is when the execution ended.
func (x *Execution) StopTime() time.Time {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.stopTime
}

// Input returns the execution's input JSON.
func (x *Execution) Input() string { return x.inputJSON }

// History returns the events so far, like GetExecutionHistory. Events of
// Parallel branches and inline Map iterations are appended when their
// state finishes, in branch/item order, so a deterministic run has a
// deterministic history.
func (x *Execution) History() []types.HistoryEvent {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]types.HistoryEvent, len(x.events))
	for i := range x.events {
		out[i] = x.events[i].historyEvent()
	}
	return out
}

// MapRuns returns the Distributed Map runs this execution started.
func (x *Execution) MapRuns() []*MapRun {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]*MapRun(nil), x.mapRuns...)
}

// Path returns the names of the states entered, in history order (states
// of Parallel branches and inline Map iterations included, after their
// Parallel or Map state).
func (x *Execution) Path() []string {
	var out []string
	for _, ev := range x.History() {
		if ev.StateEnteredEventDetails != nil {
			out = append(out, *ev.StateEnteredEventDetails.Name)
		}
	}
	return out
}

func (x *Execution) notify(ev Event) {
	if x.listener == nil {
		return
	}
	if ev.Execution == "" {
		ev.Execution = x.ARN
	}
	x.listener(ev)
}

func (x *Execution) run() {
	defer close(x.done)
	if x.stopWatch != nil {
		defer x.stopWatch()
	}
	clk := x.sm.engine.clk
	ctx := x.ctx
	if x.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = clk.WithTimeout(ctx, time.Duration(x.timeout)*time.Second)
		defer cancel()
	}
	if x.recorder != nil {
		x.recorder.ExecutionStarted(x)
	}
	r := &runner{x: x, ctx: ctx, top: true, vars: newRootScope()}
	var (
		out     any
		outJSON string
		err     *Error
	)
	if rd := x.redrive; rd != nil {
		r.event(types.HistoryEventTypeExecutionRedriven, &types.ExecutionRedrivenEventDetails{RedriveCount: i32p(rd.Count)})
		var in any
		if in, err = rd.input(); err == nil {
			out, outJSON, err = r.runGraphFrom(x.graph, rd.State, in, rd.Input)
		}
	} else {
		r.event(types.HistoryEventTypeExecutionStarted, &types.ExecutionStartedEventDetails{
			Input: sp(x.inputJSON), InputDetails: notTruncated, RoleArn: sp(x.roleARN()),
		})
		out, outJSON, err = r.runGraph(x.graph, x.input, x.inputJSON)
	}
	status := StatusSucceeded
	if err != nil {
		status = StatusFailed
		switch {
		case err.Name == errAborted:
			status = StatusAborted
			x.mu.Lock()
			if x.stopErr != nil {
				err = x.stopErr
			}
			x.mu.Unlock()
			r.event(types.HistoryEventTypeExecutionAborted, &types.ExecutionAbortedEventDetails{Error: sp(err.Name), Cause: sp(err.Cause)})
		case err.Name == ErrTimeout && x.ctx.Err() == nil && ctx.Err() != nil:
			status = StatusTimedOut
			r.event(types.HistoryEventTypeExecutionTimedOut, &types.ExecutionTimedOutEventDetails{Error: sp(err.Name), Cause: sp(err.Cause)})
		default:
			r.event(types.HistoryEventTypeExecutionFailed, &types.ExecutionFailedEventDetails{Error: sp(err.Name), Cause: sp(err.Cause)})
		}
	} else {
		r.event(types.HistoryEventTypeExecutionSucceeded, &types.ExecutionSucceededEventDetails{Output: sp(outJSON), OutputDetails: notTruncated})
	}
	x.mu.Lock()
	x.status = status
	x.stopTime = clk.Now()
	if err == nil {
		x.output = json.RawMessage(outJSON)
		x.outValue = out
	} else {
		x.err = err
	}
	x.mu.Unlock()
	if x.recorder != nil {
		x.recorder.ExecutionFinished(x)
	}
	ev := Event{Kind: ExecutionFinished, Time: x.stopTime, Status: status}
	if err != nil {
		ev.Error = err.Name
	}
	x.notify(ev)
}

// runner runs one sequence of states: the execution's top level, a
// Parallel branch or a Map iteration. Its events are local until merged
// into the parent's.
type runner struct {
	x      *Execution
	ctx    context.Context
	events []event // local events (not top)
	last   int64
	top    bool // the execution's top level: events go to the execution

	stateName  string
	stateType  string
	entered    time.Time
	retryCount int
	mapItem    map[string]any // $$.Map.Item while evaluating an ItemSelector

	vars     *varScope         // workflow variables this runner reads and assigns
	assigned map[string]string // what the current state assigned, for its StateExited event
	pending  map[string]any    // what the current state will assign when it exits
}

func (r *runner) clock() Clock { return r.x.sm.engine.clk }

func (r *runner) env() intrinsic.Env { return r.x.sm.engine.env }

func (r *runner) recording() bool { return !r.x.noHistory }

// event appends a history event with a local id; PreviousEventId is the
// previous event of this runner (0 for the first). details is the
// *types.XxxEventDetails that goes with the type, or nil.
func (r *runner) event(typ types.HistoryEventType, details any) int64 {
	if r.x.noHistory {
		return 0
	}
	if n := r.x.nEvent.Add(1); n > MaxHistoryEvents && !isExecutionEvent(typ) {
		if n == MaxHistoryEvents+1 {
			r.x.cancel(newError(ErrRuntime, "The execution reached the maximum number of history events (%d).", MaxHistoryEvents))
		}
		return 0
	}
	ts := r.clock().Now()
	if r.top {
		// The top level writes straight into the execution's history, so
		// History shows a running execution's progress.
		r.x.mu.Lock()
		id := int64(len(r.x.events) + 1)
		ev := event{id: id, prev: r.last, ts: ts, typ: typ, details: details}
		r.x.events = append(r.x.events, ev)
		r.x.mu.Unlock()
		r.last = id
		if r.x.recorder != nil {
			r.x.recorder.HistoryEvent(r.x, ev.historyEvent())
		}
		return id
	}
	id := int64(len(r.events) + 1)
	r.events = append(r.events, event{id: id, prev: r.last, ts: ts, typ: typ, details: details})
	r.last = id
	return id
}

func isExecutionEvent(t types.HistoryEventType) bool {
	switch t {
	case types.HistoryEventTypeExecutionStarted, types.HistoryEventTypeExecutionSucceeded, types.HistoryEventTypeExecutionFailed,
		types.HistoryEventTypeExecutionAborted, types.HistoryEventTypeExecutionTimedOut:
		return true
	}
	return false
}

// merge appends a child runner's events after anchor (the id of the event
// that started the branch), renumbering them into this runner's ids.
func (r *runner) merge(child *runner, anchor int64) {
	if len(child.events) == 0 {
		return
	}
	events := &r.events
	if r.top {
		r.x.mu.Lock()
		events = &r.x.events
	}
	base := int64(len(*events))
	for _, ev := range child.events {
		ev.id += base
		if ev.prev == 0 {
			ev.prev = anchor
		} else {
			ev.prev += base
		}
		*events = append(*events, ev)
	}
	r.last = int64(len(*events))
	if r.top {
		merged := (*events)[base:]
		r.x.mu.Unlock()
		if r.x.recorder != nil {
			for i := range merged {
				r.x.recorder.HistoryEvent(r.x, merged[i].historyEvent())
			}
		}
	}
}

func (r *runner) child(ctx context.Context) *runner {
	return &runner{x: r.x, ctx: ctx, vars: r.vars.child()}
}

// abortError is the error of a cancelled execution or branch.
func (r *runner) abortError() *Error {
	if c := context.Cause(r.ctx); c != nil {
		var e *Error
		if errors.As(c, &e) {
			return e
		}
		if c == context.DeadlineExceeded {
			return newError(ErrTimeout, "Execution timed out")
		}
	}
	return newError(errAborted, "execution stopped")
}

func (r *runner) sleep(d time.Duration) *Error {
	if err := r.clock().Sleep(r.ctx, d); err != nil {
		return r.abortError()
	}
	return nil
}

// contextObject builds $$ for the current state.
func (r *runner) contextObject() any {
	c := map[string]any{
		"Execution": r.x.contextExecution(),
		"State": map[string]any{
			"EnteredTime": r.entered.Format(time.RFC3339Nano),
			"Name":        r.stateName,
			"RetryCount":  json.Number(fmt.Sprint(r.retryCount)),
		},
		"StateMachine": map[string]any{"Id": r.x.sm.ARN, "Name": r.x.sm.Name},
	}
	if r.mapItem != nil {
		c["Map"] = map[string]any{"Item": r.mapItem}
	}
	return c
}

func (r *runner) evalPath(p *path, in any) (any, *Error) {
	var ctx any
	if p.ctx {
		ctx = r.contextObject()
	}
	v, err := p.get(in, ctx)
	if err != nil {
		return nil, newError(ErrRuntime, "Invalid path '%s' : No results for path: %v", p.raw, err)
	}
	return v, nil
}

func (r *runner) inputPath(c *common, raw any) (any, *Error) {
	if c.inputPath == nil {
		return raw, nil
	}
	v, err := c.inputPath.getVars(raw, nil, r)
	if err != nil {
		return nil, newError(ErrRuntime, "Invalid path '%s' : No results for path: %v", c.inputPath.raw, err)
	}
	return v, nil
}

// outputPath ends a state without a result (Choice, Wait, Succeed): its
// Assign sees the input, then OutputPath or Output applies.
func (r *runner) outputPath(c *common, v any) (any, *Error) {
	if c.q != nil && (c.q.jsonata || c.q.assign != nil) {
		return r.assignOutput(c.q, c, &statesVar{input: v}, v, v)
	}
	return r.pathOutput(c, v)
}

func (r *runner) pathOutput(c *common, v any) (any, *Error) {
	if c.outputPath == nil {
		return v, nil
	}
	out, err := c.outputPath.get(v, nil)
	if err != nil {
		return nil, newError(ErrRuntime, "Invalid path '%s' : No results for path: %v", c.outputPath.raw, err)
	}
	return out, nil
}

// effectiveInput applies InputPath then Parameters.
func (r *runner) effectiveInput(c *common, raw any) (any, *Error) {
	if c.q != nil && c.q.jsonata {
		if c.q.arguments == nil {
			return raw, nil
		}
		return c.q.arguments.eval(r, &statesVar{input: raw})
	}
	in, err := r.inputPath(c, raw)
	if err != nil || c.parameters == nil {
		return in, err
	}
	return c.parameters.eval(in, r)
}

// finish applies ResultSelector, ResultPath and OutputPath to a result.
func (r *runner) finish(c *common, raw, result any) (any, *Error) {
	if c.q != nil && c.q.jsonata {
		return r.assignOutput(c.q, c, &statesVar{input: raw, result: result, hasResult: true}, result, result)
	}
	if c.resultSelector != nil {
		v, err := c.resultSelector.eval(result, r)
		if err != nil {
			return nil, err
		}
		result = v
	}
	if c.q != nil && c.q.assign != nil {
		if err := r.evalAssign(c.q, nil, result); err != nil {
			return nil, err
		}
	}
	out, err := c.resultPath.apply(raw, result)
	if err != nil {
		return nil, err
	}
	return r.pathOutput(c, out)
}

// assignOutput evaluates q's Assign (kept pending until the state exits)
// and then its Output, which still sees the variables from before the
// Assign. In JSONata the default output is def; in JSONPath, value goes
// through OutputPath.
func (r *runner) assignOutput(q *queryFields, c *common, sv *statesVar, value, def any) (any, *Error) {
	if q.assign != nil {
		if err := r.evalAssign(q, sv, value); err != nil {
			return nil, err
		}
	}
	if !q.jsonata {
		return r.pathOutput(c, value)
	}
	if q.output == nil {
		return def, nil
	}
	return q.output.eval(r, sv)
}

func (r *runner) evalAssign(q *queryFields, sv *statesVar, value any) *Error {
	vals, err := q.assign.eval(r, sv, value)
	if err != nil {
		return err
	}
	r.pending = vals
	return nil
}

// runGraph runs states from StartAt until one ends the graph.
func (r *runner) runGraph(g *graph, in any, inJSON string) (any, string, *Error) {
	return r.runGraphFrom(g, g.startAt, in, inJSON)
}

// runGraphFrom runs states from the named one until one ends the graph.
func (r *runner) runGraphFrom(g *graph, name string, in any, inJSON string) (any, string, *Error) {
	if s, ok := g.states[name]; !ok || s == nil {
		return nil, "", newError(ErrRuntime, "no state %q to start at", name)
	}
	for {
		if r.ctx.Err() != nil {
			return nil, "", r.abortError()
		}
		s := g.states[name]
		out, outJSON, next, err := r.runState(s, in, inJSON)
		if err != nil {
			return nil, "", err
		}
		if next == "" {
			return out, outJSON, nil
		}
		in, inJSON, name = out, outJSON, next
	}
}

var notTruncated = &types.HistoryEventExecutionDataDetails{Truncated: false}

// runState enters a state, runs it with its retriers and catchers, checks
// the size of its output and exits it.
func (r *runner) runState(s state, in any, inJSON string) (any, string, string, *Error) {
	c := s.base()
	r.stateName, r.stateType, r.retryCount = c.name, c.typ, 0
	r.pending, r.assigned = nil, nil
	r.entered = r.clock().Now()
	if r.recording() {
		r.event(types.HistoryEventType(c.typ+"StateEntered"), &types.StateEnteredEventDetails{Name: sp(c.name), Input: sp(inJSON), InputDetails: notTruncated})
	}
	r.x.notify(Event{Kind: StateEntered, Time: r.entered, State: c.name, StateType: c.typ})
	var attempts []int64
	for {
		r.pending = nil
		out, next, err := s.exec(r, in)
		if err == nil {
			return r.exit(c, out, next)
		}
		r.pending = nil
		r.evaluationFailed(c, err)
		if err.Name == errAborted || r.ctx.Err() != nil {
			return nil, "", "", r.abortError()
		}
		if i := c.matchRetry(err.Name); i >= 0 {
			if attempts == nil {
				attempts = make([]int64, len(c.retry))
			}
			rt := c.retry[i]
			if attempts[i] < rt.maxAttempts {
				d := rt.delay(attempts[i], r.x.sm.engine.random)
				attempts[i]++
				r.retryCount++
				if e := r.sleep(d); e != nil {
					return nil, "", "", e
				}
				continue
			}
		}
		if i := c.matchCatch(err.Name); i >= 0 {
			k := c.catch[i]
			errOut := map[string]any{"Error": err.Name, "Cause": err.Cause}
			if k.q != nil && k.q.jsonata {
				out, perr := r.assignOutput(k.q, c, &statesVar{input: in, errorOutput: errOut, hasError: true}, errOut, errOut)
				if perr != nil {
					r.evaluationFailed(c, perr)
					return nil, "", "", perr
				}
				return r.exit(c, out, k.next)
			}
			if k.q != nil && k.q.assign != nil {
				if perr := r.evalAssign(k.q, nil, errOut); perr != nil {
					return nil, "", "", perr
				}
			}
			out, perr := k.resultPath.apply(in, errOut)
			if perr != nil {
				return nil, "", "", perr
			}
			return r.exit(c, out, k.next)
		}
		return nil, "", "", err
	}
}

func (r *runner) exit(c *common, out any, next string) (any, string, string, *Error) {
	if r.pending != nil {
		shown, err := r.vars.set(c.name, r.pending)
		r.pending = nil
		if err != nil {
			return nil, "", "", err
		}
		r.assigned = shown
	}
	b, merr := marshal(out)
	if merr != nil {
		return nil, "", "", newError(ErrRuntime, "state %q: %v", c.name, merr)
	}
	if len(b) > MaxPayloadBytes {
		return nil, "", "", newError(ErrDataLimitExceeded, "The state/task '%s' returned a result with a size exceeding the maximum number of bytes service limit.", c.name)
	}
	outJSON := string(b)
	if c.typ != "Fail" && r.recording() {
		d := &types.StateExitedEventDetails{Name: sp(c.name), Output: sp(outJSON), OutputDetails: notTruncated}
		if r.assigned != nil {
			d.AssignedVariables = r.assigned
			d.AssignedVariablesDetails = &types.AssignedVariablesDetails{Truncated: false}
		}
		r.event(types.HistoryEventType(c.typ+"StateExited"), d)
	}
	r.x.notify(Event{Kind: StateExited, Time: r.clock().Now(), State: c.name, StateType: c.typ})
	return out, outJSON, next, nil
}

func sp(s string) *string { return &s }
