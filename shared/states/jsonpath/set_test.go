package jsonpath_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

func TestSet(t *testing.T) {
	const input = `{"a": {"b": 1, "keep": [1, 2]}, "arr": [{"x": 1}, {"x": 2}], "s": "str", "n": null}`
	tests := []struct {
		name, path, value, want string
	}{
		// AWS developer guide, ResultPath examples.
		{"replace all", "$", `{"r": 1}`, `{"r": 1}`},
		{"add top-level", "$.result", `"ok"`, `{"a": {"b": 1, "keep": [1, 2]}, "arr": [{"x": 1}, {"x": 2}], "s": "str", "n": null, "result": "ok"}`},
		{"replace nested", "$.a.b", `2`, `{"a": {"b": 2, "keep": [1, 2]}, "arr": [{"x": 1}, {"x": 2}], "s": "str", "n": null}`},
		{"create intermediates", "$.x.y.z", `true`, `{"a": {"b": 1, "keep": [1, 2]}, "arr": [{"x": 1}, {"x": 2}], "s": "str", "n": null, "x": {"y": {"z": true}}}`},
		{"quoted name", "$['we ird'].v", `1`, `{"a": {"b": 1, "keep": [1, 2]}, "arr": [{"x": 1}, {"x": 2}], "s": "str", "n": null, "we ird": {"v": 1}}`},
		{"into array element", "$.arr[1].x", `20`, `{"a": {"b": 1, "keep": [1, 2]}, "arr": [{"x": 1}, {"x": 20}], "s": "str", "n": null}`},
		{"negative index", "$.arr[-1]", `"last"`, `{"a": {"b": 1, "keep": [1, 2]}, "arr": [{"x": 1}, "last"], "s": "str", "n": null}`},
		{"object value", "$.a", `{"new": [1]}`, `{"a": {"new": [1]}, "arr": [{"x": 1}, {"x": 2}], "s": "str", "n": null}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := decode(t, input)
			before := encode(t, data)
			got, err := jsonpath.Set(data, tc.path, decode(t, tc.value))
			require.NoError(t, err)
			assert.JSONEq(t, tc.want, encode(t, got))
			assert.Equal(t, before, encode(t, data), "Set must not mutate its input")
		})
	}
}

func TestSetOnNonObjectRoot(t *testing.T) {
	got, err := jsonpath.Set("text", "$", 1)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	got, err = jsonpath.Set(nil, "$", "x")
	require.NoError(t, err)
	assert.Equal(t, "x", got)
}

func TestSetFailure(t *testing.T) {
	const input = `{"s": "str", "n": null, "num": 1, "arr": [1, 2], "obj": {}}`
	tests := []struct{ path, reason string }{
		{"$.s.x", "string"},
		{"$.n.x", "null"},
		{"$.num.x", "number"},
		{"$.arr.x", "array"},
		{"$.arr[2]", "outside"},
		{"$.arr[-3]", "outside"},
		{"$.obj[0]", "not an array"},
		{"$.missing[0]", "never created"},
		{"$$.Execution", "context"},
		{"$.arr[*]", "Reference Path"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			data := decode(t, input)
			before := encode(t, data)
			_, err := jsonpath.Set(data, tc.path, 1)
			var sf *jsonpath.SetFailure
			require.ErrorAs(t, err, &sf)
			assert.Equal(t, tc.path, sf.Path)
			assert.Contains(t, sf.Reason, tc.reason)
			assert.Equal(t, before, encode(t, data))
		})
	}
	_, err := jsonpath.Set(map[string]any{}, "$.a b", 1)
	var se *jsonpath.SyntaxError
	require.ErrorAs(t, err, &se)
	// A root that is not an object cannot take a member.
	_, err = jsonpath.Set([]any{1}, "$.a", 1)
	var sf *jsonpath.SetFailure
	require.ErrorAs(t, err, &sf)
}

// Set shares untouched subtrees but never writes into the input's maps/slices.
func TestSetDoesNotAliasWrites(t *testing.T) {
	data := decode(t, `{"a": {"b": {"c": 1}}, "other": {"o": 1}}`)
	out1, err := jsonpath.Set(data, "$.a.b.d", 2)
	require.NoError(t, err)
	out2, err := jsonpath.Set(out1, "$.a.b.c", 3)
	require.NoError(t, err)
	assert.JSONEq(t, `{"a": {"b": {"c": 1}}, "other": {"o": 1}}`, encode(t, data))
	assert.JSONEq(t, `{"a": {"b": {"c": 1, "d": 2}}, "other": {"o": 1}}`, encode(t, out1))
	assert.JSONEq(t, `{"a": {"b": {"c": 3, "d": 2}}, "other": {"o": 1}}`, encode(t, out2))
}
