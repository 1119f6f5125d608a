package states

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// testEngine returns an engine with a fake clock, deterministic ids, a
// fixed random source and an in-memory object store.
func testEngine(opts ...Option) (*Engine, *FakeClock, *MemObjects) {
	clk := NewFakeClock(t0)
	objs := NewMemObjects()
	var n atomic.Int64
	base := []Option{
		WithClock(clk),
		WithObjects(objs),
		WithUUID(func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n.Add(1)) }),
		WithRand(func() float64 { return 0.5 }),
	}
	return New(append(base, opts...)...), clk, objs
}

// run parses def on e and runs it with input, failing the test on a parse
// or start error.
func run(t testing.TB, e *Engine, def, input string, opts ...StartOption) *Execution {
	t.Helper()
	sm, err := e.Parse("Test", []byte(def))
	require.NoError(t, err)
	x, err := sm.Run(context.Background(), []byte(input), opts...)
	require.NoError(t, err)
	return x
}

// succeeded asserts the execution succeeded and returns its output.
func succeeded(t testing.TB, x *Execution) string {
	t.Helper()
	require.Equal(t, StatusSucceeded, x.Status(), "error: %v", x.Err())
	return string(x.Output())
}

// failed asserts the execution failed with the named error.
func failed(t testing.TB, x *Execution, name string) *Error {
	t.Helper()
	require.Equal(t, StatusFailed, x.Status(), "output: %s", x.Output())
	require.Equal(t, name, x.Err().Name, "cause: %s", x.Err().Cause)
	return x.Err()
}

// problems parses def and returns the problems' "path: message" lines.
func problems(t testing.TB, def string) []Problem {
	t.Helper()
	_, err := Parse([]byte(def))
	if err == nil {
		return nil
	}
	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	return ve.Problems
}

func hasProblemAt(ps []Problem, path string) bool {
	for _, p := range ps {
		if p.Path == path {
			return true
		}
	}
	return false
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
