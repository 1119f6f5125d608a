package states

import (
	"encoding/json"
	"strings"
	"time"
)

// choiceState picks the Next state of the first matching Choice Rule, or
// Default; with neither it fails with States.NoChoiceMatched.
type choiceState struct {
	common
	choices     []*rule
	defaultNext string
}

// rule is a Choice Rule: a comparison on Variable, or And/Or/Not.
type rule struct {
	next string // top-level rules only

	// boolean combination
	and, or []*rule
	not     *rule

	// comparison
	variable *path
	op       string
	operand  any   // literal right-hand side
	opPath   *path // right-hand side for the ...Path operators
	pattern  []string

	cond *ataTmpl     // JSONata Condition
	q    *queryFields // a top-level rule's Assign and Output
}

var comparisonTypes = map[string]string{
	"StringEquals": "string", "StringLessThan": "string", "StringGreaterThan": "string",
	"StringLessThanEquals": "string", "StringGreaterThanEquals": "string", "StringMatches": "string",
	"NumericEquals": "number", "NumericLessThan": "number", "NumericGreaterThan": "number",
	"NumericLessThanEquals": "number", "NumericGreaterThanEquals": "number",
	"BooleanEquals":   "boolean",
	"TimestampEquals": "timestamp", "TimestampLessThan": "timestamp", "TimestampGreaterThan": "timestamp",
	"TimestampLessThanEquals": "timestamp", "TimestampGreaterThanEquals": "timestamp",
	"IsNull": "boolean", "IsPresent": "boolean", "IsNumeric": "boolean", "IsString": "boolean",
	"IsBoolean": "boolean", "IsTimestamp": "boolean",
}

func (p *parser) choiceState(o *object, c common) *choiceState {
	s := &choiceState{common: c}
	p.inputOutput(o, &s.common)
	s.defaultNext, _ = o.str("Default", false)
	v, ok := o.raw("Choices")
	arr, isArr := v.([]any)
	switch {
	case !ok:
		p.errorf(o.at("Choices"), "required field is missing")
	case !isArr:
		p.errorf(o.at("Choices"), "must be an array, got %s", jsonType(v))
	case len(arr) == 0:
		p.errorf(o.at("Choices"), "must contain at least one Choice Rule")
	}
	for i, e := range arr {
		s.choices = append(s.choices, p.rule(index(o.at("Choices"), i), e, true))
	}
	for _, f := range []string{"Next", "End"} {
		if o.has(f) {
			o.used[f] = true
			p.errorf(o.at(f), "a Choice state cannot have %s", f)
		}
	}
	return s
}

func (p *parser) rule(at string, v any, top bool) *rule {
	o := p.object(at, v)
	r := &rule{}
	if top {
		r.next, _ = o.str("Next", true)
	} else if o.has("Next") {
		o.used["Next"] = true
		p.errorf(o.at("Next"), "a nested Choice Rule cannot have Next")
	}
	o.str("Comment", false)
	if top {
		r.q = &queryFields{jsonata: p.jsonata}
		if p.jsonata {
			if v, ok := o.raw("Output"); ok {
				r.q.output = p.ataTemplate(o.at("Output"), v)
			}
		}
		r.q.assign = p.assignField(o, p.jsonata)
	}
	if p.jsonata {
		v, ok := o.raw("Condition")
		if !ok {
			p.errorf(o.at("Condition"), "required field is missing")
		} else if s, isStr := v.(string); isStr && isExpr(s) {
			r.cond = p.ataTemplate(o.at("Condition"), v)
		} else if b, isBool := v.(bool); isBool {
			r.cond = &ataTmpl{lit: b, static: true}
		} else {
			p.errorf(o.at("Condition"), "must be a JSONata expression {%% ... %%} or a boolean")
		}
		o.done("a JSONata Choice Rule")
		return r
	}
	var kinds []string
	for _, k := range sortedKeys(o.m) {
		if _, isCmp := comparisonTypes[k]; isCmp {
			kinds = append(kinds, k)
		} else if _, isCmp := comparisonTypes[strings.TrimSuffix(k, "Path")]; isCmp && strings.HasSuffix(k, "Path") {
			kinds = append(kinds, k)
		} else if k == "And" || k == "Or" || k == "Not" {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 {
		if len(kinds) == 0 {
			p.errorf(at, "Choice Rule has no comparison operator (or And, Or, Not)")
		} else {
			p.errorf(at, "Choice Rule must have exactly one comparison operator, has %s", strings.Join(kinds, ", "))
		}
		o.done("a Choice Rule")
		return r
	}
	k := kinds[0]
	val, _ := o.raw(k)
	switch k {
	case "And", "Or":
		arr, ok := val.([]any)
		if !ok || len(arr) == 0 {
			p.errorf(o.at(k), "must be a non-empty array of Choice Rules")
		}
		for i, e := range arr {
			sub := p.rule(index(o.at(k), i), e, false)
			if k == "And" {
				r.and = append(r.and, sub)
			} else {
				r.or = append(r.or, sub)
			}
		}
		if o.has("Variable") {
			o.used["Variable"] = true
			p.errorf(o.at("Variable"), "And/Or rules cannot have Variable")
		}
	case "Not":
		r.not = p.rule(o.at(k), val, false)
		if o.has("Variable") {
			o.used["Variable"] = true
			p.errorf(o.at("Variable"), "a Not rule cannot have Variable")
		}
	default:
		r.op = k
		if vs, ok := o.str("Variable", true); ok {
			r.variable = p.compilePath(o.at("Variable"), vs, true)
		}
		base := k
		isPath := false
		if _, direct := comparisonTypes[k]; !direct {
			base, isPath = strings.TrimSuffix(k, "Path"), true
		}
		if isPath {
			if base == "StringMatches" || strings.HasPrefix(base, "Is") {
				p.errorf(o.at(k), "unknown comparison operator %q", k)
			}
			s, ok := val.(string)
			if !ok {
				p.errorf(o.at(k), "must be a path, got %s", jsonType(val))
			} else {
				r.opPath = p.compilePath(o.at(k), s, true)
			}
			r.op = base
			break
		}
		switch comparisonTypes[base] {
		case "string":
			s, ok := val.(string)
			if !ok {
				p.errorf(o.at(k), "must be a string, got %s", jsonType(val))
			}
			r.operand = s
			if base == "StringMatches" {
				r.pattern = compilePattern(s)
			}
		case "number":
			n, ok := val.(json.Number)
			if !ok {
				p.errorf(o.at(k), "must be a number, got %s", jsonType(val))
				break
			}
			f, _ := n.Float64()
			r.operand = f
		case "boolean":
			b, ok := val.(bool)
			if !ok {
				p.errorf(o.at(k), "must be a boolean, got %s", jsonType(val))
			}
			r.operand = b
		case "timestamp":
			s, ok := val.(string)
			t, err := parseTimestamp(s)
			if !ok || err != nil {
				p.errorf(o.at(k), "must be an RFC 3339 timestamp, got %s", compactJSON(val))
			}
			r.operand = t
		}
	}
	o.done("a Choice Rule")
	return r
}

// compilePattern splits a StringMatches pattern into literal segments
// separated by unescaped '*' wildcards.
func compilePattern(s string) []string {
	var segs []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\'):
			cur.WriteByte(s[i+1])
			i++
		case s[i] == '*':
			segs = append(segs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	return append(segs, cur.String())
}

func matchPattern(segs []string, s string) bool {
	if len(segs) == 1 {
		return s == segs[0]
	}
	if !strings.HasPrefix(s, segs[0]) {
		return false
	}
	s = s[len(segs[0]):]
	last := segs[len(segs)-1]
	for _, mid := range segs[1 : len(segs)-1] {
		i := strings.Index(s, mid)
		if i < 0 {
			return false
		}
		s = s[i+len(mid):]
	}
	return strings.HasSuffix(s, last)
}

func (s *choiceState) exec(r *runner, raw any) (any, string, *Error) {
	in, err := r.inputPath(&s.common, raw)
	if err != nil {
		return nil, "", err
	}
	next := s.defaultNext
	matched := false
	for _, c := range s.choices {
		if c.cond != nil {
			ok, err := c.condition(r, in)
			if err != nil {
				return nil, "", err
			}
			if ok {
				if c.q.assign != nil || c.q.output != nil {
					out, err := r.assignOutput(c.q, &s.common, &statesVar{input: in}, in, in)
					return out, c.next, err
				}
				out, err := r.outputPath(&s.common, in)
				return out, c.next, err
			}
			continue
		}
		if ok, err := c.eval(r, in); err == nil && ok && c.q != nil && c.q.assign != nil {
			if err := r.evalAssign(c.q, nil, in); err != nil {
				return nil, "", err
			}
			out, err := r.pathOutput(&s.common, in)
			return out, c.next, err
		}
		ok, err := c.eval(r, in)
		if err != nil {
			return nil, "", err
		}
		if ok {
			next, matched = c.next, true
			break
		}
	}
	if !matched && next == "" {
		return nil, "", newError(ErrNoChoiceMatched, "No Matches!")
	}
	out, err := r.outputPath(&s.common, in)
	return out, next, err
}

func (c *rule) eval(r *runner, in any) (bool, *Error) {
	switch {
	case c.and != nil:
		for _, sub := range c.and {
			ok, err := sub.eval(r, in)
			if err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	case c.or != nil:
		for _, sub := range c.or {
			ok, err := sub.eval(r, in)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case c.not != nil:
		ok, err := c.not.eval(r, in)
		return !ok && err == nil, err
	}
	var ctx any
	if c.variable.ctx || (c.opPath != nil && c.opPath.ctx) {
		ctx = r.contextObject()
	}
	v, verr := c.variable.get(in, ctx)
	if c.op == "IsPresent" {
		return (verr == nil) == c.operand.(bool), nil
	}
	if verr != nil {
		return false, newError(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", c.variable.raw)
	}
	operand := c.operand
	if c.opPath != nil {
		o, err := c.opPath.get(in, ctx)
		if err != nil {
			return false, newError(ErrRuntime, "Invalid path '%s': The choice state's condition path references an invalid value.", c.opPath.raw)
		}
		operand = o
	}
	return compare(c.op, v, operand, c.pattern), nil
}

func compare(op string, v, operand any, pattern []string) bool {
	switch op {
	case "IsNull":
		return (v == nil) == operand.(bool)
	case "IsNumeric":
		_, ok := v.(json.Number)
		return ok == operand.(bool)
	case "IsString":
		_, ok := v.(string)
		return ok == operand.(bool)
	case "IsBoolean":
		_, ok := v.(bool)
		return ok == operand.(bool)
	case "IsTimestamp":
		s, ok := v.(string)
		if ok {
			_, err := parseTimestamp(s)
			ok = err == nil
		}
		return ok == operand.(bool)
	case "BooleanEquals":
		b, ok := v.(bool)
		o, ok2 := operand.(bool)
		return ok && ok2 && b == o
	case "StringMatches":
		s, ok := v.(string)
		return ok && matchPattern(pattern, s)
	}
	switch comparisonTypes[op] {
	case "string":
		s, ok := v.(string)
		o, ok2 := operand.(string)
		if !ok || !ok2 {
			return false
		}
		return ordered(op, strings.Compare(s, o))
	case "number":
		a, ok := toFloat(v)
		b, ok2 := toFloat(operand)
		if !ok || !ok2 {
			return false
		}
		switch {
		case a < b:
			return ordered(op, -1)
		case a > b:
			return ordered(op, 1)
		}
		return ordered(op, 0)
	case "timestamp":
		s, ok := v.(string)
		if !ok {
			return false
		}
		a, err := parseTimestamp(s)
		if err != nil {
			return false
		}
		var b time.Time
		switch o := operand.(type) {
		case time.Time:
			b = o
		case string:
			if b, err = parseTimestamp(o); err != nil {
				return false
			}
		default:
			return false
		}
		return ordered(op, a.Compare(b))
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func ordered(op string, cmp int) bool {
	switch {
	case strings.HasSuffix(op, "LessThanEquals"):
		return cmp <= 0
	case strings.HasSuffix(op, "GreaterThanEquals"):
		return cmp >= 0
	case strings.HasSuffix(op, "LessThan"):
		return cmp < 0
	case strings.HasSuffix(op, "GreaterThan"):
		return cmp > 0
	default:
		return cmp == 0
	}
}

// condition evaluates a JSONata Choice Rule's Condition, which must be a
// boolean.
func (c *rule) condition(r *runner, in any) (bool, *Error) {
	v, err := c.cond.eval(r, &statesVar{input: in})
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, evalError("Condition", "The Condition '%s' of the Choice state '%s' must evaluate to a boolean, got %s", c.cond.src, r.stateName, compactJSON(v))
	}
	return b, nil
}
