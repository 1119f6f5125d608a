package steps

import (
	"fmt"
	"sort"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/names"
)

// Functions is the one registry from step name to handler function, used
// by the Lambda mains and the local engine alike.
func (s *Steps) Functions() map[string]any {
	return map[string]any{
		names.StepList:      s.List,
		names.StepDetect:    s.Detect,
		names.StepEmbed:     s.Embed,
		names.StepAggregate: s.Aggregate,
		names.StepSearch:    s.Search,
		names.StepReprocess: s.Reprocess,
	}
}

// Handlers wraps every function in aws-lambda-go's adapter, so the Lambda
// runtime and the local engine encode and decode JSON the same way. An
// adapter is not safe for concurrent invocations (it reuses its output
// buffer): make one per concurrent caller.
func (s *Steps) Handlers() map[string]lambda.Handler {
	out := map[string]lambda.Handler{}
	for name, fn := range s.Functions() {
		out[name] = lambda.NewHandler(fn)
	}
	return out
}

// Handler returns one step's handler, or an error naming the steps there are.
func (s *Steps) Handler(name string) (lambda.Handler, error) {
	hs := s.Handlers()
	if h, ok := hs[name]; ok {
		return h, nil
	}
	names := make([]string, 0, len(hs))
	for n := range hs {
		names = append(names, n)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("no step %q (steps: %v)", name, names)
}
