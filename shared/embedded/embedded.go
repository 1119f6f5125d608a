// Package embedded runs the whole pipeline on one machine with no cloud:
// statemachine.asl.json in the project's States Language engine, the step
// handlers bound in-process through aws-lambda-go's handler adapter, blobs
// in a local directory and the vector store in a local file, all under one
// data directory. It is what `divinepic run` and `make run` use, and what the
// end-to-end tests drive.
package embedded

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	pipeline "github.com/divinepic/pipeline"
	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors"
	"github.com/divinepic/pipeline/shared/wiring"
)

// Local values of the definition's deploy-time placeholders.
const (
	Region        = "local"
	Account       = "000000000000"
	MachineName   = "divinepic-album"
	defaultTolPct = 5
)

// StateMachine is the ARN of the album workflow here (what `divinepic
// serve` serves).
var StateMachine = arn.StateMachine{Region: Region, Account: Account, Name: MachineName}

// Options configure a Pipeline.
type Options struct {
	DataDir                    string // required: every file the pipeline writes is below it
	Pack                       string // default model pack ("" = default)
	MaxConcurrency             int    // Map concurrency; 0 = number of CPUs
	ToleratedFailurePercentage int    // 0 = 5
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
	opt     Options
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
	p := &Pipeline{Deps: deps, Steps: deps.Steps, opt: opt}
	if p.Bucket, err = deps.Blobs.Bucket(config.DefaultBucket); err != nil {
		deps.Close()
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
		deps.Close()
		return nil, err
	}
	if p.Machine, err = p.Engine.Parse(MachineName, def); err != nil {
		deps.Close()
		return nil, fmt.Errorf("statemachine.asl.json: %w", err)
	}
	return p, nil
}

// Definition is statemachine.asl.json with the local substitutions.
func Definition(opt Options) ([]byte, error) {
	conc := maxConcurrency(opt)
	tol := opt.ToleratedFailurePercentage
	if tol <= 0 {
		tol = defaultTolPct
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

// Close releases the engines and the vector store.
func (p *Pipeline) Close() error { return p.Deps.Close() }

// ImportResult says what Import did.
type ImportResult struct {
	Copied, Unchanged, Removed int
	// LeftOut lists the files of the directory that are not photos of the
	// album because they cannot be stored, each with the reason; the
	// album's summary shows them too (names.LeftOutKey).
	LeftOut []domain.LeftOut
}

// Import makes the album's photos in the store the files of dir (hidden
// files and sidecars aside, see names.IsPhotoKey): new and changed files are
// copied, files gone from dir are removed from the album. A symbolic link to
// a file inside dir is imported as that file; anything that cannot be a
// photo of the album (a name that cannot be a key, a file over
// steps.MaxPhotoBytes, a link outside dir or to a folder, a FIFO, socket or
// device) is left out with its reason, and the list is stored for the
// summary.
func (p *Pipeline) Import(ctx context.Context, albumID, dir string) (ImportResult, error) {
	var res ImportResult
	if err := names.ValidateAlbumID(albumID); err != nil {
		return res, err
	}
	st, err := os.Stat(dir)
	if err != nil {
		return res, fmt.Errorf("album directory: %w", err)
	}
	if !st.IsDir() {
		return res, fmt.Errorf("album directory %s is not a directory", dir)
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return res, fmt.Errorf("album directory: %w", err)
	}
	prefix := names.AlbumPrefix(albumID)
	have := map[string]string{} // key → ETag
	if err := p.Bucket.List(ctx, prefix, func(i blob.Info) error { have[i.Key] = i.ETag; return nil }); err != nil {
		return res, err
	}
	seen := map[string]bool{}
	leave := func(rel, reason string) {
		res.LeftOut = append(res.LeftOut, domain.LeftOut{Name: names.Printable(filepath.ToSlash(rel)), Reason: reason})
	}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		key := prefix + filepath.ToSlash(rel)
		if !names.IsPhotoKey(key) {
			return nil // hidden files and sidecars are never photos
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(path)
			if err != nil {
				leave(rel, "a link to nothing (its target does not exist)")
				return nil
			}
			if r, err := filepath.Rel(root, target); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
				leave(rel, "a link to a file outside the album's folder")
				return nil
			}
			fi, err := os.Stat(target)
			if err != nil {
				return err
			}
			if fi.IsDir() {
				leave(rel, "a link to a folder (the folder's photos are imported where they are)")
				return nil
			}
			mode = fi.Mode().Type()
		}
		if !mode.IsRegular() {
			leave(rel, "not a regular file (a FIFO, socket or device)")
			return nil
		}
		if err := blob.ValidateKey(key); err != nil {
			leave(rel, "the name cannot be stored: it has control characters, is not valid UTF-8 or is too long")
			return nil
		}
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		if fi.Size() > steps.MaxPhotoBytes {
			leave(rel, fmt.Sprintf("%d MB, over the %d MB a photo may have", fi.Size()>>20, steps.MaxPhotoBytes>>20))
			return nil
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen[key] = true
		sum := md5.Sum(body)
		if have[key] == hex.EncodeToString(sum[:]) {
			res.Unchanged++
			return nil
		}
		if _, err := p.Bucket.Put(ctx, key, body); err != nil {
			return err
		}
		res.Copied++
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("import %s: %w", dir, err)
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

// RunAlbum runs one execution of the workflow for an album and returns the
// album summary it wrote. A failed execution returns its error and cause.
func (p *Pipeline) RunAlbum(ctx context.Context, in domain.AlbumInput, opts ...states.StartOption) (*domain.Summary, *states.Execution, error) {
	if err := names.ValidateAlbumID(in.AlbumID); err != nil {
		return nil, nil, err
	}
	// Load the pack's face engine first: without models or ONNX Runtime
	// the album cannot run at all, and saying so beats failing every photo.
	pack, err := p.Steps.Packs.Pack(firstNonEmpty(in.Pack, p.Steps.DefaultPack))
	if err != nil {
		return nil, nil, err
	}
	if _, err := p.Steps.Engines.Engine(ctx, pack); err != nil {
		return nil, nil, fmt.Errorf("album %s: %w", in.AlbumID, err)
	}
	input, err := json.Marshal(in)
	if err != nil {
		return nil, nil, err
	}
	name := names.RunExecutionName(in.AlbumID, time.Now())
	x, err := p.Machine.Run(ctx, input, append([]states.StartOption{states.WithName(name)}, opts...)...)
	if err != nil {
		return nil, x, err
	}
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
