package steps

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
)

// fakeExecutions records the executions it is asked to start. A name in
// taken exists already; an album in fail cannot be started.
type fakeExecutions struct {
	taken map[string]bool
	fail  map[string]error

	mu      sync.Mutex
	started []startCall
}

type startCall struct {
	Name  string
	Input domain.AlbumInput
}

var _ Executions = (*fakeExecutions)(nil)

func (f *fakeExecutions) StartAlbum(ctx context.Context, name string, in domain.AlbumInput) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.started = append(f.started, startCall{name, in})
	arn := "arn:aws:states:local:000000000000:execution:divinepic:" + name
	if f.taken[name] {
		return arn, fmt.Errorf("start %s: %w", name, ErrAlreadyStarted)
	}
	if err := f.fail[in.AlbumID]; err != nil {
		return "", err
	}
	return arn, nil
}

// reprocessBucket stores albums in every state the nightly job tells apart:
// up to date (done, unreadable), with new, changed, failed and removed
// photos, indexed with another pack only, and a photo key whose album id is
// not valid.
func reprocessBucket(t *testing.T, s *Steps) {
	t.Helper()
	ctx := context.Background()
	b, err := s.Blobs.Bucket("photos")
	require.NoError(t, err)
	put := putter(t, b)
	index := func(album, packVersion string, es ...domain.IndexEntry) {
		idx := domain.AlbumIndex{AlbumID: album, PackVersion: packVersion, Images: map[string]domain.IndexEntry{}}
		for _, e := range es {
			e.ImageID = names.ImageID(e.Key)
			idx.Images[e.ImageID] = e
		}
		require.NoError(t, putJSON(ctx, b, names.IndexKey(album, packVersion), idx))
	}
	done := put("albums/current/a.jpg", "a")
	unreadable := put("albums/current/b.jpg", "b")
	put("albums/current/notes.txt", "not a photo")
	index("current", "default-1", domain.IndexEntry{Key: done.Key, ETag: done.ETag, Status: domain.StatusDone, Faces: 1},
		domain.IndexEntry{Key: unreadable.Key, ETag: unreadable.ETag, Status: domain.StatusUnreadable})

	same := put("albums/busy/same.jpg", "same")
	put("albums/busy/new.jpg", "new")
	changed := put("albums/busy/changed.jpg", "changed now")
	failed := put("albums/busy/failed.jpg", "failed")
	index("busy", "default-1", domain.IndexEntry{Key: same.Key, ETag: same.ETag, Status: domain.StatusDone},
		domain.IndexEntry{Key: changed.Key, ETag: "before", Status: domain.StatusDone},
		domain.IndexEntry{Key: failed.Key, ETag: failed.ETag, Status: domain.StatusFailed},
		domain.IndexEntry{Key: "albums/busy/gone.jpg", ETag: "x", Status: domain.StatusDone})

	put("albums/oldpack/a.jpg", "a")
	index("oldpack", "default-0")
}

func TestReprocess(t *testing.T) {
	day := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC)
	name := func(album string) string { return names.NightlyExecutionName(album, "default", day) }
	cases := []struct {
		name     string
		in       ReprocessInput
		taken    map[string]bool
		fail     map[string]error
		want     ReprocessOutput
		starts   []string // albums started (asked to start)
		noEngine bool     // no Executions configured
	}{
		{
			name: "every album: the ones with work start, with the reasons",
			in:   ReprocessInput{Source: "aws.scheduler", ScheduledTime: day},
			want: ReprocessOutput{Albums: 3, UpToDate: 1, Started: []AlbumWork{
				{AlbumID: "busy", Reason: "1 new, 1 changed, 1 failed, 1 removed", ExecutionName: name("busy"), ExecutionARN: "arn:aws:states:local:000000000000:execution:divinepic:" + name("busy")},
				{AlbumID: "oldpack", Reason: "faces from model pack default-0 only: reprocess with default-1, 1 new", ExecutionName: name("oldpack"), ExecutionARN: "arn:aws:states:local:000000000000:execution:divinepic:" + name("oldpack")},
			}},
			starts: []string{"busy", "oldpack"},
		},
		{
			name:     "a dry run says what would start and needs no state machine",
			in:       ReprocessInput{ScheduledTime: day, DryRun: true, Albums: []string{"busy", "current"}},
			noEngine: true,
			want: ReprocessOutput{Albums: 2, UpToDate: 1, Started: []AlbumWork{
				{AlbumID: "busy", Reason: "1 new, 1 changed, 1 failed, 1 removed", ExecutionName: name("busy")},
			}},
		},
		{
			name:  "an execution of today exists already; another cannot start; a bad album id: the others go on",
			in:    ReprocessInput{ScheduledTime: day, Albums: []string{"busy", "../x", "oldpack"}},
			taken: map[string]bool{name("busy"): true},
			fail:  map[string]error{"oldpack": errors.New("throttled")},
			want: ReprocessOutput{Albums: 3, Started: []AlbumWork{},
				AlreadyStarted: []AlbumWork{{AlbumID: "busy", Reason: "1 new, 1 changed, 1 failed, 1 removed", ExecutionName: name("busy"),
					ExecutionARN: "arn:aws:states:local:000000000000:execution:divinepic:" + name("busy")}},
				Errors: []AlbumWork{
					{AlbumID: "../x", Error: names.ValidateAlbumID("../x").Error()},
					{AlbumID: "oldpack", Reason: "faces from model pack default-0 only: reprocess with default-1, 1 new", ExecutionName: name("oldpack"), Error: "throttled"},
				}},
			starts: []string{"busy", "oldpack"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := testSteps(t)
			reprocessBucket(t, s)
			ex := &fakeExecutions{taken: c.taken, fail: c.fail}
			if !c.noEngine {
				s.Executions = ex
			}
			out, err := s.Reprocess(context.Background(), c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, out)
			var albums []string
			for _, st := range ex.started {
				albums = append(albums, st.Input.AlbumID)
				assert.Equal(t, domain.AlbumInput{AlbumID: st.Input.AlbumID, Bucket: "photos", Pack: "default"}, st.Input)
			}
			assert.Equal(t, c.starts, albums)
		})
	}
}

func TestReprocessErrors(t *testing.T) {
	s, _ := testSteps(t)
	_, err := s.Reprocess(context.Background(), ReprocessInput{})
	var bad *domain.InvalidInput
	require.ErrorAs(t, err, &bad)
	assert.Contains(t, err.Error(), names.EnvStateMachineARN, "says how to configure it")

	s.Executions = &fakeExecutions{}
	_, err = s.Reprocess(context.Background(), ReprocessInput{Pack: "nope"})
	assert.ErrorAs(t, err, &bad)
	_, err = s.Reprocess(context.Background(), ReprocessInput{Bucket: "Not A Bucket"})
	assert.ErrorAs(t, err, &bad)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Reprocess(ctx, ReprocessInput{Albums: []string{"a"}})
	assert.ErrorIs(t, err, context.Canceled)

	// The day defaults to now (the job run by hand).
	reprocessBucket(t, s)
	out, err := s.Reprocess(context.Background(), ReprocessInput{DryRun: true, Albums: []string{"busy"}})
	require.NoError(t, err)
	require.Len(t, out.Started, 1)
	assert.Equal(t, names.NightlyExecutionName("busy", "default", s.now()), out.Started[0].ExecutionName)
}
