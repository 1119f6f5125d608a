package jsonata

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// Binding powers of the operators.
var operators = map[string]int{
	".": 75, "[": 80, "]": 0, "{": 70, "}": 0, "(": 80, ")": 0, ",": 0, "@": 80, "#": 80,
	";": 80, ":": 80, "?": 20, "+": 50, "-": 50, "*": 60, "/": 60, "%": 60, "|": 20,
	"=": 40, "<": 40, ">": 40, "^": 40, "**": 60, "..": 20, ":=": 10, "!=": 40, "<=": 40,
	">=": 40, "~>": 40, "and": 30, "or": 25, "in": 40, "&": 50, "!": 0, "~": 0,
}

type token struct {
	typ   string // operator, string, number, value, name, variable, regex, end
	value any
	pos   int
}

type lexer struct {
	src []rune
	pos int
}

func isSpace(c rune) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' }

func (l *lexer) at(i int) rune {
	if i < len(l.src) && i >= 0 {
		return l.src[i]
	}
	return 0
}

var numRE = regexp.MustCompile(`^-?(0|([1-9][0-9]*))(\.[0-9]+)?([Ee][-+]?[0-9]+)?`)

// next returns the next token; prefix is true where a '/' starts a
// division rather than a regular expression... inverted as in jsonata-js:
// infix true means an operator is expected.
func (l *lexer) next(infix bool) (*token, error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	if l.pos >= len(l.src) {
		return nil, nil
	}
	c := l.src[l.pos]
	if c == '/' && l.at(l.pos+1) == '*' {
		start := l.pos
		l.pos += 2
		for !(l.at(l.pos) == '*' && l.at(l.pos+1) == '/') {
			l.pos++
			if l.pos >= len(l.src) {
				return nil, newErr("S0106", start, "", "comment has no closing tag")
			}
		}
		l.pos += 2
		return l.next(infix)
	}
	mk := func(typ string, v any, n int) *token {
		t := &token{typ: typ, value: v, pos: l.pos}
		l.pos += n
		return t
	}
	if !infix && c == '/' {
		l.pos++
		return l.scanRegex()
	}
	two := string(c) + string(l.at(l.pos+1))
	switch two {
	case "..", ":=", "!=", ">=", "<=", "**", "~>":
		return mk("operator", two, 2), nil
	}
	if _, ok := operators[string(c)]; ok {
		return mk("operator", string(c), 1), nil
	}
	if c == '"' || c == '\'' {
		start := l.pos
		l.pos++
		var b []uint16
		for l.pos < len(l.src) {
			ch := l.src[l.pos]
			if ch == '\\' {
				l.pos++
				ch = l.at(l.pos)
				switch ch {
				case '"', '\\', '/':
					b = append(b, uint16(ch))
				case 'b':
					b = append(b, '\b')
				case 'f':
					b = append(b, '\f')
				case 'n':
					b = append(b, '\n')
				case 'r':
					b = append(b, '\r')
				case 't':
					b = append(b, '\t')
				case 'u':
					if l.pos+5 <= len(l.src) && isHex4(l.src[l.pos+1:l.pos+5]) {
						n, _ := strconv.ParseUint(string(l.src[l.pos+1:l.pos+5]), 16, 16)
						b = append(b, uint16(n))
						l.pos += 4
					} else {
						return nil, newErr("S0104", l.pos, "", `the escape sequence \u must be followed by 4 hex digits`)
					}
				default:
					return nil, newErr("S0103", l.pos, string(ch), `unsupported escape sequence: \%c`, ch)
				}
			} else if ch == c {
				l.pos++
				return &token{typ: "string", value: string(utf16.Decode(b)), pos: start}, nil
			} else {
				b = utf16.AppendRune(b, ch)
			}
			l.pos++
		}
		return nil, newErr("S0101", l.pos, "", "string literal must be terminated by a matching quote")
	}
	if m := numRE.FindString(string(l.src[l.pos:min(len(l.src), l.pos+400)])); m != "" {
		f, err := strconv.ParseFloat(m, 64)
		if err == nil {
			return mk("number", f, len([]rune(m))), nil
		}
		return nil, newErr("S0102", l.pos, m, "number out of range: %s", m)
	}
	if c == '`' {
		l.pos++
		end := -1
		for i := l.pos; i < len(l.src); i++ {
			if l.src[i] == '`' {
				end = i
				break
			}
		}
		if end == -1 {
			l.pos = len(l.src)
			return nil, newErr("S0105", l.pos, "", "quoted property name must be terminated with a backquote (`)")
		}
		t := &token{typ: "name", value: string(l.src[l.pos:end]), pos: l.pos - 1}
		l.pos = end + 1
		return t, nil
	}
	i := l.pos
	for {
		ch := l.at(i)
		_, isOp := operators[string(ch)]
		if i >= len(l.src) || isSpace(ch) || isOp {
			start := l.pos
			if l.src[l.pos] == '$' {
				name := string(l.src[l.pos+1 : i])
				l.pos = i
				return &token{typ: "variable", value: name, pos: start}, nil
			}
			name := string(l.src[l.pos:i])
			l.pos = i
			switch name {
			case "or", "in", "and":
				return &token{typ: "operator", value: name, pos: start}, nil
			case "true":
				return &token{typ: "value", value: true, pos: start}, nil
			case "false":
				return &token{typ: "value", value: false, pos: start}, nil
			case "null":
				return &token{typ: "value", value: Null, pos: start}, nil
			}
			if l.pos == len(l.src) && name == "" {
				return nil, nil
			}
			return &token{typ: "name", value: name, pos: start}, nil
		}
		i++
	}
}

func isHex4(r []rune) bool {
	if len(r) != 4 {
		return false
	}
	for _, c := range r {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// regexValue is a compiled regular expression literal.
type regexValue struct {
	re     *regexp.Regexp
	source string
}

func (l *lexer) scanRegex() (*token, error) {
	start := l.pos
	depth := 0
	closing := func(p int) bool {
		if l.at(p) == '/' && depth == 0 {
			n := 0
			for l.at(p-(n+1)) == '\\' {
				n++
			}
			return n%2 == 0
		}
		return false
	}
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		if closing(l.pos) {
			pattern := string(l.src[start:l.pos])
			if pattern == "" {
				return nil, newErr("S0301", l.pos, "", "empty regular expressions are not allowed")
			}
			l.pos++
			fs := l.pos
			for l.at(l.pos) == 'i' || l.at(l.pos) == 'm' {
				l.pos++
			}
			flags := string(l.src[fs:l.pos])
			re, err := compileJSRegex(pattern, flags)
			if err != nil {
				return nil, newErr("S0303", start, "", "regular expression is not supported: %v", err)
			}
			return &token{typ: "regex", value: &regexValue{re: re, source: pattern}, pos: start - 1}, nil
		}
		if (c == '(' || c == '[' || c == '{') && l.at(l.pos-1) != '\\' {
			depth++
		}
		if (c == ')' || c == ']' || c == '}') && l.at(l.pos-1) != '\\' {
			depth--
		}
		l.pos++
	}
	return nil, newErr("S0302", l.pos, "", "no terminating / in regular expression")
}

// compileJSRegex compiles a JavaScript regular expression with Go's RE2
// syntax (lookaround and backreferences are not available).
func compileJSRegex(pattern, flags string) (*regexp.Regexp, error) {
	prefix := ""
	if strings.Contains(flags, "i") {
		prefix += "i"
	}
	if strings.Contains(flags, "m") {
		prefix += "m"
	}
	p := pattern
	// JavaScript allows an unescaped ] or { where RE2 is stricter in a few
	// places; \d, \w, \s and classes are the same.
	p = strings.ReplaceAll(p, `\/`, `/`)
	if prefix != "" {
		p = "(?" + prefix + ")" + p
	}
	return regexp.Compile(p)
}
