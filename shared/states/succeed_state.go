package states

// succeedState ends its graph successfully.
type succeedState struct{ common }

func (p *parser) succeedState(o *object, c common) *succeedState {
	s := &succeedState{common: c}
	p.inputOutput(o, &s.common)
	return s
}

func (s *succeedState) exec(r *runner, raw any) (any, string, *Error) {
	in, err := r.inputPath(&s.common, raw)
	if err != nil {
		return nil, "", err
	}
	out, err := r.outputPath(&s.common, in)
	return out, "", err
}
