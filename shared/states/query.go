package states

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/divinepic/pipeline/shared/states/jsonata"
)

// Query languages of a definition and of a state.
const (
	queryJSONPath = "JSONPath"
	queryJSONata  = "JSONata"
)

// queryFields are the fields a state has in either query language beyond
// the JSONPath ones in common: its language, Arguments and Output
// (JSONata) and Assign (both).
type queryFields struct {
	jsonata   bool
	arguments *ataTmpl
	output    *ataTmpl
	assign    *assignSpec
}

// jsonPathOnly are the fields a JSONata state must not have.
var jsonPathOnly = []string{
	"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "ItemsPath",
	"TimeoutSecondsPath", "HeartbeatSecondsPath", "MaxConcurrencyPath", "ToleratedFailureCountPath",
	"ToleratedFailurePercentagePath", "ErrorPath", "CausePath", "SecondsPath", "TimestampPath", "Result",
}

// jsonataOnly are the fields a JSONPath state must not have.
var jsonataOnly = []string{"Arguments", "Output", "Items"}

// ataTmpl is a JSON value in which strings of the form "{% expr %}" are
// JSONata expressions, evaluated with $states and the workflow variables.
type ataTmpl struct {
	lit    any
	static bool
	expr   *jsonata.Expr
	src    string
	keys   []string
	fields map[string]*ataTmpl
	items  []*ataTmpl
	isArr  bool
	at     string // JSON path of the field, for errors
}

// isExpr reports whether s is a "{% ... %}" JSONata template string.
func isExpr(s string) bool {
	t := strings.TrimSpace(s)
	return strings.HasPrefix(t, "{%") && strings.HasSuffix(t, "%}") && len(t) >= 4
}

// ataTemplate compiles v; field names the field for error messages.
func (p *parser) ataTemplate(at string, v any) *ataTmpl {
	switch x := v.(type) {
	case string:
		if !isExpr(x) {
			return &ataTmpl{lit: x, static: true, at: at}
		}
		t := strings.TrimSpace(x)
		src := strings.TrimSpace(t[2 : len(t)-2])
		e, err := jsonata.Compile(src)
		if err != nil {
			p.errorf(at, "invalid JSONata expression %q: %v", src, err)
			return &ataTmpl{lit: nil, static: true, at: at}
		}
		return &ataTmpl{expr: e, src: src, at: at}
	case map[string]any:
		t := &ataTmpl{fields: map[string]*ataTmpl{}, at: at}
		static := true
		for _, k := range sortedKeys(x) {
			sub := p.ataTemplate(child(at, k), x[k])
			static = static && sub.static
			t.keys = append(t.keys, k)
			t.fields[k] = sub
		}
		if static {
			return &ataTmpl{lit: v, static: true, at: at}
		}
		return t
	case []any:
		t := &ataTmpl{isArr: true, at: at}
		static := true
		for i, e := range x {
			sub := p.ataTemplate(index(at, i), e)
			static = static && sub.static
			t.items = append(t.items, sub)
		}
		if static {
			return &ataTmpl{lit: v, static: true, at: at}
		}
		return t
	}
	return &ataTmpl{lit: v, static: true, at: at}
}

// statesVar holds what $states shows a JSONata expression, and its
// conversions to evaluator values, made on first use and shared by the
// state's expressions that get the same statesVar.
type statesVar struct {
	input       any
	result      any
	hasResult   bool
	errorOutput any
	hasError    bool

	js map[string]any // "input", "result", "errorOutput" converted
}

// value is field ("input", "result" or "errorOutput") as an evaluator
// value; ok is false when $states has no such field here.
func (sv *statesVar) value(field string) (any, bool) {
	if sv == nil {
		return nil, false
	}
	if v, ok := sv.js[field]; ok {
		return v, true
	}
	var g any
	switch {
	case field == "input":
		g = sv.input
	case field == "result" && sv.hasResult:
		g = sv.result
	case field == "errorOutput" && sv.hasError:
		g = sv.errorOutput
	default:
		return nil, false
	}
	if sv.js == nil {
		sv.js = make(map[string]any, 3)
	}
	v := jsonata.FromGo(g)
	sv.js[field] = v
	return v, true
}

// eval instantiates the template. field names the state field (Arguments,
// Output, ...) for AWS's error messages.
func (t *ataTmpl) eval(r *runner, sv *statesVar) (any, *Error) {
	switch {
	case t.static:
		return t.lit, nil
	case t.expr != nil:
		return r.evalJSONata(t, sv)
	case t.isArr:
		out := make([]any, len(t.items))
		for i, it := range t.items {
			v, err := it.eval(r, sv)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	out := make(map[string]any, len(t.keys))
	for _, k := range t.keys {
		v, err := t.fields[k].eval(r, sv)
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// statesFields are the fields $states may have.
var statesFields = []string{"input", "result", "errorOutput", "context"}

// statesObject builds $states with the fields the expression reads (all
// of them when it uses $states whole).
func (r *runner) statesObject(sv *statesVar, use *jsonata.VarRef) any {
	st := jsonata.NewObject()
	for _, f := range statesFields {
		if !use.Whole && !slices.Contains(use.Fields, f) {
			continue
		}
		if f == "context" {
			st.Set("context", jsonata.FromGo(r.contextObject()))
		} else if v, ok := sv.value(f); ok {
			st.Set(f, v)
		}
	}
	return st
}

// evalJSONata evaluates one expression. Only what it reads is converted
// to evaluator values: its input when it reads it, $states' fields it
// names, the workflow variables it looks up.
func (r *runner) evalJSONata(t *ataTmpl, sv *statesVar) (any, *Error) {
	refs := t.expr.Refs()
	var input any
	if refs.Input {
		input, _ = sv.value("input")
	}
	opt := jsonata.Options{
		Library: r.x.sm.engine.jsonataLibrary(),
		Now:     r.clock().Now(),
		Lookup: func(name string) (any, bool) {
			if name == reservedVariable {
				use := refs.Var(name)
				if use == nil {
					use = &jsonata.VarRef{Whole: true}
				}
				return r.statesObject(sv, use), true
			}
			v, ok := r.vars.lookup(name)
			if !ok {
				return nil, false
			}
			return jsonata.FromGo(v), true
		},
	}
	v, err := t.expr.Eval(input, &opt)
	if err != nil {
		return nil, evalError(fieldName(t.at), "An error occurred while executing the state '%s'. The JSONata expression '%s' specified for the field '%s' threw an error during evaluation. %v", r.stateName, t.src, fieldName(t.at), err)
	}
	g, defined := jsonata.ToGo(v)
	if !defined {
		return nil, evalError(fieldName(t.at), "An error occurred while executing the state '%s'. The JSONata expression '%s' specified for the field '%s' returned nothing (undefined).", r.stateName, t.src, fieldName(t.at))
	}
	return g, nil
}

// fieldName is the last field of a JSON path, as AWS's messages name it.
func fieldName(at string) string {
	if i := strings.Index(at, ".States."); i >= 0 {
		rest := at[i+len(".States."):]
		if j := strings.IndexAny(rest, ".["); j >= 0 {
			return strings.TrimPrefix(rest[j:], ".")
		}
	}
	return at
}

// jsonataLibrary is the functions AWS adds to JSONata in Step Functions,
// made once per engine.
func (e *Engine) jsonataLibrary() *jsonata.Library {
	e.ataLibOnce.Do(func() {
		lib, err := jsonata.NewLibrary(e.awsFunctions())
		if err != nil {
			panic("states: AWS's JSONata functions: " + err.Error()) // their signatures are constants
		}
		e.ataLib = lib
	})
	return e.ataLib
}

func (e *Engine) awsFunctions() map[string]jsonata.Function {
	return map[string]jsonata.Function{
		"partition": {Signature: "<:s>", Fn: func([]any) (any, error) { return "aws", nil }},
		"uuid":      {Signature: "<:s>", Fn: func([]any) (any, error) { return e.env.UUID(), nil }},
		"range": {Signature: "<nnn:a<n>>", Arity: 3, Fn: func(a []any) (any, error) {
			start, end, step := a[0].(float64), a[1].(float64), a[2].(float64)
			if step == 0 || start != math.Trunc(start) || end != math.Trunc(end) || step != math.Trunc(step) {
				return nil, &jsonata.Error{Code: "D3001", Position: -1, Message: "$range needs integer arguments and a step other than 0"}
			}
			out := []any{}
			for v := start; (step > 0 && v <= end) || (step < 0 && v >= end); v += step {
				if len(out) >= 1000 {
					return nil, &jsonata.Error{Code: "D3001", Position: -1, Message: "$range returns at most 1000 items"}
				}
				out = append(out, json.Number(fmt.Sprint(v)))
			}
			return jsonata.FromGo(out), nil
		}},
		"hash": {Signature: "<ss:s>", Arity: 2, Fn: func(a []any) (any, error) {
			var h hash.Hash
			switch a[1].(string) {
			case "MD5":
				h = md5.New()
			case "SHA-1":
				h = sha1.New()
			case "SHA-256":
				h = sha256.New()
			case "SHA-384":
				h = sha512.New384()
			case "SHA-512":
				h = sha512.New()
			default:
				return nil, &jsonata.Error{Code: "D3001", Position: -1, Message: fmt.Sprintf("unsupported hash algorithm %q", a[1])}
			}
			h.Write([]byte(a[0].(string)))
			return hex.EncodeToString(h.Sum(nil)), nil
		}},
		"random": {Signature: "<n?:n>", Arity: 1, Fn: func(a []any) (any, error) {
			if len(a) > 0 && a[0] != nil {
				seed := uint64(a[0].(float64))
				return rand.New(rand.NewPCG(seed, seed)).Float64(), nil
			}
			return rand.Float64(), nil
		}},
		"parse": {Signature: "<s:j>", Arity: 1, Fn: func(a []any) (any, error) {
			v, err := jsonata.ParseJSON([]byte(a[0].(string)))
			if err != nil {
				return nil, &jsonata.Error{Code: "D3001", Position: -1, Message: fmt.Sprintf("$parse: not valid JSON: %v", err)}
			}
			return v, nil
		}},
	}
}

// queryFields reads a state's QueryLanguage, rejects the fields that do not
// belong to it, and compiles Arguments, Output and Assign.
func (p *parser) queryFields(o *object, typ string) *queryFields {
	ql := p.ql
	if v, ok := o.str("QueryLanguage", false); ok {
		switch {
		case v != queryJSONPath && v != queryJSONata:
			p.errorf(o.at("QueryLanguage"), "must be \"JSONPath\" or \"JSONata\", got %q", v)
		case p.ql == queryJSONata && v == queryJSONPath:
			p.errorf(o.at("QueryLanguage"), "a state cannot use JSONPath when the state machine's QueryLanguage is JSONata")
		default:
			ql = v
		}
	}
	q := &queryFields{jsonata: ql == queryJSONata}
	drop := func(fields []string, msg string) {
		for _, f := range fields {
			if o.has(f) {
				o.used[f] = true
				p.errorf(o.at(f), msg, f)
				delete(o.m, f)
			}
		}
	}
	if q.jsonata {
		drop(jsonPathOnly, "the field %q is not supported in a JSONata state (use Arguments, Output, Items or {% %} expressions)")
		if v, ok := o.raw("Arguments"); ok {
			if typ != "Task" && typ != "Parallel" {
				p.errorf(o.at("Arguments"), "field is not allowed in a %s state", typ)
			} else if s, isStr := v.(string); isStr && !isExpr(s) {
				p.errorf(o.at("Arguments"), "must be a JSON object or a JSONata expression")
			} else {
				q.arguments = p.ataTemplate(o.at("Arguments"), v)
			}
		}
		if v, ok := o.raw("Output"); ok {
			if typ == "Fail" {
				p.errorf(o.at("Output"), "field is not allowed in a Fail state")
			} else {
				q.output = p.ataTemplate(o.at("Output"), v)
			}
		}
	} else {
		drop(jsonataOnly, "the field %q is only allowed in JSONata states")
	}
	if o.has("Assign") {
		if typ == "Succeed" || typ == "Fail" {
			o.used["Assign"] = true
			p.errorf(o.at("Assign"), "field is not allowed in a %s state", typ)
		} else {
			q.assign = p.assignField(o, q.jsonata)
		}
	}
	return q
}
