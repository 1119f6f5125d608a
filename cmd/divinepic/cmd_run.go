package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
)

func init() {
	register(command{name: "run", summary: "process an album directory on this machine (the workflow in the local engine)", run: runAlbum})
}

// extraWrap, when set (only by the tests' child processes), wraps every
// step's handler too.
var extraWrap func(step string, h lambda.Handler) lambda.Handler

func runAlbum(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic run DIR [--album ID] [--pack P] [--data DIR] [--reprocess] [--copy] [--concurrency N] [--json]")
		fmt.Fprintln(stderr, "Indexes the photos of DIR where they are (nothing is copied; photos gone from DIR leave the album),")
		fmt.Fprintln(stderr, "runs statemachine.asl.json over the album and prints the album summary.")
		fs.PrintDefaults()
	}
	album := fs.String("album", "", "album id (letters, digits, '_' and '-'); default: the directory's name")
	pack := fs.String("pack", "", "model pack (default: "+defaultPackName()+")")
	data := fs.String("data", config.DefaultDataDir(), "data directory: every file the pipeline writes goes below it")
	reprocess := fs.Bool("reprocess", false, "redo every photo, even those already done")
	copyIn := fs.Bool("copy", false, "copy the photos into the data directory (a self-contained data directory) instead of reading them in DIR")
	tolerated := fs.Int("tolerated-failures", 0, fmt.Sprintf("percent of an album's photos that may fail before the album fails (0: %d)", embedded.DefaultToleratedFailurePercentage))
	conc := fs.Int("concurrency", 0, "photos processed at once (0: one per CPU)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	quiet := fs.Bool("quiet", false, "no progress bar")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	dir := pos[0]
	if *album == "" {
		*album = albumFromDir(dir)
	}
	if err := names.ValidateAlbumID(*album); err != nil {
		fmt.Fprintf(stderr, "divinepic run: %v (use --album)\n", err)
		return 2
	}

	prog := newProgress(stderr, !*quiet)
	wrap := prog.wrap
	if extraWrap != nil {
		wrap = func(step string, h lambda.Handler) lambda.Handler { return extraWrap(step, prog.wrap(step, h)) }
	}
	p, err := embedded.Open(ctx, embedded.Options{DataDir: *data, Pack: *pack, MaxConcurrency: *conc, ToleratedFailurePercentage: *tolerated, Wrap: wrap})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic run: %v\n", err)
		return 1
	}
	defer p.Close()
	imp, err := importAlbum(ctx, p, *album, dir, *copyIn)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic run: %v\n", err)
		return 1
	}
	if !*quiet {
		fmt.Fprintf(stderr, "%s (data in %s)\n", describeImport(*album, dir, imp), *data)
	}
	if imp.InPlace+imp.Copied+imp.Unchanged == 0 && len(imp.LeftOut) == 0 {
		fmt.Fprintf(stderr, "album %s: %s holds no photos (hidden files and sidecars such as .json and .xmp are left out)\n", *album, dir)
	}
	in := domain.AlbumInput{AlbumID: *album, Reprocess: *reprocess, Pack: *pack}
	var sum *domain.Summary
	if prev, perr := p.Interrupted(ctx, in); perr == nil && prev != nil && imp.Copied+imp.Removed == 0 {
		// The album's last run did not finish and nothing changed since:
		// go on from it, leaving the photos it finished alone.
		fmt.Fprintf(stderr, "album %s: resuming execution %s (%s): photos it finished are not processed again\n", *album, prev.Name, strings.ToLower(prev.Status))
		sum, _, err = p.ResumeAlbum(ctx, prev, states.WithListener(prog.listen))
	} else {
		sum, _, err = p.RunAlbum(ctx, in, states.WithListener(prog.listen))
	}
	prog.finish()
	if err != nil {
		fmt.Fprintf(stderr, "divinepic run: %v\n", err)
		return 1
	}
	if *asJSON {
		printJSON(stdout, sum)
		return 0
	}
	printSummary(stdout, sum, names.AlbumPrefix(*album))
	return 0
}

// importAlbum makes the photos of dir the album's: read where they are, or
// copied into the data directory.
func importAlbum(ctx context.Context, p *embedded.Pipeline, album, dir string, copyIn bool) (embedded.ImportResult, error) {
	if copyIn {
		return p.Import(ctx, album, dir)
	}
	return p.IndexInPlace(ctx, album, dir)
}

// describeImport is the line saying what importAlbum did.
func describeImport(album, dir string, r embedded.ImportResult) string {
	if r.InPlace == 0 && (r.Copied+r.Unchanged > 0 || r.Removed > 0) {
		return fmt.Sprintf("album %s: %d photos copied, %d unchanged, %d removed", album, r.Copied, r.Unchanged, r.Removed)
	}
	line := fmt.Sprintf("album %s: %d photos, read in %s (not copied)", album, r.InPlace, names.Printable(dir))
	if r.Removed > 0 {
		line += fmt.Sprintf("; %d copies an earlier --copy run left deleted", r.Removed)
	}
	return line
}

func printSummary(w io.Writer, s *domain.Summary, prefix string) {
	fmt.Fprintf(w, "album %s (pack %s)\n", s.AlbumID, s.PackVersion)
	fmt.Fprintf(w, "  photos     %d\n  processed  %d\n  skipped    %d (already done)\n  no face    %d\n  failed     %d\n  faces      %d\n",
		s.Images, s.Processed, s.Skipped, s.NoFaces, len(s.Failed), s.Faces)
	if s.Pending > 0 {
		fmt.Fprintf(w, "  pending    %d (changed during the run: the next run takes them)\n", s.Pending)
	}
	if s.Removed > 0 {
		fmt.Fprintf(w, "  removed    %d faces of changed or deleted photos\n", s.Removed)
	}
	fmt.Fprintf(w, "  duration   %.1fs\n", s.DurationSeconds)
	if len(s.LeftOut) > 0 {
		fmt.Fprintf(w, "  left out   %d (files that cannot be photos of the album)\n", len(s.LeftOut))
	}
	for _, f := range s.Failed {
		fmt.Fprintf(w, "  failed: %s: %s: %s\n", names.Printable(strings.TrimPrefix(f.Key, prefix)), f.Error, names.Printable(oneLine(f.Cause)))
	}
	for _, f := range s.LeftOut {
		fmt.Fprintf(w, "  left out: %s: %s\n", names.Printable(f.Name), f.Reason)
	}
}

// oneLine shortens a Lambda error cause (JSON with errorMessage) to its message.
func oneLine(cause string) string {
	var c struct {
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal([]byte(cause), &c) == nil && c.ErrorMessage != "" {
		return c.ErrorMessage
	}
	return strings.ReplaceAll(cause, "\n", " ")
}

var nonAlbumChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func albumFromDir(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	name := strings.Trim(nonAlbumChars.ReplaceAllString(filepath.Base(abs), "-"), "-_")
	if len(name) > 64 {
		name = name[:64]
	}
	return name
}

// progress draws a progress bar on stderr from the engine's events.
type progress struct {
	w       io.Writer
	on      bool
	tty     bool
	start   time.Time
	total   atomic.Int64
	done    atomic.Int64
	failed  atomic.Int64
	faces   atomic.Int64
	mu      sync.Mutex
	last    time.Time
	printed bool
}

func newProgress(w io.Writer, on bool) *progress {
	p := &progress{w: w, on: on, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// wrap learns the photos to process from ListImages' result and counts
// faces from EmbedFaces'.
func (p *progress) wrap(step string, h lambda.Handler) lambda.Handler {
	switch step {
	case names.StepList:
		return resultHandler{h, func(out []byte) {
			var l steps.ListOutput
			if json.Unmarshal(out, &l) == nil {
				p.total.Store(int64(l.ToProcess))
			}
		}}
	case names.StepEmbed:
		return resultHandler{h, func(out []byte) {
			var r domain.ItemResult
			if json.Unmarshal(out, &r) == nil {
				p.faces.Add(int64(r.Faces))
			}
		}}
	}
	return h
}

// resultHandler hands each successful result of a handler to seen.
type resultHandler struct {
	lambda.Handler
	seen func(out []byte)
}

func (c resultHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := c.Handler.Invoke(ctx, payload)
	if err == nil {
		c.seen(out)
	}
	return out, err
}

// listen counts the photos done: each iteration of a batch's inline Map
// is one photo (the Distributed Maps' items are batches, and failed photos
// reported again); a photo that failed enters RecordFailure.
func (p *progress) listen(e states.Event) {
	switch {
	case e.Kind == states.StateEntered && e.State == names.StateRecordFailure:
		p.failed.Add(1)
	case (e.Kind == states.MapItemSucceeded || e.Kind == states.MapItemFailed) &&
		e.State != names.StateProcessImages && e.State != names.StateReportFailures:
		p.done.Add(1)
	default:
		return
	}
	p.draw(false)
}

func (p *progress) draw(final bool) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	every := 200 * time.Millisecond
	if !p.tty {
		every = 5 * time.Second
	}
	if !final && now.Sub(p.last) < every {
		return
	}
	p.last = now
	total, done := p.total.Load(), p.done.Load()
	elapsed := now.Sub(p.start).Seconds()
	rate := float64(done) / max(elapsed, 1e-3)
	if total == 0 {
		// A resumed run goes on past ListImages: no total, a count.
		if done == 0 {
			return
		}
		line := fmt.Sprintf("%d photos done  %d failed  %d faces  %.1f photos/s", done, p.failed.Load(), p.faces.Load(), rate)
		if p.tty {
			fmt.Fprintf(p.w, "\r%s\x1b[K", line)
		} else {
			fmt.Fprintln(p.w, line)
		}
		p.printed = true
		return
	}
	done = min(done, total)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(total-done)/rate) * time.Second).Round(time.Second).String()
	}
	const width = 30
	filled := int(width * done / total)
	bar := strings.Repeat("#", filled) + strings.Repeat(".", width-filled)
	line := fmt.Sprintf("[%s] %d/%d photos  %d failed  %d faces  %.1f photos/s  ETA %s", bar, done, total, p.failed.Load(), p.faces.Load(), rate, eta)
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", line)
	} else {
		fmt.Fprintln(p.w, line)
	}
	p.printed = true
}

func (p *progress) finish() {
	p.draw(true)
	if p.on && p.tty && p.printed {
		fmt.Fprintln(p.w)
	}
}
