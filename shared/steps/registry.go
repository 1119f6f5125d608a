package steps

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// Entry is one step of the registry: its name (a names.Step* constant) and
// its handler function, whose signature step checks at compile time.
type Entry interface {
	// Name is the step's name.
	Name() string
	// NewHandler wraps the function in aws-lambda-go's adapter, so the
	// Lambda runtime and the local engine encode and decode JSON the same
	// way. An adapter is not safe for concurrent invocations (it reuses
	// its output buffer): make one per concurrent caller.
	NewHandler() lambda.Handler
}

// handlerEntry is a step whose handler takes In and returns Out.
type handlerEntry[In, Out any, H lambda.HandlerFunc[In, Out]] struct {
	name string
	fn   H
}

func (e handlerEntry[In, Out, H]) Name() string { return e.name }

// NewHandler returns the handler's errors as domain.ForWorkflow makes them
// (the Lambda edge): named, never "wrapError", without file paths.
func (e handlerEntry[In, Out, H]) NewHandler() lambda.Handler {
	fn := e.fn
	return lambda.NewHandler(func(ctx context.Context, in In) (Out, error) {
		out, err := fn(ctx, in)
		return out, domain.ForWorkflow(err)
	})
}

// step is a registry entry. Like aws-lambda-go's StartHandlerFunc, it takes
// only a func(context.Context, In) (Out, error): a handler of any other
// shape does not compile.
func step[In, Out any, H lambda.HandlerFunc[In, Out]](name string, fn H) Entry {
	return handlerEntry[In, Out, H]{name: name, fn: fn}
}

// Registry is the one list from step name to handler, in names.Steps'
// order, used by the Lambda mains and the local engine alike.
func (s *Steps) Registry() []Entry {
	return []Entry{
		step(names.StepList, s.List),
		step(names.StepDetect, s.Detect),
		step(names.StepEmbed, s.Embed),
		step(names.StepFailures, s.Failures),
		step(names.StepAggregate, s.Aggregate),
		step(names.StepPeople, s.People),
		step(names.StepReprocess, s.Reprocess),
		step(names.StepSearch, s.Search),
	}
}

// Handlers is one adapter per step, by name (see Entry.NewHandler).
func (s *Steps) Handlers() map[string]lambda.Handler {
	out := map[string]lambda.Handler{}
	for _, e := range s.Registry() {
		out[e.Name()] = e.NewHandler()
	}
	return out
}

// Handler returns one step's handler, or an error naming the steps there are.
func (s *Steps) Handler(name string) (lambda.Handler, error) {
	var all []string
	for _, e := range s.Registry() {
		if e.Name() == name {
			return e.NewHandler(), nil
		}
		all = append(all, e.Name())
	}
	sort.Strings(all)
	return nil, fmt.Errorf("no step %q (steps: %v)", name, all)
}
