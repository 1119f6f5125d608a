package artifact

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/onnx"
)

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"2.34", "2.34", 0}, {"2.33", "2.34", -1}, {"2.35", "2.34", 1}, {"2.4", "2.34", -1},
		{"3.4.30", "3.4.29", 1}, {"", "2.2.5", -1}, {"2.2.5", "", 1},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, compareVersions(tt.a, tt.b), "%s vs %s", tt.a, tt.b)
	}
}

func TestZipNamesAndArch(t *testing.T) {
	assert.Equal(t, "list.zip", ZipName(names.StepList, "default"))
	assert.Equal(t, "detect-buffalo_l.zip", ZipName(names.StepDetect, "buffalo_l"))
	assert.Equal(t, "arm64", Arch(names.StepAggregate))
	assert.Equal(t, "x86_64", Arch(names.StepEmbed))
}

// TestCheckELFOnRealFiles runs the check on the files it exists for: a
// pure-Go arm64 build, ONNX Runtime's library, and a library of this
// machine that needs a newer glibc than Amazon Linux 2023 has.
func TestCheckELFOnRealFiles(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/hello")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	r, err := CheckELF(bin, "arm64", nil)
	require.NoError(t, err)
	assert.True(t, r.Static)
	_, err = CheckELF(bin, "x86_64", nil)
	require.ErrorContains(t, err, "built for arm64, the function runs on x86_64")

	lib, err := onnx.LibraryPath()
	require.NoError(t, err, "make setup installs ONNX Runtime")
	r, err = CheckELF(lib, "x86_64", nil)
	require.NoError(t, err, "ONNX Runtime %s runs on Amazon Linux 2023", onnx.ORTVersion)
	assert.False(t, r.Static)
	assert.Contains(t, r.Needed, "libstdc++.so.6")
	assert.NotEmpty(t, r.Versions["GLIBC"])

	if runtime.GOARCH == "amd64" {
		// Debian 12's libstdc++ is built against glibc 2.36.
		newer := "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"
		if r, err := CheckELF(newer, "x86_64", nil); compareVersions(r.Versions["GLIBC"], MaxGLIBC) > 0 {
			require.ErrorContains(t, err, "newer than Amazon Linux 2023's 2.34")
		}
	}
}

func TestCheckELFFindsMissingLibraries(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skip("uses an x86_64 system library")
	}
	// libturbojpeg loads nothing beyond glibc; libheif loads codecs the
	// Lambda base does not have.
	heif, err := filepath.Glob("/usr/lib/x86_64-linux-gnu/libheif.so.1*")
	require.NoError(t, err)
	require.NotEmpty(t, heif, "make setup installs libheif1")
	r, err := CheckELF(heif[0], "x86_64", nil)
	require.Error(t, err)
	assert.NotEmpty(t, r.Libraries)
	assert.Contains(t, err.Error(), "which neither the zip nor Amazon Linux 2023's base has")
	_, err = CheckELF(heif[0], "x86_64", r.Needed)
	if err != nil {
		assert.NotContains(t, err.Error(), "neither the zip", "bundled libraries count")
	}
}

func TestWriteAndUnzip(t *testing.T) {
	dir := t.TempDir()
	boot := filepath.Join(dir, "boot")
	model := filepath.Join(dir, "m.onnx")
	require.NoError(t, os.WriteFile(boot, []byte("#!/bin/sh\n"), 0o755))
	require.NoError(t, os.WriteFile(model, []byte("model bytes"), 0o644))
	entries := []Entry{
		{Name: names.BundleBootstrap, Source: boot, Executable: true},
		{Name: names.BundleModelsDir + "/m.onnx", Source: model},
	}
	zipPath := filepath.Join(dir, "out", "detect-default.zip")
	w, err := Write(zipPath, entries)
	require.NoError(t, err)
	assert.Equal(t, int64(len("#!/bin/sh\n")+len("model bytes")), w.UnzippedBytes)
	first, err := os.ReadFile(zipPath)
	require.NoError(t, err)
	_, err = Write(zipPath, entries)
	require.NoError(t, err)
	second, err := os.ReadFile(zipPath)
	require.NoError(t, err)
	assert.Equal(t, first, second, "the same inputs give the same zip (a stable asset hash)")

	out := t.TempDir()
	require.NoError(t, Unzip(zipPath, out))
	fi, err := os.Stat(filepath.Join(out, names.BundleBootstrap))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o755), fi.Mode().Perm())
	b, err := os.ReadFile(filepath.Join(out, "models", "m.onnx"))
	require.NoError(t, err)
	assert.Equal(t, "model bytes", string(b))

	_, err = Write(filepath.Join(dir, "bad.zip"), []Entry{{Name: "../x", Source: model}})
	require.ErrorContains(t, err, "not a relative slash path")
}

func TestWriteRefusesOverTheLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.onnx")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(MaxUnzippedBytes+1)) // sparse: no disk used
	require.NoError(t, f.Close())
	_, err = Write(filepath.Join(dir, "embed-antelopev2.zip"), []Entry{{Name: "models/big.onnx", Source: big}})
	require.ErrorContains(t, err, "needs the container image")
	_, err = os.Stat(filepath.Join(dir, "embed-antelopev2.zip"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestFitOfPacks(t *testing.T) {
	m, err := modelpack.Default()
	require.NoError(t, err)
	const boot, lib = 20e6, 35e6
	small, err := FitOf(m, modelpack.DefaultPack, boot, lib)
	require.NoError(t, err)
	assert.True(t, small.Zip)
	big, err := FitOf(m, "antelopev2", boot, lib)
	require.NoError(t, err)
	assert.False(t, big.Zip, "antelopev2's ResNet100 alone is 261 MB")
	assert.Greater(t, big.UnzippedBytes, int64(MaxUnzippedBytes))
}
