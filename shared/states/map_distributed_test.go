package states

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// distributedMap builds a definition with one Distributed Map state whose
// processor is one Task calling function "f".
func distributedMap(fields string) string {
	return `{"StartAt":"M","States":{"M":{"Type":"Map",` + fields + `"End":true,
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"T",
			"States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true}}}}}}`
}

type item struct {
	Key  string `json:"key"`
	Fail bool   `json:"fail"`
}

func TestDistributedMapJSONManifestAndResultWriter(t *testing.T) {
	e, _, objs := testEngine()
	e.RegisterFunc("f", func(in item) (map[string]any, error) {
		if in.Fail {
			return nil, &domain.ImageUnreadable{Key: in.Key, Reason: "corrupt"}
		}
		return map[string]any{"key": in.Key, "faces": len(in.Key)}, nil
	})
	require.NoError(t, objs.Put(context.Background(), "work", "albums/a1/manifest.json",
		[]byte(`[{"key":"a.jpg"},{"key":"bb.jpg","fail":true},{"key":"ccc.jpg"}]`)))
	def := distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},
		"Parameters":{"Bucket.$":"$.bucket","Key.$":"States.Format('albums/{}/manifest.json', $.album)"}},
		"ItemSelector":{"key.$":"$$.Map.Item.Value.key","fail.$":"$$.Map.Item.Value.fail"},
		"ToleratedFailureCount":1,"Label":"Images",
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"work","Prefix":"results/"}},`)
	def = strings.Replace(def, `"fail.$":"$$.Map.Item.Value.fail"`, `"fail.$":"States.ArrayContains(States.Array('bb.jpg'), $$.Map.Item.Value.key)"`, 1)
	x := run(t, e, def, `{"bucket":"work","album":"a1"}`)
	out := succeeded(t, x)

	runs := x.MapRuns()
	require.Len(t, runs, 1)
	mr := runs[0]
	assert.Equal(t, "arn:aws:states:local:000000000000:mapRun:Test/Images:"+mr.ID, mr.ARN)
	assert.JSONEq(t, mustJSON(map[string]any{"MapRunArn": mr.ARN, "ResultWriterDetails": map[string]any{"Bucket": "work", "Key": "results/" + mr.ID + "/manifest.json"}}), out)
	s, f, total := mr.Counts()
	assert.Equal(t, [3]int{2, 1, 3}, [3]int{s, f, total})

	manifest, err := objs.Get(context.Background(), "work", "results/"+mr.ID+"/manifest.json")
	require.NoError(t, err)
	var m struct {
		DestinationBucket string
		MapRunArn         string
		ResultFiles       map[string][]struct {
			Key  string
			Size int
		}
	}
	require.NoError(t, json.Unmarshal(manifest, &m))
	assert.Equal(t, "work", m.DestinationBucket)
	assert.Equal(t, mr.ARN, m.MapRunArn)
	assert.Empty(t, m.ResultFiles["PENDING"])
	require.Len(t, m.ResultFiles["SUCCEEDED"], 1)
	require.Len(t, m.ResultFiles["FAILED"], 1)

	body, err := objs.Get(context.Background(), "work", m.ResultFiles["SUCCEEDED"][0].Key)
	require.NoError(t, err)
	assert.Equal(t, len(body), m.ResultFiles["SUCCEEDED"][0].Size)
	var succ []map[string]any
	require.NoError(t, json.Unmarshal(body, &succ))
	require.Len(t, succ, 2)
	assert.Equal(t, "SUCCEEDED", succ[0]["Status"])
	assert.JSONEq(t, `{"key":"a.jpg","faces":5}`, succ[0]["Output"].(string))
	assert.JSONEq(t, `{"key":"a.jpg","fail":false}`, succ[0]["Input"].(string))
	assert.Contains(t, succ[0]["ExecutionArn"], ":express:Test/Images:")
	for _, k := range []string{"Name", "StartDate", "StopDate", "StateMachineArn", "InputDetails", "OutputDetails", "RedriveCount"} {
		assert.Contains(t, succ[0], k)
	}

	body, err = objs.Get(context.Background(), "work", m.ResultFiles["FAILED"][0].Key)
	require.NoError(t, err)
	var fail []map[string]any
	require.NoError(t, json.Unmarshal(body, &fail))
	require.Len(t, fail, 1)
	assert.Equal(t, "FAILED", fail[0]["Status"])
	assert.Equal(t, "ImageUnreadable", fail[0]["Error"])
	assert.NotContains(t, fail[0], "Output")

	// Each child is its own execution with its own history.
	children := mr.Children()
	require.Len(t, children, 3)
	h := children[0].History()
	assert.Equal(t, "ExecutionStarted", string(h[0].Type))
	assert.Equal(t, "ExecutionSucceeded", string(h[len(h)-1].Type))
	var parentTypes []string
	for _, ev := range x.History() {
		parentTypes = append(parentTypes, string(ev.Type))
	}
	assert.Equal(t, []string{"ExecutionStarted", "MapStateEntered", "MapRunStarted", "MapRunSucceeded", "MapStateExited", "ExecutionSucceeded"}, parentTypes)
}

func TestDistributedMapToleratedFailures(t *testing.T) {
	tests := []struct {
		name      string
		tolerance string
		failures  int
		wantFail  bool
	}{
		{"no tolerance, no failure", ``, 0, false},
		{"no tolerance, one failure", ``, 1, true},
		{"count 2, two failures", `"ToleratedFailureCount":2,`, 2, false},
		{"count 2, three failures", `"ToleratedFailureCount":2,`, 3, true},
		{"20 percent of 10, two failures", `"ToleratedFailurePercentage":20,`, 2, false},
		{"20 percent of 10, three failures", `"ToleratedFailurePercentage":20,`, 3, true},
		{"count path", `"ToleratedFailureCountPath":"$.tol",`, 3, false},
		{"percentage path", `"ToleratedFailurePercentagePath":"$.pct",`, 3, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _, _ := testEngine()
			e.RegisterFunc("f", func(n int) (int, error) {
				if n < tc.failures {
					return 0, &domain.ImageUnreadable{Reason: "x"}
				}
				return n, nil
			})
			x := run(t, e, distributedMap(`"ItemsPath":"$.items","MaxConcurrency":1,`+tc.tolerance), `{"items":[0,1,2,3,4,5,6,7,8,9],"tol":3,"pct":25}`)
			if tc.wantFail {
				failed(t, x, ErrExceedToleratedFailure)
				return
			}
			var out []any
			require.NoError(t, json.Unmarshal([]byte(succeeded(t, x)), &out))
			require.Len(t, out, 10)
			for i := tc.failures; i < 10; i++ {
				assert.Equal(t, float64(i), out[i])
			}
			for i := 0; i < tc.failures; i++ {
				rec := out[i].(map[string]any)
				assert.Equal(t, "FAILED", rec["Status"])
				assert.Equal(t, "ImageUnreadable", rec["Error"])
			}
		})
	}
}

func TestDistributedMapMaxConcurrency(t *testing.T) {
	for _, maxConc := range []int{1, 4, 16} {
		t.Run(fmt.Sprint(maxConc), func(t *testing.T) {
			e, _, _ := testEngine()
			var inFlight, peak atomic.Int64
			e.RegisterFunc("f", func(n int) (int, error) {
				c := inFlight.Add(1)
				for {
					p := peak.Load()
					if c <= p || peak.CompareAndSwap(p, c) {
						break
					}
				}
				time.Sleep(time.Millisecond)
				inFlight.Add(-1)
				return n, nil
			})
			items := make([]int, 64)
			x := run(t, e, distributedMap(sprintf(`"MaxConcurrency":%d,`, maxConc)), mustJSON(items))
			succeeded(t, x)
			assert.LessOrEqual(t, peak.Load(), int64(maxConc))
			assert.LessOrEqual(t, x.MapRuns()[0].MaxInFlight(), maxConc)
			if maxConc > 1 {
				assert.Greater(t, peak.Load(), int64(1), "children should overlap")
			}
		})
	}
}

func TestDistributedMapItemBatcher(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func(in struct {
		Items      []int          `json:"Items"`
		BatchInput map[string]any `json:"BatchInput"`
	}) (map[string]any, error) {
		return map[string]any{"n": len(in.Items), "album": in.BatchInput["album"]}, nil
	})
	x := run(t, e, distributedMap(`"ItemsPath":"$.items","ItemBatcher":{"MaxItemsPerBatch":3,"BatchInput":{"album.$":"$.album"}},`),
		`{"album":"a1","items":[1,2,3,4,5,6,7]}`)
	assert.JSONEq(t, `[{"n":3,"album":"a1"},{"n":3,"album":"a1"},{"n":1,"album":"a1"}]`, succeeded(t, x))

	// MaxInputBytesPerBatch splits by encoded size.
	e.RegisterFunc("f", func(in struct{ Items []string }) (int, error) { return len(in.Items), nil })
	x = run(t, e, distributedMap(`"ItemBatcher":{"MaxInputBytesPerBatch":40},`), `["aaaaaaaaaa","bbbbbbbbbb","cccccccccc","dddddddddd"]`)
	assert.JSONEq(t, `[2,2]`, succeeded(t, x))
}

func TestDistributedMapCSVAndListing(t *testing.T) {
	e, _, objs := testEngine()
	ctx := context.Background()
	require.NoError(t, objs.Put(ctx, "b", "data.csv", []byte("key,size\na.jpg,10\n\"b,c.jpg\",20\n")))
	require.NoError(t, objs.Put(ctx, "b", "photos/1.jpg", []byte("x")))
	require.NoError(t, objs.Put(ctx, "b", "photos/2.jpg", []byte("yy")))
	require.NoError(t, objs.Put(ctx, "b", "other/3.jpg", []byte("z")))
	e.RegisterFunc("f", func(in map[string]any) (map[string]any, error) { return in, nil })

	x := run(t, e, distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"},
		"Parameters":{"Bucket":"b","Key":"data.csv"}},`), `{}`)
	assert.JSONEq(t, `[{"key":"a.jpg","size":"10"},{"key":"b,c.jpg","size":"20"}]`, succeeded(t, x))

	x = run(t, e, distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"GIVEN","CSVHeaders":["k","s"],"MaxItems":1},
		"Parameters":{"Bucket":"b","Key":"data.csv"}},`), `{}`)
	assert.JSONEq(t, `[{"k":"key","s":"size"}]`, succeeded(t, x))

	x = run(t, e, distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b","Prefix":"photos/"}},
		"ItemSelector":{"key.$":"$$.Map.Item.Value.Key","size.$":"$$.Map.Item.Value.Size"},`), `{}`)
	assert.JSONEq(t, `[{"key":"photos/1.jpg","size":1},{"key":"photos/2.jpg","size":2}]`, succeeded(t, x))

	x = run(t, e, distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"b","Key":"missing.json"}},`), `{}`)
	failed(t, x, ErrItemReaderFailed)
}

func TestDistributedMapJSONLAndItemsPointer(t *testing.T) {
	e, _, objs := testEngine()
	ctx := context.Background()
	require.NoError(t, objs.Put(ctx, "b", "items.jsonl", []byte("{\"n\":1}\n{\"n\":2}\n")))
	require.NoError(t, objs.Put(ctx, "b", "nested.json", []byte(`{"data":{"items":[{"n":3}]}}`)))
	e.RegisterFunc("f", func(in map[string]any) (any, error) { return in["n"], nil })
	x := run(t, e, distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"b","Key":"items.jsonl"}},`), `{}`)
	assert.JSONEq(t, `[1,2]`, succeeded(t, x))
	x = run(t, e, distributedMap(`"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON","ItemsPointer":"/data/items"},"Parameters":{"Bucket":"b","Key":"nested.json"}},`), `{}`)
	assert.JSONEq(t, `[3]`, succeeded(t, x))
}

func TestDistributedMapWriterConfigFlatten(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func(n int) ([]int, error) { return []int{n, n}, nil })
	x := run(t, e, distributedMap(`"ResultWriter":{"WriterConfig":{"Transformation":"FLATTEN","OutputType":"JSON"}},`), `[1,2]`)
	assert.JSONEq(t, `[1,1,2,2]`, succeeded(t, x))
}

func TestDistributedMapFailedRunWritesPending(t *testing.T) {
	e, _, objs := testEngine()
	e.RegisterFunc("f", func(n int) (int, error) {
		if n == 1 {
			return 0, &domain.ObjectMissing{Key: "k"}
		}
		return n, nil
	})
	x := run(t, e, distributedMap(`"MaxConcurrency":1,"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"w","Prefix":"p"}},`), `[0,1,2,3]`)
	failed(t, x, ErrExceedToleratedFailure)
	mr := x.MapRuns()[0]
	body, err := objs.Get(context.Background(), "w", "p/"+mr.ID+"/PENDING_0.json")
	require.NoError(t, err)
	var pending []map[string]any
	require.NoError(t, json.Unmarshal(body, &pending))
	assert.Len(t, pending, 2)
}

func TestDistributedChildrenNotCountedInParentHistory(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func(n int) (int, error) { return n, nil })
	items := make([]int, 10000)
	x := run(t, e, distributedMap(`"MaxConcurrency":100,`), mustJSON(items))
	succeeded(t, x)
	assert.Len(t, x.History(), 6)
	assert.Len(t, x.MapRuns()[0].Children(), 10000)

	// The same items in an INLINE Map exceed the 25,000-event history limit.
	inline := strings.Replace(distributedMap(``), `"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},`, ``, 1)
	x = run(t, e, inline, mustJSON(items))
	err := failed(t, x, ErrRuntime)
	assert.Contains(t, err.Cause, "history events")
}

func TestDistributedMapResultWriterJSONL(t *testing.T) {
	e, _, objs := testEngine()
	e.RegisterFunc("f", func(n int) (int, error) { return n * 10, nil })
	x := run(t, e, distributedMap(`"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"w","Prefix":"p"},
		"WriterConfig":{"Transformation":"COMPACT","OutputType":"JSONL"}},`), `[1,2]`)
	succeeded(t, x)
	body, err := objs.Get(context.Background(), "w", "p/"+x.MapRuns()[0].ID+"/SUCCEEDED_0.json")
	require.NoError(t, err)
	assert.Equal(t, "10\n20\n", string(body))
}

func TestDistributedChildNamesAreDeterministic(t *testing.T) {
	names := func() []string {
		e, _, _ := testEngine()
		e.RegisterFunc("f", func(n int) (int, error) { return n, nil })
		x := run(t, e, distributedMap(`"MaxConcurrency":8,`), mustJSON(make([]int, 50)))
		succeeded(t, x)
		var out []string
		for _, c := range x.MapRuns()[0].Children() {
			out = append(out, c.Name)
		}
		return out
	}
	first := names()
	assert.Equal(t, first, names())
	seen := map[string]bool{}
	for _, n := range first {
		assert.Len(t, n, 36)
		assert.False(t, seen[n], "duplicate child name %s", n)
		seen[n] = true
	}
}

func TestToleranceExceeded(t *testing.T) {
	cases := []struct {
		tol    tolerance
		failed int64
		total  int
		want   bool
	}{
		{tolerance{}, 0, 10, false},
		{tolerance{}, 1, 10, true},
		{tolerance{Count: 2, HasCount: true}, 2, 10, false},
		{tolerance{Count: 2, HasCount: true}, 3, 10, true},
		{tolerance{Percent: 20, HasPercent: true}, 2, 10, false},
		{tolerance{Percent: 20, HasPercent: true}, 3, 10, true},
		{tolerance{Percent: 0, HasPercent: true}, 1, 10, true},
		{tolerance{Count: 5, HasCount: true, Percent: 20, HasPercent: true}, 3, 10, true},
		{tolerance{Count: 1, HasCount: true, Percent: 50, HasPercent: true}, 2, 10, true},
		{tolerance{Count: 3, HasCount: true, Percent: 50, HasPercent: true}, 3, 10, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.tol.exceeded(c.failed, c.total), "%+v with %d of %d failed", c.tol, c.failed, c.total)
	}
}
