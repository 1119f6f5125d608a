// Package locate finds the places outside the repository that the project
// reads at run time: its cache directory (ONNX Runtime, downloaded models)
// and the read-only ../shared directory beside the checkout (models, test
// photos). It owns path lookup only; it never downloads or writes.
package locate

import (
	"errors"
	"os"
	"path/filepath"
)

// Environment variables that override the search.
const (
	EnvCache    = "DIVINEPIC_CACHE"    // the project's cache directory
	EnvShared   = "DIVINEPIC_SHARED"   // a directory laid out like ../shared (models/, testdata/)
	EnvTestdata = "DIVINEPIC_TESTDATA" // the test photos directory (with truth.json)
)

// CacheDir is where the project keeps what it fetched: $DIVINEPIC_CACHE, else
// $XDG_CACHE_HOME/divinepic, else ~/.cache/divinepic. It is not created here.
func CacheDir() string {
	if d := os.Getenv(EnvCache); d != "" {
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

// ErrNoShared means no ../shared directory was found.
var ErrNoShared = errors.New("no shared directory found: set " + EnvShared + " or run from a checkout that has ../shared beside it")

// SharedDir finds the shared directory: $DIVINEPIC_SHARED, else the first
// "shared" directory holding models/ or testdata/ found beside an ancestor of
// the working directory or of the executable (so ../shared from the checkout,
// ../../shared from a package directory during go test, and so on).
func SharedDir() (string, error) {
	if d := os.Getenv(EnvShared); d != "" {
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
		for dir := start; ; dir = filepath.Dir(dir) {
			cand := filepath.Join(dir, "shared")
			if isDir(filepath.Join(cand, "models")) || isDir(filepath.Join(cand, "testdata")) {
				return cand, nil
			}
			if parent := filepath.Dir(dir); parent == dir {
				break
			}
		}
	}
	return "", ErrNoShared
}

// TestdataDir is $DIVINEPIC_TESTDATA, else SharedDir()/testdata.
func TestdataDir() (string, error) {
	if d := os.Getenv(EnvTestdata); d != "" {
		return d, nil
	}
	s, err := SharedDir()
	if err != nil {
		return "", err
	}
	d := filepath.Join(s, "testdata")
	if !isDir(d) {
		return "", errors.New("no testdata directory in " + s)
	}
	return d, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
