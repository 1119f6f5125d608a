package states

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// flaky registers a function "f" that fails with err until it has been
// called failures times, recording the virtual time of every call.
func flaky(e *Engine, clk *FakeClock, failures int, err error) *[]time.Time {
	var calls []time.Time
	var n atomic.Int64
	e.RegisterFunc("f", func() (string, error) {
		calls = append(calls, clk.Now())
		if int(n.Add(1)) <= failures {
			return "", err
		}
		return "ok", nil
	})
	return &calls
}

const taskWithRetry = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true,
	"Retry":[%s],"Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Failed"}]},"Failed":{"Type":"Pass","End":true}}}`

func TestRetryExactTimesWithJitterNone(t *testing.T) {
	e, clk, _ := testEngine()
	calls := flaky(e, clk, 4, &domain.TransientStoreError{Op: "put"})
	x := run(t, e, sprintf(taskWithRetry, `{"ErrorEquals":["TransientStoreError"],"IntervalSeconds":2,"MaxAttempts":5,"BackoffRate":3,"MaxDelaySeconds":30,"JitterStrategy":"NONE"}`), `{}`)
	assert.JSONEq(t, `"ok"`, succeeded(t, x))
	// 2, 6, 18, then 54 capped at 30 seconds.
	assert.Equal(t, []time.Duration{2 * time.Second, 6 * time.Second, 18 * time.Second, 30 * time.Second}, clk.Sleeps())
	require.Len(t, *calls, 5)
	for i, want := range []time.Duration{0, 2, 8, 26, 56} {
		assert.Equal(t, t0.Add(want*time.Second), (*calls)[i], "attempt %d", i)
	}
}

func TestRetryDefaultsAndExhaustion(t *testing.T) {
	e, clk, _ := testEngine()
	calls := flaky(e, clk, 100, &domain.TransientStoreError{Op: "put"})
	x := run(t, e, sprintf(taskWithRetry, `{"ErrorEquals":["TransientStoreError"]}`), `{"a":1}`)
	out := succeeded(t, x)
	// Defaults: IntervalSeconds 1, BackoffRate 2, MaxAttempts 3 -> 4 calls.
	assert.Len(t, *calls, 4)
	assert.Equal(t, []time.Duration{1 * time.Second, 2 * time.Second, 4 * time.Second}, clk.Sleeps())
	assert.Contains(t, out, `"Error":"TransientStoreError"`)
	assert.Contains(t, out, `"a":1`)
}

func TestRetryFullJitterBounds(t *testing.T) {
	for _, r := range []float64{0, 0.25, 0.999} {
		e, clk, _ := testEngine(WithRand(func() float64 { return r }))
		flaky(e, clk, 3, &domain.TransientStoreError{Op: "put"})
		succeeded(t, run(t, e, sprintf(taskWithRetry, `{"ErrorEquals":["States.ALL"],"IntervalSeconds":4,"BackoffRate":2,"JitterStrategy":"FULL"}`), `{}`))
		sleeps := clk.Sleeps()
		require.Len(t, sleeps, 3)
		for i, max := range []float64{4, 8, 16} {
			assert.GreaterOrEqual(t, sleeps[i], time.Duration(0))
			assert.LessOrEqual(t, sleeps[i], time.Duration(max*float64(time.Second)))
			assert.InDelta(t, r*max, sleeps[i].Seconds(), 1e-6)
		}
	}
}

func TestRetryMaxAttemptsZeroAndPerRetrierCounters(t *testing.T) {
	e, clk, _ := testEngine()
	calls := flaky(e, clk, 100, &domain.ImageUnreadable{Reason: "bad"})
	x := run(t, e, sprintf(taskWithRetry, `{"ErrorEquals":["ImageUnreadable"],"MaxAttempts":0},{"ErrorEquals":["States.ALL"],"MaxAttempts":1}`), `{}`)
	succeeded(t, x)
	// The first matching retrier wins and allows no retry; the catch-all
	// retrier is never consulted.
	assert.Len(t, *calls, 1)
	assert.Empty(t, clk.Sleeps())
}

func TestRetryCountInContext(t *testing.T) {
	e, clk, _ := testEngine()
	var seen []float64
	var n int
	e.RegisterFunc("f", func(in map[string]any) (string, error) {
		seen = append(seen, in["rc"].(float64))
		n++
		if n < 3 {
			return "", &domain.TransientStoreError{}
		}
		return "ok", nil
	})
	_ = clk
	x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true,
		"Parameters":{"rc.$":"$$.State.RetryCount"},"Retry":[{"ErrorEquals":["States.ALL"]}]}}}`, `{}`)
	succeeded(t, x)
	assert.Equal(t, []float64{0, 1, 2}, seen)
}

func TestCatch(t *testing.T) {
	tests := []struct {
		name, catch, want string
		err               error
	}{
		{"by name with ResultPath", `[{"ErrorEquals":["ImageUnreadable"],"ResultPath":"$.error","Next":"Rec"}]`,
			`{"image":"a","error":{"Error":"ImageUnreadable","Cause":"{\"errorMessage\":\"image unreadable a: bad\",\"errorType\":\"ImageUnreadable\"}"}}`,
			&domain.ImageUnreadable{Key: "a", Reason: "bad"}},
		{"default ResultPath replaces input", `[{"ErrorEquals":["States.TaskFailed"],"Next":"Rec"}]`,
			`{"Error":"ObjectMissing","Cause":"{\"errorMessage\":\"object missing: k\",\"errorType\":\"ObjectMissing\"}"}`,
			&domain.ObjectMissing{Key: "k"}},
		{"ResultPath null keeps input", `[{"ErrorEquals":["States.ALL"],"ResultPath":null,"Next":"Rec"}]`, `{"image":"a"}`, &domain.ObjectMissing{Key: "k"}},
		{"first matching catcher", `[{"ErrorEquals":["ObjectMissing","X"],"ResultPath":"$.e","Next":"Rec"}]`,
			`{"image":"a","e":{"Error":"ObjectMissing","Cause":"{\"errorMessage\":\"object missing: k\",\"errorType\":\"ObjectMissing\"}"}}`, &domain.ObjectMissing{Key: "k"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _, _ := testEngine()
			e.RegisterFunc("f", func() error { return tc.err })
			x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true,
				"Catch":[{"ErrorEquals":["Nope"],"Next":"Other"},`+tc.catch[1:]+`},"Rec":{"Type":"Pass","End":true},"Other":{"Type":"Fail","Error":"Wrong"}}}`, `{"image":"a"}`)
			assert.JSONEq(t, tc.want, succeeded(t, x))
			assert.Equal(t, []string{"T", "Rec"}, x.Path())
		})
	}
}

func TestUncaughtErrorFailsExecution(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("f", func() error { return &domain.InvalidInput{Field: "albumId", Reason: "empty"} })
	x := run(t, e, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:f","End":true,
		"Catch":[{"ErrorEquals":["ImageUnreadable"],"Next":"R"}]},"R":{"Type":"Succeed"}}}`, `{}`)
	failed(t, x, "InvalidInput")
	h := x.History()
	last := h[len(h)-1]
	assert.Equal(t, "ExecutionFailed", string(last.Type))
	assert.Equal(t, "InvalidInput", *last.ExecutionFailedEventDetails.Error)
}

func TestMatchesWildcards(t *testing.T) {
	assert.True(t, matches([]string{ErrAll}, "Anything"))
	assert.False(t, matches([]string{ErrAll}, ErrRuntime))
	assert.False(t, matches([]string{ErrAll}, ErrDataLimitExceeded))
	assert.True(t, matches([]string{ErrTaskFailed}, "ImageUnreadable"))
	assert.False(t, matches([]string{ErrTaskFailed}, ErrTimeout))
	assert.True(t, matches([]string{ErrTimeout}, ErrTimeout))
}
