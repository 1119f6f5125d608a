package states

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/divinepic/pipeline/shared/states/intrinsic"
	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

// path is a compiled Path field (InputPath, OutputPath, ItemsPath, ...).
// The zero value means "$" (the whole input); null means "{}"
// for InputPath/OutputPath.
type path struct {
	raw    string
	isNull bool
	root   bool // "$": identity, no evaluation
	ctx    bool // "$$...": evaluated against the context object
	p      *jsonpath.Path
	vname  string // "$name...": evaluated against the workflow variable name
}

// getVars is get for a path that may start with a workflow variable.
func (pt *path) getVars(data, ctx any, r *runner) (any, error) {
	if pt == nil || pt.vname == "" {
		return pt.get(data, ctx)
	}
	v, ok := r.vars.lookup(pt.vname)
	if !ok {
		return nil, fmt.Errorf("the variable $%s is not defined", pt.vname)
	}
	if pt.p == nil {
		return v, nil
	}
	return pt.p.Get(v)
}

// compilePath compiles a Path field; ctxOK allows "$$" context paths.
func (p *parser) compilePath(at, raw string, ctxOK bool) *path {
	if raw == "$" {
		return &path{raw: raw, root: true}
	}
	if strings.HasPrefix(raw, "$$") {
		if !ctxOK {
			p.errorf(at, "context object path %q is not allowed here", raw)
			return nil
		}
		rest := raw[1:]
		if rest == "$" {
			return &path{raw: raw, root: true, ctx: true}
		}
		cp, err := jsonpath.Compile(rest)
		if err != nil {
			p.errorf(at, "invalid context path %q: %v", raw, err)
			return nil
		}
		return &path{raw: raw, ctx: true, p: cp}
	}
	if m := varPathRE.FindStringSubmatch(raw); m != nil && ctxOK {
		rest := "$" + raw[len(m[0]):]
		if rest == "$" {
			return &path{raw: raw, vname: m[1]}
		}
		cp, err := jsonpath.Compile(rest)
		if err != nil {
			p.errorf(at, "invalid JSONPath %q: %v", raw, err)
			return nil
		}
		return &path{raw: raw, vname: m[1], p: cp}
	}
	if err := jsonpath.ValidatePath(raw); err != nil {
		p.errorf(at, "invalid JSONPath %q: %v", raw, err)
		return nil
	}
	cp, err := jsonpath.Compile(raw)
	if err != nil {
		p.errorf(at, "invalid JSONPath %q: %v", raw, err)
		return nil
	}
	return &path{raw: raw, p: cp}
}

// varPathRE matches a path that starts with a workflow variable.
var varPathRE = regexp.MustCompile(`^\$([A-Za-z_][A-Za-z0-9_]*)`)

// readPath reads an optional InputPath/OutputPath-style field (string or null).
func (o *object) pathField(k string) *path {
	s, present, isNull := o.nullableStr(k)
	if !present {
		return nil
	}
	if isNull {
		return &path{isNull: true}
	}
	return o.p.compilePath(o.at(k), s, false)
}

// get evaluates the path; a nil path is "$". A path that matches nothing is
// States.Runtime, as on AWS.
func (pt *path) get(data, ctx any) (any, error) {
	if pt == nil {
		return data, nil
	}
	if pt.isNull {
		return map[string]any{}, nil
	}
	src := data
	if pt.ctx {
		src = ctx
	}
	if pt.root {
		return src, nil
	}
	v, err := pt.p.Get(src)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// refPath is a compiled ResultPath.
type refPath struct {
	raw    string
	isNull bool
	root   bool
	p      *jsonpath.Path
}

func (o *object) refPath(k string) *refPath {
	s, present, isNull := o.nullableStr(k)
	if !present {
		return nil
	}
	return o.p.compileRefPath(o.at(k), s, isNull)
}

func (p *parser) compileRefPath(at, s string, isNull bool) *refPath {
	if isNull {
		return &refPath{isNull: true}
	}
	if s == "$" {
		return &refPath{raw: s, root: true}
	}
	if err := jsonpath.ValidateReferencePath(s); err != nil {
		p.errorf(at, "invalid reference path %q: %v", s, err)
		return nil
	}
	cp, err := jsonpath.Compile(s)
	if err != nil {
		p.errorf(at, "invalid reference path %q: %v", s, err)
		return nil
	}
	return &refPath{raw: s, p: cp}
}

// apply combines the state's raw input with its result, per ResultPath.
func (rp *refPath) apply(rawInput, result any) (any, *Error) {
	if rp == nil || rp.root {
		return result, nil
	}
	if rp.isNull {
		return rawInput, nil
	}
	out, err := rp.p.Set(rawInput, result)
	if err != nil {
		return nil, newError(ErrResultPathMatchFailure, "Unable to apply ResultPath %q to input %s: %v", rp.raw, compactJSON(rawInput), err)
	}
	return out, nil
}

// tmpl is a compiled payload template (Parameters, ResultSelector,
// ItemSelector, ...): keys ending in ".$" take a path, a context path or an
// intrinsic function.
type tmpl struct {
	lit    any // used when the template holds no ".$" field at all
	static bool
	fields []tfield
	items  []*tmpl
	isArr  bool
}

type tfield struct {
	key    string // output key (".$" stripped)
	srcKey string // key as written
	sub    *tmpl  // plain nested value
	path   *path
	fn     *intrinsic.Expr
	fnCtx  bool // the intrinsic function reads the context object
	fnJSON bool // the intrinsic function calls States.JsonToString
}

func (p *parser) template(at string, v any) *tmpl {
	switch x := v.(type) {
	case map[string]any:
		t := &tmpl{}
		keys := sortedKeys(x)
		dynamic := false
		for _, k := range keys {
			val := x[k]
			kat := child(at, k)
			if strings.HasSuffix(k, ".$") {
				dynamic = true
				s, ok := val.(string)
				if !ok {
					p.errorf(kat, "the value of a field ending in .$ must be a path or an intrinsic function, got %s", jsonType(val))
					continue
				}
				f := tfield{key: strings.TrimSuffix(k, ".$"), srcKey: k}
				switch {
				case strings.HasPrefix(s, "$"):
					f.path = p.compilePath(kat, s, true)
				case intrinsic.IsIntrinsic(s):
					fn, err := intrinsic.Compile(s)
					if err != nil {
						p.errorf(kat, "invalid intrinsic function %q: %v", s, err)
						continue
					}
					f.fn = fn
					f.fnCtx = strings.Contains(s, "$$")
					f.fnJSON = strings.Contains(s, "States.JsonToString")
					p.keyOrder = p.keyOrder || f.fnJSON
				default:
					p.errorf(kat, "%q is neither a JSONPath nor an intrinsic function", s)
					continue
				}
				t.fields = append(t.fields, f)
				continue
			}
			sub := p.template(kat, val)
			if !sub.static {
				dynamic = true
			}
			t.fields = append(t.fields, tfield{key: k, srcKey: k, sub: sub})
		}
		if !dynamic {
			return &tmpl{lit: v, static: true}
		}
		return t
	case []any:
		t := &tmpl{isArr: true}
		dynamic := false
		for i, e := range x {
			sub := p.template(index(at, i), e)
			if !sub.static {
				dynamic = true
			}
			t.items = append(t.items, sub)
		}
		if !dynamic {
			return &tmpl{lit: v, static: true}
		}
		return t
	default:
		return &tmpl{lit: v, static: true}
	}
}

// eval instantiates the template against the input and context object.
func (t *tmpl) eval(input any, r *runner) (any, *Error) {
	ctx, env := r.contextObject, r.env()
	if t.static {
		return t.lit, nil
	}
	if t.isArr {
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(input, r)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	out := make(map[string]any, len(t.fields))
	for i := range t.fields {
		f := &t.fields[i]
		switch {
		case f.sub != nil:
			v, err := f.sub.eval(input, r)
			if err != nil {
				return nil, err
			}
			out[f.key] = v
		case f.path != nil:
			var c any
			if f.path.ctx {
				c = ctx()
			}
			v, err := f.path.getVars(input, c, r)
			if err != nil {
				src := input
				if f.path.ctx {
					src = c
				}
				return nil, newError(ErrRuntime, "The JSONPath '%s' specified for the field '%s' could not be found in the input '%s'", f.path.raw, f.srcKey, compactJSON(src))
			}
			out[f.key] = v
		case f.fn != nil:
			var c any
			if f.fnCtx {
				c = ctx()
			}
			fenv := env
			if f.fnJSON {
				fenv.Encode = r.x.encodeOrdered
			}
			v, err := f.fn.Eval(input, c, fenv)
			if err != nil {
				var fe *intrinsic.Failure
				if errors.As(err, &fe) {
					return nil, newError(ErrIntrinsicFailure, "%v", err)
				}
				return nil, newError(ErrRuntime, "intrinsic function in field '%s': %v", f.srcKey, err)
			}
			out[f.key] = v
		}
	}
	return out, nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sortStrings(keys)
	return keys
}

// compactJSON renders v for error causes.
func compactJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}
