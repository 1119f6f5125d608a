package intrinsic_test

import (
	"errors"
	"testing"

	"github.com/divinepic/pipeline/shared/states/intrinsic"
)

// FuzzCompileIntrinsic: the parser never panics, and whatever compiles
// evaluates without panicking and with only *Failure as its error.
func FuzzCompileIntrinsic(f *testing.F) {
	for _, s := range []string{
		`States.Format('Hello, my name is {}.', $.name)`, `States.Format($.template, $.name)`,
		`States.Format('\{\} \' \\ {}', 1.5e3)`, `States.StringToJson($.json)`, `States.JsonToString($.obj)`,
		`States.Array(1, 'a', true, false, null, $$.Execution.Id)`, `States.ArrayPartition($.arr, 2)`,
		`States.ArrayContains($.arr, 3)`, `States.ArrayRange(1, 9, 2)`, `States.ArrayGetItem($.arr, 1)`,
		`States.ArrayLength($.arr)`, `States.ArrayUnique($.arr)`, `States.Base64Encode('x')`,
		`States.Base64Decode('eA==')`, `States.Hash($.name, 'SHA-256')`, `States.JsonMerge($.obj, $.obj, false)`,
		`States.MathRandom(1, 10, 7)`, `States.MathAdd(-1, $.n)`, `States.StringSplit('a,b', ',')`, `States.UUID()`,
		`States.Array($.arr[?(@ > 1)], $['obj'].a, $.arr[0:2])`,
		`States.Format('{}', States.ArrayGetItem(States.StringSplit($.name, 'r'), 0))`,
	} {
		f.Add(s)
	}
	input := decode(f, `{"name": "Arnav", "template": "Hi {}", "json": "{\"a\": [1]}", "obj": {"a": 1},
		"arr": [1, 2, 3, 3], "n": 5}`)
	ctx := decode(f, `{"Execution": {"Id": "x"}}`)
	env := intrinsic.Env{Rand: func() float64 { return 0.25 }, UUID: func() string { return "u" }}
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := intrinsic.Compile(expr)
		if err != nil {
			var se *intrinsic.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Compile(%q) returned %T, want *SyntaxError", expr, err)
			}
			return
		}
		if _, err := e.Eval(input, ctx, env); err != nil {
			var fe *intrinsic.Failure
			if !errors.As(err, &fe) {
				t.Fatalf("Eval(%q) returned %T, want *Failure", expr, err)
			}
		}
	})
}
