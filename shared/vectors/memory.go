package vectors

import (
	"context"
	"fmt"
	"sync"
)

// Memory is a Store held in memory, for tests of other packages. Its Query
// is exact. It is safe for concurrent use.
type Memory struct {
	mu      sync.RWMutex
	indexes map[string]*exactIndex
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{indexes: map[string]*exactIndex{}} }

// EnsureIndex implements Store.
func (m *Memory) EnsureIndex(ctx context.Context, index string, dim int) error {
	if err := checkIndexArgs(index, dim); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if x, ok := m.indexes[index]; ok {
		return sameDim(index, x.dim, dim)
	}
	m.indexes[index] = newExactIndex(dim)
	return nil
}

// Put implements Store.
func (m *Memory) Put(ctx context.Context, index string, vs []Vector) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, err := m.get(index)
	if err != nil {
		return err
	}
	if err := validateVectors(vs, x.dim); err != nil {
		return fmt.Errorf("put into index %s: %w", index, err)
	}
	x.putAll(vs)
	return nil
}

// Delete implements Store.
func (m *Memory) Delete(ctx context.Context, index string, keys []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	x, err := m.get(index)
	if err != nil {
		return err
	}
	for _, k := range keys {
		x.delete(k)
	}
	return nil
}

// Query implements Store.
func (m *Memory) Query(ctx context.Context, index string, q []float32, k int, albumID string) ([]Match, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	x, err := m.get(index)
	if err != nil {
		return nil, err
	}
	if err := checkQuery(index, q, k, x.dim); err != nil {
		return nil, err
	}
	return x.query(q, k, albumID), nil
}

// Keys implements Store.
func (m *Memory) Keys(ctx context.Context, index string, albumID string) ([]string, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	x, err := m.get(index)
	if err != nil {
		return nil, err
	}
	return x.keys(albumID), nil
}

func (m *Memory) get(index string) (*exactIndex, error) {
	if err := ValidateIndexName(index); err != nil {
		return nil, err
	}
	x, ok := m.indexes[index]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrIndexNotFound, index)
	}
	return x, nil
}

func checkIndexArgs(index string, dim int) error {
	if err := ValidateIndexName(index); err != nil {
		return err
	}
	if err := validateDim(dim); err != nil {
		return fmt.Errorf("index %s: %w", index, err)
	}
	return nil
}

func sameDim(index string, have, want int) error {
	if have != want {
		return fmt.Errorf("%w: index %s has dimension %d, not %d", ErrDimensionMismatch, index, have, want)
	}
	return nil
}

func checkQuery(index string, q []float32, k, dim int) error {
	if err := validateK(k); err != nil {
		return fmt.Errorf("query index %s: %w", index, err)
	}
	if err := checkData("query vector", q, dim); err != nil {
		return fmt.Errorf("query index %s: %w", index, err)
	}
	return nil
}
