package states

import (
	"context"
	"crypto/sha1"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// MapRun is one run of a Distributed Map state: every item (or batch) is a
// child execution with its own history, not counted against the parent's
// history limit.
type MapRun struct {
	ARN   string
	ID    string // the last part of the ARN, used in ResultWriter keys
	State string // the Map state's name
	// The run's settings, as DescribeMapRun reports them: MaxConcurrency
	// (0 = no limit) and the tolerated failures (0 when not set).
	MaxConcurrency             int
	ToleratedFailurePercentage float64
	ToleratedFailureCount      int64

	sm       *StateMachine
	inputs   []string // child inputs (JSON), for PENDING records
	items    []int    // the items of each child input: its batch's, or 1
	mu       sync.Mutex
	children []*Execution // by item index; nil for items never started

	redriven bool         // a redrive of an earlier run
	prior    *PriorMapRun // what the earlier run did

	running, maxRunning atomic.Int64
	succeeded, failed   atomic.Int64
}

// Children returns the child executions in item order (nil for items that
// never started).
func (m *MapRun) Children() []*Execution {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Execution(nil), m.children...)
}

// Counts returns how many children succeeded and failed so far, and the
// item total.
func (m *MapRun) Counts() (succeeded, failed, total int) {
	return int(m.succeeded.Load()), int(m.failed.Load()), len(m.inputs)
}

// MaxInFlight is the largest number of child executions that ran at once.
func (m *MapRun) MaxInFlight() int { return int(m.maxRunning.Load()) }

func (s *mapState) execDistributed(r *runner, in any, maxConc int64) (any, *Error) {
	inputs, err := s.inputs(r, in)
	if err != nil {
		return nil, err
	}
	if s.batcher != nil {
		if inputs, err = s.batcher.batch(r, in, inputs); err != nil {
			return nil, err
		}
	}
	tol, err := s.tolerance(r, in)
	if err != nil {
		return nil, err
	}
	run, err := s.startRun(r, inputs, maxConc, tol)
	if err != nil {
		return nil, err
	}
	exceeded := s.runChildren(r, run, inputs, tol)
	if r.ctx.Err() != nil {
		return nil, r.abortError()
	}
	return s.finishRun(r, in, run, exceeded)
}

// tolerance is how many failed children a Map Run tolerates: at most Count
// and at most Percent of the items, whichever are set; none when neither is.
type tolerance struct {
	Count      int64
	HasCount   bool
	Percent    float64
	HasPercent bool
}

// exceeded reports whether failed children of total are too many.
func (t tolerance) exceeded(failed int64, total int) bool {
	pct := func() bool { return float64(failed)*100/float64(total) > t.Percent }
	switch {
	case t.HasCount && t.HasPercent:
		return failed > t.Count || pct()
	case t.HasCount:
		return failed > t.Count
	case t.HasPercent:
		return pct()
	}
	return failed > 0
}

// tolerance returns the state's tolerance: its fields' literals, ...Path
// fields evaluated on the effective input, or JSONata expressions.
func (s *mapState) tolerance(r *runner, in any) (tolerance, *Error) {
	var tol tolerance
	n, has, err := s.tolCount.value(r, in)
	if err != nil {
		return tol, err
	}
	tol.Count, tol.HasCount = int64(n), has
	tol.Percent, tol.HasPercent, err = s.tolPct.value(r, in)
	return tol, err
}

// startRun creates the Map Run of the inputs (each checked against the
// payload limit) and its child state machine, and records MapRunStarted.
func (s *mapState) startRun(r *runner, inputs []any, maxConc int64, tol tolerance) (*MapRun, *Error) {
	e := r.x.sm.engine
	label := s.label
	if label == "" {
		label = s.name
	}
	id := e.newUUID()
	run := &MapRun{
		MaxConcurrency: int(maxConc), ToleratedFailurePercentage: tol.Percent, ToleratedFailureCount: tol.Count,
		ID:       id,
		ARN:      e.machineARN(r.x.sm.Name).MapRun(label, id).String(),
		State:    s.name,
		children: make([]*Execution, len(inputs)),
		inputs:   make([]string, len(inputs)),
		items:    make([]int, len(inputs)),
	}
	for i, v := range inputs {
		run.items[i] = 1
		if s.batcher != nil {
			if m, ok := v.(map[string]any); ok {
				if batch, ok := m["Items"].([]any); ok {
					run.items[i] = len(batch)
				}
			}
		}
		b, merr := marshal(v)
		if merr != nil {
			return nil, newError(ErrRuntime, "map item %d: %v", i, merr)
		}
		if len(b) > MaxPayloadBytes {
			return nil, newError(ErrDataLimitExceeded, "The input of map item %d of state '%s' exceeds the maximum number of bytes service limit.", i, s.name)
		}
		run.inputs[i] = string(b)
	}
	// The child machine shares the parent's name and engine; its graph is
	// the ItemProcessor.
	childSM := &StateMachine{Definition: r.x.sm.Definition, Name: r.x.sm.Name + "/" + label, engine: e}
	childSM.ARN = e.machineARN(childSM.Name).String()
	run.sm = childSM
	if prior := r.x.priorRun(s.name); prior != nil {
		run.ID, run.ARN, run.redriven, run.prior = prior.ID, prior.ARN, true, prior
	}
	r.x.mu.Lock()
	r.x.mapRuns = append(r.x.mapRuns, run)
	r.x.mu.Unlock()
	if r.x.recorder != nil {
		r.x.recorder.MapRunStarted(r.x, run)
	}
	if run.redriven {
		r.event(types.HistoryEventTypeMapRunRedriven, &types.MapRunRedrivenEventDetails{MapRunArn: sp(run.ARN), RedriveCount: i32p(r.x.RedriveCount())})
	} else {
		r.event(types.HistoryEventTypeMapRunStarted, &types.MapRunStartedEventDetails{MapRunArn: sp(run.ARN)})
	}
	return run, nil
}

// runChildren runs one child execution per input, MaxConcurrency at a
// time, and stops starting children once the failures exceed the
// tolerance, which it reports.
func (s *mapState) runChildren(r *runner, run *MapRun, inputs []any, tol tolerance) (exceeded bool) {
	total := len(inputs)
	workers := run.MaxConcurrency
	if workers <= 0 || workers > total {
		workers = total
	}
	ctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		tooMany atomic.Bool
	)
	opts := s.childOptions(r)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || ctx.Err() != nil {
					return
				}
				if run.restore(i) {
					continue // succeeded before the redrive: not run again
				}
				ev, ended := s.runChild(ctx, r, run, i, inputs[i], opts)
				if !ended {
					continue // aborted with the run: neither counted nor reported
				}
				if ev.Kind == MapItemFailed {
					if tol.exceeded(run.failed.Add(1), total) && tooMany.CompareAndSwap(false, true) {
						cancel(&Error{Name: errAborted, Cause: "tolerated failure threshold exceeded"})
					}
				} else {
					run.succeeded.Add(1)
				}
				r.x.notify(ev)
			}
		}()
	}
	wg.Wait()
	return tooMany.Load()
}

// childOptions are the start options every child shares with the parent.
func (s *mapState) childOptions(r *runner) []StartOption {
	var opts []StartOption
	if r.x.listener != nil {
		opts = append(opts, WithListener(r.x.listener))
	}
	if r.x.noHistory {
		opts = append(opts, WithoutHistory())
	}
	if r.x.raw != nil {
		opts = append(opts, withKeyOrderOf(r.x.raw))
	}
	if r.x.recorder != nil {
		opts = append(opts, WithRecorder(r.x.recorder))
	}
	return opts
}

// runChild runs item i's child execution and returns the event of its
// end, or ended false when it was aborted because the run was.
func (s *mapState) runChild(ctx context.Context, r *runner, run *MapRun, i int, input any, opts []StartOption) (ev Event, ended bool) {
	arnKind := "execution"
	if s.executionType == "EXPRESS" {
		arnKind = "express"
	}
	c := run.sm.newExecution(ctx, s.processor, 0, input, run.inputs[i], arnKind, append(opts[:len(opts):len(opts)], WithName(childName(run.ID, i)))...)
	c.parentRun, c.item = run, i
	run.mu.Lock()
	run.children[i] = c
	run.mu.Unlock()
	n := run.running.Add(1)
	for {
		m := run.maxRunning.Load()
		if n <= m || run.maxRunning.CompareAndSwap(m, n) {
			break
		}
	}
	c.run()
	run.running.Add(-1)
	ev = Event{Kind: MapItemSucceeded, Time: r.x.sm.engine.clk.Now(), State: s.name, StateType: "Map", Index: i, Total: len(run.inputs)}
	if st := c.Status(); st != StatusSucceeded {
		if st == StatusAborted && ctx.Err() != nil {
			return ev, false
		}
		ev.Kind, ev.Error = MapItemFailed, c.Err().Name
	}
	return ev, true
}

// finishRun writes the results (ResultWriter) or shapes them into the
// state's result, and records how the Map Run ended.
func (s *mapState) finishRun(r *runner, in any, run *MapRun, exceeded bool) (any, *Error) {
	var result any
	if s.writer != nil && s.writer.export {
		var err *Error
		result, err = s.writer.write(r, in, run)
		if err != nil {
			r.event(types.HistoryEventTypeMapRunFailed, &types.MapRunFailedEventDetails{Error: sp(err.Name), Cause: sp(err.Cause)})
			return nil, err
		}
	} else {
		result = s.writer.shape(run)
	}
	if exceeded {
		err := newError(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
		r.event(types.HistoryEventTypeMapRunFailed, &types.MapRunFailedEventDetails{Error: sp(err.Name), Cause: sp(err.Cause)})
		return nil, err
	}
	r.event(types.HistoryEventTypeMapRunSucceeded, nil)
	return result, nil
}

// childName is the name of a Map Run's child execution for item i: a
// UUID derived from the run id and the index (version 5 style), so a
// deterministic run names its children the same way every time, whatever
// order the workers start them in.
func childName(runID string, i int) string {
	sum := sha1.Sum([]byte(runID + ":" + strconv.Itoa(i)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for k, c := range b {
		if k == 4 || k == 6 || k == 8 || k == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(out[:])
}
