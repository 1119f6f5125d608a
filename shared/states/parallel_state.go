package states

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// parallelState runs every branch on the same input at once; its result is
// the array of the branches' outputs, and it fails if any branch fails.
type parallelState struct {
	common
	branches []*graph
}

func (p *parser) parallelState(o *object, c common, tasks *[]*taskState) *parallelState {
	s := &parallelState{common: c}
	p.nextOrEnd(o, &s.common)
	p.inputOutput(o, &s.common)
	p.resultPath(o, &s.common)
	s.parameters = p.params(o, &s.common, "Parameters")
	s.resultSelector = p.params(o, &s.common, "ResultSelector")
	p.retryCatch(o, &s.common)
	v, ok := o.raw("Branches")
	arr, isArr := v.([]any)
	switch {
	case !ok:
		p.errorf(o.at("Branches"), "required field is missing")
	case !isArr:
		p.errorf(o.at("Branches"), "must be an array, got %s", jsonType(v))
	case len(arr) == 0:
		p.errorf(o.at("Branches"), "must contain at least one branch")
	}
	for i, b := range arr {
		bo := p.object(index(o.at("Branches"), i), b)
		bo.str("Comment", false)
		if bo.has("QueryLanguage") {
			bo.used["QueryLanguage"] = true
			p.errorf(bo.at("QueryLanguage"), "a Parallel branch has no QueryLanguage; set it on the state machine or on each state")
		}
		s.branches = append(s.branches, p.graph(bo, tasks))
		bo.done("a Parallel branch")
	}
	return s
}

func (s *parallelState) exec(r *runner, raw any) (any, string, *Error) {
	in, err := r.effectiveInput(&s.common, raw)
	if err != nil {
		return nil, "", err
	}
	inJSON := ""
	if r.recording() {
		b, _ := marshal(in)
		inJSON = string(b)
	}
	started := r.event(types.HistoryEventTypeParallelStateStarted, nil)
	ctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	results := make([]any, len(s.branches))
	runners := make([]*runner, len(s.branches))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr *Error
	)
	for i, g := range s.branches {
		br := r.child(ctx)
		runners[i] = br
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, _, e := br.runGraph(g, in, inJSON)
			if e != nil {
				mu.Lock()
				if firstErr == nil && e.Name != errAborted {
					firstErr = e
					cancel(&Error{Name: errAborted, Cause: "branch failed"})
				}
				mu.Unlock()
				return
			}
			results[i] = out
		}()
	}
	wg.Wait()
	for _, br := range runners {
		r.merge(br, started)
	}
	if firstErr == nil && r.ctx.Err() != nil {
		return nil, "", r.abortError()
	}
	if firstErr != nil {
		r.event(types.HistoryEventTypeParallelStateFailed, nil)
		return nil, "", firstErr
	}
	r.event(types.HistoryEventTypeParallelStateSucceeded, nil)
	out, err := r.finish(&s.common, raw, results)
	if err != nil {
		return nil, "", err
	}
	return out, s.next, nil
}
