package jsonpath

import "fmt"

// Set returns a copy of data with value placed at the path, which must be a
// Reference Path (see the package function Set). The objects and arrays along
// the path are copied; everything else is shared with data.
func (p *Path) Set(data, value any) (any, error) {
	if !p.simple {
		return nil, &SetFailure{Path: p.src, Reason: "not a Reference Path (only member names and single indexes can be set)"}
	}
	if p.context {
		return nil, &SetFailure{Path: p.src, Reason: "the context object ($$) cannot be written"}
	}
	return p.set(data, true, 0, value)
}

func (p *Path) set(node any, present bool, i int, value any) (any, error) {
	if i == len(p.segs) {
		return value, nil
	}
	s := &p.segs[i]
	if s.kind == segName {
		var m map[string]any
		switch v := node.(type) {
		case map[string]any:
			m = v
		default:
			if present {
				return nil, &SetFailure{Path: p.src, Reason: fmt.Sprintf("%s is %s, not an object", p.prefix(i), kindOf(node))}
			}
		}
		child, ok := m[s.name]
		nv, err := p.set(child, ok, i+1, value)
		if err != nil {
			return nil, err
		}
		out := make(map[string]any, len(m)+1)
		for k, v := range m {
			out[k] = v
		}
		out[s.name] = nv
		return out, nil
	}
	a, ok := node.([]any)
	if !ok {
		if !present {
			return nil, &SetFailure{Path: p.src, Reason: fmt.Sprintf("%s does not exist and arrays are never created", p.prefix(i))}
		}
		return nil, &SetFailure{Path: p.src, Reason: fmt.Sprintf("%s is %s, not an array", p.prefix(i), kindOf(node))}
	}
	idx := s.index
	if idx < 0 {
		idx += len(a)
	}
	if idx < 0 || idx >= len(a) {
		return nil, &SetFailure{Path: p.src, Reason: fmt.Sprintf("index %d is outside %s (length %d)", s.index, p.prefix(i), len(a))}
	}
	nv, err := p.set(a[idx], true, i+1, value)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(a))
	copy(out, a)
	out[idx] = nv
	return out, nil
}

// prefix renders the path up to (not including) step i, for error messages.
func (p *Path) prefix(i int) string {
	s := "$"
	for _, seg := range p.segs[:i] {
		if seg.kind == segName {
			s += fmt.Sprintf("[%q]", seg.name)
		} else {
			s += fmt.Sprintf("[%d]", seg.index)
		}
	}
	return s
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if IsNumber(v) {
		return "a number"
	}
	return fmt.Sprintf("a %T", v)
}
