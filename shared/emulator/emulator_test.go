package emulator

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/locate"
)

// installed is the emulator, built once into the project's cache.
func installed(t testing.TB) string {
	t.Helper()
	rie, err := Install(context.Background(), filepath.Join(locate.CacheDir(), "rie"))
	require.NoError(t, err)
	return rie
}

func TestProcessInvokes(t *testing.T) {
	rie := installed(t)
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", filepath.Join(dir, "bootstrap"), "./testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)

	ctx := context.Background()
	p, err := Start(ctx, rie, Function{Name: "echo", Dir: dir, Env: map[string]string{"ECHO_ENV": "from the template"},
		MemoryMB: 128, Timeout: 10 * time.Second})
	require.NoError(t, err)
	defer p.Close()

	got, err := p.Invoke(ctx, []byte(`{"say":"hi"}`))
	require.NoError(t, err, p.Log())
	assert.JSONEq(t, `{"said":"hi","env":"from the template"}`, string(got), "the function sees exactly the environment given")

	_, err = p.Invoke(ctx, []byte(`{"fail":true}`))
	var fe messages.InvokeResponse_Error
	require.True(t, errors.As(err, &fe), "a function error: %v", err)
	assert.Equal(t, "Refused", fe.Type, "the error's Go type name, as Step Functions matches it")
	assert.Equal(t, "refused: asked to fail", fe.Message)

	_, err = p.Invoke(ctx, []byte(`{"say":"again"}`))
	require.NoError(t, err)
	reps := p.Reports()
	require.Len(t, reps, 3)
	assert.True(t, reps[0].HasInit, "the first invocation started the runtime")
	assert.False(t, reps[1].HasInit)
	assert.False(t, reps[2].HasInit, "warm invocations")
	for _, r := range reps {
		assert.Positive(t, r.Duration)
		assert.GreaterOrEqual(t, r.Wall, r.Duration, "the caller waits at least as long as the function ran")
	}
	require.NoError(t, p.Close())
}
