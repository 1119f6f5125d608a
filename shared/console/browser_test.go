package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/console"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/sfnapi"
)

// browser returns Chromium's path: the test needs a real browser (make
// setup installs Debian's chromium).
func browser(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: the console's browser test needs one (make setup installs Debian's chromium)")
	return ""
}

// screenshotDir is where the test's screenshots are kept for a person to
// look at.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("DIVINEPIC_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "divinepic-console")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// notBlank checks that a screenshot shows something: a PNG with many
// colours, not one flat page.
func notBlank(t *testing.T, name string, b []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err, name)
	colours := map[uint32]bool{}
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y += 3 {
		for x := r.Min.X; x < r.Max.X; x += 3 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[cr>>11<<10|cg>>11<<5|cb>>11] = true
		}
	}
	assert.Greater(t, len(colours), 20, "%s looks blank", name)
}

// The console as an operator uses it, in headless Chromium: find the
// album's execution, open its graph (states coloured by outcome), open the
// Map Run and find the failed photo with its reason, then press Redrive on
// an execution that failed and watch it succeed.
func TestConsoleInABrowser(t *testing.T) {
	chrome := browser(t)
	src, err := locate.TestdataDir()
	require.NoError(t, err)
	album := t.TempDir()
	for _, p := range []string{"faces/Test1.jpg", "faces/view.jpg", "faces/Rob_Lowe_0001.jpg"} {
		b, err := os.ReadFile(filepath.Join(src, p))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(album, filepath.Base(p)), b, 0o644))
	}
	require.NoError(t, os.WriteFile(filepath.Join(album, "broken.jpg"), []byte("this is not a photo"), 0o644))

	ctx := context.Background()
	opt := embedded.Options{DataDir: t.TempDir(), MaxConcurrency: 2, ToleratedFailurePercentage: 50}
	p, err := embedded.Open(ctx, opt)
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	_, err = p.Import(ctx, "wedding", album)
	require.NoError(t, err)
	def, err := embedded.Definition(opt)
	require.NoError(t, err)
	srv := sfnapi.New(sfnapi.WithoutSigV4(), sfnapi.WithStore(p.Store))
	require.NoError(t, srv.AddStateMachine(p.Machine, sfnapi.MachineOptions{Definition: def}))
	token := console.NewToken()
	cons, err := console.New(srv, console.Options{Token: token, ItemLabel: console.JSONField("image", "key")})
	require.NoError(t, err)
	hs := httptest.NewServer(console.Handler(srv, cons, discard()))
	t.Cleanup(func() {
		srv.Shutdown(ctx, "test over")
		hs.Close()
	})
	client := sfn.New(sfn.Options{Region: "local", BaseEndpoint: aws.String(hs.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	run := func(name, albumID string) string {
		in, _ := json.Marshal(domain.AlbumInput{AlbumID: albumID})
		out, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(p.Machine.ARN), Name: aws.String(name), Input: aws.String(string(in))})
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			d, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
			return err == nil && d.Status != types.ExecutionStatusRunning
		}, 2*time.Minute, 20*time.Millisecond)
		return *out.ExecutionArn
	}
	run("wedding-20261201", "wedding")
	lateARN := run("late-20261201", "late") // no such album yet: AlbumNotFound

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.WindowSize(1400, 1000))...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	bctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(hs.URL+console.Prefix)), "Chromium could not start or open the console")

	began := time.Now()
	dir := screenshotDir(t)
	shot := func(name string) {
		t.Helper()
		t.Logf("%s at %v", name, time.Since(began))
		b, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		notBlank(t, name, b)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644))
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err, sel)
		return s
	}
	// follow opens the link sel, as a click on it does.
	follow := func(sel, wait string) {
		t.Helper()
		qctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		href, err := chromedp.Run(qctx, chromedp.JavascriptAttribute[string](chromedp.CSS(sel), "href"))
		if err != nil {
			html, _ := chromedp.Run(bctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
			t.Logf("page: %s", html)
		}
		require.NoError(t, err, sel)
		nctx, cancel2 := context.WithTimeout(bctx, 20*time.Second)
		defer cancel2()
		err = chromedp.Do(nctx, chromedp.Navigate(href), chromedp.WaitVisible(chromedp.CSS(wait)))
		if err != nil {
			html, _ := chromedp.Run(bctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
			t.Logf("%s: page: %s", href, html)
		}
		require.NoError(t, err, sel)
	}
	attr := func(sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
		require.NoError(t, err, sel)
		return v.Value
	}

	// Without the token: refused.
	assert.Contains(t, text("body"), "token")
	// With it: the executions.
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/console/?token="+token), chromedp.WaitVisible(chromedp.CSS("#executions"))))
	list := text("#executions")
	assert.Contains(t, list, "wedding-20261201")
	assert.Contains(t, list, "late-20261201")
	shot("1-executions")

	// The album's execution: its graph, coloured.
	follow(`tr[data-name="wedding-20261201"] a`, "#graph")
	assert.Equal(t, "SUCCEEDED", text("#status"))
	assert.Equal(t, "succeeded", attr(`#graph [data-state="ProcessImages"]`, "data-outcome"))
	assert.Equal(t, "succeeded", attr(`#graph [data-state="Aggregate"]`, "data-outcome"))
	assert.Equal(t, "not reached", attr(`#graph [data-state="AlbumFailed"]`, "data-outcome"))
	assert.Equal(t, "caught", attr(`#graph [data-state="DetectFaces"]`, "data-outcome"), "the broken photo's detection failed and was caught")
	assert.Equal(t, "succeeded", attr(`#graph [data-state="RecordFailure"]`, "data-outcome"), "its batch went on")
	assert.Equal(t, "failed", attr(`#graph [data-state="PhotoFailed"]`, "data-outcome"), "ReportFailures gave it a failed child")
	assert.Contains(t, attr(`#graph [data-state="ProcessImages"]`, "class"), "o-succeeded")
	shot("2-execution-graph")

	// The photos' Map Run counts photos (items), in batches; the failed
	// photo is in ReportFailures' Map Run, with its reason.
	mapRuns := text("#mapruns")
	assert.Contains(t, mapRuns, "ProcessImages")
	assert.Contains(t, mapRuns, "ReportFailures")
	execURL, err := chromedp.Run(bctx, chromedp.Location())
	require.NoError(t, err)
	follow(`#mapruns tr[data-state="ProcessImages"] a`, "#items")
	assert.Equal(t, "0", text("#n-failed"))
	assert.Equal(t, "4", text("#n-succeeded"), "four photos, whatever the batches")
	assert.Contains(t, text("#items"), ".jpg", "a batch is labelled by its photos")
	assert.NotContains(t, text("#items"), `"Items"`, "not by its JSON")
	shot("3-maprun-batches")
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(execURL), chromedp.WaitVisible(chromedp.CSS("#mapruns"))))
	follow(`#mapruns tr[data-state="ReportFailures"] a`, "#items")
	assert.Equal(t, "1", text("#n-failed"))
	assert.Equal(t, "0", text("#n-succeeded"))
	follow(`a[href*="status=FAILED"]`, "#items")
	failed := text("#items")
	assert.Contains(t, failed, "broken.jpg")
	assert.Contains(t, failed, domain.ErrImageUnreadable)
	assert.NotContains(t, failed, "Test1.jpg")
	shot("3-maprun-failed-photo")
	// The item links to its child execution's history.
	follow(`#items a`, "#events")
	assert.Equal(t, domain.ErrImageUnreadable, text("#error"))
	assert.Contains(t, text("#events"), "ExecutionFailed")
	assert.Equal(t, "failed", attr(`#graph [data-state="PhotoFailed"]`, "data-outcome"))
	shot("4-child-execution")

	// The execution of an album that did not exist yet failed; the photos
	// arrive; Redrive completes it.
	_, err = p.Import(ctx, "late", album)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/console/execution?arn="+url.QueryEscape(lateARN)), chromedp.WaitVisible(chromedp.CSS("#redrive"))))
	assert.Equal(t, "FAILED", text("#status"))
	assert.Equal(t, domain.ErrAlbumNotFound, text("#error"))
	assert.Equal(t, "failed", attr(`#graph [data-state="AlbumFailed"]`, "data-outcome"))
	shot("5-failed-before-redrive")
	// The button posts the redrive and comes back to the execution (wait
	// for that page: a navigation started while the post is in flight
	// aborts it); it runs from the state that failed.
	resp, err := chromedp.RunResponse(bctx, chromedp.Click(chromedp.CSS("#redrive")))
	require.NoError(t, err, "the redrive's post and the page it leads to")
	require.EqualValues(t, 200, resp.Status, "the redrive was accepted: %s", resp.URL)
	assert.Contains(t, resp.URL, "/console/execution?arn=", "back on the execution")
	deadline := time.Now().Add(time.Minute)
	for {
		time.Sleep(100 * time.Millisecond)
		require.NoError(t, chromedp.Do(bctx, chromedp.Navigate(hs.URL+"/console/execution?arn="+url.QueryEscape(lateARN)), chromedp.WaitVisible(chromedp.CSS("#status"))))
		if st := text("#status"); st != "FAILED" && st != "RUNNING" || time.Now().After(deadline) {
			break
		}
	}
	assert.Equal(t, "SUCCEEDED", text("#status"))
	assert.True(t, strings.Contains(text("body"), "Redrive count"))
	assert.Equal(t, "succeeded", attr(`#graph [data-state="Aggregate"]`, "data-outcome"))
	assert.Equal(t, "not reached", attr(`#graph [data-state="AlbumFailed"]`, "data-outcome"), "the graph shows the redriven attempt")
	shot("6-redriven")
	t.Logf("screenshots in %s", dir)
}
