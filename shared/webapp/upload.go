package webapp

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/imaging"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
)

// ObjectURLs makes the URLs photo bytes travel by: straight to and from the
// store where it signs URLs (S3), through the app otherwise.
type ObjectURLs interface {
	// PutURL is where a client PUTs a photo of size bytes and hex MD5 for
	// key, and the headers it must send with it.
	PutURL(ctx context.Context, key string, size int64, md5hex string) (string, map[string]string, error)
	// GetURL is a URL that serves key for a short while (as an attachment
	// named download, when not ""), or "" when the app serves the bytes.
	GetURL(ctx context.Context, key, download string) (string, error)
}

// crc32cURLs is an optional capability of ObjectURLs: PUT URLs checked by
// the body's CRC32C instead of its MD5, so that a client need not hash
// (MD5, one core's 200-500 MB/s) a photo the store does not have at all:
// the store computes the ETag as the photo arrives, and a CRC32C costs the
// client next to nothing. S3's presigned PUTs are signed with the MD5.
type crc32cURLs interface {
	// PutURLCRC32C is PutURL for a body whose CRC32C (Castagnoli, 8 hex
	// digits) is crc.
	PutURLCRC32C(ctx context.Context, key string, size int64, crc string) (string, map[string]string, error)
}

// appURLs are the local server's: upload tickets signed by the app.
type appURLs struct{ a *App }

var _ crc32cURLs = appURLs{}

func (u appURLs) PutURL(_ context.Context, key string, size int64, md5hex string) (string, map[string]string, error) {
	t := uploadTicket{Key: key, Size: size, MD5: md5hex, Expires: u.a.now().Add(uploadTTL).Unix()}
	return "/api/uploads/" + u.a.signTicket(t), map[string]string{"Content-MD5": md5Base64(md5hex)}, nil
}

func (u appURLs) PutURLCRC32C(_ context.Context, key string, size int64, crc string) (string, map[string]string, error) {
	t := uploadTicket{Key: key, Size: size, CRC32C: crc, Expires: u.a.now().Add(uploadTTL).Unix()}
	return "/api/uploads/" + u.a.signTicket(t), nil, nil
}

func (appURLs) GetURL(context.Context, string, string) (string, error) { return "", nil }

func md5Base64(md5hex string) string {
	b, _ := hex.DecodeString(md5hex)
	return base64.StdEncoding.EncodeToString(b)
}

// planFile is one file a client means to upload: its MD5, or its CRC32C,
// or both.
type planFile struct {
	Name   string `json:"name"` // the path within the album (folders allowed, '/'-separated)
	Size   int64  `json:"size"`
	MD5    string `json:"md5,omitempty"`    // hex
	CRC32C string `json:"crc32c,omitempty"` // hex, 8 digits (Castagnoli)
}

type planRequest struct {
	Files []planFile `json:"files"`
}

// planEntry says what to do with one file: "skip" (the same content is
// there), "put" (PUT it to url with headers), "hash" (a photo of that name
// and size is there: ask again with the file's MD5 to know whether it is
// the same) or "refuse" (reason).
type planEntry struct {
	Name    string            `json:"name"`
	Action  string            `json:"action"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Reason  string            `json:"reason,omitempty"`
}

// planUpload answers an upload batch: which files are already there, and
// where to PUT the others. A file described by its MD5 is skipped when the
// store's ETag is that MD5; one described by its CRC32C only is PUT at once
// when no photo of its name and size is there, and otherwise answered
// "hash". Its batch id (from each file's CRC32C and size, or its MD5 when
// it has no CRC32C) names the execution that processes the batch once
// every PUT is done.
func (a *App) planUpload(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	var req planRequest
	if err := readJSONLimit(w, r, &req, maxPlanJSONBytes); err != nil {
		writeError(w, err)
		return
	}
	if len(req.Files) == 0 || len(req.Files) > maxPlanFiles {
		writeError(w, errorf(http.StatusBadRequest, CodeBadRequest, "files: 1 to "+strconv.Itoa(maxPlanFiles)+" per request"))
		return
	}
	ctx := r.Context()
	prefix := names.AlbumPrefix(al.ID)
	have := map[string]blob.Info{}
	if err := a.bucket.List(ctx, prefix, func(i blob.Info) error { have[i.Key] = i; return nil }); err != nil {
		writeError(w, err)
		return
	}
	crcURLs, crcOK := a.urls.(crc32cURLs)
	out := make([]planEntry, len(req.Files))
	digest := sha256.New()
	for i, f := range req.Files {
		e := planEntry{Name: f.Name}
		key := prefix + strings.TrimLeft(f.Name, "/")
		md5hex, crc := strings.ToLower(f.MD5), strings.ToLower(f.CRC32C)
		old, there := have[key]
		var u string
		var h map[string]string
		var err error
		switch {
		case f.Name == "" || blob.ValidateKey(key) != nil || !names.IsPhotoKey(key):
			e.Action, e.Reason = "refuse", "this file name cannot be a photo of the album"
		case f.Size <= 0 || f.Size > steps.MaxPhotoBytes:
			e.Action, e.Reason = "refuse", "a photo is 1 byte to "+strconv.Itoa(steps.MaxPhotoBytes>>20)+" MB"
		case md5hex == "" && crc == "":
			e.Action, e.Reason = "refuse", "md5: 32 hex digits of the file's MD5 (or crc32c: 8 hex digits of its CRC32C)"
		case md5hex != "" && !isHex(md5hex, 32):
			e.Action, e.Reason = "refuse", "md5: 32 hex digits of the file's MD5"
		case crc != "" && !isHex(crc, 8):
			e.Action, e.Reason = "refuse", "crc32c: 8 hex digits of the file's CRC32C (Castagnoli)"
		case md5hex != "" && there && old.ETag == md5hex:
			e.Action = "skip"
		case md5hex != "":
			u, h, err = a.urls.PutURL(ctx, key, f.Size, md5hex)
			e.Action = "put"
		case !crcOK || (there && old.Size == f.Size):
			e.Action = "hash"
		default:
			u, h, err = crcURLs.PutURLCRC32C(ctx, key, f.Size, crc)
			e.Action = "put"
		}
		if err != nil {
			writeError(w, err)
			return
		}
		e.URL, e.Headers = u, h
		if e.Action != "refuse" {
			if crc != "" {
				digest.Write([]byte(key + "\x00crc32c:" + crc + ":" + strconv.FormatInt(f.Size, 10) + "\x00"))
			} else {
				digest.Write([]byte(key + "\x00" + md5hex + "\x00"))
			}
		}
		out[i] = e
	}
	writeJSON(w, http.StatusOK, map[string]any{"batch": hex.EncodeToString(digest.Sum(nil))[:32], "files": out})
}

func isHex(s string, n int) bool {
	return len(s) == n && strings.Trim(s, "0123456789abcdef") == ""
}

// receiveUpload is the local store's presigned PUT: the ticket says which
// key, size and MD5 (or CRC32C); the body is streamed to disk, sniffed
// first, its MD5 (the ETag) computed on the way, and lands only when
// complete and matching.
func (a *App) receiveUpload(w http.ResponseWriter, r *http.Request) {
	t, err := a.checkTicket(r.PathValue("ticket"))
	if err != nil {
		writeError(w, err)
		return
	}
	if r.ContentLength >= 0 && r.ContentLength != t.Size {
		writeError(w, errorf(http.StatusBadRequest, CodeBadRequest, "Content-Length differs from the size announced in the upload plan"))
		return
	}
	var in io.Reader = http.MaxBytesReader(w, r.Body, t.Size)
	if t.MD5 == "" {
		in = &crc32cCheck{r: in, size: t.Size, want: t.CRC32C}
	}
	body := bufio.NewReaderSize(in, 64<<10)
	head, _ := body.Peek(imaging.SniffLen)
	if format, ok := imaging.Sniff(head); !ok {
		msg := "this file is not a photo: send JPEG, PNG, WebP or HEIC"
		if format != "" {
			msg = "this file is " + format + ", which is not supported: send JPEG, PNG, WebP or HEIC"
		}
		writeError(w, errorf(http.StatusUnsupportedMediaType, CodeNotAnImage, msg))
		return
	}
	info, err := blob.PutReader(r.Context(), a.bucket, t.Key, body, t.MD5)
	if errors.Is(err, blob.ErrChecksumMismatch) || errors.Is(err, errCRC32CMismatch) {
		writeError(w, errorf(http.StatusBadRequest, CodeChecksum, "the body does not match its MD5: upload the file again"))
		return
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("ETag", `"`+info.ETag+`"`)
	writeJSON(w, http.StatusOK, map[string]any{"etag": info.ETag, "size": info.Size})
}

type processRequest struct {
	Batch     string `json:"batch,omitempty"`     // the upload plan's batch id: its execution is named after it
	Reprocess bool   `json:"reprocess,omitempty"` // redo every photo
}

// process starts the album's execution: the batch's (named after it, so a
// batch starts once), or a new one (the "process now" and "reprocess"
// buttons).
func (a *App) process(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	req := processRequest{}
	if r.ContentLength != 0 {
		if err := readJSON(w, r, &req); err != nil {
			writeError(w, err)
			return
		}
	}
	name := names.StartExecutionName(al.ID, a.now())
	if req.Batch != "" {
		if len(req.Batch) > 64 || strings.Trim(req.Batch, "0123456789abcdef") != "" {
			writeError(w, errorf(http.StatusBadRequest, CodeBadRequest, "batch: the upload plan's batch id"))
			return
		}
		name = names.BatchExecutionName(al.ID, req.Batch)
	}
	arn, err := a.opt.Workflow.Start(r.Context(), name, domain.AlbumInput{AlbumID: al.ID, Reprocess: req.Reprocess})
	if err != nil {
		writeError(w, err)
		return
	}
	al.LastExecution = arn
	if err := a.putAlbum(r.Context(), al); err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"execution": name})
}

// AlbumProgress is an album's latest execution, for the progress bar.
type AlbumProgress struct {
	Status     string     `json:"status"` // none, RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED
	Total      int64      `json:"total"`
	Done       int64      `json:"done"`
	Failed     int64      `json:"failed"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	ETASeconds *float64   `json:"etaSeconds,omitempty"`
}

func (a *App) progress(w http.ResponseWriter, r *http.Request, _ caller, al *domain.Album) {
	if al.LastExecution == "" {
		writeJSON(w, http.StatusOK, AlbumProgress{Status: StatusNone})
		return
	}
	p, err := a.opt.Workflow.Progress(r.Context(), al.LastExecution)
	if err != nil {
		writeError(w, err)
		return
	}
	v := AlbumProgress{Status: p.Status, Total: p.Total, Done: p.Succeeded, Failed: p.Failed}
	if !p.StartedAt.IsZero() {
		v.StartedAt = &p.StartedAt
		finished := p.Succeeded + p.Failed
		if p.Status == "RUNNING" && finished > 0 && p.Total > finished {
			eta := a.now().Sub(p.StartedAt).Seconds() / float64(finished) * float64(p.Total-finished)
			v.ETASeconds = &eta
		}
	}
	writeJSON(w, http.StatusOK, v)
}

type signInRequest struct {
	Token string `json:"token"`
}

// signIn checks a token and keeps it in the session cookie. It takes JSON
// only, which a cross-site form cannot send.
func (a *App) signIn(w http.ResponseWriter, r *http.Request) {
	var req signInRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, err)
		return
	}
	r.Header.Set("Authorization", "Bearer "+req.Token)
	c, err := a.photographer(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if c.photographer == nil {
		writeError(w, errorf(http.StatusUnauthorized, CodeUnauthenticated, "this token is not valid: check it, or create one with divinepic token create"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: strings.TrimSpace(req.Token), Path: "/", HttpOnly: true,
		Secure: a.opt.SecureCookies, SameSite: http.SameSiteStrictMode, MaxAge: 30 * 24 * 3600})
	writeJSON(w, http.StatusOK, map[string]any{"name": c.photographer.Name})
}

func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: a.opt.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: -1})
	w.WriteHeader(http.StatusNoContent)
}

// errCRC32CMismatch: a body that is not the one planned (see crc32cCheck).
var errCRC32CMismatch = errors.New("content does not match its CRC32C")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32cCheck passes r through, and at its end fails with
// errCRC32CMismatch unless it was size bytes whose CRC32C is want: the
// store then keeps nothing of it (a read error is the sender's fault).
type crc32cCheck struct {
	r    io.Reader
	size int64
	want string
	n    int64
	crc  uint32
}

func (c *crc32cCheck) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	if err == io.EOF && (c.n != c.size || fmt.Sprintf("%08x", c.crc) != c.want) {
		err = errCRC32CMismatch
	}
	return n, err
}
