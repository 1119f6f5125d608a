// Package embedded runs the whole pipeline on one machine with no cloud:
// statemachine.asl.json in the project's States Language engine, the step
// handlers bound in-process through aws-lambda-go's handler adapter, blobs
// in a local directory and the vector store in a local file, all under one
// data directory; an album's photos are read where they are (a folder
// mounted at the album's prefix, see IndexInPlace) or copied in (Import).
// It is what `divinepic run` and `make run` use, and what the end-to-end
// tests drive.
package embedded

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	pipeline "github.com/divinepic/pipeline"
	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors"
	"github.com/divinepic/pipeline/shared/wiring"
)

// Local values of the definition's deploy-time placeholders.
const (
	Region      = "local"
	Account     = "000000000000"
	MachineName = "divinepic-album"
	// DefaultToleratedFailurePercentage is the share of an album's photos
	// that may fail before the album's Map Run, and so the album, fails.
	DefaultToleratedFailurePercentage = names.DefaultToleratedFailurePercentage
)

// StateMachine is the ARN of the album workflow here (what `divinepic
// serve` serves).
var StateMachine = arn.StateMachine{Region: Region, Account: Account, Name: MachineName}

// Options configure a Pipeline.
type Options struct {
	DataDir                    string // required: every file the pipeline writes is below it
	Pack                       string // default model pack ("" = default)
	MaxConcurrency             int    // Map concurrency; 0 = number of CPUs
	ToleratedFailurePercentage int    // 0 = names.DefaultToleratedFailurePercentage
	Threads                    int    // ONNX intra-op threads per session; 0 = 1
	MaxPixels                  int64  // decoder pixel budget; 0 = the decoder's default
	// Wrap, when set, wraps every step's handler (fault injection in tests).
	Wrap func(step string, h lambda.Handler) lambda.Handler
	// EngineOptions are passed to the States Language engine (clock, ...).
	EngineOptions []states.Option
	// OnRepair hears of each repair of the local vector store (a damaged,
	// lost or incomplete index rebuilt from the face records; see
	// wiring.Deps.OnRepair); nil logs it.
	OnRepair func(vectors.Repair)
	// Blobs and Vectors, when set, replace the local stores under DataDir
	// with other ones by URL (see config.Config): e.g. S3 and S3 Vectors,
	// or servers speaking their protocols.
	Blobs, Vectors string
	// Engines, when set, replace the model packs' face engines (a test's
	// fake engine, for packs whose models are not on this machine).
	Engines steps.Engines
}

// Pipeline is the embedded pipeline, ready to run albums.
type Pipeline struct {
	Deps    *wiring.Deps
	Steps   *steps.Steps
	Engine  *states.Engine
	Machine *states.StateMachine
	Bucket  blob.Store
	// Store keeps the executions run here (<data>/executions.db): `serve`
	// serves them, and an interrupted `run` resumes from them.
	Store   *execstore.Store
	opt     Options
	mounts  *blob.Mounts
	folders map[string]*blob.Folder // by album: the folders mounted at their albums' prefixes
}

// Open builds the pipeline over opt.DataDir.
func Open(ctx context.Context, opt Options) (*Pipeline, error) {
	if opt.DataDir == "" {
		return nil, fmt.Errorf("embedded pipeline: no data directory")
	}
	if err := os.MkdirAll(opt.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("embedded pipeline: data directory: %w", err)
	}
	cfg := config.Embedded(opt.DataDir, opt.Pack)
	cfg.Threads = opt.Threads
	if opt.MaxPixels > 0 {
		cfg.MaxPixels = opt.MaxPixels
	} else if env, err := config.FromEnv(); err == nil {
		cfg.MaxPixels = env.MaxPixels // DIVINEPIC_MAX_PIXELS
	} else {
		return nil, err
	}
	cfg.Workers = maxConcurrency(opt)
	if opt.Blobs != "" {
		cfg.Blobs = opt.Blobs
	}
	if opt.Vectors != "" {
		cfg.Vectors = opt.Vectors
	}
	deps, err := wiring.Build(ctx, cfg)
	if errors.Is(err, vectors.ErrLocked) {
		return nil, fmt.Errorf("data directory %s is in use by another divinepic process (run, search, reprocess or serve): wait for it to finish, or give another --data: %w", opt.DataDir, err)
	}
	if err != nil {
		return nil, err
	}
	deps.OnRepair = opt.OnRepair
	if opt.Engines != nil {
		deps.Steps.Engines = opt.Engines
	}
	// Albums indexed in place: their folders are mounted at their photos'
	// prefixes, so the steps read the photos where they are.
	p := &Pipeline{Deps: deps, Steps: deps.Steps, opt: opt, mounts: blob.NewMounts(deps.Blobs), folders: map[string]*blob.Folder{}}
	deps.Blobs, deps.Steps.Blobs = p.mounts, p.mounts
	if p.Bucket, err = deps.Blobs.Bucket(config.DefaultBucket); err != nil {
		deps.Close()
		return nil, err
	}
	// Opened after the vector store's lock: one process at a time owns the
	// data directory, so executions still RUNNING in the store were left
	// by a process that died (Open marks them FAILED).
	if p.Store, err = execstore.Open(filepath.Join(opt.DataDir, execstore.FileName)); err != nil {
		deps.Close()
		return nil, err
	}
	if err := p.mountFolders(); err != nil {
		p.Close()
		return nil, err
	}
	p.Engine = states.New(append([]states.Option{
		states.WithObjects(Objects{Buckets: deps.Blobs}),
		states.WithAccount(Region, Account),
	}, opt.EngineOptions...)...)
	// One adapter per concurrent invocation, as Lambda runs one execution
	// environment per concurrent invocation.
	for _, step := range deps.Steps.Registry() {
		p.Engine.RegisterFactory(names.FunctionName(step.Name()), func() lambda.Handler {
			h := step.NewHandler()
			if opt.Wrap != nil {
				h = opt.Wrap(step.Name(), h)
			}
			return h
		})
	}
	def, err := Definition(opt)
	if err != nil {
		p.Close()
		return nil, err
	}
	if p.Machine, err = p.Engine.Parse(MachineName, def); err != nil {
		p.Close()
		return nil, fmt.Errorf("statemachine.asl.json: %w", err)
	}
	return p, nil
}

// Definition is statemachine.asl.json with the local substitutions.
func Definition(opt Options) ([]byte, error) {
	conc := maxConcurrency(opt)
	tol := opt.ToleratedFailurePercentage
	if tol <= 0 {
		tol = DefaultToleratedFailurePercentage
	}
	return names.Substitute(pipeline.StateMachineJSON, Substitutions(conc, tol))
}

// maxConcurrency is the Map's concurrency: opt.MaxConcurrency, else one
// photo per CPU. The pipeline loads as many face engines per pack.
func maxConcurrency(opt Options) int {
	if opt.MaxConcurrency > 0 {
		return opt.MaxConcurrency
	}
	return runtime.NumCPU()
}

// Substitutions are the local values of every placeholder.
func Substitutions(maxConcurrency, toleratedPct int) map[string]string {
	vars := map[string]string{
		names.PlaceholderMaxConcurrency:             strconv.Itoa(maxConcurrency),
		names.PlaceholderToleratedFailurePercentage: strconv.Itoa(toleratedPct),
		names.PlaceholderResultBucket:               config.DefaultBucket,
		names.PlaceholderResultPrefix:               names.ResultsPrefix,
	}
	for _, step := range names.WorkflowSteps {
		vars[names.FunctionARNPlaceholder(step)] = arn.Function{Region: Region, Account: Account, Name: names.FunctionName(step)}.String()
	}
	return vars
}

// Close releases the engines, the execution store, the vector store and the
// folders.
func (p *Pipeline) Close() error {
	errs := []error{p.Deps.Close()}
	if p.Store != nil {
		errs = append(errs, p.Store.Close())
	}
	for _, f := range p.folders {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// ImportResult says what Import or IndexInPlace did.
type ImportResult struct {
	// InPlace is the number of photos read where they are (IndexInPlace).
	InPlace int
	// Copied, Unchanged: photos copied into the store, photos whose copy
	// was up to date (Import).
	Copied, Unchanged int
	// Removed: copies of photos gone from the directory (Import), or every
	// copy of the album's photos that an earlier Import left in the store
	// (IndexInPlace).
	Removed int
	// LeftOut lists the files of the directory that are not photos of the
	// album because they cannot be, each with the reason; the album's
	// summary shows them too (names.LeftOutKey).
	LeftOut []domain.LeftOut
}

// IndexInPlace makes dir the album's photos, read where they are: the
// directory is recorded in the data directory (and mounted at the album's
// prefix), nothing is copied, and every later run, reprocess or serve over
// this data directory reads the album's photos from dir. Hidden files and
// directories and sidecars are left out (see blob.Folder, names.IsPhotoKey);
// a symbolic link to a file inside dir is a photo like that file; anything
// else that cannot be a photo of the album is left out with its reason (see
// blob.Folder) and the list is stored for the summary. Copies of the
// album's photos that an earlier Import made are deleted.
func (p *Pipeline) IndexInPlace(ctx context.Context, albumID, dir string) (ImportResult, error) {
	var res ImportResult
	f, err := p.openFolder(albumID, dir)
	if err != nil {
		return res, err
	}
	prefix := names.AlbumPrefix(albumID)
	keys, left, err := f.Scan(ctx, "")
	if err != nil {
		f.Close()
		return res, err
	}
	res.LeftOut = leftOut(prefix, left)
	for _, k := range keys {
		if names.IsPhotoKey(prefix + k) {
			res.InPlace++
		}
	}
	src, err := json.Marshal(folderSource{Dir: f.Dir()})
	if err != nil {
		f.Close()
		return res, err
	}
	if err := writeFileAtomic(filepath.Join(p.folderDir(albumID), sourceFile), src); err != nil {
		f.Close()
		return res, fmt.Errorf("album %s: record its folder: %w", albumID, err)
	}
	if err := p.mount(albumID, f); err != nil {
		return res, err
	}
	// The copies an earlier Import made are no longer read: delete them.
	base, err := p.mounts.Base().Bucket(config.DefaultBucket)
	if err != nil {
		return res, err
	}
	var copies []string
	if err := base.List(ctx, prefix, func(i blob.Info) error { copies = append(copies, i.Key); return nil }); err != nil {
		return res, err
	}
	for _, k := range copies {
		if err := base.Delete(ctx, k); err != nil {
			return res, err
		}
		res.Removed++
	}
	if err := p.storeLeftOut(ctx, albumID, res.LeftOut); err != nil {
		return res, err
	}
	return res, nil
}

// Import makes the album's photos in the store copies of the files of dir
// (hidden files and sidecars aside, see names.IsPhotoKey): new and changed
// files are copied, files gone from dir are removed from the album. What
// is a photo and what is left out is as for IndexInPlace, and the list of
// left-out files is stored for the summary. An album indexed in place is no
// longer: its photos are the copies from now on.
func (p *Pipeline) Import(ctx context.Context, albumID, dir string) (ImportResult, error) {
	var res ImportResult
	f, err := p.openFolder(albumID, dir)
	if err != nil {
		return res, err
	}
	defer f.Close()
	if err := p.unmount(albumID); err != nil {
		return res, err
	}
	prefix := names.AlbumPrefix(albumID)
	have := map[string]string{} // key → ETag
	if err := p.Bucket.List(ctx, prefix, func(i blob.Info) error { have[i.Key] = i.ETag; return nil }); err != nil {
		return res, err
	}
	keys, left, err := f.Scan(ctx, "")
	if err != nil {
		return res, err
	}
	res.LeftOut = leftOut(prefix, left)
	seen := map[string]bool{}
	for _, k := range keys {
		key := prefix + k
		if !names.IsPhotoKey(key) {
			continue
		}
		seen[key] = true
		// Every file is read and compared with its copy by the store's own
		// ETag (MD5), as copying always did.
		body, _, err := f.Get(ctx, k)
		if err != nil {
			return res, fmt.Errorf("import %s: %w", dir, err)
		}
		if have[key] == blob.ETagOf(body) {
			res.Unchanged++
			continue
		}
		if _, err := p.Bucket.Put(ctx, key, body); err != nil {
			return res, fmt.Errorf("import %s: %w", dir, err)
		}
		res.Copied++
	}
	for key := range have {
		if !seen[key] {
			if err := p.Bucket.Delete(ctx, key); err != nil {
				return res, err
			}
			res.Removed++
		}
	}
	if err := p.storeLeftOut(ctx, albumID, res.LeftOut); err != nil {
		return res, err
	}
	return res, nil
}

// storeLeftOut keeps the import's left-out files where Aggregate reads them
// for the summary; an import that leaves nothing out removes the list.
func (p *Pipeline) storeLeftOut(ctx context.Context, albumID string, left []domain.LeftOut) error {
	key := names.LeftOutKey(albumID)
	if len(left) == 0 {
		return p.Bucket.Delete(ctx, key)
	}
	body, err := json.Marshal(left)
	if err != nil {
		return err
	}
	_, err = p.Bucket.Put(ctx, key, body)
	return err
}

// leftOut is the folder's left-out files that would be photos of the album
// (hidden files and sidecars are never reported), their names made safe to
// print.
func leftOut(prefix string, left []blob.Left) []domain.LeftOut {
	var out []domain.LeftOut
	for _, l := range left {
		if names.IsPhotoKey(prefix + l.Name) {
			out = append(out, domain.LeftOut{Name: names.Printable(l.Name), Reason: l.Reason})
		}
	}
	return out
}

// Where the data directory keeps what it knows of albums' folders:
// <data>/folders/<album>/source.json names the folder an album indexed in
// place reads its photos from (absent when its photos are copies), and the
// rest of <data>/folders/<album>/ is that folder's ETag cache.
const (
	foldersDir = "folders"
	sourceFile = "source.json"
)

type folderSource struct {
	Dir string `json:"dir"` // absolute
}

func (p *Pipeline) folderDir(albumID string) string {
	return filepath.Join(p.opt.DataDir, foldersDir, albumID)
}

// openFolder checks the album id and the directory and opens a Folder over
// it with the album's ETag cache.
func (p *Pipeline) openFolder(albumID, dir string) (*blob.Folder, error) {
	if err := names.ValidateAlbumID(albumID); err != nil {
		return nil, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("album directory: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("album directory %s is not a directory", dir)
	}
	return blob.NewFolder(dir, p.folderDir(albumID), steps.MaxPhotoBytes)
}

// mount serves the album's photos from f (closing the folder it replaces).
func (p *Pipeline) mount(albumID string, f *blob.Folder) error {
	if err := p.mounts.Mount(config.DefaultBucket, names.AlbumPrefix(albumID), f); err != nil {
		f.Close()
		return err
	}
	if old := p.folders[albumID]; old != nil && old != f {
		old.Close()
	}
	p.folders[albumID] = f
	return nil
}

// unmount makes the album's photos the store's again and forgets its folder.
func (p *Pipeline) unmount(albumID string) error {
	p.mounts.Unmount(config.DefaultBucket, names.AlbumPrefix(albumID))
	if f := p.folders[albumID]; f != nil {
		f.Close()
		delete(p.folders, albumID)
	}
	if err := os.Remove(filepath.Join(p.folderDir(albumID), sourceFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("album %s: %w", albumID, err)
	}
	return nil
}

// mountFolders mounts the folder of every album indexed in place. A folder
// that is gone is mounted all the same: its album's runs fail saying so,
// rather than finding the album empty.
func (p *Pipeline) mountFolders() error {
	entries, err := os.ReadDir(filepath.Join(p.opt.DataDir, foldersDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		album := e.Name()
		if !e.IsDir() || names.ValidateAlbumID(album) != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.folderDir(album), sourceFile))
		if errors.Is(err, fs.ErrNotExist) {
			continue // photos copied, not in place
		}
		if err != nil {
			return err
		}
		var src folderSource
		if err := json.Unmarshal(b, &src); err != nil || !filepath.IsAbs(src.Dir) {
			return fmt.Errorf("album %s: %s does not name a folder: delete it, or run the album again", album, filepath.Join(p.folderDir(album), sourceFile))
		}
		f, err := blob.NewFolder(src.Dir, p.folderDir(album), steps.MaxPhotoBytes)
		if err != nil {
			return err
		}
		if err := p.mount(album, f); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes path through a temp file and a rename, so a crash
// leaves the old content or the new, and syncs it.
func writeFileAtomic(path string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// RunAlbum runs one execution of the workflow for an album and returns the
// album summary it wrote. A failed execution returns its error and cause.
func (p *Pipeline) RunAlbum(ctx context.Context, in domain.AlbumInput, opts ...states.StartOption) (*domain.Summary, *states.Execution, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return nil, nil, err
	}
	input, err := json.Marshal(in)
	if err != nil {
		return nil, nil, err
	}
	name := names.RunExecutionName(in.AlbumID, time.Now())
	opts = append([]states.StartOption{states.WithName(name)}, opts...)
	return p.execute(ctx, in, string(input), opts, nil)
}

// Interrupted returns the album's latest execution when it did not finish
// (its process was killed, or it was stopped) and was started with the
// same input, or nil: ResumeAlbum goes on from it.
func (p *Pipeline) Interrupted(ctx context.Context, in domain.AlbumInput) (*execstore.Record, error) {
	input, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	recs, _, err := p.Store.List(ctx, execstore.Query{Machine: p.Machine.ARN, Limit: 50})
	if err != nil {
		return nil, err
	}
	for _, r := range recs {
		var a domain.AlbumInput
		if json.Unmarshal([]byte(r.Input), &a) != nil || a.AlbumID != in.AlbumID {
			continue
		}
		interrupted := (r.Status == string(states.StatusFailed) && r.Error == execstore.ErrInterrupted) || r.Status == string(states.StatusAborted)
		if interrupted && r.Input == string(input) {
			return r, nil
		}
		return nil, nil // the latest run of the album finished
	}
	return nil, nil
}

// ResumeAlbum redrives an interrupted execution of the album (see
// Interrupted): the photos whose child executions succeeded are not
// processed again.
func (p *Pipeline) ResumeAlbum(ctx context.Context, rec *execstore.Record, opts ...states.StartOption) (*domain.Summary, *states.Execution, error) {
	var in domain.AlbumInput
	if err := json.Unmarshal([]byte(rec.Input), &in); err != nil {
		return nil, nil, fmt.Errorf("execution %s: input: %w", rec.Name, err)
	}
	rd, err := p.Store.Prior(rec, p.Machine)
	if err != nil {
		return nil, nil, err
	}
	opts = append([]states.StartOption{states.WithName(rec.Name), states.WithRedrive(rd)}, opts...)
	return p.execute(ctx, in, rec.Input, opts, rd)
}

// execute runs an execution, kept in the store, and reads the album
// summary it wrote.
func (p *Pipeline) execute(ctx context.Context, in domain.AlbumInput, input string, opts []states.StartOption, rd *states.Redrive) (*domain.Summary, *states.Execution, error) {
	// Load the pack's face engine first: without models or ONNX Runtime
	// the album cannot run at all, and saying so beats failing every photo.
	pack, err := p.Steps.Packs.Pack(firstNonEmpty(in.Pack, p.Steps.DefaultPack))
	if err != nil {
		return nil, nil, err
	}
	if _, err := p.Steps.Engines.Engine(ctx, pack); err != nil {
		return nil, nil, fmt.Errorf("album %s: %w", in.AlbumID, err)
	}
	opts = append(opts, states.WithRecorder(p.Store.Recorder()))
	x, err := p.Machine.Start(ctx, []byte(input), opts...)
	if err != nil {
		return nil, x, err
	}
	x.Wait()
	name := x.Name
	if x.Status() != states.StatusSucceeded {
		if e := x.Err(); e != nil {
			return nil, x, fmt.Errorf("album %s: execution %s %s: %s: %s", in.AlbumID, name, x.Status(), e.Name, e.Cause)
		}
		return nil, x, fmt.Errorf("album %s: execution %s %s", in.AlbumID, name, x.Status())
	}
	var out steps.AggregateOutput
	if err := json.Unmarshal(x.Output(), &out); err != nil {
		return nil, x, fmt.Errorf("album %s: execution output: %w", in.AlbumID, err)
	}
	var sum domain.Summary
	body, _, err := p.Bucket.Get(ctx, out.SummaryKey)
	if err != nil {
		return nil, x, err
	}
	if err := json.Unmarshal(body, &sum); err != nil {
		return nil, x, fmt.Errorf("album summary %s: %w", out.SummaryKey, err)
	}
	return &sum, x, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Faces returns every face record of an album, by photo key (for tests and
// tools that inspect what was stored).
func (p *Pipeline) Faces(ctx context.Context, albumID, packVersion string) (map[string]domain.FaceRecord, error) {
	out := map[string]domain.FaceRecord{}
	prefix := names.RecordPrefix(albumID, packVersion)
	var keys []string
	if err := p.Bucket.List(ctx, prefix, func(i blob.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
		return nil, err
	}
	sort.Strings(keys)
	for _, k := range keys {
		body, _, err := p.Bucket.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		var rec domain.FaceRecord
		if err := json.Unmarshal(body, &rec); err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[rec.Key] = rec
	}
	return out, nil
}

// localExecutions runs each album the nightly job starts to completion, one
// after the other, in this pipeline.
type localExecutions struct {
	p    *Pipeline
	opts []states.StartOption
}

func (l localExecutions) StartAlbum(ctx context.Context, name string, in domain.AlbumInput) (string, error) {
	_, x, err := l.p.RunAlbum(ctx, in, append([]states.StartOption{states.WithName(name)}, l.opts...)...)
	if err != nil {
		return "", err
	}
	return x.ARN, nil
}

// Reprocess is the nightly job run here: every album with new, changed,
// failed or removed photos (or faces of another pack only) is run, one
// after the other; up-to-date albums are left alone.
func (p *Pipeline) Reprocess(ctx context.Context, in steps.ReprocessInput, opts ...states.StartOption) (steps.ReprocessOutput, error) {
	s := *p.Steps
	s.Executions = localExecutions{p: p, opts: opts}
	return s.Reprocess(ctx, in)
}
