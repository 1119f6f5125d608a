package steps

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/names"
)

// Detect then Embed on one photo with two faces: the detections object
// holds the faces and chips, the face record their embeddings, and the
// engine saw the photo once for each step's work.
func TestDetectThenEmbed(t *testing.T) {
	faces := []face.Face{faceAt(1, 2, 10, 0.9), faceAt(20, 5, 8, 0.8)}
	s, engines := engineSteps(t, faces...)
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	info := putter(t, b)("albums/a/two.png", string(pngPhoto(t, 64, 48)))
	ctx := context.Background()
	in := DetectInput{AlbumID: "a", Image: domain.Image{Key: info.Key, ETag: info.ETag, Size: info.Size}}

	det, err := s.Detect(ctx, in)
	require.NoError(t, err)
	id := names.ImageID(info.Key)
	assert.Equal(t, DetectOutput{FaceCount: 2, Width: 64, Height: 48, ETag: info.ETag,
		DetectionsKey: names.DetectionsKey("a", "default-1", id, info.ETag)}, det)
	obj, _, err := b.Get(ctx, det.DetectionsKey)
	require.NoError(t, err)
	got, chips, err := decodeDetections(det.DetectionsKey, obj)
	require.NoError(t, err)
	assert.Equal(t, domain.Detections{Faces: faces, Width: 64, Height: 48, ETag: info.ETag}, got)
	require.Len(t, chips, 2)
	assert.Equal(t, byte(2), chips[1][0])

	// The fake's chips are one flat grey each: the default quality filter
	// takes them for drawings, and the record keeps them with the reason.
	res, err := s.Embed(ctx, EmbedInput{DetectInput: in, Detect: det})
	require.NoError(t, err)
	assert.Equal(t, domain.ItemResult{Image: info.Key, ETag: info.ETag, Status: domain.StatusDone, Faces: 0}, res, "no face worth indexing")
	var rec domain.FaceRecord
	require.NoError(t, getJSON(ctx, b, names.RecordKey("a", "default-1", id), &rec))
	want := domain.FaceRecord{AlbumID: "a", ImageID: id, Key: info.Key, ETag: info.ETag, Pack: "default", PackVersion: "default-1",
		Width: 64, Height: 48, Faces: []domain.Face{
			{Box: faces[0].Box, Score: 0.9, Landmarks: faces[0].Landmarks, Embedding: unit(1)},
			{Box: faces[1].Box, Score: 0.8, Landmarks: faces[1].Landmarks, Embedding: unit(2)},
		}}
	for i := range want.Faces {
		q := face.Measure(faces[i], chips[i])
		want.Faces[i].Quality = &q
		want.Faces[i].Filtered = face.DefaultQuality.Reason(want.Faces[i])
		assert.Contains(t, want.Faces[i].Filtered, "a drawing")
	}
	assert.Equal(t, want, rec)

	// With the filter off (NONE), both are indexed.
	s.Quality = face.QualityNone
	res, err = s.Embed(ctx, EmbedInput{DetectInput: in, Detect: det})
	require.NoError(t, err)
	assert.Equal(t, domain.ItemResult{Image: info.Key, ETag: info.ETag, Status: domain.StatusDone, Faces: 2}, res)
	rec = domain.FaceRecord{}
	require.NoError(t, getJSON(ctx, b, names.RecordKey("a", "default-1", id), &rec))
	for i := range want.Faces {
		want.Faces[i].Filtered = ""
	}
	assert.Equal(t, want, rec)

	assert.Equal(t, []engineCall{{Op: "detect", Width: 64, Height: 48}, {Op: "align", Width: 64, Height: 48, N: 2}, {Op: "embed", N: 2}, {Op: "embed", N: 2}},
		engines.engine.Calls())
	assert.Equal(t, []string{"default", "default", "default"}, engines.packs)
}

// A photo with no face gets its empty face record from Detect, and no
// detections object: EmbedFaces does not run for it.
func TestDetectWritesTheRecordOfAPhotoWithNoFace(t *testing.T) {
	s, engines := engineSteps(t)
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	info := putter(t, b)("albums/a/land.png", string(pngPhoto(t, 30, 20)))
	ctx := context.Background()
	out, err := s.Detect(ctx, DetectInput{AlbumID: "a", Bucket: "photos", Pack: "default", Image: domain.Image{Key: info.Key}})
	require.NoError(t, err)
	assert.Equal(t, DetectOutput{Width: 30, Height: 20, ETag: info.ETag}, out)
	var rec domain.FaceRecord
	require.NoError(t, getJSON(ctx, b, names.RecordKey("a", "default-1", names.ImageID(info.Key)), &rec))
	assert.Equal(t, domain.FaceRecord{AlbumID: "a", ImageID: names.ImageID(info.Key), Key: info.Key, ETag: info.ETag,
		Pack: "default", PackVersion: "default-1", Width: 30, Height: 20, Faces: []domain.Face{}}, rec)
	assert.Equal(t, []engineCall{{Op: "detect", Width: 30, Height: 20}}, engines.engine.Calls(), "no alignment without faces")
	work, err := listAll(ctx, b, names.WorkPrefix)
	require.NoError(t, err)
	assert.Empty(t, work, "no detections object")
}

// A photo whose face record this run already wrote (its batch is run
// again after a crash or a redrive) is reported done without being read;
// a record from before the run, of another content or another pack
// version, is not a reason to skip the photo.
func TestDetectSkipsAPhotoThisRunFinished(t *testing.T) {
	s, engines := engineSteps(t)
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	info := putter(t, b)("albums/a/land.png", string(pngPhoto(t, 30, 20)))
	ctx := context.Background()
	in := DetectInput{AlbumID: "a", Bucket: "photos", Pack: "default", Image: domain.Image{Key: info.Key, ETag: info.ETag},
		StartedAt: time.Now().Add(-time.Minute)}
	first, err := s.Detect(ctx, in)
	require.NoError(t, err)
	require.False(t, first.Done)
	require.Len(t, engines.engine.Calls(), 1)

	again, err := s.Detect(ctx, in)
	require.NoError(t, err)
	assert.Equal(t, DetectOutput{Done: true, Width: 30, Height: 20, ETag: info.ETag}, again)
	assert.Len(t, engines.engine.Calls(), 1, "the photo was not detected again")

	for name, in := range map[string]DetectInput{
		"a record from before the run": {AlbumID: "a", Bucket: "photos", Pack: "default", Image: in.Image, StartedAt: time.Now().Add(time.Minute)},
		"another content":              {AlbumID: "a", Bucket: "photos", Pack: "default", Image: domain.Image{Key: info.Key, ETag: "other"}, StartedAt: in.StartedAt},
		"no run start (a direct call)": {AlbumID: "a", Bucket: "photos", Pack: "default", Image: in.Image},
	} {
		calls := len(engines.engine.Calls())
		out, err := s.Detect(ctx, in)
		require.NoError(t, err, name)
		assert.False(t, out.Done, name)
		assert.Len(t, engines.engine.Calls(), calls+1, "%s: detected again", name)
	}
}

// deniedRecords is a store whose face records answer AccessDenied when
// missing, as S3 does to a role that may read but not list the bucket.
type deniedRecords struct{ blob.Store }

func (d deniedRecords) Get(ctx context.Context, key string) ([]byte, blob.Info, error) {
	body, info, err := d.Store.Get(ctx, key)
	if isMissing(err) && strings.HasPrefix(key, names.FacesPrefix) {
		return nil, blob.Info{}, fmt.Errorf("blob: get photos/%s: %w: api error AccessDenied", key, blob.ErrAccessDenied)
	}
	return body, info, err
}

// A photo with no record yet is not done, though S3 says AccessDenied
// rather than NoSuchKey to a detect function that may not list the bucket;
// any other error is an error.
func TestRecordSinceTakesAccessDeniedForNoRecord(t *testing.T) {
	s, _ := engineSteps(t)
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	ctx := context.Background()
	_, done, err := recordSince(ctx, deniedRecords{b}, "a", "default-1", "albums/a/land.png", "", time.Now())
	require.NoError(t, err)
	assert.False(t, done)
	_, _, err = recordSince(ctx, brokenRecords{b}, "a", "default-1", "albums/a/land.png", "", time.Now())
	assert.ErrorContains(t, err, "disk on fire")
}

// brokenRecords fails every read.
type brokenRecords struct{ blob.Store }

func (brokenRecords) Get(context.Context, string) ([]byte, blob.Info, error) {
	return nil, blob.Info{}, errors.New("disk on fire")
}

// errorName is the name the workflow sees for a handler's error: its Go
// type's name, as aws-lambda-go reports it.
func errorName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// Each way Detect fails names what failed, as the workflow's Retry and
// Catch match it, and the engine is not asked when it is not needed.
func TestDetectErrors(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name    string
		in      DetectInput
		body    string // stored at in.Image.Key unless empty
		setup   func(s *Steps, e *fakeEngines)
		want    string // the error's domain name
		message string
		calls   int // engine calls made
	}{
		{name: "bad album id", in: DetectInput{AlbumID: "../x", Image: domain.Image{Key: "albums/a/x.png"}}, want: domain.ErrInvalidInput},
		{name: "no image key", in: DetectInput{AlbumID: "a"}, want: domain.ErrInvalidInput, message: "image.key"},
		{name: "unknown pack", in: DetectInput{AlbumID: "a", Pack: "nope", Image: domain.Image{Key: "albums/a/x.png"}}, want: domain.ErrInvalidInput, message: "pack"},
		{name: "unknown bucket", in: DetectInput{AlbumID: "a", Bucket: "Not A Bucket", Image: domain.Image{Key: "albums/a/x.png"}}, want: domain.ErrInvalidInput, message: "bucket"},
		{name: "too large to read", in: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/x.png", Size: MaxPhotoBytes + 1}}, want: domain.ErrImageUnreadable, message: "file too large: 200 MB"},
		{name: "gone", in: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/gone.png"}}, want: domain.ErrObjectMissing},
		{name: "not an image", in: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/x.png"}}, body: "not a photo", want: domain.ErrImageUnreadable, message: "albums/a/x.png"},
		{name: "over this deployment's pixel budget", in: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/x.png"}}, body: "png",
			setup: func(s *Steps, e *fakeEngines) { s.Decode = imaging.Options{MaxPixels: 100} }, want: domain.ErrImageUnsupported, message: "albums/a/x.png"},
		{name: "engine unavailable", in: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/x.png"}}, body: "png",
			setup: func(s *Steps, e *fakeEngines) { e.err = boom }, want: domain.ErrEngineUnavailable, message: "boom"},
		{name: "detection fails", in: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/x.png"}}, body: "png",
			setup: func(s *Steps, e *fakeEngines) { e.engine.detectErr = boom }, want: domain.ErrEngineError, message: "detect albums/a/x.png", calls: 1},
		{name: "alignment fails", in: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/x.png"}}, body: "png",
			setup: func(s *Steps, e *fakeEngines) { e.engine.alignErr = boom }, want: domain.ErrEngineError, message: "align albums/a/x.png", calls: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, engines := engineSteps(t, faceAt(1, 1, 5, 0.9))
			if c.setup != nil {
				c.setup(s, engines)
			}
			if c.body != "" {
				b, err := s.Blobs.Bucket("photos")
				require.NoError(t, err)
				body := c.body
				if body == "png" {
					body = string(pngPhoto(t, 16, 16))
				}
				putter(t, b)(c.in.Image.Key, body)
			}
			_, err := s.Detect(context.Background(), c.in)
			require.Error(t, err)
			assert.Equal(t, c.want, errorName(err), "%v", err)
			assert.ErrorContains(t, err, c.message)
			assert.Len(t, engines.engine.Calls(), c.calls)
		})
	}
}

func TestEmbedErrors(t *testing.T) {
	boom := errors.New("boom")
	det := domain.Detections{Faces: []domain.Face{faceAt(1, 1, 5, 0.9)}, Width: 16, Height: 16, ETag: "e"}
	good, err := encodeDetections(det, []face.Chip{make(face.Chip, face.ChipBytes)})
	require.NoError(t, err)
	// The detections of albums/a/x.png for a content (ETag): Embed reads no
	// other key.
	key := func(etag string) string {
		return names.DetectionsKey("a", "default-1", names.ImageID("albums/a/x.png"), etag)
	}
	in := func(etag string) EmbedInput {
		return EmbedInput{DetectInput: DetectInput{AlbumID: "a", Image: domain.Image{Key: "albums/a/x.png"}},
			Detect: DetectOutput{FaceCount: 1, ETag: etag, DetectionsKey: key(etag)}}
	}
	cases := []struct {
		name    string
		in      EmbedInput
		setup   func(s *Steps, e *fakeEngines)
		want    string
		message string
		calls   int
	}{
		{name: "bad album id", in: EmbedInput{DetectInput: DetectInput{AlbumID: ""}}, want: domain.ErrInvalidInput},
		{name: "unknown pack", in: EmbedInput{DetectInput: DetectInput{AlbumID: "a", Pack: "nope"}}, want: domain.ErrInvalidInput, message: "pack"},
		{name: "unknown bucket", in: EmbedInput{DetectInput: DetectInput{AlbumID: "a", Bucket: "Not A Bucket"}}, want: domain.ErrInvalidInput, message: "bucket"},
		{name: "nothing to embed", in: EmbedInput{DetectInput: DetectInput{AlbumID: "a"}}, want: domain.ErrInvalidInput, message: "no faces"},
		{name: "detections gone", in: in("gone"), want: domain.ErrObjectMissing},
		{name: "detections corrupt", in: in("corrupt"), want: domain.ErrInvalidInput, message: key("corrupt")},
		{name: "engine unavailable", in: in("good"), setup: func(s *Steps, e *fakeEngines) { e.err = boom }, want: domain.ErrEngineUnavailable},
		{name: "embedding fails", in: in("good"), setup: func(s *Steps, e *fakeEngines) { e.engine.embedErr = boom },
			want: domain.ErrEngineError, message: "embed albums/a/x.png", calls: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, engines := engineSteps(t)
			b, err := s.Blobs.Bucket("photos")
			require.NoError(t, err)
			putter(t, b)(key("good"), string(good))
			putter(t, b)(key("corrupt"), "{}\nshort")
			if c.setup != nil {
				c.setup(s, engines)
			}
			_, err = s.Embed(context.Background(), c.in)
			require.Error(t, err)
			assert.Equal(t, c.want, errorName(err), "%v", err)
			assert.ErrorContains(t, err, c.message)
			assert.Len(t, engines.engine.Calls(), c.calls)
		})
	}
}
