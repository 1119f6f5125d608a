package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// A test's child process: the test binary runs `divinepic` with the
// arguments in childArgsEnv (JSON), each photo's detection slowed by
// childDelayEnv, so that a test can kill it midway.
const (
	childArgsEnv  = "DIVINEPIC_TEST_CHILD_ARGS"
	childDelayEnv = "DIVINEPIC_TEST_DETECT_DELAY"
)

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		var argv []string
		if err := json.Unmarshal([]byte(args), &argv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		if d, err := time.ParseDuration(os.Getenv(childDelayEnv)); err == nil {
			extraWrap = func(step string, h lambda.Handler) lambda.Handler {
				if step != names.StepDetect {
					return h
				}
				return slowHandler{h, d}
			}
		}
		os.Exit(dispatch(argv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type slowHandler struct {
	lambda.Handler
	d time.Duration
}

func (s slowHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	time.Sleep(s.d)
	return s.Handler.Invoke(ctx, payload)
}

// child is `divinepic args...` in a child process.
func child(t *testing.T, delay time.Duration, args ...string) *exec.Cmd {
	t.Helper()
	argv, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+string(argv), childDelayEnv+"="+delay.String())
	return cmd
}

// faceRecords returns the album's face records on disk with their
// modification times.
func faceRecords(t *testing.T, data, album string) map[string]time.Time {
	out := map[string]time.Time{}
	root := filepath.Join(data, "blobs", config.DefaultBucket, names.FacesPrefix, album)
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".json") {
			if fi, err := d.Info(); err == nil {
				out[path] = fi.ModTime()
			}
		}
		return nil
	})
	return out
}

// `divinepic run` killed (SIGKILL) halfway through an album, then run
// again: the photos it finished are not processed again (at most those in
// flight at the kill are), and the album ends with exactly the faces it
// holds.
func TestRunResumesAfterAKill(t *testing.T) {
	src, tr := loadTruthForServe(t)
	dir, data := t.TempDir(), t.TempDir()
	var photos []string
	for p := range tr.Faces {
		if strings.HasPrefix(p, "faces/") {
			photos = append(photos, p)
		}
	}
	wantFaces := 0
	for copyN := 0; copyN < 3; copyN++ {
		sub := filepath.Join(dir, fmt.Sprintf("set%d", copyN))
		require.NoError(t, os.MkdirAll(sub, 0o755))
		wantFaces += copyPhotos(t, src, sub, tr, photos...)
	}
	total := 3 * len(photos)
	const conc = 2
	args := []string{"run", dir, "--album", "resume", "--data", data, "--concurrency", fmt.Sprint(conc), "--quiet", "--json"}

	first := child(t, 150*time.Millisecond, args...)
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	require.NoError(t, first.Start())
	deadline := time.Now().Add(2 * time.Minute)
	for len(faceRecords(t, data, "resume")) < total/2 {
		require.True(t, time.Now().Before(deadline), "the first run made no progress: %s", firstErr.String())
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, first.Process.Signal(syscall.SIGKILL))
	first.Wait()
	killedAt := time.Now()
	before := faceRecords(t, data, "resume")
	require.Less(t, len(before), total, "killed before the end")

	second := child(t, 0, args...)
	var out, errOut bytes.Buffer
	second.Stdout, second.Stderr = &out, &errOut
	require.NoError(t, second.Run(), errOut.String())
	assert.Contains(t, errOut.String(), "resuming execution")
	var sum domain.Summary
	require.NoError(t, json.Unmarshal(out.Bytes(), &sum), out.String())
	assert.Equal(t, total, sum.Images)
	assert.Empty(t, sum.Failed)
	assert.Equal(t, wantFaces, sum.Faces, "exact faces after the resume")

	redone := 0
	for path, mod := range faceRecords(t, data, "resume") {
		if _, had := before[path]; had && mod.After(killedAt) {
			redone++
		}
	}
	t.Logf("%d photos, %d done before the kill, %d of those processed again", total, len(before), redone)
	assert.Less(t, redone, conc+1, "only the photos in flight at the kill are processed again")
}
