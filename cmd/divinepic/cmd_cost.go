package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/divinepic/pipeline/shared/artifact"
	"github.com/divinepic/pipeline/shared/blob"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/cost"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/locate"
	"github.com/divinepic/pipeline/shared/modelpack"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/states"
	"github.com/divinepic/pipeline/shared/vectors/s3vectorsserver"
)

func init() {
	register(command{name: "cost", summary: "what N photos cost on AWS, from a measured run and AWS's published prices", run: costCommand})
}

func costCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic cost [DIR] [--photos N] [--faces-per-photo F] [--region R] [--max-concurrency C] [--photos-per-child K] [--searches S]")
		fmt.Fprintln(stderr, "Measures a run of DIR's photos (default: ../shared/testdata/faces) through the workflow at concurrency 1,")
		fmt.Fprintln(stderr, "with the S3 and S3 Vectors protocols on loopback servers that count every request, then prices N photos")
		fmt.Fprintln(stderr, "at the deployed memory sizes and architectures with the prices of shared/cost/prices.json.")
		fs.PrintDefaults()
	}
	photos := fs.Int("photos", 1000, "photos to price (one album)")
	facesPer := fs.Float64("faces-per-photo", 0, "faces per photo (0: as measured)")
	region := fs.String("region", "us-east-1", "the AWS region whose prices to use")
	maxConc := fs.Int("max-concurrency", names.DefaultMaxConcurrency, "the Distributed Map's MaxConcurrency (the stack's maxConcurrency context key)")
	perChild := fs.Int("photos-per-child", 0, "photos per child execution of the Distributed Map (0: as ListImages sizes the batches for N photos at the concurrency)")
	searches := fs.Int("searches", 100, "guest searches of the album")
	s3ms := fs.Float64("s3-ms", 15, "milliseconds a Lambda waits on one S3 request (a round trip in the region)")
	pos, err := parseInterleaved(fs, args)
	if err != nil || len(pos) > 1 || *photos < 1 || *perChild < 0 || *maxConc < 1 {
		fs.Usage()
		return 2
	}
	list, err := cost.Load()
	if err != nil {
		fmt.Fprintf(stderr, "divinepic cost: %v\n", err)
		return 1
	}
	prices, err := list.Region(*region)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic cost: %v\n", err)
		return 2
	}
	dir := ""
	if len(pos) == 1 {
		dir = pos[0]
	} else if td, err := locate.TestdataDir(); err == nil {
		dir = filepath.Join(td, "faces")
	} else {
		fmt.Fprintf(stderr, "divinepic cost: give a directory of photos: %v\n", err)
		return 2
	}
	m, err := measureRequests(ctx, dir)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic cost: %v\n", err)
		return 1
	}
	if *perChild == 0 {
		*perChild = names.PhotosPerChild(*photos, *maxConc)
	}
	u := m.usage(*photos, *facesPer, *perChild, *searches, *s3ms)
	items := cost.Bill(u, prices)
	total := cost.Total(items)

	fmt.Fprintf(stdout, "measured: %d photos of %s, %d faces (%.2f a photo), %.1f S3 requests a photo (%s)\n",
		m.photos, dir, m.faces, m.facesPerPhoto(), m.requestsPerPhoto(), m.requestSummary())
	for _, step := range names.WorkflowSteps {
		st := m.stages[step]
		fmt.Fprintf(stdout, "  %-9s %4d invocations, %7.1f ms each here\n", step, st.Invocations, ms(st.Mean()))
	}
	fmt.Fprintf(stdout, "\n%d photos, %.2f faces a photo, %d photo(s) per child execution, %d searches, %s prices (%s):\n",
		*photos, u.RekognitionFaces/float64(*photos), *perChild, *searches, *region, list.Retrieved)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Dollars > items[j].Dollars })
	tw := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	for _, it := range items {
		fmt.Fprintf(tw, "  %s\t$%.6f\t%5.1f%%\t%s\n", it.What, it.Dollars, 100*it.Dollars/total, it.Detail)
	}
	tw.Flush()
	per1000 := total / float64(*photos) * 1000
	fmt.Fprintf(stdout, "total: $%.4f, $%.4f per 1,000 photos\n", total, per1000)
	fmt.Fprintf(stdout, "compare, per 1,000 photos: the seed (3 GB x86_64 Lambda, 30 s a photo) $%.2f; Rekognition IndexFaces $%.2f\n",
		cost.SeedPerThousand(prices), cost.Rekognition(1000, 1000*u.RekognitionFaces/float64(*photos), prices))
	return 0
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// requestCounter counts the S3 requests a run makes, by class and by
// what they are for (a photo's or the album's).
type requestCounter struct {
	next http.Handler
	mu   sync.Mutex
	by   map[string]int // "<class> <use>"
}

func (c *requestCounter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	class := "GET"
	switch r.Method {
	case http.MethodPut, http.MethodPost:
		class = "PUT"
	case http.MethodDelete:
		class = "DELETE"
	case http.MethodGet:
		if strings.Count(strings.Trim(r.URL.Path, "/"), "/") == 0 { // a bucket: ListObjects
			class = "LIST"
		}
	}
	key := strings.TrimPrefix(r.URL.Path, "/"+config.DefaultBucket+"/")
	use := "album"
	if strings.HasPrefix(key, names.AlbumsPrefix) || strings.HasPrefix(key, names.FacesPrefix) || strings.Contains(key, "/detections/") {
		use = "photo"
	}
	c.mu.Lock()
	c.by[class+" "+use]++
	c.mu.Unlock()
	c.next.ServeHTTP(w, r)
}

func (c *requestCounter) reset() {
	c.mu.Lock()
	c.by = map[string]int{}
	c.mu.Unlock()
}

type measured struct {
	photos, faces, withFaces int
	stages                   map[string]embedded.StageTime
	requests                 map[string]int
	vectorsPut               int
	recordBytes              int64
	transitions              int
	dim                      int
}

func (m measured) facesPerPhoto() float64 { return float64(m.faces) / float64(m.photos) }

func (m measured) requestsPerPhoto() float64 {
	n := 0
	for _, v := range m.requests {
		n += v
	}
	return float64(n) / float64(m.photos)
}

func (m measured) requestSummary() string {
	var parts []string
	for _, k := range sortedKeys(m.requests) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m.requests[k]))
	}
	return strings.Join(parts, ", ")
}

func sortedKeys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// measureRequests runs dir's photos through the workflow twice (the
// first loads the models) with S3 and S3 Vectors on counting loopback
// servers, and keeps the second run's counts and times.
func measureRequests(ctx context.Context, dir string) (measured, error) {
	counter := &requestCounter{next: gofakes3.New(s3mem.New(), gofakes3.WithAutoBucket(true)).Server(), by: map[string]int{}}
	s3srv := httptest.NewServer(counter)
	defer s3srv.Close()
	vsrv := s3vectorsserver.NewServer()
	const vectorBucket = "divinepic-cost"
	vsrv.CreateBucket(vectorBucket)
	vhttp := httptest.NewServer(vsrv)
	defer vhttp.Close()
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "cost", "AWS_SECRET_ACCESS_KEY": "cost", "AWS_REGION": "us-east-1"} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	scratch, err := os.MkdirTemp("", "divinepic-cost-*")
	if err != nil {
		return measured{}, err
	}
	defer os.RemoveAll(scratch)
	timer := &embedded.HandlerTimer{}
	p, err := embedded.Open(ctx, embedded.Options{DataDir: scratch, MaxConcurrency: 1, Wrap: timer.Wrap,
		Blobs:   "s3://?endpoint=" + s3srv.URL + "&region=us-east-1",
		Vectors: "s3vectors://" + vectorBucket + "?endpoint=" + vhttp.URL + "&region=us-east-1"})
	if err != nil {
		return measured{}, err
	}
	defer p.Close()
	const album = "cost"
	if _, err := p.Import(ctx, album, dir); err != nil {
		return measured{}, err
	}
	if _, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: album}, states.WithoutHistory()); err != nil {
		return measured{}, err
	}
	timer.Reset()
	counter.reset()
	callsBefore := len(vsrv.Calls())
	sum, exec, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: album, Reprocess: true})
	if err != nil {
		return measured{}, err
	}
	m := measured{photos: sum.Processed, faces: sum.Faces, stages: timer.Stages(), transitions: len(exec.Path())}
	if m.photos == 0 {
		return measured{}, fmt.Errorf("%s: no photo was processed", dir)
	}
	counter.mu.Lock()
	m.requests = counter.by
	counter.mu.Unlock()
	for _, c := range vsrv.Calls()[callsBefore:] {
		if c.Op == "PutVectors" {
			m.vectorsPut += c.Count
		}
	}
	manifest, err := modelpack.Default()
	if err != nil {
		return measured{}, err
	}
	pack, err := manifest.Pack(modelpack.DefaultPack)
	if err != nil {
		return measured{}, err
	}
	m.dim = pack.Recognizer.EmbeddingDim
	err = p.Bucket.List(ctx, names.RecordPrefix(album, pack.Version), func(i blob.Info) error {
		m.recordBytes += i.Size
		return nil
	})
	m.withFaces = m.stages[names.StepEmbed].Invocations
	return m, err
}

// usage scales the measured run to photos photos.
func (m measured) usage(photos int, facesPer float64, perChild, searches int, s3ms float64) cost.Usage {
	n := float64(photos)
	scale := n / float64(m.photos)
	if facesPer <= 0 {
		facesPer = m.facesPerPhoto()
	}
	faceScale := facesPer / math.Max(m.facesPerPhoto(), 1e-9)
	// S3 round trips each function waits on, per invocation: detect
	// looks for the photo's record (a batch run again skips done photos),
	// reads the photo and writes its thumbnail and detections (the writes
	// overlap as one wait); embed reads one object and writes one; list
	// lists the album (1,000 keys a page) and reads and writes two
	// objects; failures reads the result files and writes its list;
	// aggregate and people read the records of the photos with faces eight
	// at a time and a few objects.
	withFaces := float64(m.withFaces) / float64(m.photos) * n
	waits := map[string]float64{
		names.StepDetect:    3,
		names.StepEmbed:     2,
		names.StepFailures:  2 + math.Ceil(n/1000),
		names.StepList:      2 + math.Ceil(n/1000),
		names.StepAggregate: 5 + math.Ceil(withFaces/8),
		names.StepPeople:    3 + math.Ceil(withFaces/8),
	}
	u := cost.Usage{Photos: photos}
	for _, step := range names.WorkflowSteps {
		st := m.stages[step]
		invocations := float64(st.Invocations)
		cpu := ms(st.Mean())
		switch step {
		case names.StepDetect:
			invocations *= scale
		case names.StepEmbed:
			invocations = withFaces
			cpu *= faceScale
		case names.StepAggregate, names.StepPeople:
			cpu *= scale // their work grows with the album
		}
		u.Functions = append(u.Functions, cost.FunctionUsage{Invocations: invocations, Function: cost.Function{
			Step: step, MemoryMB: artifact.MemoryMB(step), Arm: artifact.Arch(step) == "arm64",
			CPUms: cpu, WaitMs: waits[step] * s3ms}})
	}
	children := math.Ceil(n / float64(perChild))
	parentStates := float64(m.transitions) // ListImages, AnyWork?, ProcessImages, CollectFailures, AnyFailed?, Aggregate, People, Done
	u.StandardTransitions = parentStates + children
	u.ExpressRequests = children
	childMs := (ms(m.stages[names.StepDetect].Mean()) + ms(m.stages[names.StepEmbed].Mean())*float64(m.withFaces)/float64(m.photos)) * float64(perChild)
	u.ExpressGBSeconds = children * math.Ceil(childMs/100) * 0.1 * 64.0 / 1024
	for k, v := range m.requests {
		class, use, _ := strings.Cut(k, " ")
		count := float64(v)
		if use == "photo" {
			count *= scale
		}
		switch class {
		case "PUT", "LIST":
			u.S3Puts += count
		case "GET":
			u.S3Gets += count
		}
	}
	u.S3StoredGBMonth = float64(m.recordBytes) * scale * faceScale / 1e9
	vectorBytes := float64(4*m.dim + 200) // the float32s, the key and metadata
	u.VectorsPutGB = float64(m.vectorsPut) * scale * faceScale * vectorBytes / 1e9
	u.VectorsStoredGB = u.VectorsPutGB
	u.VectorQueries = float64(searches)
	u.VectorQueryTB = float64(searches) * n * facesPer * vectorBytes / 1e12
	// START, END and REPORT of each invocation, in JSON (about 700 bytes),
	// and the EMF line of aggregate.
	var invocations float64
	for _, f := range u.Functions {
		invocations += f.Invocations
	}
	u.LogGB = invocations * 700 / 1e9
	u.RekognitionImages = n
	u.RekognitionFaces = n * facesPer
	return u
}
