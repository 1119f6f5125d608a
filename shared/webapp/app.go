package webapp

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"strings"
	"time"

	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/steps"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Request size limits.
const (
	maxJSONBytes   = 64 << 10
	MaxSelfieBytes = 15 << 20 // a phone camera's largest JPEG or HEIC
	maxPlanFiles   = 1000     // files per upload plan request
	// An upload plan's body: maxPlanFiles files of a long name, a size, an
	// MD5 and a CRC32C each.
	maxPlanJSONBytes = maxPlanFiles * 512
)

// Default lifetimes.
const (
	DefaultGuestLinkDays = 30
	grantTTL             = 2 * time.Hour
	uploadTTL            = time.Hour
)

// Options configure an App.
type Options struct {
	// Steps is the pipeline: its blob store and bucket (photos, records),
	// model packs and Search. Required.
	Steps *steps.Steps
	// Workflow starts and watches album executions. Required.
	Workflow Workflow
	// Secret signs guest links, photo grants, upload URLs and CSRF tokens:
	// at least MinSecretBytes. Required.
	Secret []byte
	// URLs makes upload and download URLs. nil: the app's own signed URLs
	// (the local server); on AWS, S3 presigned URLs (NewS3URLs).
	URLs ObjectURLs
	// BaseURL is the app's public URL for guest links (default: the
	// request's scheme and host).
	BaseURL string
	// StoreOrigin is the origin presigned URLs point to (the bucket's
	// endpoint), allowed by the Content-Security-Policy.
	StoreOrigin string
	// GuestSearchesPerMinute per client address (default 10, bursts of 5).
	GuestSearchesPerMinute int
	// SecureCookies marks the session cookie Secure (HTTPS deployments).
	SecureCookies bool
	Now           func() time.Time
}

// App is the web app: an http.Handler.
type App struct {
	opt     Options
	bucket  blob.Store
	pack    *modelpack.Pack
	sign    signer
	urls    ObjectURLs
	pages   *template.Template
	mux     *http.ServeMux
	limiter *rateLimiter
	indexes indexCache
	csp     string
}

var _ http.Handler = (*App)(nil)

// New builds the app.
func New(opt Options) (*App, error) {
	if opt.Steps == nil || opt.Workflow == nil {
		return nil, fmt.Errorf("webapp: Steps and Workflow are required")
	}
	if len(opt.Secret) < MinSecretBytes {
		return nil, fmt.Errorf("webapp: the secret must be at least %d bytes", MinSecretBytes)
	}
	b, err := opt.Steps.Blobs.Bucket(opt.Steps.Bucket)
	if err != nil {
		return nil, err
	}
	pack, err := opt.Steps.Packs.Pack(opt.Steps.DefaultPack)
	if err != nil {
		return nil, err
	}
	pages, err := template.New("").Funcs(templateFuncs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	if opt.GuestSearchesPerMinute <= 0 {
		opt.GuestSearchesPerMinute = 10
	}
	a := &App{opt: opt, bucket: b, pack: pack, sign: signer{secret: opt.Secret}, pages: pages,
		limiter: newRateLimiter(opt.GuestSearchesPerMinute, 5, opt.Now)}
	a.urls = opt.URLs
	if a.urls == nil {
		a.urls = appURLs{a}
	}
	src := "'self'"
	if opt.StoreOrigin != "" {
		src += " " + opt.StoreOrigin
	}
	a.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: " + src +
		"; connect-src " + src + "; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
	a.routes()
	return a, nil
}

func (a *App) now() time.Time {
	if a.opt.Now != nil {
		return a.opt.Now()
	}
	return time.Now()
}

// routes is every route of the app, in one place.
func (a *App) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))

	// Pages.
	m.HandleFunc("GET /{$}", a.homePage)
	m.HandleFunc("GET /albums/{album}", a.albumPage)
	m.HandleFunc("GET /g/{link}", a.guestPage)

	// The photographer's API.
	m.HandleFunc("POST /api/session", a.signIn)
	m.HandleFunc("DELETE /api/session", a.signOut)
	m.HandleFunc("GET /api/albums", a.photographerOnly(a.listAlbums))
	m.HandleFunc("POST /api/albums", a.photographerOnly(a.createAlbum))
	m.HandleFunc("GET /api/albums/{album}", a.ownAlbum(a.getAlbum))
	m.HandleFunc("GET /api/albums/{album}/photos", a.ownAlbum(a.listPhotos))
	m.HandleFunc("GET /api/albums/{album}/photos/{image}", a.ownAlbum(a.getPhoto))
	m.HandleFunc("GET /api/albums/{album}/photos/{image}/{size}", a.ownAlbum(a.photoBytes))
	m.HandleFunc("POST /api/albums/{album}/uploads", a.ownAlbum(a.planUpload))
	m.HandleFunc("POST /api/albums/{album}/process", a.ownAlbum(a.process))
	m.HandleFunc("GET /api/albums/{album}/progress", a.ownAlbum(a.progress))
	m.HandleFunc("POST /api/albums/{album}/guest-link", a.ownAlbum(a.newGuestLink))
	m.HandleFunc("GET /api/albums/{album}/faces/{image}/{n}", a.ownAlbum(a.faceCrop))
	m.HandleFunc("POST /api/albums/{album}/people/merge", a.ownAlbum(a.mergePeople))
	m.HandleFunc("POST /api/albums/{album}/people/split", a.ownAlbum(a.splitPeople))
	// The local store's presigned PUT (the ticket is the authorisation).
	m.HandleFunc("PUT /api/uploads/{ticket}", a.receiveUpload)

	// The guest's API (the link is the authorisation).
	m.HandleFunc("POST /api/g/{link}/search", a.guestSearch)
	m.HandleFunc("GET /api/g/{link}/photos/{grant}", a.guestPhoto)

	a.mux = m
}

// ServeHTTP serves a request with the app's security headers; a panic
// becomes a 500 JSON error.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", a.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer") // guest links are in URLs
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Printf("webapp: panic serving %s %s: %v", r.Method, r.URL.Path, v)
			writeError(w, fmt.Errorf("panic: %v", v))
		}
	}()
	if strings.HasPrefix(r.URL.Path, "/api/") {
		// No route, or one with another method: say so in JSON, like every
		// other API error (the mux would answer in plain text).
		if _, pattern := a.mux.Handler(r); pattern == "" {
			writeError(w, a.noRoute(r))
			return
		}
	}
	a.mux.ServeHTTP(w, r)
}

// noRoute tells a method the route does not take from a route that does
// not exist.
func (a *App) noRoute(r *http.Request) error {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		other := r.Clone(r.Context())
		other.Method = m
		if _, pattern := a.mux.Handler(other); pattern != "" {
			return errorf(http.StatusMethodNotAllowed, CodeMethod, r.Method+" is not allowed here: see the README's API section")
		}
	}
	return errorf(http.StatusNotFound, CodeNotFound, "no such API route: see the README's API section")
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		h.ServeHTTP(w, r)
	})
}

// photographerOnly runs h for an authenticated photographer; a state
// change made with the session cookie must carry the CSRF token.
func (a *App) photographerOnly(h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := a.photographer(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if c.photographer == nil {
			writeError(w, errUnauthenticated)
			return
		}
		if c.byCookie && r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !a.sign.verify("csrf", r.Header.Get("X-CSRF-Token"), c.photographer.ID) {
				writeError(w, errorf(http.StatusForbidden, CodeCSRF, "missing or wrong X-CSRF-Token header: reload the page"))
				return
			}
		}
		h(w, r, c)
	}
}

// baseURL is the app's public URL.
func (a *App) baseURL(r *http.Request) string {
	if a.opt.BaseURL != "" {
		return strings.TrimRight(a.opt.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
