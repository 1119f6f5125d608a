package execstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/states"
)

const fanDef = `{
  "StartAt": "Each",
  "States": {
    "Each": {
      "Type": "Map", "ItemsPath": "$.items", "ToleratedFailurePercentage": 100,
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Work",
        "States": {
          "Work": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:work", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}], "End": true},
          "Failed": {"Type": "Fail", "Error": "ItemFailed"}
        }
      },
      "End": true
    }
  }
}`

type Odd struct{}

func (Odd) Error() string { return "odd" }

func run(t *testing.T, st *execstore.Store, name string, items string) *states.Execution {
	t.Helper()
	e := states.New()
	e.RegisterFunc("work", func(n int) (int, error) {
		if n%2 == 1 {
			return 0, Odd{}
		}
		return n, nil
	})
	sm, err := e.Parse("fan", []byte(fanDef))
	require.NoError(t, err)
	x, err := sm.Run(context.Background(), []byte(`{"items": `+items+`}`), states.WithName(name), states.WithRecorder(st.Recorder()))
	require.NoError(t, err)
	return x
}

// What an execution did is in the store once it ends: its record, its
// history, its Map Run with counts, and each child with how its states
// ended.
func TestRecordsAnExecution(t *testing.T) {
	ctx := context.Background()
	st, err := execstore.Open(filepath.Join(t.TempDir(), execstore.FileName))
	require.NoError(t, err)
	defer st.Close()
	x := run(t, st, "one", `[0, 1, 2, 3, 4]`)
	require.Equal(t, states.StatusSucceeded, x.Status())

	rec, err := st.Execution(ctx, x.ARN)
	require.NoError(t, err)
	assert.Equal(t, "SUCCEEDED", rec.Status)
	assert.Equal(t, "one", rec.Name)
	hist, more, err := st.History(ctx, x.ARN, 0, 100, false)
	require.NoError(t, err)
	assert.False(t, more)
	assert.Len(t, hist, len(x.History()))
	assert.Equal(t, types.HistoryEventTypeExecutionSucceeded, hist[len(hist)-1].Type)

	runs, err := st.MapRuns(ctx, x.ARN)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Equal(t, "SUCCEEDED", runs[0].Status)
	c, err := st.Counts(ctx, runs[0])
	require.NoError(t, err)
	assert.Equal(t, execstore.Counts{Succeeded: 3, Failed: 2, Total: 5}, c)
	failed, _, err := st.List(ctx, execstore.Query{MapRun: runs[0].ARN, Status: "FAILED"})
	require.NoError(t, err)
	require.Len(t, failed, 2)
	assert.Equal(t, []int{1, 3}, []int{failed[0].Item, failed[1].Item})
	assert.Equal(t, "ItemFailed", failed[0].Error)
	assert.Equal(t, map[string]execstore.Outcome{"Work": execstore.Caught, "Failed": execstore.Failed}, failed[0].Outcomes)
	so, err := st.StateOutcomes(ctx, runs[0].ARN)
	require.NoError(t, err)
	assert.Equal(t, map[execstore.Outcome]int{execstore.Succeeded: 3, execstore.Caught: 2}, so["Work"])

	// Paging a Map Run's children: from an item on, and backwards.
	page, more, err := st.List(ctx, execstore.Query{MapRun: runs[0].ARN, After: 2, Limit: 2})
	require.NoError(t, err)
	assert.True(t, more)
	assert.Equal(t, []int{2, 3}, []int{page[0].Item, page[1].Item})
	page, _, err = st.List(ctx, execstore.Query{MapRun: runs[0].ARN, After: 2, Descending: true})
	require.NoError(t, err)
	assert.Equal(t, []int{1, 0}, []int{page[0].Item, page[1].Item})
}

// Finished executions older than the cutoff go, with everything they own;
// newer ones stay.
func TestPrune(t *testing.T) {
	ctx := context.Background()
	st, err := execstore.Open(filepath.Join(t.TempDir(), execstore.FileName))
	require.NoError(t, err)
	defer st.Close()
	old := run(t, st, "old", `[0, 1]`)
	cutoff := time.Now()
	time.Sleep(5 * time.Millisecond)
	young := run(t, st, "young", `[0, 1]`)

	n, err := st.Prune(ctx, cutoff)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = st.Execution(ctx, old.ARN)
	assert.ErrorIs(t, err, execstore.ErrNotFound)
	for _, c := range old.MapRuns()[0].Children() {
		_, err = st.Execution(ctx, c.ARN)
		assert.ErrorIs(t, err, execstore.ErrNotFound, "its children go too")
	}
	hist, _, err := st.History(ctx, old.ARN, 0, 10, false)
	require.NoError(t, err)
	assert.Empty(t, hist)
	_, err = st.Execution(ctx, young.ARN)
	assert.NoError(t, err)
	runs, err := st.MapRuns(ctx, young.ARN)
	require.NoError(t, err)
	assert.Len(t, runs, 1)
}

// With an ItemBatcher a child is a batch: ItemCounts count the items,
// Counts the children, as DescribeMapRun's itemCounts and executionCounts.
func TestItemCountsOfBatches(t *testing.T) {
	st, err := execstore.Open(filepath.Join(t.TempDir(), "executions.db"))
	require.NoError(t, err)
	defer st.Close()
	e := states.New()
	e.RegisterFunc("work", func(in map[string]any) (int, error) {
		if len(in["Items"].([]any)) == 1 {
			return 0, Odd{} // the short last batch fails
		}
		return 0, nil
	})
	def := `{"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items", "ToleratedFailurePercentage": 100,
		"ItemBatcher": {"MaxItemsPerBatch": 3},
		"ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}, "StartAt": "Work",
			"States": {"Work": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:work", "End": true}}},
		"End": true}}}`
	sm, err := e.Parse("batches", []byte(def))
	require.NoError(t, err)
	_, err = sm.Run(context.Background(), []byte(`{"items": [1, 2, 3, 4, 5, 6, 7]}`), states.WithName("b"), states.WithRecorder(st.Recorder()))
	require.NoError(t, err)
	st.Flush()
	runs, err := st.MapRuns(context.Background(), "arn:aws:states:local:000000000000:execution:batches:b")
	require.NoError(t, err)
	require.Len(t, runs, 1)
	children, err := st.Counts(context.Background(), runs[0])
	require.NoError(t, err)
	assert.Equal(t, execstore.Counts{Succeeded: 2, Failed: 1, Total: 3}, children)
	items, err := st.ItemCounts(context.Background(), runs[0])
	require.NoError(t, err)
	assert.Equal(t, execstore.Counts{Succeeded: 6, Failed: 1, Total: 7}, items)
}

// A store written before the item columns existed opens, and gets them.
func TestOpensAStoreOfAnOlderSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "executions.db")
	st, err := execstore.Open(path)
	require.NoError(t, err)
	run(t, st, "old", `[1, 2]`)
	require.NoError(t, st.Close())
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	_, err = db.Exec(`ALTER TABLE executions DROP COLUMN items; ALTER TABLE map_runs DROP COLUMN total_items`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	st, err = execstore.Open(path)
	require.NoError(t, err)
	defer st.Close()
	runs, err := st.MapRuns(context.Background(), "arn:aws:states:local:000000000000:execution:fan:old")
	require.NoError(t, err)
	require.Len(t, runs, 1)
	items, err := st.ItemCounts(context.Background(), runs[0])
	require.NoError(t, err)
	assert.Equal(t, execstore.Counts{Succeeded: 1, Failed: 1, Total: 2}, items, "one item per child, as before")
}
