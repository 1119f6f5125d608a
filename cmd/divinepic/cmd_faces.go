package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/face"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/wiring"
)

func init() {
	register(command{name: "faces", summary: "detect (and embed) the faces in photos, one JSON object per file", run: facesCmd})
}

// fileJSON is one line of `divinepic faces --json`.
type fileJSON struct {
	File   string        `json:"file"`
	Width  int           `json:"width,omitempty"`
	Height int           `json:"height,omitempty"`
	Faces  []domain.Face `json:"faces"`
	Error  string        `json:"error,omitempty"`
}

func facesCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("faces", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic faces [--pack P] [--json] [--embeddings] FILE...")
		fmt.Fprintln(stderr, "Detects the faces of each photo: boxes, scores and 5 landmarks in the photo's upright pixels.")
		fmt.Fprintln(stderr, "Exit status 2 when any file was refused (unreadable, unsupported, too large).")
		fs.PrintDefaults()
	}
	pack := fs.String("pack", "", "model pack (default: "+modelpack.DefaultPack+")")
	asJSON := fs.Bool("json", false, `print one JSON object per file: {"file","width","height","faces":[...]} or {"file","error"}`)
	withEmb := fs.Bool("embeddings", false, "embed the faces too (implies --json)")
	threads := fs.Int("threads", 1, "ONNX Runtime intra-op threads")
	noRotate := fs.Bool("no-rotate", false, "do not retry low-confidence photos turned by 90/180/270 degrees")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return 2
	}
	if len(files) == 0 {
		fs.Usage()
		return 2
	}
	decode, err := decodeOptions()
	if err != nil {
		fmt.Fprintf(stderr, "divinepic faces: %v\n", err)
		return 1
	}
	eng, pool, err := wiring.FaceEngines(ctx, *pack, face.Options{IntraOpThreads: *threads, NoRotationRetry: *noRotate})
	if err != nil {
		fmt.Fprintf(stderr, "divinepic faces: %v\n", err)
		return 1
	}
	defer pool.Close()
	enc := json.NewEncoder(stdout)
	refused := false
	for _, f := range files {
		if ctx.Err() != nil {
			return 1
		}
		res := analyzeFile(eng, decode, f, *withEmb)
		if res.Error != "" {
			refused = true
		}
		if *asJSON || *withEmb {
			enc.Encode(res)
			continue
		}
		if res.Error != "" {
			fmt.Fprintf(stdout, "%s: error: %s\n", names.Printable(f), names.Printable(res.Error))
			continue
		}
		fmt.Fprintf(stdout, "%s: %dx%d, %d face(s)\n", names.Printable(f), res.Width, res.Height, len(res.Faces))
		for _, x := range res.Faces {
			fmt.Fprintf(stdout, "  %.3f  [%.0f %.0f %.0f %.0f]\n", x.Score, x.Box[0], x.Box[1], x.Box[2], x.Box[3])
		}
	}
	if refused {
		return 2
	}
	return 0
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments, and returns the positional ones. Everything after a
// "--" is positional (a file named -x.jpg: -- -x.jpg).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos, tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return append(pos, tail...), nil
		}
		if !strings.HasPrefix(rest[0], "-") || rest[0] == "-" {
			pos = append(pos, rest[0])
			args = rest[1:]
			continue
		}
		args = rest
	}
}

// decodeOptions are the decoder's options for the engine, within the pixel
// budget of DIVINEPIC_MAX_PIXELS (the decoder's default when unset), read
// from the environment once.
func decodeOptions() (imaging.Options, error) {
	cfg, err := config.FromEnv()
	if err != nil {
		return imaging.Options{}, err
	}
	return imaging.Options{MinLongSide: face.DecodeLongSide, MaxPixels: cfg.MaxPixels}, nil
}

// decodePhoto reads and decodes a photo for the engine.
func decodePhoto(path string, opts imaging.Options) (*imaging.RGB, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return imaging.Decode(b, opts)
}

// analyzeFile runs one photo through the engine; failures become Error.
func analyzeFile(eng *face.Engines, decode imaging.Options, path string, withEmb bool) fileJSON {
	res := fileJSON{File: path, Faces: []domain.Face{}}
	img, err := decodePhoto(path, decode)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Width, res.Height = img.OrigW, img.OrigH
	var faces []face.Face
	if withEmb {
		faces, err = eng.Analyze(img)
	} else {
		faces, err = eng.Detect(img)
	}
	if err != nil {
		res.Error = err.Error()
		return res
	}
	for _, f := range faces {
		res.Faces = append(res.Faces, domain.Face{Box: round4(f.Box), Score: round(f.Score, 1e4), Landmarks: roundLandmarks(f.Landmarks), Embedding: f.Embedding})
	}
	return res
}

func round(v, k float32) float32 { return float32(int64(v*k+0.5)) / k }

func round4(b [4]float32) [4]float32 {
	for i := range b {
		b[i] = round(b[i], 10)
	}
	return b
}

func roundLandmarks(l [5][2]float32) [5][2]float32 {
	for i := range l {
		l[i][0], l[i][1] = round(l[i][0], 10), round(l[i][1], 10)
	}
	return l
}
