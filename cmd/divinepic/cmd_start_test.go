package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
)

// albumDef stands in for the album workflow: a Distributed Map over three
// "photos", then an aggregate step that fails for the album "bad".
const albumDef = `{
  "StartAt": "List",
  "States": {
    "List": {"Type": "Pass", "Parameters": {"albumId.$": "$.albumId", "items.$": "States.ArrayRange(1, 3, 1)"}, "Next": "ProcessImages"},
    "ProcessImages": {
      "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1, "ResultPath": null,
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "Photo",
        "States": {"Photo": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:photo", "End": true}}
      },
      "Next": "Aggregate"
    },
    "Aggregate": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:aggregate", "End": true}
  }
}`

// AlbumBroken is aggregate's error for the album "bad".
type AlbumBroken struct{}

func (AlbumBroken) Error() string { return "album bad is broken" }

type startFixture struct {
	srv  *sfnapi.Server
	url  string
	arn  string
	slow string // albumDef with a second's wait before the Map state and a second Map after it
}

func newStartFixture(t *testing.T) *startFixture {
	t.Helper()
	e := states.New()
	e.RegisterFunc("photo", func(n int) (int, error) {
		time.Sleep(20 * time.Millisecond)
		return n, nil
	})
	e.RegisterFunc("aggregate", func(in domain.AlbumInput) (steps.AggregateOutput, error) {
		if in.AlbumID == "bad" {
			return steps.AggregateOutput{}, AlbumBroken{}
		}
		return steps.AggregateOutput{SummaryKey: "summaries/" + in.AlbumID + ".json", Images: 3, Processed: 3}, nil
	})
	sm, err := e.Parse("albums", []byte(albumDef))
	require.NoError(t, err)
	srv := sfnapi.New(sfnapi.WithoutSigV4())
	require.NoError(t, srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: []byte(albumDef)}))
	// As the album workflow, whose failed photos go through a second Map
	// state (ReportFailures) after the photos' one.
	slowDef := strings.NewReplacer(`"Next": "ProcessImages"},`, `"Next": "Pause"},
    "Pause": {"Type": "Wait", "Seconds": 1, "Next": "ProcessImages"},`,
		`"Next": "Aggregate"`, `"Next": "Failed"},
    "Failed": {"Type": "Pass", "Parameters": {"albumId.$": "$.albumId", "failed": [7]}, "Next": "ReportFailures"},
    "ReportFailures": {
      "Type": "Map", "ItemsPath": "$.failed", "ResultPath": null, "ToleratedFailurePercentage": 100,
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "PhotoFailed",
        "States": {"PhotoFailed": {"Type": "Fail", "Error": "ImageUnreadable", "Cause": "not a photo"}}
      },
      "Next": "Aggregate"`).Replace(albumDef)
	slow, err := e.Parse("albums-slow-list", []byte(slowDef))
	require.NoError(t, err)
	require.NoError(t, srv.AddStateMachine(slow, sfnapi.MachineOptions{Definition: []byte(slowDef)}))
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Shutdown(context.Background(), "test over")
		hs.Close()
	})
	// The command's defaults come from the environment: keep the test's own.
	t.Setenv(names.EnvStateMachineARN, "")
	t.Setenv(names.EnvSFNEndpoint, "")
	return &startFixture{srv: srv, url: hs.URL, arn: sm.ARN, slow: slow.ARN}
}

func (f *startFixture) run(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := dispatch(append([]string{"start", "--endpoint", f.url, "--state-machine-arn", f.arn}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestStartCommand(t *testing.T) {
	f := newStartFixture(t)

	t.Run("without --wait: the ARN, and the album's input", func(t *testing.T) {
		code, out, errOut := f.run("--album", "party", "--name", "party-1", "--bucket", "photos", "--prefix", "in/party/", "--reprocess", "--pack", "p2")
		require.Equal(t, 0, code, errOut)
		arn := "arn:aws:states:local:000000000000:execution:albums:party-1"
		assert.Equal(t, arn+"\n", out)
		x := f.srv.Execution(arn)
		require.NotNil(t, x)
		var in domain.AlbumInput
		require.NoError(t, json.Unmarshal([]byte(x.Input()), &in))
		assert.Equal(t, domain.AlbumInput{AlbumID: "party", Bucket: "photos", Prefix: "in/party/", Reprocess: true, Pack: "p2"}, in)
		x.Wait()
	})
	t.Run("--wait: progress, then the output", func(t *testing.T) {
		code, out, errOut := f.run("--album", "wedding", "--wait", "--interval", "5ms")
		require.Equal(t, 0, code, errOut)
		var got steps.AggregateOutput
		require.NoError(t, json.Unmarshal([]byte(out), &got), out)
		assert.Equal(t, steps.AggregateOutput{SummaryKey: "summaries/wedding.json", Images: 3, Processed: 3}, got)
		assert.Regexp(t, `started arn:aws:states:local:000000000000:execution:albums:wedding-\d{8}T\d{6}Z`, errOut)
		assert.Contains(t, errOut, "3/3 photos", "the Map Run's counts at the end")
	})
	t.Run("--wait: the counts of a Map Run that started and ended between two polls", func(t *testing.T) {
		// The first poll comes before the Map state, the next one after
		// the end of the execution. The counts are the photos' Map Run's,
		// the first one, not the failures' after it.
		var out, errOut bytes.Buffer
		code := dispatch([]string{"start", "--endpoint", f.url, "--state-machine-arn", f.slow, "--album", "quick", "--wait", "--interval", "1500ms"}, &out, &errOut)
		require.Equal(t, 0, code, errOut.String())
		assert.Contains(t, errOut.String(), "3/3 photos  0 running  1 failed", "the photos' Map Run's counts at the end, with the photo ReportFailures failed")
		assert.NotContains(t, errOut.String(), "1/1 photos")
	})
	t.Run("--wait on a failing album: its error and cause, exit 1", func(t *testing.T) {
		code, out, errOut := f.run("--album", "bad", "--wait", "--interval", "5ms", "--quiet")
		assert.Equal(t, 1, code)
		assert.Empty(t, out)
		assert.Regexp(t, regexp.MustCompile(`execution \S+:bad-\S+ FAILED: AlbumBroken: album bad is broken`), errOut)
		assert.NotContains(t, errOut, "photos", "--quiet")
	})
	t.Run("a name taken by an ended execution", func(t *testing.T) {
		code, _, errOut := f.run("--album", "party", "--name", "party-1")
		assert.Equal(t, 1, code)
		assert.Contains(t, errOut, "party-1 already exists")
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{{}, {"--album", "a b"}, {"--album", "x", "extra"}} {
			code, _, _ := f.run(args...)
			assert.Equal(t, 2, code, args)
		}
		var out, errOut bytes.Buffer
		assert.Equal(t, 2, dispatch([]string{"start", "--album", "x"}, &out, &errOut), "no state machine and no endpoint")
		assert.Contains(t, errOut.String(), "--state-machine-arn")
		errOut.Reset()
		assert.Equal(t, 1, dispatch([]string{"start", "--album", "x", "--state-machine-arn", "arn:nope"}, &out, &errOut))
		assert.Contains(t, errOut.String(), "not a state machine ARN")
	})
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestServeAndStart runs `divinepic serve` over a small album and starts
// the album through it with `divinepic start --wait`.
func TestServeAndStart(t *testing.T) {
	src, tr := loadTruthForServe(t)
	album := t.TempDir()
	want := copyPhotos(t, src, album, tr, "faces/Test1.jpg", "faces/Test3.jpg", "faces/view.jpg")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	served := make(chan int, 1)
	data := t.TempDir()
	go func() {
		served <- serveAPI(ctx, []string{"--addr", "127.0.0.1:0", "--data", data, "--concurrency", "2", "--import", "trip=" + album}, &out, &errOut)
	}()
	// serve prints its banner line by line once it listens: wait for the
	// URL, then for the banner's last line that the test reads.
	urlRe := regexp.MustCompile(`Step Functions API on (http://\S+)`)
	var url string
	require.Eventually(t, func() bool {
		s := out.String()
		if m := urlRe.FindStringSubmatch(s); m != nil {
			url = m[1]
		}
		return url != "" && strings.Contains(s, "aws stepfunctions --endpoint-url "+url)
	}, time.Minute, 10*time.Millisecond, "serve never listened: %s", errOut.String())
	assert.Contains(t, out.String(), "state machine "+localStateMachineARN)
	assert.Contains(t, out.String(), "aws stepfunctions --endpoint-url "+url)
	assert.Contains(t, errOut.String(), "album trip: 3 photos, read in ")

	t.Setenv(names.EnvStateMachineARN, "")
	t.Setenv(names.EnvSFNEndpoint, "")
	var sout, serr bytes.Buffer
	code := dispatch([]string{"start", "--endpoint", url, "--data", data, "--album", "trip", "--wait", "--interval", "20ms"}, &sout, &serr)
	require.Equal(t, 0, code, serr.String())
	var got steps.AggregateOutput
	require.NoError(t, json.Unmarshal(sout.Bytes(), &got), sout.String())
	assert.Equal(t, 3, got.Images)
	assert.Equal(t, 3, got.Processed)
	assert.Equal(t, want, got.Faces)
	assert.Contains(t, serr.String(), "3/3 photos")

	t.Run("access: the key's file is 0600, unsigned, wrongly signed and replayed requests are refused", func(t *testing.T) {
		st, err := os.Stat(filepath.Join(data, "aws", "credentials"))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
		accessRefusals(t, url, filepath.Join(data, "aws", "credentials"))
	})
	t.Run("access: the AWS CLI with the generated profile", func(t *testing.T) {
		awsCLI(t, url, filepath.Join(data, "aws"))
	})
	t.Run("access: start without the key is refused", func(t *testing.T) {
		var sout, serr bytes.Buffer
		code := dispatch([]string{"start", "--endpoint", url, "--data", t.TempDir(), "--album", "trip"}, &sout, &serr)
		assert.Equal(t, 1, code)
		assert.Contains(t, serr.String(), "MissingAuthenticationTokenException")
	})

	cancel()
	select {
	case code := <-served:
		assert.Equal(t, 0, code, errOut.String())
	case <-time.After(time.Minute):
		t.Fatal(errors.New("serve did not stop"))
	}
}

type serveTruth struct {
	Faces map[string]int `json:"faces"`
}

func loadTruthForServe(t *testing.T) (string, serveTruth) {
	t.Helper()
	src, err := locate.TestdataDir()
	require.NoError(t, err)
	body, err := os.ReadFile(filepath.Join(src, "truth.json"))
	require.NoError(t, err)
	var tr serveTruth
	require.NoError(t, json.Unmarshal(body, &tr))
	return src, tr
}

// copyPhotos copies the named test photos into dir and returns how many
// faces truth.json counts in them.
func copyPhotos(t *testing.T, src, dir string, tr serveTruth, photos ...string) int {
	t.Helper()
	faces := 0
	for _, p := range photos {
		b, err := os.ReadFile(filepath.Join(src, p))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o644))
		n, ok := tr.Faces[p]
		require.True(t, ok, p)
		faces += n
	}
	return faces
}
