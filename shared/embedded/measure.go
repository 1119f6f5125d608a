package embedded

import (
	"bufio"
	"context"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
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
	// Stages is the time spent in each step's handler, by step.
	Stages map[string]StageTime `json:"stages"`
}

// StageTime is one step's invocations and their summed duration.
type StageTime struct {
	Invocations int           `json:"invocations"`
	Total       time.Duration `json:"totalNs"`
}

// Mean is the mean duration of one invocation.
func (s StageTime) Mean() time.Duration {
	if s.Invocations == 0 {
		return 0
	}
	return s.Total / time.Duration(s.Invocations)
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

// HandlerTimer adds the wall time spent inside handlers to Total, and to
// each step's StageTime; use its Wrap as Options.Wrap.
type HandlerTimer struct {
	Total atomic.Int64 // nanoseconds

	mu     sync.Mutex
	stages map[string]StageTime
}

// Wrap times one step's handler.
func (t *HandlerTimer) Wrap(step string, h lambda.Handler) lambda.Handler {
	return timedHandler{h, step, t}
}

// Stages returns each step's time so far.
func (t *HandlerTimer) Stages() map[string]StageTime {
	t.mu.Lock()
	defer t.mu.Unlock()
	return maps.Clone(t.stages)
}

// Reset forgets what was timed.
func (t *HandlerTimer) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.Total.Store(0)
	t.stages = nil
}

type timedHandler struct {
	lambda.Handler
	step  string
	timer *HandlerTimer
}

func (h timedHandler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	start := time.Now()
	out, err := h.Handler.Invoke(ctx, payload)
	d := time.Since(start)
	h.timer.Total.Add(int64(d))
	h.timer.mu.Lock()
	if h.timer.stages == nil {
		h.timer.stages = map[string]StageTime{}
	}
	st := h.timer.stages[h.step]
	st.Invocations++
	st.Total += d
	h.timer.stages[h.step] = st
	h.timer.mu.Unlock()
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
	timer.Reset()
	resetPeakRSS()
	start, startCPU := time.Now(), processCPU()
	sum, _, err := p.RunAlbum(ctx, domain.AlbumInput{AlbumID: albumID, Reprocess: true}, states.WithoutHistory())
	wall, cpu := time.Since(start), processCPU()-startCPU
	if err != nil {
		return Measurement{}, err
	}
	return Measurement{Photos: sum.Processed, Faces: sum.Faces, Failed: len(sum.Failed), Concurrency: maxConcurrency(p.opt),
		Wall: wall, InHandlers: time.Duration(timer.Total.Load()), CPU: cpu, PeakRSS: PeakRSS(), Stages: timer.Stages()}, nil
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
