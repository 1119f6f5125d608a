package states

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// mapState runs its ItemProcessor for every item of an array: INLINE
// (iterations inside this execution, at most 40 at once on AWS) or
// DISTRIBUTED (each item or batch a child execution, items optionally read
// from S3, results optionally written to S3).
type mapState struct {
	common
	processor     *graph
	distributed   bool
	executionType string // STANDARD or EXPRESS, DISTRIBUTED only
	itemsPath     *path
	itemSelector  *tmpl
	ataItems      *ataTmpl // JSONata Items
	ataSelector   *ataTmpl // JSONata ItemSelector
	maxConc       numField
	label         string

	reader   *itemReader
	batcher  *itemBatcher
	writer   *resultWriter
	tolCount numField // ToleratedFailureCount
	tolPct   numField // ToleratedFailurePercentage
}

// inlineConcurrency is how many inline iterations AWS runs at once when
// MaxConcurrency is 0 (unlimited).
const inlineConcurrency = 40

func (p *parser) mapState(o *object, c common, tasks *[]*taskState) *mapState {
	s := &mapState{common: c}
	p.nextOrEnd(o, &s.common)
	p.inputOutput(o, &s.common)
	p.resultPath(o, &s.common)
	s.resultSelector = p.params(o, &s.common, "ResultSelector")
	p.retryCatch(o, &s.common)
	o.exclusive("ItemProcessor", "Iterator")
	o.exclusive("ItemSelector", "Parameters")
	o.exclusive("ItemsPath", "ItemReader")

	procField := "ItemProcessor"
	if !o.has(procField) && o.has("Iterator") {
		procField = "Iterator"
	}
	if v, ok := o.raw(procField); ok {
		po := p.object(o.at(procField), v)
		if procField == "ItemProcessor" {
			if cv, ok := po.raw("ProcessorConfig"); ok {
				co := p.object(po.at("ProcessorConfig"), cv)
				mode, _ := co.str("Mode", false)
				switch mode {
				case "", "INLINE":
				case "DISTRIBUTED":
					s.distributed = true
				default:
					p.errorf(co.at("Mode"), "must be INLINE or DISTRIBUTED, got %q", mode)
				}
				et, hasET := co.str("ExecutionType", false)
				switch {
				case s.distributed && !hasET:
					p.errorf(co.at("ExecutionType"), "required when Mode is DISTRIBUTED")
				case hasET && !s.distributed:
					p.errorf(co.at("ExecutionType"), "only allowed when Mode is DISTRIBUTED")
				case hasET && et != "STANDARD" && et != "EXPRESS":
					p.errorf(co.at("ExecutionType"), "must be STANDARD or EXPRESS, got %q", et)
				}
				s.executionType = et
				co.done("a ProcessorConfig")
			}
		}
		po.str("Comment", false)
		s.processor = p.graph(po, tasks)
		po.done("an " + procField)
	} else {
		p.errorf(o.at("ItemProcessor"), "required field is missing")
	}
	if v, ok := o.str("ItemsPath", false); ok {
		s.itemsPath = p.compilePath(o.at("ItemsPath"), v, true)
	}
	if p.jsonata {
		if v, ok := o.raw("Items"); ok {
			s.ataItems = p.ataTemplate(o.at("Items"), v)
		}
		if v, ok := o.raw("ItemSelector"); ok {
			s.ataSelector = p.ataTemplate(o.at("ItemSelector"), v)
		}
	} else {
		s.itemSelector = p.params(o, &s.common, "ItemSelector")
	}
	if s.itemSelector == nil {
		s.itemSelector = p.params(o, &s.common, "Parameters")
	}
	s.maxConc = p.numField(o, "MaxConcurrency", 0, math.MaxInt32, true)
	if v, ok := o.str("Label", false); ok {
		if !s.distributed {
			p.errorf(o.at("Label"), "only allowed in a DISTRIBUTED Map")
		}
		if len(v) > 40 {
			p.errorf(o.at("Label"), "must be at most 40 characters")
		}
		s.label = v
	}
	distOnly := func(f string) bool {
		if o.has(f) && !s.distributed {
			o.used[f] = true
			p.errorf(o.at(f), "only allowed in a DISTRIBUTED Map")
			return false
		}
		return o.has(f)
	}
	if distOnly("ItemReader") {
		v, _ := o.raw("ItemReader")
		s.reader = p.itemReader(o.at("ItemReader"), v)
	}
	if distOnly("ItemBatcher") {
		v, _ := o.raw("ItemBatcher")
		s.batcher = p.itemBatcher(o.at("ItemBatcher"), v)
	}
	if distOnly("ResultWriter") {
		v, _ := o.raw("ResultWriter")
		s.writer = p.resultWriter(o.at("ResultWriter"), v)
	}
	for _, f := range []string{"ToleratedFailureCount", "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath"} {
		distOnly(f)
	}
	s.tolCount = p.numField(o, "ToleratedFailureCount", 0, math.MaxInt32, true)
	s.tolPct = p.numField(o, "ToleratedFailurePercentage", 0, 100, false)
	return s
}

func (s *mapState) exec(r *runner, raw any) (any, string, *Error) {
	in, err := r.inputPath(&s.common, raw)
	if err != nil {
		return nil, "", err
	}
	maxConc, err := s.maxConc.intValue(r, in, 0)
	if err != nil {
		return nil, "", err
	}
	var result any
	if s.distributed {
		result, err = s.execDistributed(r, in, maxConc)
	} else {
		result, err = s.execInline(r, in, maxConc)
	}
	if err != nil {
		return nil, "", err
	}
	out, err := r.finish(&s.common, raw, result)
	if err != nil {
		return nil, "", err
	}
	return out, s.next, nil
}

// items selects the array to iterate over from the Map's effective input.
func (s *mapState) items(r *runner, in any) ([]any, *Error) {
	v := in
	if s.ataItems != nil {
		var e *Error
		if v, e = s.ataItems.eval(r, &statesVar{input: in}); e != nil {
			return nil, e
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, evalError("Items", "The Items field of the Map state '%s' must evaluate to a JSON array, got %s", s.name, jsonType(v))
		}
		return arr, nil
	}
	if s.itemsPath != nil {
		var e *Error
		if v, e = r.evalPath(s.itemsPath, in); e != nil {
			return nil, e
		}
	}
	arr, ok := v.([]any)
	if !ok {
		p := "$"
		if s.itemsPath != nil {
			p = s.itemsPath.raw
		}
		return nil, newError(ErrRuntime, "Map state input at ItemsPath %q must be an array, got %s", p, jsonType(v))
	}
	return arr, nil
}

// selectItem applies ItemSelector to one item, with $$.Map.Item set.
// sv is shared by the items, so that a JSONata ItemSelector converts the
// Map's input once.
func (s *mapState) selectItem(r *runner, in any, sv *statesVar, i int, item any) (any, *Error) {
	if s.itemSelector == nil && s.ataSelector == nil {
		return item, nil
	}
	r.mapItem = map[string]any{"Index": json.Number(fmt.Sprint(i)), "Value": item}
	defer func() { r.mapItem = nil }()
	if s.ataSelector != nil {
		return s.ataSelector.eval(r, sv)
	}
	return s.itemSelector.eval(in, r)
}

// inputs returns the inputs of the Map's iterations: each item (from
// ItemsPath, or the ItemReader of a Distributed Map) through ItemSelector.
func (s *mapState) inputs(r *runner, in any) ([]any, *Error) {
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
	sv := &statesVar{input: in}
	for i, it := range items {
		if inputs[i], err = s.selectItem(r, in, sv, i, it); err != nil {
			return nil, err
		}
	}
	return inputs, nil
}

func (s *mapState) execInline(r *runner, in any, maxConc int64) (any, *Error) {
	inputs, err := s.inputs(r, in)
	if err != nil {
		return nil, err
	}
	started := r.event(types.HistoryEventTypeMapStateStarted, &types.MapStateStartedEventDetails{Length: int32(len(inputs))})
	workers := int(maxConc)
	if workers == 0 || workers > inlineConcurrency {
		workers = inlineConcurrency
	}
	if workers > len(inputs) {
		workers = len(inputs)
	}
	ctx, cancel := context.WithCancelCause(r.ctx)
	defer cancel(nil)
	results := make([]any, len(inputs))
	runners := make([]*runner, len(inputs))
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr *Error
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(inputs) || ctx.Err() != nil {
					return
				}
				it := r.child(ctx)
				runners[i] = it
				details := &types.MapIterationEventDetails{Index: int32(i), Name: sp(s.name)}
				it.event(types.HistoryEventTypeMapIterationStarted, details)
				var inJSON string
				if it.recording() {
					b, _ := marshal(inputs[i])
					inJSON = string(b)
				}
				out, _, e := it.runGraph(s.processor, inputs[i], inJSON)
				ev := Event{Kind: MapItemSucceeded, Time: it.clock().Now(), State: s.name, StateType: "Map", Index: i, Total: len(inputs)}
				if e != nil {
					if e.Name == errAborted {
						it.event(types.HistoryEventTypeMapIterationAborted, details)
						return
					}
					it.event(types.HistoryEventTypeMapIterationFailed, details)
					ev.Kind, ev.Error = MapItemFailed, e.Name
					r.x.notify(ev)
					mu.Lock()
					if firstErr == nil {
						firstErr = e
						cancel(&Error{Name: errAborted, Cause: "iteration failed"})
					}
					mu.Unlock()
					return
				}
				it.event(types.HistoryEventTypeMapIterationSucceeded, details)
				r.x.notify(ev)
				results[i] = out
			}
		}()
	}
	wg.Wait()
	for _, it := range runners {
		if it != nil {
			r.merge(it, started)
		}
	}
	if firstErr == nil && r.ctx.Err() != nil {
		return nil, r.abortError()
	}
	if firstErr != nil {
		r.event(types.HistoryEventTypeMapStateFailed, nil)
		return nil, firstErr
	}
	r.event(types.HistoryEventTypeMapStateSucceeded, nil)
	return results, nil
}
