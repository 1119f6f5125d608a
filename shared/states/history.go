package states

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// event is a history event as recorded: compact, converted to the SDK's
// types.HistoryEvent (GetExecutionHistory's shape) only when asked for.
type event struct {
	id, prev int64
	ts       time.Time
	typ      types.HistoryEventType
	details  any
}

func (e *event) historyEvent() types.HistoryEvent {
	ts := e.ts
	h := types.HistoryEvent{Id: e.id, PreviousEventId: e.prev, Timestamp: &ts, Type: e.typ}
	switch d := e.details.(type) {
	case *types.ExecutionStartedEventDetails:
		h.ExecutionStartedEventDetails = d
	case *types.ExecutionSucceededEventDetails:
		h.ExecutionSucceededEventDetails = d
	case *types.ExecutionFailedEventDetails:
		h.ExecutionFailedEventDetails = d
	case *types.ExecutionAbortedEventDetails:
		h.ExecutionAbortedEventDetails = d
	case *types.ExecutionTimedOutEventDetails:
		h.ExecutionTimedOutEventDetails = d
	case *types.EvaluationFailedEventDetails:
		h.EvaluationFailedEventDetails = d
	case *types.StateEnteredEventDetails:
		h.StateEnteredEventDetails = d
	case *types.StateExitedEventDetails:
		h.StateExitedEventDetails = d
	case *types.TaskScheduledEventDetails:
		h.TaskScheduledEventDetails = d
	case *types.TaskStartedEventDetails:
		h.TaskStartedEventDetails = d
	case *types.TaskSucceededEventDetails:
		h.TaskSucceededEventDetails = d
	case *types.TaskFailedEventDetails:
		h.TaskFailedEventDetails = d
	case *types.TaskTimedOutEventDetails:
		h.TaskTimedOutEventDetails = d
	case *types.LambdaFunctionScheduledEventDetails:
		h.LambdaFunctionScheduledEventDetails = d
	case *types.LambdaFunctionSucceededEventDetails:
		h.LambdaFunctionSucceededEventDetails = d
	case *types.LambdaFunctionFailedEventDetails:
		h.LambdaFunctionFailedEventDetails = d
	case *types.LambdaFunctionTimedOutEventDetails:
		h.LambdaFunctionTimedOutEventDetails = d
	case *types.MapStateStartedEventDetails:
		h.MapStateStartedEventDetails = d
	case *types.MapRunStartedEventDetails:
		h.MapRunStartedEventDetails = d
	case *types.MapRunFailedEventDetails:
		h.MapRunFailedEventDetails = d
	case *types.ExecutionRedrivenEventDetails:
		h.ExecutionRedrivenEventDetails = d
	case *types.MapRunRedrivenEventDetails:
		h.MapRunRedrivenEventDetails = d
	case *types.MapIterationEventDetails:
		switch e.typ {
		case types.HistoryEventTypeMapIterationStarted:
			h.MapIterationStartedEventDetails = d
		case types.HistoryEventTypeMapIterationSucceeded:
			h.MapIterationSucceededEventDetails = d
		case types.HistoryEventTypeMapIterationFailed:
			h.MapIterationFailedEventDetails = d
		case types.HistoryEventTypeMapIterationAborted:
			h.MapIterationAbortedEventDetails = d
		}
	}
	return h
}
