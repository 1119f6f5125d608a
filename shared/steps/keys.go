package steps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/divinepic/pipeline/shared/domain"
)

// Where things live in the bucket. Every key is a pure function of the
// album, the model pack version and the photo, so re-running anything
// overwrites instead of duplicating.
//
//	albums/<album>/...                      the photos (the default prefix)
//	work/<album>/<pack>/manifests/<run>.json  ListImages' manifest of work
//	work/<album>/<pack>/chips/<image>.bin     DetectFaces' aligned 112x112 chips
//	faces/<album>/<pack>/<image>.json        the photo's face record
//	state/<album>/<pack>/index.json          what is done: key, ETag, status, faces per photo
//	state/<album>/<pack>/summary.json        the last run's summary
//	results/                                 the Distributed Map's ResultWriter output

var albumIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// ValidateAlbumID accepts 1..64 characters of letters, digits, '_' and '-',
// starting with a letter or digit (so an album id is safe in keys, file
// names, vector keys and execution names).
func ValidateAlbumID(id string) error {
	if !albumIDPattern.MatchString(id) {
		return &domain.InvalidInput{Field: "albumId", Reason: fmt.Sprintf("%q must be 1 to 64 letters, digits, '_' or '-', starting with a letter or digit", id)}
	}
	return nil
}

// ImageID is the photo's id within an album: the first 24 hex digits of the
// sha256 of its object key. Deterministic, fixed length, safe everywhere.
func ImageID(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:12])
}

// DefaultPrefix is where an album's photos are when the input names none.
func DefaultPrefix(albumID string) string { return "albums/" + albumID + "/" }

func packDir(albumID, packVersion string) string { return albumID + "/" + packVersion }

// ManifestKey is the key of ListImages' manifest for one execution.
func ManifestKey(albumID, packVersion, run string) string {
	return "work/" + packDir(albumID, packVersion) + "/manifests/" + run + ".json"
}

// ChipsKey is the key of a photo's aligned face chips.
func ChipsKey(albumID, packVersion, imageID string) string {
	return "work/" + packDir(albumID, packVersion) + "/chips/" + imageID + ".bin"
}

// RecordKey is the key of a photo's face record.
func RecordKey(albumID, packVersion, imageID string) string {
	return "faces/" + packDir(albumID, packVersion) + "/" + imageID + ".json"
}

// IndexKey is the key of the album's index of processed photos.
func IndexKey(albumID, packVersion string) string {
	return "state/" + packDir(albumID, packVersion) + "/index.json"
}

// SummaryKey is the key of the album's last summary.
func SummaryKey(albumID, packVersion string) string {
	return "state/" + packDir(albumID, packVersion) + "/summary.json"
}

// VectorKey is a face's key in the vector store: albumId/imageId/faceIndex.
func VectorKey(albumID, imageID string, face int) string {
	return albumID + "/" + imageID + "/" + strconv.Itoa(face)
}

// isPhotoKey says whether a listed key is a photo candidate: not a folder
// marker and not a hidden file (".DS_Store" and the like).
func isPhotoKey(key string) bool {
	if strings.HasSuffix(key, "/") {
		return false
	}
	return !strings.HasPrefix(path.Base(key), ".")
}

var runNamePattern = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// runName makes an execution name safe as a key segment.
func runName(name string) string {
	name = runNamePattern.ReplaceAllString(name, "-")
	if name == "" || name == "-" {
		return "run"
	}
	return name
}
