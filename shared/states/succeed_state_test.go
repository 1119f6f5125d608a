package states

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSucceedState(t *testing.T) {
	e, _, _ := testEngine()
	x := run(t, e, `{"StartAt":"S","States":{"S":{"Type":"Succeed","InputPath":"$.a","OutputPath":"$.b"}}}`, `{"a":{"b":[1,2]}}`)
	assert.JSONEq(t, `[1,2]`, succeeded(t, x))
	var types []string
	for _, ev := range x.History() {
		types = append(types, string(ev.Type))
	}
	assert.Equal(t, []string{"ExecutionStarted", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"}, types)
}
