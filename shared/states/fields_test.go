package states

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonataDistributedMap is distributedMap in a JSONata definition.
func jsonataDistributedMap(fields string) string {
	return `{"QueryLanguage":"JSONata","StartAt":"M","States":{"M":{"Type":"Map",` + fields + `"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"T",
			"States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}}}}}`
}

// A JSONata Distributed Map reads its items with ItemReader.Arguments,
// limits them with a ReaderConfig.MaxItems expression, batches them with
// ItemBatcher expressions and writes its results with
// ResultWriter.Arguments, every one evaluated with $states.input and the
// workflow variables.
func TestJSONataDistributedMapFields(t *testing.T) {
	e, _, objs := testEngine()
	ctx := context.Background()
	require.NoError(t, objs.Put(ctx, "work", "albums/a1/manifest.json", []byte(`[{"key":"a"},{"key":"b"},{"key":"c"},{"key":"d"},{"key":"e"}]`)))
	e.RegisterFunc("f", func(in struct {
		Items      []map[string]any `json:"Items"`
		BatchInput map[string]any   `json:"BatchInput"`
	}) (map[string]any, error) {
		return map[string]any{"n": len(in.Items), "album": in.BatchInput["album"]}, nil
	})
	def := `{"QueryLanguage":"JSONata","StartAt":"Set","States":{
		"Set":{"Type":"Pass","Assign":{"bucket":"work"},"Next":"M"},
		"M":{"Type":"Map",
		"ItemReader":{"Resource":"arn:aws:states:::s3:getObject",
			"ReaderConfig":{"InputType":"JSON","MaxItems":"{% $states.input.limit %}"},
			"Arguments":{"Bucket":"{% $bucket %}","Key":"{% 'albums/' & $states.input.album & '/manifest.json' %}"}},
		"ItemBatcher":{"MaxItemsPerBatch":"{% $states.input.per %}","BatchInput":{"album":"{% $states.input.album %}"}},
		"MaxConcurrency":"{% $states.input.per - 1 %}",
		"ToleratedFailureCount":"{% 0 %}",
		"ToleratedFailurePercentage":"{% 10 * 2 %}",
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Arguments":{"Bucket":"{% $bucket %}","Prefix":"{% 'results/' & $states.input.album %}"},
			"WriterConfig":{"Transformation":"COMPACT"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"T",
			"States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}},
		"Output":"{% $states.result.ResultWriterDetails %}","End":true}}}`
	x := run(t, e, def, `{"album":"a1","limit":4,"per":2}`)
	out := succeeded(t, x)
	mr := x.MapRuns()[0]
	assert.JSONEq(t, mustJSON(map[string]any{"Bucket": "work", "Key": "results/a1/" + mr.ID + "/manifest.json"}), out)
	assert.Equal(t, 1, mr.MaxConcurrency)
	assert.Equal(t, int64(0), mr.ToleratedFailureCount)
	assert.Equal(t, 20.0, mr.ToleratedFailurePercentage)
	s, f, total := mr.Counts()
	assert.Equal(t, [3]int{2, 0, 2}, [3]int{s, f, total}, "4 items of 5, in batches of 2")
	body, err := objs.Get(ctx, "work", "results/a1/"+mr.ID+"/SUCCEEDED_0.json")
	require.NoError(t, err)
	assert.JSONEq(t, `[{"n":2,"album":"a1"},{"n":2,"album":"a1"}]`, string(body))

	// An expression that gives a value the field cannot take fails the
	// state with States.QueryEvaluationError.
	for name, input := range map[string]string{
		"MaxItems negative":    `{"album":"a1","limit":-1,"per":2}`,
		"batch size not whole": `{"album":"a1","limit":4,"per":1.5}`,
		"batch size a string":  `{"album":"a1","limit":4,"per":"2"}`,
	} {
		t.Run(name, func(t *testing.T) {
			err := failed(t, run(t, e, def, input), ErrQueryEvaluationError)
			assert.Contains(t, err.Cause, "must evaluate to")
		})
	}
	// Arguments that are not an object.
	e.RegisterFunc("f", func(n int) (int, error) { return n, nil })
	rerr := failed(t, run(t, e, jsonataDistributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Arguments":"{% 'work' %}"},`), `{}`), ErrQueryEvaluationError)
	assert.Contains(t, rerr.Cause, "ItemReader.Arguments")
}

// JSONata TimeoutSeconds is an expression evaluated when the Task runs.
func TestJSONataTaskTimeoutSeconds(t *testing.T) {
	e, clk, _ := testEngine()
	e.RegisterFunc("slow", func(ctx context.Context) error { return clk.Sleep(ctx, 3*time.Second) })
	def := `{"QueryLanguage":"JSONata","StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:slow",
		"TimeoutSeconds":"{% $states.input.t %}","HeartbeatSeconds":"{% 1 %}","End":true}}}`
	failed(t, run(t, e, def, `{"t":2}`), ErrTimeout)
	succeeded(t, run(t, e, def, `{"t":4}`))
	err := failed(t, run(t, e, def, `{"t":0}`), ErrQueryEvaluationError)
	assert.Contains(t, err.Cause, "TimeoutSeconds")
}

// Each query language refuses the other's forms of these fields.
func TestDistributedMapFieldsPerLanguage(t *testing.T) {
	for _, tc := range []struct {
		name, def, at string
	}{
		{"Parameters in a JSONata ItemReader", jsonataDistributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b"}},`), "$.States.M.ItemReader.Parameters"},
		{"Arguments in a JSONPath ItemReader", distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Arguments":{"Bucket":"b"}},`), "$.States.M.ItemReader.Arguments"},
		{"Parameters in a JSONata ResultWriter", jsonataDistributedMap(`"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"b"}},`), "$.States.M.ResultWriter.Parameters"},
		{"MaxItemsPath in JSONata", jsonataDistributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","ReaderConfig":{"MaxItemsPath":"$.n"},"Arguments":{"Bucket":"b"}},`), "$.States.M.ItemReader.ReaderConfig.MaxItemsPath"},
		{"MaxItemsPerBatchPath in JSONata", jsonataDistributedMap(`"ItemBatcher":{"MaxItemsPerBatchPath":"$.n"},`), "$.States.M.ItemBatcher.MaxItemsPerBatchPath"},
		{"an expression in a JSONPath state", distributedMap(`"MaxConcurrency":"{% 2 %}",`), "$.States.M.MaxConcurrency"},
		{"a plain string in a JSONata state", jsonataDistributedMap(`"ToleratedFailureCount":"2",`), "$.States.M.ToleratedFailureCount"},
		{"a percentage over 100", jsonataDistributedMap(`"ToleratedFailurePercentage":101,`), "$.States.M.ToleratedFailurePercentage"},
		{"a bad expression", jsonataDistributedMap(`"MaxConcurrency":"{% ( %}",`), "$.States.M.MaxConcurrency"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := problems(t, tc.def)
			assert.True(t, hasProblemAt(ps, tc.at), "%v", ps)
		})
	}
	// And accept their own.
	assert.Empty(t, problems(t, jsonataDistributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","ReaderConfig":{"MaxItems":"{% 3 %}"},"Arguments":{"Bucket":"b"}},
		"ItemBatcher":{"MaxInputBytesPerBatch":"{% 1024 %}","BatchInput":"{% {'a': 1} %}"},"MaxConcurrency":"{% 2 %}",`)))
}

func TestNumFieldMessages(t *testing.T) {
	for _, tc := range []struct {
		f    numField
		want string
	}{
		{numField{min: 0, max: math.MaxInt32, integer: true}, "a non-negative integer"},
		{numField{min: 1, max: math.MaxInt32, integer: true}, "a positive integer"},
		{numField{min: 0, max: 100000000, integer: true}, "an integer between 0 and 100000000"},
		{numField{min: 0, max: 100}, "a number between 0 and 100"},
	} {
		assert.Equal(t, tc.want, tc.f.what())
	}
}
