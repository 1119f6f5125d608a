package steps

import (
	"context"
	"sort"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// Failures is CollectFailures: it reads the batches' results that
// ProcessImages wrote and puts the photos that failed, with their errors
// and causes, in one list (at names.FailuresKey) for ReportFailures, which
// gives each a failed child execution of its own. The batches hold many
// photos per child execution (for cost), so without this a failed photo
// would show in no Map Run's counts.
func (s *Steps) Failures(ctx context.Context, in FailuresInput) (FailuresOutput, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return FailuresOutput{}, err
	}
	pack, err := s.pack(in.List.Pack)
	if err != nil {
		return FailuresOutput{}, err
	}
	b, err := s.bucket(in.List.Bucket)
	if err != nil {
		return FailuresOutput{}, err
	}
	results, err := s.readMapResults(ctx, in.Map)
	if err != nil {
		return FailuresOutput{}, err
	}
	if err := s.keepFinished(ctx, b, in.AlbumID, pack.Version, in.List.StartedAt, results); err != nil {
		return FailuresOutput{}, err
	}
	failed := []FailedPhoto{}
	for _, r := range results {
		if r.Status != domain.StatusFailed {
			continue
		}
		if err := names.ValidateAlbumKey(in.AlbumID, "image", r.Image); err != nil {
			return FailuresOutput{}, err
		}
		failed = append(failed, FailedPhoto{Image: domain.Image{Key: r.Image, ImageID: names.ImageID(r.Image)}, Error: r.Error, Cause: r.Cause})
	}
	sort.Slice(failed, func(i, j int) bool { return failed[i].Image.Key < failed[j].Image.Key })
	out := FailuresOutput{Failed: len(failed)}
	if len(failed) == 0 {
		return out, nil // ReportFailures does not run: no list to write
	}
	out.FailuresBucket, out.FailuresKey = in.List.Bucket, names.FailuresKey(in.AlbumID, pack.Version, in.ExecutionName)
	if err := putJSON(ctx, b, out.FailuresKey, failed); err != nil {
		return FailuresOutput{}, err
	}
	return out, nil
}
