package steps

import (
	"time"

	"github.com/divinepic/pipeline/shared/domain"
)

// ListInput is ListImages' payload.
type ListInput struct {
	Input         domain.AlbumInput `json:"input"`
	ExecutionName string            `json:"executionName"`
	// The workflow's ${MaxConcurrency} and ${ToleratedFailurePercentage},
	// from which ListImages sizes the batches and the failures tolerated.
	MaxConcurrency             int     `json:"maxConcurrency"`
	ToleratedFailurePercentage float64 `json:"toleratedFailurePercentage"` // 0..100, as the stack allows (2.5 is one)
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
	// PhotosPerChild is ProcessImages' batch (names.PhotosPerChild);
	// ToleratedFailures is ReportFailures' ToleratedFailureCount
	// (names.ToleratedFailures of the photos to process).
	PhotosPerChild    int `json:"photosPerChild"`
	ToleratedFailures int `json:"toleratedFailures"`
}

// DetectInput is one photo of a batch, as ProcessImages' ItemSelector
// builds it.
type DetectInput struct {
	AlbumID string       `json:"albumId"`
	Bucket  string       `json:"bucket"`
	Pack    string       `json:"pack"`
	Image   domain.Image `json:"image"`
	// StartedAt is when the run's ListImages ran: a face record written
	// since is this run's work, done before the batch was redriven.
	StartedAt time.Time `json:"startedAt"`
}

// BatchInput is one child execution's input: ProcessImages' ItemBatcher
// puts the batch's photos under Items.
type BatchInput struct {
	Items []DetectInput `json:"Items"`
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
	// Done: the photo's face record was written earlier in this run (a
	// redriven batch); FaceCount is then the record's faces, nothing was
	// read or written, and EmbedFaces does not run.
	Done bool `json:"done"`
}

// EmbedInput is EmbedFaces' payload: the item plus DetectFaces' result.
type EmbedInput struct {
	DetectInput
	Detect DetectOutput `json:"detect"`
}

// FailuresInput is CollectFailures' payload.
type FailuresInput struct {
	AlbumID       string     `json:"albumId"`
	List          ListOutput `json:"list"`
	Map           *MapResult `json:"map"`
	ExecutionName string     `json:"executionName"`
}

// FailuresOutput is CollectFailures' result: how many photos failed and
// where their list (ReportFailures' items, FailedPhoto) is.
type FailuresOutput struct {
	Failed         int    `json:"failed"`
	FailuresBucket string `json:"failuresBucket"`
	FailuresKey    string `json:"failuresKey"`
}

// FailedPhoto is one item of ReportFailures: a photo that failed, with its
// step's error and cause (its child execution fails with them).
type FailedPhoto struct {
	Image domain.Image `json:"image"`
	Error string       `json:"error"`
	Cause string       `json:"cause"`
}

// AggregateInput is the whole execution state when Aggregate runs.
type AggregateInput struct {
	domain.AlbumInput
	List ListOutput `json:"list"`
	Map  *MapResult `json:"map,omitempty"` // absent when there was nothing to process
	// Failures is CollectFailures' result (absent with nothing to process):
	// its list is spent work once the album is aggregated.
	Failures *FailuresOutput `json:"failures,omitempty"`
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
	LeftOut    int    `json:"leftOut"` // files of the album's directory that could not be imported
	Faces      int    `json:"faces"`
}

// PeopleInput is the whole execution state when People runs: the album's
// input, ListImages' result, and Aggregate's (whose counts People passes
// on as the execution's output).
type PeopleInput struct {
	domain.AlbumInput
	List      ListOutput      `json:"list"`
	Aggregate AggregateOutput `json:"aggregate"`
}

// PeopleOutput is the execution's output: Aggregate's counts and the
// album's people.
type PeopleOutput struct {
	AggregateOutput
	PeopleKey string `json:"peopleKey"`
	People    int    `json:"people"`  // persons of two faces or more
	Grouped   int    `json:"grouped"` // faces grouped (every indexed face)
	Regrouped bool   `json:"regrouped"`
}

// SearchInput asks which photos of an album show the person in a selfie.
type SearchInput struct {
	AlbumID string `json:"albumId"`
	Pack    string `json:"pack,omitempty"`
	Bucket  string `json:"bucket,omitempty"` // the album's bucket; default: the configured one
	// The selfie's bytes (base64 in JSON). Only bytes: a selfie is never
	// stored, and an object key here would let a caller have the search
	// read any object its role may (another album's photos).
	Image []byte `json:"image,omitempty"`
	TopK  int    `json:"topK,omitempty"` // photos to return; default 10
	// MinScore drops photos whose best face scores below it (cosine
	// similarity); nil means DefaultMinScore.
	MinScore *float32 `json:"minScore,omitempty"`
	// OneFace refuses a selfie that shows another face at least half as
	// large as the largest (whose photos would the guest want?), with
	// ReasonSeveralFaces, instead of searching for the largest.
	OneFace bool `json:"oneFace,omitempty"`
	// Index, when set, is the album's index as the caller already read it
	// (the web app keeps it cached: a 10,000-photo album's index is ~2 MB
	// of JSON, most of a search's time to parse). nil: Search reads it.
	Index *domain.AlbumIndex `json:"-"`
}

// SearchMatch is one photo, with its best-matching face.
type SearchMatch struct {
	Key     string     `json:"key"`
	ImageID string     `json:"imageId"`
	Score   float32    `json:"score"`
	Box     [4]float32 `json:"box"`
	// Person is the album person the photo was found through: the selfie
	// matched one of their faces, and this photo shows another (Score and
	// Box are then the matched face's). Empty for a direct match.
	Person string `json:"person,omitempty"`
}

// SearchOutput lists photos best first.
type SearchOutput struct {
	Query  [4]float32    `json:"queryBox"` // the selfie face that was searched for
	Photos []SearchMatch `json:"photos"`
}
