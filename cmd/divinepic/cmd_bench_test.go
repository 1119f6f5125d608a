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
