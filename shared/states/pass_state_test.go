package states

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPassState(t *testing.T) {
	tests := []struct {
		name, state, input, want string
	}{
		{"passes input through", `{"Type":"Pass","End":true}`, `{"a":1}`, `{"a":1}`},
		{"Result replaces", `{"Type":"Pass","Result":{"x":"y"},"End":true}`, `{"a":1}`, `{"x":"y"}`},
		{"Result at ResultPath", `{"Type":"Pass","Result":{"x-datum":0.381018,"y-datum":622.2269926397355},"ResultPath":"$.coords","End":true}`,
			`{"georefOf":"Home"}`, `{"georefOf":"Home","coords":{"x-datum":0.381018,"y-datum":622.2269926397355}}`},
		{"ResultPath null keeps input", `{"Type":"Pass","Result":1,"ResultPath":null,"End":true}`, `{"a":1}`, `{"a":1}`},
		{"InputPath selects", `{"Type":"Pass","InputPath":"$.a","End":true}`, `{"a":{"b":2}}`, `{"b":2}`},
		{"InputPath null is {}", `{"Type":"Pass","InputPath":null,"End":true}`, `{"a":1}`, `{}`},
		{"OutputPath null is {}", `{"Type":"Pass","OutputPath":null,"End":true}`, `{"a":1}`, `{}`},
		{"Parameters with paths and context", `{"Type":"Pass","Parameters":{"flagged":true,"parts":{"first.$":"$.vals[0]","last3.$":"$.vals[3:]"},"name.$":"$$.State.Name"},"End":true}`,
			`{"flagged":7,"vals":[0,10,20,30,40,50]}`, `{"flagged":true,"parts":{"first":0,"last3":[30,40,50]},"name":"S"}`},
		{"Parameters with intrinsic", `{"Type":"Pass","Parameters":{"msg.$":"States.Format('Hello, {}', $.who)"},"End":true}`,
			`{"who":"world"}`, `{"msg":"Hello, world"}`},
		{"ResultPath into raw input, OutputPath after", `{"Type":"Pass","InputPath":"$.a","Parameters":{"v.$":"$.b"},"ResultPath":"$.r","OutputPath":"$.r","End":true}`,
			`{"a":{"b":3}}`, `{"v":3}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _, _ := testEngine()
			x := run(t, e, `{"StartAt":"S","States":{"S":`+tc.state+`}}`, tc.input)
			assert.JSONEq(t, tc.want, succeeded(t, x))
		})
	}
}

func TestPassParameterPathMissingIsRuntime(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"StartAt":"S","States":{"S":{"Type":"Pass","Parameters":{"missing.$":"$.nope.deep"},"End":true}}}`, `{"other":1}`)
	err := failed(t, x, ErrRuntime)
	assert.Contains(t, err.Cause, `The JSONPath '$.nope.deep' specified for the field 'missing.$' could not be found in the input '{"other":1}'`)
}
