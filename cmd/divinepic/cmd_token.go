package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/webapp"
)

func init() {
	register(command{name: "token", summary: "create a photographer token for the web app (token create [--name N])", run: tokenCmd})
}

func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic token create [--name NAME] [--data DIR]")
		fmt.Fprintln(stderr, "Prints a new photographer token once; only its hash is stored (in the data directory's store, or")
		fmt.Fprintln(stderr, "the bucket of "+names.EnvBlobs+"/"+names.EnvBucket+" on AWS). Works while `divinepic serve` runs.")
		fs.PrintDefaults()
	}
	name := fs.String("name", "", "who the token is for (shown in the app)")
	data := fs.String("data", "", "data directory (default: "+names.EnvData+" or the cache's)")
	if len(args) == 0 || args[0] != "create" {
		fs.Usage()
		return 2
	}
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "divinepic token: %v\n", err)
		return 1
	}
	cfg, err := config.FromEnv()
	if err != nil {
		return fail(err)
	}
	if *data != "" {
		cfg = config.Embedded(*data, "")
	}
	buckets, err := blob.Open(ctx, cfg.Blobs)
	if err != nil {
		return fail(err)
	}
	if c, ok := buckets.(io.Closer); ok {
		defer c.Close()
	}
	b, err := buckets.Bucket(cfg.Bucket)
	if err != nil {
		return fail(err)
	}
	who := *name
	if who == "" {
		who, _ = os.Hostname()
	}
	token, p, err := webapp.NewToken(ctx, b, who, time.Now())
	if err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "photographer token for %s (id %s): keep it secret, it is shown only once\n", p.Name, p.ID)
	fmt.Fprintln(stdout, token)
	return 0
}
