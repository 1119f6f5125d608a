package blob

import (
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/divinepic/pipeline/shared/domain"
)

// ErrKeyConflict: the directory store cannot hold both "a" and "a/b" (a file
// cannot also be a directory), which S3 allows. Put returns it wrapped with
// the key; errors.Is(err, ErrKeyConflict) tells it apart.
var ErrKeyConflict = errors.New("key conflicts with an existing object: one key is a directory prefix of the other, which a directory store cannot hold")

// Names inside the root that no bucket can take (bucket names start with a
// letter or digit).
const (
	dirTmp  = ".tmp"  // temp files of writes in flight; same file system as the objects
	dirETag = ".etag" // per-object ETag cache, one small file per key
)

// staleTmpAge is how old a temp file must be before NewDir removes it as the
// leftover of a crashed write even when its writer's process id is in use
// (a reused id); a temp file whose writer is gone is removed at once.
const staleTmpAge = time.Hour

// DirBuckets keeps buckets in a local directory: bucket b's object k is the
// file ROOT/b/k (so photos can be browsed with a file manager). The root
// also holds ROOT/.tmp (writes in flight) and ROOT/.etag (cached ETags).
//
// Every file operation goes through an os.Root opened on ROOT, so on top of
// the key rules (ValidateKey) even a symbolic link planted inside the root
// cannot lead a read or a write outside it.
//
// Writes are atomic and durable: the body goes to a temp file that is
// fsynced and renamed over the object, then the directory is fsynced; a
// crash leaves either the old or the new object, never a partial one.
// ETags are computed on write and cached beside, keyed by the file's inode,
// size and modification time, so a stale cache entry (a crash between the
// rename and the cache write, or a file changed by hand) is detected and the
// ETag recomputed.
//
// Unlike S3, a key cannot be both an object and a directory prefix of
// another key ("a" and "a/b"): Put fails with ErrKeyConflict.
type DirBuckets struct {
	root string
	r    *os.Root
	// writeBody writes the object's bytes to the temp file; a test seam to
	// simulate a crash or a failing disk mid-write. Nil means f.Write.
	writeBody func(f *os.File, body []byte) error
}

var _ Buckets = (*DirBuckets)(nil)

// NewDir opens (creating if needed) a directory store rooted at root, and
// removes temp files left over by writes that crashed: those whose writing
// process is gone, and any over an hour old.
// It holds a handle on the directory until Close.
func NewDir(root string) (*DirBuckets, error) {
	if root == "" {
		return nil, errors.New("blob: directory store: empty root")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("blob: directory store %s: %w", root, err)
	}
	if err := os.MkdirAll(filepath.Join(abs, dirTmp), 0o755); err != nil {
		return nil, fmt.Errorf("blob: directory store %s: %w", abs, err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("blob: directory store %s: %w", abs, err)
	}
	d := &DirBuckets{root: abs, r: r}
	d.removeStaleTemps()
	return d, nil
}

// Root is the absolute root directory.
func (d *DirBuckets) Root() string { return d.root }

// Close releases the handle on the root directory; the stores of d must not
// be used afterwards.
func (d *DirBuckets) Close() error { return d.r.Close() }

// Bucket returns the store of bucket name (the directory ROOT/name, created
// on first Put).
func (d *DirBuckets) Bucket(name string) (Store, error) {
	if err := ValidateBucket(name); err != nil {
		return nil, err
	}
	return &DirStore{d: d, r: d.r, bucket: name, etags: etagCache{r: d.r, dir: filepath.Join(dirETag, name), tmp: d.createTemp, hash: md5.New}}, nil
}

func (d *DirBuckets) removeStaleTemps() {
	entries, err := fs.ReadDir(d.r.FS(), dirTmp)
	if err != nil {
		return
	}
	for _, e := range entries {
		if tempWriterGone(e.Name()) {
			_ = d.r.Remove(filepath.Join(dirTmp, e.Name()))
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleTmpAge {
			_ = d.r.Remove(filepath.Join(dirTmp, e.Name()))
		}
	}
}

// createTemp creates a new temp file under ROOT/.tmp; the caller removes
// or renames it.
func (d *DirBuckets) createTemp(kind string) (*os.File, string, error) {
	return createTemp(d.r, dirTmp, kind)
}

// DirStore is one bucket of a DirBuckets. Its paths are relative to the root.
type DirStore struct {
	d      *DirBuckets
	r      *os.Root
	bucket string
	etags  etagCache // ROOT/.etag/BUCKET
}

var _ Store = (*DirStore)(nil)

// path maps a key to its file (relative to the root), refusing any key
// that could leave the bucket.
func (s *DirStore) path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	rel := filepath.FromSlash(key)
	if !filepath.IsLocal(rel) { // platform rules on top (reserved names on Windows)
		return "", &domain.InvalidInput{Field: "key", Reason: fmt.Sprintf("%q: not a local path on this system", key)}
	}
	return filepath.Join(s.bucket, rel), nil
}

// Get implements Store.
func (s *DirStore) Get(ctx context.Context, key string) ([]byte, Info, error) {
	p, err := s.path(key)
	if err != nil {
		return nil, Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, Info{}, err
	}
	f, fi, err := s.open(key, p)
	if err != nil {
		return nil, Info{}, s.fail("get", key, err)
	}
	defer f.Close()
	body := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, body); err != nil {
		return nil, Info{}, s.fail("get", key, err)
	}
	return body, Info{Key: key, Size: int64(len(body)), ETag: s.etags.of(key, fi, body), LastModified: fi.ModTime().UTC()}, nil
}

// Head implements Store.
func (s *DirStore) Head(ctx context.Context, key string) (Info, error) {
	p, err := s.path(key)
	if err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	info, err := s.head(key, p)
	if err != nil {
		return Info{}, s.fail("head", key, err)
	}
	return info, nil
}

func (s *DirStore) head(key, p string) (Info, error) {
	f, fi, err := s.open(key, p)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	etag, err := s.etags.read(key, f, fi)
	if err != nil {
		return Info{}, err
	}
	return Info{Key: key, Size: fi.Size(), ETag: etag, LastModified: fi.ModTime().UTC()}, nil
}

// open opens the object file; a missing file, a missing parent, or a
// directory in its place all mean the object does not exist.
func (s *DirStore) open(key, p string) (*os.File, fs.FileInfo, error) {
	f, err := s.r.Open(p)
	if err != nil {
		if isMissing(err) {
			return nil, nil, &domain.ObjectMissing{Key: key}
		}
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &domain.ObjectMissing{Key: key}
	}
	return f, fi, nil
}

// Put implements Store: temp file, fsync, rename, fsync of the directory.
func (s *DirStore) Put(ctx context.Context, key string, body []byte) (Info, error) {
	p, err := s.path(key)
	if err != nil {
		return Info{}, err
	}
	if err := ctx.Err(); err != nil {
		return Info{}, err
	}
	fi, err := s.put(key, p, body)
	if err != nil {
		return Info{}, s.fail("put", key, err)
	}
	etag := ETagOf(body)
	s.etags.put(key, fi, etag)
	return Info{Key: key, Size: int64(len(body)), ETag: etag, LastModified: fi.ModTime().UTC()}, nil
}

func (s *DirStore) put(key, p string, body []byte) (fs.FileInfo, error) {
	write := s.d.writeBody
	if write == nil {
		write = func(f *os.File, b []byte) error { _, err := f.Write(b); return err }
	}
	return s.putWith(key, p, func(f *os.File) (int64, error) { return int64(len(body)), write(f, body) })
}

// putWith writes a temp file with write (which returns the size it meant
// to write), then renames it to the key's path.
func (s *DirStore) putWith(key, p string, write func(f *os.File) (int64, error)) (fs.FileInfo, error) {
	tmp, tmpName, err := s.d.createTemp("put")
	if err != nil {
		return nil, err
	}
	renamed := false
	defer func() {
		if !renamed {
			tmp.Close()
			s.r.Remove(tmpName)
		}
	}()
	want, err := write(tmp)
	if err != nil {
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		return nil, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() != want {
		return nil, fmt.Errorf("short write: %d of %d bytes", fi.Size(), want)
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	// A concurrent Delete may prune the parent directory between mkdir and
	// rename; retry a few times when that happens.
	parent := filepath.Dir(p)
	for attempt := 0; ; attempt++ {
		if err := s.mkdirs(parent); err != nil {
			return nil, err
		}
		err = s.r.Rename(tmpName, p)
		if err == nil {
			renamed = true
			break
		}
		if errors.Is(err, fs.ErrNotExist) && attempt < 5 {
			continue
		}
		if errors.Is(err, syscall.EISDIR) || errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return nil, fmt.Errorf("%w (%s/ holds other keys)", ErrKeyConflict, key)
		}
		return nil, err
	}
	if err := s.syncDir(parent); err != nil {
		return nil, err
	}
	return fi, nil
}

// mkdirs creates dir (relative to the root) and its missing parents,
// fsyncing each new entry's parent so the path survives a crash.
func (s *DirStore) mkdirs(dir string) error {
	var missing []string
	for d := dir; d != "."; d = filepath.Dir(d) {
		fi, err := s.r.Stat(d)
		if err == nil {
			if !fi.IsDir() {
				rel, _ := filepath.Rel(s.bucket, d)
				return fmt.Errorf("%w (%s is an object)", ErrKeyConflict, filepath.ToSlash(rel))
			}
			break
		}
		if isNotDir(err) {
			continue // some ancestor is a file; found on the way up
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		missing = append(missing, d)
	}
	for _, d := range slices.Backward(missing) {
		if err := s.r.Mkdir(d, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			if isNotDir(err) {
				return fmt.Errorf("%w (a parent of %s is an object)", ErrKeyConflict, d)
			}
			return err
		}
		if err := s.syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

// Delete implements Store; it also removes parent directories left empty.
func (s *DirStore) Delete(ctx context.Context, key string) error {
	p, err := s.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fi, err := s.r.Lstat(p)
	if err != nil {
		if isMissing(err) {
			return nil
		}
		return s.fail("delete", key, err)
	}
	if fi.IsDir() {
		return nil // a prefix of other keys, not an object
	}
	if err := s.r.Remove(p); err != nil && !isMissing(err) {
		return s.fail("delete", key, err)
	}
	s.etags.remove(key)
	parent := filepath.Dir(p)
	if err := s.syncDir(parent); err != nil && !isMissing(err) {
		return s.fail("delete", key, err)
	}
	for d := parent; d != s.bucket && d != "."; d = filepath.Dir(d) {
		if s.r.Remove(d) != nil { // not empty (or already gone): stop
			break
		}
	}
	return nil
}

// List implements Store. It walks only the directory the prefix names,
// collects and sorts the keys, then reports each with its Info.
func (s *DirStore) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	base := s.bucket // fs.FS paths: always "/"-separated
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		// Every key's leading segments form a valid key, so a prefix whose
		// directory part is not one matches nothing (and never leaves the bucket).
		if ValidateKey(prefix[:i]) != nil {
			return nil
		}
		base = s.bucket + "/" + prefix[:i]
	}
	var keys []string
	err := fs.WalkDir(s.r.FS(), base, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if isMissing(err) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		key := strings.TrimPrefix(p, s.bucket+"/")
		if strings.HasPrefix(key, prefix) && ValidateKey(key) == nil {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return s.fail("list", prefix, err)
	}
	slices.Sort(keys)
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		p, err := s.path(key)
		if err != nil {
			continue // not a key on this system
		}
		info, err := s.head(key, p)
		if err != nil {
			var missing *domain.ObjectMissing
			if errors.As(err, &missing) {
				continue // deleted since the walk
			}
			return s.fail("list", prefix, err)
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

func (s *DirStore) syncDir(dir string) error {
	f, err := s.r.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

func (s *DirStore) fail(op, key string, err error) error {
	var missing *domain.ObjectMissing
	var invalid *domain.InvalidInput
	if errors.As(err, &missing) || errors.As(err, &invalid) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("blob: %s: %w", opName(op, s.bucket, key), err)
}

func isMissing(err error) bool { return errors.Is(err, fs.ErrNotExist) || isNotDir(err) }

func isNotDir(err error) bool { return errors.Is(err, syscall.ENOTDIR) }
