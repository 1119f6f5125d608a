// Package metrics is the pipeline's CloudWatch metrics: what an album run
// and the nightly job did, written by the Lambdas as Embedded Metric Format
// log lines (one JSON object on stdout, which CloudWatch Logs turns into
// metrics), and read by the stack's alarms and dashboard under the same
// names. It wraps a step's handler and reads the step's output; it changes
// nothing the handler returns.
package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/steps"
)

// Metric names (unit Count).
const (
	// After each album run (the aggregate step).
	PhotosProcessed = "PhotosProcessed"
	PhotosFailed    = "PhotosFailed"
	PhotosSkipped   = "PhotosSkipped"
	AlbumsIndexed   = "AlbumsIndexed"
	FacesIndexed    = "Faces" // the album's faces in the index after the run
	// After each nightly job (the reprocess step).
	NightlyAlbumsStarted  = "NightlyAlbumsStarted"
	NightlyAlbumsUpToDate = "NightlyAlbumsUpToDate"
	NightlyAlbumsFailed   = "NightlyAlbumsFailed" // could not be started
)

// Wrap returns h, which also writes the step's metrics to w after each
// successful invocation of aggregate or reprocess, in namespace. Other
// steps, and an empty namespace, get h itself.
func Wrap(step, namespace string, h lambda.Handler, w io.Writer) lambda.Handler {
	if namespace == "" || (step != names.StepAggregate && step != names.StepReprocess) {
		return h
	}
	return &emitting{step: step, namespace: namespace, h: h, w: w, now: time.Now}
}

type emitting struct {
	step, namespace string
	h               lambda.Handler
	w               io.Writer
	now             func() time.Time
}

func (e *emitting) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := e.h.Invoke(ctx, payload)
	if err != nil {
		return out, err
	}
	values, fields, ok := e.read(out)
	if ok {
		// A metric line that cannot be written loses a data point, never
		// the invocation's result.
		_ = e.write(values, fields)
	}
	return out, nil
}

// read takes the metrics (and the fields to log beside them) from the
// step's output.
func (e *emitting) read(out []byte) (values map[string]int, fields map[string]any, ok bool) {
	switch e.step {
	case names.StepAggregate:
		var o steps.AggregateOutput
		if json.Unmarshal(out, &o) != nil {
			return nil, nil, false
		}
		return map[string]int{PhotosProcessed: o.Processed, PhotosFailed: o.Failed, PhotosSkipped: o.Skipped,
				AlbumsIndexed: 1, FacesIndexed: o.Faces},
			map[string]any{"summaryKey": o.SummaryKey, "images": o.Images}, true
	case names.StepReprocess:
		var o steps.ReprocessOutput
		if json.Unmarshal(out, &o) != nil {
			return nil, nil, false
		}
		started := make([]string, 0, len(o.Started))
		for _, a := range o.Started {
			started = append(started, a.AlbumID)
		}
		failed := make([]string, 0, len(o.Errors))
		for _, a := range o.Errors {
			failed = append(failed, a.AlbumID+": "+a.Error)
		}
		return map[string]int{NightlyAlbumsStarted: len(o.Started), NightlyAlbumsUpToDate: o.UpToDate, NightlyAlbumsFailed: len(o.Errors)},
			map[string]any{"message": fmt.Sprintf("nightly job: %d albums, %d started, %d up to date, %d already started today, %d could not be started",
				o.Albums, len(o.Started), o.UpToDate, len(o.AlreadyStarted), len(o.Errors)),
				"albumsStarted": started, "albumsFailed": failed}, true
	}
	return nil, nil, false
}

// write prints one Embedded Metric Format object.
func (e *emitting) write(values map[string]int, fields map[string]any) error {
	doc := map[string]any{}
	for k, v := range fields {
		doc[k] = v
	}
	defs := make([]map[string]string, 0, len(values))
	for _, name := range slices.Sorted(maps.Keys(values)) {
		doc[name] = values[name]
		defs = append(defs, map[string]string{"Name": name, "Unit": "Count"})
	}
	doc["step"] = e.step
	doc["_aws"] = map[string]any{
		"Timestamp": e.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  e.namespace,
			"Dimensions": [][]string{{}},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = e.w.Write(append(b, '\n'))
	return err
}
