package emulator_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/jsii-runtime-go"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/cdk/stack"
	"github.com/divinepic/pipeline/shared/artifact"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/emulator"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/metrics"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/onnx"
	"github.com/divinepic/pipeline/shared/secretsserver"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/sigv4"
	"github.com/divinepic/pipeline/shared/steps"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsii.Close()
	os.Exit(code)
}

// The album: faces of every count, a photo with none, and one that is not
// an image (its Detect fails with ImageUnreadable).
var albumPhotos = []string{"faces/t1.jpg", "faces/Test3.jpg", "faces/Test7.jpg", "faces/view.jpg",
	"faces/Rob_Lowe_0001.jpg", "formats/not_an_image.jpg"}

const albumID = "emulated"

// TestAlbumThroughLambdaProcesses runs every Lambda as Lambda runs it: its
// bootstrap (built for this machine, packed into the zip `make package`
// makes and unpacked again) under the Runtime Interface Emulator, with
// exactly the environment the synthesized template gives the function, plus
// what the Lambda service adds (credentials, region; here the endpoints of
// the local S3, S3 Vectors, Step Functions and Secrets Manager servers).
// The local engine runs statemachine.asl.json and invokes those processes
// over the invoke protocol; the faces must be those of the in-process run.
// The web app's process then serves photographers and guests behind a
// local Function URL (appThroughFunctionURL).
func TestAlbumThroughLambdaProcesses(t *testing.T) {
	ctx := context.Background()
	root, err := stack.FindRepoRoot(".")
	require.NoError(t, err)
	rie, err := emulator.Install(ctx, filepath.Join(locate.CacheDir(), "rie"))
	require.NoError(t, err)
	tmpl, fns := synthesize(t, root)
	dirs := packAndUnpack(t, root)

	// The servers that stand in for S3 and S3 Vectors.
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server())
	defer s3srv.Close()
	vsrv := s3vectorsserver.NewServer()
	vhttp := httptest.NewServer(vsrv)
	defer vhttp.Close()
	// The Step Functions API over the engine that runs the album (set once
	// the pipeline is open): the nightly job starts executions there.
	var sfnServer atomic.Pointer[sfnapi.Server]
	sfnhttp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sfnServer.Load().ServeHTTP(w, r)
	}))
	defer sfnhttp.Close()
	// Secrets Manager, holding the app's guest-link secret: it answers
	// requests signed with the role's key only.
	secrets := secretsserver.New(secretsserver.Options{Region: "us-east-1", Account: embedded.Account,
		Credentials: sigv4.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}})
	secretsURL, stopSecrets, err := secretsserver.Listen(secrets)
	require.NoError(t, err)
	defer stopSecrets()
	guestSecret := generatedSecret(t)
	refs := map[string]string{ // what CloudFormation resolves a Ref of each type to, here
		"AWS::S3::Bucket":                  config.DefaultBucket,
		"AWS::StepFunctions::StateMachine": embedded.StateMachine.String(),
		"AWS::SecretsManager::Secret":      secrets.Put("GuestLinkSecret", guestSecret),
	}
	service := map[string]string{ // what the Lambda service and the role give a function
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
		"AWS_ENDPOINT_URL_S3": s3srv.URL, "AWS_ENDPOINT_URL_S3VECTORS": vhttp.URL, "AWS_ENDPOINT_URL_SFN": sfnhttp.URL,
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": secretsURL,
	}
	for k, v := range service {
		t.Setenv(k, v) // the test's own clients
	}

	procs := map[string]*emulator.Process{}
	labels := &invocationLabels{by: map[string][]string{}}
	var vectorBucket string
	for _, step := range names.Lambdas {
		fn := functionConfig(t, tmpl, fns[step], refs)
		u, err := url.Parse(fn.env[names.EnvVectors])
		require.NoError(t, err)
		vectorBucket = u.Host
		env := map[string]string{}
		for k, v := range fn.env {
			env[k] = v
		}
		for k, v := range service {
			require.NotContains(t, env, k, "the template does not set what the Lambda service sets")
			env[k] = v
		}
		p, err := emulator.Start(ctx, rie, emulator.Function{Name: names.FunctionName(step), Dir: dirs[step], Env: env,
			MemoryMB: fn.memory, Timeout: fn.timeout})
		require.NoError(t, err, step)
		defer p.Close()
		procs[step] = p
	}
	vsrv.CreateBucket(vectorBucket)

	album := makeAlbum(t)
	// The reference: the same album in-process, with the local stores.
	local, err := embedded.Open(ctx, embedded.Options{DataDir: t.TempDir(), MaxConcurrency: 1})
	require.NoError(t, err)
	defer local.Close()
	_, err = local.Import(ctx, albumID, album)
	require.NoError(t, err)
	want, _, err := local.RunAlbum(ctx, domain.AlbumInput{AlbumID: albumID})
	require.NoError(t, err)

	// The engine invokes the Lambda processes; the photos go to the S3 server.
	opt := embedded.Options{
		DataDir:        t.TempDir(),
		MaxConcurrency: 1, // one execution environment per function
		Blobs:          "s3://?endpoint=" + s3srv.URL + "&region=us-east-1",
		Vectors:        "s3vectors://" + vectorBucket + "?endpoint=" + vhttp.URL + "&region=us-east-1",
		Wrap: func(step string, _ lambda.Handler) lambda.Handler {
			return labelled{procs[step], step, labels}
		},
	}
	p, err := embedded.Open(ctx, opt)
	require.NoError(t, err)
	defer p.Close()
	definition, err := embedded.Definition(opt)
	require.NoError(t, err)
	// The Lambdas sign with the credentials their environment gives them,
	// for the region of the state machine's ARN.
	api := sfnapi.New(sfnapi.WithSigV4(sfnapi.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}, embedded.Region))
	require.NoError(t, api.AddStateMachine(p.Machine, sfnapi.MachineOptions{Definition: definition}))
	defer api.Shutdown(ctx, "test over")
	sfnServer.Store(api)
	assert.Equal(t, p.Machine.ARN, functionConfig(t, tmpl, fns[names.StepReprocess], refs).env[names.EnvStateMachineARN],
		"the nightly job starts the machine the template names")
	_, err = p.Import(ctx, albumID, album)
	require.NoError(t, err)
	got, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: albumID})
	require.NoError(t, err, logs(procs))

	assert.Equal(t, len(albumPhotos), got.Images)
	assert.Equal(t, want.Faces, got.Faces)
	assert.Equal(t, want.NoFaces, got.NoFaces)
	require.Len(t, got.Failed, 1)
	assert.Equal(t, names.AlbumPrefix(albumID)+"formats/not_an_image.jpg", got.Failed[0].Key)
	assert.Equal(t, domain.ErrImageUnreadable, got.Failed[0].Error,
		"Detect's error reached the workflow's Catch under its name, through the runtime and the emulator")
	assert.Equal(t, want.Failed[0].Error, got.Failed[0].Error)

	pack, err := modelpack.Default()
	require.NoError(t, err)
	def, err := pack.Pack(modelpack.DefaultPack)
	require.NoError(t, err)
	wantRecs, err := local.Faces(ctx, albumID, def.Version)
	require.NoError(t, err)
	gotRecs, err := p.Faces(ctx, albumID, def.Version)
	require.NoError(t, err)
	require.Equal(t, sortedKeys(wantRecs), sortedKeys(gotRecs))
	for id, w := range wantRecs {
		g := gotRecs[id]
		require.Len(t, g.Faces, len(w.Faces), id)
		for i := range w.Faces {
			assert.InDeltaSlice(t, w.Faces[i].Box[:], g.Faces[i].Box[:], 1e-3, "%s face %d", id, i)
			assert.InDeltaSlice(t, w.Faces[i].Embedding, g.Faces[i].Embedding, 1e-5, "%s face %d", id, i)
		}
	}
	index, err := names.IndexForPack(def.Version)
	require.NoError(t, err)
	wantKeys, err := local.Deps.Vectors.Keys(ctx, index, albumID)
	require.NoError(t, err)
	gotKeys, err := p.Deps.Vectors.Keys(ctx, index, albumID)
	require.NoError(t, err)
	assert.Equal(t, wantKeys, gotKeys, "Aggregate, in its own process, indexed the same faces in S3 Vectors")

	// Search and the nightly job, invoked as their callers do.
	selfie, err := os.ReadFile(filepath.Join(testdata(t), "faces/Rob_Lowe_0002.jpg"))
	require.NoError(t, err)
	in, err := json.Marshal(steps.SearchInput{AlbumID: albumID, Image: selfie})
	require.NoError(t, err)
	out, err := procs[names.StepSearch].Invoke(ctx, in)
	require.NoError(t, err, logs(procs))
	var found steps.SearchOutput
	require.NoError(t, json.Unmarshal(out, &found))
	require.NotEmpty(t, found.Photos)
	assert.Equal(t, names.AlbumPrefix(albumID)+"faces/Rob_Lowe_0001.jpg", found.Photos[0].Key, "the selfie's person first")

	tonight := time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC)
	nightly := func(dryRun bool) steps.ReprocessOutput {
		in, _ := json.Marshal(steps.ReprocessInput{Source: "schedule", ScheduledTime: tonight, DryRun: dryRun})
		out, err := procs[names.StepReprocess].Invoke(ctx, in)
		require.NoError(t, err, logs(procs))
		var r steps.ReprocessOutput
		require.NoError(t, json.Unmarshal(out, &r))
		return r
	}
	before := nightly(true)
	assert.Equal(t, 1, before.Albums)
	assert.Empty(t, before.Started, "the album is up to date")
	body, err := os.ReadFile(filepath.Join(testdata(t), "faces/Test1.jpg"))
	require.NoError(t, err)
	_, err = p.Bucket.Put(ctx, names.AlbumPrefix(albumID)+"new/Test1.jpg", body)
	require.NoError(t, err)
	dry := nightly(true)
	require.Len(t, dry.Started, 1, "a new photo: the album needs a run (dry run: nothing started)")
	assert.Equal(t, albumID, dry.Started[0].AlbumID)

	// The nightly job for real: it starts the album's execution through the
	// Step Functions API, whose engine invokes the Lambda processes again.
	started := nightly(false)
	require.Len(t, started.Started, 1, logs(procs))
	execARN := started.Started[0].ExecutionARN
	require.NotEmpty(t, execARN)
	client := sfn.NewFromConfig(aws.Config{Region: embedded.Region, Credentials: credentials.NewStaticCredentialsProvider("test", "test", "")},
		func(o *sfn.Options) { o.BaseEndpoint = aws.String(sfnhttp.URL) })
	var d *sfn.DescribeExecutionOutput
	for deadline := time.Now().Add(2 * time.Minute); ; {
		d, err = client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
		require.NoError(t, err)
		if d.Status != sfntypes.ExecutionStatusRunning {
			break
		}
		require.True(t, time.Now().Before(deadline), "the nightly execution is still running")
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, sfntypes.ExecutionStatusSucceeded, d.Status, "%s: %s\n%s", aws.ToString(d.Error), aws.ToString(d.Cause), logs(procs))
	var nightOut steps.AggregateOutput
	require.NoError(t, json.Unmarshal([]byte(aws.ToString(d.Output)), &nightOut))
	assert.Equal(t, 1, nightOut.Processed, "only the new photo")
	assert.Equal(t, got.Faces+1, nightOut.Faces, "Test1's one face added")
	again := nightly(false)
	assert.Empty(t, again.Started, "the album is done: nothing to start")
	assert.Equal(t, 1, again.UpToDate)

	// The outcome an operator sees: aggregate's and the nightly job's
	// metric lines (Embedded Metric Format) in their logs.
	runs := metricLines(t, procs[names.StepAggregate].Log(), metrics.PhotosProcessed)
	require.Len(t, runs, 2, "the album's run and the nightly one")
	assert.Equal(t, "DivinePic/DivinePicEmulated", runs[0]["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)["Namespace"],
		"the namespace the template gives, where the stack's alarms read")
	assert.Equal(t, float64(1), runs[0][metrics.PhotosFailed])
	assert.Equal(t, float64(len(albumPhotos)), runs[0][metrics.PhotosProcessed])
	assert.Equal(t, float64(1), runs[1][metrics.PhotosProcessed])
	nights := metricLines(t, procs[names.StepReprocess].Log(), metrics.NightlyAlbumsStarted)
	require.Len(t, nights, 4, "one line a nightly invocation")
	assert.Equal(t, "nightly job: 1 albums, 1 started, 0 up to date, 0 already started today, 0 could not be started", nights[2]["message"])
	assert.Equal(t, []any{albumID}, nights[2]["albumsStarted"])
	assert.Contains(t, nights[3]["message"], "0 started, 1 up to date")

	// A handler error, straight from the process: the name the ASL's
	// Retry/Catch match.
	_, err = procs[names.StepDetect].Invoke(ctx, []byte(`{"albumId":"`+albumID+`","image":{"key":"`+names.AlbumPrefix(albumID)+`gone.jpg"}}`))
	var fe messages.InvokeResponse_Error
	require.True(t, errors.As(err, &fe), "a function error: %v", err)
	assert.Equal(t, domain.ErrObjectMissing, fe.Type, "a photo deleted mid-run is ObjectMissing: %s", fe.Message)

	// The web app, behind its Function URL: the photographers' API and
	// the guests' search of the album just run.
	appThroughFunctionURL(t, procs[names.App], p, guestSecret, secrets, labels)

	report(t, procs, labels, got.Processed)
}

// report logs each function's cold start and warm durations.
func report(t *testing.T, procs map[string]*emulator.Process, labels *invocationLabels, photos int) {
	var b strings.Builder
	fmt.Fprintf(&b, "Lambda processes under the emulator (%s/%s, %d photos):\n", runtime.GOOS, runtime.GOARCH, photos)
	for _, step := range names.Lambdas {
		reps := procs[step].Reports()
		require.NotEmpty(t, reps, "%s was invoked", step)
		assert.True(t, reps[0].HasInit, "%s: its first invocation started it", step)
		var warm []string
		var sum time.Duration
		names := labels.of(step)
		for i, r := range reps[1:] {
			assert.False(t, r.HasInit, "%s: one execution environment, started once", step)
			label := "direct"
			if i+1 < len(names) {
				label = names[i+1]
			}
			warm = append(warm, label+" "+ms(r.Duration))
			sum += r.Duration
		}
		first := "direct"
		if len(names) > 0 {
			first = names[0]
		}
		mean := "-"
		if len(reps) > 1 {
			mean = ms(sum / time.Duration(len(reps)-1))
		}
		fmt.Fprintf(&b, "  %-9s Init Duration %6s  cold (first invocation: %s) %8s  warm mean %8s  warm: %s\n",
			step, ms(reps[0].Init), first, ms(reps[0].Duration), mean, strings.Join(warm, ", "))
	}
	t.Log(b.String())
}

// metricLines are the JSON lines of log that have the metric, in order.
func metricLines(t *testing.T, log, metric string) []map[string]any {
	t.Helper()
	var found []map[string]any
	for _, line := range strings.Split(log, "\n") {
		var doc map[string]any
		if json.Unmarshal([]byte(line), &doc) == nil && doc[metric] != nil && doc["_aws"] != nil {
			found = append(found, doc)
		}
	}
	require.NotEmpty(t, found, "no %s metric line in:\n%s", metric, log)
	return found
}

// invocationLabels records, per step, what each invocation by the engine
// was for (the photo's name, or the album), in order.
type invocationLabels struct {
	mu sync.Mutex
	by map[string][]string
}

func (l *invocationLabels) add(step, label string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.by[step] = append(l.by[step], label)
}

func (l *invocationLabels) of(step string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.by[step]...)
}

// labelled is a Process that notes what each invocation is for.
type labelled struct {
	p      *emulator.Process
	step   string
	labels *invocationLabels
}

func (h labelled) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var in struct {
		AlbumID string `json:"albumId"`
		Image   struct {
			Key string `json:"key"`
		} `json:"image"`
	}
	json.Unmarshal(payload, &in)
	label := "album"
	if in.Image.Key != "" {
		label = filepath.Base(in.Image.Key)
	}
	h.labels.add(h.step, label)
	return h.p.Invoke(ctx, payload)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }

func logs(procs map[string]*emulator.Process) string {
	var b strings.Builder
	for step, p := range procs {
		fmt.Fprintf(&b, "--- %s ---\n%s", step, p.Log())
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func testdata(t *testing.T) string {
	dir, err := locate.TestdataDir()
	require.NoError(t, err)
	return dir
}

func makeAlbum(t *testing.T) string {
	src := testdata(t)
	dir := t.TempDir()
	for _, rel := range albumPhotos {
		b, err := os.ReadFile(filepath.Join(src, rel))
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(dir, filepath.Dir(rel)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(dir, rel), b, 0o644))
	}
	return dir
}

// synthesize builds the real stack (placeholders for artifacts that are
// not built: the environment does not depend on them) and returns its
// template and each function's logical ID (the steps' and the app's).
func synthesize(t *testing.T, root string) (map[string]any, map[string]string) {
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(t.TempDir())})
	st, err := stack.New(app, "DivinePicEmulated", &stack.Props{RepoRoot: root, Placeholders: true})
	require.NoError(t, err)
	b, err := json.Marshal(assertions.Template_FromStack(st.Stack, nil).ToJSON())
	require.NoError(t, err)
	var tmpl map[string]any
	require.NoError(t, json.Unmarshal(b, &tmpl))
	ids := map[string]string{}
	for step, fn := range st.Functions {
		ids[step] = *st.GetLogicalId(fn.Node().DefaultChild().(awscdk.CfnElement))
	}
	ids[names.App] = *st.GetLogicalId(st.App.Node().DefaultChild().(awscdk.CfnElement))
	return tmpl, ids
}

type fnConfig struct {
	env     map[string]string
	memory  int
	timeout time.Duration
}

// functionConfig reads a function's environment, memory and timeout from
// the template, resolving what CloudFormation resolves at deploy time: a
// Ref to a resource is refs[its type] (the bucket's name, the state
// machine's ARN, the secret's ARN: here the local servers'). Anything else
// fails the test.
func functionConfig(t *testing.T, tmpl map[string]any, id string, refs map[string]string) fnConfig {
	res := tmpl["Resources"].(map[string]any)
	p := res[id].(map[string]any)["Properties"].(map[string]any)
	vars := p["Environment"].(map[string]any)["Variables"].(map[string]any)
	c := fnConfig{env: map[string]string{}, memory: int(p["MemorySize"].(float64)),
		timeout: time.Duration(p["Timeout"].(float64)) * time.Second}
	for k, v := range vars {
		switch v := v.(type) {
		case string:
			c.env[k] = v
		case map[string]any:
			ref, ok := v["Ref"].(string)
			require.True(t, ok, "%s=%v: only Ref is resolved here", k, v)
			typ, _ := res[ref].(map[string]any)["Type"].(string)
			resolved, ok := refs[typ]
			require.True(t, ok, "%s: Ref to a %s, which this test does not resolve", k, typ)
			c.env[k] = resolved
		default:
			t.Fatalf("%s=%v: not a string or a Ref", k, v)
		}
	}
	return c
}

// packAndUnpack builds every bootstrap (the steps' and the app's) for this
// machine (pure Go without cgo, the ONNX ones with it, as the Makefile does
// for Lambda), packs each into the zip `make package` makes, and unpacks it
// as Lambda does.
func packAndUnpack(t *testing.T, root string) map[string]string {
	mains, err := filepath.Glob(filepath.Join(root, "lambdas", "*", "main.go"))
	require.NoError(t, err)
	var built []string
	for _, m := range mains {
		built = append(built, filepath.Base(filepath.Dir(m)))
	}
	require.ElementsMatch(t, names.Lambdas, built, "every bootstrap the Makefile builds (lambdas/*/main.go) runs here")
	bin := t.TempDir()
	var pure, withONNX []string
	for _, step := range names.Lambdas {
		if names.NeedsONNX(step) {
			withONNX = append(withONNX, "./lambdas/"+step)
		} else {
			pure = append(pure, "./lambdas/"+step)
		}
	}
	for _, b := range []struct {
		cgo  string
		pkgs []string
	}{{"0", pure}, {"1", withONNX}} {
		args := append([]string{"build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s", "-o", bin + "/"}, b.pkgs...)
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+b.cgo)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}
	lib, err := onnx.LibraryPath()
	require.NoError(t, err)
	m, err := modelpack.Default()
	require.NoError(t, err)
	pack, err := m.Pack(modelpack.DefaultPack)
	require.NoError(t, err)
	models, err := modelpack.NewResolver(m).PackPaths(context.Background(), pack)
	require.NoError(t, err)

	dirs := map[string]string{}
	zips := t.TempDir()
	for _, step := range names.Lambdas {
		zip := filepath.Join(zips, artifact.ZipName(step, modelpack.DefaultPack))
		_, err := artifact.Write(zip, artifact.Entries(step, filepath.Join(bin, step), lib, models))
		require.NoError(t, err)
		dir := t.TempDir()
		require.NoError(t, artifact.Unzip(zip, dir))
		dirs[step] = dir
	}
	return dirs
}
