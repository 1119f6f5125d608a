package steps

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
)

// Executions starts album executions of the workflow (Step Functions'
// StartExecution on AWS, the local engine in the embedded mode).
type Executions interface {
	// StartAlbum starts an execution with this name and input. Starting a
	// name that already ran with the same input starts nothing and returns
	// that execution's ARN (Step Functions' idempotent StartExecution).
	StartAlbum(ctx context.Context, name string, in AlbumInput) (arn string, err error)
}

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
}

// ReprocessOutput says what the nightly run found and started.
type ReprocessOutput struct {
	Albums   int         `json:"albums"`
	UpToDate int         `json:"upToDate"`
	Started  []AlbumWork `json:"started"`
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
		if err := ValidateAlbumID(album); err != nil {
			return out, err
		}
		reason, err := s.albumWork(ctx, b, album, pack.Version)
		if err != nil {
			return out, err
		}
		if reason == "" {
			out.UpToDate++
			continue
		}
		w := AlbumWork{AlbumID: album, Reason: reason, ExecutionName: album + "-" + day.UTC().Format("20060102")}
		if !in.DryRun {
			w.ExecutionARN, err = s.Executions.StartAlbum(ctx, w.ExecutionName, AlbumInput{AlbumID: album, Bucket: bucketName, Pack: pack.Name})
			if err != nil {
				return out, fmt.Errorf("start %s: %w", w.ExecutionName, err)
			}
		}
		out.Started = append(out.Started, w)
	}
	return out, nil
}

// listAlbums finds the albums under albums/ (albums/<id>/...).
func listAlbums(ctx context.Context, b blob.Store) ([]string, error) {
	seen := map[string]bool{}
	err := b.List(ctx, "albums/", func(i blob.Info) error {
		rest := strings.TrimPrefix(i.Key, "albums/")
		if id, _, ok := strings.Cut(rest, "/"); ok && id != "" {
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
	err = b.List(ctx, DefaultPrefix(album), func(i blob.Info) error {
		if !isPhotoKey(i.Key) {
			return nil
		}
		id := ImageID(i.Key)
		present[id] = true
		e, ok := idx.Images[id]
		switch {
		case !ok:
			fresh++
		case e.ETag != i.ETag:
			changed++
		case e.Status == StatusFailed:
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
	err := b.List(ctx, "state/"+album+"/", func(i blob.Info) error {
		rest := strings.TrimPrefix(i.Key, "state/"+album+"/")
		if v, file, ok := strings.Cut(rest, "/"); ok && file == "index.json" && v != packVersion {
			out = append(out, v)
		}
		return nil
	})
	return out, err
}
