package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/webapp"
)

func init() {
	register(command{name: "upload", summary: "upload a directory of photos to an album of a running app (serve, or AWS) and process them", run: uploadCmd})
}

// defaultEndpoint is where `divinepic serve` listens by default.
const defaultEndpoint = "http://127.0.0.1:8083"

func uploadCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("upload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic upload DIR --album ID [--title T] [--endpoint URL] [--token T] [--parallel N] [--wait]")
		fmt.Fprintln(stderr, "Uploads the photos of DIR (files with the same content already there are skipped), then starts")
		fmt.Fprintln(stderr, "processing them. The token comes from --token or "+names.EnvToken+" (divinepic token create).")
		fs.PrintDefaults()
	}
	endpoint := fs.String("endpoint", envOr(names.EnvEndpoint, defaultEndpoint), "the app's URL (`divinepic serve`, or the stack's AppUrl output)")
	token := fs.String("token", os.Getenv(names.EnvToken), "photographer token")
	album := fs.String("album", "", "album id (created when missing)")
	title := fs.String("title", "", "album title, when it is created")
	wait := fs.Bool("wait", false, "wait until processing ends")
	parallel := fs.Int("parallel", webapp.DefaultUploadConcurrency, "photos sent at once")
	dir, rest := "", args
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		dir, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return 2
	}
	if dir == "" && fs.NArg() == 1 {
		dir = fs.Arg(0)
	} else if fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	if dir == "" || *album == "" {
		fs.Usage()
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "divinepic upload: %v\n", err)
		return 1
	}
	if *parallel < 1 || *parallel > 64 {
		return fail(fmt.Errorf("--parallel %d: give 1 to 64 photos at once", *parallel))
	}
	if *token == "" {
		return fail(fmt.Errorf("no token: give --token or set %s (divinepic token create prints one)", names.EnvToken))
	}
	if err := names.ValidateAlbumID(*album); err != nil {
		return fail(err)
	}
	c := &webapp.Client{Endpoint: *endpoint, Token: *token, Concurrency: *parallel}
	if err := c.CreateAlbum(ctx, *album, *title); err != nil {
		return fail(fmt.Errorf("album %s at %s: %w", *album, *endpoint, err))
	}
	start := time.Now()
	res, err := c.Upload(ctx, *album, dir, func(done, total int, _ string) {
		fmt.Fprintf(stderr, "\r%d/%d photos", done, total)
	})
	fmt.Fprintln(stderr)
	for _, r := range res.Refused {
		fmt.Fprintf(stderr, "refused: %s\n", names.Printable(r))
	}
	if err != nil {
		return fail(err)
	}
	secs := time.Since(start).Seconds()
	fmt.Fprintf(stdout, "%d uploaded (%.1f MB, %.1f MB/s), %d skipped (already there), %d refused\n",
		res.Uploaded, float64(res.Bytes)/(1<<20), float64(res.Bytes)/(1<<20)/max(secs, 1e-3), res.Skipped, len(res.Refused))
	if res.Execution == "" {
		return 0
	}
	fmt.Fprintf(stdout, "processing: execution %s\n", names.Printable(res.Execution))
	if !*wait {
		return 0
	}
	for {
		p, err := c.Progress(ctx, *album)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "\r%s: %d of %d photos, %d failed   ", p.Status, p.Done+p.Failed, p.Total, p.Failed)
		if p.Status != "RUNNING" {
			fmt.Fprintln(stderr)
			if p.Status != "SUCCEEDED" {
				return fail(fmt.Errorf("execution %s ended %s", res.Execution, p.Status))
			}
			fmt.Fprintf(stdout, "processed: %d photos, %d failed\n", p.Done, p.Failed)
			return 0
		}
		select {
		case <-ctx.Done():
			return fail(ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
