package states

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pipelineLike = `{"StartAt":"List","States":{
	"List":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:list","ResultPath":"$.list","Next":"AnyWork"},
	"AnyWork":{"Type":"Choice","Choices":[{"Variable":"$.list.count","NumericGreaterThan":0,"Next":"Process"}],"Default":"Done"},
	"Process":{"Type":"Map","ItemsPath":"$.list.items","MaxConcurrency":4,"ResultPath":"$.results",
		"ItemProcessor":{"StartAt":"Detect","States":{
			"Detect":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:detect","Retry":[{"ErrorEquals":["TransientStoreError"],"IntervalSeconds":1}],"End":true}}},
		"Next":"Wait"},
	"Wait":{"Type":"Wait","Seconds":3,"Next":"Both"},
	"Both":{"Type":"Parallel","ResultPath":null,"Branches":[
		{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}],"Next":"Done"},
	"Done":{"Type":"Succeed"}}}`

func pipelineEngine() *Engine {
	e, _, _ := testEngine()
	e.RegisterFunc("list", func() (map[string]any, error) {
		return map[string]any{"count": 5, "items": []string{"a", "b", "c", "d", "e"}}, nil
	})
	e.RegisterFunc("detect", func(k string) (string, error) { return k + "!", nil })
	return e
}

// A run whose handlers and clock are deterministic has the same history
// every time, even with concurrent Map iterations and Parallel branches:
// their events are merged in item/branch order. (Sleeps inside concurrent
// iterations would each advance the shared FakeClock, so they are kept at
// the top level here.)
func TestDeterministicHistory(t *testing.T) {
	var first []byte
	for i := 0; i < 5; i++ {
		x := run(t, pipelineEngine(), pipelineLike, `{"album":"a1"}`, WithName("run"))
		succeeded(t, x)
		h, err := json.Marshal(x.History())
		require.NoError(t, err)
		if first == nil {
			first = h
			continue
		}
		require.JSONEq(t, string(first), string(h), "run %d differs", i)
	}
	var events []map[string]any
	require.NoError(t, json.Unmarshal(first, &events))
	assert.Greater(t, len(events), 40)
	for i, ev := range events {
		assert.EqualValues(t, i+1, ev["Id"])
		assert.Less(t, ev["PreviousEventId"], ev["Id"])
	}
}

func TestContextObject(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"StartAt":"S","States":{"S":{"Type":"Pass","Parameters":{"ctx.$":"$$"},"End":true}}}`, `{"a":1}`, WithName("exec-1"))
	var out struct{ Ctx map[string]map[string]any }
	require.NoError(t, json.Unmarshal([]byte(succeeded(t, x)), &out))
	assert.Equal(t, "arn:aws:states:local:000000000000:execution:Test:exec-1", out.Ctx["Execution"]["Id"])
	assert.Equal(t, "exec-1", out.Ctx["Execution"]["Name"])
	assert.Equal(t, map[string]any{"a": 1.0}, out.Ctx["Execution"]["Input"])
	assert.Equal(t, "2026-01-02T03:04:05Z", out.Ctx["Execution"]["StartTime"])
	assert.Equal(t, "S", out.Ctx["State"]["Name"])
	assert.Equal(t, 0.0, out.Ctx["State"]["RetryCount"])
	assert.Equal(t, "arn:aws:states:local:000000000000:stateMachine:Test", out.Ctx["StateMachine"]["Id"])
}

func TestStopExecution(t *testing.T) {
	e := New() // real clock: the Wait really blocks until stopped
	sm, err := e.Parse("m", []byte(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`))
	require.NoError(t, err)
	var mu sync.Mutex
	entered := make(chan struct{})
	x, err := sm.Start(context.Background(), nil, WithListener(func(ev Event) {
		mu.Lock()
		defer mu.Unlock()
		if ev.Kind == StateEntered {
			close(entered)
		}
	}))
	require.NoError(t, err)
	<-entered
	// A running execution's history already shows its progress.
	running := x.History()
	require.Len(t, running, 2)
	assert.Equal(t, "WaitStateEntered", string(running[1].Type))
	assert.Equal(t, StatusRunning, x.Status())
	x.Stop("Operator", "stopped by test")
	select {
	case <-x.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("execution did not stop")
	}
	assert.Equal(t, StatusAborted, x.Status())
	assert.Equal(t, &Error{Name: "Operator", Cause: "stopped by test"}, x.Err())
	h := x.History()
	assert.Equal(t, "ExecutionAborted", string(h[len(h)-1].Type))
	assert.Equal(t, "Operator", *h[len(h)-1].ExecutionAbortedEventDetails.Error)
}

func TestCallerContextCancelAborts(t *testing.T) {
	e := New()
	e.RegisterFunc("block", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	sm, err := e.Parse("m", []byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:block","End":true}}}`))
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	x, err := sm.Start(ctx, nil)
	require.NoError(t, err)
	time.AfterFunc(10*time.Millisecond, cancel)
	x.Wait()
	assert.Equal(t, StatusAborted, x.Status())
}

func TestExecutionTimeout(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"TimeoutSeconds":10,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"W2"},"W2":{"Type":"Wait","Seconds":20,"End":true}}}`, `{}`)
	assert.Equal(t, StatusTimedOut, x.Status())
	h := x.History()
	assert.Equal(t, "ExecutionTimedOut", string(h[len(h)-1].Type))
}

func TestStartRejectsBadInput(t *testing.T) {
	e, _, _ := testEngine()
	sm, err := e.Parse("m", []byte(`{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`))
	require.NoError(t, err)
	_, err = sm.Start(context.Background(), []byte(`{`))
	assert.Error(t, err)
}
