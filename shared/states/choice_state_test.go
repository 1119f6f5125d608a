package states

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The specification's Choice example.
const specChoice = `{"StartAt":"ChoiceStateX","States":{
	"ChoiceStateX":{"Type":"Choice","Choices":[
		{"Not":{"Variable":"$.type","StringEquals":"Private"},"Next":"Public"},
		{"And":[{"Variable":"$.value","IsPresent":true},{"Variable":"$.value","IsNumeric":true},
			{"Variable":"$.value","NumericGreaterThanEquals":20},{"Variable":"$.value","NumericLessThan":30}],"Next":"ValueInTwenties"}],
		"Default":"DefaultState"},
	"Public":{"Type":"Pass","Result":"public","End":true},
	"ValueInTwenties":{"Type":"Pass","Result":"twenties","End":true},
	"DefaultState":{"Type":"Fail","Error":"DefaultStateError","Cause":"No Matches!"}}}`

func TestChoiceSpecExample(t *testing.T) {
	tests := []struct{ input, want, fail string }{
		{`{"type":"Public"}`, `"public"`, ""},
		{`{"type":"Private","value":25}`, `"twenties"`, ""},
		{`{"type":"Private","value":30}`, "", "DefaultStateError"},
		{`{"type":"Private","value":"25"}`, "", "DefaultStateError"},
		{`{"type":"Private"}`, "", "DefaultStateError"},
	}
	for _, tc := range tests {
		t.Run(tc.input, func(t *testing.T) {
			e, _, _ := testEngine()
			x := run(t, e, specChoice, tc.input)
			if tc.fail != "" {
				failed(t, x, tc.fail)
				return
			}
			assert.JSONEq(t, tc.want, succeeded(t, x))
		})
	}
}

func TestChoiceOperators(t *testing.T) {
	tests := []struct {
		rule  string
		input string
		want  bool
	}{
		{`"Variable":"$.s","StringEquals":"a"`, `{"s":"a"}`, true},
		{`"Variable":"$.s","StringEqualsPath":"$.t"`, `{"s":"a","t":"a"}`, true},
		{`"Variable":"$.s","StringLessThan":"b"`, `{"s":"a"}`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"b"`, `{"s":"a"}`, false},
		{`"Variable":"$.s","StringMatches":"log-*.txt"`, `{"s":"log-2024.txt"}`, true},
		{`"Variable":"$.s","StringMatches":"log-*.txt"`, `{"s":"log-2024.csv"}`, false},
		{`"Variable":"$.s","StringMatches":"a\\*b"`, `{"s":"a*b"}`, true},
		{`"Variable":"$.s","StringMatches":"a\\*b"`, `{"s":"axb"}`, false},
		{`"Variable":"$.s","StringMatches":"*"`, `{"s":""}`, true},
		{`"Variable":"$.n","NumericEquals":1`, `{"n":1.0}`, true},
		{`"Variable":"$.n","NumericLessThanPath":"$.m"`, `{"n":1,"m":2}`, true},
		{`"Variable":"$.n","NumericGreaterThan":1`, `{"n":"2"}`, false},
		{`"Variable":"$.n","NumericLessThanEquals":1`, `{"n":1}`, true},
		{`"Variable":"$.b","BooleanEquals":true`, `{"b":true}`, true},
		{`"Variable":"$.b","BooleanEqualsPath":"$.c"`, `{"b":true,"c":false}`, false},
		{`"Variable":"$.t","TimestampEquals":"2026-01-01T00:00:00Z"`, `{"t":"2026-01-01T01:00:00+01:00"}`, true},
		{`"Variable":"$.t","TimestampLessThan":"2026-01-01T00:00:00Z"`, `{"t":"2025-12-31T23:59:59Z"}`, true},
		{`"Variable":"$.t","TimestampGreaterThanPath":"$.u"`, `{"t":"2026-01-02T00:00:00Z","u":"2026-01-01T00:00:00Z"}`, true},
		{`"Variable":"$.t","TimestampGreaterThan":"2026-01-01T00:00:00Z"`, `{"t":"not a time"}`, false},
		{`"Variable":"$.x","IsNull":true`, `{"x":null}`, true},
		{`"Variable":"$.x","IsPresent":false`, `{}`, true},
		{`"Variable":"$.x","IsPresent":true`, `{}`, false},
		{`"Variable":"$.x","IsString":true`, `{"x":"s"}`, true},
		{`"Variable":"$.x","IsBoolean":false`, `{"x":"s"}`, true},
		{`"Variable":"$.x","IsTimestamp":true`, `{"x":"2026-01-01T00:00:00Z"}`, true},
		{`"Or":[{"Variable":"$.a","IsPresent":true},{"Variable":"$.b","IsPresent":true}]`, `{"b":1}`, true},
		{`"Variable":"$$.State.Name","StringEquals":"C"`, `{}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.rule+" "+tc.input, func(t *testing.T) {
			e, _, _ := testEngine()
			x := run(t, e, `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{`+tc.rule+`,"Next":"Yes"}],"Default":"No"},
				"Yes":{"Type":"Pass","Result":true,"End":true},"No":{"Type":"Pass","Result":false,"End":true}}}`, tc.input)
			assert.JSONEq(t, mustJSON(tc.want), succeeded(t, x))
		})
	}
}

func TestChoiceNoMatchAndMissingVariable(t *testing.T) {
	e, _, _ := testEngine()
	def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"D"}]},"D":{"Type":"Succeed"}}}`
	failed(t, run(t, e, def, `{"n":2}`), ErrNoChoiceMatched)
	err := failed(t, run(t, e, def, `{}`), ErrRuntime)
	assert.Contains(t, err.Cause, "$.n")
}

func TestChoiceInputOutputPath(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"StartAt":"C","States":{"C":{"Type":"Choice","InputPath":"$.a","OutputPath":"$.b","Choices":[{"Variable":"$.n","NumericEquals":1,"Next":"D"}]},"D":{"Type":"Succeed"}}}`,
		`{"a":{"n":1,"b":{"x":1}}}`)
	assert.JSONEq(t, `{"x":1}`, succeeded(t, x))
}

func TestStringMatchesPatterns(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*.log", "a.log", true},
		{"a*b*c", "a-x-b-y-c", true},
		{"a*b*c", "acb", false},
		{"a*b*c", "abbc", true},
		{"*", "anything", true},
		{"exact", "exact", true},
		{"exact", "exact!", false},
		{`\\*`, `\anything`, true}, // escaped backslash, then a wildcard
		{`\\*`, `x`, false},
		{`a\\b`, `a\b`, true},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, matchPattern(compilePattern(tc.pattern), tc.s), "%q ~ %q", tc.pattern, tc.s)
	}
}
