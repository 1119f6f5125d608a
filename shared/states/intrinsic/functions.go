package intrinsic

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"math"
	mrand "math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

// Eval evaluates the invocation against the state input and the context
// object. Run-time errors are *Failure.
func (e *Expr) Eval(input, ctx any, env Env) (any, error) {
	return e.root.eval(input, ctx, &env)
}

func (c *call) eval(input, ctx any, env *Env) (any, error) {
	vals := make([]any, len(c.args))
	for i := range c.args {
		a := &c.args[i]
		switch a.kind {
		case argLit:
			vals[i] = a.lit
		case argPath:
			v, err := a.path.GetContext(input, ctx)
			if err != nil {
				return nil, &Failure{Function: c.name, Reason: fmt.Sprintf("argument %d: %v", i+1, err), Err: err}
			}
			vals[i] = v
		case argCall:
			v, err := a.call.eval(input, ctx, env)
			if err != nil {
				return nil, err
			}
			vals[i] = v
		}
	}
	return c.fn.eval(c, vals, env)
}

type kind uint8

const (
	kAny kind = iota
	kString
	kNumber
	kInt
	kBool
	kArray
	kObject
)

type function struct {
	min, max     int    // argument count; max < 0: no upper bound
	params       []kind // per position; the last one repeats
	compileCheck func(c *call) error
	eval         func(c *call, v []any, env *Env) (any, error)
}

func (f *function) param(i int) kind {
	if len(f.params) == 0 {
		return kAny
	}
	if i < len(f.params) {
		return f.params[i]
	}
	return f.params[len(f.params)-1]
}

func (f *function) checkArity(n int) error {
	switch {
	case f.min == f.max && n != f.min:
		return fmt.Errorf("takes %d argument(s), got %d", f.min, n)
	case n < f.min:
		return fmt.Errorf("takes at least %d argument(s), got %d", f.min, n)
	case f.max >= 0 && n > f.max:
		return fmt.Errorf("takes at most %d argument(s), got %d", f.max, n)
	}
	return nil
}

func (f *function) checkLiteral(i int, a arg) error {
	switch f.param(i) {
	case kString:
		if _, ok := a.lit.(string); !ok {
			return fmt.Errorf("must be a string, not %s", describe(a.lit))
		}
	case kNumber:
		if _, ok := a.lit.(json.Number); !ok {
			return fmt.Errorf("must be a number, not %s", describe(a.lit))
		}
	case kInt:
		if _, err := integer(a.lit); err != nil {
			return err
		}
	case kBool:
		if _, ok := a.lit.(bool); !ok {
			return fmt.Errorf("must be a boolean, not %s", describe(a.lit))
		}
	case kArray:
		return fmt.Errorf("must be an array (a path or an invocation), not %s", describe(a.lit))
	case kObject:
		return fmt.Errorf("must be an object (a path or an invocation), not %s", describe(a.lit))
	}
	return nil
}

const maxStringChars = 10000 // AWS's limit for Base64Encode/Decode and Hash input
const maxRangeItems = 1000   // AWS's limit for ArrayRange

var functions map[string]*function

func init() {
	functions = map[string]*function{
		"States.Format":         {min: 1, max: -1, params: []kind{kString, kAny}, compileCheck: formatCheck, eval: format},
		"States.StringToJson":   {min: 1, max: 1, params: []kind{kString}, eval: stringToJSON},
		"States.JsonToString":   {min: 1, max: 1, eval: jsonToString},
		"States.Array":          {min: 0, max: -1, eval: array},
		"States.ArrayPartition": {min: 2, max: 2, params: []kind{kArray, kInt}, compileCheck: partitionCheck, eval: arrayPartition},
		"States.ArrayContains":  {min: 2, max: 2, params: []kind{kArray, kAny}, eval: arrayContains},
		"States.ArrayRange":     {min: 3, max: 3, params: []kind{kInt}, compileCheck: rangeCheck, eval: arrayRange},
		"States.ArrayGetItem":   {min: 2, max: 2, params: []kind{kArray, kInt}, compileCheck: getItemCheck, eval: arrayGetItem},
		"States.ArrayLength":    {min: 1, max: 1, params: []kind{kArray}, eval: arrayLength},
		"States.ArrayUnique":    {min: 1, max: 1, params: []kind{kArray}, eval: arrayUnique},
		"States.Base64Encode":   {min: 1, max: 1, params: []kind{kString}, compileCheck: lengthCheck(0), eval: base64Encode},
		"States.Base64Decode":   {min: 1, max: 1, params: []kind{kString}, compileCheck: lengthCheck(0), eval: base64Decode},
		"States.Hash":           {min: 2, max: 2, params: []kind{kString, kString}, compileCheck: hashCheck, eval: hashFn},
		"States.JsonMerge":      {min: 3, max: 3, params: []kind{kObject, kObject, kBool}, compileCheck: mergeCheck, eval: jsonMerge},
		"States.MathRandom":     {min: 2, max: 3, params: []kind{kNumber}, eval: mathRandom},
		"States.MathAdd":        {min: 2, max: 2, params: []kind{kNumber}, eval: mathAdd},
		"States.StringSplit":    {min: 2, max: 2, params: []kind{kString}, eval: stringSplit},
		"States.UUID":           {min: 0, max: 0, eval: uuid},
	}
}

// ---- helpers ----

func fail(c *call, format string, args ...any) error {
	return &Failure{Function: c.name, Reason: fmt.Sprintf(format, args...)}
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		if len(x) > 40 {
			x = x[:40] + "..."
		}
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("the boolean %v", x)
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	if f, ok := jsonpath.ToFloat(v); ok {
		return "the number " + strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprintf("a %T", v)
}

var errNotInteger = errors.New("must be an integer")

// integer returns v as an int64 if it is a number with an integral value.
func integer(v any) (int64, error) {
	if n, ok := v.(json.Number); ok {
		if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
			return i, nil
		}
	}
	f, ok := jsonpath.ToFloat(v)
	if !ok {
		return 0, fmt.Errorf("%w, not %s", errNotInteger, describe(v))
	}
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, fmt.Errorf("%w, not %s", errNotInteger, describe(v))
	}
	return int64(f), nil
}

// rounded returns v rounded to the nearest integer, halves up (Java's Math.round).
func rounded(v any) (int64, error) {
	if i, err := integer(v); err == nil {
		return i, nil
	}
	f, ok := jsonpath.ToFloat(v)
	if !ok {
		return 0, fmt.Errorf("must be a number, not %s", describe(v))
	}
	r := math.Floor(f + 0.5)
	if math.IsNaN(r) || r < -(1<<63) || r >= 1<<63 {
		return 0, fmt.Errorf("%s is out of the integer range", describe(v))
	}
	return int64(r), nil
}

func num(i int64) json.Number { return json.Number(strconv.FormatInt(i, 10)) }

func litInt(a arg) (int64, bool) {
	if a.kind != argLit {
		return 0, false
	}
	i, err := integer(a.lit)
	return i, err == nil
}

func litString(a arg) (string, bool) {
	if a.kind != argLit {
		return "", false
	}
	s, ok := a.lit.(string)
	return s, ok
}

func argArray(c *call, v []any, i int) ([]any, error) {
	a, ok := v[i].([]any)
	if !ok {
		return nil, fail(c, "argument %d must be an array, not %s", i+1, describe(v[i]))
	}
	return a, nil
}

func argString(c *call, v []any, i int) (string, error) {
	s, ok := v[i].(string)
	if !ok {
		return "", fail(c, "argument %d must be a string, not %s", i+1, describe(v[i]))
	}
	return s, nil
}

func argInt(c *call, v []any, i int) (int64, error) {
	n, err := integer(v[i])
	if err != nil {
		return 0, fail(c, "argument %d %v", i+1, err)
	}
	return n, nil
}

func argRounded(c *call, v []any, i int) (int64, error) {
	n, err := rounded(v[i])
	if err != nil {
		return 0, fail(c, "argument %d %v", i+1, err)
	}
	return n, nil
}

func argMaxChars(c *call, s string, i int) error {
	if n := utf8.RuneCountInString(s); n > maxStringChars {
		return fail(c, "argument %d has %d characters; at most %d are allowed", i+1, n, maxStringChars)
	}
	return nil
}

// ---- States.Format ----

func formatCheck(c *call) error {
	if len(c.args[0].tmpl) > 0 && c.args[0].kind == argLit {
		if want := len(c.args[0].tmpl) - 1; want != len(c.args)-1 {
			return fmt.Errorf("States.Format template has %d {} placeholder(s) but %d value(s) follow", want, len(c.args)-1)
		}
	}
	return nil
}

func format(c *call, v []any, _ *Env) (any, error) {
	parts := c.args[0].tmpl
	if c.args[0].kind != argLit {
		s, err := argString(c, v, 0)
		if err != nil {
			return nil, err
		}
		parts = strings.Split(s, "{}")
	}
	if len(parts)-1 != len(v)-1 {
		return nil, fail(c, "the template has %d {} placeholder(s) but %d value(s) follow", len(parts)-1, len(v)-1)
	}
	var b strings.Builder
	b.WriteString(parts[0])
	for i, p := range parts[1:] {
		writeFormatValue(&b, v[i+1])
		b.WriteString(p)
	}
	return b.String(), nil
}

// writeFormatValue renders as AWS does: strings raw, other scalars as JSON,
// objects and arrays as Java's toString ({k=v, ...}, [a, b]).
func writeFormatValue(b *strings.Builder, v any) {
	switch x := v.(type) {
	case string:
		b.WriteString(x)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(k)
			b.WriteByte('=')
			writeFormatValue(b, x[k])
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			writeFormatValue(b, e)
		}
		b.WriteByte(']')
	default:
		s, err := marshal(v)
		if err != nil {
			fmt.Fprint(b, v)
			return
		}
		b.WriteString(s)
	}
}

// ---- JSON ----

func marshal(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func stringToJSON(c *call, v []any, _ *Env) (any, error) {
	s, err := argString(c, v, 0)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, fail(c, "the string is not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fail(c, "the string holds more than one JSON value")
	}
	return out, nil
}

func jsonToString(c *call, v []any, env *Env) (any, error) {
	enc := marshal
	if env.Encode != nil {
		enc = env.Encode
	}
	s, err := enc(v[0])
	if err != nil {
		return nil, fail(c, "cannot encode the value as JSON: %v", err)
	}
	return s, nil
}

func jsonMerge(c *call, v []any, _ *Env) (any, error) {
	a, ok := v[0].(map[string]any)
	if !ok {
		return nil, fail(c, "argument 1 must be an object, not %s", describe(v[0]))
	}
	b, ok := v[1].(map[string]any)
	if !ok {
		return nil, fail(c, "argument 2 must be an object, not %s", describe(v[1]))
	}
	deep, ok := v[2].(bool)
	if !ok {
		return nil, fail(c, "argument 3 must be a boolean, not %s", describe(v[2]))
	}
	if deep {
		return nil, fail(c, "only shallow merging is supported: argument 3 must be false")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, x := range a {
		out[k] = x
	}
	for k, x := range b {
		out[k] = x
	}
	return out, nil
}

func mergeCheck(c *call) error {
	if a := c.args[2]; a.kind == argLit && a.lit == true {
		return errors.New("States.JsonMerge supports only shallow merging: argument 3 must be false")
	}
	return nil
}

// ---- arrays ----

func array(_ *call, v []any, _ *Env) (any, error) {
	out := make([]any, len(v))
	copy(out, v)
	return out, nil
}

func partitionCheck(c *call) error {
	if n, ok := litInt(c.args[1]); ok && n <= 0 {
		return fmt.Errorf("States.ArrayPartition chunk size must be a positive integer, not %d", n)
	}
	return nil
}

func arrayPartition(c *call, v []any, _ *Env) (any, error) {
	a, err := argArray(c, v, 0)
	if err != nil {
		return nil, err
	}
	n, err := argInt(c, v, 1)
	if err != nil {
		return nil, err
	}
	if n <= 0 {
		return nil, fail(c, "the chunk size must be a positive integer, not %d", n)
	}
	out := make([]any, 0, (int64(len(a))+n-1)/n)
	for i := 0; i < len(a); {
		end := len(a)
		if int64(end-i) > n {
			end = i + int(n)
		}
		chunk := make([]any, end-i)
		copy(chunk, a[i:end])
		out = append(out, chunk)
		i = end
	}
	return out, nil
}

func arrayContains(c *call, v []any, _ *Env) (any, error) {
	a, err := argArray(c, v, 0)
	if err != nil {
		return nil, err
	}
	for _, x := range a {
		if jsonpath.Equal(x, v[1]) {
			return true, nil
		}
	}
	return false, nil
}

// rangeCount is the number of items of ArrayRange(start, end, step), without overflow.
func rangeCount(start, end, step int64) uint64 {
	var q uint64
	switch {
	case step > 0 && end >= start:
		q = (uint64(end) - uint64(start)) / uint64(step)
	case step < 0 && end <= start:
		q = (uint64(start) - uint64(end)) / (uint64(-(step + 1)) + 1)
	default:
		return 0
	}
	if q == math.MaxUint64 {
		return q
	}
	return q + 1
}

func rangeCheck(c *call) error {
	if step, ok := litInt(c.args[2]); ok && step == 0 {
		return errors.New("States.ArrayRange step (argument 3) must not be 0")
	}
	start, ok1 := litInt(c.args[0])
	end, ok2 := litInt(c.args[1])
	step, ok3 := litInt(c.args[2])
	if ok1 && ok2 && ok3 {
		if n := rangeCount(start, end, step); n > maxRangeItems {
			return fmt.Errorf("States.ArrayRange would produce %d items; at most %d are allowed", n, maxRangeItems)
		}
	}
	return nil
}

func arrayRange(c *call, v []any, _ *Env) (any, error) {
	var n [3]int64
	for i := range n {
		var err error
		if n[i], err = argInt(c, v, i); err != nil {
			return nil, err
		}
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, fail(c, "the step (argument 3) must not be 0")
	}
	count := rangeCount(start, end, step)
	if count > maxRangeItems {
		return nil, fail(c, "the range would have %d items; at most %d are allowed", count, maxRangeItems)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = num(start + int64(i)*step)
	}
	return out, nil
}

func getItemCheck(c *call) error {
	if i, ok := litInt(c.args[1]); ok && i < 0 {
		return fmt.Errorf("States.ArrayGetItem index must not be negative, got %d", i)
	}
	return nil
}

func arrayGetItem(c *call, v []any, _ *Env) (any, error) {
	a, err := argArray(c, v, 0)
	if err != nil {
		return nil, err
	}
	i, err := argInt(c, v, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, fail(c, "index %d is outside the array (length %d)", i, len(a))
	}
	return a[i], nil
}

func arrayLength(c *call, v []any, _ *Env) (any, error) {
	a, err := argArray(c, v, 0)
	if err != nil {
		return nil, err
	}
	return num(int64(len(a))), nil
}

func arrayUnique(c *call, v []any, _ *Env) (any, error) {
	a, err := argArray(c, v, 0)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]struct{}, len(a))
	out := make([]any, 0, len(a))
	var b strings.Builder
	for _, x := range a {
		b.Reset()
		canonical(&b, x)
		k := b.String()
		if _, dup := seen[k]; dup {
			continue
		}
		seen[k] = struct{}{}
		out = append(out, x)
	}
	return out, nil
}

// canonical writes a key for x such that two values get the same key exactly
// when jsonpath.Equal holds (numbers by value, objects by sorted members).
func canonical(b *strings.Builder, x any) {
	switch v := x.(type) {
	case nil:
		b.WriteString("z")
	case bool:
		if v {
			b.WriteString("t")
		} else {
			b.WriteString("f")
		}
	case string:
		b.WriteString("s")
		b.WriteString(strconv.Quote(v))
	case []any:
		b.WriteString("[")
		for _, e := range v {
			canonical(b, e)
			b.WriteByte(',')
		}
		b.WriteString("]")
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{")
		for _, k := range keys {
			b.WriteString(strconv.Quote(k))
			b.WriteByte(':')
			canonical(b, v[k])
			b.WriteByte(',')
		}
		b.WriteString("}")
	default:
		if f, ok := jsonpath.ToFloat(v); ok {
			b.WriteString("n")
			b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
			return
		}
		fmt.Fprintf(b, "?%T:%v", v, v)
	}
}

// ---- encoding and hashing ----

func lengthCheck(i int) func(c *call) error {
	return func(c *call) error {
		if s, ok := litString(c.args[i]); ok && utf8.RuneCountInString(s) > maxStringChars {
			return fmt.Errorf("%s argument %d has more than %d characters", c.name, i+1, maxStringChars)
		}
		return nil
	}
}

func base64Encode(c *call, v []any, _ *Env) (any, error) {
	s, err := argString(c, v, 0)
	if err != nil {
		return nil, err
	}
	if err := argMaxChars(c, s, 0); err != nil {
		return nil, err
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func base64Decode(c *call, v []any, _ *Env) (any, error) {
	s, err := argString(c, v, 0)
	if err != nil {
		return nil, err
	}
	if err := argMaxChars(c, s, 0); err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		var err2 error
		if b, err2 = base64.RawStdEncoding.DecodeString(s); err2 != nil {
			return nil, fail(c, "not valid base64: %v", err)
		}
	}
	if !utf8.Valid(b) {
		return nil, fail(c, "the decoded bytes are not UTF-8 text")
	}
	return string(b), nil
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

func hashCheck(c *call) error {
	if alg, ok := litString(c.args[1]); ok {
		if _, ok := hashes[alg]; !ok {
			return fmt.Errorf("States.Hash algorithm %q is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", alg)
		}
	}
	return lengthCheck(0)(c)
}

func hashFn(c *call, v []any, _ *Env) (any, error) {
	s, err := argString(c, v, 0)
	if err != nil {
		return nil, err
	}
	if err := argMaxChars(c, s, 0); err != nil {
		return nil, err
	}
	alg, err := argString(c, v, 1)
	if err != nil {
		return nil, err
	}
	newHash, ok := hashes[alg]
	if !ok {
		return nil, fail(c, "algorithm %q is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512", alg)
	}
	h := newHash()
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ---- math ----

func mathRandom(c *call, v []any, env *Env) (any, error) {
	start, err := argRounded(c, v, 0)
	if err != nil {
		return nil, err
	}
	end, err := argRounded(c, v, 1)
	if err != nil {
		return nil, err
	}
	if start >= end {
		return nil, fail(c, "the start (%d) must be less than the end (%d), which is exclusive", start, end)
	}
	span := uint64(end) - uint64(start)
	var off uint64
	if len(v) == 3 {
		seed, err := argRounded(c, v, 2)
		if err != nil {
			return nil, err
		}
		off = mrand.New(mrand.NewPCG(uint64(seed), 0x5eed)).Uint64N(span)
	} else {
		r := mrand.Float64
		if env.Rand != nil {
			r = env.Rand
		}
		f := r() * float64(span)
		if f > 0 {
			off = uint64(f)
		}
		if off >= span {
			off = span - 1
		}
	}
	return num(int64(uint64(start) + off)), nil
}

func mathAdd(c *call, v []any, _ *Env) (any, error) {
	a, err := argRounded(c, v, 0)
	if err != nil {
		return nil, err
	}
	b, err := argRounded(c, v, 1)
	if err != nil {
		return nil, err
	}
	sum := a + b
	if (b > 0 && sum < a) || (b < 0 && sum > a) {
		return nil, fail(c, "%d + %d overflows a 64-bit integer", a, b)
	}
	return num(sum), nil
}

// ---- strings and ids ----

func stringSplit(c *call, v []any, _ *Env) (any, error) {
	s, err := argString(c, v, 0)
	if err != nil {
		return nil, err
	}
	delims, err := argString(c, v, 1)
	if err != nil {
		return nil, err
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func uuid(c *call, _ []any, env *Env) (any, error) {
	if env.UUID != nil {
		return env.UUID(), nil
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fail(c, "no randomness: %v", err)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
