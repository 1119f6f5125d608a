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
//	work/<album>/<pack>/detections/<image>-<etag>.bin  DetectFaces' faces and aligned chips
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

// DetectionsKey is the key of a photo's detections (faces and aligned
// chips) for one version of its content, so two runs of a photo that
// changed in between never mix their faces.
func DetectionsKey(albumID, packVersion, imageID, etag string) string {
	return "work/" + packDir(albumID, packVersion) + "/detections/" + imageID + "-" + safeETag(etag) + ".bin"
}

var etagChars = regexp.MustCompile(`[^0-9A-Za-z-]+`)

// safeETag keeps an ETag's letters, digits and '-' (S3 quotes ETags).
func safeETag(etag string) string {
	e := etagChars.ReplaceAllString(etag, "")
	if e == "" {
		return "noetag"
	}
	if len(e) > 64 {
		e = e[:64]
	}
	return e
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

// notPhotos are name endings that are never photos (sidecars and notes);
// every other file is a photo candidate, whatever its name, and the decoder
// tells photos from the rest by content.
var notPhotos = []string{".json", ".txt", ".md", ".csv", ".xml", ".xmp", ".html", ".pdf", ".db", ".ini"}

// IsPhotoKey says whether a key (or file name) is a photo candidate: not a
// folder marker, not a hidden file (".DS_Store" and the like), not a
// sidecar (see notPhotos).
func IsPhotoKey(key string) bool {
	if key == "" || strings.HasSuffix(key, "/") {
		return false
	}
	base := path.Base(key)
	if strings.HasPrefix(base, ".") {
		return false
	}
	ext := strings.ToLower(path.Ext(base))
	for _, n := range notPhotos {
		if ext == n {
			return false
		}
	}
	return true
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
