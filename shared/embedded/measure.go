package embedded

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/states"
)

// Measurement is what one timed album run took.
type Measurement struct {
	Photos      int           `json:"photos"`
	Faces       int           `json:"faces"`
	Failed      int           `json:"failed"`
	Concurrency int           `json:"concurrency"`
	Wall        time.Duration `json:"wallNs"`
	InHandlers  time.Duration `json:"inHandlersNs"` // summed over concurrent invocations
	CPU         time.Duration `json:"cpuNs"`        // the process's CPU time (user + system) during the run
	PeakRSS     int64         `json:"peakRssBytes"` // the peak resident memory (Go heap and ONNX Runtime) during the timed run
}

// PhotosPerSecond is the album's throughput.
func (m Measurement) PhotosPerSecond() float64 { return float64(m.Photos) / m.Wall.Seconds() }

// EngineShare is the share of the run's wall time spent outside handlers:
// the orchestration overhead. It is exact only at concurrency 1 (with more,
// handler time overlaps), so it is -1 otherwise.
func (m Measurement) EngineShare() float64 {
	if m.Concurrency != 1 {
		return -1
	}
	return 1 - float64(m.InHandlers)/float64(m.Wall)
}

// HandlerTimer adds the wall time spent inside handlers to Total; use its
// Wrap as Options.Wrap.
type HandlerTimer struct {
	Total atomic.Int64 // nanoseconds
}

// Wrap times one step's handler.
func (t *HandlerTimer) Wrap(_ string, h lambda.Handler) lambda.Handler {
	return timedHandler{h, &t.Total}
}

type timedHandler struct {
	lambda.Handler
	total *atomic.Int64
}

func (h timedHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	out, err := h.Handler.Invoke(ctx, payload)
	h.total.Add(int64(time.Since(start)))
	return out, err
}

// MeasureAlbum runs an album that is already imported once to load the
// models (a warm worker), then once more with every photo reprocessed, and
// reports the second run. The pipeline must have been opened with
// timer.Wrap as its Options.Wrap.
func (p *Pipeline) MeasureAlbum(ctx context.Context, albumID string, timer *HandlerTimer) (Measurement, error) {
	if _, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: albumID}, states.WithoutHistory()); err != nil {
		return Measurement{}, err
	}
	timer.Total.Store(0)
	resetPeakRSS()
	start, startCPU := time.Now(), processCPU()
	sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: albumID, Reprocess: true}, states.WithoutHistory())
	wall, cpu := time.Since(start), processCPU()-startCPU
	if err != nil {
		return Measurement{}, err
	}
	return Measurement{Photos: sum.Processed, Faces: sum.Faces, Failed: len(sum.Failed), Concurrency: maxConcurrency(p.opt),
		Wall: wall, InHandlers: time.Duration(timer.Total.Load()), CPU: cpu, PeakRSS: PeakRSS()}, nil
}

// resetPeakRSS makes the peak resident memory start again from the current
// one (Linux: clear_refs 5), so that PeakRSS is the timed run's, not that of
// whatever the process did before (making test photos, say). Best effort.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// PeakRSS is the process's peak resident memory (VmHWM) in bytes, or 0
// where /proc does not tell.
func PeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
