package jsonata

import (
	"math"
	"strings"
	"time"
)

// Expr is a compiled JSONata expression, safe for concurrent use.
type Expr struct {
	ast  *node
	src  string
	refs *Refs
}

// Callable is a JSONata function value: a lambda, a built-in function, a
// partial application or a regular expression matcher.
type Callable interface {
	arity() int
}

type lambda struct {
	input  any
	env    *env
	params []string
	sig    *signature
	body   *node
	thunk  bool
}

func (l *lambda) arity() int { return len(l.params) }

// native is a built-in function.
type native struct {
	name  string
	sig   *signature
	nargs int
	fn    func(c *call, args []any) (any, error)
}

func (n *native) arity() int { return n.nargs }

// call is what a native function sees of its caller.
type call struct {
	env   *env
	input any
}

type placeholder struct{}

type partialFn struct {
	fn   Callable
	args []any // placeholder{} marks an unbound argument
}

func (p *partialFn) arity() int {
	n := 0
	for _, a := range p.args {
		if _, ok := a.(placeholder); ok {
			n++
		}
	}
	return n
}

type evalState struct {
	now      time.Time
	depth    int
	maxDepth int
	deadline time.Time
	steps    int
}

type env struct {
	vars   map[string]any
	parent *env
	st     *evalState
	lazy   func(name string) (any, bool) // the root's Options.Lookup
}

func newEnv(parent *env) *env {
	e := &env{vars: map[string]any{}, parent: parent}
	if parent != nil {
		e.st = parent.st
	}
	return e
}

func (e *env) bind(k string, v any) { e.vars[k] = v }

func (e *env) lookup(k string) any {
	for f := e; f != nil; f = f.parent {
		if v, ok := f.vars[k]; ok {
			return v
		}
		if f.lazy != nil {
			if v, ok := f.lazy(k); ok {
				f.vars[k] = v
				return v
			}
		}
	}
	return nil
}

// Options tune one evaluation.
type Options struct {
	// Bindings are variables visible to the expression, as evaluator
	// values (use FromGo for decoded JSON).
	Bindings map[string]any
	// Lookup, when set, gives the variables not in Bindings, on their
	// first use (each is looked up at most once per evaluation); ok is
	// false for a variable it does not have.
	Lookup func(name string) (v any, ok bool)
	// Functions are extra built-in functions.
	Functions map[string]Function
	// Library is extra built-in functions made once with NewLibrary, for
	// an embedder that evaluates many expressions with the same ones.
	Library *Library
	// MaxDepth bounds the evaluation's recursion depth (default 1000).
	MaxDepth int
	// Timeout bounds the evaluation time (default none).
	Timeout time.Duration
	// Now is $now()'s time (default time.Now()).
	Now time.Time
}

// Function is an extra built-in function with a JSONata signature such as
// "<s-:s>" ("" for none).
type Function struct {
	Signature string
	Arity     int
	Fn        func(args []any) (any, error)
}

// Library is a set of extra built-in functions, ready to share between
// evaluations (it is read-only once made).
type Library struct{ env *env }

// NewLibrary prepares functions for Options.Library.
func NewLibrary(functions map[string]Function) (*Library, error) {
	lib := &Library{env: &env{vars: make(map[string]any, len(functions)), parent: staticEnv}}
	for name, f := range functions {
		var sig *signature
		if f.Signature != "" {
			s, err := cachedSignature(f.Signature)
			if err != nil {
				return nil, err
			}
			sig = s
		}
		fn := f.Fn
		lib.env.bind(name, &native{name: name, sig: sig, nargs: f.Arity, fn: func(_ *call, args []any) (any, error) { return fn(args) }})
	}
	return lib, nil
}

// Eval evaluates the expression on input (an evaluator value; use FromGo
// or ParseJSON). It returns nil for an undefined result.
func (x *Expr) Eval(input any, opt *Options) (any, error) {
	if opt == nil {
		opt = &Options{}
	}
	st := &evalState{now: opt.Now, maxDepth: opt.MaxDepth}
	if st.now.IsZero() {
		st.now = time.Now()
	}
	if st.maxDepth == 0 {
		st.maxDepth = 1000
	}
	if opt.Timeout > 0 {
		st.deadline = time.Now().Add(opt.Timeout)
	}
	parent := staticEnv
	if opt.Library != nil {
		parent = opt.Library.env
	}
	root := &env{vars: map[string]any{}, parent: parent, st: st, lazy: opt.Lookup}
	if len(opt.Functions) > 0 {
		lib, err := NewLibrary(opt.Functions)
		if err != nil {
			return nil, err
		}
		lib.env.parent = parent
		root.parent = lib.env
	}
	for k, v := range opt.Bindings {
		root.bind(k, v)
	}
	root.bind("$", input)
	if a, ok := input.(*Array); ok && !a.seq {
		w := newSeq(a)
		w.outer = true
		input = w
	}
	return eval(x.ast, input, root)
}

func eval(e *node, input any, en *env) (result any, err error) {
	st := en.st
	st.depth++
	if st.depth > st.maxDepth {
		return nil, newErr("U1001", e.pos, "", "stack overflow: the expression recursed too deeply")
	}
	defer func() { st.depth-- }()
	if !st.deadline.IsZero() {
		st.steps++
		if st.steps%1024 == 0 && time.Now().After(st.deadline) {
			return nil, newErr("U1001", e.pos, "", "the expression took too long to evaluate")
		}
	}
	switch e.typ {
	case "path":
		result, err = evalPath(e, input, en)
	case "binary":
		result, err = evalBinary(e, input, en)
	case "unary":
		result, err = evalUnary(e, input, en)
	case "name":
		result = lookupField(input, e.str())
	case "string", "number", "value":
		result = e.value
	case "wildcard":
		result = evalWildcard(input)
	case "descendant":
		result = evalDescendants(input)
	case "parent":
		result = en.lookup(e.slot.label)
	case "condition":
		result, err = evalCondition(e, input, en)
	case "block":
		result, err = evalBlock(e, input, en)
	case "bind":
		result, err = eval(e.rhs, input, en)
		if err == nil {
			en.bind(e.lhs.str(), result)
		}
	case "regex":
		result = &matcher{re: e.value.(*regexValue), pos: e.pos}
	case "function":
		result, err = evalFunction(e, input, en, nil, false)
	case "variable":
		if e.str() == "" {
			if a, ok := input.(*Array); ok && a.outer {
				result = a.items[0]
			} else {
				result = input
			}
		} else {
			result = en.lookup(e.str())
		}
	case "lambda":
		result = &lambda{input: input, env: en, params: paramNames(e.arguments), sig: e.signature, body: e.body, thunk: e.thunk}
	case "partial":
		result, err = evalPartial(e, input, en)
	case "apply":
		result, err = evalApply(e, input, en)
	case "transform":
		result = evalTransform(e, en)
	case "operator":
		result = nil
	}
	if err != nil {
		return nil, err
	}
	for _, pr := range e.predicate {
		if result, err = evalFilter(pr.expr, result, en); err != nil {
			return nil, err
		}
	}
	if e.typ != "path" && e.group != nil {
		if result, err = evalGroup(e.group, result, en); err != nil {
			return nil, err
		}
	}
	if a, ok := result.(*Array); ok && a.seq && !a.tupleStream {
		if e.keepArray {
			a.keepSingleton = true
		}
		switch {
		case len(a.items) == 0:
			result = nil
		case len(a.items) == 1 && !a.keepSingleton:
			result = a.items[0]
		}
	}
	return result, nil
}

func paramNames(args []*node) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = a.str()
	}
	return out
}

func evalPath(e *node, input any, en *env) (any, error) {
	var inSeq *Array
	if a, ok := input.(*Array); ok && e.steps[0].typ != "variable" {
		inSeq = a
	} else {
		inSeq = newSeq(input)
	}
	var resSeq *Array
	isTuple := false
	var tuples *Array
	for i, step := range e.steps {
		if step.tuple {
			isTuple = true
		}
		var err error
		if i == 0 && step.consarray {
			var r any
			r, err = eval(step, inSeq, en)
			if err != nil {
				return nil, err
			}
			if r == nil {
				resSeq = nil
			} else {
				resSeq = asSeqKeep(r)
			}
		} else if isTuple {
			tuples, err = evalTupleStep(step, inSeq, tuples, en)
		} else {
			resSeq, err = evalStep(step, inSeq, en, i == len(e.steps)-1)
		}
		if err != nil {
			return nil, err
		}
		if !isTuple && (resSeq == nil || len(resSeq.items) == 0) {
			break
		}
		if step.focus == "" {
			inSeq = resSeq
		}
	}
	if isTuple {
		if e.tuple {
			resSeq = tuples
		} else {
			resSeq = newSeq()
			if tuples != nil {
				for _, t := range tuples.items {
					resSeq.push(t.(tuple)["@"])
				}
			}
		}
	}
	if e.keepSingletonArray {
		if resSeq != nil && resSeq.cons && !resSeq.seq {
			resSeq = newSeq(resSeq)
		}
		if resSeq == nil {
			resSeq = newSeq()
		}
		resSeq.keepSingleton = true
	}
	var result any
	if resSeq != nil {
		result = resSeq
	}
	if e.group != nil {
		var in any = result
		if isTuple {
			in = tuples
		}
		return evalGroup(e.group, in, en)
	}
	return result, nil
}

// asSeqKeep returns v as an array without wrapping an array.
func asSeqKeep(v any) *Array {
	if a, ok := v.(*Array); ok {
		return a
	}
	return newSeq(v)
}

func frameFromTuple(en *env, t tuple) *env {
	f := newEnv(en)
	for k, v := range t {
		f.bind(k, v)
	}
	return f
}

func evalStep(e *node, input *Array, en *env, last bool) (*Array, error) {
	if e.typ == "sort" {
		r, err := evalSort(e, input, en)
		if err != nil {
			return nil, err
		}
		if e.stages != nil {
			return evalStages(e.stages, r, en)
		}
		return r, nil
	}
	result := newSeq()
	for _, item := range input.items {
		res, err := eval(e, item, en)
		if err != nil {
			return nil, err
		}
		for _, s := range e.stages {
			if res, err = evalFilter(s.expr, res, en); err != nil {
				return nil, err
			}
		}
		if res != nil {
			result.push(res)
		}
	}
	if last && len(result.items) == 1 {
		if a, ok := result.items[0].(*Array); ok && !a.seq {
			return a, nil
		}
	}
	out := newSeq()
	for _, res := range result.items {
		if a, ok := res.(*Array); ok && !a.cons {
			out.items = append(out.items, a.items...)
		} else {
			out.push(res)
		}
	}
	return out, nil
}

func evalStages(stages []*stage, input *Array, en *env) (*Array, error) {
	result := input
	for _, s := range stages {
		switch s.typ {
		case "filter":
			r, err := evalFilter(s.expr, result, en)
			if err != nil {
				return nil, err
			}
			result = asSeqKeep(r)
		case "index":
			for i, t := range result.items {
				t.(tuple)[s.value] = float64(i)
			}
		}
	}
	return result, nil
}

func evalTupleStep(e *node, input *Array, tuples *Array, en *env) (*Array, error) {
	if e.typ == "sort" {
		var result *Array
		if tuples != nil {
			r, err := evalSort(e, tuples, en)
			if err != nil {
				return nil, err
			}
			result = r
		} else {
			sorted, err := evalSort(e, input, en)
			if err != nil {
				return nil, err
			}
			result = newSeq()
			result.tupleStream = true
			for i, v := range sorted.items {
				t := tuple{"@": v}
				if e.index != "" {
					t[e.index] = float64(i)
				}
				result.push(t)
			}
		}
		if e.stages != nil {
			return evalStages(e.stages, result, en)
		}
		return result, nil
	}
	result := newSeq()
	result.tupleStream = true
	if tuples == nil {
		tuples = newSeq()
		if input != nil {
			for _, it := range input.items {
				tuples.push(tuple{"@": it})
			}
		}
	}
	for _, tv := range tuples.items {
		t := tv.(tuple)
		stepEnv := frameFromTuple(en, t)
		res, err := eval(e, t["@"], stepEnv)
		if err != nil {
			return nil, err
		}
		if res == nil {
			continue
		}
		ra, ok := res.(*Array)
		if !ok {
			ra = &Array{items: []any{res}}
		}
		for bb, r := range ra.items {
			nt := tuple{}
			for k, v := range t {
				nt[k] = v
			}
			if ra.tupleStream {
				for k, v := range r.(tuple) {
					nt[k] = v
				}
			} else {
				if e.focus != "" {
					nt[e.focus] = r
					nt["@"] = t["@"]
				} else {
					nt["@"] = r
				}
				if e.index != "" {
					nt[e.index] = float64(bb)
				}
				if e.ancestor != nil {
					nt[e.ancestor.label] = t["@"]
				}
			}
			result.push(nt)
		}
	}
	if e.stages != nil {
		return evalStages(e.stages, result, en)
	}
	return result, nil
}

func evalFilter(pred *node, input any, en *env) (any, error) {
	results := newSeq()
	in, isArr := input.(*Array)
	if isArr && in.tupleStream {
		results.tupleStream = true
	}
	if !isArr {
		in = newSeq(input)
	}
	if pred.typ == "number" {
		idx := int(math.Floor(pred.value.(float64)))
		if idx < 0 {
			idx = len(in.items) + idx
		}
		if idx >= 0 && idx < len(in.items) {
			item := in.items[idx]
			if item != nil {
				if a, ok := item.(*Array); ok {
					return a, nil
				}
				results.push(item)
			}
		}
		return results, nil
	}
	for idx, item := range in.items {
		ctx := item
		fe := en
		if in.tupleStream {
			ctx = item.(tuple)["@"]
			fe = frameFromTuple(en, item.(tuple))
		}
		res, err := eval(pred, ctx, fe)
		if err != nil {
			return nil, err
		}
		if isNumber(res) {
			res = &Array{items: []any{res}}
		}
		if isArrayOfNumbers(res) && len(res.(*Array).items) > 0 {
			for _, r := range res.(*Array).items {
				ii := int(math.Floor(r.(float64)))
				if ii < 0 {
					ii = len(in.items) + ii
				}
				if ii == idx {
					results.push(item)
				}
			}
		} else if b, _ := toBoolean(res); b {
			results.push(item)
		}
	}
	return results, nil
}

func evalBinary(e *node, input any, en *env) (any, error) {
	lhs, err := eval(e.lhs, input, en)
	if err != nil {
		return nil, err
	}
	op := e.str()
	if op == "and" || op == "or" {
		l := boolize(lhs)
		if op == "and" && !l {
			return false, nil
		}
		if op == "or" && l {
			return true, nil
		}
		rhs, err := eval(e.rhs, input, en)
		if err != nil {
			return nil, err
		}
		return boolize(rhs), nil
	}
	rhs, err := eval(e.rhs, input, en)
	if err != nil {
		return nil, err
	}
	var r any
	switch op {
	case "+", "-", "*", "/", "%":
		r, err = numericOp(lhs, rhs, op)
	case "=", "!=":
		if lhs == nil || rhs == nil {
			return false, nil
		}
		eq := deepEqual(lhs, rhs)
		if op == "=" {
			return eq, nil
		}
		return !eq, nil
	case "<", "<=", ">", ">=":
		r, err = compareOp(lhs, rhs, op)
	case "&":
		var ls, rs string
		if lhs != nil {
			if ls, err = toStringFn(lhs, false); err != nil {
				break
			}
		}
		if rhs != nil {
			if rs, err = toStringFn(rhs, false); err != nil {
				break
			}
		}
		r = ls + rs
	case "..":
		r, err = rangeOp(lhs, rhs)
	case "in":
		if lhs == nil || rhs == nil {
			return false, nil
		}
		ra, ok := rhs.(*Array)
		if !ok {
			ra = &Array{items: []any{rhs}}
		}
		for _, v := range ra.items {
			if strictEqual(v, lhs) {
				return true, nil
			}
		}
		return false, nil
	}
	if err != nil {
		return nil, withPos(err, e.pos, op)
	}
	return r, nil
}

// strictEqual is JavaScript's === on evaluator values.
func strictEqual(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string, bool, nullType:
		return a == b
	case *Array, *Object:
		return a == b
	}
	return false
}

func boolize(v any) bool {
	b, _ := toBoolean(v)
	return b
}

func numericOp(lhs, rhs any, op string) (any, error) {
	for _, v := range []any{lhs, rhs} {
		if f, ok := v.(float64); ok && math.IsInf(f, 0) {
			return nil, newErr("D1001", -1, op, "number out of range: %s", formatNumber(f))
		}
	}
	if lhs != nil && !isNumber(lhs) {
		return nil, newErr("T2001", -1, op, "the left side of the %s operator must evaluate to a number", op)
	}
	if rhs != nil && !isNumber(rhs) {
		return nil, newErr("T2002", -1, op, "the right side of the %s operator must evaluate to a number", op)
	}
	if lhs == nil || rhs == nil {
		return nil, nil
	}
	l, r := lhs.(float64), rhs.(float64)
	switch op {
	case "+":
		return l + r, nil
	case "-":
		return l - r, nil
	case "*":
		return l * r, nil
	case "/":
		return l / r, nil
	default:
		return math.Mod(l, r), nil
	}
}

func compareOp(lhs, rhs any, op string) (any, error) {
	comparable := func(v any) bool {
		switch v.(type) {
		case nil, string, float64:
			return true
		}
		return false
	}
	if !comparable(lhs) || !comparable(rhs) {
		return nil, newErr("T2010", -1, op, "the expressions either side of operator %s must evaluate to numeric or string values", op)
	}
	if lhs == nil || rhs == nil {
		return nil, nil
	}
	ls, lok := lhs.(string)
	rs, rok := rhs.(string)
	if lok != rok {
		return nil, newErr("T2009", -1, op, "the values %s and %s either side of operator %s must be of the same data type", describe(lhs), describe(rhs), op)
	}
	var c int
	if lok {
		c = strings.Compare(ls, rs)
	} else {
		l, r := lhs.(float64), rhs.(float64)
		switch {
		case l < r:
			c = -1
		case l > r:
			c = 1
		case l == r:
			c = 0
		default:
			return false, nil
		}
	}
	switch op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	default:
		return c >= 0, nil
	}
}

func isInteger(v any) bool {
	f, ok := v.(float64)
	return ok && f == math.Trunc(f) && !math.IsInf(f, 0)
}

func rangeOp(lhs, rhs any) (any, error) {
	if lhs != nil && !isInteger(lhs) {
		return nil, newErr("T2003", -1, "..", "the left side of the range operator (..) must evaluate to an integer")
	}
	if rhs != nil && !isInteger(rhs) {
		return nil, newErr("T2004", -1, "..", "the right side of the range operator (..) must evaluate to an integer")
	}
	if lhs == nil || rhs == nil {
		return nil, nil
	}
	l, r := lhs.(float64), rhs.(float64)
	if l > r {
		return nil, nil
	}
	size := r - l + 1
	if size > 1e7 {
		return nil, newErr("D2014", -1, "..", "the size of the sequence allocated by the range operator (..) must not exceed 1e7, got %s", formatNumber(size))
	}
	out := &Array{items: make([]any, 0, int(size)), seq: true}
	for v := l; v <= r; v++ {
		out.items = append(out.items, v)
	}
	return out, nil
}

func evalUnary(e *node, input any, en *env) (any, error) {
	switch e.value {
	case "-":
		r, err := eval(e.expression, input, en)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, nil
		}
		if isNumber(r) {
			return -r.(float64), nil
		}
		return nil, newErr("D1002", e.pos, "-", "cannot negate a non-numeric value: %s", describe(r))
	case "[":
		result := &Array{items: []any{}}
		for _, it := range e.expressions {
			v, err := eval(it, input, en)
			if err != nil {
				return nil, err
			}
			if v == nil {
				continue
			}
			if it.value == "[" {
				result.push(v)
			} else {
				result = appendValues(result, v)
			}
		}
		if e.consarray {
			result.cons = true
		}
		return result, nil
	case "{":
		return evalGroup(&groupExpr{pairs: e.pairs, pos: e.pos}, input, en)
	}
	return nil, nil
}

func lookupField(input any, key string) any {
	switch x := input.(type) {
	case *Array:
		result := newSeq()
		for _, it := range x.items {
			res := lookupField(it, key)
			if res == nil {
				continue
			}
			if a, ok := res.(*Array); ok {
				result.items = append(result.items, a.items...)
			} else {
				result.push(res)
			}
		}
		return result
	case *Object:
		return x.m[key]
	}
	return nil
}

func evalWildcard(input any) any {
	results := newSeq()
	if a, ok := input.(*Array); ok && a.outer && len(a.items) > 0 {
		input = a.items[0]
	}
	var values []any
	switch x := input.(type) {
	case *Object:
		for _, k := range x.keys {
			values = append(values, x.m[k])
		}
	case *Array:
		values = x.items
	default:
		return results
	}
	var acc *Array = results
	for _, v := range values {
		if a, ok := v.(*Array); ok {
			acc = appendValues(acc, flatten(a, &Array{}))
		} else {
			acc.push(v)
		}
	}
	return acc
}

func flatten(v any, into *Array) *Array {
	if a, ok := v.(*Array); ok {
		for _, it := range a.items {
			flatten(it, into)
		}
	} else {
		into.push(v)
	}
	return into
}

func evalDescendants(input any) any {
	if input == nil {
		return nil
	}
	res := newSeq()
	recurseDescendants(input, res)
	if len(res.items) == 1 {
		return res.items[0]
	}
	return res
}

func recurseDescendants(input any, res *Array) {
	a, isArr := input.(*Array)
	if !isArr {
		res.push(input)
	}
	if isArr {
		for _, it := range a.items {
			recurseDescendants(it, res)
		}
	} else if o, ok := input.(*Object); ok {
		for _, k := range o.keys {
			recurseDescendants(o.m[k], res)
		}
	}
}

// appendValues is jsonata-js's $append: a new plain array.
func appendValues(a1, a2 any) *Array {
	out := &Array{}
	if a, ok := a1.(*Array); ok {
		out.items = append(out.items, a.items...)
	} else if a1 != nil {
		out.items = append(out.items, a1)
	}
	if a, ok := a2.(*Array); ok {
		out.items = append(out.items, a.items...)
	} else if a2 != nil {
		out.items = append(out.items, a2)
	}
	return out
}

func fnAppend(a1, a2 any) any {
	if a1 == nil {
		return a2
	}
	if a2 == nil {
		return a1
	}
	return appendValues(a1, a2)
}

func evalGroup(g *groupExpr, input any, en *env) (any, error) {
	result := NewObject()
	type entry struct {
		data any
		idx  int
	}
	groups := map[string]*entry{}
	var order []string
	in, isArr := input.(*Array)
	reduce := isArr && in.tupleStream
	if !isArr {
		in = newSeq(input)
	}
	items := in.items
	if len(items) == 0 {
		items = []any{nil}
	}
	for _, item := range items {
		fe := en
		ctx := item
		if reduce {
			fe = frameFromTuple(en, item.(tuple))
			ctx = item.(tuple)["@"]
		}
		for pi, pair := range g.pairs {
			key, err := eval(pair[0], ctx, fe)
			if err != nil {
				return nil, err
			}
			if key == nil {
				continue
			}
			ks, ok := key.(string)
			if !ok {
				return nil, newErr("T1003", g.pos, "", "a key in an object structure must evaluate to a string, got %s", describe(key))
			}
			if ex, ok := groups[ks]; ok {
				if ex.idx != pi {
					return nil, newErr("D1009", g.pos, "", "multiple key definitions evaluate to the same key: %q", ks)
				}
				ex.data = fnAppend(ex.data, item)
			} else {
				groups[ks] = &entry{data: item, idx: pi}
				order = append(order, ks)
			}
		}
	}
	for _, k := range order {
		ent := groups[k]
		ctx := ent.data
		fe := en
		if reduce {
			t := reduceTuples(ent.data)
			ctx = t["@"]
			delete(t, "@")
			fe = frameFromTuple(en, t)
		}
		v, err := eval(g.pairs[ent.idx][1], ctx, fe)
		if err != nil {
			return nil, err
		}
		if v != nil {
			result.Set(k, v)
		}
	}
	return result, nil
}

func reduceTuples(v any) tuple {
	a, ok := v.(*Array)
	if !ok {
		t := tuple{}
		for k, x := range v.(tuple) {
			t[k] = x
		}
		return t
	}
	res := tuple{}
	for k, x := range a.items[0].(tuple) {
		res[k] = x
	}
	for _, it := range a.items[1:] {
		for k, x := range it.(tuple) {
			res[k] = fnAppend(res[k], x)
		}
	}
	return res
}

func evalCondition(e *node, input any, en *env) (any, error) {
	c, err := eval(e.condition, input, en)
	if err != nil {
		return nil, err
	}
	if b, _ := toBoolean(c); b {
		return eval(e.then, input, en)
	}
	if e.els != nil {
		return eval(e.els, input, en)
	}
	return nil, nil
}

func evalBlock(e *node, input any, en *env) (any, error) {
	var result any
	frame := newEnv(en)
	for _, x := range e.expressions {
		r, err := eval(x, input, frame)
		if err != nil {
			return nil, err
		}
		result = r
	}
	return result, nil
}

func evalSort(e *node, input *Array, en *env) (*Array, error) {
	tupleSort := input.tupleStream
	key := func(term sortTerm, v any) (any, error) {
		ctx, fe := v, en
		if tupleSort {
			ctx = v.(tuple)["@"]
			fe = frameFromTuple(en, v.(tuple))
		}
		return eval(term.expression, ctx, fe)
	}
	comparator := func(a, b any) (bool, error) {
		comp := 0
		for _, term := range e.terms {
			if comp != 0 {
				break
			}
			aa, err := key(term, a)
			if err != nil {
				return false, err
			}
			bb, err := key(term, b)
			if err != nil {
				return false, err
			}
			if aa == nil {
				if bb == nil {
					comp = 0
				} else {
					comp = 1
				}
				continue
			}
			if bb == nil {
				comp = -1
				continue
			}
			okType := func(v any) bool { return isString(v) || isNumberAny(v) }
			if !okType(aa) || !okType(bb) {
				bad := aa
				if okType(aa) {
					bad = bb
				}
				return false, newErr("T2008", e.pos, "", "the expressions within an order-by clause must evaluate to numeric or string values, got %s", describe(bad))
			}
			if isString(aa) != isString(bb) {
				return false, newErr("T2007", e.pos, "", "type mismatch when comparing values %s and %s in order-by clause", describe(aa), describe(bb))
			}
			if deepEqual(aa, bb) {
				continue
			}
			if less(aa, bb) {
				comp = -1
			} else {
				comp = 1
			}
			if term.descending {
				comp = -comp
			}
		}
		return comp == 1, nil
	}
	r, err := mergeSort(input.items, comparator)
	if err != nil {
		return nil, err
	}
	if len(input.items) <= 1 {
		return input, nil
	}
	out := &Array{items: r}
	if tupleSort {
		out.seq = true
		out.tupleStream = true
	}
	return out, nil
}

func isNumberAny(v any) bool { _, ok := v.(float64); return ok }

func less(a, b any) bool {
	if s, ok := a.(string); ok {
		return s < b.(string)
	}
	return a.(float64) < b.(float64)
}

// mergeSort is a stable sort where after(a, b) reports that a sorts after b.
func mergeSort(items []any, after func(a, b any) (bool, error)) ([]any, error) {
	if len(items) <= 1 {
		return items, nil
	}
	mid := len(items) / 2
	l, err := mergeSort(items[:mid:mid], after)
	if err != nil {
		return nil, err
	}
	r, err := mergeSort(items[mid:], after)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(items))
	for len(l) > 0 && len(r) > 0 {
		swap, err := after(l[0], r[0])
		if err != nil {
			return nil, err
		}
		if swap {
			out = append(out, r[0])
			r = r[1:]
		} else {
			out = append(out, l[0])
			l = l[1:]
		}
	}
	out = append(out, l...)
	return append(out, r...), nil
}

func evalTransform(e *node, en *env) any {
	return &native{name: "transform", nargs: 1, sig: mustSig("<(oa):o>"), fn: func(c *call, args []any) (any, error) {
		obj := args[0]
		if obj == nil {
			return nil, nil
		}
		cl := en.lookup("clone")
		if !isFunction(cl) {
			return nil, newErr("T2013", e.pos, "", "the transform expression clones the input with $clone(), which is not a function here")
		}
		result, err := apply(cl.(Callable), []any{obj}, nil, en)
		if err != nil {
			return nil, err
		}
		matches, err := eval(e.pattern, result, en)
		if err != nil {
			return nil, err
		}
		if matches == nil {
			return result, nil
		}
		ma, ok := matches.(*Array)
		if !ok {
			ma = &Array{items: []any{matches}}
		}
		for _, m := range ma.items {
			upd, err := eval(e.update, m, en)
			if err != nil {
				return nil, err
			}
			if upd != nil {
				uo, ok := upd.(*Object)
				if !ok {
					return nil, newErr("T2011", e.update.pos, "", "the insert/update clause of the transform expression must evaluate to an object, got %s", describe(upd))
				}
				if mo, ok := m.(*Object); ok {
					for _, k := range uo.keys {
						mo.Set(k, uo.m[k])
					}
				}
			}
			if e.del != nil {
				dels, err := eval(e.del, m, en)
				if err != nil {
					return nil, err
				}
				if dels != nil {
					da, ok := dels.(*Array)
					if !ok {
						da = &Array{items: []any{dels}}
					}
					if !isArrayOfStrings(da) {
						return nil, newErr("T2012", e.del.pos, "", "the delete clause of the transform expression must evaluate to a string or array of strings, got %s", describe(dels))
					}
					if mo, ok := m.(*Object); ok {
						for _, k := range da.items {
							mo.del(k.(string))
						}
					}
				}
			}
		}
		return result, nil
	}}
}

func evalApply(e *node, input any, en *env) (any, error) {
	lhs, err := eval(e.lhs, input, en)
	if err != nil {
		return nil, err
	}
	if e.rhs.typ == "function" {
		return evalFunction(e.rhs, input, en, lhs, true)
	}
	f, err := eval(e.rhs, input, en)
	if err != nil {
		return nil, err
	}
	fn, ok := f.(Callable)
	if !ok {
		return nil, newErr("T2006", e.pos, "", "the right side of the function application operator ~> must be a function")
	}
	if lf, ok := lhs.(Callable); ok {
		return &chain{f: lf, g: fn}, nil
	}
	return apply(fn, []any{lhs}, nil, en)
}

// chain is f ~> g for two functions: a function of one argument.
type chain struct{ f, g Callable }

func (c *chain) arity() int { return 1 }

func procName(e *node) string {
	if e.procedure.typ == "path" && len(e.procedure.steps) > 0 {
		return e.procedure.steps[0].str()
	}
	return e.procedure.str()
}

func evalFunction(e *node, input any, en *env, context any, hasContext bool) (any, error) {
	proc, err := eval(e.procedure, input, en)
	if err != nil {
		return nil, err
	}
	name := procName(e)
	if proc == nil && e.procedure.typ == "path" && en.lookup(name) != nil {
		return nil, newErr("T1005", e.pos, name, "attempted to invoke a non-function; did you mean $%s?", name)
	}
	var args []any
	if hasContext {
		args = append(args, context)
	}
	for _, a := range e.arguments {
		v, err := eval(a, input, en)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	r, err := apply(proc, args, input, en)
	if err != nil {
		return nil, withPos(err, e.pos, name)
	}
	return r, nil
}

func apply(proc any, args []any, input any, en *env) (any, error) {
	result, err := applyInner(proc, args, input, en)
	if err != nil {
		return nil, err
	}
	for {
		l, ok := result.(*lambda)
		if !ok || !l.thunk {
			return result, nil
		}
		next, err := eval(l.body.procedure, l.input, l.env)
		if err != nil {
			return nil, err
		}
		var eargs []any
		for _, a := range l.body.arguments {
			v, err := eval(a, l.input, l.env)
			if err != nil {
				return nil, err
			}
			eargs = append(eargs, v)
		}
		if result, err = applyInner(next, eargs, input, en); err != nil {
			return nil, withPos(err, l.body.pos, procName(l.body))
		}
	}
}

func applyInner(proc any, args []any, input any, en *env) (any, error) {
	switch f := proc.(type) {
	case *lambda:
		if f.sig != nil {
			v, err := f.sig.validate(args, input)
			if err != nil {
				return nil, err
			}
			args = v
		}
		fe := newEnv(f.env)
		fe.st = en.st
		for i, p := range f.params {
			var a any
			if i < len(args) {
				a = args[i]
			}
			fe.bind(p, a)
		}
		return eval(f.body, f.input, fe)
	case *native:
		if f.sig != nil {
			v, err := f.sig.validate(args, input)
			if err != nil {
				return nil, withPos(err, -1, f.name)
			}
			args = v
		}
		r, err := f.fn(&call{env: en, input: input}, args)
		if err != nil {
			return nil, withPos(err, -1, f.name)
		}
		return r, nil
	case *partialFn:
		full := make([]any, 0, len(f.args))
		i := 0
		for _, a := range f.args {
			if _, ok := a.(placeholder); ok {
				if i < len(args) {
					full = append(full, args[i])
				} else {
					full = append(full, nil)
				}
				i++
			} else {
				full = append(full, a)
			}
		}
		return apply(f.fn, full, input, en)
	case *chain:
		var a any
		if len(args) > 0 {
			a = args[0]
		}
		r, err := apply(f.f, []any{a}, nil, en)
		if err != nil {
			return nil, err
		}
		return apply(f.g, []any{r}, nil, en)
	case *matcher:
		var s any
		if len(args) > 0 {
			s = args[0]
		}
		str, _ := s.(string)
		return f.exec(str, 0)
	}
	return nil, newErr("T1006", -1, "", "attempted to invoke a non-function")
}

func evalPartial(e *node, input any, en *env) (any, error) {
	var args []any
	for _, a := range e.arguments {
		if a.typ == "operator" && a.value == "?" {
			args = append(args, placeholder{})
			continue
		}
		v, err := eval(a, input, en)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	proc, err := eval(e.procedure, input, en)
	if err != nil {
		return nil, err
	}
	name := procName(e)
	if proc == nil && e.procedure.typ == "path" && en.lookup(name) != nil {
		return nil, newErr("T1007", e.pos, name, "attempted to partially apply a non-function; did you mean $%s?", name)
	}
	switch f := proc.(type) {
	case *lambda:
		fe := newEnv(f.env)
		var unbound []string
		for i, p := range f.params {
			var a any
			if i < len(args) {
				a = args[i]
			}
			if _, ok := a.(placeholder); ok {
				unbound = append(unbound, p)
			} else {
				fe.bind(p, a)
			}
		}
		return &lambda{input: f.input, env: fe, params: unbound, body: f.body}, nil
	case Callable:
		n := f.arity()
		for len(args) < n {
			args = append(args, nil)
		}
		return &partialFn{fn: f, args: args}, nil
	}
	return nil, newErr("T1008", e.pos, name, "attempted to partially apply a non-function")
}

// matcher is a regular expression used as a function: applied to a
// string it returns the first match object (match, start, end, groups,
// next).
type matcher struct {
	re  *regexValue
	pos int
}

func (m *matcher) arity() int { return 1 }

func (m *matcher) exec(s string, from int) (any, error) {
	if from > len(s) {
		return nil, nil
	}
	loc := m.re.re.FindStringSubmatchIndex(s[from:])
	if loc == nil {
		return nil, nil
	}
	start, end := from+loc[0], from+loc[1]
	o := NewObject()
	o.Set("match", s[start:end])
	o.Set("start", float64(utf16Len(s[:start])))
	o.Set("end", float64(utf16Len(s[:end])))
	groups := &Array{items: []any{}}
	for g := 1; g*2 < len(loc); g++ {
		if loc[2*g] < 0 {
			groups.push("")
			continue
		}
		groups.push(s[from+loc[2*g] : from+loc[2*g+1]])
	}
	o.Set("groups", groups)
	next := end
	o.Set("next", &native{name: "next", fn: func(_ *call, _ []any) (any, error) {
		if next >= len(s) {
			return nil, nil
		}
		r, err := m.exec(s, next)
		if err != nil {
			return nil, err
		}
		if ro, ok := r.(*Object); ok && ro.m["match"] == "" {
			return nil, newErr("D1004", m.pos, "", "regular expression matches zero length string")
		}
		return r, nil
	}})
	o.m["_bytes"] = [2]int{start, end}
	return o, nil
}

func mustSig(s string) *signature {
	sig, err := parseSignature(s)
	if err != nil {
		panic(err)
	}
	return sig
}
