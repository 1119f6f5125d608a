package arn_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/arn"
)

func TestFormats(t *testing.T) {
	m := arn.StateMachine{Region: "local", Account: "000000000000", Name: "album"}
	assert.Equal(t, "arn:aws:states:local:000000000000:stateMachine:album", m.String())
	assert.Equal(t, "arn:aws:states:local:000000000000:execution:album:run-1", m.Execution("run-1").String())
	assert.Equal(t, "arn:aws:states:local:000000000000:express:album:run-1", arn.Execution{Machine: m, Name: "run-1", Kind: arn.KindExpress}.String())
	r := m.MapRun("Photos", "abc")
	assert.Equal(t, "arn:aws:states:local:000000000000:mapRun:album/Photos:abc", r.String())
	assert.Equal(t, "arn:aws:states:local:000000000000:stateMachine:album/Photos", r.Children().String())
	assert.Equal(t, "arn:aws:states:local:000000000000:execution:album/Photos:c1", r.Children().Execution("c1").String())
	assert.Equal(t, "arn:aws:iam::000000000000:role/StepFunctions-album", m.Role())
	assert.Equal(t, "arn:aws:lambda:local:000000000000:function:divinepic-list", arn.Function{Region: "local", Account: "000000000000", Name: "divinepic-list"}.String())
	assert.Equal(t, "arn:aws-cn:lambda:r:1:function:f:live", arn.Function{Partition: "aws-cn", Region: "r", Account: "1", Name: "f", Qualifier: "live"}.String())
}

func TestParseRoundTrips(t *testing.T) {
	for _, s := range []string{
		"arn:aws:states:us-east-1:123456789012:stateMachine:album",
		"arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:album",
	} {
		m, err := arn.ParseStateMachine(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, m.String())
	}
	for _, s := range []string{
		"arn:aws:states:r:1:execution:album:run-1",
		"arn:aws:states:r:1:express:album/Photos:child",
		"arn:aws:states:r:1:execution:album/Photos:child",
	} {
		x, err := arn.ParseExecution(s)
		require.NoError(t, err, s)
		assert.Equal(t, s, x.String())
	}
	x, _ := arn.ParseExecution("arn:aws:states:r:1:execution:album/Photos:child")
	assert.Equal(t, "arn:aws:states:r:1:stateMachine:album/Photos", x.Machine.String(), "a child's state machine")
	r, err := arn.ParseMapRun("arn:aws:states:r:1:mapRun:album/Photos:abc")
	require.NoError(t, err)
	assert.Equal(t, arn.MapRun{Machine: arn.StateMachine{Partition: "aws", Region: "r", Account: "1", Name: "album"}, Label: "Photos", ID: "abc"}, r)
	f, err := arn.ParseFunction("arn:aws:lambda:r:1:function:divinepic-detect:live")
	require.NoError(t, err)
	assert.Equal(t, "divinepic-detect", f.Name)
	assert.Equal(t, "live", f.Qualifier)
	kind, rest, err := arn.States("arn:aws:states:r:1:mapRun:album/Photos:abc")
	require.NoError(t, err)
	assert.Equal(t, arn.KindMapRun, kind)
	assert.Equal(t, "album/Photos:abc", rest)
}

func TestParseRefusesOtherKinds(t *testing.T) {
	for _, s := range []string{"", "album", "arn:aws:lambda:x", "arn:aws:states:r:1:execution:album:run", "arn:aws:states:r:1:stateMachine:", "arn:aws:states:r:1:stateMachine:a:b"} {
		_, err := arn.ParseStateMachine(s)
		assert.ErrorIs(t, err, arn.ErrNotARN, "%q", s)
	}
	_, err := arn.ParseStateMachine("arn:aws:lambda:x")
	assert.EqualError(t, err, `"arn:aws:lambda:x" is not a state machine ARN (arn:aws:states:REGION:ACCOUNT:stateMachine:NAME)`, "the error shows the layout")
	for _, s := range []string{"arn:aws:states:r:1:stateMachine:album", "arn:aws:states:r:1:execution:album", "arn:aws:states:r:1:execution::x", "arn:aws:states:r:1:execution:a:b:c"} {
		_, err := arn.ParseExecution(s)
		assert.ErrorIs(t, err, arn.ErrNotARN, "%q", s)
	}
	for _, s := range []string{"arn:aws:states:r:1:mapRun:album:abc", "arn:aws:states:r:1:mapRun:album/Photos", "arn:aws:states:r:1:execution:album/Photos:abc"} {
		_, err := arn.ParseMapRun(s)
		assert.ErrorIs(t, err, arn.ErrNotARN, "%q", s)
	}
	for _, s := range []string{"divinepic-list", "arn:aws:states:r:1:function:x", "arn:aws:lambda:r:1:layer:x", "arn:aws:lambda:r:1:function:a:b:c"} {
		_, err := arn.ParseFunction(s)
		assert.ErrorIs(t, err, arn.ErrNotARN, "%q", s)
	}
	_, _, err = arn.States("arn:aws:lambda:r:1:function:x")
	assert.ErrorIs(t, err, arn.ErrNotARN)
}
