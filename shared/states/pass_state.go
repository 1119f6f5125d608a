package states

// passState passes its input to its output, optionally injecting Result or
// reshaping with Parameters.
type passState struct {
	common
	result    any
	hasResult bool
}

func (p *parser) passState(o *object, c common) *passState {
	s := &passState{common: c}
	p.nextOrEnd(o, &s.common)
	p.inputOutput(o, &s.common)
	p.resultPath(o, &s.common)
	s.parameters = p.params(o, &s.common, "Parameters")
	s.result, s.hasResult = o.raw("Result")
	return s
}

func (s *passState) exec(r *runner, raw any) (any, string, *Error) {
	in, err := r.effectiveInput(&s.common, raw)
	if err != nil {
		return nil, "", err
	}
	result := in
	if s.hasResult {
		result = s.result
	}
	out, err := r.finish(&s.common, raw, result)
	if err != nil {
		return nil, "", err
	}
	return out, s.next, nil
}
