package config

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
)

func TestFromEnv(t *testing.T) {
	t.Setenv(names.EnvData, "/data/dp")
	for _, k := range []string{names.EnvBlobs, names.EnvVectors, names.EnvBucket, names.EnvPack, names.EnvMaxPixels, names.EnvStateMachineARN} {
		t.Setenv(k, "")
	}
	c, err := FromEnv()
	require.NoError(t, err)
	assert.Equal(t, "file:///data/dp/blobs", c.Blobs, "the embedded default")
	assert.Equal(t, "file:///data/dp/vectors", c.Vectors)
	assert.Equal(t, DefaultBucket, c.Bucket)

	t.Setenv(names.EnvBlobs, "s3://")
	t.Setenv(names.EnvVectors, "s3vectors://faces")
	t.Setenv(names.EnvBucket, "photos")
	t.Setenv(names.EnvPack, "buffalo_l")
	t.Setenv(names.EnvMaxPixels, "50000000")
	c, err = FromEnv()
	require.NoError(t, err)
	assert.Equal(t, Config{Blobs: "s3://", Vectors: "s3vectors://faces", Bucket: "photos", Pack: "buffalo_l", MaxPixels: 50_000_000}, c)

	t.Setenv(names.EnvMaxPixels, "lots")
	_, err = FromEnv()
	assert.ErrorContains(t, err, "DIVINEPIC_MAX_PIXELS")
}

func TestBuildRefusesBadConfiguration(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	for name, c := range map[string]Config{
		"unknown pack":         {Blobs: "mem://", Vectors: "mem://", Pack: "nope"},
		"unknown vector store": {Blobs: "mem://", Vectors: "redis://x"},
		"s3vectors no bucket":  {Blobs: "mem://", Vectors: "s3vectors://"},
		"unknown blob store":   {Blobs: "ftp://x", Vectors: "mem://"},
		"bad state machine":    {Blobs: "mem://", Vectors: "file://" + dir, StateMachineARN: "arn:aws:lambda:x"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Build(ctx, c)
			assert.Error(t, err)
		})
	}
	d, err := Build(ctx, Config{Blobs: "mem://", Vectors: "mem://"})
	require.NoError(t, err)
	assert.Equal(t, "default", d.Steps.DefaultPack)
	assert.NoError(t, d.Close())
}

// The nightly job's starter, through the real Step Functions client against
// the project's Step Functions-compatible server: a second start of the same
// name reports ErrAlreadyStarted with the execution's ARN.
func TestStepFunctionsStartAlbum(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	e := states.New()
	e.RegisterFunc("echo", func(in map[string]any) (map[string]any, error) { return in, nil })
	def := []byte(`{"StartAt":"Echo","States":{"Echo":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:echo","End":true}}}`)
	sm, err := e.Parse("album", def)
	require.NoError(t, err)
	srv := sfnapi.New()
	require.NoError(t, srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: def}))
	hs := httptest.NewServer(srv)
	defer hs.Close()

	sf, err := NewStepFunctions(context.Background(), sm.ARN, hs.URL)
	require.NoError(t, err)
	arn, err := sf.StartAlbum(context.Background(), "a-default-20261128", domain.AlbumInput{AlbumID: "a"})
	require.NoError(t, err)
	assert.Equal(t, ExecutionARN(sm.ARN, "a-default-20261128"), arn)
	x := srv.Execution(arn)
	require.NotNil(t, x)
	x.Wait()
	again, err := sf.StartAlbum(context.Background(), "a-default-20261128", domain.AlbumInput{AlbumID: "a"})
	assert.True(t, errors.Is(err, steps.ErrAlreadyStarted), "%v", err)
	assert.Equal(t, arn, again)
}

func TestEmbeddedTakesARelativeDataDirectory(t *testing.T) {
	c := Embedded("data", "")
	wd, err := os.Getwd()
	require.NoError(t, err)
	assert.Equal(t, "file://"+filepath.Join(wd, "data", "blobs"), c.Blobs)
	d, err := Build(context.Background(), Config{Blobs: c.Blobs, Vectors: "mem://"})
	require.NoError(t, err)
	d.Close()
	require.NoError(t, os.RemoveAll(filepath.Join(wd, "data")))
}
