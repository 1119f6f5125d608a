package steplog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/steplog"
)

// Each invocation is one JSON line with the step, album, photo and, when
// it failed, the error's name.
func TestInvocationsAreJSONLines(t *testing.T) {
	var buf bytes.Buffer
	log := steplog.NewLogger(&buf, "info")
	h := steplog.Wrap("detect", lambda.NewHandler(func(in map[string]any) (map[string]any, error) {
		if in["image"].(map[string]any)["key"] == "albums/a/bad.jpg" {
			return nil, &domain.ImageUnreadable{Key: "albums/a/bad.jpg", Reason: "not an image"}
		}
		return map[string]any{"faceCount": 1}, nil
	}), log)
	ctx := context.Background()
	_, err := h.Invoke(ctx, []byte(`{"albumId": "a", "image": {"key": "albums/a/ok.jpg"}}`))
	require.NoError(t, err)
	_, err = h.Invoke(ctx, []byte(`{"albumId": "a", "image": {"key": "albums/a/bad.jpg"}}`))
	require.Error(t, err)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 2)
	var ok, bad map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &ok))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &bad))
	assert.Equal(t, "INFO", ok["level"])
	assert.Equal(t, "detect", ok["step"])
	assert.Equal(t, "a", ok["album"])
	assert.Equal(t, "albums/a/ok.jpg", ok["photo"])
	assert.Equal(t, "WARN", bad["level"])
	assert.Equal(t, domain.ErrImageUnreadable, bad["error"])
	assert.Contains(t, bad["cause"], "not an image")
}
