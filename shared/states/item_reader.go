package states

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Resources a Distributed Map's ItemReader and ResultWriter accept.
const (
	S3GetObject     = "arn:aws:states:::s3:getObject"
	S3ListObjectsV2 = "arn:aws:states:::s3:listObjectsV2"
	S3PutObject     = "arn:aws:states:::s3:putObject"
)

// itemReader reads a Distributed Map's items from S3: a JSON array, JSON
// Lines or CSV object, or an object listing.
type itemReader struct {
	resource      string
	params        fieldTmpl // Parameters (JSONPath) or Arguments (JSONata)
	inputType     string
	headerFirst   bool
	headers       []string
	delimiter     rune
	maxItems      numField
	itemsPointer  string
	hasReaderConf bool
}

func (p *parser) itemReader(at string, v any) *itemReader {
	o := p.object(at, v)
	rd := &itemReader{delimiter: ','}
	rd.resource, _ = o.str("Resource", true)
	switch rd.resource {
	case S3GetObject, S3ListObjectsV2, "":
	default:
		p.errorf(o.at("Resource"), "must be %s or %s, got %q", S3GetObject, S3ListObjectsV2, rd.resource)
	}
	if !p.argsField(o, &rd.params) {
		p.errorf(o.at(p.argsName()), "required field is missing")
	}
	if cv, ok := o.raw("ReaderConfig"); ok {
		rd.hasReaderConf = true
		co := p.object(o.at("ReaderConfig"), cv)
		rd.inputType, _ = co.str("InputType", false)
		switch rd.inputType {
		case "", "JSON", "JSONL", "CSV":
		case "MANIFEST":
			p.errorf(co.at("InputType"), "S3 inventory MANIFEST input is not supported by the local engine")
		default:
			p.errorf(co.at("InputType"), "must be JSON, JSONL, CSV or MANIFEST, got %q", rd.inputType)
		}
		if loc, ok := co.str("CSVHeaderLocation", false); ok {
			switch loc {
			case "FIRST_ROW":
				rd.headerFirst = true
			case "GIVEN":
			default:
				p.errorf(co.at("CSVHeaderLocation"), "must be FIRST_ROW or GIVEN, got %q", loc)
			}
		} else if rd.inputType == "CSV" {
			p.errorf(co.at("CSVHeaderLocation"), "required for CSV input")
		}
		rd.headers = co.strings("CSVHeaders", false)
		if d, ok := co.str("CSVDelimiter", false); ok {
			delims := map[string]rune{"COMMA": ',', "PIPE": '|', "SEMICOLON": ';', "SPACE": ' ', "TAB": '\t'}
			r, known := delims[d]
			if !known {
				p.errorf(co.at("CSVDelimiter"), "must be COMMA, PIPE, SEMICOLON, SPACE or TAB, got %q", d)
			}
			rd.delimiter = r
		}
		rd.maxItems = p.numField(co, "MaxItems", 0, 100000000, true)
		rd.itemsPointer, _ = co.str("ItemsPointer", false)
		if rd.itemsPointer != "" && !strings.HasPrefix(rd.itemsPointer, "/") {
			p.errorf(co.at("ItemsPointer"), "must be a JSON Pointer starting with /")
		}
		co.done("a ReaderConfig")
	}
	if rd.resource == S3GetObject && rd.inputType == "" {
		p.errorf(o.at("ReaderConfig"), "InputType is required to read items from an S3 object")
	}
	o.done("an ItemReader")
	return rd
}

func (rd *itemReader) read(r *runner, in any) ([]any, *Error) {
	objs := r.x.sm.engine.objects
	if objs == nil {
		return nil, newError(ErrItemReaderFailed, "no object store configured (states.WithObjects)")
	}
	params, err := rd.params.args(r, in)
	if err != nil {
		return nil, err
	}
	bucket, _ := params["Bucket"].(string)
	maxItems, err := rd.maxItems.intValue(r, in, 0)
	if err != nil {
		return nil, err
	}
	var items []any
	switch rd.resource {
	case S3ListObjectsV2:
		prefix, _ := params["Prefix"].(string)
		list, lerr := objs.List(r.ctx, bucket, prefix)
		if lerr != nil {
			return nil, newError(ErrItemReaderFailed, "list s3://%s/%s: %v", bucket, prefix, lerr)
		}
		for _, o := range list {
			items = append(items, map[string]any{
				"Etag":         o.ETag,
				"Key":          o.Key,
				"LastModified": json.Number(strconv.FormatInt(o.LastModified.Unix(), 10)),
				"Size":         json.Number(strconv.FormatInt(o.Size, 10)),
				"StorageClass": "STANDARD",
			})
		}
	default:
		key, _ := params["Key"].(string)
		body, gerr := objs.Get(r.ctx, bucket, key)
		if gerr != nil {
			return nil, newError(ErrItemReaderFailed, "get s3://%s/%s: %v", bucket, key, gerr)
		}
		var perr error
		items, perr = rd.parse(body)
		if perr != nil {
			return nil, newError(ErrItemReaderFailed, "read items from s3://%s/%s: %v", bucket, key, perr)
		}
	}
	if maxItems > 0 && int64(len(items)) > maxItems {
		items = items[:maxItems]
	}
	return items, nil
}

func (rd *itemReader) parse(body []byte) ([]any, error) {
	switch rd.inputType {
	case "JSONL":
		var items []any
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
		for line := 1; sc.Scan(); line++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			v, err := decodeJSON(sc.Bytes())
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			items = append(items, v)
		}
		return items, sc.Err()
	case "CSV":
		cr := csv.NewReader(bytes.NewReader(body))
		cr.Comma = rd.delimiter
		cr.FieldsPerRecord = -1
		rows, err := cr.ReadAll()
		if err != nil {
			return nil, err
		}
		headers := rd.headers
		if rd.headerFirst {
			if len(rows) == 0 {
				return nil, fmt.Errorf("CSV has no header row")
			}
			headers, rows = rows[0], rows[1:]
		}
		items := make([]any, 0, len(rows))
		for i, row := range rows {
			if len(row) > len(headers) {
				return nil, fmt.Errorf("CSV row %d has %d fields, more than the %d headers", i+1, len(row), len(headers))
			}
			m := make(map[string]any, len(headers))
			for j, h := range headers {
				if j < len(row) {
					m[h] = row[j]
				} else {
					m[h] = ""
				}
			}
			items = append(items, m)
		}
		return items, nil
	default: // JSON
		v, err := decodeJSON(body)
		if err != nil {
			return nil, err
		}
		if rd.itemsPointer != "" {
			for _, tok := range strings.Split(rd.itemsPointer[1:], "/") {
				tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
				switch c := v.(type) {
				case map[string]any:
					v = c[tok]
				case []any:
					i, err := strconv.Atoi(tok)
					if err != nil || i < 0 || i >= len(c) {
						return nil, fmt.Errorf("ItemsPointer %s: no element %q", rd.itemsPointer, tok)
					}
					v = c[i]
				default:
					return nil, fmt.Errorf("ItemsPointer %s does not select a value", rd.itemsPointer)
				}
			}
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("expected a JSON array of items, got %s", jsonType(v))
		}
		return arr, nil
	}
}

// itemBatcher groups a Distributed Map's items into batches, each child
// execution receiving {"Items": [...], "BatchInput": {...}}.
type itemBatcher struct {
	maxItems   numField
	maxBytes   numField
	batchInput fieldTmpl
}

func (p *parser) itemBatcher(at string, v any) *itemBatcher {
	o := p.object(at, v)
	b := &itemBatcher{}
	b.maxItems = p.numField(o, "MaxItemsPerBatch", 1, math.MaxInt32, true)
	b.maxBytes = p.numField(o, "MaxInputBytesPerBatch", 1, MaxPayloadBytes, true)
	if !b.maxItems.present() && !b.maxBytes.present() {
		p.errorf(at, "an ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch (or their Path forms)")
	}
	if bv, ok := o.raw("BatchInput"); ok {
		p.objectTmpl(o.at("BatchInput"), bv, &b.batchInput)
	}
	o.done("an ItemBatcher")
	return b
}

func (b *itemBatcher) batch(r *runner, in any, items []any) ([]any, *Error) {
	maxItems, err := b.maxItems.intValue(r, in, 0)
	if err != nil {
		return nil, err
	}
	maxBytes, err := b.maxBytes.intValue(r, in, 0)
	if err != nil {
		return nil, err
	}
	var batchInput any
	if b.batchInput.present() {
		if batchInput, err = b.batchInput.eval(r, in); err != nil {
			return nil, err
		}
	}
	overhead := len(`{"Items":[]}`)
	if batchInput != nil {
		bi, _ := marshal(batchInput)
		overhead += len(`,"BatchInput":`) + len(bi)
	}
	var batches []any
	var cur []any
	size := overhead
	flush := func() {
		if len(cur) == 0 {
			return
		}
		m := map[string]any{"Items": cur}
		if batchInput != nil {
			m["BatchInput"] = batchInput
		}
		batches = append(batches, m)
		cur, size = nil, overhead
	}
	for _, it := range items {
		n := 0
		if maxBytes > 0 {
			bs, _ := marshal(it)
			n = len(bs) + 1
			if len(cur) > 0 && int64(size+n) > maxBytes {
				flush()
			}
		}
		cur = append(cur, it)
		size += n
		if maxItems > 0 && int64(len(cur)) >= maxItems {
			flush()
		}
	}
	flush()
	return batches, nil
}
