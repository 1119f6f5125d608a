package intrinsic_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/states/intrinsic"
	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

func decode(t testing.TB, s string) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var v any
	require.NoError(t, d.Decode(&v))
	return v
}

func encode(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// fixedEnv makes MathRandom (unseeded) and UUID deterministic.
var fixedEnv = intrinsic.Env{
	Rand: func() float64 { return 0.5 },
	UUID: func() string { return "00000000-0000-4000-8000-000000000000" },
}

func TestEval(t *testing.T) {
	long := strings.Repeat("x", 10000)
	input := decode(t, `{
	  "name": "Arnav", "template": "Hello, my name is {}.",
	  "escapedJsonString": "{\"foo\": \"bar\"}",
	  "unescapedJson": {"foo": "bar"},
	  "Id": 123456,
	  "inputArray": [1, 2, 3, 4, 5, 6, 7, 8, 9],
	  "dupArray": [1, 2, 3, 3, 3, 3, 3, 3, 4],
	  "index": 5,
	  "lookingFor": 5,
	  "input": "Data to encode",
	  "base64": "RGF0YSB0byBlbmNvZGU=",
	  "Data": "input data", "Algorithm": "SHA-1",
	  "json1": {"a": {"a1": 1, "a2": 2}, "b": 2},
	  "json2": {"a": {"a3": 1, "a4": 2}, "c": 3},
	  "value1": 111, "step": -1,
	  "inputString": "This.is+a,test=string", "splitter": ".+,=",
	  "csv": "1,2,3,4,5",
	  "ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.0.2"},
	  "objs": [{"a": 1, "b": [1, 2]}, {"b": [1, 2], "a": 1.0}, {"a": 1, "b": [2, 1]}],
	  "mixed": [1, "1", true, "true", null, "null", 1.0],
	  "long": "`+long+`",
	  "half": 2.5, "neg": -2.5, "float": 2.4
	}`)
	ctx := decode(t, `{"Execution": {"Id": "arn:exec:1", "Name": "run-1"}, "Map": {"Item": {"Index": 3}}}`)
	tests := []struct {
		expr, want string
	}{
		// AWS developer guide examples.
		{`States.Format('Hello, my name is {}.', $.name)`, `"Hello, my name is Arnav."`},
		{`States.Format($.template, $.name)`, `"Hello, my name is Arnav."`},
		{`States.StringToJson($.escapedJsonString)`, `{"foo":"bar"}`},
		{`States.JsonToString($.unescapedJson)`, `"{\"foo\":\"bar\"}"`},
		{`States.Array($.Id)`, `[123456]`},
		{`States.ArrayPartition($.inputArray,4)`, `[[1,2,3,4],[5,6,7,8],[9]]`},
		{`States.ArrayContains($.inputArray, $.lookingFor)`, `true`},
		{`States.ArrayRange(1, 9, 2)`, `[1,3,5,7,9]`},
		{`States.ArrayGetItem($.inputArray, $.index)`, `6`},
		{`States.ArrayLength($.inputArray)`, `9`},
		{`States.ArrayUnique($.dupArray)`, `[1,2,3,4]`},
		{`States.Base64Encode($.input)`, `"RGF0YSB0byBlbmNvZGU="`},
		{`States.Base64Decode($.base64)`, `"Data to encode"`},
		{`States.Hash($.Data, $.Algorithm)`, `"aaff4a450a104cd177d28d18d74485e8cae074b7"`},
		{`States.JsonMerge($.json1, $.json2, false)`, `{"a":{"a3":1,"a4":2},"b":2,"c":3}`},
		{`States.MathAdd($.value1, $.step)`, `110`},
		{`States.StringSplit($.inputString, $.splitter)`, `["This","is","a","test","string"]`},
		{`States.StringSplit($.csv, ',')`, `["1","2","3","4","5"]`},
		{`States.UUID()`, `"00000000-0000-4000-8000-000000000000"`},
		// Format: escapes, literals of every kind, context paths.
		{`States.Format('\{\} is {} \'q\' \\ {}', 'x', $$.Execution.Name)`, `"{} is x 'q' \\ run-1"`},
		{`States.Format('{} {} {} {}', 1.5, true, null, $.Id)`, `"1.5 true null 123456"`},
		{`States.Format('{}|{}', $.json1, $.inputArray)`, `"{a={a1=1, a2=2}, b=2}|[1, 2, 3, 4, 5, 6, 7, 8, 9]"`},
		{`States.Format('no placeholders')`, `"no placeholders"`},
		{`States.Format('a { b } c')`, `"a { b } c"`},
		{`States.Format('item {}', $$.Map.Item.Index)`, `"item 3"`},
		{`States.Format( 'x{}' ,  $.name )`, `"xArnav"`},
		// Array and friends.
		{`States.Array()`, `[]`},
		{`States.Array(1, 'two', true, null, $.unescapedJson, States.Array(3))`, `[1,"two",true,null,{"foo":"bar"},[3]]`},
		{`States.ArrayPartition($.inputArray, 20)`, `[[1,2,3,4,5,6,7,8,9]]`},
		{`States.ArrayPartition(States.Array(), 3)`, `[]`},
		{`States.ArrayPartition($.inputArray, 3.0)`, `[[1,2,3],[4,5,6],[7,8,9]]`},
		{`States.ArrayContains($.inputArray, 10)`, `false`},
		{`States.ArrayContains($.objs, $.json1)`, `false`},
		{`States.ArrayContains($.objs, States.StringToJson('{"b":[1,2],"a":1}'))`, `true`},
		{`States.ArrayRange(9, 1, -2)`, `[9,7,5,3,1]`},
		{`States.ArrayRange(1, 8, 2)`, `[1,3,5,7]`},
		{`States.ArrayRange(5, 5, 3)`, `[5]`},
		{`States.ArrayRange(9, 1, 2)`, `[]`},
		{`States.ArrayRange(-3, 0, 1)`, `[-3,-2,-1,0]`},
		{`States.ArrayLength(States.ArrayRange(1, 1000, 1))`, `1000`},
		{`States.ArrayGetItem($.inputArray, 0)`, `1`},
		{`States.ArrayGetItem($.inputArray, 8)`, `9`},
		{`States.ArrayUnique($.objs)`, `[{"a":1,"b":[1,2]},{"a":1,"b":[2,1]}]`},
		{`States.ArrayUnique($.mixed)`, `[1,"1",true,"true",null,"null"]`},
		{`States.ArrayLength(States.Array())`, `0`},
		// Encoding, hashing.
		{`States.Base64Encode('')`, `""`},
		{`States.Base64Decode(States.Base64Encode('héllo \{x\}'))`, `"héllo {x}"`},
		{`States.Base64Decode('aGk')`, `"hi"`},
		{`States.Hash('input data', 'MD5')`, `"812f45842bc6d66ee14572ce20db8e86"`},
		{`States.Hash('', 'SHA-256')`, `"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"`},
		{`States.Hash('abc', 'SHA-384')`, `"cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7"`},
		{`States.Hash('abc', 'SHA-512')`, `"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"`},
		{`States.Base64Encode($.long)`, `"` + strings.Repeat("eHh4", 3333) + `eA=="`},
		// JSON.
		{`States.StringToJson('[1, 2.50, "x"]')`, `[1,2.50,"x"]`},
		{`States.StringToJson(' 42 ')`, `42`},
		{`States.JsonToString(States.Array('<a&b>', 1))`, `"[\"<a&b>\",1]"`},
		{`States.JsonToString('text')`, `"\"text\""`},
		{`States.JsonMerge($.json1, States.StringToJson('{}'), false)`, `{"a":{"a1":1,"a2":2},"b":2}`},
		// Math.
		{`States.MathAdd(1, 2)`, `3`},
		{`States.MathAdd(-5, 2)`, `-3`},
		{`States.MathAdd($.half, 0)`, `3`},    // 2.5 rounds half up
		{`States.MathAdd($.neg, 0)`, `-2`},    // -2.5 rounds half up, as Java's Math.round
		{`States.MathAdd($.float, 0.6)`, `3`}, // 2 + 1
		{`States.MathAdd(9223372036854775806, 1)`, `9223372036854775807`},
		{`States.MathRandom(1, 999)`, `500`}, // 1 + floor(0.5 * 998)
		{`States.MathRandom(3, 4)`, `3`},
		// Strings.
		{`States.StringSplit(',,a,,b,', ',')`, `["a","b"]`},
		{`States.StringSplit('abc', '')`, `["abc"]`},
		{`States.StringSplit('', ',')`, `[]`},
		{`States.StringSplit('a→b→c', '→')`, `["a","b","c"]`},
		// Paths with brackets, commas and parentheses inside arguments.
		{`States.Array($['inputArray'][0], $.objs[?(@.a == 1 && @.b[0] == 2)].a, $.inputArray[1:3])`, `[1,[1],[2,3]]`},
		{`States.ArrayLength($.objs[*])`, `3`},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			require.True(t, intrinsic.IsIntrinsic(tc.expr))
			e, err := intrinsic.Compile(tc.expr)
			require.NoError(t, err)
			got, err := e.Eval(input, ctx, fixedEnv)
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, encode(t, got))
			assert.Equal(t, tc.expr, e.String())
		})
	}
}

// The guide's nesting example, as printed, has three {} but two values: the
// spec requires them to match, so it is refused at Compile. With the third
// value added it works.
func TestNestedAWSExample(t *testing.T) {
	_, err := intrinsic.Compile(`States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))`)
	var se *intrinsic.SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Msg, "3 {} placeholder(s) but 2 value(s)")

	input := decode(t, `{"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/my-recipe/1.0.2"}}`)
	e := intrinsic.MustCompile(`States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 2))`)
	got, err := e.Eval(input, nil, intrinsic.Env{})
	require.NoError(t, err)
	assert.Equal(t, "1.0.2", got)
}

func TestEvalDoesNotMutateInput(t *testing.T) {
	input := decode(t, `{"a": [3, 1, 3], "o": {"x": 1}, "p": {"y": 2}}`)
	before := encode(t, input)
	for _, expr := range []string{
		`States.ArrayPartition($.a, 1)`, `States.ArrayUnique($.a)`, `States.JsonMerge($.o, $.p, false)`,
		`States.Array($.a, $.o)`,
	} {
		out, err := intrinsic.MustCompile(expr).Eval(input, nil, intrinsic.Env{})
		require.NoError(t, err, expr)
		require.NotNil(t, out)
	}
	assert.Equal(t, before, encode(t, input))
}

func TestMathRandom(t *testing.T) {
	t.Run("seeded is reproducible and in range", func(t *testing.T) {
		e := intrinsic.MustCompile(`States.MathRandom(1, 1000000, 42)`)
		a, err := e.Eval(nil, nil, intrinsic.Env{})
		require.NoError(t, err)
		b, err := e.Eval(nil, nil, intrinsic.Env{})
		require.NoError(t, err)
		assert.Equal(t, a, b)
		c, err := intrinsic.MustCompile(`States.MathRandom(1, 1000000, 43)`).Eval(nil, nil, intrinsic.Env{})
		require.NoError(t, err)
		assert.NotEqual(t, a, c, "a different seed gives a different draw")
		n, err := a.(json.Number).Int64()
		require.NoError(t, err)
		assert.True(t, n >= 1 && n < 1000000, n)
	})
	t.Run("unseeded stays in [start, end) and reaches both ends", func(t *testing.T) {
		e := intrinsic.MustCompile(`States.MathRandom(3, 6)`)
		seen := map[int64]bool{}
		for i := 0; i < 500; i++ {
			v, err := e.Eval(nil, nil, intrinsic.Env{})
			require.NoError(t, err)
			n, err := v.(json.Number).Int64()
			require.NoError(t, err)
			require.True(t, n >= 3 && n < 6, n)
			seen[n] = true
		}
		assert.Len(t, seen, 3)
	})
	t.Run("injected Rand at its extremes", func(t *testing.T) {
		for r, want := range map[float64]string{0: "-5", 0.999999999: "4", 1: "4", -1: "-5"} {
			env := intrinsic.Env{Rand: func() float64 { return r }}
			v, err := intrinsic.MustCompile(`States.MathRandom(-5, 5)`).Eval(nil, nil, env)
			require.NoError(t, err)
			assert.Equal(t, json.Number(want), v, "Rand()=%v", r)
		}
	})
}

func TestUUID(t *testing.T) {
	v, err := intrinsic.MustCompile(`States.UUID()`).Eval(nil, nil, intrinsic.Env{})
	require.NoError(t, err)
	s := v.(string)
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, s)
	v2, err := intrinsic.MustCompile(`States.UUID()`).Eval(nil, nil, intrinsic.Env{})
	require.NoError(t, err)
	assert.NotEqual(t, s, v2)
}

func TestHashOfLongInput(t *testing.T) {
	s := strings.Repeat("é", 10000) // 10,000 characters, 20,000 bytes: allowed
	sum := sha256.Sum256([]byte(s))
	v, err := intrinsic.MustCompile(`States.Hash($.s, 'SHA-256')`).Eval(map[string]any{"s": s}, nil, intrinsic.Env{})
	require.NoError(t, err)
	assert.Equal(t, hex.EncodeToString(sum[:]), v)
}

func TestEvalFailure(t *testing.T) {
	input := decode(t, `{"arr": [1, 2, 3], "s": "text", "n": 2, "f": 2.5, "o": {"a": 1}, "bad64": "!!!",
	  "bin64": "/w==", "tooLong": "`+strings.Repeat("x", 10001)+`", "alg": "SHA-3", "t": true, "big": 9223372036854775807,
	  "template": "{} and {}",
	  "min": -9223372036854775808, "max": 9223372036854775807}`)
	tests := []struct{ expr, reason string }{
		{`States.Format($.template, 'one')`, "2 {} placeholder(s) but 1"},
		{`States.Format($.n, 'one')`, "must be a string"},
		{`States.StringToJson($.s)`, "not JSON"},
		{`States.StringToJson('{} {}')`, "more than one"},
		{`States.StringToJson($.arr)`, "must be a string"},
		{`States.ArrayPartition($.s, 2)`, "must be an array"},
		{`States.ArrayPartition($.arr, $.f)`, "must be an integer"},
		{`States.ArrayPartition($.arr, States.MathAdd(0, 0))`, "positive"},
		{`States.ArrayContains($.o, 1)`, "must be an array"},
		{`States.ArrayRange(1, $.f, 1)`, "must be an integer"},
		{`States.ArrayRange(1, $.s, 1)`, "must be an integer"},
		{`States.ArrayRange(1, 1001, $.n)`, ""}, // 501 items: fine, checked below as success
		{`States.ArrayRange(1, 2002, $.n)`, "at most 1000"},
		{`States.ArrayRange(1, 5, States.MathAdd(0, 0))`, "must not be 0"},
		{`States.ArrayRange($.min, $.max, 1)`, "at most 1000"},
		{`States.ArrayRange($.max, $.min, -1)`, "at most 1000"},
		{`States.ArrayGetItem($.arr, 3)`, "outside"},
		{`States.ArrayGetItem($.arr, States.MathAdd(0, -1))`, "outside"},
		{`States.ArrayGetItem($.arr, $.f)`, "must be an integer"},
		{`States.ArrayGetItem($.o, 0)`, "must be an array"},
		{`States.ArrayLength($.s)`, "must be an array"},
		{`States.ArrayUnique($.o)`, "must be an array"},
		{`States.Base64Encode($.n)`, "must be a string"},
		{`States.Base64Encode($.tooLong)`, "at most 10000"},
		{`States.Base64Decode($.bad64)`, "not valid base64"},
		{`States.Base64Decode($.bin64)`, "not UTF-8"},
		{`States.Base64Decode($.tooLong)`, "at most 10000"},
		{`States.Hash($.s, $.alg)`, "SHA-3"},
		{`States.Hash($.tooLong, 'MD5')`, "at most 10000"},
		{`States.Hash($.o, 'MD5')`, "must be a string"},
		{`States.JsonMerge($.o, $.arr, false)`, "argument 2 must be an object"},
		{`States.JsonMerge($.s, $.o, false)`, "argument 1 must be an object"},
		{`States.JsonMerge($.o, $.o, $.t)`, "shallow"},
		{`States.JsonMerge($.o, $.o, $.n)`, "must be a boolean"},
		{`States.MathAdd($.s, 1)`, "must be a number"},
		{`States.MathAdd($.big, 1)`, "overflows"},
		{`States.MathRandom(5, 5)`, "less than the end"},
		{`States.MathRandom(6, $.n)`, "less than the end"},
		{`States.MathRandom($.s, 9)`, "must be a number"},
		{`States.MathRandom(1, 9, $.s)`, "must be a number"},
		{`States.StringSplit($.arr, ',')`, "must be a string"},
		{`States.StringSplit($.s, $.n)`, "must be a string"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := intrinsic.Compile(tc.expr)
			require.NoError(t, err, "only data can reveal this error")
			_, err = e.Eval(input, nil, intrinsic.Env{})
			if tc.reason == "" {
				require.NoError(t, err)
				return
			}
			var f *intrinsic.Failure
			require.ErrorAs(t, err, &f)
			assert.Contains(t, f.Reason, tc.reason)
			assert.True(t, strings.HasPrefix(tc.expr, f.Function+"("), "failure names the failing function: %s", f.Function)
		})
	}
}

func TestPathArgumentNotFound(t *testing.T) {
	e := intrinsic.MustCompile(`States.Format('{}', States.Array($.missing))`)
	_, err := e.Eval(map[string]any{}, nil, intrinsic.Env{})
	var f *intrinsic.Failure
	require.ErrorAs(t, err, &f)
	assert.Equal(t, "States.Array", f.Function)
	var nm *jsonpath.NoMatch
	require.ErrorAs(t, err, &nm)
	assert.Equal(t, "$.missing", nm.Path)
	assert.True(t, errors.Is(err, f.Err))
}

func TestCompileErrors(t *testing.T) {
	tests := []struct{ expr, msg string }{
		{``, "expected States."},
		{`States.Nope()`, "unknown intrinsic function"},
		{`States.Format`, "expected ("},
		{`States.Format('x'`, "expected , or )"},
		{`States.Format('x') extra`, "after the invocation"},
		{`States.Format('x)`, "unterminated string"},
		{`States.Format('\n')`, "open escape"},
		{`States.Format('x\')`, "unterminated"},
		{`States.Format('a\`, "open escape"},
		{`States.Format()`, "at least 1"},
		{`States.Format('{}')`, "1 {} placeholder(s) but 0"},
		{`States.Format('{}', 1, 2)`, "1 {} placeholder(s) but 2"},
		{`States.Format(1, 2)`, "must be a string"},
		{`States.StringToJson()`, "takes 1 argument"},
		{`States.StringToJson(1)`, "must be a string"},
		{`States.JsonToString($.a, $.b)`, "takes 1 argument"},
		{`States.ArrayPartition($.a)`, "takes 2"},
		{`States.ArrayPartition('x', 2)`, "must be an array"},
		{`States.ArrayPartition($.a, 0)`, "positive"},
		{`States.ArrayPartition($.a, 1.5)`, "must be an integer"},
		{`States.ArrayContains($.a)`, "takes 2"},
		{`States.ArrayRange(1, 9)`, "takes 3"},
		{`States.ArrayRange(1, 9, 0)`, "must not be 0"},
		{`States.ArrayRange(1, 1001, 1)`, "at most 1000"},
		{`States.ArrayRange(-9223372036854775808, 9223372036854775807, 1)`, "at most 1000"},
		{`States.ArrayRange(0, 9, -1.5)`, "must be an integer"},
		{`States.ArrayRange('1', 9, 1)`, "must be an integer"},
		{`States.ArrayGetItem($.a, -1)`, "must not be negative"},
		{`States.ArrayGetItem($.a, 'x')`, "must be an integer"},
		{`States.ArrayLength()`, "takes 1"},
		{`States.ArrayUnique(null)`, "must be an array"},
		{`States.Base64Encode(1)`, "must be a string"},
		{`States.Base64Decode('` + strings.Repeat("A", 10004) + `')`, "more than 10000"},
		{`States.Hash('x', 'SHA-3')`, "not one of"},
		{`States.Hash('x')`, "takes 2"},
		{`States.JsonMerge($.a, $.b)`, "takes 3"},
		{`States.JsonMerge($.a, $.b, true)`, "shallow"},
		{`States.JsonMerge($.a, $.b, 'false')`, "must be a boolean"},
		{`States.MathRandom(1)`, "at least 2"},
		{`States.MathRandom(1, 2, 3, 4)`, "at most 3"},
		{`States.MathRandom('1', 2)`, "must be a number"},
		{`States.MathAdd(1)`, "takes 2"},
		{`States.MathAdd(true, 1)`, "must be a number"},
		{`States.StringSplit('a')`, "takes 2"},
		{`States.UUID(1)`, "takes 0"},
		{`States.Array(1,)`, "expected an argument"},
		{`States.Array(,1)`, "expected an argument"},
		{`States.Array(1 2)`, "expected , or )"},
		{`States.Array(01)`, "bad number"},
		{`States.Array(1.)`, "bad number"},
		{`States.Array(truex)`, "expected an argument"},
		{`States.Array("double")`, "expected an argument"},
		{`States.Array($.a b)`, "expected , or )"},
		{`States.Array($.a[)`, "bad path"},
		{`States.Array($a)`, "bad path"},
		{`States.Array(` + strings.Repeat("States.Array(", 10) + strings.Repeat(")", 11), "nested more than 10"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := intrinsic.Compile(tc.expr)
			var se *intrinsic.SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Contains(t, se.Msg, tc.msg)
			assert.Equal(t, tc.expr, se.Expr)
		})
	}
	// Ten levels is the limit, not an error.
	_, err := intrinsic.Compile(strings.Repeat("States.Array(", 10) + strings.Repeat(")", 10))
	require.NoError(t, err)
}

func TestIsIntrinsic(t *testing.T) {
	for s, want := range map[string]bool{
		"States.Format('x')":    true,
		" States.UUID() ":       true,
		"States.Anything(1)":    true, // form only; Compile rejects unknown names
		"$.a":                   false,
		"States.":               false,
		"States.Format":         false,
		"States.(1)":            false,
		"States.Format('x'":     false,
		"Foo.Format('x')":       false,
		"plain text (with) it)": false,
	} {
		assert.Equal(t, want, intrinsic.IsIntrinsic(s), s)
	}
}
