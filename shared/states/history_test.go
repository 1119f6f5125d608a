package states

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// dropNulls removes null members, so golden files show only the details
// each event type has.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

// TestHistoryGolden pins the shape of a history (event types, ids,
// previous event ids, details) for a run through Task, Choice, inline Map,
// Wait, Parallel and Succeed. Run with -update after an intended change.
func TestHistoryGolden(t *testing.T) {
	x := run(t, pipelineEngine(), pipelineLike, `{"album":"a1"}`, WithName("golden"))
	succeeded(t, x)
	raw, err := json.Marshal(x.History())
	require.NoError(t, err)
	var events any
	require.NoError(t, json.Unmarshal(raw, &events))
	got, err := json.MarshalIndent(dropNulls(events), "", "  ")
	require.NoError(t, err)
	golden := filepath.Join("testdata", "history.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(golden, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}
