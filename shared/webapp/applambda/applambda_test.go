package applambda

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

// lambdaEnv is the environment the stack gives the app, with in-memory
// stores and static credentials.
func lambdaEnv(t *testing.T) {
	t.Setenv(names.EnvBlobs, "mem://")
	t.Setenv(names.EnvVectors, "mem://")
	t.Setenv(names.EnvBucket, "divinepic-photos")
	t.Setenv(names.EnvStateMachineARN, "arn:aws:states:us-east-1:000000000000:stateMachine:divinepic-album")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestHandlerFromTheEnvironment(t *testing.T) {
	lambdaEnv(t)
	t.Setenv(names.EnvGuestSecret, strings.Repeat("ab", 32))
	h, err := Handler(context.Background())
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://abc.lambda-url.us-east-1.on.aws/", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	body, _ := io.ReadAll(rec.Body)
	assert.Contains(t, string(body), "Photographer sign-in")
	assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "https://divinepic-photos.s3.us-east-1.amazonaws.com",
		"presigned URLs' origin is allowed")
}

func TestHandlerConfigurationErrors(t *testing.T) {
	lambdaEnv(t)
	_, err := Handler(context.Background())
	assert.ErrorContains(t, err, names.EnvGuestSecretARN, "no secret configured")
	t.Setenv(names.EnvGuestSecret, "short")
	_, err = Handler(context.Background())
	assert.ErrorContains(t, err, "at least 32 bytes")
	t.Setenv(names.EnvStateMachineARN, "")
	_, err = Handler(context.Background())
	assert.ErrorContains(t, err, names.EnvStateMachineARN)
}
