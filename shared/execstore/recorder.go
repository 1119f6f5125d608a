package execstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/states"
)

// Started records an execution started through the API, before it runs
// (it may wait for a slot), so that it is listed at once, with its input
// as given and its trace header.
func (s *Store) Started(arn, machineARN, name string, start time.Time, input, traceHeader string) error {
	return s.w.do(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT INTO executions(arn, machine, name, status, start_ns, input, trace) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?)
			ON CONFLICT(arn) DO NOTHING`, arn, machineARN, name, ns(start), input, traceHeader)
		return err
	})
}

// Redriving marks an execution RUNNING again as RedriveExecution returns,
// before the redrive runs (it may wait for a slot).
func (s *Store) Redriving(arn string, count int, date time.Time) error {
	return s.w.do(func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE executions SET status = 'RUNNING', stop_ns = 0, output = '', error = '', cause = '', redrive_count = ?, redrive_ns = ? WHERE arn = ?`, count, ns(date), arn)
		return err
	})
}

// Aborted records the end of an execution that never ran (stopped while
// it waited for a slot).
func (s *Store) Aborted(arn, errName, cause string, when time.Time) error {
	return s.w.do(func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE executions SET status = 'ABORTED', stop_ns = ?, error = ?, cause = ? WHERE arn = ?`, ns(when), errName, cause, arn)
		return err
	})
}

// Recorder returns the states.Recorder that writes executions into s.
func (s *Store) Recorder() states.Recorder { return recorder{s} }

type recorder struct{ s *Store }

func (r recorder) ExecutionStarted(x *states.Execution) {
	s := r.s
	if run := x.ParentMapRun(); run != nil {
		// A child: (re)started under the same name, its old history goes.
		arn, machine, name, start, input, runARN, item := x.ARN, machineOf(x.ARN), x.Name, ns(x.StartTime), x.Input(), run.ARN, x.ItemIndex()
		items := run.Items(item)
		s.w.queue(func(tx *sql.Tx) error {
			if _, err := tx.Exec(`DELETE FROM events WHERE arn = ?`, arn); err != nil {
				return err
			}
			_, err := tx.Exec(`INSERT INTO executions(arn, machine, name, status, start_ns, input, map_run, item, items) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?)
				ON CONFLICT(arn) DO UPDATE SET status = 'RUNNING', start_ns = excluded.start_ns, stop_ns = 0, output = '', error = '', cause = '', outcomes = ''`,
				arn, machine, name, start, input, runARN, item, items)
			return err
		})
		return
	}
	rd := x.Redriven()
	if rd == nil {
		// Started through the API, the record is there already (Started);
		// otherwise it is made now.
		arn, machine, name, start, input := x.ARN, machineOf(x.ARN), x.Name, ns(x.StartTime), x.Input()
		s.w.queue(func(tx *sql.Tx) error {
			_, err := tx.Exec(`INSERT INTO executions(arn, machine, name, status, start_ns, input) VALUES (?, ?, ?, 'RUNNING', ?, ?) ON CONFLICT(arn) DO NOTHING`,
				arn, machine, name, start, input)
			return err
		})
		return
	}
	{
		// A redrive continues the stored history.
		s.w.flush()
		last, _ := s.lastEventID(x.ARN)
		s.mu.Lock()
		s.bases[x.ARN] = last
		s.mu.Unlock()
		arn, count, date := x.ARN, rd.Count, ns(rd.Date)
		s.w.do(func(tx *sql.Tx) error {
			_, err := tx.Exec(`UPDATE executions SET status = 'RUNNING', stop_ns = 0, output = '', error = '', cause = '', redrive_count = ?, redrive_ns = ? WHERE arn = ?`, count, date, arn)
			return err
		})
	}
}

func (r recorder) HistoryEvent(x *states.Execution, ev types.HistoryEvent) {
	s := r.s
	s.mu.Lock()
	base := s.bases[x.ARN]
	s.mu.Unlock()
	ev.Id += base
	if ev.PreviousEventId != 0 || base != 0 {
		ev.PreviousEventId += base
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return
	}
	arn, id := x.ARN, ev.Id
	s.w.queue(func(tx *sql.Tx) error {
		_, err := tx.Exec(`INSERT OR REPLACE INTO events(arn, id, body) VALUES (?, ?, ?)`, arn, id, body)
		return err
	})
	// A Map Run's end is an event of its parent.
	switch ev.Type {
	case types.HistoryEventTypeMapRunSucceeded, types.HistoryEventTypeMapRunFailed, types.HistoryEventTypeMapRunAborted:
		status := map[types.HistoryEventType]string{types.HistoryEventTypeMapRunSucceeded: "SUCCEEDED",
			types.HistoryEventTypeMapRunFailed: "FAILED", types.HistoryEventTypeMapRunAborted: "ABORTED"}[ev.Type]
		stop := ns(*ev.Timestamp)
		s.w.queue(func(tx *sql.Tx) error {
			// The parent's latest running Map Run (Map Runs of one
			// execution run one after the other).
			_, err := tx.Exec(`UPDATE map_runs SET status = ?, stop_ns = ? WHERE arn = (SELECT arn FROM map_runs WHERE execution = ? AND status = 'RUNNING' ORDER BY start_ns DESC LIMIT 1)`,
				status, stop, arn)
			return err
		})
	}
}

func (r recorder) MapRunStarted(x *states.Execution, run *states.MapRun) {
	arn, parent, state, total, totalItems := run.ARN, x.ARN, run.State, run.Total(), run.TotalItems()
	start := ns(x.StartTime)
	if len(x.History()) > 0 {
		h := x.History()
		start = ns(*h[len(h)-1].Timestamp)
	}
	conc, pct, cnt := run.MaxConcurrency, run.ToleratedFailurePercentage, run.ToleratedFailureCount
	redriven, count, date := run.Redriven(), x.RedriveCount(), int64(0)
	if rd := x.Redriven(); rd != nil {
		date = ns(rd.Date)
	}
	r.s.w.queue(func(tx *sql.Tx) error {
		if redriven {
			_, err := tx.Exec(`UPDATE map_runs SET status = 'RUNNING', stop_ns = 0, total = ?, total_items = ?, redrive_count = ?, redrive_ns = ? WHERE arn = ?`, total, totalItems, count, date, arn)
			return err
		}
		_, err := tx.Exec(`INSERT OR REPLACE INTO map_runs(arn, execution, state, status, start_ns, total, total_items, max_concurrency, tol_pct, tol_count) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?)`,
			arn, parent, state, start, total, totalItems, conc, pct, cnt)
		return err
	})
}

func (r recorder) ExecutionFinished(x *states.Execution) {
	s := r.s
	arn, status, stop, output := x.ARN, string(x.Status()), ns(x.StopTime()), string(x.Output())
	var errName, cause string
	if e := x.Err(); e != nil {
		errName, cause = e.Name, e.Cause
	}
	child := x.ParentMapRun() != nil
	outcomes := ""
	if child {
		outcomes = formatOutcomes(Outcomes(x.History(), x.Status()))
	}
	fn := func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE executions SET status = ?, stop_ns = ?, output = ?, error = ?, cause = ?, outcomes = ? WHERE arn = ?`,
			status, stop, output, errName, cause, outcomes, arn); err != nil {
			return err
		}
		if !child {
			// Map Runs left open by a stopped execution were aborted.
			_, err := tx.Exec(`UPDATE map_runs SET status = 'ABORTED', stop_ns = ? WHERE execution = ? AND status = 'RUNNING'`, stop, arn)
			return err
		}
		return nil
	}
	if child {
		s.w.queue(fn)
		return
	}
	s.w.do(fn) // the record says so before Wait returns
	s.mu.Lock()
	delete(s.bases, arn)
	s.mu.Unlock()
}

// machineOf is the state machine ARN of an execution ARN.
func machineOf(execARN string) string {
	x, err := arn.ParseExecution(execARN)
	if err != nil {
		return ""
	}
	return x.Machine.String()
}

// MachineOf is the state machine ARN of an execution ARN.
func MachineOf(execARN string) string { return machineOf(execARN) }

// Outcome is how a state ended in one execution.
type Outcome string

const (
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"  // the execution failed in it
	Caught    Outcome = "caught"  // it failed and a Catch went on
	Running   Outcome = "running" // entered, not yet left
)

// Outcomes reads a history: for each state entered, how it ended. A state
// not in the result was not reached. A redriven execution shows its last
// attempt, with the states that succeeded before it. A state entered
// several times (an inline Map's iterations) shows the most telling of its
// ends: failed over caught over succeeded.
func Outcomes(events []types.HistoryEvent, status states.Status) map[string]Outcome {
	out := map[string]Outcome{}
	ended := map[string]Outcome{} // the most telling end of its earlier entries
	failedIn := map[string]bool{}
	var cur []string // states entered and not left, innermost last
	for _, ev := range events {
		switch {
		case ev.Type == types.HistoryEventTypeExecutionRedriven:
			// The redrive is the attempt shown: what did not succeed
			// before is run again (or not reached this time).
			for name, o := range out {
				if o != Succeeded {
					delete(out, name)
				}
			}
			cur = cur[:0]
		case ev.StateEnteredEventDetails != nil:
			name := *ev.StateEnteredEventDetails.Name
			if o := out[name]; o == Succeeded || o == Caught || o == Failed {
				ended[name] = worse(ended[name], o)
			}
			out[name] = Running
			failedIn[name] = false
			cur = append(cur, name)
			if strings.HasPrefix(string(ev.Type), "Fail") {
				out[name] = Failed
			}
		case ev.StateExitedEventDetails != nil:
			name := *ev.StateExitedEventDetails.Name
			out[name] = Succeeded
			if failedIn[name] {
				out[name] = Caught
			}
			out[name] = worse(ended[name], out[name])
			for i := len(cur) - 1; i >= 0; i-- {
				if cur[i] == name {
					cur = append(cur[:i], cur[i+1:]...)
					break
				}
			}
		case strings.HasSuffix(string(ev.Type), "Scheduled"):
			if n := len(cur); n > 0 {
				failedIn[cur[n-1]] = false // a retry
			}
		case strings.HasSuffix(string(ev.Type), "Failed") || strings.HasSuffix(string(ev.Type), "TimedOut"):
			if n := len(cur); n > 0 && !strings.HasPrefix(string(ev.Type), "Execution") {
				failedIn[cur[n-1]] = true
			}
		}
	}
	if status != states.StatusRunning && status != "" {
		for name, o := range out {
			if o == Running {
				out[name] = Failed
			}
		}
	}
	return out
}

// worse is the more telling of two ends of a state: failed, then caught,
// then succeeded ("" is none).
func worse(a, b Outcome) Outcome {
	rank := map[Outcome]int{"": 0, Succeeded: 1, Caught: 2, Failed: 3}
	if rank[b] >= rank[a] {
		return b
	}
	return a
}

func formatOutcomes(m map[string]Outcome) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s\x1f%s\x1e", k, m[k])
	}
	return b.String()
}

func parseOutcomes(s string) map[string]Outcome {
	if s == "" {
		return nil
	}
	out := map[string]Outcome{}
	for _, kv := range strings.Split(strings.TrimSuffix(s, "\x1e"), "\x1e") {
		if k, v, ok := strings.Cut(kv, "\x1f"); ok {
			out[k] = Outcome(v)
		}
	}
	return out
}

// Prior is what a redrive of the execution needs: the state to restart at
// and its input (from the history), and when that state is a Distributed
// Map whose run started, the children that succeeded.
func (s *Store) Prior(ctxExec *Record, sm *states.StateMachine) (*states.Redrive, error) {
	if err := s.Flush(); err != nil {
		return nil, err
	}
	var hist []types.HistoryEvent
	var after int64
	for {
		page, more, err := s.History(context.Background(), ctxExec.ARN, after, 1000, false)
		if err != nil {
			return nil, err
		}
		hist = append(hist, page...)
		if !more {
			break
		}
		after = page[len(page)-1].Id
	}
	rd := &states.Redrive{Count: ctxExec.RedriveCount + 1, Date: s.now()}
	state, input, ok := sm.RedrivePoint(hist)
	if !ok {
		input = ctxExec.Input
	}
	rd.State, rd.Input = state, input
	runs, err := s.MapRuns(context.Background(), ctxExec.ARN)
	if err != nil {
		return nil, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].State != state {
			continue
		}
		p := &states.PriorMapRun{State: state, ARN: runs[i].ARN, ID: runs[i].ARN[strings.LastIndexByte(runs[i].ARN, ':')+1:], Succeeded: map[int]states.PriorChild{}}
		var after int64
		for {
			page, more, err := s.List(context.Background(), Query{MapRun: p.ARN, Status: "SUCCEEDED", After: after, Limit: 1000})
			if err != nil {
				return nil, err
			}
			for _, c := range page {
				p.Succeeded[c.Item] = states.PriorChild{Name: c.Name, ARN: c.ARN, Start: c.Start, Stop: c.Stop, Input: c.Input, Output: c.Output}
				after = int64(c.Item) + 1
			}
			if !more {
				break
			}
		}
		rd.MapRun = p
		break
	}
	return rd, nil
}
