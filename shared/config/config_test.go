package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
)

func TestFromEnv(t *testing.T) {
	t.Setenv(names.EnvData, "/data/dp")
	for _, k := range []string{names.EnvBlobs, names.EnvVectors, names.EnvBucket, names.EnvPack, names.EnvMaxPixels, names.EnvMaxDecodeMB, names.EnvStateMachineARN, names.EnvSFNEndpoint, names.EnvQuality} {
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
	t.Setenv(names.EnvMaxDecodeMB, "512")
	t.Setenv(names.EnvQuality, "HIGH")
	c, err = FromEnv()
	require.NoError(t, err)
	assert.Equal(t, Config{Blobs: "s3://", Vectors: "s3vectors://faces", Bucket: "photos", Pack: "buffalo_l", MaxPixels: 50_000_000,
		MaxDecodeBytes: 512 << 20, Quality: "HIGH"}, c)

	for _, bad := range []string{"0", "-1", "1.5", "a lot"} {
		t.Setenv(names.EnvMaxDecodeMB, bad)
		_, err = FromEnv()
		assert.ErrorContains(t, err, "DIVINEPIC_MAX_DECODE_MB", bad)
	}
	t.Setenv(names.EnvMaxDecodeMB, "")
	t.Setenv(names.EnvMaxPixels, "lots")
	_, err = FromEnv()
	assert.ErrorContains(t, err, "DIVINEPIC_MAX_PIXELS")
}

// Parse reads exactly Variables, so a test can check that an environment
// (the CDK stack's) sets nothing the Lambdas never read.
func TestParseReadsVariables(t *testing.T) {
	var read []string
	_, err := Parse(func(k string) string { read = append(read, k); return "" })
	require.NoError(t, err)
	assert.ElementsMatch(t, Variables, read)

	env := map[string]string{names.EnvStateMachineARN: "arn:aws:states:r:1:stateMachine:m", names.EnvSFNEndpoint: "http://127.0.0.1:1", names.EnvData: "/d"}
	c, err := Parse(func(k string) string { return env[k] })
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:states:r:1:stateMachine:m", c.StateMachineARN)
	assert.Equal(t, "http://127.0.0.1:1", c.SFNEndpoint)
	assert.Equal(t, "file:///d/blobs", c.Blobs)
}

func TestEmbeddedTakesARelativeDataDirectory(t *testing.T) {
	c := Embedded("data", "")
	wd, err := os.Getwd()
	require.NoError(t, err)
	assert.Equal(t, "file://"+filepath.Join(wd, "data", "blobs"), c.Blobs)
	assert.Equal(t, "file://"+filepath.Join(wd, "data", "vectors"), c.Vectors)
}
