package wiring

import (
	"context"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnclient"
	"github.com/divinepic/pipeline/shared/vectors"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

func TestBuildRefusesBadConfiguration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, c := range map[string]config.Config{
		"unknown pack":         {Blobs: "mem://", Vectors: "mem://", Pack: "nope"},
		"unknown vector store": {Blobs: "mem://", Vectors: "redis://x"},
		"s3vectors no bucket":  {Blobs: "mem://", Vectors: "s3vectors://"},
		"unknown blob store":   {Blobs: "ftp://x", Vectors: "mem://"},
		"bad state machine":    {Blobs: "mem://", Vectors: "file://" + dir, StateMachineARN: "arn:aws:lambda:x"},
		"unknown quality":      {Blobs: "mem://", Vectors: "mem://", Quality: "AUTO"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Build(ctx, c)
			assert.Error(t, err)
		})
	}
	d, err := Build(ctx, config.Config{Blobs: "mem://", Vectors: "mem://"})
	require.NoError(t, err)
	assert.Equal(t, "default", d.Steps.DefaultPack)
	assert.Equal(t, config.DefaultBucket, d.Steps.Bucket)
	assert.Nil(t, d.Steps.Executions, "no state machine, no starter")
	assert.Equal(t, face.DefaultQuality, d.Steps.Quality)
	assert.NoError(t, d.Close())
	d, err = Build(ctx, config.Config{Blobs: "mem://", Vectors: "mem://", Quality: "high"})
	require.NoError(t, err)
	assert.Equal(t, face.QualityHigh, d.Steps.Quality)
	assert.NoError(t, d.Close())
}

// The decoder's budgets reach the steps (the stack sets the memory one
// from each function's memory).
func TestBuildPassesTheDecodeBudgets(t *testing.T) {
	c, err := config.Parse(func(k string) string {
		return map[string]string{names.EnvBlobs: "mem://", names.EnvVectors: "mem://", names.EnvMaxPixels: "24000000", names.EnvMaxDecodeMB: "512"}[k]
	})
	require.NoError(t, err)
	d, err := Build(context.Background(), c)
	require.NoError(t, err)
	defer d.Close()
	assert.Equal(t, imaging.Options{MaxPixels: 24_000_000, MaxBytes: 512 << 20}, d.Steps.Decode)
}

// With a state machine, the reprocess step starts executions of it through
// shared/sfnclient's Starter (which its own tests run against the project's
// Step Functions server).
func TestBuildWiresTheStarter(t *testing.T) {
	const machine = "arn:aws:states:eu-west-1:123456789012:stateMachine:album"
	d, err := Build(context.Background(), config.Config{Blobs: "mem://", Vectors: "mem://", StateMachineARN: machine, SFNEndpoint: "http://127.0.0.1:1"})
	require.NoError(t, err)
	defer d.Close()
	starter, ok := d.Steps.Executions.(*sfnclient.Starter)
	require.True(t, ok, "%T", d.Steps.Executions)
	assert.Equal(t, machine, starter.Machine.String())
}

func TestBuildTakesARelativeDataDirectory(t *testing.T) {
	c := config.Embedded("data", "")
	wd, err := os.Getwd()
	require.NoError(t, err)
	d, err := Build(context.Background(), config.Config{Blobs: c.Blobs, Vectors: "mem://"})
	require.NoError(t, err)
	d.Close()
	_, err = os.Stat(filepath.Join(wd, "data", "blobs"))
	assert.NoError(t, err, "the blob store is below the working directory")
	require.NoError(t, os.RemoveAll(filepath.Join(wd, "data")))
}

// A pack that fails to load reaches the steps as that error, not as a
// non-nil engine.
func TestStepEnginesPassesLoadErrors(t *testing.T) {
	d, err := Build(context.Background(), config.Config{Blobs: "mem://", Vectors: "mem://"})
	require.NoError(t, err)
	defer d.Close()
	p, err := d.Steps.Packs.Pack("")
	require.NoError(t, err)
	broken := *p
	broken.Name, broken.Detector.File = "broken", "missing.onnx"
	eng, err := d.Steps.Engines.Engine(context.Background(), &broken)
	assert.Error(t, err)
	assert.Nil(t, eng)
}

// Each vector store URL opens the store it names: a directory, memory, or
// S3 Vectors (here the project's S3 Vectors server, through the real
// client), and an unknown one is refused.
func TestOpenVectors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vs, closeVS, err := openVectors(ctx, "file://"+dir)
	require.NoError(t, err)
	assert.IsType(t, &vectors.Local{}, vs)
	require.NoError(t, closeVS())

	vs, _, err = openVectors(ctx, "mem://")
	require.NoError(t, err)
	assert.IsType(t, &vectors.Memory{}, vs)

	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	srv := s3vectorsserver.NewServer()
	srv.CreateBucket("faces")
	hs := httptest.NewServer(srv)
	defer hs.Close()
	vs, _, err = openVectors(ctx, "s3vectors://faces?region=eu-west-1&endpoint="+url.QueryEscape(hs.URL))
	require.NoError(t, err)
	require.NoError(t, vs.EnsureIndex(ctx, "faces-default-1", 4), "the store reaches the server")
	assert.Equal(t, "CreateIndex", srv.Calls()[len(srv.Calls())-1].Op)

	for _, bad := range []string{"file://", "redis://x", "s3vectors://", "%zz"} {
		_, _, err := openVectors(ctx, bad)
		assert.Error(t, err, bad)
	}
}

// The CLI's tools get one pack's engine from the same pool the steps use.
func TestFaceEngines(t *testing.T) {
	ctx := context.Background()
	es, pool, err := FaceEngines(ctx, "", face.Options{})
	require.NoError(t, err)
	assert.NotNil(t, es)
	assert.NoError(t, pool.Close())
	_, _, err = FaceEngines(ctx, "nope", face.Options{})
	assert.ErrorContains(t, err, `unknown model pack "nope"`)
}
