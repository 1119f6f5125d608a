package states

import (
	"testing"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParallelState(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("double", func(n int) (int, error) { return 2 * n, nil })
	x := run(t, e, `{"StartAt":"P","States":{"P":{"Type":"Parallel","InputPath":"$.n","ResultPath":"$.r","ResultSelector":{"sum.$":"States.MathAdd($[0], $[1])"},"End":true,
		"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:double","End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}}}`, `{"n":5}`)
	assert.JSONEq(t, `{"n":5,"r":{"sum":15}}`, succeeded(t, x))
	var types []string
	for _, ev := range x.History() {
		types = append(types, string(ev.Type))
	}
	assert.Equal(t, []string{"ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted",
		"TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted", "LambdaFunctionSucceeded", "TaskStateExited",
		"PassStateEntered", "PassStateExited",
		"ParallelStateSucceeded", "ParallelStateExited", "ExecutionSucceeded"}, types)
	h := x.History()
	// Each branch's first event follows ParallelStateStarted.
	assert.Equal(t, int64(3), h[3].PreviousEventId)
	assert.Equal(t, int64(3), h[8].PreviousEventId)
	for i, ev := range h {
		assert.Equal(t, int64(i+1), ev.Id)
	}
}

func TestParallelBranchFailure(t *testing.T) {
	e, _, _ := testEngine()
	e.RegisterFunc("bad", func() error { return &domain.ObjectMissing{Key: "k"} })
	def := `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,%s
		"Branches":[
			{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:bad","End":true}}},
			{"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":5,"End":true}}}]},"C":{"Type":"Pass","End":true}}}`
	failed(t, run(t, e, sprintf(def, `"Catch":[{"ErrorEquals":["Nope"],"Next":"C"}],`), `{}`), "ObjectMissing")
	x := run(t, e, sprintf(def, `"Catch":[{"ErrorEquals":["ObjectMissing"],"Next":"C"}],`), `{}`)
	out := succeeded(t, x)
	require.Contains(t, out, `"Error":"ObjectMissing"`)
}
