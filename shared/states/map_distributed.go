package states

import (
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
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
	mu       sync.Mutex
	children []*Execution // by item index; nil for items never started

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
	var items []any
	var err *Error
	if s.reader != nil {
		items, err = s.reader.read(r, in)
	} else {
		items, err = s.items(r, in)
	}
	if err != nil {
		return nil, err
	}
	inputs := make([]any, len(items))
	for i, it := range items {
		if inputs[i], err = s.selectItem(r, in, i, it); err != nil {
			return nil, err
		}
	}
	if s.batcher != nil {
		if inputs, err = s.batcher.batch(r, in, inputs); err != nil {
			return nil, err
		}
	}
	tolCount, hasTolCount := s.tolCount, s.hasTolCount
	tolPct, hasTolPct := s.tolPct, s.hasTolPct
	if s.tolCountPt != nil {
		v, e := r.evalPath(s.tolCountPt, in)
		if e != nil {
			return nil, e
		}
		n, _ := v.(json.Number)
		i, perr := n.Int64()
		if perr != nil || i < 0 {
			return nil, newError(ErrRuntime, "ToleratedFailureCountPath %q must select a non-negative integer", s.tolCountPt.raw)
		}
		tolCount, hasTolCount = i, true
	}
	if s.tolPctPt != nil {
		v, e := r.evalPath(s.tolPctPt, in)
		if e != nil {
			return nil, e
		}
		f, ok := toFloat(v)
		if !ok || f < 0 || f > 100 {
			return nil, newError(ErrRuntime, "ToleratedFailurePercentagePath %q must select a number between 0 and 100", s.tolPctPt.raw)
		}
		tolPct, hasTolPct = f, true
	}

	e := r.x.sm.engine
	label := s.label
	if label == "" {
		label = s.name
	}
	id := e.newUUID()
	run := &MapRun{
		MaxConcurrency: int(maxConc), ToleratedFailurePercentage: tolPct, ToleratedFailureCount: tolCount,
		ID:       id,
		ARN:      fmt.Sprintf("arn:aws:states:%s:%s:mapRun:%s/%s:%s", e.region, e.account, r.x.sm.Name, label, id),
		State:    s.name,
		children: make([]*Execution, len(inputs)),
		inputs:   make([]string, len(inputs)),
	}
	for i, v := range inputs {
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
	childSM.ARN = fmt.Sprintf("arn:aws:states:%s:%s:stateMachine:%s", e.region, e.account, childSM.Name)
	run.sm = childSM
	r.x.mu.Lock()
	r.x.mapRuns = append(r.x.mapRuns, run)
	r.x.mu.Unlock()
	r.event(types.HistoryEventTypeMapRunStarted, &types.MapRunStartedEventDetails{MapRunArn: sp(run.ARN)})

	arnKind := "execution"
	if s.executionType == "EXPRESS" {
		arnKind = "express"
	}
	total := len(inputs)
	workers := int(maxConc)
	if workers <= 0 || workers > total {
		workers = total
	}
	ctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		exceeded atomic.Bool
	)
	tooMany := func(failed int64) bool {
		switch {
		case hasTolCount && hasTolPct:
			return failed > tolCount || float64(failed)*100/float64(total) > tolPct
		case hasTolCount:
			return failed > tolCount
		case hasTolPct:
			return float64(failed)*100/float64(total) > tolPct
		}
		return failed > 0
	}
	var opts []StartOption
	if r.x.listener != nil {
		opts = append(opts, WithListener(r.x.listener))
	}
	if r.x.noHistory {
		opts = append(opts, WithoutHistory())
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= total || ctx.Err() != nil {
					return
				}
				c := childSM.newExecution(ctx, s.processor, 0, inputs[i], run.inputs[i], arnKind, append(opts[:len(opts):len(opts)], WithName(childName(run.ID, i)))...)
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
				ev := Event{Kind: MapItemSucceeded, Time: e.clk.Now(), State: s.name, StateType: "Map", Index: i, Total: total}
				if st := c.Status(); st != StatusSucceeded {
					if st == StatusAborted && ctx.Err() != nil {
						continue
					}
					ev.Kind, ev.Error = MapItemFailed, c.Err().Name
					if tooMany(run.failed.Add(1)) && exceeded.CompareAndSwap(false, true) {
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
	if r.ctx.Err() != nil {
		return nil, r.abortError()
	}
	var result any
	if s.writer != nil && s.writer.export {
		result, err = s.writer.write(r, in, run)
		if err != nil {
			r.event(types.HistoryEventTypeMapRunFailed, &types.MapRunFailedEventDetails{Error: sp(err.Name), Cause: sp(err.Cause)})
			return nil, err
		}
	} else {
		result = s.writer.shape(run)
	}
	if exceeded.Load() {
		err = newError(ErrExceedToleratedFailure, "The specified tolerated failure threshold was exceeded")
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
