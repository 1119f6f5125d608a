package blob

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
}

func newFolder(t *testing.T, dir string, maxSize int64) *Folder {
	t.Helper()
	f, err := NewFolder(dir, t.TempDir(), maxSize)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func listAll(t *testing.T, s Store, prefix string) map[string]Info {
	t.Helper()
	out := map[string]Info{}
	var keys []string
	require.NoError(t, s.List(context.Background(), prefix, func(i Info) error {
		keys = append(keys, i.Key)
		out[i.Key] = i
		return nil
	}))
	require.IsIncreasing(t, keys)
	return out
}

// A folder lists its regular files in key order with their ETags,
// leaving out hidden directories, symbolic links and files over the size
// limit (Scan names those).
func TestFolderList(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "b.jpg"), "bee")
	write(t, filepath.Join(dir, "a.jpg"), "ay")
	write(t, filepath.Join(dir, "day 2", "c.jpg"), "sea")
	write(t, filepath.Join(dir, ".thumbnails", "x.jpg"), "hidden")
	write(t, filepath.Join(dir, "big.jpg"), strings.Repeat("x", 100))
	outside := filepath.Join(t.TempDir(), "secret.jpg")
	write(t, outside, "secret")
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, "link.jpg")))
	f := newFolder(t, dir, 10)

	got := listAll(t, f, "")
	require.Len(t, got, 3)
	require.Equal(t, FolderETag([]byte("ay")), got["a.jpg"].ETag)
	require.Equal(t, FolderETag([]byte("sea")), got["day 2/c.jpg"].ETag)
	require.EqualValues(t, 3, got["b.jpg"].Size)
	require.Len(t, listAll(t, f, "day 2/"), 1)
	require.Empty(t, listAll(t, f, "nothing/"))

	keys, left, err := f.Scan(context.Background(), "")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{"a.jpg", "b.jpg", "day 2/c.jpg"}, keys)
	require.Len(t, left, 2)
	require.Equal(t, Left{"big.jpg", "0 MB, over the 0 MB a photo may have"}, left[0])
	require.Equal(t, Left{"link.jpg", "a link to a file outside the album's folder"}, left[1])

	body, info, err := f.Get(context.Background(), "day 2/c.jpg")
	require.NoError(t, err)
	require.Equal(t, "sea", string(body))
	require.Equal(t, FolderETag(body), info.ETag)
	var missing *domain.ObjectMissing
	_, _, err = f.Get(context.Background(), "link.jpg")
	require.ErrorAs(t, err, &missing, "a symbolic link out of the folder is not followed")
	_, _, err = f.Get(context.Background(), "big.jpg")
	require.ErrorAs(t, err, &missing)
}

// A link to a file inside the folder is that file (listed, read, hashed as
// it); links to nothing or to a folder, and FIFOs, are left out with why.
func TestFolderLinks(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "day 1", "a.jpg"), "ay")
	require.NoError(t, os.Symlink(filepath.Join("day 1", "a.jpg"), filepath.Join(dir, "rel.jpg")))
	require.NoError(t, os.Symlink(filepath.Join(dir, "day 1", "a.jpg"), filepath.Join(dir, "abs.jpg")))
	require.NoError(t, os.Symlink("/nonexistent/x.jpg", filepath.Join(dir, "dangling.jpg")))
	require.NoError(t, os.Symlink("day 1", filepath.Join(dir, "folder-link")))
	require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "pipe.jpg"), 0o644))
	f := newFolder(t, dir, 0)
	got := listAll(t, f, "")
	require.Len(t, got, 3)
	for _, k := range []string{"day 1/a.jpg", "rel.jpg", "abs.jpg"} {
		require.Equal(t, FolderETag([]byte("ay")), got[k].ETag, k)
		body, _, err := f.Get(context.Background(), k)
		require.NoError(t, err)
		require.Equal(t, "ay", string(body))
	}
	_, left, err := f.Scan(context.Background(), "")
	require.NoError(t, err)
	require.ElementsMatch(t, []Left{{"dangling.jpg", leftDangling}, {"folder-link", leftFolderLink}, {"pipe.jpg", leftNotRegular}}, left)
}

// A file is hashed once per content, when it is first read: ListStat
// reads nothing (no ETag before the first Get), Get hashes; while the
// file's size, time and inode are those it was hashed with, the cached ETag
// is trusted; once any changes, it is hashed again.
func TestFolderHashesOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.jpg")
	write(t, p, "one")
	f := newFolder(t, dir, 0)
	stat := func() Info {
		var got []Info
		require.NoError(t, f.ListStat(context.Background(), "", func(i Info) error { got = append(got, i); return nil }))
		require.Len(t, got, 1)
		return got[0]
	}
	require.Empty(t, stat().ETag, "not read yet")
	_, info, err := f.Get(context.Background(), "a.jpg")
	require.NoError(t, err)
	require.Equal(t, FolderETag([]byte("one")), info.ETag)
	require.Equal(t, FolderETag([]byte("one")), stat().ETag, "known without reading")
	require.Equal(t, FolderETag([]byte("one")), listAll(t, f, "")["a.jpg"].ETag)

	// Same size, same time, same inode: the file is not read again (the
	// stale ETag proves it).
	fi, err := os.Stat(p)
	require.NoError(t, err)
	fh, err := os.OpenFile(p, os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fh.WriteAt([]byte("two"), 0)
	require.NoError(t, err)
	require.NoError(t, fh.Close())
	require.NoError(t, os.Chtimes(p, fi.ModTime(), fi.ModTime()))
	require.Equal(t, FolderETag([]byte("one")), listAll(t, f, "")["a.jpg"].ETag)

	// A new modification time: hashed again.
	later := fi.ModTime().Add(time.Second)
	require.NoError(t, os.Chtimes(p, later, later))
	require.Empty(t, stat().ETag, "changed: not known until read again")
	require.Equal(t, FolderETag([]byte("two")), listAll(t, f, "")["a.jpg"].ETag)
	info, err = f.Head(context.Background(), "a.jpg")
	require.NoError(t, err)
	require.Equal(t, FolderETag([]byte("two")), info.ETag)
}

// A folder is never written; a folder that went away fails every call
// instead of looking empty.
func TestFolderReadOnlyAndGone(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "wedding")
	write(t, filepath.Join(dir, "a.jpg"), "ay")
	f := newFolder(t, dir, 0)
	_, err := f.Put(ctx, "a.jpg", []byte("x"))
	require.ErrorIs(t, err, ErrReadOnly)
	require.ErrorIs(t, f.Delete(ctx, "a.jpg"), ErrReadOnly)
	body, err := os.ReadFile(filepath.Join(dir, "a.jpg"))
	require.NoError(t, err)
	require.Equal(t, "ay", string(body))

	require.NoError(t, os.Rename(dir, dir+"-moved"))
	err = f.List(ctx, "", func(Info) error { return nil })
	require.Error(t, err)
	require.Contains(t, err.Error(), "is gone")
	_, err = f.Head(ctx, "a.jpg")
	require.Contains(t, err.Error(), "is gone")
	var bad *domain.InvalidInput
	_, err = f.Head(ctx, "../x")
	require.True(t, errors.As(err, &bad))
}

// Mounts serve a prefix from a folder and the rest from the base: listings
// merge in key order, base keys under the mount are hidden, keys and
// missing-object errors carry the outer key, writes to the folder fail.
func TestMounts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.jpg"), "ay")
	write(t, filepath.Join(dir, "sub", "b.jpg"), "bee")
	m := NewMounts(NewMem())
	base, err := m.Base().Bucket("bkt")
	require.NoError(t, err)
	for _, k := range []string{"albums/w/old-copy.jpg", "albums/v/x.jpg", "faces/w/1.json", "albums/w0"} {
		_, err := base.Put(ctx, k, []byte(k))
		require.NoError(t, err)
	}
	f := newFolder(t, dir, 0)
	require.NoError(t, m.Mount("bkt", "albums/w/", f))
	require.Error(t, m.Mount("bkt", "albums/", f), "around a mount")
	require.Error(t, m.Mount("bkt", "albums/w/sub/", f), "inside a mount")
	require.Error(t, m.Mount("bkt", "albums/w", f), "no trailing slash")
	s, err := m.Bucket("bkt")
	require.NoError(t, err)

	// ListStat: the folder's files unread (no ETag yet), the base's with theirs.
	stat := map[string]string{}
	require.NoError(t, s.(StatLister).ListStat(ctx, "albums/", func(i Info) error { stat[i.Key] = i.ETag; return nil }))
	require.Equal(t, map[string]string{"albums/v/x.jpg": ETagOf([]byte("albums/v/x.jpg")), "albums/w/a.jpg": "", "albums/w/sub/b.jpg": "", "albums/w0": ETagOf([]byte("albums/w0"))}, stat)

	keys := func(prefix string) []string {
		var ks []string
		for k := range listAll(t, s, prefix) {
			ks = append(ks, k)
		}
		slices.Sort(ks)
		return ks
	}
	require.Equal(t, []string{"albums/v/x.jpg", "albums/w/a.jpg", "albums/w/sub/b.jpg", "albums/w0", "faces/w/1.json"}, keys(""))
	require.Equal(t, []string{"albums/w/sub/b.jpg"}, keys("albums/w/sub"))
	require.Equal(t, []string{"faces/w/1.json"}, keys("faces/"))

	body, info, err := s.Get(ctx, "albums/w/sub/b.jpg")
	require.NoError(t, err)
	require.Equal(t, "bee", string(body))
	require.Equal(t, "albums/w/sub/b.jpg", info.Key)
	_, err = s.Head(ctx, "albums/w/old-copy.jpg")
	var missing *domain.ObjectMissing
	require.ErrorAs(t, err, &missing, "the base's copy is hidden")
	require.Equal(t, "albums/w/old-copy.jpg", missing.Key)
	_, err = s.Put(ctx, "albums/w/new.jpg", []byte("x"))
	require.ErrorIs(t, err, ErrReadOnly)
	_, err = s.Put(ctx, "faces/w/2.json", []byte("{}"))
	require.NoError(t, err)
	info, err = PutReader(ctx, s, "albums/v/y.jpg", strings.NewReader("why"), ETagOf([]byte("why")))
	require.NoError(t, err)
	require.Equal(t, "albums/v/y.jpg", info.Key, "streamed to the base")
	_, err = PutReader(ctx, s, "albums/w/y.jpg", strings.NewReader("why"), "")
	require.ErrorIs(t, err, ErrReadOnly)

	require.Same(t, f, m.Unmount("bkt", "albums/w/"))
	require.Nil(t, m.Mounted("bkt", "albums/w/"))
	require.Equal(t, []string{"albums/w/old-copy.jpg"}, keys("albums/w/"))
}
