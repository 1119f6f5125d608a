package jsonata

import (
	"regexp"
	"strings"
	"sync"
)

// signature is a parsed function signature such as <s-nn?:s>: each
// parameter has a pattern over one-letter type symbols, and the whole
// argument list is matched as a string of symbols.
type signature struct {
	params []sigParam
	re     *regexp.Regexp
}

type sigParam struct {
	regex     string
	typ       string
	array     bool
	context   bool
	contextRE *regexp.Regexp
	subtype   string
}

var arrayOf = map[string]string{"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}

func parseSignature(sig string) (*signature, *Error) {
	var params []sigParam
	param := sigParam{}
	prev := -1
	next := func() {
		params = append(params, param)
		prev = len(params) - 1
		param = sigParam{}
	}
	closing := func(start int, open, close byte) int {
		depth := 1
		pos := start
		for pos < len(sig) {
			pos++
			if pos >= len(sig) {
				break
			}
			if sig[pos] == close {
				depth--
				if depth == 0 {
					break
				}
			} else if sig[pos] == open {
				depth++
			}
		}
		return pos
	}
	for pos := 1; pos < len(sig); pos++ {
		c := sig[pos]
		if c == ':' {
			break
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			param.regex = "[" + string(c) + "m]"
			param.typ = string(c)
			next()
		case 'a':
			param.regex = "[asnblfom]"
			param.typ = "a"
			param.array = true
			next()
		case 'f':
			param.regex = "f"
			param.typ = "f"
			next()
		case 'j':
			param.regex = "[asnblom]"
			param.typ = "j"
			next()
		case 'x':
			param.regex = "[asnblfom]"
			param.typ = "x"
			next()
		case '-':
			if prev >= 0 {
				params[prev].context = true
				params[prev].contextRE = regexp.MustCompile("^" + params[prev].regex + "$")
				params[prev].regex += "?"
			}
		case '?', '+':
			if prev >= 0 {
				params[prev].regex += string(c)
			}
		case '(':
			end := closing(pos, '(', ')')
			choice := sig[pos+1 : min(end, len(sig))]
			if strings.Contains(choice, "<") {
				return nil, newErr("S0402", pos, "", "choice groups containing parameterized types are not supported")
			}
			param.regex = "[" + choice + "m]"
			param.typ = "(" + choice + ")"
			pos = end
			next()
		case '<':
			if prev >= 0 && (params[prev].typ == "a" || params[prev].typ == "f") {
				end := closing(pos, '<', '>')
				params[prev].subtype = sig[pos+1 : min(end, len(sig))]
				pos = end
			} else {
				return nil, newErr("S0401", pos, "", "type parameters can only be applied to functions and arrays")
			}
		}
	}
	var b strings.Builder
	b.WriteString("^")
	for _, p := range params {
		b.WriteString("(" + p.regex + ")")
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, newErr("S0401", 0, "", "bad signature %s", sig)
	}
	return &signature{params: params, re: re}, nil
}

func typeSymbol(v any) byte {
	switch x := v.(type) {
	case Callable:
		return 'f'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nullType:
		return 'l'
	case *Array:
		return 'a'
	case *Object:
		return 'o'
	case nil:
		return 'm'
	default:
		_ = x
		return 'm'
	}
}

// validate checks args against the signature, inserting the context value
// for a missing '-' parameter and wrapping single values given for array
// parameters.
func (s *signature) validate(args []any, context any) ([]any, error) {
	sup := make([]byte, len(args))
	for i, a := range args {
		sup[i] = typeSymbol(a)
	}
	m := s.re.FindStringSubmatch(string(sup))
	if m == nil {
		return nil, s.badArgs(args, string(sup))
	}
	var out []any
	ai := 0
	for i, p := range s.params {
		match := m[i+1]
		if match == "" {
			if p.context && p.contextRE != nil {
				if p.contextRE.MatchString(string(typeSymbol(context))) {
					out = append(out, context)
				} else {
					return nil, newErr("T0411", -1, "", "the context value is not a compatible type with argument %d", ai+1)
				}
			} else {
				var a any
				if ai < len(args) {
					a = args[ai]
				}
				out = append(out, a)
				ai++
			}
			continue
		}
		for _, single := range []byte(match) {
			arg := args[ai]
			if p.typ == "a" {
				if single == 'm' {
					arg = nil
				} else {
					ok := true
					if p.subtype != "" {
						if single != 'a' && match != p.subtype {
							ok = false
						} else if single == 'a' {
							arr := arg.(*Array)
							if len(arr.items) > 0 {
								it := typeSymbol(arr.items[0])
								if string(it) != p.subtype[:1] {
									ok = false
								} else {
									for _, v := range arr.items {
										if typeSymbol(v) != it {
											ok = false
											break
										}
									}
								}
							}
						}
					}
					if !ok {
						return nil, newErr("T0412", -1, "", "argument %d must be an array of %s", ai+1, arrayOf[p.subtype])
					}
					if single != 'a' {
						arg = &Array{items: []any{arg}}
					}
				}
			}
			out = append(out, arg)
			ai++
		}
	}
	return out, nil
}

func (s *signature) badArgs(args []any, sup string) error {
	partial := "^"
	good := 0
	for _, p := range s.params {
		partial += p.regex
		re := regexp.MustCompile(partial)
		loc := re.FindStringIndex(sup)
		if loc == nil {
			break
		}
		good = loc[1]
	}
	return newErr("T0410", -1, "", "argument %d does not match the function signature", good+1)
}

// signatures caches the parsed signatures of Options.Functions, which an
// embedder passes to every evaluation.
var signatures sync.Map // string → *signature

func cachedSignature(sig string) (*signature, error) {
	if s, ok := signatures.Load(sig); ok {
		return s.(*signature), nil
	}
	s, err := parseSignature(sig)
	if err != nil {
		return nil, err
	}
	signatures.Store(sig, s)
	return s, nil
}
