package main

import (
	"context"
	"fmt"
	"io"

	"github.com/divinepic/pipeline/shared/webapp"
)

// searchLink searches through a running app (serve, or AWS) with an
// album's guest link, as a guest would: it works while serve holds the
// data directory.
func searchLink(ctx context.Context, link string, selfie []byte, asJSON bool, stdout, stderr io.Writer) int {
	photos, err := webapp.GuestSearch(ctx, nil, link, selfie)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic search: %v\n", err)
		return 1
	}
	if asJSON {
		printJSON(stdout, map[string]any{"photos": photos})
		return 0
	}
	if len(photos) == 0 {
		fmt.Fprintln(stdout, "no photo of this album shows the selfie's person")
		return 0
	}
	for i, p := range photos {
		fmt.Fprintf(stdout, "%2d. %.3f  %s\n", i+1, p.Score, p.Download)
	}
	return 0
}
