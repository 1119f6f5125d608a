package states

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// loopDef counts to $.n with a Pass (States.MathAdd) and a Choice: two
// state transitions per loop, plus a Task calling a no-op handler.
const loopDef = `{"StartAt":"Init","States":{
	"Init":{"Type":"Pass","Parameters":{"i":0,"n.$":"$.n"},"Next":"Work"},
	"Work":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:noop","ResultPath":null,"Next":"Inc"},
	"Inc":{"Type":"Pass","Parameters":{"i.$":"States.MathAdd($.i, 1)","n.$":"$.n"},"Next":"Loop"},
	"Loop":{"Type":"Choice","Choices":[{"Variable":"$.i","NumericLessThanPath":"$.n","Next":"Work"}],"Default":"Done"},
	"Done":{"Type":"Succeed"}}}`

// BenchmarkTransitions reports state transitions per second of one
// execution (history recorded), a third of them Tasks. Run with -cpu 1.
func BenchmarkTransitions(b *testing.B) {
	e := New()
	e.RegisterFunc("noop", func(in map[string]any) (map[string]any, error) { return in, nil })
	sm, err := e.Parse("bench", []byte(loopDef))
	require.NoError(b, err)
	const loops = 1000
	input := []byte(`{"n":1000}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, err := sm.Run(context.Background(), input)
		if err != nil || x.Status() != StatusSucceeded {
			b.Fatalf("run: %v %v", err, x.Err())
		}
	}
	transitions := float64(b.N) * (2 + 3*loops)
	b.ReportMetric(transitions/b.Elapsed().Seconds(), "transitions/s")
}

// BenchmarkDistributedMap10k runs a Distributed Map of 10,000 no-op Task
// children (EXPRESS, MaxConcurrency 1000). Run with -cpu 2.
func BenchmarkDistributedMap10k(b *testing.B) {
	e := New()
	e.RegisterFunc("f", func(n int) (int, error) { return n, nil })
	sm, err := e.Parse("bench", []byte(distributedMap(`"MaxConcurrency":1000,`)))
	require.NoError(b, err)
	items := make([]int, 10000)
	input := []byte(mustJSON(items))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x, err := sm.Run(context.Background(), input)
		if err != nil || x.Status() != StatusSucceeded {
			b.Fatalf("run: %v %v", err, x.Err())
		}
	}
	b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "items/s")
}

// loopDefJSONata is loopDef in JSONata, with the counter in a variable:
// the same states and transitions.
const loopDefJSONata = `{"QueryLanguage":"JSONata","StartAt":"Init","States":{
	"Init":{"Type":"Pass","Assign":{"i":0,"n":"{% $states.input.n %}"},"Next":"Work"},
	"Work":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:noop","Arguments":{"i":"{% $i %}"},"Output":"{% $states.input %}","Next":"Inc"},
	"Inc":{"Type":"Pass","Assign":{"i":"{% $i + 1 %}"},"Next":"Loop"},
	"Loop":{"Type":"Choice","Choices":[{"Condition":"{% $i < $n %}","Next":"Work"}],"Default":"Done"},
	"Done":{"Type":"Succeed"}}}`

// BenchmarkTransitionsQueryLanguage compares transitions per second of the
// JSONPath loop and its JSONata twin in the same run. Run with -cpu 1.
func BenchmarkTransitionsQueryLanguage(b *testing.B) {
	for _, tc := range []struct{ name, def string }{{"JSONPath", loopDef}, {"JSONata", loopDefJSONata}} {
		b.Run(tc.name, func(b *testing.B) {
			e := New()
			e.RegisterFunc("noop", func(in map[string]any) (map[string]any, error) { return in, nil })
			sm, err := e.Parse("bench", []byte(tc.def))
			require.NoError(b, err)
			const loops = 1000
			input := []byte(`{"n":1000}`)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x, err := sm.Run(context.Background(), input)
				if err != nil || x.Status() != StatusSucceeded {
					b.Fatalf("run: %v %v", err, x.Err())
				}
			}
			b.ReportMetric(float64(b.N)*(2+3*loops)/b.Elapsed().Seconds(), "transitions/s")
		})
	}
}
