// Package locate finds the places outside the repository that the project
// reads at run time: its cache directory (ONNX Runtime, downloaded models)
// and the read-only data directory beside the checkout, ../shared (models,
// test photos, documents). It owns path lookup only; it never downloads or
// writes.
//
// Two things are called "shared": the repository's shared/ is the Go
// library; ../shared beside the checkout is data. The data directory is
// found from the module root (the directory whose go.mod declares Module)
// and recognised by a marker file (Markers), never by its name alone, so
// the library's own folders can never be taken for it.
package locate

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/divinepic/pipeline/shared/names"
)

// Module is the project's Go module path, which identifies its checkout.
const Module = "github.com/divinepic/pipeline"

// Markers are files of which a data directory holds at least one.
var Markers = []string{filepath.Join("testdata", "truth.json"), filepath.Join("models", "SHA256SUMS")}

// CacheDir is where the project keeps what it fetched: $DIVINEPIC_CACHE, else
// $XDG_CACHE_HOME/divinepic, else ~/.cache/divinepic. It is not created here.
func CacheDir() string {
	if d := os.Getenv(names.EnvCache); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "divinepic")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".cache", "divinepic")
	}
	return filepath.Join(os.TempDir(), "divinepic-cache")
}

// ErrNoShared means no data directory was found.
var ErrNoShared = errors.New("no shared data directory found: set " + names.EnvShared + " or run from a checkout that has ../shared (with testdata/truth.json or models/SHA256SUMS) beside it")

// SharedDir finds the data directory: $DIVINEPIC_SHARED, else the folder
// "shared" beside the module root above the working directory or the
// executable, when it holds one of Markers.
func SharedDir() (string, error) {
	if d := os.Getenv(names.EnvShared); d != "" {
		return d, nil
	}
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		root, ok := ModuleRoot(start)
		if !ok {
			continue
		}
		cand := filepath.Join(filepath.Dir(root), "shared")
		if HasMarker(cand) {
			return cand, nil
		}
	}
	return "", ErrNoShared
}

// ModuleRoot returns the nearest directory at or above dir whose go.mod
// declares Module.
func ModuleRoot(dir string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		if declaresModule(filepath.Join(d, "go.mod")) {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// HasMarker reports whether dir holds one of Markers.
func HasMarker(dir string) bool {
	for _, m := range Markers {
		if st, err := os.Stat(filepath.Join(dir, m)); err == nil && st.Mode().IsRegular() {
			return true
		}
	}
	return false
}

func declaresModule(goMod string) bool {
	f, err := os.Open(goMod)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if mod, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(mod), `"`) == Module
		}
	}
	return false
}

// TestdataDir is $DIVINEPIC_TESTDATA, else SharedDir()/testdata.
func TestdataDir() (string, error) {
	if d := os.Getenv(names.EnvTestdata); d != "" {
		return d, nil
	}
	s, err := SharedDir()
	if err != nil {
		return "", err
	}
	d := filepath.Join(s, "testdata")
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return "", errors.New("no testdata directory in the shared data directory (" + names.EnvShared + ")")
	}
	return d, nil
}

// BesideExecutable is rel joined to the directory of the running
// executable (symbolic links resolved), or "" when that is unknown. A
// Lambda zip keeps its libraries and models there (see names.BundleLibDir).
func BesideExecutable(rel string) string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return filepath.Join(filepath.Dir(exe), rel)
}
