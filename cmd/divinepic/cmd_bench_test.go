package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBenchCommand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"faces/Test1.jpg", "faces/Test3.jpg", "faces/view.jpg"} {
		body, err := os.ReadFile(testPhoto(t, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), body, 0o644))
	}
	var out, errOut bytes.Buffer
	code := dispatch([]string{"bench", dir, "--concurrency", "1", "--json"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	var got struct {
		Measurement struct {
			Photos, Faces, Concurrency int
			PeakRSS                    int64 `json:"peakRssBytes"`
		} `json:"measurement"`
		PhotosPerSecond float64  `json:"photosPerSecond"`
		EngineShare     *float64 `json:"engineShare"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	assert.Equal(t, 3, got.Measurement.Photos)
	assert.Equal(t, 4, got.Measurement.Faces, "Test1's one face and Test3's three")
	assert.Positive(t, got.PhotosPerSecond)
	require.NotNil(t, got.EngineShare, "measured at concurrency 1")
	assert.Less(t, *got.EngineShare, 0.5)

	assert.Equal(t, 2, dispatch([]string{"bench"}, &out, &errOut), "no directory")
}

func TestCostCommand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"faces/Test1.jpg", "faces/Test3.jpg", "faces/view.jpg"} {
		body, err := os.ReadFile(testPhoto(t, f))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.Base(f)), body, 0o644))
	}
	var out, errOut bytes.Buffer
	code := dispatch([]string{"cost", dir, "--photos", "1000"}, &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	text := out.String()
	assert.Contains(t, text, "measured: 3 photos")
	assert.Contains(t, text, "4 faces (1.33 a photo)")
	for _, item := range []string{"Lambda detect compute", "Lambda embed compute", "Step Functions Standard transitions",
		"Step Functions Express requests", "S3 PUT and LIST requests", "S3 GET and HEAD requests", "S3 Vectors PutVectors",
		"S3 Vectors queries", "CloudWatch Logs ingestion"} {
		assert.Contains(t, text, item)
	}
	assert.Contains(t, text, "50 child executions", "batches of 20 photos, as ListImages sizes them for 1,000 photos at a concurrency of 40")
	assert.Contains(t, text, "the seed (3 GB x86_64 Lambda, 30 s a photo) $1.50")
	assert.Regexp(t, `total: \$0\.0\d+, \$0\.0\d+ per 1,000 photos`, text)

	out.Reset()
	require.Equal(t, 0, dispatch([]string{"cost", dir, "--photos-per-child", "1"}, &out, &errOut), errOut.String())
	assert.Contains(t, out.String(), "1000 child executions", "one photo per child")
	assert.Equal(t, 2, dispatch([]string{"cost", dir, "--region", "mars-1"}, &out, &errOut))
	assert.Contains(t, errOut.String(), `no prices for region "mars-1"`)
}
