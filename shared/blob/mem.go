package blob

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/divinepic/pipeline/shared/domain"
)

// MemBuckets keeps every bucket in memory. It is meant for the unit tests of
// other packages: it applies the same key and bucket rules and the same
// error types as the S3 and directory stores. The zero value is not usable;
// call NewMem.
type MemBuckets struct {
	mu      sync.Mutex
	buckets map[string]*MemStore
}

var _ Buckets = (*MemBuckets)(nil)

// NewMem returns an empty set of in-memory buckets.
func NewMem() *MemBuckets { return &MemBuckets{buckets: map[string]*MemStore{}} }

// Bucket returns the named bucket, creating it empty on first use. The same
// name always returns the same *MemStore.
func (b *MemBuckets) Bucket(name string) (Store, error) {
	if err := ValidateBucket(name); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.buckets[name]
	if !ok {
		s = &MemStore{name: name, objects: map[string]memObject{}}
		b.buckets[name] = s
	}
	return s, nil
}

// MemStore is one in-memory bucket.
type MemStore struct {
	name    string
	mu      sync.RWMutex
	objects map[string]memObject
}

var _ Store = (*MemStore)(nil)

type memObject struct {
	body []byte
	info Info
}

// Get implements Store.
func (s *MemStore) Get(ctx context.Context, key string) ([]byte, Info, error) {
	if err := s.check(ctx, key); err != nil {
		return nil, Info{}, err
	}
	s.mu.RLock()
	o, ok := s.objects[key]
	s.mu.RUnlock()
	if !ok {
		return nil, Info{}, &domain.ObjectMissing{Key: key}
	}
	return slices.Clone(o.body), o.info, nil
}

// Put implements Store.
func (s *MemStore) Put(ctx context.Context, key string, body []byte) (Info, error) {
	if err := s.check(ctx, key); err != nil {
		return Info{}, err
	}
	o := memObject{
		body: slices.Clone(body),
		info: Info{Key: key, Size: int64(len(body)), ETag: ETagOf(body), LastModified: time.Now().UTC()},
	}
	s.mu.Lock()
	s.objects[key] = o
	s.mu.Unlock()
	return o.info, nil
}

// Head implements Store.
func (s *MemStore) Head(ctx context.Context, key string) (Info, error) {
	if err := s.check(ctx, key); err != nil {
		return Info{}, err
	}
	s.mu.RLock()
	o, ok := s.objects[key]
	s.mu.RUnlock()
	if !ok {
		return Info{}, &domain.ObjectMissing{Key: key}
	}
	return o.info, nil
}

// Delete implements Store.
func (s *MemStore) Delete(ctx context.Context, key string) error {
	if err := s.check(ctx, key); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.objects, key)
	s.mu.Unlock()
	return nil
}

// List implements Store. It takes a snapshot of the matching keys first, so
// fn may call back into the store.
func (s *MemStore) List(ctx context.Context, prefix string, fn func(Info) error) error {
	if err := validatePrefix(prefix); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	var infos []Info
	for k, o := range s.objects {
		if strings.HasPrefix(k, prefix) {
			infos = append(infos, o.info)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
	for _, info := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(info); err != nil {
			return err
		}
	}
	return nil
}

func (s *MemStore) check(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	return ctx.Err()
}
