package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/steps"
)

func init() {
	register(command{name: "reprocess", summary: "the nightly job here: run every album that has new, changed, failed or removed photos", run: reprocessAlbums})
}

func reprocessAlbums(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("reprocess", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic reprocess [--data DIR] [--pack P] [--dry-run] [--json] [ALBUM...]")
		fmt.Fprintln(stderr, "Finds the albums of the local store whose photos changed since they were processed (or that only have")
		fmt.Fprintln(stderr, "faces of another model pack) and runs each; up-to-date albums are left alone.")
		fs.PrintDefaults()
	}
	data := fs.String("data", config.DefaultDataDir(), "data directory of `divinepic run`")
	pack := fs.String("pack", "", "model pack (default: "+defaultPackName()+")")
	dry := fs.Bool("dry-run", false, "only say which albums would run, and why")
	asJSON := fs.Bool("json", false, "print JSON")
	albums, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	p, err := embedded.Open(ctx, embedded.Options{DataDir: *data, Pack: *pack})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic reprocess: %v\n", err)
		return 1
	}
	defer p.Close()
	out, err := p.Reprocess(ctx, steps.ReprocessInput{Pack: *pack, Albums: albums, DryRun: *dry}, states.WithoutHistory())
	if err != nil {
		fmt.Fprintf(stderr, "divinepic reprocess: %v\n", err)
		return 1
	}
	if *asJSON {
		printJSON(stdout, out)
		return 0
	}
	verb := "ran"
	if *dry {
		verb = "would run"
	}
	fmt.Fprintf(stdout, "%d albums: %d up to date, %s %d\n", out.Albums, out.UpToDate, verb, len(out.Started))
	for _, w := range out.Started {
		fmt.Fprintf(stdout, "  %s: %s\n", w.AlbumID, w.Reason)
	}
	for _, w := range out.Errors {
		fmt.Fprintf(stdout, "  %s: could not run: %s\n", w.AlbumID, w.Error)
	}
	if len(out.Errors) > 0 {
		return 1
	}
	return 0
}
