package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/divinepic/pipeline/shared/domain"
)

// ErrReadOnly: a Folder is never written (Put and Delete fail with it).
var ErrReadOnly = errors.New("read-only: the files of a folder indexed in place are never written or deleted by the pipeline")

// Folder is a read-only Store over a directory that belongs to someone else:
// a photographer's folder of photos, indexed where it is instead of copied.
// Key k is the file DIR/k. It lists the regular files of DIR and its
// subdirectories, and the symbolic links to such files (as those files),
// leaving out hidden directories (a name starting with "."), links that
// lead out of DIR, to nothing or to a folder, FIFOs, sockets and devices,
// names that are not valid keys, and files over MaxSize; Scan says which
// were left out and why.
//
// A Folder's ETag is not an MD5 but FolderETag (the first 128 bits of the
// content's SHA-256, which this machine's SHA instructions compute in a
// third of MD5's time: a folder's content is hashed here, not by S3). A
// file is hashed once per content, while it is read for the first time
// (Get): the ETag is cached under the cache directory (which belongs to the
// pipeline, never inside DIR), keyed by the file's size, modification time
// and inode, so a file that changes is hashed again and one that does not
// is only stat'ed. ListStat lists without reading any file.
//
// DIR is opened anew by every call (through os.Root, so a symbolic link
// inside it cannot lead a read outside it): a folder that is moved away or
// not mounted makes every call fail, saying so, instead of looking empty.
type Folder struct {
	dir     string
	maxSize int64
	cache   *os.Root
	etags   etagCache
}

var _ Store = (*Folder)(nil)

const folderCacheETag = "etag" // ETags under the cache directory

// NewFolder returns the Folder over dir (which need not exist yet), with
// its ETag cache in cacheDir (created if needed). Files over maxSize bytes
// are left out (0: no limit). Close releases the cache directory.
func NewFolder(dir, cacheDir string, maxSize int64) (*Folder, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Join(cacheDir, dirTmp), 0o755); err != nil {
		return nil, fmt.Errorf("blob: folder cache: %w", err)
	}
	r, err := os.OpenRoot(cacheDir)
	if err != nil {
		return nil, fmt.Errorf("blob: folder cache: %w", err)
	}
	f := &Folder{dir: abs, maxSize: maxSize, cache: r}
	f.etags = etagCache{r: r, dir: folderCacheETag, hash: sha256.New,
		tmp: func(kind string) (*os.File, string, error) { return createTemp(r, dirTmp, kind) }}
	return f, nil
}

// Dir is the folder's absolute path.
func (f *Folder) Dir() string { return f.dir }

// Close releases the cache directory.
func (f *Folder) Close() error { return f.cache.Close() }

// open opens the folder itself.
func (f *Folder) open() (*os.Root, error) {
	r, err := os.OpenRoot(f.dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("blob: folder %s is gone (moved, renamed or not mounted): %w", f.dir, err)
		}
		return nil, fmt.Errorf("blob: folder %s: %w", f.dir, err)
	}
	return r, nil
}

// Get implements Store; the content is hashed while it is in memory when
// its ETag is not cached.
func (f *Folder) Get(ctx context.Context, key string) ([]byte, Info, error) {
	file, fi, err := f.openFile(ctx, key)
	if err != nil {
		return nil, Info{}, err
	}
	defer file.Close()
	body := make([]byte, fi.Size())
	if _, err := io.ReadFull(file, body); err != nil {
		return nil, Info{}, fmt.Errorf("blob: folder %s: get %s: %w", f.dir, key, err)
	}
	return body, Info{Key: key, Size: fi.Size(), ETag: f.etags.of(key, fi, body), LastModified: fi.ModTime().UTC()}, nil
}

// Head implements Store.
func (f *Folder) Head(ctx context.Context, key string) (Info, error) {
	file, fi, err := f.openFile(ctx, key)
	if err != nil {
		return Info{}, err
	}
	defer file.Close()
	return f.info(key, file, fi)
}

// info is the Info of an open file, hashing it when its ETag is not cached.
func (f *Folder) info(key string, file *os.File, fi fs.FileInfo) (Info, error) {
	etag, err := f.etags.read(key, file, fi)
	if err != nil {
		return Info{}, fmt.Errorf("blob: folder %s: read %s: %w", f.dir, key, err)
	}
	return Info{Key: key, Size: fi.Size(), ETag: etag, LastModified: fi.ModTime().UTC()}, nil
}

// FolderETag is the ETag a Folder gives to body: the hex of the first 16
// bytes of its SHA-256 (32 hex digits, like an MD5).
func FolderETag(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:16])
}

func (f *Folder) openFile(ctx context.Context, key string) (*os.File, fs.FileInfo, error) {
	if err := ValidateKey(key); err != nil {
		return nil, nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	r, err := f.open()
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	name := filepath.FromSlash(key)
	li, err := r.Lstat(name)
	if err != nil {
		if isMissing(err) {
			return nil, nil, &domain.ObjectMissing{Key: key}
		}
		return nil, nil, fmt.Errorf("blob: folder %s: %s: %w", f.dir, key, err)
	}
	if li.Mode()&fs.ModeSymlink != 0 {
		target, reason, err := f.linkTarget(key)
		if err != nil {
			return nil, nil, fmt.Errorf("blob: folder %s: %s: %w", f.dir, key, err)
		}
		if reason != "" {
			return nil, nil, &domain.ObjectMissing{Key: key} // not a file of the folder
		}
		name = target
	}
	file, err := r.Open(name)
	if err != nil {
		if isMissing(err) {
			return nil, nil, &domain.ObjectMissing{Key: key}
		}
		return nil, nil, fmt.Errorf("blob: folder %s: %s: %w", f.dir, key, err)
	}
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return nil, nil, fmt.Errorf("blob: folder %s: %s: %w", f.dir, key, err)
	}
	if !fi.Mode().IsRegular() || (f.maxSize > 0 && fi.Size() > f.maxSize) {
		file.Close()
		return nil, nil, &domain.ObjectMissing{Key: key}
	}
	return file, fi, nil
}

// Why a file is left out of a folder's listing.
const (
	leftDangling   = "a link to nothing (its target does not exist)"
	leftOutside    = "a link to a file outside the album's folder"
	leftFolderLink = "a link to a folder (the folder's photos are imported where they are)"
	leftNotRegular = "not a regular file (a FIFO, socket or device)"
	leftBadName    = "the name cannot be stored: it has control characters, is not valid UTF-8 or is too long"
	leftTooLarge   = "%d MB, over the %d MB a photo may have"
)

// linkTarget resolves the symbolic link at key: the path inside the folder
// of the file it leads to, or why it leads to none (a reason above).
func (f *Folder) linkTarget(key string) (target, reason string, err error) {
	root, err := filepath.EvalSymlinks(f.dir)
	if err != nil {
		return "", "", err
	}
	t, err := filepath.EvalSymlinks(filepath.Join(f.dir, filepath.FromSlash(key)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", leftDangling, nil
		}
		return "", "", err
	}
	rel, err := filepath.Rel(root, t)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", leftOutside, nil
	}
	fi, err := os.Stat(t)
	if err != nil {
		return "", "", err
	}
	if fi.IsDir() {
		return "", leftFolderLink, nil
	}
	return rel, "", nil
}

// Put implements Store: a Folder is read-only.
func (f *Folder) Put(_ context.Context, key string, _ []byte) (Info, error) {
	return Info{}, fmt.Errorf("blob: folder %s: put %s: %w", f.dir, key, ErrReadOnly)
}

// Delete implements Store: a Folder is read-only.
func (f *Folder) Delete(_ context.Context, key string) error {
	return fmt.Errorf("blob: folder %s: delete %s: %w", f.dir, key, ErrReadOnly)
}

// Left is a file a Folder does not list, and why.
type Left struct {
	Name   string // the path under the folder, "/"-separated
	Reason string
}

// Scan returns the keys List would list under prefix, without hashing
// anything, and names the files it leaves out: names that cannot be keys
// and files over MaxSize (hidden directories and symbolic links are left
// out silently).
func (f *Folder) Scan(ctx context.Context, prefix string) (keys []string, left []Left, err error) {
	err = f.walk(ctx, prefix, func(k string, _ fs.FileInfo) { keys = append(keys, k) }, func(l Left) { left = append(left, l) })
	return keys, left, err
}

// walk calls file for each file List lists under prefix and, when not nil,
// leave for the others that are not hidden.
func (f *Folder) walk(ctx context.Context, prefix string, file func(key string, fi fs.FileInfo), leave func(Left)) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	base := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		if ValidateKey(prefix[:i]) != nil {
			return nil // no key lies under it
		}
		base = prefix[:i]
	}
	r, err := f.open()
	if err != nil {
		return err
	}
	defer r.Close()
	err = fs.WalkDir(r.FS(), base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if isMissing(err) && p == base {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(p, prefix) {
			return nil
		}
		left := func(reason string) {
			if leave != nil {
				leave(Left{Name: p, Reason: reason})
			}
		}
		mode := d.Type()
		var fi fs.FileInfo
		if mode&fs.ModeSymlink != 0 {
			target, reason, err := f.linkTarget(p)
			if err != nil {
				return err
			}
			if reason != "" {
				left(reason)
				return nil
			}
			if fi, err = r.Stat(target); err != nil {
				return err
			}
			mode = fi.Mode().Type()
		}
		if !mode.IsRegular() {
			left(leftNotRegular)
			return nil
		}
		if ValidateKey(p) != nil {
			left(leftBadName)
			return nil
		}
		if fi == nil {
			if fi, err = d.Info(); err != nil {
				if isMissing(err) {
					return nil // gone since the directory was read
				}
				return err
			}
		}
		if f.maxSize > 0 && fi.Size() > f.maxSize {
			left(fmt.Sprintf(leftTooLarge, fi.Size()>>20, f.maxSize>>20))
			return nil
		}
		file(p, fi)
		return nil
	})
	if err != nil {
		return fmt.Errorf("blob: folder %s: list %q: %w", f.dir, prefix, err)
	}
	return nil
}

// ListStat implements StatLister: List without reading any file, so the
// ETag of a file not hashed yet (or changed since) is empty.
func (f *Folder) ListStat(ctx context.Context, prefix string, fn func(Info) error) error {
	return f.list(ctx, prefix, false, fn)
}

// List implements Store. Files with no cached ETag are hashed first, on
// every core; then fn is called in key order.
func (f *Folder) List(ctx context.Context, prefix string, fn func(Info) error) error {
	return f.list(ctx, prefix, true, fn)
}

// list lists in key order, hashing the files with no cached ETag when hash.
func (f *Folder) list(ctx context.Context, prefix string, hash bool, fn func(Info) error) error {
	type item struct {
		key string
		fi  fs.FileInfo
	}
	var items []item
	if err := f.walk(ctx, prefix, func(key string, fi fs.FileInfo) { items = append(items, item{key, fi}) }, nil); err != nil {
		return err
	}
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.key, b.key) })
	infos := make([]Info, len(items))
	errs := make([]error, len(items))
	var todo []int // files to hash
	for i, it := range items {
		infos[i] = Info{Key: it.key, Size: it.fi.Size(), LastModified: it.fi.ModTime().UTC()}
		if etag, ok := f.etags.get(it.key, it.fi); ok {
			infos[i].ETag = etag
		} else {
			todo = append(todo, i)
		}
	}
	if len(todo) > 0 && hash {
		next := make(chan int)
		var wg sync.WaitGroup
		for range min(runtime.GOMAXPROCS(0), len(todo)) {
			wg.Go(func() {
				for i := range next {
					infos[i], errs[i] = f.Head(ctx, items[i].key)
				}
			})
		}
		for _, i := range todo {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	for i := range infos {
		if err := errs[i]; err != nil {
			var missing *domain.ObjectMissing
			if errors.As(err, &missing) {
				continue // deleted since the walk
			}
			return err
		}
		if err := fn(infos[i]); err != nil {
			return err
		}
	}
	return nil
}
