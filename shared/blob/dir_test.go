package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
)

// Tests of what only the directory store has: the files themselves.

func newDirStore(t *testing.T, root string) (*DirBuckets, *DirStore) {
	t.Helper()
	d, err := NewDir(root)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	s, err := d.Bucket("photos")
	require.NoError(t, err)
	return d, s.(*DirStore)
}

// files lists every file under dir (relative, sorted) with its content.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = string(b)
		return nil
	}))
	return out
}

func TestDirKeysCannotEscape(t *testing.T) {
	ctx := context.Background()
	outer := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outer, "secret"), []byte("top secret"), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(outer, "root", "other-bucket"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outer, "root", "other-bucket", "x"), []byte("other"), 0o600))
	_, s := newDirStore(t, filepath.Join(outer, "root"))
	before := files(t, outer)

	escapes := []string{
		"../secret", "../../secret", "a/../../secret", "../other-bucket/x", "..", "/etc/passwd",
		"/" + filepath.ToSlash(filepath.Join(outer, "secret")), `..\secret`, `a\..\..\secret`,
		"a/\x00/../secret", "./secret", "a//../secret", "../.etag/x", "../.tmp/x", "a/",
	}
	for _, key := range escapes {
		t.Run(key, func(t *testing.T) {
			var invalid *domain.InvalidInput
			_, err := s.Put(ctx, key, []byte("overwritten"))
			require.ErrorAs(t, err, &invalid)
			assert.Contains(t, err.Error(), "key", "the error says what is wrong")
			_, _, err = s.Get(ctx, key)
			require.ErrorAs(t, err, &invalid)
			require.ErrorAs(t, s.Delete(ctx, key), &invalid)
		})
	}
	assert.Equal(t, before, files(t, outer), "nothing outside the bucket was written, read into or deleted")

	var keys []string
	for _, prefix := range []string{"../", "../other-bucket/", "a/../../", "/"} {
		require.NoError(t, s.List(ctx, prefix, func(i Info) error { keys = append(keys, i.Key); return nil }))
	}
	assert.Empty(t, keys, "a prefix cannot list another directory")
}

// TestDirSymlinksCannotEscape plants symbolic links inside the bucket that
// point outside the root: the os.Root under the store refuses to follow them.
func TestDirSymlinksCannotEscape(t *testing.T) {
	ctx := context.Background()
	outer := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outer, "secret"), []byte("top secret"), 0o600))
	root := filepath.Join(outer, "root")
	_, s := newDirStore(t, root)
	_, err := s.Put(ctx, "real/obj", []byte("x"))
	require.NoError(t, err)
	require.NoError(t, os.Symlink(outer, filepath.Join(root, "photos", "abs")))
	require.NoError(t, os.Symlink("../..", filepath.Join(root, "photos", "rel")))
	before := files(t, outer)

	for _, key := range []string{"abs/secret", "rel/secret"} {
		t.Run(key, func(t *testing.T) {
			body, _, err := s.Get(ctx, key)
			require.Error(t, err)
			assert.Empty(t, body)
			assert.NotContains(t, err.Error(), "top secret")
			_, err = s.Head(ctx, key)
			require.Error(t, err)
			_, err = s.Put(ctx, key, []byte("overwritten"))
			require.Error(t, err)
			_, err = s.Put(ctx, strings.Replace(key, "secret", "planted", 1), []byte("planted"))
			require.Error(t, err)
			_ = s.Delete(ctx, key)
		})
	}
	assert.Equal(t, before, files(t, outer), "nothing outside the root was written or deleted")
	var keys []string
	require.NoError(t, s.List(ctx, "", func(i Info) error { keys = append(keys, i.Key); return nil }))
	assert.Equal(t, []string{"real/obj"}, keys, "links are not followed by List")
}

func TestDirObjectsAreBrowsableFiles(t *testing.T) {
	root := t.TempDir()
	_, s := newDirStore(t, root)
	_, err := s.Put(context.Background(), "albums/a1/IMG 0001.jpg", []byte("jpeg bytes"))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(root, "photos", "albums", "a1", "IMG 0001.jpg"))
	require.NoError(t, err)
	assert.Equal(t, "jpeg bytes", string(got))
	entries, err := os.ReadDir(filepath.Join(root, dirTmp))
	require.NoError(t, err)
	assert.Empty(t, entries, "no temp file left behind")
}

func TestDirFailedWriteLeavesOldObject(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d, s := newDirStore(t, root)
	old, err := s.Put(ctx, "a/obj", []byte("the old content"))
	require.NoError(t, err)

	diskFull := errors.New("no space left on device")
	d.writeBody = func(f *os.File, body []byte) error {
		if _, err := f.Write(body[:len(body)/2]); err != nil {
			return err
		}
		return diskFull
	}
	_, err = s.Put(ctx, "a/obj", []byte("the new content, longer than the old"))
	require.ErrorIs(t, err, diskFull)
	assert.Contains(t, err.Error(), "put photos/a/obj")
	_, err = s.Put(ctx, "a/new", []byte("never complete"))
	require.ErrorIs(t, err, diskFull)

	body, info, err := s.Get(ctx, "a/obj")
	require.NoError(t, err)
	assert.Equal(t, "the old content", string(body))
	assert.Equal(t, old.ETag, info.ETag)
	_, _, err = s.Get(ctx, "a/new")
	var missing *domain.ObjectMissing
	require.ErrorAs(t, err, &missing, "a failed first write leaves no object")
	entries, err := os.ReadDir(filepath.Join(root, dirTmp))
	require.NoError(t, err)
	assert.Empty(t, entries, "the temp file was removed")
}

// TestDirCrashMidWrite kills a child process in the middle of writing an
// object (after half the bytes reached the disk) and checks that the old
// object is intact and the half-written one is invisible.
func TestDirCrashMidWrite(t *testing.T) {
	const envRoot = "BLOB_TEST_CRASH_ROOT"
	if root := os.Getenv(envRoot); root != "" { // the child
		d, s := newDirStore(t, root)
		d.writeBody = func(f *os.File, body []byte) error {
			_, _ = f.Write(body[:len(body)/2])
			_ = f.Sync()
			self, _ := os.FindProcess(os.Getpid())
			_ = self.Kill() // SIGKILL: no deferred cleanup runs
			time.Sleep(time.Minute)
			return nil
		}
		_, _ = s.Put(context.Background(), "album/photo.jpg", []byte(strings.Repeat("NEW!", 1000)))
		t.Fatal("the child should have been killed")
	}

	ctx := context.Background()
	root := t.TempDir()
	_, s := newDirStore(t, root)
	old, err := s.Put(ctx, "album/photo.jpg", []byte("old photo"))
	require.NoError(t, err)

	cmd := exec.Command(os.Args[0], "-test.run=^TestDirCrashMidWrite$", "-test.count=1")
	cmd.Env = append(os.Environ(), envRoot+"="+root)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "child output: %s", out)
	assert.NotContains(t, string(out), "should have been killed")

	temps, err := os.ReadDir(filepath.Join(root, dirTmp))
	require.NoError(t, err)
	require.Len(t, temps, 1, "the crashed write left its temp file (proving it got that far)")
	fi, err := temps[0].Info()
	require.NoError(t, err)
	assert.Equal(t, int64(2000), fi.Size(), "half of the new body")

	crashed := temps[0].Name()
	tmpDir := filepath.Join(root, dirTmp)
	// Temp files of live writers, as another store of this process (its
	// pid) and one of unknown origin would leave them, young and old.
	ours := fmt.Sprintf("put-%d-LIVE", os.Getpid())
	require.NoError(t, os.WriteFile(filepath.Join(tmpDir, ours), []byte("in flight"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(tmpDir, "put-live"), []byte("in flight"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(tmpDir, "put-old"), []byte("forgotten"), 0o600))
	long := time.Now().Add(-2 * staleTmpAge)
	require.NoError(t, os.Chtimes(filepath.Join(tmpDir, "put-old"), long, long))

	_, s2 := newDirStore(t, root) // reopen, as a restarted process would
	body, info, err := s2.Get(ctx, "album/photo.jpg")
	require.NoError(t, err)
	assert.Equal(t, "old photo", string(body))
	assert.Equal(t, old.ETag, info.ETag)
	var keys []string
	require.NoError(t, s2.List(ctx, "", func(i Info) error { keys = append(keys, i.Key); return nil }))
	assert.Equal(t, []string{"album/photo.jpg"}, keys, "the temp file is not an object")

	var left []string
	temps, err = os.ReadDir(tmpDir)
	require.NoError(t, err)
	for _, e := range temps {
		left = append(left, e.Name())
	}
	assert.NotContains(t, left, crashed, "the killed writer's temp file is removed at once: its process is gone")
	assert.NotContains(t, left, "put-old", "a temp file over the stale age is removed")
	assert.ElementsMatch(t, []string{ours, "put-live"}, left, "young temp files that may belong to a live writer are kept")
}

func TestDirETagCache(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	_, s := newDirStore(t, root)
	put, err := s.Put(ctx, "k/obj", []byte("content"))
	require.NoError(t, err)
	cache := filepath.Join(root, s.etags.path("k/obj"))
	require.FileExists(t, cache)
	require.True(t, strings.HasPrefix(cache, filepath.Join(root, dirETag, "photos")+string(filepath.Separator)))

	// A cache entry whose stamp matches the file is trusted (no rehash).
	raw, err := os.ReadFile(cache)
	require.NoError(t, err)
	_, stamp, _ := strings.Cut(strings.TrimSpace(string(raw)), " ")
	fake := strings.Repeat("f", 32)
	require.NoError(t, os.WriteFile(cache, []byte(fake+" "+stamp+"\n"), 0o644))
	head, err := s.Head(ctx, "k/obj")
	require.NoError(t, err)
	assert.Equal(t, fake, head.ETag, "read from the cache")

	// The file changed behind the store's back: the stamp differs, the
	// ETag is recomputed and the cache repaired.
	p := filepath.Join(root, "photos", "k", "obj")
	require.NoError(t, os.WriteFile(p, []byte("edited by hand"), 0o644))
	head, err = s.Head(ctx, "k/obj")
	require.NoError(t, err)
	assert.Equal(t, ETagOf([]byte("edited by hand")), head.ETag)
	assert.Equal(t, int64(len("edited by hand")), head.Size)
	_, info, err := s.Get(ctx, "k/obj")
	require.NoError(t, err)
	assert.Equal(t, head.ETag, info.ETag)

	// A garbled or missing cache entry is recomputed too.
	for _, garble := range []string{"", "nonsense", "zz " + stamp} {
		require.NoError(t, os.WriteFile(cache, []byte(garble), 0o644))
		head, err = s.Head(ctx, "k/obj")
		require.NoError(t, err)
		assert.Equal(t, ETagOf([]byte("edited by hand")), head.ETag, "garbled %q", garble)
	}
	require.NoError(t, os.Remove(cache))
	head, err = s.Head(ctx, "k/obj")
	require.NoError(t, err)
	assert.Equal(t, ETagOf([]byte("edited by hand")), head.ETag)
	assert.NotEqual(t, put.ETag, head.ETag)

	require.NoError(t, s.Delete(ctx, "k/obj"))
	assert.NoFileExists(t, cache, "delete drops the cache entry")
}

func TestDirKeyConflicts(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	_, s := newDirStore(t, root)
	_, err := s.Put(ctx, "a", []byte("file a"))
	require.NoError(t, err)
	_, err = s.Put(ctx, "x/y", []byte("file x/y"))
	require.NoError(t, err)

	for _, key := range []string{"a/b", "a/b/c", "x"} {
		_, err = s.Put(ctx, key, []byte("conflict"))
		require.ErrorIs(t, err, ErrKeyConflict, key)
		assert.Contains(t, err.Error(), "put photos/"+key)
	}
	var keys []string
	require.NoError(t, s.List(ctx, "", func(i Info) error { keys = append(keys, i.Key); return nil }))
	assert.Equal(t, []string{"a", "x/y"}, keys, "nothing changed")
	entries, err := os.ReadDir(filepath.Join(root, dirTmp))
	require.NoError(t, err)
	assert.Empty(t, entries)
}

func TestDirDeletePrunesEmptyDirectories(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	_, s := newDirStore(t, root)
	for _, k := range []string{"p/q/r/one", "p/q/two"} {
		_, err := s.Put(ctx, k, []byte(k))
		require.NoError(t, err)
	}
	require.NoError(t, s.Delete(ctx, "p/q/r/one"))
	assert.NoDirExists(t, filepath.Join(root, "photos", "p", "q", "r"))
	assert.DirExists(t, filepath.Join(root, "photos", "p", "q"), "still holds two")
	require.NoError(t, s.Delete(ctx, "p/q/two"))
	assert.NoDirExists(t, filepath.Join(root, "photos", "p"))
	assert.DirExists(t, filepath.Join(root, "photos"), "the bucket itself stays")
	require.NoError(t, s.Delete(ctx, "p"), "a pruned prefix is not an object")
}

func TestDirListIgnoresForeignFiles(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	_, s := newDirStore(t, root)
	_, err := s.Put(ctx, "ok/key", []byte("x"))
	require.NoError(t, err)
	// Files that no valid key names (dropped in by hand) are not objects.
	require.NoError(t, os.WriteFile(filepath.Join(root, "photos", "ok", `back\slash`), []byte("y"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(root, "photos", "ok", "key"), filepath.Join(root, "photos", "ok", "link")))
	var keys []string
	require.NoError(t, s.List(ctx, "", func(i Info) error { keys = append(keys, i.Key); return nil }))
	sort.Strings(keys)
	assert.Equal(t, []string{"ok/key"}, keys)
}

func TestNewDirErrors(t *testing.T) {
	_, err := NewDir("")
	require.Error(t, err)
	file := filepath.Join(t.TempDir(), "a-file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = NewDir(file)
	require.ErrorContains(t, err, file, "the error names the root")
}
