package states

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFailState(t *testing.T) {
	tests := []struct{ name, state, input, errName, cause string }{
		{"static", `"Error":"ErrorA","Cause":"Kaiju attack"`, `{}`, "ErrorA", "Kaiju attack"},
		{"paths", `"ErrorPath":"$.e","CausePath":"$.c"`, `{"e":"E","c":"C"}`, "E", "C"},
		{"intrinsic cause", `"Error":"E","CausePath":"States.Format('this is the error: {}, and this is the cause: {}', $.e, $.c)"`, `{"e":"x","c":"y"}`,
			"E", "this is the error: x, and this is the cause: y"},
		{"context path", `"ErrorPath":"$$.State.Name"`, `{}`, "F", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _, _ := testEngine()
			x := run(t, e, `{"StartAt":"F","States":{"F":{"Type":"Fail",`+tc.state+`}}}`, tc.input)
			err := failed(t, x, tc.errName)
			assert.Equal(t, tc.cause, err.Cause)
			h := x.History()
			assert.Equal(t, "FailStateEntered", string(h[1].Type))
			assert.Equal(t, "ExecutionFailed", string(h[2].Type))
		})
	}
}

func TestFailErrorPathNotString(t *testing.T) {
	e, _, _ := testEngine()
	failed(t, run(t, e, `{"StartAt":"F","States":{"F":{"Type":"Fail","ErrorPath":"$.e"}}}`, `{"e":1}`), ErrRuntime)
}
