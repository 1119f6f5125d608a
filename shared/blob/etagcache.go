package blob

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// etagCache remembers the ETags of files so that a file is hashed once per
// content: <dir>/hh/sha256(key) holds "etag size mtime-ns inode", trusted
// only while the file's size, modification time and inode still match.
// Best effort: a missing or stale entry is recomputed.
type etagCache struct {
	r    *os.Root
	dir  string                                      // relative to r
	tmp  func(kind string) (*os.File, string, error) // a temp file on r's file system
	hash func() hash.Hash                            // the ETag's hash: 16 bytes or more, the first 16 kept
}

func (c etagCache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(c.dir, h[:2], h)
}

func etagStamp(fi fs.FileInfo) string {
	return fmt.Sprintf("%d %d %d", fi.Size(), fi.ModTime().UnixNano(), inode(fi))
}

// get returns the ETag cached for the file fi describes.
func (c etagCache) get(key string, fi fs.FileInfo) (string, bool) {
	b, err := c.r.ReadFile(c.path(key))
	if err != nil {
		return "", false
	}
	etag, stamp, ok := strings.Cut(strings.TrimSpace(string(b)), " ")
	if !ok || stamp != etagStamp(fi) || len(etag) != 32 {
		return "", false
	}
	if _, err := hex.DecodeString(etag); err != nil {
		return "", false
	}
	return etag, true
}

// put records etag for the file fi describes.
func (c etagCache) put(key string, fi fs.FileInfo, etag string) {
	p := c.path(key)
	if err := c.r.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return
	}
	tmp, tmpName, err := c.tmp("etag")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(etag + " " + etagStamp(fi) + "\n")
	cerr := tmp.Close()
	if werr != nil || cerr != nil || c.r.Rename(tmpName, p) != nil {
		c.r.Remove(tmpName)
	}
}

// of returns the ETag of body, the content of the file fi describes: the
// cached one, else its hash (then cached).
func (c etagCache) of(key string, fi fs.FileInfo, body []byte) string {
	if etag, ok := c.get(key, fi); ok {
		return etag
	}
	h := c.hash()
	h.Write(body)
	etag := hex.EncodeToString(h.Sum(nil)[:16])
	c.put(key, fi, etag)
	return etag
}

// read returns the ETag of the open file fi describes: the cached one,
// else the hash of its content from its current offset (then cached).
func (c etagCache) read(key string, f io.Reader, fi fs.FileInfo) (string, error) {
	if etag, ok := c.get(key, fi); ok {
		return etag, nil
	}
	h := c.hash()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	etag := hex.EncodeToString(h.Sum(nil)[:16])
	c.put(key, fi, etag)
	return etag, nil
}

// tempWriterGone reports whether the temp file name (as createTemp names
// it) was written by a process that no longer exists.
func tempWriterGone(name string) bool {
	_, rest, ok := strings.Cut(name, "-")
	if !ok {
		return false
	}
	pid, _, ok := strings.Cut(rest, "-")
	n, err := strconv.Atoi(pid)
	if !ok || err != nil || n <= 0 || n == os.Getpid() {
		return false
	}
	return processGone(n)
}

func (c etagCache) remove(key string) { _ = c.r.Remove(c.path(key)) }

// createTemp creates a new file in dir under r; the caller removes or
// renames it. Its name is KIND-PID-RANDOM, so that a later process can tell
// the leftover of a writer that died (see tempWriterGone).
func createTemp(r *os.Root, dir, kind string) (*os.File, string, error) {
	for {
		name := filepath.Join(dir, kind+"-"+strconv.Itoa(os.Getpid())+"-"+rand.Text())
		f, err := r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
}
