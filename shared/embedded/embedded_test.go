package embedded

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
)

type truth struct {
	Faces    map[string]int    `json:"faces"`
	Rejected map[string]string `json:"rejected"`
}

func loadTruth(t testing.TB) (string, truth) {
	t.Helper()
	dir, err := locate.TestdataDir()
	require.NoError(t, err)
	body, err := os.ReadFile(filepath.Join(dir, "truth.json"))
	require.NoError(t, err)
	var tr truth
	require.NoError(t, json.Unmarshal(body, &tr))
	return dir, tr
}

// makeAlbum copies the named files of the test data into a new directory,
// keeping their relative paths.
func makeAlbum(t testing.TB, src string, files []string) string {
	t.Helper()
	dst := t.TempDir()
	for _, f := range files {
		body, err := os.ReadFile(filepath.Join(src, f))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dst, f), body, 0o644))
	}
	return dst
}

// truthAlbum is every file truth.json counts or rejects, plus three
// portraits to search among (Rob_Lowe_0002.jpg, the selfie, stays out).
func truthAlbum(t testing.TB) (string, truth) {
	src, tr := loadTruth(t)
	var files []string
	for f := range tr.Faces {
		files = append(files, f)
	}
	for f := range tr.Rejected {
		files = append(files, f)
	}
	files = append(files, "faces/Rob_Lowe_0001.jpg", "faces/Nathalie_Baye_0002.jpg", "faces/Mary_Katherine_Smart_0001_5k.jpg")
	sort.Strings(files)
	return makeAlbum(t, src, files), tr
}

func open(t testing.TB, data string, opt Options) *Pipeline {
	t.Helper()
	opt.DataDir = data
	if opt.ToleratedFailurePercentage == 0 {
		// The test albums hold broken files on purpose, far more than the
		// few percent a real album may have.
		opt.ToleratedFailurePercentage = 100
	}
	p, err := Open(context.Background(), opt)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

func vectorKeys(t testing.TB, p *Pipeline, album, packVersion string) []string {
	t.Helper()
	index, err := names.IndexForPack(packVersion)
	require.NoError(t, err)
	keys, err := p.Deps.Vectors.Keys(context.Background(), index, album)
	require.NoError(t, err)
	return keys
}

// expectedKeys is the vector keys the face records call for.
func expectedKeys(recs map[string]domain.FaceRecord) []string {
	var keys []string
	for _, r := range recs {
		n := 0 // the faces the quality filter kept are the photo's vectors 0..n-1
		for _, f := range r.Faces {
			if f.Filtered == "" {
				keys = append(keys, names.VectorKey(r.AlbumID, r.ImageID, n))
				n++
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// TestAlbumEndToEnd runs statemachine.asl.json over an album built from the
// test photos: face counts match truth.json, refused files are failed with
// their reasons while the album succeeds, and search finds Rob Lowe.
func TestAlbumEndToEnd(t *testing.T) {
	dir, tr := truthAlbum(t)
	p := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	_, err := p.Import(ctx, "e2e", dir)
	require.NoError(t, err)

	sum, x, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "e2e"})
	require.NoError(t, err)
	assert.Equal(t, []string{"ListImages", "AnyWork?", "ProcessImages", "CollectFailures", "AnyFailed?", "ReportFailures", "Aggregate", "People", "Done"}, x.Path())
	total := len(tr.Faces) + len(tr.Rejected) + 3
	assert.Equal(t, total, sum.Images)
	assert.Equal(t, total, sum.Processed)
	assert.Equal(t, 1, sum.NoFaces, "view.jpg has no face")

	failed := map[string]domain.FailedImage{}
	for _, f := range sum.Failed {
		failed[strings.TrimPrefix(f.Key, names.AlbumPrefix("e2e"))] = f
	}
	assert.Len(t, failed, len(tr.Rejected))
	for f := range tr.Rejected {
		got, ok := failed[f]
		if assert.True(t, ok, "%s is recorded as failed", f) {
			want := "ImageUnreadable"
			if strings.Contains(f, "bomb") {
				want = "ImageUnsupported" // over this deployment's pixel budget
			}
			assert.Equal(t, want, got.Error, f)
			assert.NotEmpty(t, got.Cause, f)
		}
	}
	assert.Contains(t, failed["formats/empty.jpg"].Cause, "empty")
	assert.Contains(t, failed["formats/bomb_20000x20000.png"].Cause, "megapixels")

	recs, err := p.Faces(ctx, "e2e", "default-1")
	require.NoError(t, err)
	want := 0
	for f, n := range tr.Faces {
		rec, ok := recs[names.AlbumPrefix("e2e")+f]
		if assert.True(t, ok, "a face record for %s", f) {
			assert.Len(t, rec.Faces, n, f)
			want += n
		}
	}
	for _, r := range recs {
		for _, f := range r.Faces {
			assert.Len(t, f.Embedding, 512)
		}
	}
	assert.Equal(t, want+3, sum.Faces, "truth's faces + one per portrait")
	assert.Equal(t, expectedKeys(recs), vectorKeys(t, p, "e2e", "default-1"))

	src, _ := locate.TestdataDir()
	selfie, err := os.ReadFile(filepath.Join(src, "faces/Rob_Lowe_0002.jpg"))
	require.NoError(t, err)
	res, err := p.Steps.Search(ctx, steps.SearchInput{AlbumID: "e2e", Image: selfie, TopK: 5})
	require.NoError(t, err)
	require.NotEmpty(t, res.Photos)
	assert.Equal(t, names.AlbumPrefix("e2e")+"faces/Rob_Lowe_0001.jpg", res.Photos[0].Key)
	for i := 1; i < len(res.Photos); i++ {
		assert.GreaterOrEqual(t, res.Photos[i-1].Score, res.Photos[i].Score, "best first")
	}
}

// smallAlbum is a few photos with faces (and one without), for the tests
// that run an album several times.
func smallAlbum(t testing.TB) string {
	src, _ := loadTruth(t)
	return makeAlbum(t, src, []string{"faces/t1.jpg", "faces/Test1.jpg", "faces/Test3.jpg", "faces/Test7.jpg",
		"faces/view.jpg", "faces/woman_search.jpeg", "faces/Rob_Lowe_0001.jpg", "faces/Nathalie_Baye_0002.jpg"})
}

func TestAlbumIdempotent(t *testing.T) {
	dir := smallAlbum(t)
	p := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	_, err := p.Import(ctx, "idem", dir)
	require.NoError(t, err)

	first, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "idem"})
	require.NoError(t, err)
	assert.Equal(t, 8, first.Processed)
	keys1 := vectorKeys(t, p, "idem", "default-1")
	recs, err := p.Faces(ctx, "idem", "default-1")
	require.NoError(t, err)
	require.Equal(t, expectedKeys(recs), keys1)
	assert.Equal(t, len(keys1), first.Faces)

	t.Run("second run skips everything and changes nothing", func(t *testing.T) {
		again, x, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "idem"})
		require.NoError(t, err)
		assert.Equal(t, 0, again.Processed)
		assert.Equal(t, 8, again.Skipped)
		assert.Equal(t, first.Faces, again.Faces)
		assert.Equal(t, keys1, vectorKeys(t, p, "idem", "default-1"))
		assert.NotContains(t, x.Path(), "ProcessImages", "nothing to do: AnyWork? goes straight to Aggregate")
	})

	t.Run("reprocess redoes everything under the same keys", func(t *testing.T) {
		re, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "idem", Reprocess: true})
		require.NoError(t, err)
		assert.Equal(t, 8, re.Processed)
		assert.Equal(t, keys1, vectorKeys(t, p, "idem", "default-1"))
	})

	t.Run("a removed photo loses its faces, a changed one is redone", func(t *testing.T) {
		require.NoError(t, os.Remove(filepath.Join(dir, "faces/Test7.jpg")))
		src, _ := locate.TestdataDir()
		// Test3.jpg now holds Test1's photo: a new ETag, one face instead of three.
		body, err := os.ReadFile(filepath.Join(src, "faces/Test1.jpg"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "faces/Test3.jpg"), body, 0o644))
		imp, err := p.Import(ctx, "idem", dir)
		require.NoError(t, err)
		assert.Equal(t, ImportResult{Copied: 1, Unchanged: 6, Removed: 1}, imp)

		s, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "idem"})
		require.NoError(t, err)
		assert.Equal(t, 1, s.Processed, "only the changed photo")
		assert.Equal(t, 7, s.Images)
		assert.Equal(t, first.Faces-7-2, s.Faces, "Test7's 7 faces gone, Test3 went from 3 faces to 1")
		recs, err := p.Faces(ctx, "idem", "default-1")
		require.NoError(t, err)
		assert.NotContains(t, recs, names.AlbumPrefix("idem")+"faces/Test7.jpg")
		assert.Len(t, recs[names.AlbumPrefix("idem")+"faces/Test3.jpg"].Faces, 1)
		assert.Equal(t, expectedKeys(recs), vectorKeys(t, p, "idem", "default-1"))
	})

	t.Run("another model pack goes to its own index", func(t *testing.T) {
		s, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "idem", Pack: "scrfd-500m"})
		require.NoError(t, err)
		assert.Equal(t, 7, s.Processed)
		assert.Equal(t, "scrfd-500m-1", s.PackVersion)
		other := vectorKeys(t, p, "idem", "scrfd-500m-1")
		assert.Len(t, other, s.Faces)
		recs, err := p.Faces(ctx, "idem", "default-1")
		require.NoError(t, err)
		assert.Equal(t, expectedKeys(recs), vectorKeys(t, p, "idem", "default-1"), "the default pack's index is untouched")
	})
}

func TestBadAlbumIDIsRefused(t *testing.T) {
	p := open(t, t.TempDir(), Options{})
	for _, id := range []string{"", "../x", "a/b", "-x", strings.Repeat("a", 65), "a b"} {
		_, _, err := p.RunAlbum(context.Background(), domain.AlbumInput{AlbumID: id})
		var bad *domain.InvalidInput
		assert.ErrorAs(t, err, &bad, "%q", id)
		_, err = p.Import(context.Background(), id, t.TempDir())
		assert.ErrorAs(t, err, &bad, "%q", id)
	}
}

// faults fails a share of handler calls with a transient error, half of
// them before the handler runs and half after it (its work done, its answer
// lost), from a seeded source. The same call never fails more than twice in
// a row, so the workflow's retries (4 attempts) always get through and the
// test cannot fail by chance.
type faults struct {
	mu       sync.Mutex
	rng      *rand.Rand
	rate     float64
	injected atomic.Int64
	calls    sync.Map       // step → *atomic.Int64
	streak   map[string]int // payload → failures in a row
}

func (f *faults) wrap(step string, h lambda.Handler) lambda.Handler {
	n, _ := f.calls.LoadOrStore(step, new(atomic.Int64))
	return faultyHandler{h: h, f: f, step: step, n: n.(*atomic.Int64)}
}

func (f *faults) roll(payload []byte) (fail, after bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fail, after = f.rng.Float64() < f.rate, f.rng.IntN(2) == 0
	if f.streak == nil {
		f.streak = map[string]int{}
	}
	key := string(payload)
	if fail && f.streak[key] >= 2 {
		fail = false
	}
	if fail {
		f.streak[key]++
	} else {
		f.streak[key] = 0
	}
	return fail, after
}

type faultyHandler struct {
	h    lambda.Handler
	f    *faults
	step string
	n    *atomic.Int64
}

func (h faultyHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	h.n.Add(1)
	fail, after := h.f.roll(payload)
	if fail && !after {
		h.f.injected.Add(1)
		return nil, &domain.TransientStoreError{Op: "injected before " + h.step, Err: io.ErrUnexpectedEOF}
	}
	out, err := h.h.Invoke(ctx, payload)
	if fail && err == nil {
		h.f.injected.Add(1)
		return nil, &domain.TransientStoreError{Op: "injected after " + h.step, Err: io.ErrUnexpectedEOF}
	}
	return out, err
}

func TestAlbumSurvivesTransientFaults(t *testing.T) {
	dir, _ := truthAlbum(t)
	ctx := context.Background()

	clean := open(t, t.TempDir(), Options{})
	_, err := clean.Import(ctx, "faults", dir)
	require.NoError(t, err)
	want, _, err := clean.RunAlbum(ctx, domain.AlbumInput{AlbumID: "faults"})
	require.NoError(t, err)
	wantKeys := vectorKeys(t, clean, "faults", "default-1")

	f := &faults{rng: rand.New(rand.NewPCG(42, 7)), rate: 0.2}
	p := open(t, t.TempDir(), Options{Wrap: f.wrap})
	_, err = p.Import(ctx, "faults", dir)
	require.NoError(t, err)
	got, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "faults"})
	require.NoError(t, err)
	assert.Positive(t, f.injected.Load(), "faults were injected")
	require.Len(t, got.Failed, len(want.Failed), "every transient fault was retried away")
	for _, f := range got.Failed {
		assert.Contains(t, []string{"ImageUnreadable", "ImageUnsupported"}, f.Error, "only the refused photos fail: %s", f.Key)
	}
	assert.Equal(t, want.Processed, got.Processed)
	assert.Equal(t, want.Faces, got.Faces)
	assert.Equal(t, wantKeys, vectorKeys(t, p, "faults", "default-1"), "every photo's faces exactly once")
	t.Logf("%d faults injected", f.injected.Load())
}

// The crash test runs the album in a child process (this test binary) and
// kills it with SIGKILL in the middle; a second run must complete with no
// duplicate and no missing face.
const childEnv = "DIVINEPIC_EMBEDDED_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// runChild: spec is "datadir|albumdir". It prints one line per finished photo.
func runChild(spec string) int {
	data, dir, _ := strings.Cut(spec, "|")
	ctx := context.Background()
	p, err := Open(ctx, Options{DataDir: data, MaxConcurrency: 1})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := p.Import(ctx, "crash", dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, _, err = p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "crash"}, states.WithListener(func(e states.Event) {
		if e.Kind == states.MapItemSucceeded || e.Kind == states.MapItemFailed {
			fmt.Printf("item %d/%d\n", e.Index, e.Total)
		}
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("finished")
	return 0
}

func TestAlbumResumesAfterSIGKILL(t *testing.T) {
	src, _ := loadTruth(t)
	var files []string
	for _, f := range []string{"t1.jpg", "Test1.jpg", "Test3.jpg", "Test7.jpg", "woman_search.jpeg", "Rob_Lowe_0001.jpg"} {
		files = append(files, "faces/"+f)
	}
	for i := 0; i < 9; i++ {
		files = append(files, fmt.Sprintf("pairs/%d_fn_0.jpg", i), fmt.Sprintf("pairs/%d_fn_1.jpg", i))
	}
	dir := makeAlbum(t, src, files)
	data := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+data+"|"+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	lines := bufio.NewScanner(out)
	done := 0
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "item ") {
			done++
		}
		if done == 6 {
			break
		}
	}
	require.Equal(t, 6, done, "the child got going before it was killed")
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait()
	require.Error(t, err, "the child was killed, not finished")

	p := open(t, data, Options{})
	ctx := context.Background()
	_, err = p.Import(ctx, "crash", dir)
	require.NoError(t, err)
	sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "crash"})
	require.NoError(t, err)
	assert.Equal(t, len(files), sum.Images)
	assert.Empty(t, sum.Failed)
	assert.Positive(t, sum.Processed)

	recs, err := p.Faces(ctx, "crash", "default-1")
	require.NoError(t, err)
	assert.Len(t, recs, len(files), "one face record per photo")
	keys := vectorKeys(t, p, "crash", "default-1")
	assert.Equal(t, expectedKeys(recs), keys, "no duplicate, no missing face")
	assert.Equal(t, len(keys), sum.Faces)
	assert.Empty(t, leftovers(t, data, "crash"), "finding 6: the crash's work files are gone after the rerun")

	// A clean run over the same photos gives the same faces.
	clean := open(t, t.TempDir(), Options{})
	_, err = clean.Import(ctx, "crash", dir)
	require.NoError(t, err)
	want, _, err := clean.RunAlbum(ctx, domain.AlbumInput{AlbumID: "crash"})
	require.NoError(t, err)
	assert.Equal(t, want.Faces, sum.Faces)
	assert.Equal(t, vectorKeys(t, clean, "crash", "default-1"), keys)
}

func TestReprocessRunsOnlyAlbumsWithWork(t *testing.T) {
	src, _ := loadTruth(t)
	a := makeAlbum(t, src, []string{"faces/Test1.jpg", "faces/Test3.jpg"})
	b := makeAlbum(t, src, []string{"faces/woman_search.jpeg", "faces/view.jpg"})
	p := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	for id, dir := range map[string]string{"alpha": a, "beta": b} {
		_, err := p.Import(ctx, id, dir)
		require.NoError(t, err)
	}
	day := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)

	// Nothing processed yet: both albums have new photos.
	out, err := p.Reprocess(ctx, steps.ReprocessInput{ScheduledTime: day, DryRun: true})
	require.NoError(t, err)
	require.Len(t, out.Started, 2)
	assert.Equal(t, "2 new", out.Started[0].Reason)
	assert.Equal(t, "alpha-default-20261128", out.Started[0].ExecutionName)

	out, err = p.Reprocess(ctx, steps.ReprocessInput{ScheduledTime: day})
	require.NoError(t, err)
	assert.Len(t, out.Started, 2)
	out, err = p.Reprocess(ctx, steps.ReprocessInput{ScheduledTime: day})
	require.NoError(t, err)
	assert.Empty(t, out.Started, "everything is up to date")
	assert.Equal(t, 2, out.UpToDate)

	// beta loses a photo and gains a broken one; alpha is left alone.
	require.NoError(t, os.Remove(filepath.Join(b, "faces/view.jpg")))
	require.NoError(t, os.WriteFile(filepath.Join(b, "broken.jpg"), []byte("not a photo"), 0o644))
	_, err = p.Import(ctx, "beta", b)
	require.NoError(t, err)
	out, err = p.Reprocess(ctx, steps.ReprocessInput{ScheduledTime: day.Add(24 * time.Hour)})
	require.NoError(t, err)
	require.Len(t, out.Started, 1)
	assert.Equal(t, "beta", out.Started[0].AlbumID)
	assert.Equal(t, "1 new, 1 removed", out.Started[0].Reason)
	assert.Equal(t, "beta-default-20261129", out.Started[0].ExecutionName)

	// The broken photo cannot be decoded: that content is not tried again
	// every night (a new version of the file would be).
	out, err = p.Reprocess(ctx, steps.ReprocessInput{ScheduledTime: day.Add(48 * time.Hour), DryRun: true})
	require.NoError(t, err)
	assert.Empty(t, out.Started)
	assert.Equal(t, 2, out.UpToDate)

	// Another model pack: every album needs it.
	out, err = p.Reprocess(ctx, steps.ReprocessInput{Pack: "scrfd-500m", DryRun: true})
	require.NoError(t, err)
	require.Len(t, out.Started, 2)
	assert.Contains(t, out.Started[0].Reason, "faces from model pack default-1 only")
}

// The vector store lost the album's faces (a deleted file, a replaced
// index): the next run puts them back from the face records.
func TestLostVectorsAreRestored(t *testing.T) {
	dir := smallAlbum(t)
	data := t.TempDir()
	ctx := context.Background()
	p := open(t, data, Options{})
	_, err := p.Import(ctx, "lost", dir)
	require.NoError(t, err)
	first, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "lost"})
	require.NoError(t, err)
	keys := vectorKeys(t, p, "lost", "default-1")
	require.NoError(t, p.Close())

	require.NoError(t, os.RemoveAll(filepath.Join(data, "vectors")))
	p = open(t, data, Options{})
	again, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "lost"})
	require.NoError(t, err)
	assert.Equal(t, 0, again.Processed, "nothing is decoded again")
	assert.Equal(t, 0, again.Restored, "the store rebuilt itself from the face records before Aggregate looked")
	assert.Equal(t, first.Faces, again.Faces)
	assert.Equal(t, keys, vectorKeys(t, p, "lost", "default-1"))
}

// Without the models, an album fails at once with the resolver's message,
// instead of recording every photo as failed.
func TestMissingModelsFailTheAlbumUpFront(t *testing.T) {
	dir := smallAlbum(t)
	t.Setenv("DIVINEPIC_SHARED", t.TempDir())
	t.Setenv("DIVINEPIC_CACHE", t.TempDir())
	t.Setenv("DIVINEPIC_MODELS", "")
	// No download either, even on a machine with internet.
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1")
	t.Setenv("https_proxy", "http://127.0.0.1:1")
	p := open(t, t.TempDir(), Options{})
	ctx := context.Background()
	_, err := p.Import(ctx, "nomodels", dir)
	require.NoError(t, err)
	_, x, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: "nomodels"})
	require.Error(t, err)
	assert.Nil(t, x, "no execution was started")
	assert.Contains(t, err.Error(), "yunet_s_dynamic.onnx is not available")
	assert.Contains(t, err.Error(), "make models")
}

func TestDataDirectoryInUseSaysWhatToDo(t *testing.T) {
	data := t.TempDir()
	open(t, data, Options{})
	_, err := Open(context.Background(), Options{DataDir: data})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "in use by another divinepic process")
	assert.Contains(t, err.Error(), "--data")
}
