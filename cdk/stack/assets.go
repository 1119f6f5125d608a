package stack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/divinepic/pipeline/shared/modelpack"
)

// Paths inside the repository that the stack reads at synth time.
const (
	DefinitionFile = "statemachine.asl.json"
	Dockerfile     = "lambdas/Dockerfile"            // relative to the repository root, the image's build context
	LambdaBinDir   = "bin/lambdas"                   // <step>/bootstrap, made by `make build`
	ImageLibrary   = "bin/image/libonnxruntime.so.1" // ONNX Runtime for the container image
	ImageModels    = "bin/image/models"              // the default pack's model files for the container image
)

// ErrNotBuilt says a function's artifact is missing and placeholders are
// not allowed.
var ErrNotBuilt = errors.New("the Lambdas' artifacts are not built: run `make package` first (or synthesize with -c placeholders=true for a template that cannot be deployed)")

// placeholderBootstrap is deployed in place of a missing binary: it fails
// every invocation with a message saying what to do. Its bytes never change,
// so neither does the placeholder asset's hash.
const placeholderBootstrap = `#!/bin/sh
echo "divinepic: this Lambda was synthesized without its artifact; run make package, then deploy again" >&2
exit 1
`

// FindRepoRoot walks up from dir to the directory that holds go.mod and the
// workflow definition.
func FindRepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if isFile(filepath.Join(d, "go.mod")) && isFile(filepath.Join(d, DefinitionFile)) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no directory with go.mod and %s above %s", DefinitionFile, dir)
		}
	}
}

// placeholderDir writes the placeholder bootstrap into a fixed directory
// under the system temp directory (idempotently) and returns it.
func placeholderDir() (string, error) {
	dir := filepath.Join(os.TempDir(), "divinepic-cdk-placeholder")
	path := filepath.Join(dir, "bootstrap")
	if b, err := os.ReadFile(path); err == nil && string(b) == placeholderBootstrap {
		return dir, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("placeholder Lambda asset: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".bootstrap-*")
	if err != nil {
		return "", fmt.Errorf("placeholder Lambda asset: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(placeholderBootstrap); err != nil {
		tmp.Close()
		return "", fmt.Errorf("placeholder Lambda asset: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("placeholder Lambda asset: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o755); err != nil {
		return "", fmt.Errorf("placeholder Lambda asset: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("placeholder Lambda asset: %w", err)
	}
	return dir, nil
}

// imageInputs lists what the container image of step copies from the build
// context (relative paths), and which of them are missing.
func imageInputs(root, step string) (all, missing []string) {
	all = []string{Dockerfile, LambdaBinDir + "/" + step + "/bootstrap", ImageLibrary, ImageModels}
	for _, p := range all {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			missing = append(missing, p)
		}
	}
	return all, missing
}

// imagePackFiles lists the pack's model files that the staged image inputs
// lack (`make package PACK=<pack>` stages exactly the pack's files): an
// image staged for another pack must not be deployed as this one.
func imagePackFiles(root string, pack *modelpack.Pack) (missing []string) {
	for _, f := range pack.FileNames() {
		if !isFile(filepath.Join(root, ImageModels, f)) {
			missing = append(missing, ImageModels+"/"+f)
		}
	}
	return missing
}

// imageExcludes is the Docker-style ignore list that keeps the image's build
// context (the repository root) down to the files the Dockerfile copies for
// this step, so the asset hash changes only when those change.
func imageExcludes(step string) []string {
	return []string{
		"*",
		"!" + Dockerfile,
		"!" + LambdaBinDir + "/" + step + "/bootstrap",
		"!" + ImageLibrary,
		"!" + ImageModels,
	}
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}
