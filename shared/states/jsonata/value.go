package jsonata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Values inside the evaluator: nil is JSONata's undefined, Null is JSON
// null, numbers are float64, strings, bools, *Array, *Object, and
// functions (Callable). Objects keep their keys in insertion order, as
// JavaScript objects do.

type nullType struct{}

// Null is JSON null inside the evaluator (nil is undefined).
var Null any = nullType{}

// Array is a JSONata array or sequence. The flags follow jsonata-js: a
// sequence is the result of a path step, collapsed to its single item
// unless keepSingleton; cons marks an array built by an array constructor;
// outer marks the wrapper around an input array; tupleStream holds tuples.
type Array struct {
	items         []any
	seq           bool
	keepSingleton bool
	cons          bool
	outer         bool
	tupleStream   bool
}

func newSeq(items ...any) *Array { return &Array{items: items, seq: true} }

func (a *Array) push(v any) { a.items = append(a.items, v) }

// Object is a JSON object with its keys in insertion order.
type Object struct {
	keys []string
	m    map[string]any
}

// NewObject returns an empty object.
func NewObject() *Object { return &Object{m: map[string]any{}} }

// Set sets k, keeping its first position when it already exists.
func (o *Object) Set(k string, v any) {
	if _, ok := o.m[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.m[k] = v
}

// Get returns the value of k.
func (o *Object) Get(k string) (any, bool) { v, ok := o.m[k]; return v, ok }

// Keys returns the keys in order.
func (o *Object) Keys() []string { return o.keys }

// Len is the number of keys.
func (o *Object) Len() int { return len(o.keys) }

func (o *Object) del(k string) {
	if _, ok := o.m[k]; !ok {
		return
	}
	delete(o.m, k)
	for i, kk := range o.keys {
		if kk == k {
			o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
			break
		}
	}
}

// tuple is one element of a tuple stream: '@' is the context, the other
// keys are variable bindings.
type tuple map[string]any

// FromGo converts a decoded JSON value (map[string]any, []any, string,
// bool, nil, json.Number, float64, int) into an evaluator value. Maps
// become objects with sorted keys, since Go maps have no order.
func FromGo(v any) any {
	switch x := v.(type) {
	case nil:
		return Null
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return math.Inf(1)
		}
		return f
	case float64, string, bool:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case []any:
		a := &Array{items: make([]any, len(x))}
		for i, e := range x {
			a.items[i] = FromGo(e)
		}
		return a
	case map[string]any:
		o := &Object{keys: make([]string, 0, len(x)), m: make(map[string]any, len(x))}
		for k := range x {
			o.keys = append(o.keys, k)
		}
		sort.Strings(o.keys)
		for k, e := range x {
			o.m[k] = FromGo(e)
		}
		return o
	case *Object, *Array, nullType:
		return x
	default:
		return x
	}
}

// ToGo converts an evaluator value back into the engine's JSON values
// (map[string]any, []any, json.Number, ...). Undefined values inside
// arrays and objects are dropped, functions become "", as JSON.stringify
// does. The second result is false when v itself is undefined.
func ToGo(v any) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, false
	case nullType:
		return nil, true
	case float64:
		return json.Number(formatNumber(x)), true
	case string, bool:
		return x, true
	case *Array:
		out := make([]any, 0, len(x.items))
		for _, e := range x.items {
			if g, ok := ToGo(e); ok {
				out = append(out, g)
			} else if e == nil {
				out = append(out, nil)
			}
		}
		return out, true
	case *Object:
		out := make(map[string]any, len(x.keys))
		for _, k := range x.keys {
			if g, ok := ToGo(x.m[k]); ok {
				out[k] = g
			}
		}
		return out, true
	case Callable:
		return "", true
	default:
		return nil, false
	}
}

// ParseJSON decodes JSON text into evaluator values, keeping object key
// order.
func ParseJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch x := t.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := NewObject()
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, err
				}
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				o.Set(kt.(string), v)
			}
			_, err := d.Token()
			return o, err
		case '[':
			a := &Array{}
			for d.More() {
				v, err := decodeValue(d)
				if err != nil {
					return nil, err
				}
				a.items = append(a.items, v)
			}
			_, err := d.Token()
			return a, err
		}
		return nil, fmt.Errorf("unexpected %v", x)
	case nil:
		return Null, nil
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return nil, err
		}
		return f, nil
	default:
		return x, nil
	}
}

// formatNumber formats f as JavaScript's Number.prototype.toString does.
func formatNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return "Infinity"
		}
		return "-Infinity"
	}
	abs := math.Abs(f)
	if abs >= 1e21 || abs < 1e-6 {
		s := strconv.FormatFloat(f, 'e', -1, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		exp = strings.TrimLeft(exp[1:], "0")
		if exp == "" {
			exp = "0"
		}
		return mant + "e" + string(sign) + exp
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// stringify encodes v as JSON.stringify does (with $string's rounding of
// numbers to 15 significant digits); indent is "" or two spaces.
func stringify(b *strings.Builder, v any, indent, cur string) {
	switch x := v.(type) {
	case nullType:
		b.WriteString("null")
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString("null")
			return
		}
		r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'e', 14, 64), 64)
		b.WriteString(formatNumber(r))
	case string:
		quote(b, x)
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case Callable:
		quote(b, "")
	case *Array:
		if len(x.items) == 0 {
			b.WriteString("[]")
			return
		}
		inner := cur + indent
		b.WriteByte('[')
		for i, e := range x.items {
			if i > 0 {
				b.WriteByte(',')
			}
			if indent != "" {
				b.WriteString("\n" + inner)
			}
			if e == nil {
				b.WriteString("null")
			} else {
				stringify(b, e, indent, inner)
			}
		}
		if indent != "" {
			b.WriteString("\n" + cur)
		}
		b.WriteByte(']')
	case *Object:
		inner := cur + indent
		n := 0
		b.WriteByte('{')
		for _, k := range x.keys {
			e := x.m[k]
			if e == nil {
				continue
			}
			if n > 0 {
				b.WriteByte(',')
			}
			n++
			if indent != "" {
				b.WriteString("\n" + inner)
			}
			quote(b, k)
			b.WriteByte(':')
			if indent != "" {
				b.WriteByte(' ')
			}
			stringify(b, e, indent, inner)
		}
		if indent != "" && n > 0 {
			b.WriteString("\n" + cur)
		}
		b.WriteByte('}')
	default:
		b.WriteString("null")
	}
}

// quote writes s as a JSON string the way JSON.stringify does.
func quote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	b.WriteByte('"')
}

// deepEqual is jsonata-js's isDeepEqual.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case *Array:
		y, ok := b.(*Array)
		if !ok || len(x.items) != len(y.items) {
			return false
		}
		for i := range x.items {
			if !deepEqual(x.items[i], y.items[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.m[k]
			if !ok || !deepEqual(x.m[k], yv) {
				return false
			}
		}
		return true
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case Callable:
		return a == b
	default:
		return a == b
	}
}

func isNumber(v any) bool {
	f, ok := v.(float64)
	return ok && !math.IsNaN(f)
}

func isString(v any) bool { _, ok := v.(string); return ok }

func isFunction(v any) bool { _, ok := v.(Callable); return ok }

func isArrayOfStrings(v any) bool {
	a, ok := v.(*Array)
	if !ok {
		return false
	}
	for _, e := range a.items {
		if !isString(e) {
			return false
		}
	}
	return true
}

func isArrayOfNumbers(v any) bool {
	a, ok := v.(*Array)
	if !ok {
		return false
	}
	for _, e := range a.items {
		if !isNumber(e) {
			return false
		}
	}
	return true
}

// utf16Len is the length of s in UTF-16 code units, JavaScript's length.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}
