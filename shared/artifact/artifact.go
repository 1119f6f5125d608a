// Package artifact owns the Lambdas' deployment artifacts: where `make
// package` writes each function's zip and what goes into it (a pure-Go
// bootstrap alone; an ONNX bootstrap with ONNX Runtime and its model pack,
// laid out as names.BundleLibDir and names.BundleModelsDir say), Lambda's
// size limit, and the check that every ELF file in a zip runs on Amazon
// Linux 2023 (its architecture, the glibc and libstdc++ symbol versions it
// needs, and the shared libraries it loads).
//
// It builds nothing (the Makefile compiles the bootstraps) and deploys
// nothing (cdk/stack reads the paths from here).
package artifact

import (
	"fmt"

	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
)

// Dir is where `make package` writes the zips, relative to the repository root.
const Dir = "bin/package"

// MaxUnzippedBytes is Lambda's limit on a function's unzipped code and
// layers (250 MB, which Lambda counts as 262,144,000 bytes).
const MaxUnzippedBytes = 262_144_000

// ZipName is the file name of a step's zip under Dir: <step>.zip for a
// pure-Go step, <step>-<pack>.zip for an ONNX step, whose zip carries one
// model pack.
func ZipName(step, pack string) string {
	if names.NeedsONNX(step) {
		return step + "-" + pack + ".zip"
	}
	return step + ".zip"
}

// Arch is the Lambda architecture a step's zip is built for: the pure-Go
// steps run on arm64 (cheaper per GB-second), the ONNX steps on x86_64
// (the ONNX Runtime build the project ships is x86_64).
func Arch(step string) string {
	if names.NeedsONNX(step) {
		return "x86_64"
	}
	return "arm64"
}

// GOARCH is Go's name of Arch(step).
func GOARCH(step string) string {
	if Arch(step) == "x86_64" {
		return "amd64"
	}
	return "arm64"
}

// memoryMB is each function's memory, chosen from `divinepic cost`'s
// measurements (README.md, "What it costs"): detect and embed run one ONNX
// thread, so below 1,769 MB (one vCPU) their CPU-bound time stretches by
// exactly as much as the memory shrinks and costs the same, while their
// waits on S3 and their memory-bound start get cheaper; 1,024 MB holds a
// 100-megapixel JPEG decoded at reduced scale, and the decode budget (half,
// DecodeBudgetMB) refuses larger decodes, such as a 100-megapixel PNG
// (about 700 MB), rather than running out of memory. Search answers a guest, so it gets a whole
// vCPU. The pure-Go steps wait on S3 more than they compute, but people
// (clustering an album's faces) and the app (pages and searches) keep the
// 2,048 MB their authors chose.
var memoryMB = map[string]int{
	names.StepList:      512,
	names.StepDetect:    1024,
	names.StepEmbed:     1024,
	names.StepFailures:  512,
	names.StepAggregate: 1024,
	names.StepPeople:    2048,
	names.StepReprocess: 512,
	names.StepSearch:    1769,
	names.App:           2048,
}

// MemoryMB is a step's Lambda memory (cdk/stack deploys it, divinepic cost
// prices it).
func MemoryMB(step string) int { return memoryMB[step] }

// decodes are the functions that decode photos (a selfie is one).
var decodes = map[string]bool{names.StepDetect: true, names.StepSearch: true, names.App: true}

// DecodeBudgetMB is the decoder's memory budget for one photo in a
// function that decodes photos (names.EnvMaxDecodeMB; 0 for the others):
// half its memory, so that the photo's compressed bytes, ONNX Runtime with
// the pack's models and Go's heap fit beside it. A photo over it is
// refused as ImageUnsupported, with the budget, rather than ending the
// function out of memory.
func DecodeBudgetMB(step string) int {
	if !decodes[step] {
		return 0
	}
	return memoryMB[step] / 2
}

// PackBytes is the size of a pack's model files, from the manifest.
func PackBytes(m *modelpack.Manifest, p *modelpack.Pack) (int64, error) {
	var n int64
	for _, name := range p.FileNames() {
		f, ok := m.Files[name]
		if !ok {
			return 0, fmt.Errorf("pack %s: file %s is not in the manifest", p.Name, name)
		}
		n += f.Size
	}
	return n, nil
}

// Fit says whether an ONNX step's zip with this pack stays under
// MaxUnzippedBytes, given the bootstrap's and the library's sizes.
type Fit struct {
	Pack          string
	ModelBytes    int64
	UnzippedBytes int64 // bootstrap + library + models
	Zip           bool  // false: the pack needs the container image
}

// FitOf computes a pack's Fit.
func FitOf(m *modelpack.Manifest, pack string, bootstrapBytes, libraryBytes int64) (Fit, error) {
	p, err := m.Pack(pack)
	if err != nil {
		return Fit{}, err
	}
	models, err := PackBytes(m, p)
	if err != nil {
		return Fit{}, err
	}
	total := bootstrapBytes + libraryBytes + models
	return Fit{Pack: pack, ModelBytes: models, UnzippedBytes: total, Zip: total <= MaxUnzippedBytes}, nil
}
