package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeDef(t *testing.T, def string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "m.asl.json")
	require.NoError(t, os.WriteFile(p, []byte(def), 0o644))
	return p
}

func TestValidateCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	// The pipeline's own definition is valid and every Task has a handler.
	code := dispatch([]string{"validate", filepath.Join("..", "..", "statemachine.asl.json")}, &out, &errOut)
	assert.Equal(t, 0, code, errOut.String())
	assert.Contains(t, out.String(), "valid")

	out.Reset()
	errOut.Reset()
	bad := writeDef(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:nope","Next":"X"}}}`)
	code = dispatch([]string{"validate", bad}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "$.States.T.Resource")
	assert.Contains(t, errOut.String(), "$.States.T.Next")

	errOut.Reset()
	unknown := writeDef(t, `{"StartAt":"${Start}","States":{"A":{"Type":"Succeed"}}}`)
	assert.Equal(t, 1, dispatch([]string{"validate", unknown}, &out, &errOut))
	assert.Contains(t, errOut.String(), "${Start}")
	out.Reset()
	assert.Equal(t, 0, dispatch([]string{"validate", "--sub", "Start=A", unknown}, &out, &errOut))
}

func TestStatesRunCommand(t *testing.T) {
	def := writeDef(t, `{"StartAt":"E","States":{
		"E":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"echo","Payload.$":"$"},"OutputPath":"$.Payload","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.fail","BooleanEquals":true,"Next":"F"}],"Default":"Done"},
		"F":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:fail","End":true},
		"Done":{"Type":"Pass","Parameters":{"greeting.$":"States.Format('hello {}', $.who)"},"End":true}}}`)
	var out, errOut bytes.Buffer
	code := dispatch([]string{"states", "run", def, "--input", `{"who":"world","fail":false}`}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	assert.JSONEq(t, `{"greeting":"hello world"}`, out.String())

	out.Reset()
	errOut.Reset()
	code = dispatch([]string{"states", "run", "--input", `{"fail":true,"errorType":"ImageUnreadable","errorMessage":"bad"}`, def}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "error: ImageUnreadable")
	assert.Empty(t, out.String())

	assert.Equal(t, 2, dispatch([]string{"states"}, &out, &errOut))
}

func TestStatesRunDistributedMapWithObjects(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "inbox"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "inbox", "items.json"), []byte(`[{"n":1},{"n":2},{"n":3}]`), 0o644))
	def := writeDef(t, `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,
		"ItemReader":{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSON"},"Parameters":{"Bucket":"inbox","Key":"items.json"}},
		"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},"StartAt":"E",
			"States":{"E":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:echo","End":true}}},
		"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"outbox","Prefix":"runs"}},
		"ResultSelector":{"key.$":"$.ResultWriterDetails.Key"}}}}`)
	var out, errOut bytes.Buffer
	code := dispatch([]string{"states", "run", "--objects", dir, def}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var res struct{ Key string }
	require.NoError(t, json.Unmarshal(out.Bytes(), &res))
	manifest, err := os.ReadFile(filepath.Join(dir, "outbox", filepath.FromSlash(res.Key)))
	require.NoError(t, err)
	assert.Contains(t, string(manifest), `"SUCCEEDED":[{"Key":"runs/`)
}

func TestValidateDefaultFileAndHistoryFlag(t *testing.T) {
	t.Chdir(filepath.Join("..", ".."))
	var out, errOut bytes.Buffer
	require.Equal(t, 0, dispatch([]string{"validate"}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "statemachine.asl.json: valid")

	def := writeDef(t, `{"StartAt":"W","States":{"W":{"Type":"Pass","Result":1,"End":true}}}`)
	out.Reset()
	errOut.Reset()
	require.Equal(t, 0, dispatch([]string{"states", "run", "--history", def}, &out, &errOut))
	assert.Equal(t, "1\n", out.String())
	var events []map[string]any
	require.NoError(t, json.Unmarshal(errOut.Bytes(), &events))
	require.Len(t, events, 4)
	assert.Equal(t, "PassStateExited", events[2]["Type"])
}
