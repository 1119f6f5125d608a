package steps

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// Executions starts album executions of the workflow (Step Functions'
// StartExecution on AWS, the local engine in the embedded mode).
type Executions interface {
	// StartAlbum starts an execution with this name and input. A name that
	// is already taken (the job ran twice today) starts nothing: it returns
	// that execution's ARN and an error wrapping ErrAlreadyStarted.
	StartAlbum(ctx context.Context, name string, in domain.AlbumInput) (arn string, err error)
}

// ErrAlreadyStarted: an execution of that name exists already
// (domain.ErrAlreadyStarted, which shared/sfnclient's Starter returns).
var ErrAlreadyStarted = domain.ErrAlreadyStarted

// ReprocessInput is the nightly schedule's event (EventBridge Scheduler
// passes {"source", "scheduledTime"}); Albums and DryRun are for people.
type ReprocessInput struct {
	Source        string    `json:"source,omitempty"`
	ScheduledTime time.Time `json:"scheduledTime,omitempty"` // names the day; default now
	Bucket        string    `json:"bucket,omitempty"`
	Pack          string    `json:"pack,omitempty"`
	Albums        []string  `json:"albums,omitempty"` // only these albums (default: every album)
	DryRun        bool      `json:"dryRun,omitempty"` // say what would start, start nothing
}

// AlbumWork is one album that needs a run, and why.
type AlbumWork struct {
	AlbumID       string `json:"albumId"`
	Reason        string `json:"reason"`
	ExecutionName string `json:"executionName"`
	ExecutionARN  string `json:"executionArn,omitempty"`
	Error         string `json:"error,omitempty"` // why it could not be started
}

// ReprocessOutput says what the nightly run found and started. One album's
// trouble never stops the others: it is listed under Errors.
type ReprocessOutput struct {
	Albums         int         `json:"albums"`
	UpToDate       int         `json:"upToDate"`
	Started        []AlbumWork `json:"started"`
	AlreadyStarted []AlbumWork `json:"alreadyStarted,omitempty"` // today's execution exists already
	Errors         []AlbumWork `json:"errors,omitempty"`
}

// Reprocess is the nightly job: it starts one execution per album that has
// new, changed or failed photos, photos that went, or faces from another
// model pack only. The execution name is the album and the day, so the job
// can run twice a night (a Scheduler retry) without starting anything twice.
func (s *Steps) Reprocess(ctx context.Context, in ReprocessInput) (ReprocessOutput, error) {
	if s.Executions == nil && !in.DryRun {
		return ReprocessOutput{}, &domain.InvalidInput{Field: "executions", Reason: "no state machine is configured to start executions on (DIVINEPIC_STATE_MACHINE_ARN)"}
	}
	pack, err := s.pack(in.Pack)
	if err != nil {
		return ReprocessOutput{}, err
	}
	bucketName := in.Bucket
	if bucketName == "" {
		bucketName = s.Bucket
	}
	b, err := s.bucket(bucketName)
	if err != nil {
		return ReprocessOutput{}, err
	}
	albums := in.Albums
	if len(albums) == 0 {
		if albums, err = listAlbums(ctx, b); err != nil {
			return ReprocessOutput{}, err
		}
	}
	day := in.ScheduledTime
	if day.IsZero() {
		day = s.now()
	}
	out := ReprocessOutput{Albums: len(albums), Started: []AlbumWork{}}
	for _, album := range albums {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if err := names.ValidateAlbumID(album); err != nil {
			out.Errors = append(out.Errors, AlbumWork{AlbumID: album, Error: err.Error()})
			continue
		}
		reason, err := s.albumWork(ctx, b, album, pack.Version)
		if err != nil {
			out.Errors = append(out.Errors, AlbumWork{AlbumID: album, Error: err.Error()})
			continue
		}
		if reason == "" {
			out.UpToDate++
			continue
		}
		w := AlbumWork{AlbumID: album, Reason: reason, ExecutionName: names.NightlyExecutionName(album, pack.Name, day)}
		if in.DryRun {
			out.Started = append(out.Started, w)
			continue
		}
		w.ExecutionARN, err = s.Executions.StartAlbum(ctx, w.ExecutionName, domain.AlbumInput{AlbumID: album, Bucket: bucketName, Pack: pack.Name})
		switch {
		case errors.Is(err, ErrAlreadyStarted):
			out.AlreadyStarted = append(out.AlreadyStarted, w)
		case err != nil:
			w.Error = err.Error()
			out.Errors = append(out.Errors, w)
		default:
			out.Started = append(out.Started, w)
		}
	}
	return out, nil
}

// listAlbums finds the albums under albums/ (albums/<id>/...).
func listAlbums(ctx context.Context, b blob.Store) ([]string, error) {
	seen := map[string]bool{}
	err := b.List(ctx, names.AlbumsPrefix, func(i blob.Info) error {
		if id, ok := names.AlbumOfPhotoKey(i.Key); ok {
			seen[id] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids, nil
}

// albumWork compares the album's photos with its index for the pack and
// says what needs doing ("" when nothing does).
func (s *Steps) albumWork(ctx context.Context, b blob.Store, album, packVersion string) (string, error) {
	idx, err := s.loadIndex(ctx, b, album, packVersion)
	if err != nil {
		return "", err
	}
	var fresh, changed, failed int
	present := map[string]bool{}
	err = b.List(ctx, names.AlbumPrefix(album), func(i blob.Info) error {
		if !names.IsPhotoKey(i.Key) {
			return nil
		}
		id := names.ImageID(i.Key)
		present[id] = true
		e, ok := idx.Images[id]
		switch {
		case !ok:
			fresh++
		case e.ETag != i.ETag:
			changed++
		case s.retry(e): // not unreadable content, nor a photo over limits that did not change
			failed++
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	gone := 0
	for id := range idx.Images {
		if !present[id] {
			gone++
		}
	}
	var why []string
	if fresh > 0 && len(idx.Images) == 0 {
		others, err := otherPackVersions(ctx, b, album, packVersion)
		if err != nil {
			return "", err
		}
		if len(others) > 0 {
			why = append(why, fmt.Sprintf("faces from model pack %s only: reprocess with %s", strings.Join(others, ", "), packVersion))
		}
	}
	for _, c := range []struct {
		n    int
		what string
	}{{fresh, "new"}, {changed, "changed"}, {failed, "failed"}, {gone, "removed"}} {
		if c.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return strings.Join(why, ", "), nil
}

// otherPackVersions lists the pack versions the album has an index for,
// other than this one.
func otherPackVersions(ctx context.Context, b blob.Store, album, packVersion string) ([]string, error) {
	var out []string
	err := b.List(ctx, names.AlbumStatePrefix(album), func(i blob.Info) error {
		if v, ok := names.PackVersionOfIndexKey(album, i.Key); ok && v != packVersion {
			out = append(out, v)
		}
		return nil
	})
	return out, err
}
