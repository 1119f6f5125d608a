package webapp_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/webapp"
)

// The five photos of the browser test's album, and the selfie: Rob Lowe is
// in Rob_Lowe_0001.jpg only.
var (
	browserAlbum  = []string{"Rob_Lowe_0001.jpg", "Test1.jpg", "Test3.jpg", "t1.jpg", "view.jpg"}
	browserSelfie = "Rob_Lowe_0002.jpg"
)

// chromium finds the browser; a machine without one fails the test (make
// test installs Debian's chromium).
func chromium(t *testing.T) string {
	if p := os.Getenv(names.EnvChromium); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Fatalf("no headless Chromium: `make test` installs Debian's chromium (apt-get install chromium), or set %s", names.EnvChromium)
	return ""
}

// TestBrowser is a new photographer and a guest, in headless Chromium:
// sign in, create an album, upload five photos through the file input,
// wait for processing, get the guest link; then, on a phone, open it,
// upload a selfie, see the right photo first and download it.
func TestBrowser(t *testing.T) {
	e := newEnv(t, webapp.Options{})
	token := e.token("Lumière Studio")
	shots := t.ArtifactDir()
	// Count the photos PUT, and the files a plan was given the MD5 of.
	var puts, hashed atomic.Int64
	inner := e.srv.Config.Handler
	e.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasPrefix(r.URL.Path, "/api/uploads/") {
			puts.Add(1)
		}
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/uploads") {
			body, err := io.ReadAll(r.Body)
			require.NoError(t, err)
			hashed.Add(int64(strings.Count(string(body), `"md5":`)))
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		inner.ServeHTTP(w, r)
	})

	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("headless Chromium did not start (%s): %v", chromium(t), err)
	}

	var photos []string
	for _, p := range browserAlbum {
		photos = append(photos, testPhoto(t, p))
	}
	// The photographer, on a laptop. Signing in and creating the album
	// load the next page from the page's script: once its element shows,
	// wait for the page's own script too (it comes at the end of the page),
	// or the keys and the click land before its listeners are attached.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS("#signin button")),
		chromedp.WaitVisible(chromedp.ID("new-album")),
		pageLoaded(),
		chromedp.SendKeys(chromedp.ID("album-title"), "Anna & Tom's wedding"),
		chromedp.Click(chromedp.CSS("#new-album button")),
		chromedp.WaitVisible(chromedp.ID("dropzone")),
		pageLoaded(),
		chromedp.SetUploadFiles(chromedp.ID("files"), photos, chromedp.NodeReady),
	))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	assert.True(t, strings.HasSuffix(loc, "/albums/anna-tom-s-wedding"), loc)
	// Processing starts by itself when the batch is uploaded; the page
	// reloads when it is done.
	waitAcrossReloads(t, ctx, `document.querySelectorAll('#photos .tile').length === 5 && !document.querySelector('#photos .status-pending')`)
	counts, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("counts")))
	require.NoError(t, err)
	assert.Contains(t, counts, "5 photos")
	assert.Contains(t, counts, "1 without a face")
	assert.EqualValues(t, 5, puts.Load())
	assert.Zero(t, hashed.Load(), "new photos: no MD5 computed")
	// The same photos dropped again: their names and sizes are there, so
	// the page computes their MD5s and the plan skips them all; the batch
	// names the same execution, done, so the page reloads.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`window.beforeDroppingAgain = true`),
		chromedp.SetUploadFiles(chromedp.ID("files"), photos, chromedp.NodeReady),
	))
	waitAcrossReloads(t, ctx, `window.beforeDroppingAgain === undefined && document.querySelectorAll('#photos .tile').length === 5`)
	assert.EqualValues(t, 5, puts.Load(), "nothing sent again")
	assert.EqualValues(t, 5, hashed.Load(), "the five photos hashed to be skipped")
	// The guest link.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.ID("make-link")),
		chromedp.Poll[chromedp.Void](`document.getElementById('guest-link').value.includes('/g/')`)))
	link, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("guest-link")))
	require.NoError(t, err)
	// Face boxes on hover (of the photo with six faces), then the screenshot.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Poll[chromedp.Void](`[...document.images].every(i => i.complete && i.naturalWidth > 0)`),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
	))
	t1 := `#photos .tile:nth-child(` + tileIndex(t, ctx, "t1.jpg") + `)`
	require.NoError(t, chromedp.Do(ctx,
		chromedp.ScrollIntoView(chromedp.CSS(t1)),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('`+t1+`').dispatchEvent(new MouseEvent('mouseenter'))`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('`+t1+` .boxes span').length === 6`),
		chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0)`),
	))
	albumShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	saveShot(t, shots, "album.png", albumShot)

	// The guest, on a phone.
	dir := t.TempDir()
	progress := chromedp.Events(ctx, browser.DownloadProgress)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1.5), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait),
		chromedp.Navigate(link),
		chromedp.WaitVisible(chromedp.ID("actions")),
	))
	guestStart, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	saveShot(t, shots, "guest.png", guestStart)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetUploadFiles(chromedp.ID("selfie-file"), []string{testPhoto(t, browserSelfie)}, chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.ID("results")),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#matches img')].every(i => i.complete && i.naturalWidth > 0)`),
	))
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("results-title")))
	require.NoError(t, err)
	assert.Equal(t, "We found 1 photo of you", title)
	resultsShot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	saveShot(t, shots, "guest-results.png", resultsShot)

	// Download the best match, as a guest taps it.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: ptr(true)})
			return err
		}),
		chromedp.Click(chromedp.CSS("#matches li:first-child a")),
	))
	var got []byte
	for ev, err := range progress {
		require.NoError(t, err)
		if ev.State == browser.DownloadProgressStateCompleted {
			got, err = os.ReadFile(filepath.Join(dir, ev.GUID))
			require.NoError(t, err)
			break
		}
		require.NotEqual(t, browser.DownloadProgressStateCanceled, ev.State)
	}
	assert.Equal(t, readPhoto(t, "Rob_Lowe_0001.jpg"), got, "the best match is Rob Lowe's photo, downloaded whole")

	// Back on the laptop: the album's people, each with a face crop. The
	// photographer merges the person of Test1.jpg with Rob Lowe's (the
	// page reloads with one person fewer, of two faces), takes the
	// screenshot, then takes the face out again.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(loc),
		chromedp.WaitVisible(chromedp.ID("people")),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('#people img')].every(i => i.complete && i.naturalWidth > 0)`),
	))
	persons := func() int {
		n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('#people .person').length`))
		require.NoError(t, err)
		return n
	}
	before := persons()
	assert.Equal(t, 11, before, "the album's eleven faces, each a person of its own")
	pick := func(name string) string {
		return `document.querySelector('#people .person:has(.crop[src*="' + document.querySelector('#photos .tile[data-image] .name[title="` + name + `"]').closest('.tile').dataset.image + '"]) .pick')`
	}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](pick("Test1.jpg")+`.click()`),
		chromedp.Evaluate[chromedp.Void](pick("Rob_Lowe_0001.jpg")+`.click()`),
		chromedp.Poll[chromedp.Void](`!document.getElementById('merge').disabled`),
		chromedp.Click(chromedp.ID("merge")),
	))
	waitAcrossReloads(t, ctx, `document.querySelectorAll('#people .person').length === `+strconv.Itoa(before-1)+
		` && [...document.querySelectorAll('#people img')].every(i => i.complete && i.naturalWidth > 0)`)
	merged, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#people .person:first-child .count")))
	require.NoError(t, err)
	assert.Equal(t, "2 faces", strings.TrimSpace(merged))
	require.NoError(t, chromedp.Do(ctx, chromedp.ScrollIntoView(chromedp.ID("people"))))
	peopleShot, err := chromedp.Run(ctx, chromedp.Screenshot(chromedp.ID("people")))
	require.NoError(t, err)
	saveShot(t, shots, "people.png", peopleShot)
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector('#people .person:first-child .split:last-child, #people .person:first-child li:last-child .split').click()`)))
	waitAcrossReloads(t, ctx, `document.querySelectorAll('#people .person').length === `+strconv.Itoa(before))
}

func ptr[T any](v T) *T { return &v }

// pageLoaded waits until the current page has loaded, its scripts run.
func pageLoaded() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`document.readyState === 'complete'`)
}

// waitAcrossReloads waits for a condition on a page that reloads itself
// (the album page does when processing ends).
func waitAcrossReloads(t *testing.T, ctx context.Context, cond string) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === 'complete' && (`+cond+`)`))
		if err == nil && ok {
			return
		}
		require.True(t, time.Now().Before(deadline), "still not true after 2 minutes: %s (%v)", cond, err)
		time.Sleep(200 * time.Millisecond)
	}
}

// tileIndex is the 1-based position of a photo's tile on the album page.
func tileIndex(t *testing.T, ctx context.Context, name string) string {
	i, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('#photos .tile .name')].findIndex(n => n.textContent === '`+name+`') + 1`))
	require.NoError(t, err)
	require.Positive(t, i, name)
	return strconv.Itoa(i)
}

// saveShot writes a screenshot to the test's output (and to
// $DIVINEPIC_SCREENSHOTS), after checking it is a page, not a blank.
func saveShot(t *testing.T, dir, name string, b []byte) {
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err, name)
	assertNotBlank(t, name, img)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), b, 0o644))
	if out := os.Getenv(names.EnvScreenshots); out != "" {
		require.NoError(t, os.MkdirAll(out, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(out, name), b, 0o644))
	}
	t.Logf("screenshot %s", filepath.Join(dir, name))
}

// assertNotBlank wants many colours and some contrast across the image.
func assertNotBlank(t *testing.T, name string, img image.Image) {
	b := img.Bounds()
	colours := map[[3]uint32]bool{}
	var lo, hi uint32 = 1 << 16, 0
	for y := b.Min.Y; y < b.Max.Y; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 10, g >> 10, bl >> 10}] = true
			l := (r*3 + g*6 + bl) / 10
			lo, hi = min(lo, l), max(hi, l)
		}
	}
	assert.Greater(t, len(colours), 200, "%s has few colours: a blank page?", name)
	assert.Greater(t, hi-lo, uint32(40000), "%s has no contrast: a blank page?", name)
}
