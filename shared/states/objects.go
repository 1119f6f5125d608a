package states

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// Objects is the S3-like object store that ItemReader reads and ResultWriter
// writes. The project's blob store implements it; MemObjects is an
// in-memory implementation for tests.
type Objects interface {
	// Get returns the object's bytes, or an error if it does not exist.
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	// Put creates or replaces the object.
	Put(ctx context.Context, bucket, key string, body []byte) error
	// List returns the objects whose keys start with prefix, in key order.
	List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error)
}

// ObjectInfo describes one listed object, as ListObjectsV2 does.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
}

// MemObjects is an in-memory Objects, safe for concurrent use.
type MemObjects struct {
	mu   sync.Mutex
	objs map[string]memObject
	now  func() time.Time
}

type memObject struct {
	body []byte
	mod  time.Time
}

var _ Objects = (*MemObjects)(nil)

// NewMemObjects returns an empty store.
func NewMemObjects() *MemObjects {
	return &MemObjects{objs: map[string]memObject{}, now: func() time.Time { return time.Unix(0, 0).UTC() }}
}

func (m *MemObjects) Get(_ context.Context, bucket, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("get s3://%s/%s: no such key", bucket, key)
	}
	return append([]byte(nil), o.body...), nil
}

func (m *MemObjects) Put(_ context.Context, bucket, key string, body []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objs[bucket+"/"+key] = memObject{body: append([]byte(nil), body...), mod: m.now()}
	return nil
}

func (m *MemObjects) List(_ context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []ObjectInfo
	for k, o := range m.objs {
		b, key, _ := strings.Cut(k, "/")
		if b != bucket || !strings.HasPrefix(key, prefix) {
			continue
		}
		sum := md5.Sum(o.body)
		out = append(out, ObjectInfo{Key: key, Size: int64(len(o.body)), ETag: `"` + hex.EncodeToString(sum[:]) + `"`, LastModified: o.mod})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}
