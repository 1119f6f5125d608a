package domain_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
)

// errorsByName is one value of every named error type.
var errorsByName = map[string]error{
	domain.ErrImageUnreadable:     &domain.ImageUnreadable{Key: "k", Reason: "r"},
	domain.ErrImageUnsupported:    &domain.ImageUnsupported{Key: "k", Reason: "r"},
	domain.ErrObjectMissing:       &domain.ObjectMissing{Key: "k"},
	domain.ErrTransientStoreError: &domain.TransientStoreError{Op: "put k", Err: errors.New("503")},
	domain.ErrInvalidInput:        &domain.InvalidInput{Field: "f", Reason: "r"},
	domain.ErrEngineError:         &domain.EngineError{Op: "detect k", Err: errors.New("x")},
	domain.ErrEngineUnavailable:   &domain.EngineUnavailable{Pack: "p", Err: errors.New("x")},
	domain.ErrInternal:            &domain.InternalError{Message: "m"},
	domain.ErrAlbumNotFound:       &domain.AlbumNotFound{AlbumID: "a", Prefix: "albums/a/"},
	domain.ErrAlbumEmpty:          &domain.AlbumEmpty{AlbumID: "a", Prefix: "albums/a/", Objects: 1},
}

// The name a handler's error reaches Step Functions with (its Go type
// name, as aws-lambda-go reports it) is the constant the code matches.
func TestErrorNamesAreTheGoTypeNames(t *testing.T) {
	for name, err := range errorsByName {
		assert.Equal(t, name, states.ErrorType(err), "%T", err)
		assert.NotEmpty(t, err.Error())
	}
}

// Every error statemachine.asl.json retries or catches by name is either
// one of AWS's (States.*, Lambda.*) or a named error of this package.
func TestWorkflowMatchesOnlyNamedErrors(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "..", "statemachine.asl.json"))
	require.NoError(t, err)
	vars := map[string]string{}
	for _, n := range names.Placeholders(body) {
		vars[n] = "1"
	}
	body, err = names.Substitute(body, vars)
	require.NoError(t, err)
	var asl any
	require.NoError(t, json.Unmarshal(body, &asl))
	var matched []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				if k == "ErrorEquals" {
					for _, n := range c.([]any) {
						matched = append(matched, n.(string))
					}
				}
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(asl)
	require.NotEmpty(t, matched)
	for _, n := range matched {
		if strings.HasPrefix(n, "States.") || strings.HasPrefix(n, "Lambda.") {
			continue
		}
		assert.Contains(t, errorsByName, n, "ErrorEquals %q is a named error of shared/domain", n)
	}
}

func TestErrorsUnwrap(t *testing.T) {
	cause := errors.New("disk on fire")
	for _, err := range []error{
		&domain.ImageUnreadable{Reason: "r", Err: cause}, &domain.ImageUnsupported{Reason: "r", Err: cause},
		&domain.TransientStoreError{Op: "o", Err: cause}, &domain.EngineError{Op: "o", Err: cause},
		&domain.EngineUnavailable{Pack: "p", Err: cause},
	} {
		assert.ErrorIs(t, err, cause, "%T", err)
		assert.Contains(t, err.Error(), "disk on fire")
	}
	assert.True(t, domain.IsTransient(&domain.TransientStoreError{Op: "o", Err: cause}))
	assert.False(t, domain.IsTransient(&domain.ObjectMissing{Key: "k"}))
}

func TestFaceJSONShape(t *testing.T) {
	f := domain.Face{Box: [4]float32{1, 2, 11, 22}, Score: 0.5, Landmarks: [5][2]float32{{1, 1}}}
	b, err := json.Marshal(f)
	require.NoError(t, err)
	assert.JSONEq(t, `{"box":[1,2,11,22],"score":0.5,"landmarks":[[1,1],[0,0],[0,0],[0,0],[0,0]]}`, string(b), "no embedding before embedding")
	f.Embedding = []float32{0.6, 0.8}
	b, err = json.Marshal(f)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"embedding":[0.6,0.8]`)
	assert.InDelta(t, 10*20, f.Area(), 1e-6)
}
