package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRepairCommand(t *testing.T) {
	src, tr := loadTruthForServe(t)
	album := t.TempDir()
	copyPhotos(t, src, album, tr, "faces/Test1.jpg", "faces/Test3.jpg")
	data := t.TempDir()
	var out, errOut bytes.Buffer
	require.Equal(t, 0, dispatch([]string{"run", album, "--album", "trip", "--data", data}, &out, &errOut), errOut.String())

	out.Reset()
	require.Equal(t, 0, dispatch([]string{"repair", "--data", data}, &out, &errOut), errOut.String())
	assert.Regexp(t, `faces-default-1: \d+ faces, as the face records say`, out.String())

	logPath := filepath.Join(data, "vectors", "faces-default-1.vlog")
	b, err := os.ReadFile(logPath)
	require.NoError(t, err)
	b[len(b)/2] ^= 0x01
	require.NoError(t, os.WriteFile(logPath, b, 0o644))
	out.Reset()
	require.Equal(t, 0, dispatch([]string{"repair", "--data", data}, &out, &errOut), errOut.String())
	// One album makes one record: a byte flipped in it reads as a torn last
	// record, which is cut and kept.
	assert.Contains(t, out.String(), "Repaired: vector index faces-default-1: torn tail")
	assert.Contains(t, out.String(), "kept as faces-default-1.vlog.tail-")
	assert.NotContains(t, out.String(), data, "no absolute path")
	aside, _ := filepath.Glob(logPath + ".tail-*")
	assert.Len(t, aside, 1)

	out.Reset()
	require.Equal(t, 0, dispatch([]string{"repair", "--data", data}, &out, &errOut), errOut.String())
	assert.Regexp(t, `faces-default-1: \d+ faces, as the face records say`, out.String(), "repaired for good")
}
