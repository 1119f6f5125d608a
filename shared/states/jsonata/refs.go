package jsonata

// Refs says what an expression reads, so that an embedder converts only
// that much of its data: whether it reads its input (the context value)
// and which variables it looks up, with the fields read directly after
// them ($states.input).
type Refs struct {
	// Input is false when no part of the expression can read the input:
	// no field name, wildcard, descendant or parent step at the top, no $
	// or $$, and no function call (a function may take the context as its
	// first argument).
	Input bool
	vars  map[string]*VarRef
}

// VarRef is how an expression uses one variable.
type VarRef struct {
	// Whole: the variable is used other than as $name.field.
	Whole bool
	// Fields are the names read as $name.field.
	Fields []string
}

// Var is how the expression uses the variable name; nil when it does not.
func (r *Refs) Var(name string) *VarRef { return r.vars[name] }

// Refs returns what the expression reads (conservatively: it may claim a
// read that does not happen, never the reverse).
func (x *Expr) Refs() *Refs { return x.refs }

func refsOf(ast *node) *Refs {
	r := &Refs{vars: map[string]*VarRef{}}
	r.walk(ast, false)
	return r
}

func (r *Refs) ref(name string) *VarRef {
	v := r.vars[name]
	if v == nil {
		v = &VarRef{}
		r.vars[name] = v
	}
	return v
}

// walk visits n; relative is true where the context is not the
// expression's input (path steps after the first, predicates, grouping).
func (r *Refs) walk(n *node, relative bool) {
	if n == nil {
		return
	}
	switch n.typ {
	case "name", "wildcard", "descendant", "function", "partial":
		r.Input = r.Input || !relative
	case "parent":
		r.Input = true
	case "variable":
		switch name := n.str(); name {
		case "":
			r.Input = r.Input || !relative
		case "$":
			r.Input = true
		default:
			r.ref(name).Whole = true
		}
	case "path":
		for i, s := range n.steps {
			if i == 0 && s.typ == "variable" && s.str() != "" && s.str() != "$" && len(n.steps) > 1 &&
				n.steps[1].typ == "name" && len(s.predicate) == 0 && len(s.stages) == 0 && s.group == nil {
				v := r.ref(s.str())
				v.Fields = append(v.Fields, n.steps[1].str())
				continue
			}
			r.walk(s, relative || i > 0)
		}
		r.walkRest(n, relative, true)
		return
	}
	r.walkRest(n, relative, false)
}

// walkRest visits n's children but its steps (a path's are done).
func (r *Refs) walkRest(n *node, relative, stepsDone bool) {
	for _, c := range []*node{n.lhs, n.rhs, n.expression, n.procedure, n.body, n.condition, n.then, n.els, n.pattern, n.update, n.del} {
		r.walk(c, relative)
	}
	for _, p := range n.pairs {
		r.walk(p[0], relative)
		r.walk(p[1], relative)
	}
	for _, t := range n.terms {
		r.walk(t.expression, true)
	}
	for _, c := range n.expressions {
		r.walk(c, relative)
	}
	for _, c := range n.arguments {
		r.walk(c, relative)
	}
	if !stepsDone {
		for _, c := range n.steps {
			r.walk(c, true)
		}
	}
	for _, s := range n.predicate {
		r.walk(s.expr, true)
	}
	for _, s := range n.stages {
		r.walk(s.expr, true)
	}
	if n.group != nil {
		for _, p := range n.group.pairs {
			r.walk(p[0], true)
			r.walk(p[1], true)
		}
	}
}
