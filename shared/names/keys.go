package names

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

// The bucket's key layout. Every key is a pure function of the album, the
// model pack version and the photo, so re-running anything overwrites
// instead of duplicating:
//
//	albums/<album>/...                                  the photos (the default prefix)
//	work/<album>/<pack>/manifests/<run>.json             ListImages' manifest of work
//	work/<album>/<pack>/detections/<image>-<etag>.bin    DetectFaces' faces and aligned chips
//	faces/<album>/<pack>/<image>.json                    the photo's face record
//	thumbs/<album>/<image>.jpg                           the photo's thumbnail (the same for every pack)
//	state/<album>/<pack>/index.json                      what is done: key, ETag, status, faces per photo
//	state/<album>/<pack>/summary.json                    the last run's summary
//	state/<album>/leftout.json                           files the last import left out, with why
//	results/                                             the Distributed Map's ResultWriter output
//
// <pack> is the model pack's version string, <image> is ImageID(photo key).
const (
	AlbumsPrefix  = "albums/"
	WorkPrefix    = "work/"
	FacesPrefix   = "faces/"
	ThumbsPrefix  = "thumbs/"
	StatePrefix   = "state/"
	ResultsPrefix = "results/"
)

// ExpiringPrefixes are emptied by the bucket's lifecycle rule after some
// days: the per-photo work area and the Distributed Map's result files.
// Photos, face records and album state are kept.
var ExpiringPrefixes = []string{WorkPrefix, ResultsPrefix}

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

// AlbumPrefix is where an album's photos are: albums/<album>/ (the default
// prefix of an execution's input).
func AlbumPrefix(albumID string) string { return AlbumsPrefix + albumID + "/" }

// AlbumOfPhotoKey returns the album of a key under AlbumsPrefix
// (albums/<album>/...), or false for any other key.
func AlbumOfPhotoKey(key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, AlbumsPrefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "/")
	return id, ok && id != ""
}

func packDir(albumID, packVersion string) string { return albumID + "/" + packVersion }

// WorkAreaPrefix is where the runs of an album with a pack version keep
// their work objects (manifests and detections): work/<album>/<pack>/.
func WorkAreaPrefix(albumID, packVersion string) string {
	return WorkPrefix + packDir(albumID, packVersion) + "/"
}

// ManifestKey is the key of ListImages' manifest for one execution.
func ManifestKey(albumID, packVersion, run string) string {
	return WorkPrefix + packDir(albumID, packVersion) + "/manifests/" + RunSegment(run) + ".json"
}

// FailuresKey is the key of CollectFailures' list of the photos that
// failed in one execution (ReportFailures' items).
func FailuresKey(albumID, packVersion, run string) string {
	return WorkPrefix + packDir(albumID, packVersion) + "/failures/" + RunSegment(run) + ".json"
}

// DetectionsKey is the key of a photo's detections (faces and aligned
// chips) for one version of its content, so two runs of a photo that
// changed in between never mix their faces.
func DetectionsKey(albumID, packVersion, imageID, etag string) string {
	return WorkPrefix + packDir(albumID, packVersion) + "/detections/" + imageID + "-" + safeETag(etag) + ".bin"
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

// RecordPrefix is where an album's face records of a pack version are.
func RecordPrefix(albumID, packVersion string) string {
	return FacesPrefix + packDir(albumID, packVersion) + "/"
}

// RecordKey is the key of a photo's face record.
func RecordKey(albumID, packVersion, imageID string) string {
	return RecordPrefix(albumID, packVersion) + imageID + ".json"
}

// ThumbnailKey is the key of a photo's thumbnail (a small JPEG for the
// album's page, see steps.ThumbnailLongSide). It does not depend on the
// pack: every pack's DetectFaces writes the same picture.
func ThumbnailKey(albumID, imageID string) string {
	return ThumbsPrefix + albumID + "/" + imageID + ".jpg"
}

// AlbumStatePrefix is where an album's indexes and summaries are, one
// folder per pack version: state/<album>/.
func AlbumStatePrefix(albumID string) string { return StatePrefix + albumID + "/" }

const indexFile = "index.json"

// IndexKey is the key of the album's index of processed photos.
func IndexKey(albumID, packVersion string) string {
	return AlbumStatePrefix(albumID) + packVersion + "/" + indexFile
}

// PackVersionOfIndexKey returns the pack version of a key under
// AlbumStatePrefix(albumID) that is an album index, or false.
func PackVersionOfIndexKey(albumID, key string) (string, bool) {
	rest, ok := strings.CutPrefix(key, AlbumStatePrefix(albumID))
	if !ok {
		return "", false
	}
	v, file, ok := strings.Cut(rest, "/")
	return v, ok && v != "" && file == indexFile
}

// LeftOutKey is the key of the list of files of the album's directory that
// the last import left out (domain.LeftOut), for the summary to show.
func LeftOutKey(albumID string) string { return AlbumStatePrefix(albumID) + "leftout.json" }

// SummaryKey is the key of the album's last summary.
func SummaryKey(albumID, packVersion string) string {
	return AlbumStatePrefix(albumID) + packVersion + "/summary.json"
}

// PeopleKey is the key of the album's people (the People step's record).
func PeopleKey(albumID, packVersion string) string {
	return AlbumStatePrefix(albumID) + packVersion + "/people.json"
}

// CorrectionsKey is the key of the photographer's corrections of the
// album's people (merges and splits), kept across reruns.
func CorrectionsKey(albumID, packVersion string) string {
	return AlbumStatePrefix(albumID) + packVersion + "/people-corrections.json"
}

// FaceID names a face of a photo in the album's people: the photo's id and
// the face's place in its face record (stable while the photo is).
func FaceID(imageID string, face int) string { return imageID + "/" + strconv.Itoa(face) }

// ImageOfFaceID returns the photo id of a FaceID.
func ImageOfFaceID(id string) string {
	img, _, _ := strings.Cut(id, "/")
	return img
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

var runSegmentPattern = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// RunSegment makes an execution name safe as a key segment.
func RunSegment(name string) string {
	name = runSegmentPattern.ReplaceAllString(name, "-")
	if name == "" || name == "-" {
		return "run"
	}
	return name
}
