package states

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The definitions below follow AWS's documentation examples for JSONata
// and workflow variables.

func TestJSONataPassOutputAndStates(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass",
		"Output":{"total":"{% $sum($states.input.items.price) %}","name":"{% $states.context.State.Name %}","first":"{% $states.input.items[0].id %}"},"End":true}}}`,
		`{"items":[{"id":"a","price":3},{"id":"b","price":4.5}]}`)
	assert.JSONEq(t, `{"total":7.5,"name":"P","first":"a"}`, succeeded(t, x))
}

func TestJSONataTaskArgumentsAndResult(t *testing.T) {
	e, _, _ := testEngine()
	var got map[string]any
	e.RegisterFunc("arn:aws:lambda:us-east-1:123456789012:function:add", func(_ context.Context, in map[string]any) (map[string]any, error) {
		got = in
		return map[string]any{"sum": in["a"].(float64) + in["b"].(float64)}, nil
	})
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task",
		"Resource":"arn:aws:lambda:us-east-1:123456789012:function:add",
		"Arguments":{"a":"{% $states.input.x %}","b":2},
		"Output":"{% {'input': $states.input.x, 'sum': $states.result.sum} %}","End":true}}}`, `{"x":40}`)
	assert.JSONEq(t, `{"input":40,"sum":42}`, succeeded(t, x))
	assert.Equal(t, map[string]any{"a": 40.0, "b": 2.0}, got)
}

func TestJSONataChoiceCondition(t *testing.T) {
	e, _, _ := testEngine()
	def := `{"QueryLanguage":"JSONata","StartAt":"C","States":{
		"C":{"Type":"Choice","Choices":[
			{"Condition":"{% $states.input.n > 10 %}","Next":"Big","Output":{"size":"big"}},
			{"Condition":"{% $states.input.n > 0 %}","Next":"Small","Assign":{"seen":"{% $states.input.n %}"}}],
			"Default":"Zero"},
		"Big":{"Type":"Succeed"},
		"Small":{"Type":"Pass","Output":{"seen":"{% $seen %}"},"End":true},
		"Zero":{"Type":"Fail","Error":"{% 'Zero.' & $string($states.input.n) %}","Cause":"nothing to do"}}}`
	assert.JSONEq(t, `{"size":"big"}`, succeeded(t, run(t, e, def, `{"n":11}`)))
	assert.JSONEq(t, `{"seen":3}`, succeeded(t, run(t, e, def, `{"n":3}`)))
	err := failed(t, run(t, e, def, `{"n":0}`), "Zero.0")
	assert.Equal(t, "nothing to do", err.Cause)
}

func TestJSONataMapItemsAndSelector(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",
		"Items":"{% $states.input.nums %}",
		"ItemSelector":{"v":"{% $states.context.Map.Item.Value %}","i":"{% $states.context.Map.Item.Index %}","k":"{% $states.input.k %}"},
		"ItemProcessor":{"StartAt":"D","States":{"D":{"Type":"Pass","Output":"{% $states.input.v * $states.input.k + $states.input.i %}","End":true}}},
		"End":true}}}`, `{"nums":[1,2,3],"k":10}`)
	assert.JSONEq(t, `[10,21,32]`, succeeded(t, x))
}

func TestJSONataCatchOutput(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"F","States":{
		"F":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Fail","Error":"Oops","Cause":"bad"}}}],
			"Catch":[{"ErrorEquals":["Oops"],"Next":"H","Output":"{% $merge([$states.input, {'err': $states.errorOutput.Error}]) %}","Assign":{"cause":"{% $states.errorOutput.Cause %}"}}],"End":true},
		"H":{"Type":"Pass","Output":"{% $merge([$states.input, {'cause': $cause}]) %}","End":true}}}`, `{"a":1}`)
	assert.JSONEq(t, `{"a":1,"err":"Oops","cause":"bad"}`, succeeded(t, x))
}

func TestJSONataEvaluationErrors(t *testing.T) {
	e, _, _ := testEngine()
	for name, def := range map[string]string{
		"type error": `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.a + 'x' %}","End":true}}}`,
		"undefined":  `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":"{% $states.input.missing %}","End":true}}}`,
		"not bool":   `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Condition":"{% 1 %}","Next":"S"}]},"S":{"Type":"Succeed"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			err := failed(t, run(t, e, def, `{"a":1}`), ErrQueryEvaluationError)
			assert.NotEmpty(t, err.Cause)
		})
	}
}

func TestJSONataCatchesQueryEvaluationError(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func(in map[string]any) (map[string]any, error) { return in, nil })
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"P","States":{
		"P":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"f","Payload":"{% $error('boom') %}"},
			"Catch":[{"ErrorEquals":["States.QueryEvaluationError"],"Next":"S"}],"End":true},
		"S":{"Type":"Pass","Output":"{% $states.input.Error %}","End":true}}}`, `{}`)
	assert.Equal(t, `"States.QueryEvaluationError"`, succeeded(t, x))
}

func TestMixedQueryLanguages(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Parameters":{"v.$":"$.x"},"Next":"B"},
		"B":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"double":"{% $states.input.v * 2 %}"},"Next":"C"},
		"C":{"Type":"Pass","ResultPath":"$.copy","End":true}}}`, `{"x":21}`)
	assert.JSONEq(t, `{"double":42,"copy":{"double":42}}`, succeeded(t, x))
}

func TestAWSFunctions(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"P","States":{"P":{"Type":"Pass","Output":{
		"partition":"{% $partition() %}","range":"{% $range(0, 10, 5) %}","hash":"{% $hash('abc', 'SHA-256') %}",
		"parsed":"{% $parse('{\"a\":[1,2]}').a[1] %}","uuid":"{% $uuid() %}","random":"{% $random(7) < 1 %}"},"End":true}}}`, `{}`)
	assert.JSONEq(t, `{"partition":"aws","range":[0,5,10],"hash":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"parsed":2,"uuid":"00000000-0000-4000-8000-000000000002","random":true}`, succeeded(t, x))
}

// Variables: AWS's evaluation order. Assign sees the state's result;
// Output sees the variables as they were when the state was entered.
func TestAssignEvaluationOrder(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"x":1},"Next":"B"},
		"B":{"Type":"Pass","Assign":{"x":"{% $x + 1 %}","y":"{% $x %}"},"Output":{"xAtOutput":"{% $x %}"},"Next":"C"},
		"C":{"Type":"Pass","Output":{"x":"{% $x %}","y":"{% $y %}","prev":"{% $states.input.xAtOutput %}"},"End":true}}}`, `{}`)
	assert.JSONEq(t, `{"x":2,"y":1,"prev":1}`, succeeded(t, x))
	var assigned []map[string]string
	for _, ev := range x.History() {
		if ev.Type == types.HistoryEventTypePassStateExited && ev.StateExitedEventDetails.AssignedVariables != nil {
			assigned = append(assigned, ev.StateExitedEventDetails.AssignedVariables)
			assert.False(t, ev.StateExitedEventDetails.AssignedVariablesDetails.Truncated)
		}
	}
	assert.Equal(t, []map[string]string{{"x": "1"}, {"x": "2", "y": "1"}}, assigned)
}

func TestAssignJSONPath(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("arn:aws:lambda:us-east-1:123456789012:function:f", func(_ context.Context, in map[string]any) (map[string]any, error) {
		return map[string]any{"id": "r1", "n": in["n"]}, nil
	})
	x := run(t, e, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f","ResultSelector":{"rid.$":"$.id"},
			"Assign":{"resultId.$":"$.rid","const":"c","ctxName.$":"$$.State.Name"},"ResultPath":null,"Next":"P"},
		"P":{"Type":"Pass","Parameters":{"id.$":"$resultId","c.$":"$const","n.$":"$.n","s.$":"$ctxName"},"End":true}}}`, `{"n":5}`)
	assert.JSONEq(t, `{"id":"r1","c":"c","n":5,"s":"T"}`, succeeded(t, x))
}

// Variables: inner Map and Parallel states read outer variables; what they
// assign stays inside their iteration or branch.
func TestVariableScopes(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"base":100},"Next":"M"},
		"M":{"Type":"Map","Items":[1,2],"ItemProcessor":{"StartAt":"I","States":{
			"I":{"Type":"Pass","Assign":{"inner":"{% $states.input + $base %}"},"Next":"J"},
			"J":{"Type":"Pass","Output":"{% $inner %}","End":true}}},"Next":"P"},
		"P":{"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Assign":{"branch":1},"Output":"{% $base %}","End":true}}}],"Next":"E"},
		"E":{"Type":"Pass","Output":{"leaked":"{% $exists($inner) or $exists($branch) %}","base":"{% $base %}","in":"{% $states.input %}"},"End":true}}}`, `{}`)
	assert.JSONEq(t, `{"leaked":false,"base":100,"in":[100]}`, succeeded(t, x))
}

func TestVariableSizeLimit(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"A","States":{
		"A":{"Type":"Pass","Assign":{"big":"{% $join($map([1..300000], function($v){'x'})) %}"},"End":true}}}`, `{}`)
	err := failed(t, x, ErrRuntime)
	assert.Contains(t, err.Cause, "big")
}

func TestJSONataValidates(t *testing.T) {
	_, err := Parse([]byte(`{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input %}","End":true}}}`))
	require.NoError(t, err)
}

// A failed JSONata expression shows in the history as AWS shows it: an
// EvaluationFailed event naming the state and the field, before the
// state's catcher (or the execution's failure).
func TestJSONataEvaluationFailedEvent(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"QueryLanguage":"JSONata","StartAt":"P","States":{
		"P":{"Type":"Pass","Output":{"total":"{% $states.input.a + 'x' %}"},"End":true}}}`, `{"a":1}`)
	failed(t, x, ErrQueryEvaluationError)
	var names []string
	var ev *types.EvaluationFailedEventDetails
	for _, h := range x.History() {
		names = append(names, string(h.Type))
		if h.EvaluationFailedEventDetails != nil {
			ev = h.EvaluationFailedEventDetails
		}
	}
	assert.Equal(t, []string{"ExecutionStarted", "PassStateEntered", "EvaluationFailed", "ExecutionFailed"}, names)
	require.NotNil(t, ev)
	assert.Equal(t, "P", *ev.State)
	assert.Equal(t, "Output.total", *ev.Location)
	assert.Equal(t, ErrQueryEvaluationError, *ev.Error)
	assert.Contains(t, *ev.Cause, "$states.input.a + 'x'")

	// Caught: EvaluationFailed, then the state exits through its catcher.
	e.RegisterFunc("f", func() error { return nil })
	x = run(t, e, `{"QueryLanguage":"JSONata","StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","TimeoutSeconds":"{% $states.input.s %}",
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"S"}],"End":true},
		"S":{"Type":"Succeed"}}}`, `{"s":"soon"}`)
	succeeded(t, x)
	names = nil
	for _, h := range x.History() {
		names = append(names, string(h.Type))
		if h.EvaluationFailedEventDetails != nil {
			assert.Equal(t, "TimeoutSeconds", *h.EvaluationFailedEventDetails.Location)
		}
	}
	assert.Equal(t, []string{"ExecutionStarted", "TaskStateEntered", "EvaluationFailed", "TaskStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}, names)
}
