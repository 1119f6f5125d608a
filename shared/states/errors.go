package states

import "fmt"

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
