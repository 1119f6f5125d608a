package wiring

import (
	"context"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/sfnclient"
	"github.com/divinepic/pipeline/shared/states"
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
	assert.NoError(t, d.Close())
}

// With a state machine, the reprocess step starts executions through the
// Step Functions client (here against the project's Step Functions server).
func TestBuildWiresTheStarter(t *testing.T) {
	e := states.New()
	e.RegisterFunc("echo", func(in map[string]any) (map[string]any, error) { return in, nil })
	def := []byte(`{"StartAt":"Echo","States":{"Echo":{"Type":"Task","Resource":"arn:aws:lambda:local:000000000000:function:echo","End":true}}}`)
	sm, err := e.Parse("album", def)
	require.NoError(t, err)
	srv := sfnapi.New()
	require.NoError(t, srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: def}))
	hs := httptest.NewServer(srv)
	defer hs.Close()

	ctx := context.Background()
	d, err := Build(ctx, config.Config{Blobs: "mem://", Vectors: "mem://", StateMachineARN: sm.ARN, SFNEndpoint: hs.URL})
	require.NoError(t, err)
	defer d.Close()
	require.IsType(t, &sfnclient.Starter{}, d.Steps.Executions)
	execARN, err := d.Steps.Executions.StartAlbum(ctx, "a-1", domain.AlbumInput{AlbumID: "a"})
	require.NoError(t, err)
	x := srv.Execution(execARN)
	require.NotNil(t, x)
	x.Wait()
	_, err = d.Steps.Executions.StartAlbum(ctx, "a-1", domain.AlbumInput{AlbumID: "a"})
	assert.True(t, errors.Is(err, domain.ErrAlreadyStarted), "%v", err)
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
