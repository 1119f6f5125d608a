package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/divinepic/pipeline/shared/artifact"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/onnx"
)

// packageCommand writes every Lambda's zip into artifact.Dir from the
// bootstraps `make lambdas` built: a pure-Go step's zip is its bootstrap;
// an ONNX step's adds ONNX Runtime and the pack's models (see
// names.BundleLibDir). Every ELF file is checked to run on Amazon Linux
// 2023, every zip against Lambda's unzipped limit. A pack too large for a
// zip gets the container image's inputs staged instead, and says so.
func packageCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("package", flag.ContinueOnError)
	pack := fs.String("pack", modelpack.DefaultPack, "the model pack the ONNX Lambdas carry")
	binDir := fs.String("bin", "bin/lambdas", "where the bootstraps are (<step>/bootstrap)")
	out := fs.String("out", artifact.Dir, "where the zips go")
	imageDir := fs.String("image", "bin/image", "where a pack too large for a zip stages the container image's inputs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := installORT(ctx); err != nil {
		return err
	}
	m, err := modelpack.Default()
	if err != nil {
		return err
	}
	p, err := m.Pack(*pack)
	if err != nil {
		return err
	}
	lib := onnx.CachedLibraryPath()
	libReport, err := artifact.CheckELF(lib, "x86_64", nil)
	if err != nil {
		return fmt.Errorf("ONNX Runtime %s (%s): %w", onnx.ORTVersion, onnx.LibName, err)
	}
	fmt.Printf("%-28s %s\n", onnx.LibName, libReport.Summary())
	libInfo, err := os.Stat(lib)
	if err != nil {
		return err
	}

	var modelPaths []string
	var onnxBootstrap int64
	needsImage := false
	for _, step := range names.Lambdas {
		boot := filepath.Join(*binDir, step, names.BundleBootstrap)
		bi, err := os.Stat(boot)
		if err != nil {
			return fmt.Errorf("%s: %w (run make lambdas, or make package, which builds them)", boot, err)
		}
		r, err := artifact.CheckELF(boot, artifact.Arch(step), []string{onnx.LibName})
		if err != nil {
			return fmt.Errorf("%s: %w", boot, err)
		}
		fmt.Printf("%-28s %s\n", step+"/"+names.BundleBootstrap, r.Summary())
		dst := filepath.Join(*out, artifact.ZipName(step, *pack))
		if names.NeedsONNX(step) {
			onnxBootstrap = max(onnxBootstrap, bi.Size())
			fit, err := artifact.FitOf(m, *pack, bi.Size(), libInfo.Size())
			if err != nil {
				return err
			}
			if !fit.Zip {
				os.Remove(dst) // a stale zip of this pack would be deployed
				fmt.Printf("%-28s pack %s: %.1f MB unzipped, over Lambda's %.1f MB: container image (lambdas/Dockerfile)\n",
					step, *pack, mb(fit.UnzippedBytes), mb(artifact.MaxUnzippedBytes))
				needsImage = true
				continue
			}
			if modelPaths == nil {
				if modelPaths, err = modelpack.NewResolver(m).PackPaths(ctx, p); err != nil {
					return err
				}
			}
		}
		w, err := artifact.Write(dst, artifact.Entries(step, boot, lib, modelPaths))
		if err != nil {
			return err
		}
		fmt.Printf("%-28s %6.1f MB zipped, %6.1f MB unzipped (limit %.1f MB)\n",
			filepath.Join(*out, filepath.Base(dst)), mb(w.ZippedBytes), mb(w.UnzippedBytes), mb(artifact.MaxUnzippedBytes))
	}
	if needsImage {
		if err := stageImage(ctx, *imageDir, *pack); err != nil {
			return err
		}
	}

	// Which packs fit a zip, with this bootstrap and library.
	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "pack\tmodels\tONNX Lambda unzipped\tpackaging")
	for _, name := range m.PackNames() {
		fit, err := artifact.FitOf(m, name, onnxBootstrap, libInfo.Size())
		if err != nil {
			return err
		}
		how := "zip"
		if !fit.Zip {
			how = "container image (over 250 MB)"
		}
		fmt.Fprintf(tw, "%s\t%.1f MB\t%.1f MB\t%s\n", name, mb(fit.ModelBytes), mb(fit.UnzippedBytes), how)
	}
	return tw.Flush()
}

func mb(n int64) float64 { return float64(n) / 1e6 }
