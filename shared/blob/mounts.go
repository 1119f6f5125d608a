package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/divinepic/pipeline/shared/domain"
)

// Mounts is a Buckets that serves some key prefixes of some buckets from
// other Stores, and everything else from its base: the embedded pipeline
// mounts a photographer's Folder at albums/<album>/ so that the steps read
// the photos where they are, with the keys they always had. Key
// prefix+k of a mounted bucket is key k of the mounted store; keys of the
// base under a mounted prefix are hidden. Mounting is safe while the
// stores are in use.
type Mounts struct {
	base Buckets
	mu   sync.RWMutex
	at   map[string]map[string]Store // bucket → prefix → store
}

var (
	_ Buckets      = (*Mounts)(nil)
	_ StatLister   = (*mountedStore)(nil)
	_ ReaderPutter = (*mountedStore)(nil)
	_ StatLister   = (*Folder)(nil)
)

// NewMounts returns Mounts over base with nothing mounted.
func NewMounts(base Buckets) *Mounts {
	return &Mounts{base: base, at: map[string]map[string]Store{}}
}

// Mount serves the keys under prefix (which ends with "/") of bucket from s,
// replacing what was mounted there. A prefix inside another mounted one, or
// around it, is refused.
func (m *Mounts) Mount(bucket, prefix string, s Store) error {
	if err := ValidateBucket(bucket); err != nil {
		return err
	}
	if !strings.HasSuffix(prefix, "/") || ValidateKey(strings.TrimSuffix(prefix, "/")) != nil {
		return &domain.InvalidInput{Field: "prefix", Reason: fmt.Sprintf("%q: a mount point is a valid key followed by \"/\"", prefix)}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for p := range m.at[bucket] {
		if p != prefix && (strings.HasPrefix(p, prefix) || strings.HasPrefix(prefix, p)) {
			return &domain.InvalidInput{Field: "prefix", Reason: fmt.Sprintf("%q overlaps %q, mounted already", prefix, p)}
		}
	}
	if m.at[bucket] == nil {
		m.at[bucket] = map[string]Store{}
	}
	m.at[bucket][prefix] = s
	return nil
}

// Unmount removes the store mounted at prefix of bucket and returns it (nil
// when there was none).
func (m *Mounts) Unmount(bucket, prefix string) Store {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.at[bucket][prefix]
	delete(m.at[bucket], prefix)
	return s
}

// Mounted returns the store mounted at prefix of bucket, or nil.
func (m *Mounts) Mounted(bucket, prefix string) Store {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.at[bucket][prefix]
}

// Base is the Buckets under the mounts.
func (m *Mounts) Base() Buckets { return m.base }

// Bucket implements Buckets.
func (m *Mounts) Bucket(name string) (Store, error) {
	base, err := m.base.Bucket(name)
	if err != nil {
		return nil, err
	}
	return &mountedStore{m: m, bucket: name, base: base}, nil
}

type mountedStore struct {
	m      *Mounts
	bucket string
	base   Store
}

// route finds the store of key: a mounted one (with the key inside it) or
// the base.
func (s *mountedStore) route(key string) (Store, string, string) {
	s.m.mu.RLock()
	defer s.m.mu.RUnlock()
	for p, st := range s.m.at[s.bucket] {
		if strings.HasPrefix(key, p) {
			return st, p, key[len(p):]
		}
	}
	return s.base, "", key
}

// outer gives a mounted store's answer the outer key.
func outer(prefix string) func(Info, error) (Info, error) {
	return func(info Info, err error) (Info, error) {
		var missing *domain.ObjectMissing
		if errors.As(err, &missing) {
			return info, &domain.ObjectMissing{Key: prefix + missing.Key}
		}
		if err == nil {
			info.Key = prefix + info.Key
		}
		return info, err
	}
}

func (s *mountedStore) Get(ctx context.Context, key string) ([]byte, Info, error) {
	if err := ValidateKey(key); err != nil {
		return nil, Info{}, err
	}
	st, p, k := s.route(key)
	body, info, err := st.Get(ctx, k)
	info, err = outer(p)(info, err)
	return body, info, err
}

func (s *mountedStore) Head(ctx context.Context, key string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	st, p, k := s.route(key)
	return outer(p)(st.Head(ctx, k))
}

func (s *mountedStore) Put(ctx context.Context, key string, body []byte) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	st, p, k := s.route(key)
	return outer(p)(st.Put(ctx, k, body))
}

// PutReader implements ReaderPutter: streamed when the store under key
// streams (the base directory store), buffered otherwise.
func (s *mountedStore) PutReader(ctx context.Context, key string, r io.Reader, wantMD5 string) (Info, error) {
	if err := ValidateKey(key); err != nil {
		return Info{}, err
	}
	st, p, k := s.route(key)
	return outer(p)(PutReader(ctx, st, k, r, wantMD5))
}

func (s *mountedStore) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	st, _, k := s.route(key)
	return st.Delete(ctx, k)
}

// List merges the base's keys (those outside mounted prefixes) with the
// keys of every mounted store the prefix reaches, in key order.
func (s *mountedStore) List(ctx context.Context, prefix string, fn func(Info) error) error {
	return s.list(ctx, prefix, false, fn)
}

// ListStat implements StatLister: List, with the mounted stores that are
// StatListers listed without reading their objects.
func (s *mountedStore) ListStat(ctx context.Context, prefix string, fn func(Info) error) error {
	return s.list(ctx, prefix, true, fn)
}

func (s *mountedStore) list(ctx context.Context, prefix string, stat bool, fn func(Info) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	type part struct {
		at, inner string // the mount point; the prefix to list inside it
		st        Store
	}
	var parts []part
	var mounted []string
	s.m.mu.RLock()
	for p, st := range s.m.at[s.bucket] {
		mounted = append(mounted, p)
		switch {
		case strings.HasPrefix(p, prefix):
			parts = append(parts, part{p, "", st})
		case strings.HasPrefix(prefix, p):
			parts = append(parts, part{p, prefix[len(p):], st})
		}
	}
	s.m.mu.RUnlock()
	if len(parts) == 0 {
		return s.base.List(ctx, prefix, fn)
	}
	var all []Info
	err := s.base.List(ctx, prefix, func(i Info) error {
		for _, p := range mounted {
			if strings.HasPrefix(i.Key, p) {
				return nil // hidden by the mount
			}
		}
		all = append(all, i)
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range parts {
		list := p.st.List
		if sl, ok := p.st.(StatLister); ok && stat {
			list = sl.ListStat
		}
		err := list(ctx, p.inner, func(i Info) error {
			i.Key = p.at + i.Key
			all = append(all, i)
			return nil
		})
		if err != nil {
			return err
		}
	}
	slices.SortFunc(all, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	for _, i := range all {
		if err := fn(i); err != nil {
			return err
		}
	}
	return nil
}
