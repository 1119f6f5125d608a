package jsonata

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRefs(t *testing.T) {
	for _, tc := range []struct {
		expr   string
		input  bool
		fields []string // of $states
		whole  bool     // $states used whole
	}{
		{`$i + 1`, false, nil, false},
		{`$states.input`, false, []string{"input"}, false},
		{`$states.input.a[b > 1].c`, false, []string{"input"}, false},
		{`$states.result.Payload.{'k': key}`, false, []string{"result"}, false},
		{`{'a': $states.context.Execution.Name, 'b': $states.input}`, false, []string{"context", "input"}, false},
		{`$states`, false, nil, true},
		{`$states[0].input`, false, nil, true},
		{`$keys($states)`, true, nil, true},
		{`name`, true, nil, false},
		{`$`, true, nil, false},
		{`$$.a`, true, nil, false},
		{`$x.a.%.b`, true, nil, false},
		{`$uppercase()`, true, nil, false},
		{`$v[$ > 1]`, false, nil, false},
		{`**.a`, true, nil, false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Compile(tc.expr)
			require.NoError(t, err)
			r := e.Refs()
			assert.Equal(t, tc.input, r.Input, "input")
			v := r.Var("states")
			if tc.fields == nil && !tc.whole {
				assert.Nil(t, v)
				return
			}
			require.NotNil(t, v)
			assert.Equal(t, tc.whole, v.Whole, "whole")
			assert.ElementsMatch(t, tc.fields, v.Fields)
		})
	}
}

func TestLookup(t *testing.T) {
	e, err := Compile(`$a + $a + $b`)
	require.NoError(t, err)
	calls := map[string]int{}
	v, err := e.Eval(nil, &Options{Lookup: func(name string) (any, bool) {
		calls[name]++
		switch name {
		case "a":
			return 1.0, true
		case "b":
			return 40.0, true
		}
		return nil, false
	}})
	require.NoError(t, err)
	assert.Equal(t, 42.0, v)
	assert.Equal(t, map[string]int{"a": 1, "b": 1}, calls, "each variable looked up once")
}
