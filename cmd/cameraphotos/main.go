// Command cameraphotos writes an album of camera-sized JPEGs (see
// shared/cameraphoto) for measuring the pipeline as a photographer's files
// load it:
//
//	go run ./cmd/cameraphotos [--distinct K] DIR N
//	bin/divinepic run DIR --concurrency 1
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/divinepic/pipeline/shared/cameraphoto"
)

func main() {
	distinct := flag.Int("distinct", 0, "different pictures (0: every photo its own); the others repeat them with another EXIF time")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: cameraphotos [--distinct K] DIR N")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	n, err := strconv.Atoi(flag.Arg(1))
	if err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "cameraphotos: N must be a positive number, not %q\n", flag.Arg(1))
		os.Exit(2)
	}
	start := time.Now()
	paths, err := cameraphoto.WriteAlbum(flag.Arg(0), n, cameraphoto.AlbumOptions{Distinct: *distinct})
	if err != nil {
		fmt.Fprintf(os.Stderr, "cameraphotos: %v\n", err)
		os.Exit(1)
	}
	var bytes int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			bytes += fi.Size()
		}
	}
	fmt.Printf("%d photos (%dx%d, quality %d), %.1f MB on average, in %s, in %.1fs\n",
		n, cameraphoto.Width, cameraphoto.Height, cameraphoto.Quality, float64(bytes)/float64(n)/1e6, flag.Arg(0), time.Since(start).Seconds())
}
