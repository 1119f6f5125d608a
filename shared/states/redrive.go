package states

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Redrive restarts an unsuccessful execution as RedriveExecution does: from
// the top-level state that did not succeed (State, with the Input it was
// entered with), and when that state is a Distributed Map whose run had
// started, rerunning only the items that did not succeed (MapRun). RedrivePoint
// finds State and Input in the execution's history.
type Redrive struct {
	Count  int       // the execution's redrive count with this redrive (1 for the first)
	Date   time.Time // when it was redriven
	State  string    // the top-level state to start at
	Input  string    // the JSON the state was entered with
	MapRun *PriorMapRun
}

// PriorMapRun is what a Distributed Map run did before it was interrupted:
// the redriven run keeps its id and ARN and reruns only the items that are
// not in Succeeded.
type PriorMapRun struct {
	State     string // the Map state
	ID, ARN   string
	Succeeded map[int]PriorChild // by item index
}

// PriorChild is a child execution that succeeded. It stands for its item
// only if the item's input is still Input.
type PriorChild struct {
	Name, ARN   string
	Start, Stop time.Time
	Input       string
	Output      string
}

func (rd *Redrive) input() (any, *Error) {
	v, err := decodeJSON([]byte(rd.Input))
	if err != nil {
		return nil, newError(ErrRuntime, "redrive: the input of state %q is not JSON: %v", rd.State, err)
	}
	return v, nil
}

// priorRun returns the earlier run of Map state name, once: a Map entered
// again later in the same execution starts a new run.
func (x *Execution) priorRun(name string) *PriorMapRun {
	if x.redrive == nil || x.redrive.MapRun == nil || x.redrive.MapRun.State != name {
		return nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	p := x.redrive.MapRun
	if p.ID == "" {
		return nil // already used
	}
	out := *p
	p.ID = ""
	return &out
}

// restoredChild is a child execution that succeeded before the redrive, as
// a finished execution (it is not run again).
func (m *MapRun) restoredChild(i int, p PriorChild) (*Execution, error) {
	v, err := decodeJSON([]byte(p.Output))
	if err != nil {
		return nil, fmt.Errorf("item %d: output: %w", i, err)
	}
	done := make(chan struct{})
	close(done)
	return &Execution{
		Name: p.Name, ARN: p.ARN, StartTime: p.Start, sm: m.sm, inputJSON: m.inputs[i],
		status: StatusSucceeded, stopTime: p.Stop, output: []byte(p.Output), outValue: v,
		done: done, parentRun: m, item: i,
	}, nil
}

// RedrivePoint finds where an unsuccessful execution stopped, from its
// history: the last top-level state entered that did not exit, with the
// input it was entered with. When that state is a Fail state reached
// through a Catch (the state before it failed inside, then exited to it),
// the caught state is the one to redo. ok is false when the history holds
// no state to restart (the execution never entered one): state is then
// StartAt, to be run with the execution's input.
func (sm *StateMachine) RedrivePoint(history []types.HistoryEvent) (state, input string, ok bool) {
	type entry struct {
		name, input, output string
		exited, failed      bool
	}
	var seq []entry
	for _, ev := range history {
		switch {
		case ev.StateEnteredEventDetails != nil:
			name := *ev.StateEnteredEventDetails.Name
			if _, top := sm.top.states[name]; top {
				seq = append(seq, entry{name: name, input: deref(ev.StateEnteredEventDetails.Input)})
			}
		case ev.StateExitedEventDetails != nil:
			if n := len(seq); n > 0 && seq[n-1].name == *ev.StateExitedEventDetails.Name {
				seq[n-1].exited, seq[n-1].output = true, deref(ev.StateExitedEventDetails.Output)
			}
		case strings.HasSuffix(string(ev.Type), "Failed") || strings.HasSuffix(string(ev.Type), "TimedOut"):
			if n := len(seq); n > 0 && !seq[n-1].exited {
				seq[n-1].failed = true
			}
		}
	}
	n := len(seq)
	if n == 0 {
		return sm.top.startAt, "", false
	}
	last := seq[n-1]
	if last.exited {
		// Stopped between two states: the next one, or this one again
		// when its successor depends on its evaluation (a Choice).
		if c := sm.top.states[last.name].base(); c.next != "" {
			return c.next, last.output, true
		}
		return last.name, last.input, true
	}
	if sm.top.states[last.name].base().typ == "Fail" && n > 1 && seq[n-2].failed {
		last = seq[n-2]
	}
	return last.name, last.input, true
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// done returns the earlier outcome of item i when it succeeded with the
// same input.
func (p *PriorMapRun) done(i int, input string) (PriorChild, bool) {
	if p == nil {
		return PriorChild{}, false
	}
	c, ok := p.Succeeded[i]
	return c, ok && c.Input == input
}

func i32p(n int) *int32 { v := int32(n); return &v }

// restore takes item i's outcome from the run this one redrives, when that
// item succeeded with the same input, and reports whether it did.
func (m *MapRun) restore(i int) bool {
	p, ok := m.prior.done(i, m.inputs[i])
	if !ok {
		return false
	}
	c, err := m.restoredChild(i, p)
	if err != nil {
		return false
	}
	m.mu.Lock()
	m.children[i] = c
	m.mu.Unlock()
	m.succeeded.Add(1)
	return true
}
