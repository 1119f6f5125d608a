package artifact

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/divinepic/pipeline/shared/names"
)

// Entry is one file of a zip: its name inside the zip and where its bytes
// come from.
type Entry struct {
	Name       string // slash-separated, relative (e.g. "lib/libonnxruntime.so.1")
	Source     string // a file on disk
	Executable bool
}

// Written says what Write produced.
type Written struct {
	Path          string
	ZippedBytes   int64
	UnzippedBytes int64
}

// zipTime is every entry's modification time, so that the same inputs give
// the same bytes (and the CDK asset the same hash).
var zipTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes the entries to a zip at dst (through a temporary file, so a
// failed write leaves no half zip), and refuses one whose unzipped size is
// over MaxUnzippedBytes.
func Write(dst string, entries []Entry) (Written, error) {
	var total int64
	for _, e := range entries {
		fi, err := os.Stat(e.Source)
		if err != nil {
			return Written{}, fmt.Errorf("zip %s: %w", filepath.Base(dst), err)
		}
		total += fi.Size()
	}
	if total > MaxUnzippedBytes {
		return Written{}, fmt.Errorf("zip %s: %d MB unzipped, over Lambda's %d MB: this needs the container image",
			filepath.Base(dst), total/1_000_000, MaxUnzippedBytes/1_000_000)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return Written{}, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".zip-*")
	if err != nil {
		return Written{}, err
	}
	defer os.Remove(tmp.Name())
	zw := zip.NewWriter(tmp)
	for _, e := range entries {
		if err := addFile(zw, e); err != nil {
			tmp.Close()
			return Written{}, fmt.Errorf("zip %s: %s: %w", filepath.Base(dst), e.Name, err)
		}
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		return Written{}, err
	}
	fi, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return Written{}, err
	}
	if err := tmp.Close(); err != nil {
		return Written{}, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Written{}, err
	}
	return Written{Path: dst, ZippedBytes: fi.Size(), UnzippedBytes: total}, nil
}

func addFile(zw *zip.Writer, e Entry) error {
	if path.IsAbs(e.Name) || path.Clean(e.Name) != e.Name || e.Name == ".." || len(e.Name) > 2 && e.Name[:3] == "../" {
		return fmt.Errorf("not a relative slash path")
	}
	src, err := os.Open(e.Source)
	if err != nil {
		return err
	}
	defer src.Close()
	h := &zip.FileHeader{Name: e.Name, Method: zip.Deflate, Modified: zipTime}
	mode := os.FileMode(0o644)
	if e.Executable {
		mode = 0o755
	}
	h.SetMode(mode)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, src)
	return err
}

// Unzip extracts a zip written by Write into dir (which must exist), as
// Lambda unpacks it into /var/task. Names that would leave dir are refused.
func Unzip(src, dir string) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		name := path.Clean(f.Name)
		if path.IsAbs(name) || name == ".." || len(name) > 2 && name[:3] == "../" {
			return fmt.Errorf("unzip %s: entry %q leaves the directory", filepath.Base(src), f.Name)
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := extract(f, dst); err != nil {
			return fmt.Errorf("unzip %s: %s: %w", filepath.Base(src), f.Name, err)
		}
	}
	return nil
}

func extract(f *zip.File, dst string) error {
	r, err := f.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, f.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, r); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Entries is what a step's zip holds: its bootstrap and, for an ONNX step,
// ONNX Runtime in names.BundleLibDir and the pack's model files in
// names.BundleModelsDir (lib and models are ignored for a pure-Go step).
func Entries(step, bootstrap, lib string, models []string) []Entry {
	entries := []Entry{{Name: names.BundleBootstrap, Source: bootstrap, Executable: true}}
	if !names.NeedsONNX(step) {
		return entries
	}
	entries = append(entries, Entry{Name: names.BundleLibDir + "/" + names.ORTLibraryFile, Source: lib})
	for _, m := range models {
		entries = append(entries, Entry{Name: names.BundleModelsDir + "/" + filepath.Base(m), Source: m})
	}
	return entries
}
