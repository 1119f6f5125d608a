package steps

import (
	"context"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/names"
)

// removeLeftovers deletes the work objects of the album and pack (manifests
// and detections under names.WorkAreaPrefix) written before this run
// started: what an earlier run left when it crashed or was stopped before
// its Aggregate. Everything such a run did is redone by this one, whose own
// work objects are newer. Best effort: a failure leaves them for the next
// run (and, on AWS, for the bucket's lifecycle rule).
//
// A run of the same album started before this one and still going would
// lose its detections; its photos then fail in that run and are retried by
// the next one, as any failed photo is.
func (s *Steps) removeLeftovers(ctx context.Context, b blob.Store, albumID, packVersion string, started time.Time) {
	if started.IsZero() {
		return
	}
	var old []string
	_ = b.List(ctx, names.WorkAreaPrefix(albumID, packVersion), func(i blob.Info) error {
		if i.LastModified.Before(started) {
			old = append(old, i.Key)
		}
		return nil
	})
	deleteAll(ctx, b, old)
}
