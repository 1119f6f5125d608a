package domain

import "time"

// The records the pipeline stores, and the execution's input. Where each is
// stored is shared/names' key layout; the step handlers (shared/steps) read
// and write them.

// AlbumInput is an album execution's input (StartExecution's input).
type AlbumInput struct {
	AlbumID   string `json:"albumId"`
	Bucket    string `json:"bucket,omitempty"`    // default: the configured bucket
	Prefix    string `json:"prefix,omitempty"`    // default: albums/<albumId>/
	Reprocess bool   `json:"reprocess,omitempty"` // redo every photo, done or not
	Regroup   bool   `json:"regroup,omitempty"`   // group the album's people from scratch
	Pack      string `json:"pack,omitempty"`      // model pack name; default: the configured pack
}

// Image is one item of ListImages' manifest (the Distributed Map's items):
// a photo to process.
type Image struct {
	Key     string `json:"key"`
	ETag    string `json:"etag"` // as listed; "" when the store learns it only by reading the photo (a folder indexed in place)
	ImageID string `json:"imageId"`
	Size    int64  `json:"size"`
}

// Face is one face, everywhere it appears: detected (no embedding yet), in
// a work object, in a face record, in `divinepic faces --json`. Box and
// Landmarks are in the original upright photo's pixels. Landmarks are left
// eye, right eye, nose tip, left and right mouth corner (as seen in the
// photo: "left" is the viewer's left).
type Face struct {
	Box       [4]float32    `json:"box"` // x1, y1, x2, y2
	Score     float32       `json:"score"`
	Landmarks [5][2]float32 `json:"landmarks"`
	Embedding []float32     `json:"embedding,omitempty"` // nil until embedded; L2-normalised
	// Quality is measured when the face is embedded; nil before.
	Quality *FaceQuality `json:"quality,omitempty"`
	// Filtered says why the face is not in the vector store (the quality
	// filter's reason); empty for an indexed face.
	Filtered string `json:"filtered,omitempty"`
}

// FaceQuality is what the quality filter judges a face by (shared/face
// measures it; see face.Measure and face.QualityFilter).
type FaceQuality struct {
	SizePx    float32 `json:"sizePx"`    // the box's shorter side, original photo pixels
	Sharpness float32 `json:"sharpness"` // variance of the Laplacian of the aligned chip's grey levels
	Flatness  float32 `json:"flatness"`  // share of the chip's pixels equal to their four neighbours (drawings: high)
	Yaw       float32 `json:"yaw"`       // degrees, from the landmarks; + is the face turned to the viewer's right
	Pitch     float32 `json:"pitch"`     // degrees, from the landmarks; + is the face tilted up
	Roll      float32 `json:"roll"`      // degrees, the eye line's angle
	Score     float32 `json:"score"`     // the detector's score
	// Geometry is how far the five landmarks are from a human face's
	// layout once pose is allowed for: the RMS residual of their best
	// similarity fit onto the ArcFace template, in template pixels (112
	// wide), 0 for a perfect fit.
	Geometry float32 `json:"geometry"`
}

// Width and Height of the box.
func (f Face) Width() float32  { return f.Box[2] - f.Box[0] }
func (f Face) Height() float32 { return f.Box[3] - f.Box[1] }

// Area of the box.
func (f Face) Area() float32 { return f.Width() * f.Height() }

// Detections is the head of the work object DetectFaces writes: one line
// of JSON, then the faces' aligned chips (face.ChipBytes each, in order).
// Its faces have no embedding.
type Detections struct {
	Faces  []Face `json:"faces"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	ETag   string `json:"etag"`
}

// FaceRecord is a photo's face record, with every face embedded.
type FaceRecord struct {
	AlbumID     string `json:"albumId"`
	ImageID     string `json:"imageId"`
	Key         string `json:"key"`
	ETag        string `json:"etag"`
	Pack        string `json:"pack"`
	PackVersion string `json:"packVersion"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Faces       []Face `json:"faces"`
}

// Person is one person of an album: their faces (names.FaceID), best first;
// the first is the representative.
type Person struct {
	ID    string   `json:"id"`
	Faces []string `json:"faces"`
	// Cell is the coarse cell of PeopleRecord.Cells the person is filed
	// under (shared/people), so that the next incremental run need not
	// file it again.
	Cell int `json:"cell,omitempty"`
}

// PeopleRecord is the album's people, as the People step last grouped them
// (at names.PeopleKey).
type PeopleRecord struct {
	AlbumID     string    `json:"albumId"`
	PackVersion string    `json:"packVersion"`
	Threshold   float32   `json:"threshold"`
	People      []Person  `json:"people"` // most faces first; singletons included
	Faces       int       `json:"faces"`  // faces grouped
	UpdatedAt   time.Time `json:"updatedAt"`
	// Cells are the coarse cells the people are filed under: stored so
	// that an incremental run does not train them again (absent in a
	// record written before they were stored: that run trains them).
	Cells *PeopleCells `json:"cells,omitempty"`
}

// PeopleCells are shared/people's coarse cells: k-means centres of the
// faces, quantised to int8.
type PeopleCells struct {
	Dim     int       `json:"dim"`     // the embeddings' dimension
	Centres []byte    `json:"centres"` // int8 rows, each dim padded to vectors.QStride
	Steps   []float32 `json:"steps"`   // each row's quantisation step
}

// PeopleCorrections are the photographer's corrections of an album's
// people, by face id (at names.CorrectionsKey): they survive reruns.
type PeopleCorrections struct {
	// Together: each pair is one person (a merge: a face of each person).
	Together [][2]string `json:"together,omitempty"`
	// Apart: each pair is never one person (a split: the face taken out,
	// and a face of the person it was taken out of).
	Apart [][2]string `json:"apart,omitempty"`
}

// Status is where a photo stands in an album index and a Map result.
type Status string

// Photo statuses.
const (
	StatusDone    Status = "done"
	StatusNoFaces Status = "no_faces"
	StatusFailed  Status = "failed" // may succeed another time: the nightly job retries it (ImageUnsupported: once the limits change)
	// StatusUnreadable: the file itself cannot be decoded (ImageUnreadable).
	// Terminal for this content: it is retried only when its ETag changes.
	StatusUnreadable Status = "unreadable"
)

// ItemResult is what one photo of a batch ends with (EmbedFaces, NoFaces,
// AlreadyDone or RecordFailure in statemachine.asl.json; a batch's child
// execution ends with one per photo, and a child that failed as a whole
// gives each of its photos its error and cause).
type ItemResult struct {
	Image  string `json:"image"`
	ETag   string `json:"etag"`   // of the photo the result is about
	Status Status `json:"status"` // StatusDone, StatusNoFaces or StatusFailed
	Faces  int    `json:"faces"`
	Error  string `json:"error,omitempty"`
	Cause  string `json:"cause,omitempty"`
}

// IndexEntry is one photo in the album index.
type IndexEntry struct {
	Key     string `json:"key"`
	ETag    string `json:"etag"`
	ImageID string `json:"imageId"`
	Status  Status `json:"status"`
	Faces   int    `json:"faces"`
	Error   string `json:"error,omitempty"`
	Cause   string `json:"cause,omitempty"`
	// Limits are the deployment's limits a photo failed as ImageUnsupported
	// under (imaging.Options.Limits): it is tried again only under others,
	// or when it changes.
	Limits string `json:"limits,omitempty"`
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

// LeftOut is a file of the album's directory that is not one of its photos
// because it cannot be stored: a name that cannot be a key (control
// characters, invalid UTF-8), a file over the size limit, a link that points
// outside the album's directory, a FIFO or device.
type LeftOut struct {
	Name   string `json:"name"`   // its path in the album's directory, names.Printable
	Reason string `json:"reason"` // why, in words a photographer understands
}

// Summary is the album summary written after each run.
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
	LeftOut         []LeftOut     `json:"leftOut"`  // files of the album's directory the last import left out
	Faces           int           `json:"faces"`    // faces in the album's index now
	Removed         int           `json:"removed"`  // faces deleted because their photo changed or went
	Restored        int           `json:"restored"` // done photos whose faces the vector store had lost, put back
	StartedAt       time.Time     `json:"startedAt"`
	FinishedAt      time.Time     `json:"finishedAt"`
	DurationSeconds float64       `json:"durationSeconds"`
}
