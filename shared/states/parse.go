package states

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Problem is one thing wrong with a definition, located by the JSON path of
// the offending field (e.g. $.States.Detect.Retry[0].ErrorEquals).
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string { return p.Path + ": " + p.Message }

// ValidationError lists every problem found in a definition.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid state machine definition (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		b.WriteString(p.String())
	}
	return b.String()
}

// parser collects problems while it compiles a definition.
type parser struct {
	problems   []Problem
	errorNames []string // every ErrorEquals name, for Definition.ErrorNames

	ql          string // the definition's QueryLanguage
	jsonata     bool   // the state being parsed uses JSONata
	scope       int    // variable scope of the graph being parsed
	scopeParent []int  // enclosing scope of each scope (-1 for the top)
	assigned    []assignment
	keyOrder    bool // an intrinsic calls States.JsonToString
}

func (p *parser) errorf(path, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

func (p *parser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Path < p.problems[j].Path })
	return &ValidationError{Problems: p.problems}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// child returns the JSON path of field k inside the object at path.
func child(path, k string) string {
	if identRE.MatchString(k) {
		return path + "." + k
	}
	return path + "['" + strings.ReplaceAll(k, "'", `\'`) + "']"
}

func index(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

// object is a JSON object being read field by field; fields never read are
// reported as unknown by done.
type object struct {
	p    *parser
	path string
	m    map[string]any
	used map[string]bool
}

func (p *parser) object(path string, v any) *object {
	m, ok := v.(map[string]any)
	if !ok {
		p.errorf(path, "must be a JSON object, got %s", jsonType(v))
		m = map[string]any{}
	}
	return &object{p: p, path: path, m: m, used: make(map[string]bool, len(m))}
}

func (o *object) has(k string) bool { _, ok := o.m[k]; return ok }

func (o *object) at(k string) string { return child(o.path, k) }

func (o *object) raw(k string) (any, bool) {
	v, ok := o.m[k]
	if ok {
		o.used[k] = true
	}
	return v, ok
}

func (o *object) str(k string, required bool) (string, bool) {
	v, ok := o.raw(k)
	if !ok {
		if required {
			o.p.errorf(o.at(k), "required field is missing")
		}
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		o.p.errorf(o.at(k), "must be a string, got %s", jsonType(v))
		return "", false
	}
	return s, true
}

// nullableStr reads a field that may be a string or null (InputPath,
// OutputPath, ResultPath). isNull reports an explicit null.
func (o *object) nullableStr(k string) (s string, present, isNull bool) {
	v, ok := o.raw(k)
	if !ok {
		return "", false, false
	}
	if v == nil {
		return "", true, true
	}
	s, isStr := v.(string)
	if !isStr {
		o.p.errorf(o.at(k), "must be a string or null, got %s", jsonType(v))
		return "", false, false
	}
	return s, true, false
}

func (o *object) number(k string) (float64, bool) {
	v, ok := o.raw(k)
	if !ok {
		return 0, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		o.p.errorf(o.at(k), "must be a number, got %s", jsonType(v))
		return 0, false
	}
	f, err := n.Float64()
	if err != nil {
		o.p.errorf(o.at(k), "bad number %s", n)
		return 0, false
	}
	return f, true
}

// integer reads a non-negative integer field no larger than max.
func (o *object) integer(k string, min, max int64) (int64, bool) {
	v, ok := o.raw(k)
	if !ok {
		return 0, false
	}
	n, isNum := v.(json.Number)
	if !isNum {
		o.p.errorf(o.at(k), "must be an integer, got %s", jsonType(v))
		return 0, false
	}
	i, err := n.Int64()
	if err != nil {
		o.p.errorf(o.at(k), "must be an integer, got %s", n)
		return 0, false
	}
	if i < min || i > max {
		o.p.errorf(o.at(k), "must be between %d and %d, got %d", min, max, i)
		return 0, false
	}
	return i, true
}

func (o *object) boolean(k string) (bool, bool) {
	v, ok := o.raw(k)
	if !ok {
		return false, false
	}
	b, isBool := v.(bool)
	if !isBool {
		o.p.errorf(o.at(k), "must be a boolean, got %s", jsonType(v))
		return false, false
	}
	return b, true
}

func (o *object) strings(k string, required bool) []string {
	v, ok := o.raw(k)
	if !ok {
		if required {
			o.p.errorf(o.at(k), "required field is missing")
		}
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		o.p.errorf(o.at(k), "must be an array of strings, got %s", jsonType(v))
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, isStr := e.(string)
		if !isStr {
			o.p.errorf(index(o.at(k), i), "must be a string, got %s", jsonType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

// done reports every field that no reader asked for.
func (o *object) done(what string) {
	var unknown []string
	for k := range o.m {
		if !o.used[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	for _, k := range unknown {
		o.p.errorf(o.at(k), "field is not allowed in %s", what)
	}
}

// exclusive reports when more than one of the fields is present.
func (o *object) exclusive(fields ...string) {
	var present []string
	for _, f := range fields {
		if o.has(f) {
			present = append(present, f)
		}
	}
	if len(present) > 1 {
		o.p.errorf(o.at(present[1]), "cannot be used together with %s", strings.Join(present[:1], ", "))
	}
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64, int, int64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// DecodeJSON decodes JSON text the way the engine represents data: into
// any, with numbers as json.Number.
func DecodeJSON(b []byte) (any, error) { return decodeJSON(b) }
