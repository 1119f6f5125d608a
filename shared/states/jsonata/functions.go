package jsonata

import (
	"encoding/base64"
	"math"
	"math/rand/v2"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

var staticEnv = &env{vars: map[string]any{}}

func def(name, sig string, nargs int, fn func(c *call, args []any) (any, error)) {
	var s *signature
	if sig != "" {
		s = mustSig(sig)
	}
	staticEnv.vars[name] = &native{name: name, sig: s, nargs: nargs, fn: fn}
}

func arg(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func init() {
	def("sum", "<a<n>:n>", 1, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		t := 0.0
		for _, v := range arr.items {
			t += v.(float64)
		}
		return t, nil
	})
	def("count", "<a:n>", 1, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return 0.0, nil
		}
		return float64(len(arr.items)), nil
	})
	minmax := func(isMax bool) func(_ *call, a []any) (any, error) {
		return func(_ *call, a []any) (any, error) {
			arr, ok := arg(a, 0).(*Array)
			if !ok || len(arr.items) == 0 {
				return nil, nil
			}
			r := arr.items[0].(float64)
			for _, v := range arr.items[1:] {
				f := v.(float64)
				if (isMax && f > r) || (!isMax && f < r) {
					r = f
				}
			}
			return r, nil
		}
	}
	def("max", "<a<n>:n>", 1, minmax(true))
	def("min", "<a<n>:n>", 1, minmax(false))
	def("average", "<a<n>:n>", 1, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok || len(arr.items) == 0 {
			return nil, nil
		}
		t := 0.0
		for _, v := range arr.items {
			t += v.(float64)
		}
		return t / float64(len(arr.items)), nil
	})
	def("string", "<x-b?:s>", 1, func(_ *call, a []any) (any, error) {
		if arg(a, 0) == nil {
			return nil, nil
		}
		pretty, _ := arg(a, 1).(bool)
		return toStringFn(a[0], pretty)
	})
	def("substring", "<s-nn?:s>", 3, func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		return substring(s, a[1].(float64), arg(a, 2)), nil
	})
	def("substringBefore", "<s-s:s>", 2, func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		chars, _ := arg(a, 1).(string)
		if i := strings.Index(s, chars); i >= 0 {
			return s[:i], nil
		}
		return s, nil
	})
	def("substringAfter", "<s-s:s>", 2, func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		chars, _ := arg(a, 1).(string)
		if i := strings.Index(s, chars); i >= 0 {
			return s[i+len(chars):], nil
		}
		return s, nil
	})
	def("lowercase", "<s-:s>", 1, strFn(strings.ToLower))
	def("uppercase", "<s-:s>", 1, strFn(strings.ToUpper))
	def("length", "<s-:n>", 1, func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		return float64(utf8.RuneCountInString(s)), nil
	})
	def("trim", "<s-:s>", 1, strFn(func(s string) string {
		var b strings.Builder
		space := false
		for _, r := range s {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
				space = true
				continue
			}
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		}
		return b.String()
	}))
	def("pad", "<s-ns?:s>", 3, func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		width := a[1].(float64)
		ch, _ := arg(a, 2).(string)
		if ch == "" {
			ch = " "
		}
		n := int(math.Abs(width)) - utf8.RuneCountInString(s)
		if n <= 0 {
			return s, nil
		}
		padding := []rune(strings.Repeat(ch, n))[:n]
		if width > 0 {
			return s + string(padding), nil
		}
		return string(padding) + s, nil
	})
	def("match", "<s-f<s:o>n?:a<o>>", 3, fnMatch)
	def("contains", "<s-(sf):b>", 2, func(c *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		if tok, ok := a[1].(string); ok {
			return strings.Contains(s, tok), nil
		}
		m, err := runMatcher(c, a[1], s)
		if err != nil {
			return nil, err
		}
		return m != nil, nil
	})
	def("replace", "<s-(sf)(sf)n?:s>", 4, fnReplace)
	def("split", "<s-(sf)n?:a<s>>", 3, fnSplit)
	def("join", "<a<s>s?:s>", 2, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		sep, _ := arg(a, 1).(string)
		parts := make([]string, len(arr.items))
		for i, v := range arr.items {
			parts[i] = v.(string)
		}
		return strings.Join(parts, sep), nil
	})
	def("formatNumber", "<n-so?:s>", 3, fnFormatNumber)
	def("formatBase", "<n-n?:s>", 2, func(_ *call, a []any) (any, error) {
		v, ok := arg(a, 0).(float64)
		if !ok {
			return nil, nil
		}
		v = roundHalfEven(v, 0)
		radix := 10.0
		if r, ok := arg(a, 1).(float64); ok {
			radix = roundHalfEven(r, 0)
		}
		if radix < 2 || radix > 36 {
			return nil, newErr("D3100", -1, "", "the radix of the formatBase function must be between 2 and 36, got %s", formatNumber(radix))
		}
		return strconv.FormatInt(int64(v), int(radix)), nil
	})
	def("formatInteger", "<n-s:s>", 2, fnFormatInteger)
	def("parseInteger", "<s-s:n>", 2, fnParseInteger)
	def("number", "<(nsb)-:n>", 1, func(_ *call, a []any) (any, error) { return toNumber(arg(a, 0)) })
	def("floor", "<n-:n>", 1, numFn(math.Floor))
	def("ceil", "<n-:n>", 1, numFn(math.Ceil))
	def("abs", "<n-:n>", 1, numFn(math.Abs))
	def("round", "<n-n?:n>", 2, func(_ *call, a []any) (any, error) {
		v, ok := arg(a, 0).(float64)
		if !ok {
			return nil, nil
		}
		p, _ := arg(a, 1).(float64)
		return roundHalfEven(v, int(p)), nil
	})
	def("sqrt", "<n-:n>", 1, func(_ *call, a []any) (any, error) {
		v, ok := arg(a, 0).(float64)
		if !ok {
			return nil, nil
		}
		if v < 0 {
			return nil, newErr("D3060", -1, "", "the sqrt function cannot be applied to a negative number: %s", formatNumber(v))
		}
		return math.Sqrt(v), nil
	})
	def("power", "<n-n:n>", 2, func(_ *call, a []any) (any, error) {
		v, ok := arg(a, 0).(float64)
		if !ok {
			return nil, nil
		}
		r := math.Pow(v, a[1].(float64))
		if math.IsInf(r, 0) || math.IsNaN(r) {
			return nil, newErr("D3061", -1, "", "the power function has resulted in a value that cannot be represented as a JSON number")
		}
		return r, nil
	})
	def("random", "<:n>", 0, func(_ *call, _ []any) (any, error) { return rand.Float64(), nil })
	def("boolean", "<x-:b>", 1, func(_ *call, a []any) (any, error) {
		b, def := toBoolean(arg(a, 0))
		if !def {
			return nil, nil
		}
		return b, nil
	})
	def("not", "<x-:b>", 1, func(_ *call, a []any) (any, error) {
		b, def := toBoolean(arg(a, 0))
		if !def {
			return nil, nil
		}
		return !b, nil
	})
	def("map", "<af>", 2, func(c *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		f := a[1].(Callable)
		res := newSeq()
		for i, v := range arr.items {
			r, err := apply(f, hofArgs(f, v, float64(i), arr), nil, c.env)
			if err != nil {
				return nil, err
			}
			if r != nil {
				res.push(r)
			}
		}
		return res, nil
	})
	def("filter", "<af>", 2, func(c *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		f := a[1].(Callable)
		res := newSeq()
		for i, v := range arr.items {
			r, err := apply(f, hofArgs(f, v, float64(i), arr), nil, c.env)
			if err != nil {
				return nil, err
			}
			if boolize(r) {
				res.push(v)
			}
		}
		return res, nil
	})
	def("single", "<af?>", 2, func(c *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		f, hasF := arg(a, 1).(Callable)
		var result any
		found := false
		for i, v := range arr.items {
			pos := true
			if hasF {
				r, err := apply(f, hofArgs(f, v, float64(i), arr), nil, c.env)
				if err != nil {
					return nil, err
				}
				pos = boolize(r)
			}
			if pos {
				if found {
					return nil, newErr("D3138", -1, "", "the $single() function expected exactly 1 matching result, but it matched more")
				}
				result, found = v, true
			}
		}
		if !found {
			return nil, newErr("D3139", -1, "", "the $single() function expected exactly 1 matching result, but it matched 0")
		}
		return result, nil
	})
	def("zip", "<a+>", 0, func(_ *call, a []any) (any, error) {
		res := &Array{items: []any{}}
		n := math.MaxInt
		for _, x := range a {
			if arr, ok := x.(*Array); ok {
				n = min(n, len(arr.items))
			} else {
				n = 0
			}
		}
		if len(a) == 0 {
			n = 0
		}
		for i := 0; i < n; i++ {
			t := &Array{}
			for _, x := range a {
				t.push(x.(*Array).items[i])
			}
			res.push(t)
		}
		return res, nil
	})
	def("reduce", "<afj?:j>", 3, func(c *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		f := a[1].(Callable)
		n := f.arity()
		if n < 2 {
			return nil, newErr("D3050", -1, "", "the second argument of the reduce function must be a function with at least two arguments")
		}
		init := arg(a, 2)
		var result any
		i := 0
		if init == nil && len(arr.items) > 0 {
			result = arr.items[0]
			i = 1
		} else {
			result = init
		}
		for ; i < len(arr.items); i++ {
			args := []any{result, arr.items[i]}
			if n >= 3 {
				args = append(args, float64(i))
			}
			if n >= 4 {
				args = append(args, arr)
			}
			r, err := apply(f, args, nil, c.env)
			if err != nil {
				return nil, err
			}
			result = r
		}
		return result, nil
	})
	def("sift", "<o-f?:o>", 2, func(c *call, a []any) (any, error) {
		o, ok := arg(a, 0).(*Object)
		if !ok {
			return nil, nil
		}
		f := a[1].(Callable)
		res := NewObject()
		for _, k := range o.keys {
			r, err := apply(f, hofArgs(f, o.m[k], k, o), nil, c.env)
			if err != nil {
				return nil, err
			}
			if boolize(r) {
				res.Set(k, o.m[k])
			}
		}
		if res.Len() == 0 {
			return nil, nil
		}
		return res, nil
	})
	def("keys", "<x-:a<s>>", 1, func(_ *call, a []any) (any, error) { return keysOf(arg(a, 0)), nil })
	def("lookup", "<x-s:x>", 2, func(_ *call, a []any) (any, error) {
		return lookupField(arg(a, 0), a[1].(string)), nil
	})
	def("append", "<xx:a>", 2, func(_ *call, a []any) (any, error) { return fnAppend(arg(a, 0), arg(a, 1)), nil })
	def("exists", "<x:b>", 1, func(_ *call, a []any) (any, error) { return arg(a, 0) != nil, nil })
	def("spread", "<x-:a<o>>", 1, func(_ *call, a []any) (any, error) { return spread(arg(a, 0)), nil })
	def("merge", "<a<o>:o>", 1, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		res := NewObject()
		for _, v := range arr.items {
			o := v.(*Object)
			for _, k := range o.keys {
				res.Set(k, o.m[k])
			}
		}
		return res, nil
	})
	def("reverse", "<a:a>", 1, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		if len(arr.items) <= 1 {
			return arr, nil
		}
		res := &Array{items: make([]any, len(arr.items))}
		for i, v := range arr.items {
			res.items[len(arr.items)-1-i] = v
		}
		return res, nil
	})
	def("each", "<o-f:a>", 2, func(c *call, a []any) (any, error) {
		res := newSeq()
		o, ok := arg(a, 0).(*Object)
		if !ok {
			return res, nil
		}
		f := a[1].(Callable)
		for _, k := range o.keys {
			r, err := apply(f, hofArgs(f, o.m[k], k, o), nil, c.env)
			if err != nil {
				return nil, err
			}
			if r != nil {
				res.push(r)
			}
		}
		return res, nil
	})
	def("error", "<s?:x>", 1, func(_ *call, a []any) (any, error) {
		msg, _ := arg(a, 0).(string)
		if msg == "" {
			msg = "$error() function evaluated"
		}
		return nil, &Error{Code: "D3137", Position: -1, Message: msg}
	})
	def("assert", "<bs?:x>", 2, func(_ *call, a []any) (any, error) {
		if b, _ := arg(a, 0).(bool); !b {
			msg, _ := arg(a, 1).(string)
			if msg == "" {
				msg = "$assert() statement failed"
			}
			return nil, &Error{Code: "D3141", Position: -1, Message: msg}
		}
		return nil, nil
	})
	def("type", "<x:s>", 1, func(_ *call, a []any) (any, error) {
		switch arg(a, 0).(type) {
		case nil:
			return nil, nil
		case nullType:
			return "null", nil
		case float64:
			return "number", nil
		case string:
			return "string", nil
		case bool:
			return "boolean", nil
		case *Array:
			return "array", nil
		case Callable:
			return "function", nil
		}
		return "object", nil
	})
	def("sort", "<af?:a>", 2, func(c *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		if len(arr.items) <= 1 {
			return arr, nil
		}
		var after func(x, y any) (bool, error)
		if f, ok := arg(a, 1).(Callable); ok {
			after = func(x, y any) (bool, error) {
				r, err := apply(f, []any{x, y}, nil, c.env)
				if err != nil {
					return false, err
				}
				return boolize(r), nil
			}
		} else {
			if !isArrayOfNumbers(arr) && !isArrayOfStrings(arr) {
				return nil, newErr("D3070", -1, "", "the single argument form of the sort function can only be applied to an array of strings or an array of numbers")
			}
			after = func(x, y any) (bool, error) { return less(y, x), nil }
		}
		r, err := mergeSort(append([]any(nil), arr.items...), after)
		if err != nil {
			return nil, err
		}
		return &Array{items: r}, nil
	})
	def("shuffle", "<a:a>", 1, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok {
			return nil, nil
		}
		if len(arr.items) <= 1 {
			return arr, nil
		}
		res := &Array{items: append([]any(nil), arr.items...)}
		rand.Shuffle(len(res.items), func(i, j int) { res.items[i], res.items[j] = res.items[j], res.items[i] })
		return res, nil
	})
	def("distinct", "<x:x>", 1, func(_ *call, a []any) (any, error) {
		arr, ok := arg(a, 0).(*Array)
		if !ok || len(arr.items) <= 1 {
			return arg(a, 0), nil
		}
		res := &Array{seq: arr.seq}
		for _, v := range arr.items {
			dup := false
			for _, r := range res.items {
				if deepEqual(v, r) {
					dup = true
					break
				}
			}
			if !dup {
				res.push(v)
			}
		}
		return res, nil
	})
	def("base64encode", "<s-:s>", 1, func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		// btoa works on Latin-1 code units.
		b := make([]byte, 0, len(s))
		for _, r := range s {
			b = append(b, byte(r))
		}
		return base64.StdEncoding.EncodeToString(b), nil
	})
	def("base64decode", "<s-:s>", 1, func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
			if err != nil {
				return nil, newErr("D3140", -1, "", "malformed base64 passed to $base64decode()")
			}
		}
		rs := make([]rune, len(b))
		for i, c := range b {
			rs[i] = rune(c)
		}
		return string(rs), nil
	})
	def("encodeUrlComponent", "<s-:s>", 1, urlFn("encodeUrlComponent", func(s string) (string, bool) { return jsEncode(s, uriUnreservedComponent) }))
	def("encodeUrl", "<s-:s>", 1, urlFn("encodeUrl", func(s string) (string, bool) { return jsEncode(s, uriUnreservedFull) }))
	def("decodeUrlComponent", "<s-:s>", 1, urlFn("decodeUrlComponent", func(s string) (string, bool) { return jsDecode(s, "") }))
	def("decodeUrl", "<s-:s>", 1, urlFn("decodeUrl", func(s string) (string, bool) { return jsDecode(s, ";/?:@&=+$,#") }))
	def("eval", "<sx?:x>", 2, func(c *call, a []any) (any, error) {
		src, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		input := c.input
		if len(a) > 1 && a[1] != nil {
			input = a[1]
			if arr, ok := input.(*Array); ok && !arr.seq {
				w := newSeq(arr)
				w.outer = true
				input = w
			}
		}
		ast, err := parse(src)
		if err != nil {
			return nil, newErr("D3120", -1, "", "syntax error in the expression passed to $eval: %v", err)
		}
		r, err := eval(ast, input, c.env)
		if err != nil {
			return nil, newErr("D3121", -1, "", "dynamic error evaluating the expression passed to $eval: %v", err)
		}
		return r, nil
	})
	def("toMillis", "<s-s?:n>", 2, fnToMillis)
	def("fromMillis", "<n-s?s?:s>", 3, fnFromMillis)
	def("now", "<s?s?:s>", 2, func(c *call, a []any) (any, error) {
		ms := float64(c.env.st.now.UnixMilli())
		return fnFromMillis(c, []any{ms, arg(a, 0), arg(a, 1)})
	})
	def("millis", "<:n>", 0, func(c *call, _ []any) (any, error) { return float64(c.env.st.now.UnixMilli()), nil })
	def("clone", "<(oa)-:o>", 1, func(_ *call, a []any) (any, error) {
		if arg(a, 0) == nil {
			return nil, nil
		}
		s, err := toStringFn(a[0], false)
		if err != nil {
			return nil, err
		}
		return ParseJSON([]byte(s))
	})
}

func strFn(f func(string) string) func(*call, []any) (any, error) {
	return func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		return f(s), nil
	}
}

func numFn(f func(float64) float64) func(*call, []any) (any, error) {
	return func(_ *call, a []any) (any, error) {
		v, ok := arg(a, 0).(float64)
		if !ok {
			return nil, nil
		}
		r := f(v)
		if r == 0 {
			r = 0 // no negative zero
		}
		return r, nil
	}
}

func urlFn(name string, f func(string) (string, bool)) func(*call, []any) (any, error) {
	return func(_ *call, a []any) (any, error) {
		s, ok := arg(a, 0).(string)
		if !ok {
			return nil, nil
		}
		r, ok := f(s)
		if !ok {
			return nil, newErr("D3140", -1, "", "malformed URL passed to $%s(): %q", name, s)
		}
		return r, nil
	}
}

const uriUnreservedComponent = "-_.!~*'()"
const uriUnreservedFull = "-_.!~*'();/?:@&=+$,#"

func jsEncode(s string, keep string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return "", false
		}
		if r >= 0xD800 && r <= 0xDFFF {
			return "", false
		}
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(keep, r)) {
			b.WriteRune(r)
		} else {
			for _, c := range []byte(s[i : i+size]) {
				b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
			}
		}
		i += size
	}
	return b.String(), true
}

func jsDecode(s string, reserved string) (string, bool) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = append(out, s[i])
			continue
		}
		if i+2 >= len(s)+0 && i+2 > len(s)-1 {
			if i+2 > len(s)-1 {
				return "", false
			}
		}
		v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		if v < 0x80 && strings.IndexByte(reserved, byte(v)) >= 0 {
			out = append(out, s[i:i+3]...)
		} else {
			out = append(out, byte(v))
		}
		i += 2
	}
	if !utf8.Valid(out) {
		return "", false
	}
	_ = url.PathEscape
	return string(out), true
}

func hofArgs(f Callable, v, i, arr any) []any {
	args := []any{v}
	n := f.arity()
	if n >= 2 {
		args = append(args, i)
	}
	if n >= 3 {
		args = append(args, arr)
	}
	return args
}

func keysOf(v any) *Array {
	res := newSeq()
	switch x := v.(type) {
	case *Array:
		seen := map[string]bool{}
		for _, it := range x.items {
			for _, k := range keysOf(it).items {
				if !seen[k.(string)] {
					seen[k.(string)] = true
					res.push(k)
				}
			}
		}
	case *Object:
		for _, k := range x.keys {
			res.push(k)
		}
	}
	return res
}

func spread(v any) any {
	switch x := v.(type) {
	case *Array:
		var res any = newSeq()
		for _, it := range x.items {
			res = fnAppend(res, spread(it))
		}
		return res
	case *Object:
		res := newSeq()
		for _, k := range x.keys {
			o := NewObject()
			o.Set(k, x.m[k])
			res.push(o)
		}
		return res
	}
	return v
}

// toBoolean is $boolean; the second result is false for undefined.
func toBoolean(v any) (bool, bool) {
	switch x := v.(type) {
	case nil:
		return false, false
	case *Array:
		if len(x.items) == 1 {
			b, _ := toBoolean(x.items[0])
			return b, true
		}
		for _, it := range x.items {
			if b, _ := toBoolean(it); b {
				return true, true
			}
		}
		return false, true
	case string:
		return x != "", true
	case float64:
		return x != 0 && !math.IsNaN(x), true
	case *Object:
		return x.Len() > 0, true
	case bool:
		return x, true
	}
	return false, true
}

// toStringFn is $string.
func toStringFn(v any, pretty bool) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case Callable:
		return "", nil
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return "", newErr("D3001", -1, "", "attempting to invoke string function on Infinity or NaN")
		}
	}
	if a, ok := v.(*Array); ok && a.outer {
		v = a.items[0]
	}
	if err := checkFinite(v); err != nil {
		return "", err
	}
	return stringValue(v, pretty), nil
}

func checkFinite(v any) error {
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return newErr("D1001", -1, "", "number out of range: %s", formatNumber(x))
		}
	case *Array:
		for _, it := range x.items {
			if err := checkFinite(it); err != nil {
				return err
			}
		}
	case *Object:
		for _, k := range x.keys {
			if err := checkFinite(x.m[k]); err != nil {
				return err
			}
		}
	}
	return nil
}

func stringValue(v any, pretty bool) string {
	var b strings.Builder
	indent := ""
	if pretty {
		indent = "  "
	}
	stringify(&b, v, indent, "")
	return b.String()
}

var numberRE = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$`)

func toNumber(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		return x, nil
	case bool:
		if x {
			return 1.0, nil
		}
		return 0.0, nil
	case string:
		if numberRE.MatchString(x) {
			if f, err := strconv.ParseFloat(x, 64); err == nil && !math.IsInf(f, 0) {
				return f, nil
			}
		}
		if len(x) > 2 && x[0] == '0' {
			base := 0
			switch x[1] {
			case 'x', 'X':
				base = 16
			case 'o', 'O':
				base = 8
			case 'b', 'B':
				base = 2
			}
			if base != 0 {
				if n, err := strconv.ParseUint(x[2:], base, 64); err == nil {
					return float64(n), nil
				}
			}
		}
	}
	return nil, newErr("D3030", -1, "", "unable to cast value to a number: %s", describe(v))
}

// substring works on code points, like jsonata-js.
func substring(s string, start float64, length any) string {
	rs := []rune(s)
	n := len(rs)
	st := int(start)
	if n+st < 0 {
		st = 0
	}
	if st < 0 {
		st = n + st
	}
	if st > n {
		st = n
	}
	if l, ok := length.(float64); ok {
		if l <= 0 {
			return ""
		}
		end := st + int(l)
		if end > n {
			end = n
		}
		if end < st {
			return ""
		}
		return string(rs[st:end])
	}
	return string(rs[st:])
}

// roundHalfEven rounds v to p decimal places, halves to even.
func roundHalfEven(v float64, p int) float64 {
	x := v
	if p != 0 {
		s := strconv.FormatFloat(v, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		e, _ := strconv.Atoi(exp)
		x, _ = strconv.ParseFloat(mant+"e"+strconv.Itoa(e+p), 64)
	}
	r := math.Floor(x + 0.5)
	diff := r - x
	if math.Abs(diff) == 0.5 && math.Mod(math.Abs(r), 2) == 1 {
		r = r - 1
	}
	if p != 0 {
		s := strconv.FormatFloat(r, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		e, _ := strconv.Atoi(exp)
		r, _ = strconv.ParseFloat(mant+"e"+strconv.Itoa(e-p), 64)
	}
	if r == 0 {
		r = 0
	}
	return r
}

// matchObj reads a matcher result: byte offsets into s and the groups.
type matchObj struct {
	start, end int
	match      string
	groups     []any
	next       any
}

func byteOffset(s string, u16 int) int {
	n := 0
	for i, r := range s {
		if n >= u16 {
			return i
		}
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return len(s)
}

func runMatcher(c *call, m any, s string) (*matchObj, error) {
	f, ok := m.(Callable)
	if !ok {
		return nil, nil
	}
	r, err := apply(f, []any{s}, nil, c.env)
	if err != nil {
		return nil, err
	}
	return readMatch(r, s)
}

func readMatch(r any, s string) (*matchObj, error) {
	if r == nil {
		return nil, nil
	}
	o, ok := r.(*Object)
	if !ok {
		return nil, newErr("T1010", -1, "", "the matcher function argument does not return the correct object structure")
	}
	mo := &matchObj{next: o.m["next"]}
	mo.match, _ = o.m["match"].(string)
	if b, ok := o.m["_bytes"].([2]int); ok {
		mo.start, mo.end = b[0], b[1]
	} else {
		st, okS := o.m["start"].(float64)
		en, okE := o.m["end"].(float64)
		_, okG := o.m["groups"].(*Array)
		if !okS && !okE && !okG && !isFunction(o.m["next"]) {
			return nil, newErr("T1010", -1, "", "the matcher function argument does not return the correct object structure")
		}
		mo.start, mo.end = byteOffset(s, int(st)), byteOffset(s, int(en))
	}
	if g, ok := o.m["groups"].(*Array); ok {
		mo.groups = g.items
	}
	return mo, nil
}

func nextMatch(c *call, mo *matchObj, s string) (*matchObj, error) {
	f, ok := mo.next.(Callable)
	if !ok {
		return nil, nil
	}
	r, err := apply(f, nil, nil, c.env)
	if err != nil {
		return nil, err
	}
	return readMatch(r, s)
}

func fnMatch(c *call, a []any) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, nil
	}
	limit, hasLimit := arg(a, 2).(float64)
	if hasLimit && limit < 0 {
		return nil, newErr("D3040", -1, "", "the third argument of the match function must evaluate to a positive number")
	}
	res := newSeq()
	if hasLimit && limit == 0 {
		return res, nil
	}
	m, err := runMatcher(c, a[1], s)
	if err != nil {
		return nil, err
	}
	count := 0
	for m != nil && (!hasLimit || float64(count) < limit) {
		o := NewObject()
		o.Set("match", m.match)
		o.Set("index", float64(utf16Len(s[:m.start])))
		o.Set("groups", &Array{items: m.groups})
		res.push(o)
		if m, err = nextMatch(c, m, s); err != nil {
			return nil, err
		}
		count++
	}
	return res, nil
}

func fnReplace(c *call, a []any) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, nil
	}
	if p, ok := a[1].(string); ok && p == "" {
		return nil, newErr("D3010", -1, "", "the second argument of the replace function cannot be an empty string")
	}
	limit, hasLimit := arg(a, 3).(float64)
	if hasLimit && limit < 0 {
		return nil, newErr("D3011", -1, "", "the fourth argument of the replace function must evaluate to a positive number")
	}
	if hasLimit && limit == 0 {
		return s, nil
	}
	repl := a[2]
	replaceWith := func(m *matchObj) (string, error) {
		if rs, ok := repl.(string); ok {
			return substitute(rs, m), nil
		}
		mo := NewObject()
		mo.Set("match", m.match)
		mo.Set("index", float64(utf16Len(s[:m.start])))
		mo.Set("groups", &Array{items: m.groups})
		r, err := apply(repl.(Callable), []any{mo}, nil, c.env)
		if err != nil {
			return "", err
		}
		str, ok := r.(string)
		if !ok {
			return "", newErr("D3012", -1, "", "attempted to replace a matched string with a non-string value")
		}
		return str, nil
	}
	var b strings.Builder
	count := 0
	if p, ok := a[1].(string); ok {
		rs, _ := repl.(string)
		pos := 0
		for {
			i := strings.Index(s[pos:], p)
			if i < 0 || (hasLimit && float64(count) >= limit) {
				break
			}
			b.WriteString(s[pos : pos+i])
			b.WriteString(rs)
			pos += i + len(p)
			count++
		}
		b.WriteString(s[pos:])
		return b.String(), nil
	}
	m, err := runMatcher(c, a[1], s)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return s, nil
	}
	pos := 0
	for m != nil && (!hasLimit || float64(count) < limit) {
		b.WriteString(s[pos:m.start])
		r, err := replaceWith(m)
		if err != nil {
			return nil, err
		}
		b.WriteString(r)
		pos = m.start + len(m.match)
		count++
		if m, err = nextMatch(c, m, s); err != nil {
			return nil, err
		}
	}
	b.WriteString(s[pos:])
	return b.String(), nil
}

// substitute expands $0, $1.. and $$ in a replacement string.
func substitute(repl string, m *matchObj) string {
	var b strings.Builder
	pos := 0
	for {
		idx := strings.IndexByte(repl[pos:], '$')
		if idx < 0 || pos >= len(repl) {
			break
		}
		idx += pos
		b.WriteString(repl[pos:idx])
		pos = idx + 1
		if pos >= len(repl) {
			b.WriteByte('$')
			break
		}
		d := repl[pos]
		switch {
		case d == '$':
			b.WriteByte('$')
			pos++
		case d == '0':
			b.WriteString(m.match)
			pos++
		default:
			maxDigits := 1
			if len(m.groups) > 0 {
				maxDigits = int(math.Floor(math.Log10(float64(len(m.groups))))) + 1
			}
			end := min(pos+maxDigits, len(repl))
			n, err := strconv.Atoi(digitsPrefix(repl[pos:end]))
			if maxDigits > 1 && n > len(m.groups) {
				n, err = strconv.Atoi(digitsPrefix(repl[pos : end-1]))
			}
			if err == nil {
				if len(m.groups) > 0 && n >= 1 && n <= len(m.groups) {
					if g, ok := m.groups[n-1].(string); ok {
						b.WriteString(g)
					}
				}
				pos += len(strconv.Itoa(n))
			} else {
				b.WriteByte('$')
			}
		}
	}
	if pos < len(repl) {
		b.WriteString(repl[pos:])
	}
	return b.String()
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}

func fnSplit(c *call, a []any) (any, error) {
	s, ok := arg(a, 0).(string)
	if !ok {
		return nil, nil
	}
	limit, hasLimit := arg(a, 2).(float64)
	if hasLimit && limit < 0 {
		return nil, newErr("D3020", -1, "", "the third argument of the split function must evaluate to a positive number")
	}
	res := &Array{items: []any{}}
	if hasLimit && limit == 0 {
		return res, nil
	}
	if sep, ok := a[1].(string); ok {
		var parts []string
		if sep == "" {
			for _, u := range utf16.Encode([]rune(s)) {
				parts = append(parts, string(utf16.Decode([]uint16{u})))
			}
		} else {
			parts = strings.Split(s, sep)
		}
		for _, p := range parts {
			if hasLimit && float64(len(res.items)) >= math.Floor(limit) {
				break
			}
			res.push(p)
		}
		return res, nil
	}
	m, err := runMatcher(c, a[1], s)
	if err != nil {
		return nil, err
	}
	if m == nil {
		res.push(s)
		return res, nil
	}
	start, count := 0, 0
	for m != nil && (!hasLimit || float64(count) < limit) {
		res.push(s[start:m.start])
		start = m.end
		if m, err = nextMatch(c, m, s); err != nil {
			return nil, err
		}
		count++
	}
	if !hasLimit || float64(count) < limit {
		res.push(s[start:])
	}
	return res, nil
}
