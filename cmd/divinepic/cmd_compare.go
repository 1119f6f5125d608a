package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/wiring"
)

func init() {
	register(command{name: "compare", summary: "cosine similarity of the largest faces of two photos", run: compareCmd})
}

func compareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic compare [--pack P] A B")
		fmt.Fprintln(stderr, "Prints the cosine similarity (-1..1) of the largest face of photo A and of photo B.")
		fs.PrintDefaults()
	}
	pack := fs.String("pack", "", "model pack (default: "+modelpack.DefaultPack+")")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(files) != 2 {
		fs.Usage()
		return 2
	}
	decode, err := decodeOptions()
	if err != nil {
		fmt.Fprintf(stderr, "divinepic compare: %v\n", err)
		return 1
	}
	eng, pool, err := wiring.FaceEngines(ctx, *pack, face.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic compare: %v\n", err)
		return 1
	}
	defer pool.Close()
	var embs [2][]float32
	for i, f := range files {
		img, err := decodePhoto(f, decode)
		if err != nil {
			fmt.Fprintf(stderr, "divinepic compare: %s: %v\n", f, err)
			return 2
		}
		faces, err := eng.Detect(img)
		if err != nil {
			fmt.Fprintf(stderr, "divinepic compare: %s: %v\n", f, err)
			return 1
		}
		l := face.Largest(faces)
		if l == nil {
			fmt.Fprintf(stderr, "divinepic compare: %s: no face found\n", f)
			return 1
		}
		chips, err := eng.Align(img, []face.Face{*l})
		if err == nil {
			var e [][]float32
			e, err = eng.Embed(chips)
			if err == nil {
				embs[i] = e[0]
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "divinepic compare: %s: %v\n", f, err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "%.4f\n", face.Cosine(embs[0], embs[1]))
	return 0
}
