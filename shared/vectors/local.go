package vectors

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Local is the embedded Store: a directory holding one append-only log file
// per index (<index>.vlog, format in logfile.go) and a LOCK file. Each index
// is replayed into memory when first used (about 2.7 KB of memory per 512-d
// vector); Query is exact. Vectors are kept normalized to unit length
// (cosine similarity does not depend on length), so compaction writes them
// normalized.
//
// Every Put and Delete is written and fsynced before it returns, in records
// of at most MaxBatch vectors; a crash loses at most the record being
// written, and never shows half of one. When more than half of the logged
// entries are obsolete the log is compacted (rewritten to a temporary file,
// fsynced, renamed over the log).
//
// Local is safe for concurrent use within a process. Only one Local may have
// a directory open at a time, in any process: OpenLocal takes an exclusive
// lock on LOCK and fails with ErrLocked while another holds it.
type Local struct {
	dir  string
	lock *os.File
	// src rebuilds damaged and lost indexes; report hears of each repair.
	src     Source
	report  func(Repair)
	pending *Repair // what the load in progress repairs (rebuildLost, rebuildDamaged)

	mu      sync.RWMutex
	indexes map[string]*localIndex
	closed  bool
}

var _ Store = (*Local)(nil)

type localIndex struct {
	x       *exactIndex
	f       *os.File
	path    string
	size    int64 // bytes of complete records
	entries int   // vectors and keys named by the records in the log
}

// ErrLocked means another Local (in this or another process) has the
// directory open.
var ErrLocked = errors.New("vector store directory is in use")

const (
	logExt         = ".vlog"
	compactMinimum = 1024 // never compact a log of fewer entries
)

// OpenLocal opens (creating it if needed) the store in dir.
func OpenLocal(dir string) (*Local, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open vector store %s: %w", dir, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open vector store %s: %w", dir, err)
	}
	if err := lockFile(lock); err != nil {
		lock.Close()
		return nil, fmt.Errorf("open vector store %s: %w (%v)", dir, ErrLocked, err)
	}
	return &Local{dir: dir, lock: lock, indexes: map[string]*localIndex{}}, nil
}

// Close closes the index files and releases the directory lock. The store
// must not be used afterwards.
func (l *Local) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	for _, ix := range l.indexes {
		errs = append(errs, ix.f.Close())
	}
	errs = append(errs, unlockFile(l.lock), l.lock.Close())
	return errors.Join(errs...)
}

// EnsureIndex implements Store.
func (l *Local) EnsureIndex(ctx context.Context, index string, dim int) error {
	if err := checkIndexArgs(index, dim); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ix, err := l.load(ctx, index)
	if errors.Is(err, ErrIndexNotFound) {
		return l.create(ctx, index, dim)
	}
	if err != nil {
		return err
	}
	return sameDim(index, ix.x.dim, dim)
}

// Put implements Store.
func (l *Local) Put(ctx context.Context, index string, vs []Vector) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ix, err := l.load(ctx, index)
	if err != nil {
		return err
	}
	if err := validateVectors(vs, ix.x.dim); err != nil {
		return fmt.Errorf("put into index %s: %w", index, err)
	}
	for start := 0; start < len(vs); start += MaxBatch {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("put into index %s: %w", index, err)
		}
		batch := vs[start:min(start+MaxBatch, len(vs))]
		p, err := encodePut(batch)
		if err != nil {
			return fmt.Errorf("put into index %s: %w", index, err)
		}
		if err := ix.append(p, len(batch)); err != nil {
			return err
		}
		ix.x.putAll(batch)
	}
	return l.maybeCompact(ix)
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, index string, keys []string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ix, err := l.load(ctx, index)
	if err != nil {
		return err
	}
	// Log only the keys that exist: deleting missing keys changes nothing.
	var present []string
	for _, k := range keys {
		if _, ok := ix.x.albumOf[k]; ok {
			present = append(present, k)
		}
	}
	for start := 0; start < len(present); start += MaxBatch {
		batch := present[start:min(start+MaxBatch, len(present))]
		if err := ix.append(encodeDelete(batch), len(batch)); err != nil {
			return err
		}
		for _, k := range batch {
			ix.x.delete(k)
		}
	}
	return l.maybeCompact(ix)
}

// Query implements Store.
func (l *Local) Query(ctx context.Context, index string, q []float32, k int, albumID string) ([]Match, error) {
	ix, err := l.read(ctx, index)
	if err != nil {
		return nil, err
	}
	defer l.mu.RUnlock()
	if err := checkQuery(index, q, k, ix.x.dim); err != nil {
		return nil, err
	}
	return ix.x.query(q, k, albumID), nil
}

// Keys implements Store.
func (l *Local) Keys(ctx context.Context, index string, albumID string) ([]string, error) {
	ix, err := l.read(ctx, index)
	if err != nil {
		return nil, err
	}
	defer l.mu.RUnlock()
	return ix.x.keys(albumID), nil
}

// Compact rewrites the index's log to hold only its live vectors.
func (l *Local) Compact(index string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	ix, err := l.load(context.Background(), index)
	if err != nil {
		return err
	}
	return ix.compact()
}

// read returns the loaded index with l.mu read-locked (the caller unlocks).
func (l *Local) read(ctx context.Context, index string) (*localIndex, error) {
	l.mu.RLock()
	if ix, ok := l.indexes[index]; ok {
		return ix, nil
	}
	l.mu.RUnlock()
	l.mu.Lock()
	_, err := l.load(ctx, index)
	l.mu.Unlock()
	if err != nil {
		return nil, err
	}
	l.mu.RLock()
	return l.indexes[index], nil
}

// load returns the index, replaying its log on first use. l.mu is held.
// With a Source (SetSource), a log that is damaged is set aside and the
// index rebuilt, a missing log is rebuilt, and vectors the face records
// expect but the log lacks are put back (see repair.go).
func (l *Local) load(ctx context.Context, index string) (*localIndex, error) {
	if l.closed {
		return nil, fmt.Errorf("vector store is closed")
	}
	if ix, ok := l.indexes[index]; ok {
		return ix, nil
	}
	if err := ValidateIndexName(index); err != nil {
		return nil, err
	}
	path := filepath.Join(l.dir, index+logExt)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		if l.src != nil {
			return l.rebuildLost(ctx, index)
		}
		return nil, fmt.Errorf("%w: %s", ErrIndexNotFound, index)
	}
	if err != nil {
		return nil, fmt.Errorf("open index %s: %w", index, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open index %s: %w", index, err)
	}
	res, err := replay(f, st.Size())
	if err != nil {
		f.Close()
		if errors.Is(err, ErrCorrupt) && l.src != nil {
			return l.rebuildDamaged(ctx, index, path, err)
		}
		return nil, fmt.Errorf("open index %s (file %s%s): %w", index, index, logExt, err)
	}
	aside := ""
	if res.good < res.size {
		// Drop the torn tail left by a crash so appends follow good data,
		// keeping a copy of it for inspection (it may be damage, not a
		// crash). No fsync here: the next append's fsync makes the new
		// size durable with it, and a tail that reappears after another
		// crash is dropped again.
		if aside, err = keepTail(f, l.dir, index, res.good, res.size); err != nil {
			f.Close()
			return nil, fmt.Errorf("open index %s: keep torn tail: %w", index, err)
		}
		if err := f.Truncate(res.good); err != nil {
			f.Close()
			return nil, fmt.Errorf("open index %s: truncate torn tail: %w", index, err)
		}
	}
	ix := &localIndex{x: res.x, f: f, path: path, size: res.good, entries: res.entries}
	l.indexes[index] = ix
	if l.src != nil {
		problem := ""
		if res.good < res.size {
			problem = fmt.Sprintf("torn tail of %d bytes cut", res.size-res.good)
		}
		l.complete(ctx, index, ix, Repair{Index: index, Problem: problem, SetAside: aside})
	}
	return ix, nil
}

// create writes a new empty log for index. l.mu is held.
func (l *Local) create(ctx context.Context, index string, dim int) error {
	path := filepath.Join(l.dir, index+logExt)
	if err := replaceFile(path, encodeHeader(dim)); err != nil {
		return fmt.Errorf("create index %s: %w", index, err)
	}
	if _, err := l.load(ctx, index); err != nil {
		return fmt.Errorf("create index %s: %w", index, err)
	}
	return nil
}

// append writes one record and fsyncs it. On failure the log is cut back to
// its previous end so that a later append does not follow garbage.
func (ix *localIndex) append(payload []byte, entries int) error {
	if len(payload) > maxRecordSize {
		return fmt.Errorf("append to %s: record of %d bytes is too large", filepath.Base(ix.path), len(payload))
	}
	rec := appendRecord(make([]byte, 0, recHeaderSize+len(payload)), payload)
	if _, err := ix.f.WriteAt(rec, ix.size); err != nil {
		ix.f.Truncate(ix.size)
		return fmt.Errorf("append to %s: %w", filepath.Base(ix.path), err)
	}
	if err := ix.f.Sync(); err != nil {
		ix.f.Truncate(ix.size)
		return fmt.Errorf("append to %s: %w", filepath.Base(ix.path), err)
	}
	ix.size += int64(len(rec))
	ix.entries += entries
	return nil
}

func (l *Local) maybeCompact(ix *localIndex) error {
	if ix.entries < compactMinimum || ix.entries <= 2*ix.x.len() {
		return nil
	}
	return ix.compact()
}

// compact rewrites the log with only the live vectors, through replaceFile.
func (ix *localIndex) compact() error {
	buf := encodeHeader(ix.x.dim)
	batch := make([]Vector, 0, MaxBatch)
	var encErr error
	flush := func() {
		if len(batch) == 0 || encErr != nil {
			return
		}
		p, err := encodePut(batch)
		if err != nil {
			encErr = err
			return
		}
		buf = appendRecord(buf, p)
		batch = batch[:0]
	}
	ix.x.each(func(key string, unit []float32, m *Metadata) {
		batch = append(batch, Vector{Key: key, Data: unit, Metadata: *m})
		if len(batch) == MaxBatch {
			flush()
		}
	})
	flush()
	if encErr != nil {
		return fmt.Errorf("compact %s: %w", ix.path, encErr)
	}
	if err := replaceFile(ix.path, buf); err != nil {
		return fmt.Errorf("compact %s: %w", ix.path, err)
	}
	f, err := os.OpenFile(ix.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("compact %s: reopen: %w", ix.path, err)
	}
	ix.f.Close()
	ix.f = f
	ix.size = int64(len(buf))
	ix.entries = ix.x.len()
	return nil
}

// replaceFile atomically replaces path with data: it writes path+".tmp",
// fsyncs it, renames it over path and fsyncs the directory. A crash leaves
// either the old file or the new one (and maybe a stale .tmp, overwritten by
// the next call).
func replaceFile(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
