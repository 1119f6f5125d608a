// Command setup provisions what the project needs outside the repository,
// into the cache (shared/locate.CacheDir), idempotently:
//
//	go run ./cmd/setup ort              ONNX Runtime's shared library, from the npm package onnxruntime-node
//	go run ./cmd/setup models [--pack P] [--all]   a pack's model files (found or downloaded, sha256-checked)
//	go run ./cmd/setup                  both, for the default pack
//	go run ./cmd/setup image [--pack P] DIR   stage the ONNX Lambdas' image inputs: DIR/libonnxruntime.so.1, DIR/models/
//	go run ./cmd/setup package [--pack P]     every Lambda's zip in bin/package, size- and glibc-checked (make package)
//	go run ./cmd/setup onnx-steps       print the steps whose Lambdas run ONNX Runtime (shared/names), for the Makefile
//
// A second run finds everything in place, does nothing and says so. System
// packages (C libraries for cgo) are the Makefile's job, not this command's.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"

	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/onnx"
)

// The ONNX Runtime build we install: onnxruntime-node's Linux x64 library.
const (
	ortPackage = "onnxruntime-node"
	ortMember  = "package/bin/napi-v6/linux/x64/libonnxruntime.so.1"
	ortSHA256  = "92ba8e44d31b80a34f5e805076a044122c3be1fffe0d88ed790de7267b0b2682"
	ortSize    = 35164376
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	what := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		what, args = args[0], args[1:]
	}
	switch what {
	case "":
		if err := installORT(ctx); err != nil {
			return err
		}
		return fetchModels(ctx, []string{modelpack.DefaultPack})
	case "ort":
		return installORT(ctx)
	case "onnx-steps":
		var onnxSteps []string
		for _, s := range names.Lambdas {
			if names.NeedsONNX(s) {
				onnxSteps = append(onnxSteps, s)
			}
		}
		fmt.Println(strings.Join(onnxSteps, " "))
		return nil
	case "image":
		fs := flag.NewFlagSet("image", flag.ContinueOnError)
		pack := fs.String("pack", modelpack.DefaultPack, "the model pack the image carries")
		if err := fs.Parse(args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return fmt.Errorf("usage: setup image [--pack P] DIR")
		}
		return stageImage(ctx, fs.Arg(0), *pack)
	case "package":
		return packageCommand(ctx, args)
	case "models":
		fs := flag.NewFlagSet("models", flag.ContinueOnError)
		pack := fs.String("pack", modelpack.DefaultPack, "the model pack whose files to fetch")
		all := fs.Bool("all", false, "every pack (the InsightFace packs are 0.1–0.4 GB each)")
		if err := fs.Parse(args); err != nil {
			return err
		}
		packs := []string{*pack}
		if *all {
			m, err := modelpack.Default()
			if err != nil {
				return err
			}
			packs = m.PackNames()
		}
		return fetchModels(ctx, packs)
	}
	return fmt.Errorf("unknown target %q: use ort, models [--pack P|--all], image [--pack P] DIR, package [--pack P], onnx-steps, or nothing for ort and models", what)
}

// installORT puts libonnxruntime into the cache unless a verified copy is
// already there.
func installORT(ctx context.Context) error {
	dst := onnx.CachedLibraryPath()
	if sum, err := modelpack.FileSHA256(dst); err == nil && sum == ortSHA256 {
		fmt.Printf("ONNX Runtime %s: already installed at %s, nothing to do\n", onnx.ORTVersion, dst)
		return nil
	}
	fmt.Printf("ONNX Runtime %s: fetching %s@%s with npm pack ...\n", onnx.ORTVersion, ortPackage, onnx.ORTVersion)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".libonnxruntime-*.part")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if err := modelpack.FetchNPMFile(ctx, "npm", modelpack.NPM{Package: ortPackage, Version: onnx.ORTVersion, Path: ortMember}, ortSize, io.MultiWriter(tmp, h)); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != ortSHA256 {
		return fmt.Errorf("%s from %s@%s has sha256 %s, want %s: not installed", ortMember, ortPackage, onnx.ORTVersion, sum, ortSHA256)
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return err
	}
	fmt.Printf("ONNX Runtime %s: installed at %s\n", onnx.ORTVersion, dst)
	return nil
}

func fetchModels(ctx context.Context, packs []string) error {
	m, err := modelpack.Default()
	if err != nil {
		return err
	}
	r := modelpack.NewResolver(m)
	for _, name := range packs {
		p, err := m.Pack(name)
		if err != nil {
			return err
		}
		paths, err := r.PackPaths(ctx, p)
		if err != nil {
			return fmt.Errorf("pack %s: %w", name, err)
		}
		fmt.Printf("model pack %s (%s): ready in %s\n", name, p.Version, r.CacheDir)
		// Keep a copy in the cache, so that a binary run from anywhere finds
		// the pack without ../shared.
		for _, path := range paths {
			dst := filepath.Join(r.CacheDir, filepath.Base(path))
			if path != dst {
				if err := os.MkdirAll(r.CacheDir, 0o755); err != nil {
					return err
				}
				if err := copyFile(path, dst); err != nil {
					return err
				}
			}
			fmt.Printf("  %s\n", dst)
		}
	}
	return nil
}

// stageImage copies what lambdas/Dockerfile takes from bin/image: the
// verified ONNX Runtime library and the pack's model files (only them).
func stageImage(ctx context.Context, dir, pack string) error {
	if err := installORT(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		return err
	}
	if err := copyFile(onnx.CachedLibraryPath(), filepath.Join(dir, "libonnxruntime.so.1")); err != nil {
		return err
	}
	m, err := modelpack.Default()
	if err != nil {
		return err
	}
	p, err := m.Pack(pack)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(dir, "models")); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "models"), 0o755); err != nil {
		return err
	}
	paths, err := modelpack.NewResolver(m).PackPaths(ctx, p)
	if err != nil {
		return err
	}
	for _, src := range paths {
		if err := copyFile(src, filepath.Join(dir, "models", filepath.Base(src))); err != nil {
			return err
		}
	}
	fmt.Printf("image inputs staged in %s (ONNX Runtime %s, pack %s)\n", dir, onnx.ORTVersion, p.Version)
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".part"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}
