package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors"
)

func init() {
	register(command{name: "search", summary: "find the photos of an album that show the person in a selfie", run: searchAlbum})
}

func defaultPackName() string { return modelpack.DefaultPack }

func searchAlbum(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic search --album ID SELFIE [--top K] [--pack P] [--data DIR] [--json]")
		fmt.Fprintln(stderr, "       divinepic search --link GUEST_LINK SELFIE [--json]   (through a running serve, or the app on AWS)")
		fmt.Fprintln(stderr, "Prints the album's photos that show the selfie's (largest) face, best match first.")
		fs.PrintDefaults()
	}
	album := fs.String("album", "", "album id (required)")
	top := fs.Int("top", steps.DefaultTopK, "how many photos to list (1..100)")
	pack := fs.String("pack", "", "model pack the album was processed with (default: "+defaultPackName()+")")
	data := fs.String("data", config.DefaultDataDir(), "data directory of `divinepic run`")
	asJSON := fs.Bool("json", false, "print JSON")
	link := fs.String("link", "", "an album's guest link: search through the running app instead of the data directory")
	minScore := fs.Float64("min-score", steps.DefaultMinScore, "lowest cosine similarity that counts as a match (-1: list all)")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 || (*album == "" && *link == "") {
		fs.Usage()
		return 2
	}
	selfie := pos[0]
	min32 := float32(*minScore)
	body, err := os.ReadFile(selfie)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic search: %v\n", err)
		return 1
	}
	if *link != "" {
		return searchLink(ctx, *link, body, *asJSON, stdout, stderr)
	}
	p, err := embedded.Open(ctx, embedded.Options{DataDir: *data, Pack: *pack, MaxConcurrency: 1})
	if errors.Is(err, vectors.ErrLocked) {
		fmt.Fprintf(stderr, "divinepic search: %v\n(is `divinepic serve` running? search through it with --link GUEST_LINK)\n", err)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "divinepic search: %v\n", err)
		return 1
	}
	defer p.Close()
	res, err := p.Steps.Search(ctx, steps.SearchInput{AlbumID: *album, Pack: *pack, Image: body, TopK: *top, MinScore: &min32})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic search: %v\n", err)
		return 1
	}
	if *asJSON {
		printJSON(stdout, res)
		return 0
	}
	if len(res.Photos) == 0 {
		fmt.Fprintf(stdout, "no photo of album %s matches above %.2f (has the album been processed with `divinepic run`? --min-score lowers the bar)\n", *album, *minScore)
		return 0
	}
	prefix := names.AlbumPrefix(*album)
	for i, m := range res.Photos {
		fmt.Fprintf(stdout, "%2d. %.3f  %s  face [%.0f %.0f %.0f %.0f]\n", i+1, m.Score, names.Printable(strings.TrimPrefix(m.Key, prefix)), m.Box[0], m.Box[1], m.Box[2], m.Box[3])
	}
	return 0
}
