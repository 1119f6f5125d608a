package states

import (
	"errors"
	"strings"

	"github.com/divinepic/pipeline/shared/states/intrinsic"
)

// failState ends the execution with an error and a cause.
type failState struct {
	common
	errName, cause   string
	errPath, causePt *path
	errFn, causeFn   *intrinsic.Expr
	errAta, causeAta *ataTmpl // JSONata Error and Cause
}

func (p *parser) failState(o *object, c common) *failState {
	s := &failState{common: c}
	o.exclusive("Error", "ErrorPath")
	o.exclusive("Cause", "CausePath")
	s.errName, _ = o.str("Error", false)
	s.cause, _ = o.str("Cause", false)
	if p.jsonata {
		if isExpr(s.errName) {
			s.errAta = p.ataTemplate(o.at("Error"), s.errName)
		}
		if isExpr(s.cause) {
			s.causeAta = p.ataTemplate(o.at("Cause"), s.cause)
		}
	}
	if v, ok := o.str("ErrorPath", false); ok {
		s.errPath, s.errFn = p.pathOrIntrinsic(o.at("ErrorPath"), v)
	}
	if v, ok := o.str("CausePath", false); ok {
		s.causePt, s.causeFn = p.pathOrIntrinsic(o.at("CausePath"), v)
	}
	return s
}

// pathOrIntrinsic compiles a field that takes a reference path (context
// paths allowed) or an intrinsic function.
func (p *parser) pathOrIntrinsic(at, v string) (*path, *intrinsic.Expr) {
	if strings.HasPrefix(v, "$") {
		return p.compilePath(at, v, true), nil
	}
	if intrinsic.IsIntrinsic(v) {
		fn, err := intrinsic.Compile(v)
		if err != nil {
			p.errorf(at, "invalid intrinsic function %q: %v", v, err)
			return nil, nil
		}
		return nil, fn
	}
	p.errorf(at, "%q is neither a JSONPath nor an intrinsic function", v)
	return nil, nil
}

func (s *failState) exec(r *runner, raw any) (any, string, *Error) {
	if s.errAta != nil || s.causeAta != nil {
		name, cause := s.errName, s.cause
		for _, f := range []struct {
			t   *ataTmpl
			dst *string
		}{{s.errAta, &name}, {s.causeAta, &cause}} {
			if f.t == nil {
				continue
			}
			v, err := f.t.eval(r, &statesVar{input: raw})
			if err != nil {
				return nil, "", err
			}
			str, ok := v.(string)
			if !ok {
				return nil, "", evalError(fieldName(f.t.at), "The JSONata expression '%s' of the Fail state '%s' must evaluate to a string, got %s", f.t.src, s.name, jsonType(v))
			}
			*f.dst = str
		}
		return nil, "", &Error{Name: name, Cause: cause}
	}
	name, err := r.dynamicString(raw, s.errName, s.errPath, s.errFn, "ErrorPath")
	if err != nil {
		return nil, "", err
	}
	cause, err := r.dynamicString(raw, s.cause, s.causePt, s.causeFn, "CausePath")
	if err != nil {
		return nil, "", err
	}
	return nil, "", &Error{Name: name, Cause: cause}
}

// dynamicString evaluates a Fail state's ErrorPath/CausePath (which must
// yield a string) or returns the static value.
func (r *runner) dynamicString(raw any, static string, pt *path, fn *intrinsic.Expr, field string) (string, *Error) {
	var v any
	switch {
	case pt != nil:
		var ctx any
		if pt.ctx {
			ctx = r.contextObject()
		}
		got, err := pt.get(raw, ctx)
		if err != nil {
			return "", newError(ErrRuntime, "Invalid path '%s' in %s: %v", pt.raw, field, err)
		}
		v = got
	case fn != nil:
		got, err := fn.Eval(raw, r.contextObject(), r.env())
		if err != nil {
			var fe *intrinsic.Failure
			if errors.As(err, &fe) {
				return "", newError(ErrIntrinsicFailure, "%v", err)
			}
			return "", newError(ErrRuntime, "%s: %v", field, err)
		}
		v = got
	default:
		return static, nil
	}
	str, ok := v.(string)
	if !ok {
		return "", newError(ErrRuntime, "The value of %s must be a string, got %s", field, jsonType(v))
	}
	return str, nil
}
