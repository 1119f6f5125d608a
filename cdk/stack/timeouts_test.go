package stack

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every Task's function stops before its state gives up on it: a Lambda
// still running after TimeoutSeconds would write results for a photo that
// was already recorded as failed. Together the per-photo Tasks stay under an
// EXPRESS child's 5 minutes.
func TestLambdaTimeoutsFitTheirStates(t *testing.T) {
	root, err := FindRepoRoot(".")
	require.NoError(t, err)
	def, err := ReadDefinition(filepath.Join(root, "statemachine.asl.json"))
	require.NoError(t, err)
	def = regexp.MustCompile(`(:\s*)\$\{[A-Za-z]+\}`).ReplaceAllString(def, "${1}1") // bare numeric placeholders
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(def), &doc))

	timeouts := map[string]float64{}
	for _, f := range functionSpecs {
		timeouts[f.step] = f.timeout
	}
	placeholder := regexp.MustCompile(`^\$\{([A-Za-z]+)FunctionArn\}$`)
	var walk func(m map[string]any, express bool) float64
	walk = func(m map[string]any, express bool) float64 {
		total := 0.0
		for name, s := range m["States"].(map[string]any) {
			st := s.(map[string]any)
			if proc, ok := st["ItemProcessor"].(map[string]any); ok {
				cfg, _ := proc["ProcessorConfig"].(map[string]any)
				child := walk(proc, cfg["ExecutionType"] == "EXPRESS")
				if cfg["ExecutionType"] == "EXPRESS" {
					assert.Less(t, child, 300.0, "an EXPRESS child's Tasks must fit in 5 minutes")
				}
			}
			if st["Type"] != "Task" {
				continue
			}
			params := st["Parameters"].(map[string]any)
			m := placeholder.FindStringSubmatch(params["FunctionName"].(string))
			require.NotNil(t, m, name)
			step := strings.ToLower(m[1])
			state, ok := st["TimeoutSeconds"].(float64)
			require.True(t, ok, "%s has TimeoutSeconds", name)
			fn, ok := timeouts[step]
			require.True(t, ok, "%s: no function spec for %s", name, step)
			assert.Less(t, fn, state, "%s: the %s Lambda (%v s) must stop before its state's TimeoutSeconds (%v s)", name, step, fn, state)
			total += state
		}
		return total
	}
	walk(doc, false)
}
