package states

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidateReportsProblemsWithPaths(t *testing.T) {
	tests := []struct {
		name string
		def  string
		at   []string // every path that must have a problem
	}{
		{"not JSON", `{`, []string{"$"}},
		{"missing StartAt and States", `{}`, []string{"$.StartAt", "$.States"}},
		{"StartAt names no state", `{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}`, []string{"$.StartAt"}},
		{"unknown top-level field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}}`, []string{"$.Foo"}},
		{"unknown state field", `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Resource":"x"}}}`, []string{"$.States.A.Resource"}},
		{"unknown type", `{"StartAt":"A","States":{"A":{"Type":"Nope"}}}`, []string{"$.States.A.Type"}},
		{"missing Next/End", `{"StartAt":"A","States":{"A":{"Type":"Pass"}}}`, []string{"$.States.A"}},
		{"Next and End", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B","End":true},"B":{"Type":"Succeed"}}}`, []string{"$.States.A.End"}},
		{"Next to nowhere", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"}}}`, []string{"$.States.A.Next"}},
		{"unreachable", `{"StartAt":"A","States":{"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}}}`, []string{"$.States.B"}},
		{"bad InputPath", `{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"nope","End":true}}}`, []string{"$.States.A.InputPath"}},
		{"bad ResultPath (not a reference path)", `{"StartAt":"A","States":{"A":{"Type":"Pass","ResultPath":"$.a[*]","End":true}}}`, []string{"$.States.A.ResultPath"}},
		{"bad parameter path", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"nope"},"End":true}}}`, []string{"$.States.A.Parameters['x.$']"}},
		{"bad intrinsic", `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"x.$":"States.Nope(1)"},"End":true}}}`, []string{"$.States.A.Parameters['x.$']"}},
		{"States.ALL not alone", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:r:1:function:f","End":true,
			"Retry":[{"ErrorEquals":["States.ALL","X"]}]}}}`, []string{"$.States.A.Retry[0].ErrorEquals[0]"}},
		{"States.ALL not last", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:r:1:function:f","End":true,
			"Catch":[{"ErrorEquals":["States.ALL"],"Next":"B"},{"ErrorEquals":["X"],"Next":"B"}]},"B":{"Type":"Succeed"}}}`, []string{"$.States.A.Catch[0].ErrorEquals[0]"}},
		{"retry fields", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:r:1:function:f","End":true,
			"Retry":[{"ErrorEquals":["X"],"IntervalSeconds":0,"BackoffRate":0.5,"JitterStrategy":"SOME","MaxDelaySeconds":0,"Foo":1}]}}}`,
			[]string{"$.States.A.Retry[0].IntervalSeconds", "$.States.A.Retry[0].BackoffRate", "$.States.A.Retry[0].JitterStrategy", "$.States.A.Retry[0].MaxDelaySeconds", "$.States.A.Retry[0].Foo"}},
		{"empty ErrorEquals", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:r:1:function:f","End":true,"Retry":[{"ErrorEquals":[]}]}}}`,
			[]string{"$.States.A.Retry[0].ErrorEquals"}},
		{"choice rule without comparison", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`,
			[]string{"$.States.C.Choices[0]"}},
		{"choice with Next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Next":"D","Choices":[{"Variable":"$.a","IsPresent":true,"Next":"D"}]},"D":{"Type":"Succeed"}}}`,
			[]string{"$.States.C.Next"}},
		{"nested rule with Next", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Not":{"Variable":"$.a","IsNull":true,"Next":"D"},"Next":"D"}]},"D":{"Type":"Succeed"}}}`,
			[]string{"$.States.C.Choices[0].Not.Next"}},
		{"wrong operand type", `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":"1","Next":"D"}]},"D":{"Type":"Succeed"}}}`,
			[]string{"$.States.C.Choices[0].NumericEquals"}},
		{"wait with two durations", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}}}`, []string{"$.States.W"}},
		{"fail with Error and ErrorPath", `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}}`, []string{"$.States.F.ErrorPath"}},
		{"succeed with Next", `{"StartAt":"S","States":{"S":{"Type":"Succeed","Next":"S"}}}`, []string{"$.States.S.Next"}},
		{"task without Resource", `{"StartAt":"T","States":{"T":{"Type":"Task","End":true}}}`, []string{"$.States.T.Resource"}},
		{"heartbeat not below timeout", `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:r:1:function:f","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}}}`,
			[]string{"$.States.T.HeartbeatSeconds"}},
		{"parallel branch problems", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"X","States":{"A":{"Type":"Succeed"}}}]}}}`,
			[]string{"$.States.P.Branches[0].StartAt"}},
		{"branch cannot jump out", `{"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"D","Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"D"}}}]},"D":{"Type":"Succeed"}}}`,
			[]string{"$.States.P.Branches[0].States.A.Next"}},
		{"inline map with distributed-only fields", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ToleratedFailureCount":1,"ItemBatcher":{"MaxItemsPerBatch":2},
			"ItemProcessor":{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}}}}`, []string{"$.States.M.ToleratedFailureCount", "$.States.M.ItemBatcher"}},
		{"distributed map needs ExecutionType", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"A","States":{"A":{"Type":"Succeed"}}}}}}`, []string{"$.States.M.ItemProcessor.ProcessorConfig.ExecutionType"}},
		{"item reader problems", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"k"},"ReaderConfig":{"InputType":"XML"}},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"A","States":{"A":{"Type":"Succeed"}}}}}}`,
			[]string{"$.States.M.ItemReader.ReaderConfig.InputType"}},
		{"result writer without anything", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ResultWriter":{},
			"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"A","States":{"A":{"Type":"Succeed"}}}}}}`,
			[]string{"$.States.M.ResultWriter"}},
		{"unknown predefined error", `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:r:1:function:f","End":true,
			"Retry":[{"ErrorEquals":["States.TimeOut"]}]}}}`, []string{"$.States.A.Retry[0].ErrorEquals[0]"}},
		{"state name with spaces", `{"StartAt":"My State","States":{"My State":{"Type":"Pass","End":true,"Bogus":1}}}`, []string{"$.States['My State'].Bogus"}},
		{"unknown query language", `{"QueryLanguage":"XPath","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, []string{"$.QueryLanguage"}},
		{"JSONPath field in a JSONata state", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$.a","End":true}}}`, []string{"$.States.A.InputPath"}},
		{"JSONata field in a JSONPath state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Output":{"a":1},"End":true}}}`, []string{"$.States.A.Output"}},
		{"JSONPath state in a JSONata machine", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`, []string{"$.States.A.QueryLanguage"}},
		{"Arguments on a Pass state", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Arguments":{"a":1},"End":true}}}`, []string{"$.States.A.Arguments"}},
		{"bad JSONata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":"{% $states.input. %}","End":true}}}`, []string{"$.States.A.Output"}},
		{"Assign on Succeed", `{"StartAt":"A","States":{"A":{"Type":"Succeed","Assign":{"x":1}}}}`, []string{"$.States.A.Assign"}},
		{"reserved variable", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"states":1},"End":true}}}`, []string{"$.States.A.Assign.states"}},
		{"JSONPath Assign key in a JSONata state", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"x.$":"$.a"},"End":true}}}`, []string{"$.States.A.Assign['x.$']"}},
		{"inner state assigns an outer variable", `{"StartAt":"A","States":{"A":{"Type":"Pass","Assign":{"total":0},"Next":"M"},
			"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","Assign":{"total":1},"End":true}}}}}}`, []string{"$.States.M.ItemProcessor.States.I.Assign.total"}},
		{"Choice Rule without Condition", `{"QueryLanguage":"JSONata","StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`, []string{"$.States.C.Choices[0].Condition"}},
		{"no terminal state", `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A"}}}`, []string{"$.States"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := problems(t, tc.def)
			require.NotEmpty(t, ps, "definition should be invalid")
			for _, at := range tc.at {
				assert.True(t, hasProblemAt(ps, at), "want a problem at %s, got %v", at, ps)
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"x","Next":"Z","Foo":1}}}`))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	assert.GreaterOrEqual(t, len(ve.Problems), 3)
	assert.True(t, strings.Contains(err.Error(), "$.States.A.Foo"))
}

func TestValidDefinitions(t *testing.T) {
	defs := []string{
		`{"Comment":"c","Version":"1.0","TimeoutSeconds":60,"StartAt":"A","States":{"A":{"Type":"Succeed","Comment":"x"}}}`,
		`{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
			{"And":[{"Variable":"$.a","NumericGreaterThanEquals":1},{"Variable":"$.b","StringMatches":"log-*.txt"}],"Next":"D"},
			{"Variable":"$.c","TimestampLessThanPath":"$.d","Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}}`,
		`{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"i.$":"$$.Map.Item.Index"},"MaxConcurrency":2,"End":true,
			"Iterator":{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}}}}`,
	}
	for i, d := range defs {
		_, err := Parse([]byte(d))
		assert.NoError(t, err, "definition %d", i)
	}
}

func TestEngineParseRequiresHandlers(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("known", func() error { return nil })
	_, err := e.Parse("m", []byte(`{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:known","Next":"B"},
		"B":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:missing","Next":"C"},
		"C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"absent","Payload.$":"$"},"Next":"D"},
		"D":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}`))
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	var paths []string
	for _, p := range ve.Problems {
		paths = append(paths, p.Path)
	}
	assert.ElementsMatch(t, []string{"$.States.B.Resource", "$.States.C.Parameters.FunctionName", "$.States.D.Resource"}, paths)
}

func TestDefinitionErrorNamesAndResources(t *testing.T) {
	d, err := Parse([]byte(pipelineLike))
	require.NoError(t, err)
	assert.Equal(t, []string{"TransientStoreError"}, d.ErrorNames())
	assert.Equal(t, []string{"arn:aws:lambda:local:000000000000:function:detect", "arn:aws:lambda:local:000000000000:function:list"}, d.Resources())
}
