package modelpack

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/names"
)

// FetchCommand is what a person runs to fetch a pack's files into the cache.
const FetchCommand = "make models PACK=<pack>  (or: go run ./cmd/setup models --pack <pack>)"

// Resolver finds model files: in EnvDir ($DIVINEPIC_MODELS), then BundleDir
// (models/ beside the executable: a Lambda zip), then CacheDir (<cache>/models), then SharedDir (../shared/models), then, when Download is
// set, by downloading from the file's upstream source into CacheDir. Every
// candidate is checked against the manifest's sha256; a mismatch is reported
// and never used. Safe for concurrent use.
type Resolver struct {
	Manifest  *Manifest
	EnvDir    string
	BundleDir string
	CacheDir  string
	SharedDir string
	Download  bool
	// HTTP fetches URL and archive sources; NPM is the npm command for npm
	// sources. Both are seams for tests.
	HTTP *http.Client
	NPM  string

	mu       sync.Mutex
	verified map[string]stamp // path → what was verified
}

type stamp struct {
	size  int64
	mtime time.Time
}

// NewResolver builds a Resolver with the standard search path and downloads
// enabled.
func NewResolver(m *Manifest) *Resolver {
	r := &Resolver{
		Manifest:  m,
		EnvDir:    os.Getenv(names.EnvModels),
		BundleDir: locate.BesideExecutable(names.BundleModelsDir),
		CacheDir:  filepath.Join(locate.CacheDir(), "models"),
		Download:  true,
		HTTP:      &http.Client{Timeout: 10 * time.Minute},
		NPM:       "npm",
	}
	if s, err := locate.SharedDir(); err == nil {
		r.SharedDir = filepath.Join(s, "models")
	}
	return r
}

// MissingError says that a model file could not be found or fetched, where
// it was looked for, and how to get it.
type MissingError struct {
	File  string
	Tried []string // one line per place: what was found there
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("model file %s is not available:\n  %s\nfetch it with: %s, or put a copy in $%s",
		e.File, strings.Join(e.Tried, "\n  "), FetchCommand, names.EnvModels)
}

// Path returns the absolute path of a verified copy of the named model file.
func (r *Resolver) Path(ctx context.Context, name string) (string, error) {
	f, ok := r.Manifest.Files[name]
	if !ok {
		return "", fmt.Errorf("model file %q is not in the manifest", name)
	}
	var tried []string
	places := []struct{ label, dir string }{
		{"$" + names.EnvModels, r.EnvDir},
		{"beside the executable", r.BundleDir},
		{"cache", r.CacheDir},
		{"shared", r.SharedDir},
	}
	for _, pl := range places {
		if pl.dir == "" {
			tried = append(tried, fmt.Sprintf("%s: not set", pl.label))
			continue
		}
		p, err := filepath.Abs(filepath.Join(pl.dir, name))
		if err != nil {
			return "", err
		}
		switch err := r.verify(p, f); {
		case err == nil:
			return p, nil
		case errors.Is(err, os.ErrNotExist):
			tried = append(tried, fmt.Sprintf("%s: not there", p))
		default:
			tried = append(tried, fmt.Sprintf("%s: %v (not used)", p, err))
		}
	}
	switch {
	case !r.Download:
		tried = append(tried, "download: disabled")
	case !f.HasSource():
		tried = append(tried, "download: no upstream source is known for this file")
	case r.CacheDir == "":
		tried = append(tried, "download: no cache directory to download into")
	default:
		p, err := r.fetch(ctx, f)
		if err == nil {
			return p, nil
		}
		tried = append(tried, fmt.Sprintf("download from %s: %v", f.Source(), err))
	}
	return "", &MissingError{File: name, Tried: tried}
}

// PackPaths resolves every file of a pack, detector first.
func (r *Resolver) PackPaths(ctx context.Context, p *Pack) ([]string, error) {
	var out []string
	for _, name := range p.FileNames() {
		path, err := r.Path(ctx, name)
		if err != nil {
			return nil, err
		}
		out = append(out, path)
	}
	return out, nil
}

// verify checks size and sha256 of the file at p. A file verified before
// with the same size and modification time is not hashed again.
func (r *Resolver) verify(p string, f File) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if st.Size() != f.Size {
		return fmt.Errorf("size %d, want %d", st.Size(), f.Size)
	}
	r.mu.Lock()
	s, ok := r.verified[p]
	r.mu.Unlock()
	if ok && s.size == st.Size() && s.mtime.Equal(st.ModTime()) {
		return nil
	}
	sum, err := FileSHA256(p)
	if err != nil {
		return err
	}
	if sum != f.SHA256 {
		return fmt.Errorf("sha256 mismatch: got %s, want %s", sum, f.SHA256)
	}
	r.mu.Lock()
	if r.verified == nil {
		r.verified = map[string]stamp{}
	}
	r.verified[p] = stamp{st.Size(), st.ModTime()}
	r.mu.Unlock()
	return nil
}

// fetch downloads f into the cache: into a temporary file first, checked,
// then renamed, so the cache never holds a partial or wrong file.
func (r *Resolver) fetch(ctx context.Context, f File) (string, error) {
	if err := os.MkdirAll(r.CacheDir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(r.CacheDir, "."+f.Name+".*.part")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	w := io.MultiWriter(tmp, h)
	switch {
	case f.URL != "":
		err = r.fetchURL(ctx, f.URL, f.Size, w)
	case f.NPM != nil:
		err = r.fetchNPM(ctx, *f.NPM, f.Size, w)
	case f.Archive != nil:
		err = r.fetchZip(ctx, *f.Archive, f.Size, w)
	}
	if err != nil {
		return "", err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return "", fmt.Errorf("downloaded file's sha256 %s does not match %s: not used", sum, f.SHA256)
	}
	if err := tmp.Sync(); err != nil {
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	dst := filepath.Join(r.CacheDir, f.Name)
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", err
	}
	return filepath.Abs(dst)
}

// copyLimited copies at most want bytes and fails if src has more or fewer.
func copyLimited(w io.Writer, src io.Reader, want int64) error {
	n, err := io.Copy(w, io.LimitReader(src, want+1))
	if err != nil {
		return err
	}
	if n != want {
		return fmt.Errorf("got %d bytes, want %d", n, want)
	}
	return nil
}

func (r *Resolver) get(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	client := r.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

func (r *Resolver) fetchURL(ctx context.Context, url string, size int64, w io.Writer) error {
	body, err := r.get(ctx, url)
	if err != nil {
		return err
	}
	defer body.Close()
	return copyLimited(w, body, size)
}

func (r *Resolver) fetchZip(ctx context.Context, z Zip, size int64, w io.Writer) error {
	body, err := r.get(ctx, z.URL)
	if err != nil {
		return err
	}
	defer body.Close()
	tmp, err := os.CreateTemp("", "divinepic-zip-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if err != nil {
		return err
	}
	if z.SHA256 != "" {
		if sum := hex.EncodeToString(h.Sum(nil)); sum != z.SHA256 {
			return fmt.Errorf("archive sha256 %s does not match %s", sum, z.SHA256)
		}
	}
	zr, err := zip.NewReader(tmp, n)
	if err != nil {
		return fmt.Errorf("open archive: %w", err)
	}
	for _, zf := range zr.File {
		// Archives put members at the top or in a folder named after the
		// pack; a bare member name matches either.
		if zf.Name == z.Member || (!strings.Contains(z.Member, "/") && path.Base(zf.Name) == z.Member) {
			rc, err := zf.Open()
			if err != nil {
				return err
			}
			defer rc.Close()
			return copyLimited(w, rc, size)
		}
	}
	return fmt.Errorf("archive has no member %s", z.Member)
}

func (r *Resolver) fetchNPM(ctx context.Context, p NPM, size int64, w io.Writer) error {
	return FetchNPMFile(ctx, r.NPM, p, size, w)
}

// FetchNPMFile runs `npm pack` for p.Package@p.Version (no install scripts)
// in a temporary directory and copies the tarball's member p.Path, which
// must be exactly size bytes, to w. npm is the command ("" means "npm").
func FetchNPMFile(ctx context.Context, npm string, p NPM, size int64, w io.Writer) error {
	if npm == "" {
		npm = "npm"
	}
	if _, err := exec.LookPath(npm); err != nil {
		return fmt.Errorf("npm is needed to fetch %s@%s: install Node.js and npm: %w", p.Package, p.Version, err)
	}
	dir, err := os.MkdirTemp("", "divinepic-npm-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "--ignore-scripts", "--pack-destination", dir, p.Package+"@"+p.Version)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm pack %s@%s: %v: %s", p.Package, p.Version, err, strings.TrimSpace(string(out)))
	}
	tgzs, _ := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if len(tgzs) != 1 {
		return fmt.Errorf("npm pack %s@%s made no tarball", p.Package, p.Version)
	}
	return extractFromTgz(tgzs[0], p.Path, size, w)
}

// extractFromTgz copies one member of a .tgz to w.
func extractFromTgz(tgz, member string, size int64, w io.Writer) error {
	fh, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer fh.Close()
	gz, err := gzip.NewReader(fh)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return fmt.Errorf("%s has no member %s", filepath.Base(tgz), member)
		}
		if err != nil {
			return err
		}
		if hdr.Name == member {
			return copyLimited(w, tr, size)
		}
	}
}

// FileSHA256 is the hex sha256 of a file's content.
func FileSHA256(p string) (string, error) {
	fh, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	if _, err := io.Copy(h, fh); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
