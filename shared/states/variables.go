package states

import (
	"strings"
	"sync"
)

// Workflow variables (Assign), as AWS scopes them: the top level of an
// execution is one scope; each Parallel branch and inline Map iteration
// runs in a scope of its own that reads the outer ones, so what it assigns
// never leaks out; a Distributed Map's child executions start empty.
// Values take effect when the assigning state exits: every expression of a
// state sees the variables as they were when it was entered.

// Size limits AWS puts on variables.
const (
	MaxVariableBytes       = 256 * 1024       // one variable's value, as JSON
	MaxAssignBytes         = 256 * 1024       // all values one Assign sets
	MaxExecutionVarsBytes  = 10 * 1024 * 1024 // all variables of an execution
	reservedVariable       = "states"
	errVariableSizeExceeds = ErrRuntime
)

type varScope struct {
	mu     sync.Mutex
	vars   map[string]any
	sizes  map[string]int
	total  *int64 // shared by the execution's scopes
	parent *varScope
	tmu    *sync.Mutex
}

func newRootScope() *varScope {
	var t int64
	return &varScope{vars: map[string]any{}, sizes: map[string]int{}, total: &t, tmu: &sync.Mutex{}}
}

func (s *varScope) child() *varScope {
	return &varScope{vars: map[string]any{}, sizes: map[string]int{}, total: s.total, tmu: s.tmu, parent: s}
}

func (s *varScope) lookup(name string) (any, bool) {
	for sc := s; sc != nil; sc = sc.parent {
		sc.mu.Lock()
		v, ok := sc.vars[name]
		sc.mu.Unlock()
		if ok {
			return v, true
		}
	}
	return nil, false
}

// set stores values in this scope, enforcing the size limits.
func (s *varScope) set(stateName string, vals map[string]any) (map[string]string, *Error) {
	shown := make(map[string]string, len(vals))
	sum := 0
	sizes := make(map[string]int, len(vals))
	for k, v := range vals {
		b, err := marshal(v)
		if err != nil {
			return nil, newError(ErrRuntime, "state %q: variable %q: %v", stateName, k, err)
		}
		if len(b) > MaxVariableBytes {
			return nil, newError(errVariableSizeExceeds, "The state '%s' assigned the variable '%s' a value of %d bytes, more than the %d bytes allowed.", stateName, k, len(b), MaxVariableBytes)
		}
		sum += len(b)
		sizes[k] = len(b)
		shown[k] = string(b)
	}
	if sum > MaxAssignBytes {
		return nil, newError(errVariableSizeExceeds, "The state '%s' assigned %d bytes of variables, more than the %d bytes one Assign may set.", stateName, sum, MaxAssignBytes)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tmu.Lock()
	defer s.tmu.Unlock()
	delta := int64(0)
	for k, n := range sizes {
		delta += int64(n - s.sizes[k])
	}
	if *s.total+delta > MaxExecutionVarsBytes {
		return nil, newError(errVariableSizeExceeds, "The state '%s' would bring the execution's variables to %d bytes, more than the %d bytes allowed.", stateName, *s.total+delta, MaxExecutionVarsBytes)
	}
	*s.total += delta
	for k, v := range vals {
		s.vars[k] = v
		s.sizes[k] = sizes[k]
	}
	return shown, nil
}

// assignSpec is a compiled Assign field: JSONata templates, or JSONPath
// templates (keys ending in .$ select from the state's result).
type assignSpec struct {
	ata  *ataTmpl
	path *tmpl
	keys []string
}

// assignField reads o's Assign field for a state (or Choice Rule or
// Catcher) in the given language; scope is the graph it belongs to.
func (p *parser) assignField(o *object, jsonataState bool) *assignSpec {
	v, ok := o.raw("Assign")
	if !ok {
		return nil
	}
	m, isObj := v.(map[string]any)
	if !isObj {
		p.errorf(o.at("Assign"), "must be a JSON object, got %s", jsonType(v))
		return nil
	}
	a := &assignSpec{}
	for _, k := range sortedKeys(m) {
		name := strings.TrimSuffix(k, ".$")
		at := child(o.at("Assign"), k)
		if !identRE.MatchString(name) {
			p.errorf(at, "variable name %q must start with a letter or underscore and contain only letters, digits and underscores", name)
		}
		if name == reservedVariable {
			p.errorf(at, "the variable name %q is reserved", name)
		}
		if jsonataState && strings.HasSuffix(k, ".$") {
			p.errorf(at, "a JSONata state's Assign cannot use JSONPath keys ending in .$; use {%% %%} expressions")
		}
		a.keys = append(a.keys, name)
		p.assigned = append(p.assigned, assignment{scope: p.scope, name: name, at: at})
	}
	if jsonataState {
		a.ata = p.ataTemplate(o.at("Assign"), v)
	} else {
		a.path = p.template(o.at("Assign"), v)
	}
	return a
}

// assignment is one variable name an Assign sets, for the scope check.
type assignment struct {
	scope int
	name  string
	at    string
}

// checkScopes reports Assigns in a Map iteration or Parallel branch that
// set a variable an enclosing scope sets: inner states read outer
// variables but cannot assign them.
func (p *parser) checkScopes() {
	byScope := map[int]map[string]bool{}
	for _, a := range p.assigned {
		if byScope[a.scope] == nil {
			byScope[a.scope] = map[string]bool{}
		}
		byScope[a.scope][a.name] = true
	}
	for _, a := range p.assigned {
		for s := p.scopeParent[a.scope]; s >= 0; s = p.scopeParent[s] {
			if byScope[s][a.name] {
				p.errorf(a.at, "the variable %q is assigned in an enclosing scope: states inside a Map or Parallel can read it but not assign it", a.name)
				break
			}
		}
	}
}

// eval computes the values an Assign sets. In JSONata it sees $states;
// in JSONPath, $ is value (the state's result, or its input for states
// without one).
func (a *assignSpec) eval(r *runner, sv *statesVar, value any) (map[string]any, *Error) {
	var v any
	var err *Error
	if a.ata != nil {
		v, err = a.ata.eval(r, sv)
	} else {
		v, err = a.path.eval(value, r)
	}
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	return m, nil
}
