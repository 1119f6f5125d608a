// Package cost computes what processing photos costs on AWS from what a
// measured run did (each step's time, the S3 and S3 Vectors requests, the
// state transitions) and AWS's published prices (prices.json, with their
// sources and date). It owns the price list and the arithmetic; the
// measuring is `divinepic cost`'s (cmd/divinepic).
package cost

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

//go:embed prices.json
var pricesJSON []byte

// Prices are one region's prices (see prices.json for units).
type Prices struct {
	LambdaGBSecondX86                      float64 `json:"lambdaGBSecondX86"`
	LambdaGBSecondArm                      float64 `json:"lambdaGBSecondArm"`
	LambdaRequestsPerMillion               float64 `json:"lambdaRequestsPerMillion"`
	SFNStandardTransitionsPerThousand      float64 `json:"sfnStandardTransitionsPerThousand"`
	SFNExpressRequestsPerMillion           float64 `json:"sfnExpressRequestsPerMillion"`
	SFNExpressGBSecond                     float64 `json:"sfnExpressGBSecond"`
	S3PutPerThousand                       float64 `json:"s3PutPerThousand"`
	S3GetPerThousand                       float64 `json:"s3GetPerThousand"`
	S3StorageGBMonth                       float64 `json:"s3StorageGBMonth"`
	S3VectorsPutPerGB                      float64 `json:"s3VectorsPutPerGB"`
	S3VectorsStorageGBMonth                float64 `json:"s3VectorsStorageGBMonth"`
	S3VectorsQueriesPerMillion             float64 `json:"s3VectorsQueriesPerMillion"`
	S3VectorsQueryPerTB                    float64 `json:"s3VectorsQueryPerTB"`
	LogsIngestionPerGB                     float64 `json:"logsIngestionPerGB"`
	RekognitionIndexFacesPerThousand       float64 `json:"rekognitionIndexFacesPerThousand"`
	RekognitionFaceStoragePerThousandMonth float64 `json:"rekognitionFaceStoragePerThousandMonth"`
}

// PriceList is prices.json.
type PriceList struct {
	Retrieved string            `json:"retrieved"`
	Source    map[string]string `json:"source"`
	Regions   map[string]Prices `json:"regions"`
}

// Load parses the embedded price list.
func Load() (*PriceList, error) {
	var l PriceList
	if err := json.Unmarshal(pricesJSON, &l); err != nil {
		return nil, fmt.Errorf("prices.json: %w", err)
	}
	return &l, nil
}

// Region returns a region's prices, or an error naming the regions known.
func (l *PriceList) Region(r string) (Prices, error) {
	p, ok := l.Regions[r]
	if !ok {
		known := make([]string, 0, len(l.Regions))
		for k := range l.Regions {
			known = append(known, k)
		}
		sort.Strings(known)
		return Prices{}, fmt.Errorf("no prices for region %q in prices.json (known: %s)", r, strings.Join(known, ", "))
	}
	return p, nil
}

// LambdaVCPUMB is the memory at which Lambda gives a function one full vCPU.
const LambdaVCPUMB = 1769

// Function is one Lambda's deployment and its measured work per call.
type Function struct {
	Step     string
	MemoryMB int
	Arm      bool
	// CPUms is the measured time of one invocation on one core here (as
	// fast as one Lambda vCPU, assumed); below LambdaVCPUMB it stretches by
	// LambdaVCPUMB/MemoryMB, as Lambda gives CPU in proportion to memory.
	CPUms float64
	// WaitMs is time spent waiting on the network (S3 requests), which
	// no CPU share changes.
	WaitMs float64
}

// BilledMs is one invocation's billed duration (Lambda bills by the ms).
func (f Function) BilledMs() float64 {
	stretch := math.Max(1, float64(LambdaVCPUMB)/float64(f.MemoryMB))
	return math.Ceil(f.CPUms*stretch + f.WaitMs)
}

// Usage is what processing the photos causes, in counts.
type Usage struct {
	Photos int
	// Invocations and work of each function, over all the photos.
	Functions []FunctionUsage
	// Step Functions: the Standard parents' transitions (child starts of a
	// Distributed Map included), and the Express children.
	StandardTransitions float64
	ExpressRequests     float64
	ExpressGBSeconds    float64
	// S3 requests by price class (PUT, COPY, POST, LIST / GET and the rest;
	// DELETE is free), and bytes kept a month.
	S3Puts, S3Gets    float64
	S3StoredGBMonth   float64
	VectorsPutGB      float64
	VectorsStoredGB   float64
	VectorQueries     float64
	VectorQueryTB     float64
	LogGB             float64
	RekognitionImages float64
	RekognitionFaces  float64
}

// FunctionUsage is one function's invocations.
type FunctionUsage struct {
	Function
	Invocations float64
}

// Item is one line of the bill.
type Item struct {
	What    string
	Dollars float64
	Detail  string
}

// Bill prices u.
func Bill(u Usage, p Prices) []Item {
	var items []Item
	for _, f := range u.Functions {
		rate, arch := p.LambdaGBSecondX86, "x86_64"
		if f.Arm {
			rate, arch = p.LambdaGBSecondArm, "arm64"
		}
		gbs := f.Invocations * f.BilledMs() / 1000 * float64(f.MemoryMB) / 1024
		items = append(items,
			Item{"Lambda " + f.Step + " compute", gbs * rate,
				fmt.Sprintf("%.0f invocations x %.0f ms at %d MB %s = %.1f GB-s", f.Invocations, f.BilledMs(), f.MemoryMB, arch, gbs)},
			Item{"Lambda " + f.Step + " requests", f.Invocations / 1e6 * p.LambdaRequestsPerMillion,
				fmt.Sprintf("%.0f requests", f.Invocations)})
	}
	items = append(items,
		Item{"Step Functions Standard transitions", u.StandardTransitions / 1000 * p.SFNStandardTransitionsPerThousand,
			fmt.Sprintf("%.0f transitions (one per child execution the Distributed Map starts, and the parent's states)", u.StandardTransitions)},
		Item{"Step Functions Express requests", u.ExpressRequests / 1e6 * p.SFNExpressRequestsPerMillion,
			fmt.Sprintf("%.0f child executions", u.ExpressRequests)},
		Item{"Step Functions Express duration", u.ExpressGBSeconds * p.SFNExpressGBSecond,
			fmt.Sprintf("%.2f GB-s (64 MB, 100 ms steps)", u.ExpressGBSeconds)},
		Item{"S3 PUT and LIST requests", u.S3Puts / 1000 * p.S3PutPerThousand, fmt.Sprintf("%.0f requests", u.S3Puts)},
		Item{"S3 GET and HEAD requests", u.S3Gets / 1000 * p.S3GetPerThousand, fmt.Sprintf("%.0f requests", u.S3Gets)},
		Item{"S3 storage of face records (a month)", u.S3StoredGBMonth * p.S3StorageGBMonth, fmt.Sprintf("%.4f GB", u.S3StoredGBMonth)},
		Item{"S3 Vectors PutVectors", u.VectorsPutGB * p.S3VectorsPutPerGB, fmt.Sprintf("%.4f GB logical", u.VectorsPutGB)},
		Item{"S3 Vectors storage (a month)", u.VectorsStoredGB * p.S3VectorsStorageGBMonth, fmt.Sprintf("%.4f GB", u.VectorsStoredGB)},
		Item{"S3 Vectors queries (searches)", u.VectorQueries/1e6*p.S3VectorsQueriesPerMillion + u.VectorQueryTB*p.S3VectorsQueryPerTB,
			fmt.Sprintf("%.0f queries", u.VectorQueries)},
		Item{"CloudWatch Logs ingestion", u.LogGB * p.LogsIngestionPerGB, fmt.Sprintf("%.4f GB", u.LogGB)},
	)
	return items
}

// Total is the sum of the items.
func Total(items []Item) float64 {
	var t float64
	for _, it := range items {
		t += it.Dollars
	}
	return t
}

// Rekognition is what IndexFaces on the same photos costs (and keeping
// their faces a month), for comparison.
func Rekognition(photos, faces float64, p Prices) float64 {
	return photos/1000*p.RekognitionIndexFacesPerThousand + faces/1000*p.RekognitionFaceStoragePerThousandMonth
}

// SeedPerThousand is the seed pipeline's cost of 1,000 photos: one 3 GB
// x86_64 Lambda for 30 s a photo.
func SeedPerThousand(p Prices) float64 { return 1000 * 3 * 30 * p.LambdaGBSecondX86 }
