package jsonpath

import (
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"unicode/utf8"
)

type expr interface {
	test(ev *evaluator, cur any) bool
}

type opKind uint8

const (
	opLit opKind = iota
	opPath
	opRegex
)

type operand struct {
	kind opKind
	lit  any
	path *Path
	rel  bool // @-path (current node) rather than $-path (root)
	re   *regexp.Regexp
}

// value resolves an operand; ok is false when a definite path matched nothing.
func (o *operand) value(ev *evaluator, cur any) (any, bool) {
	if o.kind != opPath {
		return o.lit, true
	}
	start := cur
	if !o.rel {
		start = ev.root
		if o.path.context {
			start = ev.ctx
		}
	}
	if o.path.definite {
		return ev.single(o.path, start)
	}
	return ev.all(o.path, start), true
}

type orExpr struct{ l, r expr }

func (e *orExpr) test(ev *evaluator, cur any) bool { return e.l.test(ev, cur) || e.r.test(ev, cur) }

type andExpr struct{ l, r expr }

func (e *andExpr) test(ev *evaluator, cur any) bool { return e.l.test(ev, cur) && e.r.test(ev, cur) }

type notExpr struct{ e expr }

func (e *notExpr) test(ev *evaluator, cur any) bool { return !e.e.test(ev, cur) }

type existsExpr struct{ o operand }

func (e *existsExpr) test(ev *evaluator, cur any) bool {
	v, ok := e.o.value(ev, cur)
	if !ok {
		return false
	}
	if !e.o.path.definite {
		l, _ := v.([]any)
		return len(l) > 0
	}
	return true
}

type cmpExpr struct {
	op   string
	l, r operand
}

func (e *cmpExpr) test(ev *evaluator, cur any) bool {
	lv, ok := e.l.value(ev, cur)
	if !ok {
		return false
	}
	if e.op == "=~" {
		s, ok := lv.(string)
		return ok && e.r.re.MatchString(s)
	}
	rv, ok := e.r.value(ev, cur)
	if !ok {
		return false
	}
	switch e.op {
	case "==":
		return Equal(lv, rv)
	case "!=":
		return !Equal(lv, rv)
	case "<", "<=", ">", ">=":
		c, ok := compare(lv, rv)
		if !ok {
			return false
		}
		switch e.op {
		case "<":
			return c < 0
		case "<=":
			return c <= 0
		case ">":
			return c > 0
		default:
			return c >= 0
		}
	case "in":
		return contains(rv, lv)
	case "nin":
		l, ok := rv.([]any)
		return ok && !contains(l, lv)
	case "subsetof":
		l, ok1 := lv.([]any)
		r, ok2 := rv.([]any)
		if !ok1 || !ok2 {
			return false
		}
		for _, x := range l {
			if !contains(r, x) {
				return false
			}
		}
		return true
	case "anyof", "noneof":
		l, ok1 := lv.([]any)
		r, ok2 := rv.([]any)
		if !ok1 || !ok2 {
			return false
		}
		any := false
		for _, x := range l {
			if contains(r, x) {
				any = true
				break
			}
		}
		return any == (e.op == "anyof")
	case "size":
		n, ok := ToFloat(rv)
		if !ok {
			return false
		}
		switch v := lv.(type) {
		case []any:
			return float64(len(v)) == n
		case string:
			return float64(utf8.RuneCountInString(v)) == n
		}
		return false
	case "empty":
		want, ok := rv.(bool)
		if !ok {
			return false
		}
		switch v := lv.(type) {
		case []any:
			return (len(v) == 0) == want
		case string:
			return (v == "") == want
		case map[string]any:
			return (len(v) == 0) == want
		}
		return false
	}
	return false
}

func contains(list any, v any) bool {
	l, ok := list.([]any)
	if !ok {
		return false
	}
	for _, x := range l {
		if Equal(x, v) {
			return true
		}
	}
	return false
}

// compare orders two numbers or two strings; ok is false for anything else.
func compare(a, b any) (int, bool) {
	if as, ok := a.(string); ok {
		bs, ok := b.(string)
		if !ok {
			return 0, false
		}
		switch {
		case as < bs:
			return -1, true
		case as > bs:
			return 1, true
		}
		return 0, true
	}
	af, ok1 := ToFloat(a)
	bf, ok2 := ToFloat(b)
	if !ok1 || !ok2 || math.IsNaN(af) || math.IsNaN(bf) {
		return 0, false
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	}
	return 0, true
}

// ToFloat converts any JSON number representation (json.Number, float64, the
// Go integer types) to float64; ok is false for non-numbers.
func ToFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil || isRangeErr(err)
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case int16:
		return float64(n), true
	case int8:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint8:
		return float64(n), true
	}
	return 0, false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// IsNumber reports whether v is a JSON number in any accepted representation.
func IsNumber(v any) bool {
	_, ok := ToFloat(v)
	return ok
}

// Equal compares two JSON values structurally; numbers compare by value
// whatever their Go representation (json.Number("1") equals float64(1)).
func Equal(a, b any) bool {
	switch av := a.(type) {
	case nil:
		return b == nil
	case string:
		bv, ok := b.(string)
		return ok && av == bv
	case bool:
		bv, ok := b.(bool)
		return ok && av == bv
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for k, x := range av {
			y, ok := bv[k]
			if !ok || !Equal(x, y) {
				return false
			}
		}
		return true
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return false
		}
		for i := range av {
			if !Equal(av[i], bv[i]) {
				return false
			}
		}
		return true
	}
	if af, ok := ToFloat(a); ok {
		if an, ok := a.(json.Number); ok {
			if bn, ok := b.(json.Number); ok && an == bn {
				return true
			}
		}
		bf, ok := ToFloat(b)
		return ok && af == bf
	}
	return reflect.DeepEqual(a, b)
}
