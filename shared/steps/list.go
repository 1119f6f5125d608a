package steps

import (
	"context"
	"sort"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// List is ListImages: it lists the album's photos, skips those the album
// index has as done with the same ETag (unless reprocess), and writes the
// manifest of the rest for the Distributed Map. It returns counts and keys
// only, never the list itself (a state's payload is at most 256 KB).
func (s *Steps) List(ctx context.Context, in ListInput) (ListOutput, error) {
	a := in.Input
	if err := names.ValidateAlbumID(a.AlbumID); err != nil {
		return ListOutput{}, err
	}
	pack, err := s.pack(a.Pack)
	if err != nil {
		return ListOutput{}, err
	}
	if err := names.ValidateAlbumPrefix(a.AlbumID, a.Prefix); err != nil {
		return ListOutput{}, err
	}
	prefix := a.Prefix
	if prefix == "" {
		prefix = names.AlbumPrefix(a.AlbumID)
	}
	bucketName := a.Bucket
	if bucketName == "" {
		bucketName = s.Bucket
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return ListOutput{}, err
	}
	out := ListOutput{
		Bucket: bucketName, Prefix: prefix, ManifestBucket: bucketName,
		Pack: pack.Name, PackVersion: pack.Version, StartedAt: s.now().UTC(),
	}

	index, err := s.loadIndex(ctx, b, a.AlbumID, pack.Version)
	if err != nil {
		return ListOutput{}, err
	}
	var work []domain.Image
	// A store that learns an ETag only by reading the photo (a folder
	// indexed in place) is listed without reading: a photo the index does
	// not know is work whatever its content, and DetectFaces hashes it while
	// it reads it anyway; only a photo the index knows, whose ETag is not at
	// hand (touched or changed since), is read here to tell which.
	list := b.List
	if sl, ok := b.(blob.StatLister); ok {
		list = sl.ListStat
	}
	objects := 0
	err = list(ctx, prefix, func(info blob.Info) error {
		objects++
		if !names.IsPhotoKey(info.Key) {
			return nil
		}
		img := domain.Image{Key: info.Key, ETag: info.ETag, ImageID: names.ImageID(info.Key), Size: info.Size}
		e, known := index.Images[img.ImageID]
		if known && !a.Reprocess && !s.retry(e) && img.ETag == "" {
			h, err := b.Head(ctx, info.Key)
			if isMissing(err) {
				return nil // gone since it was listed
			}
			if err != nil {
				return err
			}
			img.ETag = h.ETag
		}
		out.Total++
		if known && !a.Reprocess && e.ETag == img.ETag && !s.retry(e) {
			out.Skipped++
			return nil
		}
		work = append(work, img)
		return nil
	})
	if err != nil {
		return ListOutput{}, err
	}
	if out.Total == 0 && len(index.Images) == 0 {
		// Never indexed and no photo: a mistyped album id, or an upload
		// that holds no photo. (An indexed album whose photos all went
		// goes on: Aggregate removes their faces.)
		if objects == 0 {
			return ListOutput{}, &domain.AlbumNotFound{AlbumID: a.AlbumID, Prefix: prefix}
		}
		return ListOutput{}, &domain.AlbumEmpty{AlbumID: a.AlbumID, Prefix: prefix, Objects: objects}
	}
	sort.Slice(work, func(i, j int) bool { return work[i].Key < work[j].Key })
	out.ToProcess = len(work)
	out.PhotosPerChild = names.PhotosPerChild(out.ToProcess, in.MaxConcurrency)
	out.ToleratedFailures = names.ToleratedFailures(out.ToProcess, in.ToleratedFailurePercentage)
	if work == nil {
		work = []domain.Image{}
	}
	out.ManifestKey = names.ManifestKey(a.AlbumID, pack.Version, in.ExecutionName)
	if err := putJSON(ctx, b, out.ManifestKey, work); err != nil {
		return ListOutput{}, err
	}
	return out, nil
}

// loadIndex reads the album index; a missing one is an empty index.
func (s *Steps) loadIndex(ctx context.Context, b blob.Store, albumID, packVersion string) (*domain.AlbumIndex, error) {
	idx := &domain.AlbumIndex{AlbumID: albumID, PackVersion: packVersion, Images: map[string]domain.IndexEntry{}}
	err := getJSON(ctx, b, names.IndexKey(albumID, packVersion), idx)
	if err != nil && !isMissing(err) {
		return nil, err
	}
	if idx.Images == nil {
		idx.Images = map[string]domain.IndexEntry{}
	}
	return idx, nil
}

// retry says whether a photo the index has with its current content is
// worth doing again: a failure that may pass another time, but not a photo
// refused for limits that have not changed since (ImageUnsupported), nor
// done, photo-less or unreadable ones.
func (s *Steps) retry(e domain.IndexEntry) bool {
	if e.Status != domain.StatusFailed {
		return false
	}
	return e.Error != domain.ErrImageUnsupported || e.Limits != s.Decode.Limits()
}
