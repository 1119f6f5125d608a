package states

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// Error names defined by the Amazon States Language and Step Functions.
const (
	ErrAll                    = "States.ALL"
	ErrHeartbeatTimeout       = "States.HeartbeatTimeout"
	ErrTimeout                = "States.Timeout"
	ErrTaskFailed             = "States.TaskFailed"
	ErrPermissions            = "States.Permissions"
	ErrResultPathMatchFailure = "States.ResultPathMatchFailure"
	ErrParameterPathFailure   = "States.ParameterPathFailure"
	ErrBranchFailed           = "States.BranchFailed"
	ErrNoChoiceMatched        = "States.NoChoiceMatched"
	ErrIntrinsicFailure       = "States.IntrinsicFailure"
	ErrExceedToleratedFailure = "States.ExceedToleratedFailureThreshold"
	ErrItemReaderFailed       = "States.ItemReaderFailed"
	ErrResultWriterFailed     = "States.ResultWriterFailed"
	ErrRuntime                = "States.Runtime"
	ErrDataLimitExceeded      = "States.DataLimitExceeded"
	ErrQueryEvaluationError   = "States.QueryEvaluationError"
	errAborted                = "States.Aborted" // internal: execution stopped
)

// MaxPayloadBytes is Step Functions' limit on a state's input or output
// (256 KiB, measured as UTF-8 bytes of the JSON text).
const MaxPayloadBytes = 256 * 1024

// MaxHistoryEvents is the number of history events an execution may have.
const MaxHistoryEvents = 25000

// Error is an error as the States Language sees it: a name that Retry and
// Catch match against ErrorEquals, and a human-readable cause.
type Error struct {
	Name  string
	Cause string
	// location is the field whose JSONata expression failed
	// (States.QueryEvaluationError), for the EvaluationFailed event.
	location string
}

func (e *Error) Error() string {
	if e.Cause == "" {
		return e.Name
	}
	return e.Name + ": " + e.Cause
}

func newError(name, format string, args ...any) *Error {
	return &Error{Name: name, Cause: fmt.Sprintf(format, args...)}
}

// evalError is a States.QueryEvaluationError of the JSONata expression in
// the field at location (Arguments, Output.total, Condition, ...).
func evalError(location, format string, args ...any) *Error {
	return &Error{Name: ErrQueryEvaluationError, Cause: fmt.Sprintf(format, args...), location: location}
}

// terminal reports whether States.ALL (and States.TaskFailed) must not match
// the error: Step Functions never lets a catcher or retrier handle these.
func terminal(name string) bool {
	return name == ErrRuntime || name == ErrDataLimitExceeded || name == errAborted
}

// matches reports whether an ErrorEquals list matches the error name, with
// the wildcards' AWS semantics.
func matches(errorEquals []string, name string) bool {
	if name == errAborted {
		return false
	}
	for _, want := range errorEquals {
		switch want {
		case name:
			return true
		case ErrAll:
			if !terminal(name) {
				return true
			}
		case ErrTaskFailed:
			if !terminal(name) && name != ErrTimeout && name != ErrHeartbeatTimeout {
				return true
			}
		}
	}
	return false
}

// evaluationFailed records AWS's EvaluationFailed event for a state whose
// JSONata expression failed, before its retriers and catchers run.
func (r *runner) evaluationFailed(c *common, err *Error) {
	if err.Name != ErrQueryEvaluationError || !r.recording() {
		return
	}
	d := &types.EvaluationFailedEventDetails{State: sp(c.name), Error: sp(err.Name), Cause: sp(err.Cause)}
	if err.location != "" {
		d.Location = sp(err.location)
	}
	r.event(types.HistoryEventTypeEvaluationFailed, d)
}
