package steps

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/vectors"
)

// FaceRecords is the vector store's source of truth (vectors.Source): the
// face records of every album in the pipeline's bucket. An index holds, for
// each album index of its model pack (state/<album>/<pack>/index.json), the
// faces of every photo done, read from the photo's face record when its
// content (ETag) is the one the album index has — exactly what Aggregate
// put. The embedded store rebuilds a damaged or lost log from it.
type FaceRecords struct {
	Steps *Steps
}

var _ vectors.Source = FaceRecords{}

// recordVectors are the vectors of a face record, as Aggregate puts them:
// the faces the quality filter kept (no Filtered reason; the others stay in
// the record only), numbered 0..n-1 in the photo's vector keys, each
// vector's FaceIndex naming its face's place in the record.
func recordVectors(albumID, imageID, packVersion string, rec *domain.FaceRecord) []vectors.Vector {
	vs := make([]vectors.Vector, 0, len(rec.Faces))
	for i, f := range rec.Faces {
		if f.Filtered != "" {
			continue
		}
		vs = append(vs, vectors.Vector{Key: names.VectorKey(albumID, imageID, len(vs)), Data: f.Embedding,
			Metadata: vectors.Metadata{AlbumID: albumID, ImageID: imageID, FaceIndex: i, Pack: packVersion, Box: f.Box, Score: f.Score}})
	}
	return vs
}

// packOf is the pack version and embedding dimension whose index is index.
func (r FaceRecords) packOf(index string) (string, int) {
	for _, name := range r.Steps.Packs.PackNames() {
		p, err := r.Steps.Packs.Pack(name)
		if err != nil {
			continue
		}
		if ix, err := names.IndexForPack(p.Version); err == nil && ix == index {
			return p.Version, p.Recognizer.EmbeddingDim
		}
	}
	return "", 0
}

// albums calls fn with every album index of packVersion, in album order.
// An album index that cannot be read is skipped and named in the error.
func (r FaceRecords) albums(ctx context.Context, b blob.Store, packVersion string, fn func(*domain.AlbumIndex) error) error {
	var albums []string
	err := b.List(ctx, names.StatePrefix, func(info blob.Info) error {
		album, _, _ := strings.Cut(strings.TrimPrefix(info.Key, names.StatePrefix), "/")
		if v, ok := names.PackVersionOfIndexKey(album, info.Key); ok && v == packVersion {
			albums = append(albums, album)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(albums)
	var bad []error
	for _, album := range albums {
		idx, err := r.Steps.loadIndex(ctx, b, album, packVersion)
		if err != nil {
			bad = append(bad, fmt.Errorf("album %s: %w", album, err))
			continue
		}
		if err := fn(idx); err != nil {
			return err
		}
	}
	return errors.Join(bad...)
}

// Expected implements vectors.Source.
func (r FaceRecords) Expected(ctx context.Context, index string) (int, []string, error) {
	version, dim := r.packOf(index)
	if version == "" {
		return 0, nil, nil
	}
	b, err := r.Steps.bucket("")
	if err != nil {
		return 0, nil, err
	}
	var keys []string
	err = r.albums(ctx, b, version, func(idx *domain.AlbumIndex) error {
		for id, e := range idx.Images {
			if e.Status == domain.StatusDone {
				for i := 0; i < e.Faces; i++ {
					keys = append(keys, names.VectorKey(idx.AlbumID, id, i))
				}
			}
		}
		return nil
	})
	return dim, keys, err
}

// Vectors implements vectors.Source, one album at a time.
func (r FaceRecords) Vectors(ctx context.Context, index string, put func([]vectors.Vector) error) error {
	version, _ := r.packOf(index)
	if version == "" {
		return nil
	}
	b, err := r.Steps.bucket("")
	if err != nil {
		return err
	}
	var bad []error
	err = r.albums(ctx, b, version, func(idx *domain.AlbumIndex) error {
		ids := make([]string, 0, len(idx.Images))
		for id, e := range idx.Images {
			if e.Status == domain.StatusDone && e.Faces > 0 {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		var vs []vectors.Vector
		for _, id := range ids {
			var rec domain.FaceRecord
			if err := getJSON(ctx, b, names.RecordKey(idx.AlbumID, version, id), &rec); err != nil {
				bad = append(bad, fmt.Errorf("album %s, photo %s: %w", idx.AlbumID, idx.Images[id].Key, err))
				continue
			}
			if rec.ETag != idx.Images[id].ETag {
				continue // a later run redid the photo; its Aggregate puts it
			}
			vs = append(vs, recordVectors(idx.AlbumID, id, version, &rec)...)
		}
		if len(vs) == 0 {
			return nil
		}
		return put(vs)
	})
	return errors.Join(append(bad, err)...)
}
