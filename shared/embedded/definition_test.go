package embedded

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	pipeline "github.com/divinepic/pipeline"
	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

// walkStates calls fn for every state of the definition, nested ones too.
func walkStates(t *testing.T, fn func(name string, state map[string]any)) {
	t.Helper()
	var def map[string]any
	// Some placeholders stand bare where numbers go: fill those to read the JSON.
	raw := regexp.MustCompile(`(:\s*)\$\{[A-Za-z]+\}`).ReplaceAllString(string(pipeline.StateMachineJSON), "${1}1")
	require.NoError(t, json.Unmarshal([]byte(raw), &def))
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		for name, s := range m["States"].(map[string]any) {
			st := s.(map[string]any)
			fn(name, st)
			for _, k := range []string{"ItemProcessor", "Iterator"} {
				if sub, ok := st[k].(map[string]any); ok {
					walk(sub)
				}
			}
			if bs, ok := st["Branches"].([]any); ok {
				for _, b := range bs {
					walk(b.(map[string]any))
				}
			}
		}
	}
	walk(def)
}

// Every Task names a step that has a handler, and the engine refuses the
// definition when one is missing.
func TestEveryTaskHasAHandler(t *testing.T) {
	s := &steps.Steps{}
	handlers := s.Handlers()
	placeholder := regexp.MustCompile(`^\$\{([A-Za-z]+)FunctionArn\}$`)
	var tasks []string
	walkStates(t, func(name string, st map[string]any) {
		if st["Type"] != "Task" {
			return
		}
		tasks = append(tasks, name)
		params, _ := st["Parameters"].(map[string]any)
		fn, _ := params["FunctionName"].(string)
		m := placeholder.FindStringSubmatch(fn)
		require.NotNil(t, m, "Task %s: FunctionName %q is not a ${<Step>FunctionArn} placeholder", name, fn)
		step := strings.ToLower(m[1][:1]) + m[1][1:]
		assert.Contains(t, handlers, step, "Task %s calls step %q, which has no handler", name, step)
	})
	sort.Strings(tasks)
	assert.Equal(t, []string{"Aggregate", "CollectFailures", "DetectFaces", "EmbedFaces", "ListImages", "People"}, tasks)

	// The engine binds every Task to a handler: without one, parsing fails.
	def, err := Definition(Options{})
	require.NoError(t, err)
	e := states.New()
	for name, h := range handlers {
		if name != names.StepEmbed {
			e.Register(names.FunctionName(name), h)
		}
	}
	_, err = e.Parse("incomplete", def)
	require.Error(t, err)
	assert.Contains(t, err.Error(), names.FunctionName(names.StepEmbed))
}

// lambdaServiceErrors are the errors the Lambda service itself raises
// when Step Functions invokes a function (the Step Functions developer
// guide's list for Lambda tasks); no code of ours raises them, AWS does.
var lambdaServiceErrors = map[string]bool{
	"Lambda.ServiceException":                true,
	"Lambda.AWSLambdaException":              true,
	"Lambda.SdkClientException":              true,
	"Lambda.TooManyRequestsException":        true,
	"Lambda.ClientExecutionTimeoutException": true,
}

// Every name a Retry or Catch matches can be raised: States.* by the
// engine, Lambda.* by the Lambda service, and every other name by our code,
// shown here by raising it through the real code path and converting it
// the way the Lambda Go runtime does.
func TestEveryCaughtErrorCanBeRaised(t *testing.T) {
	names := map[string]bool{}
	walkStates(t, func(name string, st map[string]any) {
		for _, key := range []string{"Retry", "Catch"} {
			rs, _ := st[key].([]any)
			for _, r := range rs {
				for _, n := range r.(map[string]any)["ErrorEquals"].([]any) {
					names[n.(string)] = true
				}
			}
		}
	})
	engineErrors := map[string]bool{states.ErrAll: true, states.ErrTimeout: true, states.ErrTaskFailed: true,
		states.ErrRuntime: true, states.ErrHeartbeatTimeout: true, states.ErrDataLimitExceeded: true}
	raisedByCode := map[string]func(t *testing.T) error{
		"TransientStoreError": transientFromS3AndS3Vectors,
	}
	for n := range names {
		switch {
		case strings.HasPrefix(n, "States."):
			assert.True(t, engineErrors[n], "%s: not an error the engine raises", n)
		case strings.HasPrefix(n, "Lambda."):
			assert.True(t, lambdaServiceErrors[n], "%s: not an error the Lambda service raises", n)
		default:
			raise, ok := raisedByCode[n]
			if assert.True(t, ok, "%s: no code path raises it", n) {
				assert.Equal(t, n, states.ErrorType(raise(t)))
			}
		}
	}
}

// transientFromS3AndS3Vectors makes the blob store's S3 client and the
// vector store's S3 Vectors client meet a server that keeps answering 503,
// and returns the S3 error after checking that both are the same type.
func transientFromS3AndS3Vectors(t *testing.T) error {
	busy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer busy.Close()
	client := s3.New(s3.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(busy.URL), UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		RetryMaxAttempts: 1,
	})
	store, err := blob.NewS3Store(client, "photos")
	require.NoError(t, err)
	_, _, s3err := store.Get(context.Background(), "albums/a/x.jpg")
	require.Error(t, s3err)

	vsrv := s3vectorsserver.NewServer()
	vsrv.CreateBucket("vectors-b")
	vsrv.InjectFault("QueryVectors", 10, http.StatusServiceUnavailable, "ServiceUnavailableException")
	vhttp := httptest.NewServer(vsrv)
	defer vhttp.Close()
	vs, err := vectors.NewS3Vectors(s3vectorsserver.NewClient(vhttp.URL, 1), "vectors-b")
	require.NoError(t, err)
	require.NoError(t, vs.EnsureIndex(context.Background(), "faces-x", 4))
	_, verr := vs.Query(context.Background(), "faces-x", []float32{1, 0, 0, 0}, 1, "a")
	require.Error(t, verr)
	assert.Equal(t, states.ErrorType(s3err), states.ErrorType(verr))
	return s3err
}
