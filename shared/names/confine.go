package names

import (
	"fmt"
	"strings"

	"github.com/divinepic/pipeline/shared/domain"
)

// An album's execution may only read photos in the album's own area,
// albums/<album>/: a prefix or a key that its input (or a state built from
// it) carries must lie there, or the input could index another album's
// photos into this one.

// ValidateAlbumPrefix checks that prefix (as a workflow input's "prefix")
// lies in the album's area: AlbumPrefix(albumID) itself or a folder below
// it, with no "." or ".." segment. "" (the default) is accepted.
func ValidateAlbumPrefix(albumID, prefix string) error {
	if prefix == "" {
		return nil
	}
	if !InAlbumArea(albumID, prefix) || !strings.HasSuffix(prefix, "/") {
		return &domain.InvalidInput{Field: "prefix", Reason: fmt.Sprintf("%q is not a folder of album %s's photos: it must be %s or a folder below it, ending in '/'",
			prefix, albumID, AlbumPrefix(albumID))}
	}
	return nil
}

// ValidateAlbumKey checks that a photo key an input names is in the album's
// area; field names the input's field in the error.
func ValidateAlbumKey(albumID, field, key string) error {
	if key == AlbumPrefix(albumID) || !InAlbumArea(albumID, key) {
		return &domain.InvalidInput{Field: field, Reason: fmt.Sprintf("%q is not a photo of album %s (under %s)", key, albumID, AlbumPrefix(albumID))}
	}
	return nil
}

// InAlbumArea says whether key (or prefix) starts with the album's prefix
// and has no empty, "." or ".." segment after it.
func InAlbumArea(albumID, key string) bool {
	rest, ok := strings.CutPrefix(key, AlbumPrefix(albumID))
	if !ok {
		return false
	}
	segs := strings.Split(rest, "/")
	for i, seg := range segs {
		if seg == "." || seg == ".." || seg == "" && i != len(segs)-1 {
			return false
		}
	}
	return true
}
