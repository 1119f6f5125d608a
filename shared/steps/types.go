package steps

import "time"

// Image is one item of the Distributed Map: a photo to process.
type Image struct {
	Key     string `json:"key"`
	ETag    string `json:"etag"`
	ImageID string `json:"imageId"`
	Size    int64  `json:"size"`
}

// AlbumInput is the execution's input.
type AlbumInput struct {
	AlbumID   string `json:"albumId"`
	Bucket    string `json:"bucket,omitempty"`    // default: the configured bucket
	Prefix    string `json:"prefix,omitempty"`    // default: albums/<albumId>/
	Reprocess bool   `json:"reprocess,omitempty"` // redo every photo, done or not
	Pack      string `json:"pack,omitempty"`      // model pack name; default: the configured pack
}

// ListInput is ListImages' payload.
type ListInput struct {
	Input         AlbumInput `json:"input"`
	ExecutionName string     `json:"executionName"`
}

// ListOutput is ListImages' result: counts and keys only.
type ListOutput struct {
	Bucket         string    `json:"bucket"`
	Prefix         string    `json:"prefix"`
	ManifestBucket string    `json:"manifestBucket"`
	ManifestKey    string    `json:"manifestKey"`
	Pack           string    `json:"pack"`
	PackVersion    string    `json:"packVersion"`
	Total          int       `json:"total"`
	ToProcess      int       `json:"toProcess"`
	Skipped        int       `json:"skipped"`
	StartedAt      time.Time `json:"startedAt"`
}

// DetectInput is the Map item, as ItemSelector builds it.
type DetectInput struct {
	AlbumID string `json:"albumId"`
	Bucket  string `json:"bucket"`
	Pack    string `json:"pack"`
	Image   Image  `json:"image"`
}

// DetectedFace is a detected face before embedding.
type DetectedFace struct {
	Box       [4]float32    `json:"box"`
	Score     float32       `json:"score"`
	Landmarks [5][2]float32 `json:"landmarks"`
}

// DetectOutput is DetectFaces' result: counts and keys only. The faces
// themselves (boxes, scores, landmarks and aligned chips) are in the work
// object at DetectionsKey, never in the state: a photo of a crowd could
// hold more faces than a state's 256 KB allow.
type DetectOutput struct {
	FaceCount     int    `json:"faceCount"`
	DetectionsKey string `json:"detectionsKey"` // "" when there is no face
	Width         int    `json:"width"`
	Height        int    `json:"height"`
	ETag          string `json:"etag"` // of the photo that was read
}

// Detections is the head of the work object DetectFaces writes: one line
// of JSON, then the faces' aligned chips (face.ChipBytes each, in order).
type Detections struct {
	Faces  []DetectedFace `json:"faces"`
	Width  int            `json:"width"`
	Height int            `json:"height"`
	ETag   string         `json:"etag"`
}

// EmbedInput is EmbedFaces' payload: the item plus DetectFaces' result.
type EmbedInput struct {
	DetectInput
	Detect DetectOutput `json:"detect"`
}

// ItemResult is what one photo's child execution ends with (EmbedFaces,
// NoFaces or RecordFailure).
type ItemResult struct {
	Image  string `json:"image"`
	ETag   string `json:"etag"`   // of the photo the result is about
	Status string `json:"status"` // StatusDone, StatusNoFaces or StatusFailed
	Faces  int    `json:"faces"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// Photo statuses.
const (
	StatusDone    = "done"
	StatusNoFaces = "no_faces"
	StatusFailed  = "failed" // may succeed another time: the nightly job retries it
	// StatusUnreadable: the file itself cannot be decoded (ImageUnreadable).
	// Terminal for this content: it is retried only when its ETag changes.
	StatusUnreadable = "unreadable"
)

// RecordFace is a face in a face record.
type RecordFace struct {
	Box       [4]float32    `json:"box"`
	Score     float32       `json:"score"`
	Landmarks [5][2]float32 `json:"landmarks"`
	Embedding []float32     `json:"embedding"`
}

// FaceRecord is a photo's face record, written under RecordKey.
type FaceRecord struct {
	AlbumID     string       `json:"albumId"`
	ImageID     string       `json:"imageId"`
	Key         string       `json:"key"`
	ETag        string       `json:"etag"`
	Pack        string       `json:"pack"`
	PackVersion string       `json:"packVersion"`
	Width       int          `json:"width"`
	Height      int          `json:"height"`
	Faces       []RecordFace `json:"faces"`
}

// AggregateInput is the whole execution state when Aggregate runs.
type AggregateInput struct {
	AlbumInput
	List ListOutput `json:"list"`
	Map  *MapResult `json:"map,omitempty"` // absent when there was nothing to process
}

// MapResult is where the Distributed Map's ResultWriter put its manifest.
type MapResult struct {
	ResultBucket string `json:"resultBucket"`
	ResultKey    string `json:"resultKey"`
}

// AggregateOutput is Aggregate's result: counts and the summary's key.
type AggregateOutput struct {
	SummaryKey string `json:"summaryKey"`
	Images     int    `json:"images"`
	Processed  int    `json:"processed"`
	Skipped    int    `json:"skipped"`
	Failed     int    `json:"failed"`
	Faces      int    `json:"faces"`
}

// IndexEntry is one photo in the album index.
type IndexEntry struct {
	Key     string `json:"key"`
	ETag    string `json:"etag"`
	ImageID string `json:"imageId"`
	Status  string `json:"status"`
	Faces   int    `json:"faces"`
	Error   string `json:"error,omitempty"`
	Cause   string `json:"cause,omitempty"`
}

// AlbumIndex is what is known done for an album and pack version.
type AlbumIndex struct {
	AlbumID     string                `json:"albumId"`
	PackVersion string                `json:"packVersion"`
	Images      map[string]IndexEntry `json:"images"` // by ImageID
}

// FailedImage is a photo that could not be processed, with the reason.
type FailedImage struct {
	Key   string `json:"key"`
	Error string `json:"error"`
	Cause string `json:"cause"`
}

// Summary is the album summary written under SummaryKey.
type Summary struct {
	AlbumID         string        `json:"albumId"`
	Pack            string        `json:"pack"`
	PackVersion     string        `json:"packVersion"`
	Images          int           `json:"images"`    // photos in the album now
	Processed       int           `json:"processed"` // photos processed by this run (done, no face or failed)
	Skipped         int           `json:"skipped"`   // photos already done, left alone
	Pending         int           `json:"pending"`   // photos that appeared during the run: next run
	NoFaces         int           `json:"noFaces"`   // photos with no face
	Failed          []FailedImage `json:"failed"`
	Faces           int           `json:"faces"`    // faces in the album's index now
	Removed         int           `json:"removed"`  // faces deleted because their photo changed or went
	Restored        int           `json:"restored"` // done photos whose faces the vector store had lost, put back
	StartedAt       time.Time     `json:"startedAt"`
	FinishedAt      time.Time     `json:"finishedAt"`
	DurationSeconds float64       `json:"durationSeconds"`
}

// SearchInput asks which photos of an album show the person in a selfie.
type SearchInput struct {
	AlbumID string `json:"albumId"`
	Pack    string `json:"pack,omitempty"`
	Bucket  string `json:"bucket,omitempty"` // the album's bucket; default: the configured one
	// The selfie: its bytes, or an object (SelfieBucket, default Bucket; SelfieKey).
	Image        []byte `json:"image,omitempty"` // base64 in JSON
	SelfieBucket string `json:"selfieBucket,omitempty"`
	SelfieKey    string `json:"selfieKey,omitempty"`
	TopK         int    `json:"topK,omitempty"` // photos to return; default 10
	// MinScore drops photos whose best face scores below it (cosine
	// similarity); nil means DefaultMinScore.
	MinScore *float32 `json:"minScore,omitempty"`
}

// SearchMatch is one photo, with its best-matching face.
type SearchMatch struct {
	Key     string     `json:"key"`
	ImageID string     `json:"imageId"`
	Score   float32    `json:"score"`
	Box     [4]float32 `json:"box"`
}

// SearchOutput lists photos best first.
type SearchOutput struct {
	Query  [4]float32    `json:"queryBox"` // the selfie face that was searched for
	Photos []SearchMatch `json:"photos"`
}
