package states

import (
	"bytes"
	"strings"
	"time"
)

// resultWriter exports a Distributed Map's child execution results to S3
// (manifest.json, SUCCEEDED_n.json, FAILED_n.json, PENDING_n.json) and/or
// shapes the results (WriterConfig Transformation and OutputType).
type resultWriter struct {
	export         bool
	params         fieldTmpl // Parameters (JSONPath) or Arguments (JSONata)
	transformation string    // NONE, COMPACT, FLATTEN
	outputType     string    // JSON, JSONL
}

func (p *parser) resultWriter(at string, v any) *resultWriter {
	o := p.object(at, v)
	w := &resultWriter{outputType: "JSON"}
	res, hasRes := o.str("Resource", false)
	if hasRes {
		if res != S3PutObject {
			p.errorf(o.at("Resource"), "must be %s, got %q", S3PutObject, res)
		}
		w.export = true
	}
	hasParams := p.argsField(o, &w.params)
	if hasRes != hasParams {
		p.errorf(at, "Resource and %s must be given together", p.argsName())
	}
	w.transformation = "COMPACT"
	if w.export {
		w.transformation = "NONE"
	}
	hasConf := false
	if cv, ok := o.raw("WriterConfig"); ok {
		hasConf = true
		co := p.object(o.at("WriterConfig"), cv)
		if t, ok := co.str("Transformation", false); ok {
			switch t {
			case "NONE", "COMPACT", "FLATTEN":
				w.transformation = t
			default:
				p.errorf(co.at("Transformation"), "must be NONE, COMPACT or FLATTEN, got %q", t)
			}
		}
		if t, ok := co.str("OutputType", false); ok {
			switch t {
			case "JSON", "JSONL":
				w.outputType = t
			default:
				p.errorf(co.at("OutputType"), "must be JSON or JSONL, got %q", t)
			}
		}
		co.done("a WriterConfig")
	}
	if !hasRes && !hasConf {
		p.errorf(at, "a ResultWriter needs Resource and %s, WriterConfig, or all three", p.argsName())
	}
	o.done("a ResultWriter")
	return w
}

// childRecord is how ResultWriter (and Transformation NONE) describe one
// child execution.
func childRecord(c *Execution, status Status) ChildResult {
	rec := ChildResult{
		Input:               c.inputJSON,
		InputDetails:        PayloadDetails{Included: true},
		RedriveStatus:       "NOT_REDRIVABLE",
		RedriveStatusReason: "Execution is " + string(status) + " and cannot be redriven",
		StateMachineArn:     c.sm.ARN,
		Status:              status,
	}
	if status == StatusPending {
		return rec
	}
	rec.ExecutionArn, rec.Name, rec.StartDate = c.ARN, c.Name, awsTime(c.StartTime)
	rec.StopDate = awsTime(c.StopTime())
	if status == StatusSucceeded {
		rec.Output = string(c.Output())
		rec.OutputDetails = &PayloadDetails{Included: true}
	} else if e := c.Err(); e != nil {
		rec.Error, rec.Cause = e.Name, e.Cause
	}
	return rec
}

// value is the record as a state's data (what a Map state without export
// returns).
func (rec ChildResult) value() any {
	b, err := marshalStd(rec)
	if err != nil {
		panic(err) // strings, ints and bools only
	}
	v, err := decodeJSON(b)
	if err != nil {
		panic(err)
	}
	return v
}

// StatusPending marks Map items that never ran (in ResultWriter's PENDING files).
const StatusPending Status = "PENDING"

func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// shape applies the Transformation to the children's results, in item order.
func (w *resultWriter) shape(run *MapRun) []any {
	t := "COMPACT"
	if w != nil {
		t = w.transformation
	}
	out := make([]any, 0, len(run.children))
	for _, c := range run.children {
		if c == nil {
			continue
		}
		st := c.Status()
		if st != StatusSucceeded || t == "NONE" {
			out = append(out, childRecord(c, st).value())
			continue
		}
		v := c.outputValue()
		if arr, ok := v.([]any); ok && t == "FLATTEN" {
			out = append(out, arr...)
			continue
		}
		out = append(out, v)
	}
	return out
}

// write exports the results to S3 and returns what the Map state returns.
func (w *resultWriter) write(r *runner, in any, run *MapRun) (any, *Error) {
	objs := r.x.sm.engine.objects
	if objs == nil {
		return nil, newError(ErrResultWriterFailed, "no object store configured (states.WithObjects)")
	}
	params, err := w.params.args(r, in)
	if err != nil {
		return nil, err
	}
	bucket, _ := params["Bucket"].(string)
	prefix, _ := params["Prefix"].(string)
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	dir := prefix + run.ID + "/"
	groups := map[string][]any{}
	for i, c := range run.children {
		var st Status
		if c == nil {
			st = StatusPending
			c = &Execution{sm: run.sm, inputJSON: run.inputs[i]}
		} else {
			st = c.Status()
		}
		group := ResultsFailed
		switch st {
		case StatusSucceeded:
			group = ResultsSucceeded
		case StatusPending:
			group = ResultsPending
		}
		rec := childRecord(c, st)
		if st == StatusSucceeded && w.transformation != "NONE" {
			v := c.outputValue()
			if arr, ok := v.([]any); ok && w.transformation == "FLATTEN" {
				groups[group] = append(groups[group], arr...)
				continue
			}
			groups[group] = append(groups[group], v)
			continue
		}
		groups[group] = append(groups[group], rec)
	}
	manifest := ResultManifest{DestinationBucket: bucket, MapRunArn: run.ARN,
		ResultFiles: ResultFiles{Failed: []ResultFile{}, Pending: []ResultFile{}, Succeeded: []ResultFile{}}}
	for _, g := range []string{ResultsFailed, ResultsPending, ResultsSucceeded} {
		if len(groups[g]) == 0 {
			continue
		}
		body, merr := w.encode(groups[g])
		if merr != nil {
			return nil, newError(ErrResultWriterFailed, "encode %s results: %v", g, merr)
		}
		key := dir + g + "_0.json"
		if perr := objs.Put(r.ctx, bucket, key, body); perr != nil {
			return nil, newError(ErrResultWriterFailed, "put s3://%s/%s: %v", bucket, key, perr)
		}
		manifest.ResultFiles.add(g, ResultFile{Key: key, Size: int64(len(body))})
	}
	body, _ := marshal(manifest)
	key := dir + "manifest.json"
	if perr := objs.Put(r.ctx, bucket, key, body); perr != nil {
		return nil, newError(ErrResultWriterFailed, "put s3://%s/%s: %v", bucket, key, perr)
	}
	return map[string]any{
		"MapRunArn":           run.ARN,
		"ResultWriterDetails": map[string]any{"Bucket": bucket, "Key": key},
	}, nil
}

func (w *resultWriter) encode(items []any) ([]byte, error) {
	if w.outputType == "JSONL" {
		var buf bytes.Buffer
		for _, it := range items {
			b, err := marshal(it)
			if err != nil {
				return nil, err
			}
			buf.Write(b)
			buf.WriteByte('\n')
		}
		return buf.Bytes(), nil
	}
	return marshal(items)
}

func (x *Execution) outputValue() any {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.outValue
}
