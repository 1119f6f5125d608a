package states

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// Definition is a parsed and validated state machine definition. It is
// immutable and safe to execute many times concurrently.
type Definition struct {
	Comment        string
	TimeoutSeconds int64
	top            *graph
	tasks          []*taskState // every Task state, nested ones included
	errorNames     []string
	keyOrder       bool // some intrinsic calls States.JsonToString: keep raw texts for key order
}

// ErrorNames returns every error name that a Retry or Catch of the
// definition matches (ErrorEquals), sorted and without duplicates: a test
// can check that some handler can raise each of them.
func (d *Definition) ErrorNames() []string { return d.errorNames }

// Resources returns the Resource of every Task state (nested ones
// included), sorted and without duplicates.
func (d *Definition) Resources() []string {
	var out []string
	for _, t := range d.tasks {
		out = append(out, t.resource)
	}
	return sortedUnique(out)
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// graph is a StartAt + States pair: the top level, a Parallel branch or a
// Map's ItemProcessor.
type graph struct {
	startAt string
	states  map[string]state
	order   []string // state names, sorted
}

// state is one compiled state.
type state interface {
	base() *common
	// exec runs the state once on its raw input and returns its output and
	// the name of the next state ("" to end the graph).
	exec(r *runner, in any) (out any, next string, err *Error)
}

// common holds the fields that several state types share.
type common struct {
	name, typ      string
	path           string // JSON path of the state in the definition
	comment        string
	next           string
	end            bool
	inputPath      *path
	outputPath     *path
	resultPath     *refPath
	parameters     *tmpl
	resultSelector *tmpl
	retry          []*retrier
	catch          []*catcher
	q              *queryFields
}

func (c *common) base() *common { return c }

// Parse parses and validates a definition (JSONPath query language). It
// returns a *ValidationError listing every problem with its JSON path.
// Task resources are not checked against handlers here; Engine.Parse does.
func Parse(def []byte) (*Definition, error) {
	d, p := parseDefinition(def)
	if err := p.err(); err != nil {
		return nil, err
	}
	return d, nil
}

// parseDefinition parses as much as it can, collecting problems in p.
func parseDefinition(def []byte) (*Definition, *parser) {
	p := &parser{}
	v, err := decodeJSON(def)
	if err != nil {
		p.errorf("$", "not valid JSON: %v", err)
		return nil, p
	}
	d := &Definition{}
	o := p.object("$", v)
	d.Comment, _ = o.str("Comment", false)
	p.ql = queryJSONPath
	if ql, ok := o.str("QueryLanguage", false); ok {
		if ql != queryJSONPath && ql != queryJSONata {
			p.errorf(o.at("QueryLanguage"), "must be \"JSONPath\" or \"JSONata\", got %q", ql)
		} else {
			p.ql = ql
		}
	}
	if ver, ok := o.str("Version", false); ok && ver != "1.0" {
		p.errorf(o.at("Version"), "must be \"1.0\", got %q", ver)
	}
	if n, ok := o.integer("TimeoutSeconds", 0, 99999999); ok {
		d.TimeoutSeconds = n
	}
	d.top = p.graph(o, &d.tasks)
	o.done("a state machine")
	p.checkScopes()
	d.errorNames = sortedUnique(append([]string(nil), p.errorNames...))
	d.keyOrder = p.keyOrder
	return d, p
}

// graph parses StartAt and States of o, and checks reachability.
func (p *parser) graph(o *object, tasks *[]*taskState) *graph {
	if p.scopeParent == nil {
		p.scopeParent = []int{-1}
	} else {
		outer := p.scope
		p.scope = len(p.scopeParent)
		p.scopeParent = append(p.scopeParent, outer)
		defer func() { p.scope = outer }()
	}
	g := &graph{states: map[string]state{}}
	start, hasStart := o.str("StartAt", true)
	g.startAt = start
	sv, ok := o.raw("States")
	if !ok {
		p.errorf(o.at("States"), "required field is missing")
		return g
	}
	so := p.object(o.at("States"), sv)
	for _, name := range sortedKeys(so.m) {
		so.used[name] = true
		at := so.at(name)
		if len(name) > 80 {
			p.errorf(at, "state name is longer than 80 characters")
		}
		if s := p.state(name, at, so.m[name], tasks); s != nil {
			g.states[name] = s
			g.order = append(g.order, name)
		}
	}
	if len(so.m) == 0 {
		p.errorf(so.path, "must contain at least one state")
	}
	if hasStart {
		if _, ok := so.m[g.startAt]; !ok {
			p.errorf(o.at("StartAt"), "state %q does not exist", g.startAt)
		}
	}
	// Transitions must name states of this graph; every state must be
	// reachable from StartAt; some state must end.
	for _, name := range g.order {
		s := g.states[name]
		for _, t := range transitions(s) {
			if _, ok := so.m[t.to]; !ok {
				p.errorf(t.at, "state %q does not exist", t.to)
			}
		}
	}
	reached := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		s, ok := g.states[n]
		if !ok || reached[n] {
			return
		}
		reached[n] = true
		for _, t := range transitions(s) {
			visit(t.to)
		}
	}
	visit(g.startAt)
	if _, ok := g.states[g.startAt]; ok {
		for _, name := range g.order {
			if !reached[name] {
				p.errorf(so.at(name), "state is not reachable from StartAt %q", g.startAt)
			}
		}
	}
	terminalFound := false
	for _, name := range g.order {
		switch s := g.states[name].(type) {
		case *succeedState, *failState:
			terminalFound = true
		default:
			if s.base().end {
				terminalFound = true
			}
		}
	}
	if len(g.order) > 0 && !terminalFound {
		p.errorf(so.path, "no terminal state: some state must be End, Succeed or Fail")
	}
	return g
}

type transition struct {
	to string
	at string
}

func transitions(s state) []transition {
	c := s.base()
	var out []transition
	if c.next != "" {
		out = append(out, transition{c.next, child(c.path, "Next")})
	}
	for i, k := range c.catch {
		out = append(out, transition{k.next, child(index(child(c.path, "Catch"), i), "Next")})
	}
	if ch, ok := s.(*choiceState); ok {
		for i, r := range ch.choices {
			out = append(out, transition{r.next, child(index(child(c.path, "Choices"), i), "Next")})
		}
		if ch.defaultNext != "" {
			out = append(out, transition{ch.defaultNext, child(c.path, "Default")})
		}
	}
	return out
}

// state parses one state by its Type.
func (p *parser) state(name, at string, v any, tasks *[]*taskState) state {
	o := p.object(at, v)
	typ, ok := o.str("Type", true)
	if !ok {
		return nil
	}
	c := common{name: name, typ: typ, path: at}
	c.comment, _ = o.str("Comment", false)
	c.q = p.queryFields(o, typ)
	outerJSONata := p.jsonata
	p.jsonata = c.q.jsonata
	defer func() { p.jsonata = outerJSONata }()
	var s state
	switch typ {
	case "Pass":
		s = p.passState(o, c)
	case "Task":
		t := p.taskState(o, c)
		*tasks = append(*tasks, t)
		s = t
	case "Choice":
		s = p.choiceState(o, c)
	case "Wait":
		s = p.waitState(o, c)
	case "Succeed":
		s = p.succeedState(o, c)
	case "Fail":
		s = p.failState(o, c)
	case "Parallel":
		s = p.parallelState(o, c, tasks)
	case "Map":
		s = p.mapState(o, c, tasks)
	default:
		p.errorf(o.at("Type"), "unknown state type %q", typ)
		return nil
	}
	o.done("a " + typ + " state")
	return s
}

// Field groups by state type, following the specification's table.
func (p *parser) nextOrEnd(o *object, c *common) {
	next, hasNext := o.str("Next", false)
	end, hasEnd := o.boolean("End")
	switch {
	case hasNext && hasEnd && end:
		p.errorf(o.at("End"), "a state cannot have both Next and End")
	case hasNext:
		c.next = next
	case hasEnd && end:
		c.end = true
	case hasEnd && !end:
		p.errorf(o.at("End"), "End must be true when present")
	default:
		p.errorf(o.path, "a %s state must have Next or End", c.typ)
	}
}

func (p *parser) inputOutput(o *object, c *common) {
	c.inputPath = o.pathField("InputPath")
	c.outputPath = o.pathField("OutputPath")
}

func (p *parser) resultPath(o *object, c *common) {
	c.resultPath = o.refPath("ResultPath")
}

func (p *parser) params(o *object, c *common, field string) *tmpl {
	v, ok := o.raw(field)
	if !ok {
		return nil
	}
	if _, isObj := v.(map[string]any); !isObj {
		p.errorf(o.at(field), "must be a JSON object, got %s", jsonType(v))
		return nil
	}
	return p.template(o.at(field), v)
}

func sortStrings(s []string) { sort.Strings(s) }

// marshal encodes v as compact JSON without HTML escaping, like the Lambda
// runtime and Step Functions do.
func marshal(v any) ([]byte, error) {
	b, err := appendJSON(make([]byte, 0, 256), v)
	if err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	return b, nil
}

// marshalStd is marshal through encoding/json, for values of other types.
func marshalStd(v any) ([]byte, error) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		bufPool.Put(buf)
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	out := make([]byte, len(b))
	copy(out, b)
	bufPool.Put(buf)
	return out, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}
