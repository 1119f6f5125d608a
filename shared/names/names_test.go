package names_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

func TestFunctionARNPlaceholder(t *testing.T) {
	assert.Equal(t, "ListFunctionArn", names.FunctionARNPlaceholder(names.StepList))
	assert.Equal(t, "AggregateFunctionArn", names.FunctionARNPlaceholder(names.StepAggregate))
}

func TestSubstitute(t *testing.T) {
	def := []byte(`{"A":"${ListFunctionArn}","B":${MaxConcurrency},"C":"${ListFunctionArn}"}`)
	assert.Equal(t, []string{"ListFunctionArn", "MaxConcurrency"}, names.Placeholders(def))
	out, err := names.Substitute(def, map[string]string{"ListFunctionArn": "arn:x", "MaxConcurrency": "4"})
	require.NoError(t, err)
	assert.Equal(t, `{"A":"arn:x","B":4,"C":"arn:x"}`, string(out))

	_, err = names.Substitute(def, map[string]string{"ListFunctionArn": "arn:x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "${MaxConcurrency}")
}

// Every placeholder of statemachine.asl.json is one this package names: a
// function ARN of a workflow step, or one of the Placeholder constants.
func TestDefinitionPlaceholdersAreNamedHere(t *testing.T) {
	def, err := os.ReadFile(filepath.Join("..", "..", "statemachine.asl.json"))
	require.NoError(t, err)
	want := []string{names.PlaceholderMaxConcurrency, names.PlaceholderToleratedFailurePercentage,
		names.PlaceholderResultBucket, names.PlaceholderResultPrefix}
	for _, s := range names.WorkflowSteps {
		want = append(want, names.FunctionARNPlaceholder(s))
	}
	assert.ElementsMatch(t, want, names.Placeholders(def))
}

func TestStepsAndONNX(t *testing.T) {
	for _, s := range names.WorkflowSteps {
		assert.Contains(t, names.Steps, s)
	}
	// Each step has its Lambda main.
	for _, s := range names.Steps {
		_, err := os.Stat(filepath.Join("..", "..", "lambdas", s, "main.go"))
		assert.NoError(t, err, "lambdas/%s/main.go", s)
	}
	assert.True(t, names.NeedsONNX(names.StepDetect))
	assert.False(t, names.NeedsONNX(names.StepList))
	assert.Equal(t, "divinepic-embed", names.FunctionName(names.StepEmbed))
}

func TestIndexForPack(t *testing.T) {
	for _, c := range []struct{ version, want string }{
		{"default-1", "faces-default-1"},
		{"buffalo_l-2", "faces-buffalo-l-2"},
		{"SCRFD 2.5g", "faces-scrfd-2.5g"},
	} {
		got, err := names.IndexForPack(c.version)
		require.NoError(t, err)
		assert.Equal(t, c.want, got)
		assert.NoError(t, names.ValidateIndexName(got))
	}
	_, err := names.IndexForPack(strings.Repeat("a", 80))
	assert.ErrorIs(t, err, names.ErrBadIndexName)
	for _, bad := range []string{"ab", "-abc", "abc-", "a..b", "ABC", "a_b"} {
		assert.ErrorIs(t, names.ValidateIndexName(bad), names.ErrBadIndexName, bad)
	}
}

func TestSubstituteNamesEveryMissingValue(t *testing.T) {
	out, err := names.Substitute([]byte(`{"a":"${X}","b":"${Y}-${X}"}`), map[string]string{"X": "1", "Y": "2"})
	require.NoError(t, err)
	assert.Equal(t, `{"a":"1","b":"2-1"}`, string(out))
	_, err = names.Substitute([]byte(`{"a":"${X}","b":"${Nope}","c":"${Other}"}`), map[string]string{"X": "1"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "${Nope}")
	assert.Contains(t, err.Error(), "${Other}")
}

func TestIndexForPackNames(t *testing.T) {
	for _, c := range []struct{ pack, want string }{
		{"buffalo_l", "faces-buffalo-l"},
		{"antelopev2", "faces-antelopev2"},
		{"Buffalo_S-1.2", "faces-buffalo-s-1.2"},
		{"pack_", "faces-pack"},
	} {
		t.Run(c.pack, func(t *testing.T) {
			got, err := names.IndexForPack(c.pack)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			assert.NoError(t, names.ValidateIndexName(got))
		})
	}
	_, err := names.IndexForPack(strings.Repeat("a", 80))
	assert.ErrorIs(t, err, names.ErrBadIndexName)
}

func TestRunExecutionName(t *testing.T) {
	at := time.Date(2026, 12, 1, 15, 4, 5, 123456789, time.UTC)
	assert.Equal(t, "wedding-20261201T150405123456789", names.RunExecutionName("wedding", at))
	long := names.RunExecutionName(strings.Repeat("c", 64), at)
	assert.LessOrEqual(t, len(long), names.MaxExecutionName)
	assert.True(t, names.ValidExecutionName(long), long)
	assert.NotEqual(t, names.RunExecutionName("wedding", at), names.RunExecutionName("wedding", at.Add(time.Nanosecond)))
}
