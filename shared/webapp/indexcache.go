package webapp

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// indexCache keeps the albums' indexes a guest's photo requests read (a
// 10,000-photo album's index is about 2 MB of JSON): a HEAD says whether
// the cached one is still the stored one.
type indexCache struct {
	mu      sync.Mutex
	entries map[string]cachedIndex // by album
}

type cachedIndex struct {
	etag string
	idx  *domain.AlbumIndex
}

// maxCachedIndexes bounds the cache; beyond it, it starts over.
const maxCachedIndexes = 64

// albumIndex returns the album's index for the app's pack (shared by
// concurrent requests: read it, never change it), or
// *domain.ObjectMissing when the album has not been processed.
func (a *App) albumIndex(ctx context.Context, albumID string) (*domain.AlbumIndex, error) {
	key := names.IndexKey(albumID, a.pack.Version)
	info, err := a.bucket.Head(ctx, key)
	if err != nil {
		return nil, err
	}
	c := &a.indexes
	c.mu.Lock()
	e, ok := c.entries[albumID]
	c.mu.Unlock()
	if ok && e.etag == info.ETag {
		return e.idx, nil
	}
	body, got, err := a.bucket.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	var idx domain.AlbumIndex
	if err := json.Unmarshal(body, &idx); err != nil {
		return nil, fmt.Errorf("album index %s: %w", albumID, err)
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCachedIndexes {
		c.entries = map[string]cachedIndex{}
	}
	c.entries[albumID] = cachedIndex{etag: got.ETag, idx: &idx}
	c.mu.Unlock()
	return &idx, nil
}
