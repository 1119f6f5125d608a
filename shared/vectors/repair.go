package vectors

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// The embedded store is an index of the pipeline's face records, which stay
// the source of truth: whatever happens to a log file, the vectors can be
// put back from them. With a Source, Local checks each index against it
// when it first loads the index:
//
//   - a log that fails to replay (a flipped byte, garbage after the last
//     record, a bad header) is set aside, renamed <index>.vlog.damaged-<UTC
//     time> and never deleted, and the index is rebuilt from the Source; a
//     torn last record (a crash, or damage there) is cut, and kept as
//     <index>.vlog.tail-<UTC time> (the newest keptTails of them: one per
//     crash would otherwise pile up);
//   - a log that is missing is rebuilt from the Source;
//   - a log that lacks vectors the Source expects (cut short, an older copy,
//     a torn tail) gets them back.
//
// So no album's damage stops another's run or search: every album's vectors
// come back, the same as before the damage.

// Source is where an index's vectors come from when the log cannot be
// trusted: the face records of every album.
type Source interface {
	// Expected returns the index's dimension and the key of every vector
	// it should hold (dim 0: the index is no model pack's).
	Expected(ctx context.Context, index string) (dim int, keys []string, err error)
	// Vectors calls put with the vectors of the index, in batches. A record
	// that cannot be read is left out (and named in the error after all
	// the others were put), so one album's damage does not stop the others.
	Vectors(ctx context.Context, index string, put func([]Vector) error) error
}

// Repair is what Local did to an index whose log was damaged, missing or
// incomplete.
type Repair struct {
	Index    string
	Problem  string // what was wrong with the log
	SetAside string // the file name the damaged log (or a cut tail) is kept under, in the store's directory
	Missing  int    // vectors the Source expects that the log lacked
	Restored int    // vectors put back from the Source
	Err      error  // what could not be put back, if anything
}

func (r Repair) String() string {
	s := fmt.Sprintf("vector index %s: %s", r.Index, r.Problem)
	if r.SetAside != "" {
		s += "; the damaged file is kept as " + r.SetAside
	}
	s += fmt.Sprintf("; %d of %d missing vectors put back from the face records", r.Restored, r.Missing)
	if r.Err != nil {
		s += "; not restored: " + r.Err.Error()
	}
	return s
}

// SetSource makes l rebuild damaged, lost and incomplete indexes from src
// when it loads them, and call report (when not nil) after each repair.
// Call it before the first use of an index.
func (l *Local) SetSource(src Source, report func(Repair)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.src, l.report = src, report
}

// Check loads index (repairing it as described above) and returns its
// number of vectors; an index no pack has and no file holds is
// ErrIndexNotFound.
func (l *Local) Check(ctx context.Context, index string) (int, error) {
	ix, err := l.read(ctx, index)
	if err != nil {
		return 0, err
	}
	defer l.mu.RUnlock()
	return ix.x.len(), nil
}

// rebuildLost recreates a missing log from the Source. l.mu is held.
func (l *Local) rebuildLost(ctx context.Context, index string) (*localIndex, error) {
	dim, keys, err := l.src.Expected(ctx, index)
	if err != nil || dim == 0 || len(keys) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrIndexNotFound, index)
	}
	l.pending = &Repair{Index: index, Problem: "the log file is missing"}
	if err := l.create(ctx, index, dim); err != nil {
		return nil, err
	}
	return l.indexes[index], nil
}

// rebuildDamaged sets the damaged log at path aside and rebuilds the index
// from the Source. l.mu is held.
func (l *Local) rebuildDamaged(ctx context.Context, index, path string, damage error) (*localIndex, error) {
	dim := 0
	if f, err := os.Open(path); err == nil {
		hdr := make([]byte, logHeaderSize)
		if _, err := io.ReadFull(f, hdr); err == nil {
			dim, _ = decodeHeader(hdr)
		}
		f.Close()
	}
	if dim == 0 {
		d, _, err := l.src.Expected(ctx, index)
		if err != nil {
			return nil, fmt.Errorf("open index %s: %w; and its face records cannot be read: %v", index, damage, err)
		}
		dim = d
	}
	if dim == 0 {
		return nil, fmt.Errorf("open index %s: %w (no model pack has this index, so it cannot be rebuilt)", index, damage)
	}
	aside := setAsideName(index, "damaged")
	if err := os.Rename(path, filepath.Join(l.dir, aside)); err != nil {
		return nil, fmt.Errorf("open index %s: %w; setting it aside failed: %v", index, damage, err)
	}
	problem := "the log is damaged: " + strings.TrimPrefix(damage.Error(), ErrCorrupt.Error()+": ")
	l.pending = &Repair{Index: index, Problem: problem, SetAside: aside}
	if err := l.create(ctx, index, dim); err != nil {
		return nil, err
	}
	return l.indexes[index], nil
}

// complete puts back from the Source the vectors it expects that ix lacks.
// It never fails the load: what it cannot do is in the report. l.mu is held.
func (l *Local) complete(ctx context.Context, index string, ix *localIndex, r Repair) {
	if l.pending != nil && l.pending.Index == index {
		r, l.pending = *l.pending, nil
	}
	_, keys, err := l.src.Expected(ctx, index)
	if err != nil {
		r.Err = fmt.Errorf("the face records cannot be read: %w", err)
		if r.Problem == "" {
			r.Problem = "not checked"
		}
		l.tell(r)
		return
	}
	for _, k := range keys {
		if _, ok := ix.x.albumOf[k]; !ok {
			r.Missing++
		}
	}
	if r.Missing == 0 {
		if r.Problem != "" {
			l.tell(r)
		}
		return
	}
	if r.Problem == "" {
		r.Problem = fmt.Sprintf("the log lacks %d vectors of the face records", r.Missing)
	}
	var invalid []error
	r.Err = l.src.Vectors(ctx, index, func(vs []Vector) error {
		var lost []Vector
		for _, v := range vs {
			if _, ok := ix.x.albumOf[v.Key]; ok {
				continue
			}
			if err := validateVectors([]Vector{v}, ix.x.dim); err != nil {
				invalid = append(invalid, err)
				continue
			}
			lost = append(lost, v)
		}
		for start := 0; start < len(lost); start += MaxBatch {
			batch := lost[start:min(start+MaxBatch, len(lost))]
			p, err := encodePut(batch)
			if err != nil {
				return err
			}
			if err := ix.append(p, len(batch)); err != nil {
				return err
			}
			ix.x.putAll(batch)
			r.Restored += len(batch)
		}
		return nil
	})
	if len(invalid) > 0 {
		r.Err = errors.Join(r.Err, fmt.Errorf("%d invalid vectors left out: %w", len(invalid), invalid[0]))
	}
	l.tell(r)
}

func (l *Local) tell(r Repair) {
	if l.report != nil {
		l.report(r)
	}
}

// setAsideName is the name a damaged log (what "damaged") or a torn tail
// ("tail") is kept under, in the store's directory.
func setAsideName(index, what string) string {
	return index + logExt + "." + what + "-" + time.Now().UTC().Format("20060102T150405.000000000Z")
}

// keptTails is how many torn tails of an index are kept (the newest): a
// tail is what a crash cut mid-write, worth a look when it is recent.
const keptTails = 5

// keepTail copies the bytes [from, to) of the log f to a file of their own
// and returns its name; older tails of the index beyond keptTails go.
func keepTail(f *os.File, dir, index string, from, to int64) (string, error) {
	tail := make([]byte, to-from)
	if _, err := f.ReadAt(tail, from); err != nil {
		return "", err
	}
	name := setAsideName(index, "tail")
	if err := os.WriteFile(filepath.Join(dir, name), tail, 0o644); err != nil {
		return "", err
	}
	// The names sort by their UTC time: all but the newest keptTails go.
	old, _ := filepath.Glob(filepath.Join(dir, index+logExt+".tail-*"))
	sort.Strings(old)
	for len(old) > keptTails {
		_ = os.Remove(old[0])
		old = old[1:]
	}
	return name, nil
}
