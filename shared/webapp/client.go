package webapp

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/divinepic/pipeline/shared/names"
)

// Client is the photographer's API from Go: `divinepic upload` and the
// tests use it. The same code uploads to the local server and, through
// presigned URLs, straight to S3.
type Client struct {
	Endpoint string // the app's base URL
	Token    string // a photographer token
	HTTP     *http.Client
	// Concurrency is how many photos are checksummed and PUT at once
	// (default DefaultUploadConcurrency): the local server hashes each as
	// it arrives, so several at once keep every core busy.
	Concurrency int
	// SkipProcessing uploads without starting the batch's execution.
	SkipProcessing bool
}

// Error is an API error as the client sees it.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("%s (%d %s)", e.Message, e.Status, e.Code) }

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Endpoint, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	return decodeResponse(res, out)
}

func decodeResponse(res *http.Response, out any) error {
	b, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		var e struct {
			Error Error `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
			e.Error.Status = res.StatusCode
			return &e.Error
		}
		return &Error{Status: res.StatusCode, Code: "http", Message: strings.TrimSpace(string(b[:min(len(b), 200)]))}
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// CreateAlbum creates an album; one that is already the caller's is fine.
func (c *Client) CreateAlbum(ctx context.Context, id, title string) error {
	err := c.do(ctx, http.MethodPost, "/api/albums", createAlbumRequest{ID: id, Title: title}, nil)
	var e *Error
	if errors.As(err, &e) && e.Code == CodeAlbumExists {
		return c.do(ctx, http.MethodGet, "/api/albums/"+url.PathEscape(id), nil, nil)
	}
	return err
}

// UploadResult says what Upload did.
type UploadResult struct {
	Uploaded, Skipped int
	Bytes             int64
	Refused           []string // "name: reason"
	Execution         string   // the execution that processes the batch ("" when nothing was sent)
}

// UploadProgress is called after each file.
type UploadProgress func(done, total int, name string)

// Upload sends the photos of dir to an album: asks for a plan with each
// file's size and CRC32C (cheap), hashes (MD5) only the files the plan
// says a photo of the same name and size is there for, and asks again for
// those (same content already there: skipped), PUTs the rest streamed from
// disk, Concurrency at a time, and starts the batch's execution.
func (c *Client) Upload(ctx context.Context, albumID, dir string, progress UploadProgress) (UploadResult, error) {
	var res UploadResult
	var files []planFile
	paths := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != dir && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() || !names.IsPhotoKey(rel) {
			return nil
		}
		files = append(files, planFile{Name: rel})
		paths[rel] = p
		return nil
	})
	if err != nil {
		return res, err
	}
	if len(files) == 0 {
		return res, fmt.Errorf("no photos in %s", dir)
	}
	if err := sumFiles(files, paths, c.concurrency(), fileCRC32C); err != nil {
		return res, err
	}
	var batches []string
	done := 0
	for start := 0; start < len(files); start += maxPlanFiles {
		chunk := files[start:min(len(files), start+maxPlanFiles)]
		batch, plan, err := c.plan(ctx, albumID, chunk, paths)
		if err != nil {
			return res, err
		}
		batches = append(batches, batch)
		var mu sync.Mutex
		var firstErr error
		work := make(chan int)
		var wg sync.WaitGroup
		for range c.concurrency() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range work {
					p, f := plan[i], chunk[i]
					err := c.putFile(ctx, p, paths[f.Name], f.Size)
					mu.Lock()
					done++
					if err != nil {
						var e *Error
						if errors.As(err, &e) && e.Status < 500 {
							res.Refused = append(res.Refused, f.Name+": "+e.Message)
						} else if firstErr == nil {
							firstErr = fmt.Errorf("%s: %w", f.Name, err)
						}
					} else {
						res.Uploaded++
						res.Bytes += f.Size
					}
					if progress != nil {
						progress(done, len(files), f.Name)
					}
					mu.Unlock()
				}
			}()
		}
		for i, p := range plan {
			switch p.Action {
			case "put":
				work <- i
			case "skip":
				mu.Lock()
				res.Skipped++
				done++
				mu.Unlock()
			default:
				mu.Lock()
				res.Refused = append(res.Refused, p.Name+": "+p.Reason)
				done++
				mu.Unlock()
			}
		}
		close(work)
		wg.Wait()
		if firstErr != nil {
			return res, firstErr
		}
	}
	if res.Uploaded+res.Skipped == 0 || c.SkipProcessing {
		return res, nil
	}
	h := sha256.Sum256([]byte(strings.Join(batches, ",")))
	var started struct {
		Execution string `json:"execution"`
	}
	err = c.do(ctx, http.MethodPost, "/api/albums/"+url.PathEscape(albumID)+"/process", processRequest{Batch: hex.EncodeToString(h[:16])}, &started)
	res.Execution = started.Execution
	return res, err
}

type planResponse struct {
	Batch string      `json:"batch"`
	Files []planEntry `json:"files"`
}

// plan asks for the plan of chunk (files with their sizes and CRC32Cs):
// its batch id and an entry per file. The files it answers "hash" for are
// hashed (MD5) and asked about again; a file still "hash" then is refused.
func (c *Client) plan(ctx context.Context, albumID string, chunk []planFile, paths map[string]string) (string, []planEntry, error) {
	path := "/api/albums/" + url.PathEscape(albumID) + "/uploads"
	var first planResponse
	if err := c.do(ctx, http.MethodPost, path, planRequest{Files: chunk}, &first); err != nil {
		return "", nil, err
	}
	if len(first.Files) != len(chunk) {
		return "", nil, fmt.Errorf("the upload plan answers %d files of %d", len(first.Files), len(chunk))
	}
	var again []planFile
	var at []int
	for i, e := range first.Files {
		if e.Action == "hash" {
			again = append(again, chunk[i])
			at = append(at, i)
		}
	}
	if len(again) == 0 {
		return first.Batch, first.Files, nil
	}
	if err := sumFiles(again, paths, c.concurrency(), fileMD5); err != nil {
		return "", nil, err
	}
	var second planResponse
	if err := c.do(ctx, http.MethodPost, path, planRequest{Files: again}, &second); err != nil {
		return "", nil, err
	}
	if len(second.Files) != len(again) {
		return "", nil, fmt.Errorf("the upload plan answers %d files of %d", len(second.Files), len(again))
	}
	for j, e := range second.Files {
		if e.Action == "hash" {
			e.Action, e.Reason = "refuse", "the app asks for the MD5 it was given"
		}
		first.Files[at[j]] = e
		chunk[at[j]] = again[j] // the size hashed is the size to send
	}
	return first.Batch, first.Files, nil
}

// putFile PUTs one file where the plan says, streamed from disk, retrying
// lost connections and server errors.
func (c *Client) putFile(ctx context.Context, p planEntry, path string, size int64) error {
	target, err := url.Parse(p.URL)
	if err != nil {
		return err
	}
	base, err := url.Parse(c.Endpoint)
	if err != nil {
		return err
	}
	u := base.ResolveReference(target).String()
	var last error
	for attempt := range 4 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(250<<attempt) * time.Millisecond):
			}
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, f)
		if err != nil {
			f.Close()
			return err
		}
		req.ContentLength = size
		for k, v := range p.Headers {
			req.Header.Set(k, v)
		}
		res, err := c.http().Do(req)
		f.Close()
		if err != nil {
			last = err
			continue
		}
		err = decodeResponse(res, nil)
		res.Body.Close()
		var e *Error
		if err == nil || (errors.As(err, &e) && e.Status < 500) {
			return err
		}
		last = err
	}
	return last
}

// Progress is the album's latest execution.
func (c *Client) Progress(ctx context.Context, albumID string) (AlbumProgress, error) {
	var p AlbumProgress
	err := c.do(ctx, http.MethodGet, "/api/albums/"+url.PathEscape(albumID)+"/progress", nil, &p)
	return p, err
}

func (c *Client) concurrency() int {
	if c.Concurrency > 0 {
		return c.Concurrency
	}
	return DefaultUploadConcurrency
}

// DefaultUploadConcurrency is Client.Concurrency's default.
const DefaultUploadConcurrency = 4

// sumFiles fills in the files' sizes and a checksum (fileCRC32C or
// fileMD5), conc files at a time.
func sumFiles(files []planFile, paths map[string]string, conc int, sum func(path string, f *planFile) error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(files))
	next := make(chan int)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = sum(paths[files[i].Name], &files[i])
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}

// fileCRC32C sets f's size and CRC32C (with the CPU's CRC instructions:
// gigabytes a second, next to an MD5's hundreds of megabytes).
func fileCRC32C(path string, f *planFile) error {
	h := crc32.New(castagnoli)
	n, err := copyFile(h, path)
	f.Size, f.CRC32C = n, hex.EncodeToString(h.Sum(nil))
	return err
}

// fileMD5 sets f's size and MD5.
func fileMD5(path string, f *planFile) error {
	h := md5.New()
	n, err := copyFile(h, path)
	f.Size, f.MD5 = n, hex.EncodeToString(h.Sum(nil))
	return err
}

func copyFile(w io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return io.Copy(w, f)
}

// GuestMatch is one photo of a guest search, with absolute URLs.
type GuestMatch struct {
	Thumb, Original, Download string
	Score                     float32
}

// GuestSearch searches an album with a selfie through its guest link (the
// URL a photographer shares, …/g/<token>), as the guest page does.
func GuestSearch(ctx context.Context, hc *http.Client, guestLink string, selfie []byte) ([]GuestMatch, error) {
	u, err := url.Parse(guestLink)
	if err != nil || !strings.Contains(u.Path, "/g/") {
		return nil, fmt.Errorf("%q is not a guest link (want http(s)://host/g/TOKEN)", guestLink)
	}
	base, token, _ := strings.Cut(u.Path, "/g/")
	origin := u.Scheme + "://" + u.Host + base
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, origin+"/api/g/"+url.PathEscape(token)+"/search", bytes.NewReader(selfie))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Photos []GuestMatch `json:"photos"`
	}
	if err := decodeResponse(res, &out); err != nil {
		return nil, err
	}
	for i := range out.Photos {
		p := &out.Photos[i]
		p.Thumb, p.Original, p.Download = origin+p.Thumb, origin+p.Original, origin+p.Download
	}
	return out.Photos, nil
}
