package jsonata

import "fmt"

// node is one node of the abstract syntax tree, before and after the
// rewriting pass (processAST) that turns '.' chains into paths, attaches
// predicates, grouping, sorting, focus and index bindings, and resolves
// the parent operator.
type node struct {
	typ   string
	value any
	pos   int

	lhs, rhs    *node
	pairs       [][2]*node // object constructor
	terms       []sortTerm // order-by
	expressions []*node
	expression  *node
	steps       []*node
	procedure   *node
	arguments   []*node
	signature   *signature
	body        *node
	condition   *node
	then, els   *node
	pattern     *node
	update, del *node

	predicate []*stage
	stages    []*stage
	group     *groupExpr

	keepArray          bool
	keepSingletonArray bool
	consarray          bool
	tuple              bool
	thunk              bool
	focus, index       string
	ancestor           *slot
	slot               *slot
	seekingParent      []*slot
	nextFunction       string
}

type sortTerm struct {
	descending bool
	expression *node
}

type stage struct {
	typ   string // filter or index
	expr  *node
	value string
	pos   int
}

type groupExpr struct {
	pairs [][2]*node
	pos   int
}

type slot struct {
	label string
	level int
	index int
}

func (n *node) str() string {
	s, _ := n.value.(string)
	return s
}

type parser struct {
	lex  *lexer
	tok  *token // current token
	id   string // current symbol id
	src  []rune
	anc  []*node
	lbl  int
	aidx int
}

// Compile parses a JSONata expression.
func Compile(src string) (e *Expr, err error) {
	ast, err := parse(src)
	if err != nil {
		return nil, err
	}
	return &Expr{ast: ast, src: src, refs: refsOf(ast)}, nil
}

type parseErr struct{ e *Error }

func parse(src string) (ast *node, err error) {
	p := &parser{lex: &lexer{src: []rune(src)}, src: []rune(src)}
	defer func() {
		if r := recover(); r != nil {
			pe, ok := r.(parseErr)
			if !ok {
				panic(r)
			}
			ast, err = nil, pe.e
		}
	}()
	p.advance("", false)
	expr := p.expression(0)
	if p.id != "(end)" {
		p.fail("S0201", p.tok.pos, fmt.Sprint(p.tok.value), "syntax error: %v", p.tok.value)
	}
	expr = p.process(expr)
	if expr.typ == "parent" || expr.seekingParent != nil {
		p.fail("S0217", expr.pos, expr.typ, "the parent of this expression cannot be derived")
	}
	return expr, nil
}

func (p *parser) fail(code string, pos int, tok string, format string, args ...any) {
	panic(parseErr{newErr(code, pos, tok, format, args...)})
}

// infixSymbols are the symbols with a left binding power (the others,
// such as ':' and ';', only stop an expression).
var infixSymbols = map[string]bool{
	".": true, "+": true, "-": true, "*": true, "/": true, "%": true, "=": true, "<": true, ">": true,
	"!=": true, "<=": true, ">=": true, "&": true, "and": true, "or": true, "in": true, "~>": true,
	"(": true, "[": true, "^": true, "{": true, ":=": true, "@": true, "#": true, "?": true,
}

// lbp is the left binding power of the current symbol.
func (p *parser) lbp() int {
	if infixSymbols[p.id] {
		return operators[p.id]
	}
	return 0
}

func (p *parser) advance(id string, infix bool) {
	if id != "" && p.id != id {
		code := "S0202"
		if p.id == "(end)" {
			code = "S0203"
		}
		tok := ""
		if p.tok != nil {
			tok = fmt.Sprint(p.tok.value)
		}
		pos := len(p.src)
		if p.tok != nil {
			pos = p.tok.pos
		}
		p.fail(code, pos, tok, "expected %s, got %s", id, tok)
	}
	t, err := p.lex.next(infix)
	if err != nil {
		panic(parseErr{err.(*Error)})
	}
	if t == nil {
		p.tok = &token{typ: "end", value: "(end)", pos: len(p.src)}
		p.id = "(end)"
		return
	}
	p.tok = t
	switch t.typ {
	case "name", "variable":
		p.id = "(name)"
	case "operator":
		p.id = t.value.(string)
		switch p.id {
		case "!", "~":
			p.fail("S0204", t.pos, p.id, "unknown operator: %s", p.id)
		}
	case "string", "number", "value":
		p.id = "(literal)"
	case "regex":
		p.id = "(regex)"
	}
}

func (p *parser) expression(rbp int) *node {
	t, id := p.tok, p.id
	p.advance("", true)
	left := p.nud(t, id)
	for rbp < p.lbp() {
		t, id = p.tok, p.id
		p.advance("", false)
		left = p.led(t, id, left)
	}
	return left
}

func (p *parser) nud(t *token, id string) *node {
	n := &node{typ: t.typ, value: t.value, pos: t.pos}
	switch id {
	case "(end)":
		return &node{typ: "end", value: "(end)", pos: t.pos}
	case "(name)", "(literal)", "(regex)":
		return n
	case "and", "or", "in":
		n.typ = "operator"
		return n
	case "-":
		n.typ = "unary"
		n.expression = p.expression(70)
		return n
	case "*":
		n.typ = "wildcard"
		return n
	case "**":
		n.typ = "descendant"
		return n
	case "%":
		n.typ = "parent"
		return n
	case "(":
		var exprs []*node
		for p.id != ")" {
			exprs = append(exprs, p.expression(0))
			if p.id != ";" {
				break
			}
			p.advance(";", false)
		}
		p.advance(")", true)
		n.typ = "block"
		n.expressions = exprs
		return n
	case "[":
		var a []*node
		if p.id != "]" {
			for {
				item := p.expression(0)
				if p.id == ".." {
					r := &node{typ: "binary", value: "..", pos: p.tok.pos, lhs: item}
					p.advance("..", false)
					r.rhs = p.expression(0)
					item = r
				}
				a = append(a, item)
				if p.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance("]", true)
		n.typ = "unary"
		n.expressions = a
		return n
	case "{":
		n.typ = "unary"
		n.pairs = p.objectPairs()
		return n
	case "|":
		n.typ = "transform"
		n.pattern = p.expression(0)
		p.advance("|", false)
		n.update = p.expression(0)
		if p.id == "," {
			p.advance(",", false)
			n.del = p.expression(0)
		}
		p.advance("|", false)
		return n
	case "?":
		n.typ = "operator"
		return n
	}
	p.fail("S0211", t.pos, fmt.Sprint(t.value), "the symbol %v cannot be used as a unary operator", t.value)
	return nil
}

func (p *parser) objectPairs() [][2]*node {
	var a [][2]*node
	if p.id != "}" {
		for {
			k := p.expression(0)
			p.advance(":", false)
			v := p.expression(0)
			a = append(a, [2]*node{k, v})
			if p.id != "," {
				break
			}
			p.advance(",", false)
		}
	}
	p.advance("}", true)
	return a
}

func (p *parser) led(t *token, id string, left *node) *node {
	n := &node{typ: t.typ, value: t.value, pos: t.pos}
	switch id {
	case ".", "+", "-", "*", "/", "%", "=", "<", ">", "!=", "<=", ">=", "&", "and", "or", "in", "~>":
		n.lhs = left
		n.rhs = p.expression(operators[id])
		n.typ = "binary"
		return n
	case "(":
		n.procedure = left
		n.typ = "function"
		if p.id != ")" {
			for {
				if p.tok.typ == "operator" && p.id == "?" {
					n.typ = "partial"
					n.arguments = append(n.arguments, &node{typ: "operator", value: "?", pos: p.tok.pos})
					p.advance("?", false)
				} else {
					n.arguments = append(n.arguments, p.expression(0))
				}
				if p.id != "," {
					break
				}
				p.advance(",", false)
			}
		}
		p.advance(")", true)
		if left.typ == "name" && (left.value == "function" || left.value == "λ") {
			for i, a := range n.arguments {
				if a.typ != "variable" {
					p.fail("S0208", a.pos, fmt.Sprint(a.value), "parameter %d of a function definition must be a variable name (start with $)", i+1)
				}
			}
			n.typ = "lambda"
			if p.id == "<" {
				sigPos := p.tok.pos
				depth := 1
				sig := "<"
				for depth > 0 && p.id != "{" && p.id != "(end)" {
					p.advance("", false)
					if p.id == ">" {
						depth--
					} else if p.id == "<" {
						depth++
					}
					sig += fmt.Sprint(p.tok.value)
				}
				p.advance(">", false)
				s, err := parseSignature(sig)
				if err != nil {
					err.Position += sigPos
					panic(parseErr{err})
				}
				n.signature = s
			}
			p.advance("{", false)
			n.body = p.expression(0)
			p.advance("}", false)
		}
		return n
	case "[":
		if p.id == "]" {
			step := left
			for step != nil && step.typ == "binary" && step.value == "[" {
				step = step.lhs
			}
			step.keepArray = true
			p.advance("]", false)
			return left
		}
		n.lhs = left
		n.rhs = p.expression(operators["]"])
		n.typ = "binary"
		p.advance("]", true)
		return n
	case "^":
		p.advance("(", false)
		var terms []sortTerm
		for {
			term := sortTerm{}
			if p.id == "<" {
				p.advance("<", false)
			} else if p.id == ">" {
				term.descending = true
				p.advance(">", false)
			}
			term.expression = p.expression(0)
			terms = append(terms, term)
			if p.id != "," {
				break
			}
			p.advance(",", false)
		}
		p.advance(")", false)
		n.lhs = left
		n.terms = terms
		n.typ = "binary"
		return n
	case "{":
		n.lhs = left
		n.pairs = p.objectPairs()
		n.typ = "binary"
		return n
	case ":=":
		if left.typ != "variable" {
			p.fail("S0212", left.pos, fmt.Sprint(left.value), "the left side of := must be a variable name (start with $)")
		}
		n.lhs = left
		n.rhs = p.expression(operators[":="] - 1)
		n.typ = "binary"
		return n
	case "@", "#":
		n.lhs = left
		n.rhs = p.expression(operators[id])
		if n.rhs.typ != "variable" {
			p.fail("S0214", n.rhs.pos, id, "the right side of %s must be a variable name (start with $)", id)
		}
		n.typ = "binary"
		return n
	case "?":
		n.typ = "condition"
		n.condition = left
		n.then = p.expression(0)
		if p.id == ":" {
			p.advance(":", false)
			n.els = p.expression(0)
		}
		return n
	}
	p.fail("S0201", t.pos, fmt.Sprint(t.value), "syntax error: %v", t.value)
	return nil
}

func tailCallOptimize(e *node) *node {
	switch {
	case e.typ == "function" && e.predicate == nil:
		return &node{typ: "lambda", thunk: true, pos: e.pos, body: e}
	case e.typ == "condition":
		e.then = tailCallOptimize(e.then)
		if e.els != nil {
			e.els = tailCallOptimize(e.els)
		}
	case e.typ == "block":
		if n := len(e.expressions); n > 0 {
			e.expressions[n-1] = tailCallOptimize(e.expressions[n-1])
		}
	}
	return e
}

func (p *parser) seekParent(n *node, s *slot) *slot {
	switch n.typ {
	case "name", "wildcard":
		s.level--
		if s.level == 0 {
			if n.ancestor == nil {
				n.ancestor = s
			} else {
				p.anc[s.index].slot.label = n.ancestor.label
				n.ancestor = s
			}
			n.tuple = true
		}
	case "parent":
		s.level++
	case "block":
		if len(n.expressions) > 0 {
			n.tuple = true
			s = p.seekParent(n.expressions[len(n.expressions)-1], s)
		}
	case "path":
		n.tuple = true
		i := len(n.steps) - 1
		s = p.seekParent(n.steps[i], s)
		i--
		for s.level > 0 && i >= 0 {
			s = p.seekParent(n.steps[i], s)
			i--
		}
	default:
		p.fail("S0217", n.pos, n.typ, "the parent of a %s expression cannot be derived", n.typ)
	}
	return s
}

func pushAncestry(result, value *node) {
	if value.seekingParent != nil || value.typ == "parent" {
		slots := value.seekingParent
		if value.typ == "parent" {
			slots = append(slots, value.slot)
		}
		result.seekingParent = append(result.seekingParent, slots...)
		if result.seekingParent == nil {
			result.seekingParent = []*slot{}
		}
	}
}

func (p *parser) resolveAncestry(path *node) {
	last := path.steps[len(path.steps)-1]
	slots := last.seekingParent
	if last.typ == "parent" {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		i := len(path.steps) - 2
		for s.level > 0 {
			if i < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.steps[i]
			i--
			for i >= 0 && step.focus != "" && path.steps[i].focus != "" {
				step = path.steps[i]
				i--
			}
			s = p.seekParent(step, s)
		}
	}
}

// process is jsonata-js's processAST.
func (p *parser) process(e *node) *node {
	var result *node
	switch e.typ {
	case "binary":
		switch e.value {
		case ".":
			lstep := p.process(e.lhs)
			if lstep.typ == "path" {
				result = lstep
			} else {
				result = &node{typ: "path", steps: []*node{lstep}}
			}
			if lstep.typ == "parent" {
				result.seekingParent = []*slot{lstep.slot}
			}
			rest := p.process(e.rhs)
			if rest.typ == "function" && rest.procedure.typ == "path" && len(rest.procedure.steps) == 1 &&
				rest.procedure.steps[0].typ == "name" && result.steps[len(result.steps)-1].typ == "function" {
				result.steps[len(result.steps)-1].nextFunction = rest.procedure.steps[0].str()
			}
			if rest.typ == "path" {
				result.steps = append(result.steps, rest.steps...)
			} else {
				if rest.predicate != nil {
					rest.stages = rest.predicate
					rest.predicate = nil
				}
				result.steps = append(result.steps, rest)
			}
			for _, step := range result.steps {
				if step.typ == "number" || step.typ == "value" {
					p.fail("S0213", step.pos, "", "the literal value %v cannot be used as a step within a path expression", step.value)
				}
				if step.typ == "string" {
					step.typ = "name"
				}
			}
			for _, step := range result.steps {
				if step.keepArray {
					result.keepSingletonArray = true
				}
			}
			first := result.steps[0]
			if first.typ == "unary" && first.value == "[" {
				first.consarray = true
			}
			last := result.steps[len(result.steps)-1]
			if last.typ == "unary" && last.value == "[" {
				last.consarray = true
			}
			p.resolveAncestry(result)
		case "[":
			result = p.process(e.lhs)
			step := result
			isStages := false
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
				isStages = true
			}
			if step.group != nil {
				p.fail("S0209", e.pos, "", "a predicate cannot follow a grouping expression in a step")
			}
			pred := p.process(e.rhs)
			if pred.seekingParent != nil {
				for _, s := range pred.seekingParent {
					if s.level == 1 {
						p.seekParent(step, s)
					} else {
						s.level--
					}
				}
				pushAncestry(step, pred)
			}
			st := &stage{typ: "filter", expr: pred, pos: e.pos}
			if isStages {
				step.stages = append(step.stages, st)
			} else {
				step.predicate = append(step.predicate, st)
			}
		case "{":
			result = p.process(e.lhs)
			if result.group != nil {
				p.fail("S0210", e.pos, "", "each step can only have one grouping expression")
			}
			g := &groupExpr{pos: e.pos}
			for _, pr := range e.pairs {
				g.pairs = append(g.pairs, [2]*node{p.process(pr[0]), p.process(pr[1])})
			}
			result.group = g
		case "^":
			result = p.process(e.lhs)
			if result.typ != "path" {
				result = &node{typ: "path", steps: []*node{result}}
			}
			sortStep := &node{typ: "sort", pos: e.pos}
			for _, t := range e.terms {
				ex := p.process(t.expression)
				pushAncestry(sortStep, ex)
				sortStep.terms = append(sortStep.terms, sortTerm{descending: t.descending, expression: ex})
			}
			result.steps = append(result.steps, sortStep)
			p.resolveAncestry(result)
		case ":=":
			result = &node{typ: "bind", value: e.value, pos: e.pos}
			result.lhs = p.process(e.lhs)
			result.rhs = p.process(e.rhs)
			pushAncestry(result, result.rhs)
		case "@":
			result = p.process(e.lhs)
			step := result
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
			}
			if step.stages != nil || step.predicate != nil {
				p.fail("S0215", e.pos, "", "a context variable binding must precede any predicates on a step")
			}
			if step.typ == "sort" {
				p.fail("S0216", e.pos, "", "a context variable binding must precede the 'order-by' clause on a step")
			}
			if e.keepArray {
				step.keepArray = true
			}
			step.focus = e.rhs.str()
			step.tuple = true
		case "#":
			result = p.process(e.lhs)
			step := result
			if result.typ == "path" {
				step = result.steps[len(result.steps)-1]
			} else {
				result = &node{typ: "path", steps: []*node{result}}
				if step.predicate != nil {
					step.stages = step.predicate
					step.predicate = nil
				}
			}
			if step.stages == nil {
				step.index = e.rhs.str()
			} else {
				step.stages = append(step.stages, &stage{typ: "index", value: e.rhs.str(), pos: e.pos})
			}
			step.tuple = true
		case "~>":
			result = &node{typ: "apply", value: e.value, pos: e.pos}
			result.lhs = p.process(e.lhs)
			result.rhs = p.process(e.rhs)
			result.keepArray = result.lhs.keepArray || result.rhs.keepArray
		default:
			result = &node{typ: e.typ, value: e.value, pos: e.pos}
			result.lhs = p.process(e.lhs)
			result.rhs = p.process(e.rhs)
			pushAncestry(result, result.lhs)
			pushAncestry(result, result.rhs)
		}
	case "unary":
		result = &node{typ: e.typ, value: e.value, pos: e.pos}
		switch e.value {
		case "[":
			for _, it := range e.expressions {
				v := p.process(it)
				pushAncestry(result, v)
				result.expressions = append(result.expressions, v)
			}
			if result.expressions == nil {
				result.expressions = []*node{}
			}
		case "{":
			for _, pr := range e.pairs {
				k := p.process(pr[0])
				pushAncestry(result, k)
				v := p.process(pr[1])
				pushAncestry(result, v)
				result.pairs = append(result.pairs, [2]*node{k, v})
			}
		default:
			result.expression = p.process(e.expression)
			if e.value == "-" && result.expression.typ == "number" {
				result = result.expression
				result.value = -result.value.(float64)
			} else {
				pushAncestry(result, result.expression)
			}
		}
	case "function", "partial":
		result = &node{typ: e.typ, value: e.value, pos: e.pos}
		for _, a := range e.arguments {
			v := p.process(a)
			pushAncestry(result, v)
			result.arguments = append(result.arguments, v)
		}
		result.procedure = p.process(e.procedure)
	case "lambda":
		result = &node{typ: e.typ, arguments: e.arguments, signature: e.signature, pos: e.pos}
		result.body = tailCallOptimize(p.process(e.body))
	case "condition":
		result = &node{typ: e.typ, pos: e.pos}
		result.condition = p.process(e.condition)
		pushAncestry(result, result.condition)
		result.then = p.process(e.then)
		pushAncestry(result, result.then)
		if e.els != nil {
			result.els = p.process(e.els)
			pushAncestry(result, result.els)
		}
	case "transform":
		result = &node{typ: e.typ, pos: e.pos}
		result.pattern = p.process(e.pattern)
		result.update = p.process(e.update)
		if e.del != nil {
			result.del = p.process(e.del)
		}
	case "block":
		result = &node{typ: e.typ, pos: e.pos}
		for _, it := range e.expressions {
			part := p.process(it)
			pushAncestry(result, part)
			if part.consarray || (part.typ == "path" && part.steps[0].consarray) {
				result.consarray = true
			}
			result.expressions = append(result.expressions, part)
		}
	case "name":
		result = &node{typ: "path", steps: []*node{e}}
		if e.keepArray {
			result.keepSingletonArray = true
		}
	case "parent":
		result = &node{typ: "parent", pos: e.pos, slot: &slot{label: fmt.Sprintf("!%d", p.lbl), level: 1, index: p.aidx}}
		p.lbl++
		p.aidx++
		p.anc = append(p.anc, result)
	case "string", "number", "value", "wildcard", "descendant", "variable", "regex":
		result = e
	case "operator":
		if e.value == "and" || e.value == "or" || e.value == "in" {
			e.typ = "name"
			result = p.process(e)
		} else if e.value == "?" {
			result = e
		} else {
			p.fail("S0201", e.pos, fmt.Sprint(e.value), "syntax error: %v", e.value)
		}
	case "end":
		p.fail("S0207", e.pos, "(end)", "unexpected end of expression")
	default:
		p.fail("S0206", e.pos, fmt.Sprint(e.value), "unknown expression type: %v", e.value)
	}
	if e.keepArray {
		result.keepArray = true
	}
	return result
}
