package intrinsic

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

// SyntaxError reports a malformed invocation or one that breaks a rule that can
// be checked without data (argument count, literal argument types).
type SyntaxError struct {
	Expr   string
	Offset int // byte offset in Expr
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("intrinsic: invalid %q at offset %d: %s", e.Expr, e.Offset, e.Msg)
}

// Failure reports an invocation that failed at run time (wrong argument type
// or value). The engine maps it to States.IntrinsicFailure.
type Failure struct {
	Function string // e.g. "States.ArrayGetItem"
	Reason   string
	Err      error // the underlying error, e.g. a *jsonpath.NoMatch, if any
}

func (e *Failure) Error() string {
	return e.Function + ": " + e.Reason
}

func (e *Failure) Unwrap() error { return e.Err }

// Env supplies randomness so that tests can be deterministic. The zero value
// uses real randomness.
type Env struct {
	Rand func() float64 // in [0, 1); used by States.MathRandom without a seed
	UUID func() string  // used by States.UUID
	// Encode, when set, writes States.JsonToString's JSON (the engine keeps
	// its data's key order); nil is encoding/json, keys sorted.
	Encode func(v any) (string, error)
}

// Expr is a compiled intrinsic invocation. It is immutable and safe for
// concurrent use.
type Expr struct {
	src  string
	root *call
}

// String returns the expression as written.
func (e *Expr) String() string { return e.src }

type call struct {
	name string // "States.Format"
	fn   *function
	args []arg
}

type argKind uint8

const (
	argLit argKind = iota
	argPath
	argCall
)

type arg struct {
	kind argKind
	lit  any      // string, json.Number, bool or nil
	tmpl []string // string literals: the text split at unescaped {} (len = placeholders+1)
	path *jsonpath.Path
	call *call
}

// maxNesting is AWS's limit on nested intrinsic invocations within a field.
const maxNesting = 10

// IsIntrinsic reports whether s has the form of an intrinsic invocation,
// States.Name(...). It does not check the syntax: Compile does.
func IsIntrinsic(s string) bool {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "States.") || !strings.HasSuffix(s, ")") {
		return false
	}
	i := len("States.")
	for i < len(s) && isIdentByte(s[i]) {
		i++
	}
	return i > len("States.") && i < len(s) && s[i] == '('
}

// Compile parses an intrinsic invocation and checks what can be checked
// without data. Errors are *SyntaxError.
func Compile(expr string) (*Expr, error) {
	p := &parser{src: expr}
	p.skipWS()
	c, err := p.parseCall(1)
	if err != nil {
		return nil, err
	}
	p.skipWS()
	if p.pos != len(p.src) {
		return nil, p.errf("unexpected %q after the invocation", p.rest())
	}
	return &Expr{src: expr, root: c}, nil
}

// MustCompile is Compile that panics on error, for expressions fixed in source code.
func MustCompile(expr string) *Expr {
	e, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return e
}

type parser struct {
	src string
	pos int
}

func (p *parser) errf(format string, args ...any) error {
	return &SyntaxError{Expr: p.src, Offset: p.pos, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) rest() string {
	r := p.src[p.pos:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (p *parser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *parser) skipWS() {
	for p.pos < len(p.src) && isSpace(p.src[p.pos]) {
		p.pos++
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isIdentByte(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (p *parser) parseCall(depth int) (*call, error) {
	if depth > maxNesting {
		return nil, p.errf("intrinsic functions are nested more than %d deep", maxNesting)
	}
	start := p.pos
	if !strings.HasPrefix(p.src[p.pos:], "States.") {
		return nil, p.errf("expected States.<Function>(")
	}
	p.pos += len("States.")
	for p.pos < len(p.src) && isIdentByte(p.src[p.pos]) {
		p.pos++
	}
	name := p.src[start:p.pos]
	fn, ok := functions[name]
	if !ok {
		p.pos = start
		return nil, p.errf("unknown intrinsic function %q", name)
	}
	if p.peek() != '(' {
		return nil, p.errf("expected ( after %s", name)
	}
	p.pos++
	c := &call{name: name, fn: fn}
	argPos := []int{}
	p.skipWS()
	if p.peek() == ')' {
		p.pos++
	} else {
		for {
			p.skipWS()
			argPos = append(argPos, p.pos)
			a, err := p.parseArg(depth)
			if err != nil {
				return nil, err
			}
			c.args = append(c.args, a)
			p.skipWS()
			if p.peek() == ',' {
				p.pos++
				continue
			}
			if p.peek() == ')' {
				p.pos++
				break
			}
			return nil, p.errf("expected , or ) in the arguments of %s", name)
		}
	}
	if err := fn.checkArity(len(c.args)); err != nil {
		return nil, &SyntaxError{Expr: p.src, Offset: start, Msg: err.Error()}
	}
	for i, a := range c.args {
		if a.kind != argLit {
			continue
		}
		if err := fn.checkLiteral(i, a); err != nil {
			return nil, &SyntaxError{Expr: p.src, Offset: argPos[i], Msg: fmt.Sprintf("%s argument %d: %v", name, i+1, err)}
		}
	}
	if fn.compileCheck != nil {
		if err := fn.compileCheck(c); err != nil {
			return nil, &SyntaxError{Expr: p.src, Offset: start, Msg: err.Error()}
		}
	}
	return c, nil
}

func (p *parser) parseArg(depth int) (arg, error) {
	c := p.peek()
	switch {
	case c == '\'':
		return p.parseString()
	case c == '$':
		return p.parsePath()
	case c == '-' || (c >= '0' && c <= '9'):
		start := p.pos
		for p.pos < len(p.src) && strings.IndexByte("0123456789+-.eE", p.src[p.pos]) >= 0 {
			p.pos++
		}
		num := p.src[start:p.pos]
		if !json.Valid([]byte(num)) {
			p.pos = start
			return arg{}, p.errf("bad number %q", num)
		}
		return arg{kind: argLit, lit: json.Number(num)}, nil
	case strings.HasPrefix(p.src[p.pos:], "States."):
		sub, err := p.parseCall(depth + 1)
		if err != nil {
			return arg{}, err
		}
		return arg{kind: argCall, call: sub}, nil
	}
	for _, kw := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(p.src[p.pos:], kw.s) {
			after := p.pos + len(kw.s)
			if after < len(p.src) && isIdentByte(p.src[after]) {
				continue
			}
			p.pos = after
			return arg{kind: argLit, lit: kw.v}, nil
		}
	}
	return arg{}, p.errf("expected an argument ('string', number, true, false, null, $path or States.Function(...)), found %q", p.rest())
}

// parseString reads a single-quoted literal with the escapes \' \{ \} \\ and
// records where unescaped {} placeholders are.
func (p *parser) parseString() (arg, error) {
	p.pos++ // opening '
	var cur strings.Builder
	var parts []string
	for {
		if p.pos >= len(p.src) {
			return arg{}, p.errf("unterminated string literal")
		}
		c := p.src[p.pos]
		switch {
		case c == '\'':
			p.pos++
			parts = append(parts, cur.String())
			s := strings.Join(parts, "{}")
			if !utf8.ValidString(s) {
				return arg{}, p.errf("string literal is not valid UTF-8")
			}
			return arg{kind: argLit, lit: s, tmpl: parts}, nil
		case c == '\\':
			if p.pos+1 >= len(p.src) || strings.IndexByte(`'{}\`, p.src[p.pos+1]) < 0 {
				return arg{}, p.errf(`open escape: a backslash must be followed by ', {, } or \`)
			}
			cur.WriteByte(p.src[p.pos+1])
			p.pos += 2
		case c == '{' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '}':
			parts = append(parts, cur.String())
			cur.Reset()
			p.pos += 2
		default:
			cur.WriteByte(c)
			p.pos++
		}
	}
}

// parsePath finds the end of a path argument (a top-level ',' ')' or space,
// outside brackets, parentheses and quotes) and compiles it.
func (p *parser) parsePath() (arg, error) {
	start := p.pos
	brackets, parens := 0, 0
	var quote byte
scan:
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if quote != 0 {
			if c == '\\' {
				p.pos += 2
				continue
			}
			if c == quote {
				quote = 0
			}
			p.pos++
			continue
		}
		switch c {
		case '\'', '"':
			if brackets > 0 {
				quote = c
			}
		case '[':
			brackets++
		case ']':
			brackets--
		case '(':
			parens++
		case ')':
			if brackets <= 0 && parens == 0 {
				break scan
			}
			parens--
		case ',', ' ', '\t', '\n', '\r':
			if brackets <= 0 && parens == 0 {
				break scan
			}
		}
		p.pos++
	}
	if p.pos > len(p.src) {
		p.pos = len(p.src)
	}
	text := p.src[start:p.pos]
	path, err := jsonpath.Compile(text)
	if err != nil {
		p.pos = start
		return arg{}, p.errf("bad path argument: %v", err)
	}
	return arg{kind: argPath, path: path}, nil
}
