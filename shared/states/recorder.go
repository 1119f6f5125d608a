package states

import "github.com/aws/aws-sdk-go-v2/service/sfn/types"

// Recorder keeps what executions do, so that they outlive the process (an
// execution store). The engine calls it synchronously from the goroutines
// that run states, concurrently for the children of a Distributed Map, so
// it must be safe for concurrent use and should not block for long.
//
// An execution started WithRecorder passes the recorder on to every child
// execution its Distributed Maps start.
type Recorder interface {
	// ExecutionStarted: x begins (or, redriven, begins again). A child
	// execution has a ParentMapRun.
	ExecutionStarted(x *Execution)
	// HistoryEvent: x appended ev to its history (ids count from 1 in
	// this run of x, also when it is redriven).
	HistoryEvent(x *Execution, ev types.HistoryEvent)
	// MapRunStarted: x started (or, redriven, restarted) a Distributed Map
	// run; its children follow.
	MapRunStarted(x *Execution, run *MapRun)
	// ExecutionFinished: x ended; Status, Output, Err and StopTime are set.
	ExecutionFinished(x *Execution)
}

// ParentMapRun is the Map Run a child execution belongs to (nil for an
// execution started with Start).
func (x *Execution) ParentMapRun() *MapRun { return x.parentRun }

// ItemIndex is a child execution's item index in its Map Run.
func (x *Execution) ItemIndex() int { return x.item }

// RedriveCount is how many times the execution was redriven.
func (x *Execution) RedriveCount() int {
	if x.redrive == nil {
		return 0
	}
	return x.redrive.Count
}

// Redriven is the redrive this run of the execution is, or nil.
func (x *Execution) Redriven() *Redrive { return x.redrive }

// Total is the number of items (or batches) of the run.
func (m *MapRun) Total() int { return len(m.inputs) }

// ItemInput is the input JSON of item i.
func (m *MapRun) ItemInput(i int) string { return m.inputs[i] }

// Items is how many of the Map's items child i processes: its batch's
// (an ItemBatcher's Items), or 1. DescribeMapRun's itemCounts count
// these, its executionCounts the children.
func (m *MapRun) Items(i int) int {
	if i < 0 || i >= len(m.items) {
		return 1
	}
	return m.items[i]
}

// TotalItems is the Map's items over all its children.
func (m *MapRun) TotalItems() int {
	n := 0
	for i := range m.inputs {
		n += m.Items(i)
	}
	return n
}

// Redriven reports whether this run is a redrive of an earlier one.
func (m *MapRun) Redriven() bool { return m.redriven }
