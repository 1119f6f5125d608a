package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
)

func init() {
	register(command{name: "bench", summary: "time the pipeline on a directory of photos: photos/s, engine overhead, peak memory", run: benchAlbum})
}

func benchAlbum(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic bench DIR [--pack P] [--concurrency N] [--json]")
		fmt.Fprintln(stderr, "Runs the photos of DIR through the workflow in a scratch data directory: once to load the models,")
		fmt.Fprintln(stderr, "then once timed with every photo reprocessed. Nothing is written outside the scratch directory.")
		fs.PrintDefaults()
	}
	pack := fs.String("pack", "", "model pack (default: "+defaultPackName()+")")
	conc := fs.Int("concurrency", 0, "photos processed at once (0: one per CPU; 1 also measures the engine's overhead)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	scratch, err := os.MkdirTemp("", "divinepic-bench-*")
	if err != nil {
		fmt.Fprintf(stderr, "divinepic bench: %v\n", err)
		return 1
	}
	defer os.RemoveAll(scratch)
	timer := &embedded.HandlerTimer{}
	p, err := embedded.Open(ctx, embedded.Options{DataDir: scratch, Pack: *pack, MaxConcurrency: *conc, Wrap: timer.Wrap})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic bench: %v\n", err)
		return 1
	}
	defer p.Close()
	if _, err := p.IndexInPlace(ctx, "bench", pos[0]); err != nil {
		fmt.Fprintf(stderr, "divinepic bench: %v\n", err)
		return 1
	}
	m, err := p.MeasureAlbum(ctx, "bench", timer)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic bench: %v\n", err)
		return 1
	}
	if *asJSON {
		out := map[string]any{"measurement": m, "photosPerSecond": m.PhotosPerSecond()}
		if share := m.EngineShare(); share >= 0 {
			out["engineShare"] = share
		}
		printJSON(stdout, out)
		return 0
	}
	fmt.Fprintf(stdout, "%d photos (%d failed), %d faces in %.2fs at concurrency %d: %.1f photos/s\n",
		m.Photos, m.Failed, m.Faces, m.Wall.Seconds(), m.Concurrency, m.PhotosPerSecond())
	if m.Photos > 0 && m.CPU > 0 {
		fmt.Fprintf(stdout, "CPU time: %.0f ms a photo (user + system, all threads)\n", float64(m.CPU.Microseconds())/1e3/float64(m.Photos))
	}
	if share := m.EngineShare(); share >= 0 {
		fmt.Fprintf(stdout, "engine overhead: %.2f%% of the time (the rest inside the step handlers)\n", 100*share)
	} else {
		fmt.Fprintln(stdout, "engine overhead: measured at --concurrency 1 only")
	}
	fmt.Fprintf(stdout, "peak memory (RSS): %.0f MB\n", float64(m.PeakRSS)/(1<<20))
	for _, step := range names.Steps {
		if st, ok := m.Stages[step]; ok {
			fmt.Fprintf(stdout, "  %-9s %4d invocations, %8.1f ms each\n", step, st.Invocations, float64(st.Mean())/float64(time.Millisecond))
		}
	}
	return 0
}
