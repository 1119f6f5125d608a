package main

import (
	"bytes"
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
