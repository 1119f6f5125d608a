package states

import (
	"fmt"
	"math"
	"strconv"
)

// numField is a numeric field a state resolves when it runs
// (TimeoutSeconds, MaxConcurrency, ToleratedFailureCount, MaxItems,
// MaxItemsPerBatch, ...): a literal, a JSONPath reference path in the
// field's ...Path twin (JSONPath states), or a "{% %}" JSONata expression
// in the field itself (JSONata states), as AWS allows each.
type numField struct {
	name     string
	lit      float64
	hasLit   bool
	path     *path
	ata      *ataTmpl
	min, max float64
	integer  bool
}

// numField reads field (and, in a JSONPath state, field+"Path") of o. The
// value must lie in [min, max]; integer says it must be whole.
func (p *parser) numField(o *object, field string, min, max float64, integer bool) numField {
	f := numField{name: field, min: min, max: max, integer: integer}
	pathField := field + "Path"
	o.exclusive(field, pathField)
	if v, ok := o.raw(field); ok {
		s, isStr := v.(string)
		switch {
		case isStr && p.jsonata && isExpr(s):
			f.ata = p.ataTemplate(o.at(field), s)
		case isStr && p.jsonata:
			p.errorf(o.at(field), "must be %s or a {%% %%} JSONata expression, got a string", f.what())
		default:
			n, isNum := toFloat(v)
			switch {
			case !isNum:
				p.errorf(o.at(field), "must be %s, got %s", f.kind(), jsonType(v))
			case !f.fits(n):
				p.errorf(o.at(field), "must be %s, got %s", f.what(), compactJSON(v))
			default:
				f.lit, f.hasLit = n, true
			}
		}
	}
	if s, ok := o.str(pathField, false); ok {
		if p.jsonata {
			p.errorf(o.at(pathField), "the field %q is not supported in a JSONata state (use a {%% %%} expression in %s)", pathField, field)
		} else {
			f.path = p.compilePath(o.at(pathField), s, true)
		}
	}
	return f
}

// present reports whether the state has the field in any form.
func (f *numField) present() bool { return f.hasLit || f.path != nil || f.ata != nil }

func (f *numField) fits(n float64) bool {
	return n >= f.min && n <= f.max && (!f.integer || n == math.Trunc(n))
}

func (f *numField) noun() string {
	if f.integer {
		return "integer"
	}
	return "number"
}

func (f *numField) kind() string {
	if f.integer {
		return "an integer"
	}
	return "a number"
}

// what describes the values the field accepts, for messages.
func (f *numField) what() string {
	switch {
	case f.max >= math.MaxInt32 && f.min == 0:
		return "a non-negative " + f.noun()
	case f.max >= math.MaxInt32 && f.min == 1:
		return "a positive " + f.noun()
	}
	num := func(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }
	return fmt.Sprintf("%s between %s and %s", f.kind(), num(f.min), num(f.max))
}

// value resolves the field for the state's input in; ok is false when the
// field is absent. A JSONPath path that selects a bad value is a
// States.Runtime error, a JSONata expression a States.QueryEvaluationError.
func (f *numField) value(r *runner, in any) (n float64, ok bool, err *Error) {
	switch {
	case f.ata != nil:
		v, e := f.ata.eval(r, &statesVar{input: in})
		if e != nil {
			return 0, false, e
		}
		if n, isNum := toFloat(v); isNum && f.fits(n) {
			return n, true, nil
		}
		return 0, false, evalError(f.name, "An error occurred while executing the state '%s'. The JSONata expression '%s' specified for the field '%s' must evaluate to %s, got %s", r.stateName, f.ata.src, f.name, f.what(), compactJSON(v))
	case f.path != nil:
		v, e := r.evalPath(f.path, in)
		if e != nil {
			return 0, false, e
		}
		if n, isNum := toFloat(v); isNum && f.fits(n) {
			return n, true, nil
		}
		return 0, false, newError(ErrRuntime, "%sPath %q must select %s, got %s", f.name, f.path.raw, f.what(), compactJSON(v))
	}
	return f.lit, f.hasLit, nil
}

// intValue is value for an integer field; def when the field is absent.
func (f *numField) intValue(r *runner, in any, def int64) (int64, *Error) {
	n, ok, err := f.value(r, in)
	if err != nil || !ok {
		return def, err
	}
	return int64(n), nil
}

// fieldTmpl is an object a Map state's ItemReader, ItemBatcher or
// ResultWriter builds when it runs: a JSONPath template (keys ending in .$)
// in a JSONPath state, a JSONata template ({% %} values) in a JSONata one.
type fieldTmpl struct {
	path *tmpl
	ata  *ataTmpl
}

func (t *fieldTmpl) present() bool { return t.path != nil || t.ata != nil }

// argsName is what the state's language calls the arguments of an
// ItemReader or ResultWriter: Parameters in JSONPath, Arguments in JSONata.
func (p *parser) argsName() string {
	if p.jsonata {
		return "Arguments"
	}
	return "Parameters"
}

// argsField reads o's Parameters or Arguments, whichever the state's
// language uses, into dst; it reports whether the field is there. The
// other language's name is refused.
func (p *parser) argsField(o *object, dst *fieldTmpl) bool {
	other := "Arguments"
	if p.jsonata {
		other = "Parameters"
	}
	if _, ok := o.raw(other); ok {
		p.errorf(o.at(other), "the field %q is not supported in a %s state (use %s)", other, p.lang(), p.argsName())
	}
	v, ok := o.raw(p.argsName())
	if ok {
		p.objectTmpl(o.at(p.argsName()), v, dst)
	}
	return ok
}

func (p *parser) lang() string {
	if p.jsonata {
		return queryJSONata
	}
	return queryJSONPath
}

// objectTmpl compiles v, which must be a JSON object (or, in JSONata, a
// {% %} expression that evaluates to one), into dst.
func (p *parser) objectTmpl(at string, v any, dst *fieldTmpl) {
	s, isStr := v.(string)
	_, isObj := v.(map[string]any)
	switch {
	case p.jsonata && (isObj || isStr && isExpr(s)):
		dst.ata = p.ataTemplate(at, v)
	case isObj:
		dst.path = p.template(at, v)
	default:
		p.errorf(at, "must be a JSON object, got %s", jsonType(v))
	}
}

// eval instantiates the template for the state's input in.
func (t *fieldTmpl) eval(r *runner, in any) (any, *Error) {
	switch {
	case t.ata != nil:
		return t.ata.eval(r, &statesVar{input: in})
	case t.path != nil:
		return t.path.eval(in, r)
	}
	return nil, nil
}

// args is eval for arguments, which must be a JSON object.
func (t *fieldTmpl) args(r *runner, in any) (map[string]any, *Error) {
	v, err := t.eval(r, in)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok && t.ata != nil {
		return nil, evalError(fieldName(t.ata.at), "An error occurred while executing the state '%s'. The field '%s' must evaluate to a JSON object, got %s", r.stateName, fieldName(t.ata.at), jsonType(v))
	}
	return m, nil
}
