package jsonpath

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

type segKind uint8

const (
	segName     segKind = iota // .a  ['a']
	segIndex                   // [0]  [-1]
	segWildcard                // .*  [*]
	segNames                   // ['a','b']
	segIndexes                 // [0,2]
	segSlice                   // [1:3:1]
	segFilter                  // [?(...)]
)

type segment struct {
	kind    segKind
	deep    bool // preceded by ".."
	name    string
	index   int
	names   []string
	indexes []int
	slice   sliceSpec
	filter  expr
}

type sliceSpec struct {
	start, end, step int
	hasStart, hasEnd bool
}

// Path is a compiled Path or Reference Path. It is immutable and safe for
// concurrent use.
type Path struct {
	src      string
	context  bool // starts with "$$": evaluated against the context object
	segs     []segment
	definite bool // yields at most one value
	simple   bool // only non-deep names and indexes: the fast path
	merge    bool // last step is a multi-name leaf that yields one object
}

// String returns the path as written.
func (p *Path) String() string { return p.src }

// IsContext reports whether the path starts with "$$" (the context object).
func (p *Path) IsContext() bool { return p.context }

// IsDefinite reports whether the path selects at most one node; such a path
// returns that node itself, any other path returns a []any of matches.
func (p *Path) IsDefinite() bool { return p.definite }

// IsReference reports whether the path is a Reference Path: only member names
// and single indexes, no wildcards, slices, unions, filters or deep scans.
func (p *Path) IsReference() bool { return p.simple }

// maxDepth bounds filter and path nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// Compile parses a Path. Errors are *SyntaxError.
func Compile(path string) (*Path, error) {
	ps := &parser{src: path}
	p, err := ps.parsePath(false, 0)
	if err != nil {
		return nil, err
	}
	if ps.pos != len(ps.src) {
		return nil, ps.errf("unexpected %q", ps.rest())
	}
	return p, nil
}

// CompileReference parses a Reference Path (see ValidateReferencePath).
func CompileReference(path string) (*Path, error) {
	p, err := Compile(path)
	if err != nil {
		return nil, err
	}
	if !p.simple {
		return nil, &SyntaxError{Path: path, Offset: 0, Msg: "a Reference Path may contain only member names and single indexes (no *, .., [a,b], [:], [?()])"}
	}
	return p, nil
}

// MustCompile is Compile that panics on error, for paths fixed in source code.
func MustCompile(path string) *Path {
	p, err := Compile(path)
	if err != nil {
		panic(err)
	}
	return p
}

// ValidatePath reports whether path is a syntactically valid Path.
func ValidatePath(path string) error {
	_, err := Compile(path)
	return err
}

// ValidateReferencePath reports whether path is a valid Reference Path: a Path
// that can identify only a single node.
func ValidateReferencePath(path string) error {
	_, err := CompileReference(path)
	return err
}

type parser struct {
	src string
	pos int
}

func (ps *parser) errf(format string, args ...any) error {
	return &SyntaxError{Path: ps.src, Offset: ps.pos, Msg: fmt.Sprintf(format, args...)}
}

func (ps *parser) rest() string {
	r := ps.src[ps.pos:]
	if len(r) > 20 {
		r = r[:20] + "..."
	}
	return r
}

func (ps *parser) peek() byte {
	if ps.pos < len(ps.src) {
		return ps.src[ps.pos]
	}
	return 0
}

func (ps *parser) skipWS() {
	for ps.pos < len(ps.src) {
		switch ps.src[ps.pos] {
		case ' ', '\t', '\n', '\r':
			ps.pos++
		default:
			return
		}
	}
}

// parsePath parses "$..." (or "@..." inside a filter when inFilter). In a
// filter, the path ends at the first character that cannot continue it.
func (ps *parser) parsePath(inFilter bool, depth int) (*Path, error) {
	if depth > maxDepth {
		return nil, ps.errf("nested too deeply")
	}
	start := ps.pos
	p := &Path{}
	switch {
	case strings.HasPrefix(ps.src[ps.pos:], "$$"):
		p.context = true
		ps.pos += 2
	case ps.peek() == '$', inFilter && ps.peek() == '@':
		ps.pos++
	default:
		return nil, ps.errf("a path must start with $")
	}
	for ps.pos < len(ps.src) {
		c := ps.src[ps.pos]
		if c != '.' && c != '[' {
			if inFilter {
				break
			}
			return nil, ps.errf("unexpected %q: expected . or [", ps.rest())
		}
		seg, err := ps.parseSegment(inFilter, depth)
		if err != nil {
			return nil, err
		}
		p.segs = append(p.segs, seg)
	}
	p.src = ps.src[start:ps.pos]
	p.classify()
	return p, nil
}

func (p *Path) classify() {
	p.simple = true
	for i, s := range p.segs {
		if s.deep || (s.kind != segName && s.kind != segIndex) {
			p.simple = false
		}
		if i == len(p.segs)-1 && !s.deep && s.kind == segNames {
			p.merge = true
		}
	}
	p.definite = p.simple
	if !p.simple && p.merge {
		p.definite = true
		for _, s := range p.segs[:len(p.segs)-1] {
			if s.deep || (s.kind != segName && s.kind != segIndex) {
				p.definite = false
			}
		}
	}
}

func (ps *parser) parseSegment(inFilter bool, depth int) (segment, error) {
	if ps.peek() == '[' {
		return ps.parseBracket(depth)
	}
	// '.'
	ps.pos++
	deep := false
	if ps.peek() == '.' {
		deep = true
		ps.pos++
	}
	var seg segment
	var err error
	switch ps.peek() {
	case '[':
		seg, err = ps.parseBracket(depth)
	case '*':
		ps.pos++
		seg = segment{kind: segWildcard}
	default:
		var name string
		name, err = ps.parseDotName(inFilter)
		seg = segment{kind: segName, name: name}
	}
	if err != nil {
		return seg, err
	}
	seg.deep = deep
	return seg, nil
}

func (ps *parser) parseDotName(inFilter bool) (string, error) {
	start := ps.pos
	for ps.pos < len(ps.src) {
		c := ps.src[ps.pos]
		if c == '.' || c == '[' {
			break
		}
		if inFilter && strings.IndexByte(" \t\r\n=!<>~&|(),]", c) >= 0 {
			break
		}
		if strings.IndexByte("]()'\"\\*,?@ \t\r\n", c) >= 0 || c < 0x20 {
			if c == '(' {
				return "", ps.errf("path functions such as %s() are not supported", ps.src[start:ps.pos])
			}
			return "", ps.errf("character %q is not allowed in a dot-notation name; use ['...']", c)
		}
		ps.pos++
	}
	if ps.pos == start {
		return "", ps.errf("expected a member name")
	}
	name := ps.src[start:ps.pos]
	if !utf8.ValidString(name) {
		return "", ps.errf("member name is not valid UTF-8")
	}
	return name, nil
}

func (ps *parser) parseBracket(depth int) (segment, error) {
	ps.pos++ // '['
	ps.skipWS()
	var seg segment
	switch c := ps.peek(); {
	case c == '*':
		ps.pos++
		seg = segment{kind: segWildcard}
	case c == '\'' || c == '"':
		var names []string
		for {
			s, err := ps.parseQuoted()
			if err != nil {
				return seg, err
			}
			names = append(names, s)
			ps.skipWS()
			if ps.peek() != ',' {
				break
			}
			ps.pos++
			ps.skipWS()
			if c := ps.peek(); c != '\'' && c != '"' {
				return seg, ps.errf("expected a quoted name after ,")
			}
		}
		if len(names) == 1 {
			seg = segment{kind: segName, name: names[0]}
		} else {
			seg = segment{kind: segNames, names: names}
		}
	case c == '?':
		ps.pos++
		ps.skipWS()
		e, err := ps.parseOr(depth + 1)
		if err != nil {
			return seg, err
		}
		seg = segment{kind: segFilter, filter: e}
	case c == '-' || c == ':' || (c >= '0' && c <= '9'):
		var err error
		seg, err = ps.parseIndexOrSlice()
		if err != nil {
			return seg, err
		}
	default:
		return seg, ps.errf("unexpected %q in brackets", ps.rest())
	}
	ps.skipWS()
	if ps.peek() != ']' {
		return seg, ps.errf("expected ]")
	}
	ps.pos++
	return seg, nil
}

func (ps *parser) parseInt() (int, bool, error) {
	start := ps.pos
	if ps.peek() == '-' {
		ps.pos++
	}
	digits := ps.pos
	for ps.pos < len(ps.src) && ps.src[ps.pos] >= '0' && ps.src[ps.pos] <= '9' {
		ps.pos++
	}
	if ps.pos == digits {
		if ps.pos != start {
			return 0, false, ps.errf("expected digits after -")
		}
		return 0, false, nil
	}
	n, err := strconv.Atoi(ps.src[start:ps.pos])
	if err != nil {
		return 0, false, ps.errf("index %s out of range", ps.src[start:ps.pos])
	}
	return n, true, nil
}

func (ps *parser) parseIndexOrSlice() (segment, error) {
	first, ok, err := ps.parseInt()
	if err != nil {
		return segment{}, err
	}
	ps.skipWS()
	switch ps.peek() {
	case ':':
		sl := sliceSpec{start: first, hasStart: ok, step: 1}
		ps.pos++
		ps.skipWS()
		if sl.end, sl.hasEnd, err = ps.parseInt(); err != nil {
			return segment{}, err
		}
		ps.skipWS()
		if ps.peek() == ':' {
			ps.pos++
			ps.skipWS()
			step, hasStep, err := ps.parseInt()
			if err != nil {
				return segment{}, err
			}
			if hasStep {
				if step == 0 {
					return segment{}, ps.errf("slice step must not be 0")
				}
				sl.step = step
			}
		}
		return segment{kind: segSlice, slice: sl}, nil
	case ',':
		if !ok {
			return segment{}, ps.errf("expected an index")
		}
		idx := []int{first}
		for ps.peek() == ',' {
			ps.pos++
			ps.skipWS()
			n, ok, err := ps.parseInt()
			if err != nil {
				return segment{}, err
			}
			if !ok {
				return segment{}, ps.errf("expected an index after ,")
			}
			idx = append(idx, n)
			ps.skipWS()
		}
		return segment{kind: segIndexes, indexes: idx}, nil
	default:
		if !ok {
			return segment{}, ps.errf("expected an index")
		}
		return segment{kind: segIndex, index: first}, nil
	}
}

// parseQuoted parses a '...' or "..." string with JSON-style escapes (plus \').
func (ps *parser) parseQuoted() (string, error) {
	q := ps.src[ps.pos]
	ps.pos++
	var b strings.Builder
	for {
		if ps.pos >= len(ps.src) {
			return "", ps.errf("unterminated string")
		}
		c := ps.src[ps.pos]
		switch {
		case c == q:
			ps.pos++
			s := b.String()
			if !utf8.ValidString(s) {
				return "", ps.errf("string is not valid UTF-8")
			}
			return s, nil
		case c == '\\':
			ps.pos++
			if ps.pos >= len(ps.src) {
				return "", ps.errf("unterminated escape")
			}
			e := ps.src[ps.pos]
			ps.pos++
			switch e {
			case '\\', '\'', '"', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				if ps.pos+4 > len(ps.src) {
					return "", ps.errf("short \\u escape")
				}
				n, err := strconv.ParseUint(ps.src[ps.pos:ps.pos+4], 16, 32)
				if err != nil {
					return "", ps.errf("bad \\u escape")
				}
				ps.pos += 4
				b.WriteRune(rune(n))
			default:
				return "", ps.errf("unknown escape \\%c", e)
			}
		default:
			b.WriteByte(c)
			ps.pos++
		}
	}
}

// ---- filter expressions ----

func (ps *parser) parseOr(depth int) (expr, error) {
	if depth > maxDepth {
		return nil, ps.errf("filter nested too deeply")
	}
	l, err := ps.parseAnd(depth)
	if err != nil {
		return nil, err
	}
	for {
		ps.skipWS()
		if !strings.HasPrefix(ps.src[ps.pos:], "||") {
			return l, nil
		}
		ps.pos += 2
		r, err := ps.parseAnd(depth)
		if err != nil {
			return nil, err
		}
		l = &orExpr{l, r}
	}
}

func (ps *parser) parseAnd(depth int) (expr, error) {
	l, err := ps.parseUnary(depth)
	if err != nil {
		return nil, err
	}
	for {
		ps.skipWS()
		if !strings.HasPrefix(ps.src[ps.pos:], "&&") {
			return l, nil
		}
		ps.pos += 2
		r, err := ps.parseUnary(depth)
		if err != nil {
			return nil, err
		}
		l = &andExpr{l, r}
	}
}

func (ps *parser) parseUnary(depth int) (expr, error) {
	if depth > maxDepth {
		return nil, ps.errf("filter nested too deeply")
	}
	ps.skipWS()
	switch ps.peek() {
	case '!':
		ps.pos++
		e, err := ps.parseUnary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &notExpr{e}, nil
	case '(':
		ps.pos++
		e, err := ps.parseOr(depth + 1)
		if err != nil {
			return nil, err
		}
		ps.skipWS()
		if ps.peek() != ')' {
			return nil, ps.errf("expected )")
		}
		ps.pos++
		return e, nil
	}
	return ps.parseComparison(depth)
}

var wordOps = []string{"subsetof", "noneof", "anyof", "empty", "size", "nin", "in"}

func (ps *parser) parseComparison(depth int) (expr, error) {
	l, err := ps.parseOperand(depth)
	if err != nil {
		return nil, err
	}
	ps.skipWS()
	op := ""
	for _, o := range []string{"==", "!=", "<=", ">=", "=~", "<", ">"} {
		if strings.HasPrefix(ps.src[ps.pos:], o) {
			op = o
			break
		}
	}
	if op == "" {
		for _, o := range wordOps {
			if strings.HasPrefix(ps.src[ps.pos:], o) {
				after := ps.pos + len(o)
				if after < len(ps.src) && isWordByte(ps.src[after]) {
					continue
				}
				op = o
				break
			}
		}
	}
	if op == "" {
		if l.kind != opPath {
			return nil, ps.errf("a filter term without an operator must be a path (existence test)")
		}
		return &existsExpr{l}, nil
	}
	ps.pos += len(op)
	ps.skipWS()
	var r operand
	if op == "=~" {
		r, err = ps.parseRegex()
	} else {
		r, err = ps.parseOperand(depth)
	}
	if err != nil {
		return nil, err
	}
	return &cmpExpr{op: op, l: l, r: r}, nil
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func (ps *parser) parseOperand(depth int) (operand, error) {
	ps.skipWS()
	c := ps.peek()
	switch {
	case c == '@' || c == '$':
		p, err := ps.parsePath(true, depth+1)
		if err != nil {
			return operand{}, err
		}
		return operand{kind: opPath, path: p, rel: c == '@'}, nil
	case c == '\'' || c == '"':
		s, err := ps.parseQuoted()
		return operand{kind: opLit, lit: s}, err
	case c == '[':
		ps.pos++
		list := []any{}
		ps.skipWS()
		if ps.peek() == ']' {
			ps.pos++
			return operand{kind: opLit, lit: list}, nil
		}
		for {
			o, err := ps.parseOperand(depth + 1)
			if err != nil {
				return operand{}, err
			}
			if o.kind != opLit {
				return operand{}, ps.errf("a list may hold only literals")
			}
			list = append(list, o.lit)
			ps.skipWS()
			if ps.peek() == ',' {
				ps.pos++
				continue
			}
			if ps.peek() != ']' {
				return operand{}, ps.errf("expected , or ] in list")
			}
			ps.pos++
			return operand{kind: opLit, lit: list}, nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		start := ps.pos
		for ps.pos < len(ps.src) && strings.IndexByte("0123456789+-.eE", ps.src[ps.pos]) >= 0 {
			ps.pos++
		}
		num := ps.src[start:ps.pos]
		if !json.Valid([]byte(num)) {
			ps.pos = start
			return operand{}, ps.errf("bad number %q", num)
		}
		return operand{kind: opLit, lit: json.Number(num)}, nil
	}
	for _, kw := range []struct {
		s string
		v any
	}{{"true", true}, {"false", false}, {"null", nil}} {
		if strings.HasPrefix(ps.src[ps.pos:], kw.s) {
			after := ps.pos + len(kw.s)
			if after < len(ps.src) && isWordByte(ps.src[after]) {
				continue
			}
			ps.pos = after
			return operand{kind: opLit, lit: kw.v}, nil
		}
	}
	return operand{}, ps.errf("expected a path, literal or list in filter, found %q", ps.rest())
}

func (ps *parser) parseRegex() (operand, error) {
	if ps.peek() != '/' {
		return operand{}, ps.errf("expected /regex/ after =~")
	}
	ps.pos++
	var b strings.Builder
	for {
		if ps.pos >= len(ps.src) {
			return operand{}, ps.errf("unterminated regex")
		}
		c := ps.src[ps.pos]
		if c == '\\' && ps.pos+1 < len(ps.src) && ps.src[ps.pos+1] == '/' {
			b.WriteByte('/')
			ps.pos += 2
			continue
		}
		if c == '\\' && ps.pos+1 < len(ps.src) {
			b.WriteString(ps.src[ps.pos : ps.pos+2])
			ps.pos += 2
			continue
		}
		ps.pos++
		if c == '/' {
			break
		}
		b.WriteByte(c)
	}
	flags := ""
	for ps.pos < len(ps.src) && strings.IndexByte("ims", ps.src[ps.pos]) >= 0 {
		if !strings.Contains(flags, ps.src[ps.pos:ps.pos+1]) {
			flags += ps.src[ps.pos : ps.pos+1]
		}
		ps.pos++
	}
	pat := "^(?:" + b.String() + ")$" // Jayway matches the whole string
	if flags != "" {
		pat = "(?" + flags + ")" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return operand{}, ps.errf("bad regex: %v", err)
	}
	return operand{kind: opRegex, re: re}, nil
}
