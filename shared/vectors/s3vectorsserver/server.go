// Package s3vectorsserver is an in-process fake of Amazon S3 Vectors: an
// http.Handler that speaks the service's REST-JSON protocol (POST /PutVectors
// and so on, as the aws-sdk-go-v2 s3vectors client sends them), so that the
// real SDK client can be tested without AWS. Point the client at it with
// BaseEndpoint (see NewClient).
//
// It keeps vector buckets, indexes and vectors in memory, answers queries
// exactly (brute force; the service is approximate), evaluates metadata
// filters ($eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists, $and, $or)
// and enforces the service limits it knows: 500 vectors per PutVectors and
// DeleteVectors, 100 per GetVectors, topK 1..100, 1..1000 per ListVectors
// page, dimension 1..4096, keys of 1..1024 characters, 2 KB of filterable and
// 40 KB of total metadata per vector, at most 50 metadata keys, index and
// bucket naming rules. It records every call (Calls) and can fail calls on
// demand (InjectFault) to test retries. It owns no persistence and no
// authentication (signatures are ignored).
package s3vectorsserver

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Limits of the service, enforced by the server.
const (
	MaxPutVectors      = 500
	MaxDeleteVectors   = 500
	MaxGetVectors      = 100
	MaxTopK            = 100
	MaxListResults     = 1000
	MaxDimension       = 4096
	MaxKeyLen          = 1024
	MaxFilterableBytes = 2 << 10
	MaxMetadataBytes   = 40 << 10
	MaxMetadataKeys    = 50
)

// Call is one request the server received.
type Call struct {
	Op    string // operation name, e.g. "PutVectors"
	Index string // index name, when the operation has one
	Count int    // vectors (PutVectors) or keys (DeleteVectors, GetVectors) in the request
}

// Server is the fake service. The zero value is not usable; use NewServer.
type Server struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	calls   []Call
	faults  []*fault
	now     func() time.Time
}

type bucket struct {
	name    string
	created time.Time
	indexes map[string]*index
}

type index struct {
	name          string
	bucket        string
	dim           int
	metric        string
	dataType      string
	created       time.Time
	nonFilterable map[string]bool
	vectors       map[string]*vector
}

type vector struct {
	data []float32
	meta json.RawMessage // as stored; nil when none
	m    map[string]any  // meta decoded (numbers as json.Number)
}

type fault struct {
	op     string
	times  int
	status int
	code   string
}

// NewServer returns an empty server.
func NewServer() *Server {
	return &Server{buckets: map[string]*bucket{}, now: time.Now}
}

// CreateBucket creates a vector bucket directly (as CreateVectorBucket
// would), for test setup. Creating an existing bucket is a no-op.
func (s *Server) CreateBucket(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.buckets[name]; !ok {
		s.buckets[name] = &bucket{name: name, created: s.now(), indexes: map[string]*index{}}
	}
}

// Calls returns the requests received so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// InjectFault makes the next times requests for op ("" = any operation)
// fail with the HTTP status and error code given, for example
// (503, "ServiceUnavailableException") or (429, "TooManyRequestsException").
// Failed requests are recorded in Calls but change nothing.
func (s *Server) InjectFault(op string, times, status int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{op: op, times: times, status: status, code: code})
}

// apiError is an error response: status, X-Amzn-ErrorType and message.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func validation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "NotFoundException", fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, "ConflictException", fmt.Sprintf(format, args...)}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.URL.Path, "/")
	handler, ok := handlers[op]
	if r.Method != http.MethodPost || !ok {
		writeError(w, &apiError{http.StatusNotFound, "UnknownOperationException", "unsupported operation " + r.Method + " " + r.URL.Path})
		return
	}
	// Read the whole body before answering: a response that starts before
	// the request is consumed makes the client drop the connection.
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 20<<20))
	if err != nil {
		writeError(w, validation("request body: %v", err))
		return
	}
	body := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, validation("request body: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	call := Call{Op: op}
	_ = json.Unmarshal(body["indexName"], &call.Index)
	for _, field := range []string{"vectors", "keys"} {
		var items []json.RawMessage
		if json.Unmarshal(body[field], &items) == nil {
			call.Count = len(items)
		}
	}
	s.calls = append(s.calls, call)
	for i, f := range s.faults {
		if f.op == "" || f.op == op {
			f.times--
			if f.times <= 0 {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
			}
			writeError(w, &apiError{f.status, f.code, "injected fault"})
			return
		}
	}
	out, apiErr := handler(s, body)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", e.code)
	w.WriteHeader(e.status)
	json.NewEncoder(w).Encode(map[string]string{"message": e.msg})
}

type handlerFunc func(s *Server, body map[string]json.RawMessage) (any, *apiError)

var handlers = map[string]handlerFunc{
	"CreateVectorBucket": (*Server).createVectorBucket,
	"GetVectorBucket":    (*Server).getVectorBucket,
	"CreateIndex":        (*Server).createIndex,
	"GetIndex":           (*Server).getIndex,
	"DeleteIndex":        (*Server).deleteIndex,
	"PutVectors":         (*Server).putVectors,
	"DeleteVectors":      (*Server).deleteVectors,
	"GetVectors":         (*Server).getVectors,
	"ListVectors":        (*Server).listVectors,
	"QueryVectors":       (*Server).queryVectors,
}

var (
	bucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	indexName  = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	bucketARN  = regexp.MustCompile(`^arn:aws[a-z-]*:s3vectors:[a-z0-9-]+:\d{12}:bucket/([^/]+)$`)
	indexARN   = regexp.MustCompile(`^arn:aws[a-z-]*:s3vectors:[a-z0-9-]+:\d{12}:bucket/([^/]+)/index/([^/]+)$`)
)

const arnPrefix = "arn:aws:s3vectors:us-east-1:123456789012:bucket/"

func str(body map[string]json.RawMessage, field string) (string, *apiError) {
	raw, ok := body[field]
	if !ok {
		return "", nil
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", validation("%s: expected a string", field)
	}
	return v, nil
}

func num(body map[string]json.RawMessage, field string, def int) (int, *apiError) {
	raw, ok := body[field]
	if !ok {
		return def, nil
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, validation("%s: expected an integer", field)
	}
	return v, nil
}

func flag(body map[string]json.RawMessage, field string) bool {
	var v bool
	_ = json.Unmarshal(body[field], &v)
	return v
}

// bucketOf finds the bucket named by vectorBucketName or vectorBucketArn.
func (s *Server) bucketOf(body map[string]json.RawMessage) (*bucket, *apiError) {
	name, err := str(body, "vectorBucketName")
	if err != nil {
		return nil, err
	}
	if arn, err := str(body, "vectorBucketArn"); err != nil {
		return nil, err
	} else if arn != "" {
		m := bucketARN.FindStringSubmatch(arn)
		if m == nil {
			return nil, validation("vectorBucketArn %q is not a vector bucket ARN", arn)
		}
		name = m[1]
	}
	if name == "" {
		return nil, validation("vectorBucketName or vectorBucketArn is required")
	}
	b, ok := s.buckets[name]
	if !ok {
		return nil, notFound("vector bucket %s does not exist", name)
	}
	return b, nil
}

// indexOf finds the index named by indexArn, or by indexName in the bucket.
func (s *Server) indexOf(body map[string]json.RawMessage) (*index, *apiError) {
	arn, err := str(body, "indexArn")
	if err != nil {
		return nil, err
	}
	if arn != "" {
		m := indexARN.FindStringSubmatch(arn)
		if m == nil {
			return nil, validation("indexArn %q is not a vector index ARN", arn)
		}
		b, ok := s.buckets[m[1]]
		if !ok {
			return nil, notFound("vector bucket %s does not exist", m[1])
		}
		ix, ok := b.indexes[m[2]]
		if !ok {
			return nil, notFound("vector index %s does not exist", m[2])
		}
		return ix, nil
	}
	b, err := s.bucketOf(body)
	if err != nil {
		return nil, err
	}
	name, err := str(body, "indexName")
	if err != nil {
		return nil, err
	}
	if name == "" {
		return nil, validation("indexName or indexArn is required")
	}
	ix, ok := b.indexes[name]
	if !ok {
		return nil, notFound("vector index %s does not exist in bucket %s", name, b.name)
	}
	return ix, nil
}

func (s *Server) createVectorBucket(body map[string]json.RawMessage) (any, *apiError) {
	name, err := str(body, "vectorBucketName")
	if err != nil {
		return nil, err
	}
	if !bucketName.MatchString(name) {
		return nil, validation("invalid vector bucket name %q", name)
	}
	if _, ok := s.buckets[name]; ok {
		return nil, conflict("vector bucket %s already exists", name)
	}
	s.buckets[name] = &bucket{name: name, created: s.now(), indexes: map[string]*index{}}
	return map[string]any{"vectorBucketArn": arnPrefix + name}, nil
}

func (s *Server) getVectorBucket(body map[string]json.RawMessage) (any, *apiError) {
	b, err := s.bucketOf(body)
	if err != nil {
		return nil, err
	}
	return map[string]any{"vectorBucket": map[string]any{
		"vectorBucketName": b.name,
		"vectorBucketArn":  arnPrefix + b.name,
		"creationTime":     float64(b.created.UnixMilli()) / 1000,
	}}, nil
}

func (s *Server) createIndex(body map[string]json.RawMessage) (any, *apiError) {
	b, err := s.bucketOf(body)
	if err != nil {
		return nil, err
	}
	name, err := str(body, "indexName")
	if err != nil {
		return nil, err
	}
	if !indexName.MatchString(name) || strings.Contains(name, "..") {
		return nil, validation("invalid vector index name %q", name)
	}
	dim, err := num(body, "dimension", 0)
	if err != nil {
		return nil, err
	}
	if dim < 1 || dim > MaxDimension {
		return nil, validation("dimension %d must be between 1 and %d", dim, MaxDimension)
	}
	dataType, _ := str(body, "dataType")
	if dataType != "float32" {
		return nil, validation("dataType %q: only float32 is supported", dataType)
	}
	metric, _ := str(body, "distanceMetric")
	if metric != "cosine" && metric != "euclidean" {
		return nil, validation("distanceMetric %q must be cosine or euclidean", metric)
	}
	var mc struct {
		NonFilterableMetadataKeys []string `json:"nonFilterableMetadataKeys"`
	}
	if raw, ok := body["metadataConfiguration"]; ok {
		if err := json.Unmarshal(raw, &mc); err != nil {
			return nil, validation("metadataConfiguration: %v", err)
		}
	}
	if _, ok := b.indexes[name]; ok {
		return nil, conflict("vector index %s already exists", name)
	}
	ix := &index{name: name, bucket: b.name, dim: dim, metric: metric, dataType: dataType,
		created: s.now(), nonFilterable: map[string]bool{}, vectors: map[string]*vector{}}
	for _, k := range mc.NonFilterableMetadataKeys {
		ix.nonFilterable[k] = true
	}
	b.indexes[name] = ix
	return map[string]any{"indexArn": ix.arn()}, nil
}

func (ix *index) arn() string { return arnPrefix + ix.bucket + "/index/" + ix.name }

func (s *Server) getIndex(body map[string]json.RawMessage) (any, *apiError) {
	ix, err := s.indexOf(body)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"indexName":        ix.name,
		"indexArn":         ix.arn(),
		"vectorBucketName": ix.bucket,
		"dimension":        ix.dim,
		"distanceMetric":   ix.metric,
		"dataType":         ix.dataType,
		"creationTime":     float64(ix.created.UnixMilli()) / 1000,
	}
	if len(ix.nonFilterable) > 0 {
		var keys []string
		for k := range ix.nonFilterable {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out["metadataConfiguration"] = map[string]any{"nonFilterableMetadataKeys": keys}
	}
	return map[string]any{"index": out}, nil
}

func (s *Server) deleteIndex(body map[string]json.RawMessage) (any, *apiError) {
	ix, err := s.indexOf(body)
	if err != nil {
		return nil, err
	}
	delete(s.buckets[ix.bucket].indexes, ix.name)
	return map[string]any{}, nil
}

// wireVector is a vector in requests and responses.
type wireVector struct {
	Key      string          `json:"key"`
	Data     *wireData       `json:"data,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Distance *float32        `json:"distance,omitempty"`
}

type wireData struct {
	Float32 []json.RawMessage `json:"float32"`
}

func encodeData(v []float32) *wireData {
	out := &wireData{Float32: make([]json.RawMessage, len(v))}
	for i, f := range v {
		b, _ := json.Marshal(f)
		out.Float32[i] = b
	}
	return out
}

// decodeData reads a float32 vector (the SDK writes NaN and infinities as
// strings, which the service refuses).
func decodeData(what string, d *wireData, dim int) ([]float32, *apiError) {
	if d == nil || d.Float32 == nil {
		return nil, validation("%s: data.float32 is required", what)
	}
	if len(d.Float32) != dim {
		return nil, validation("%s: dimension %d does not match the index dimension %d", what, len(d.Float32), dim)
	}
	out := make([]float32, dim)
	for i, raw := range d.Float32 {
		var f float32
		if err := json.Unmarshal(raw, &f); err != nil {
			return nil, validation("%s: value %d (%s) is not a finite number", what, i, raw)
		}
		out[i] = f
	}
	return out, nil
}

func (s *Server) putVectors(body map[string]json.RawMessage) (any, *apiError) {
	ix, err := s.indexOf(body)
	if err != nil {
		return nil, err
	}
	var vs []wireVector
	if e := json.Unmarshal(body["vectors"], &vs); e != nil {
		return nil, validation("vectors: %v", e)
	}
	if len(vs) < 1 || len(vs) > MaxPutVectors {
		return nil, validation("vectors: %d given, must be 1 to %d", len(vs), MaxPutVectors)
	}
	staged := map[string]*vector{}
	for i, wv := range vs {
		if len(wv.Key) < 1 || len(wv.Key) > MaxKeyLen {
			return nil, validation("vectors[%d].key must be 1 to %d characters", i, MaxKeyLen)
		}
		data, err := decodeData(fmt.Sprintf("vectors[%d]", i), wv.Data, ix.dim)
		if err != nil {
			return nil, err
		}
		if ix.metric == "cosine" && norm(data) == 0 {
			return nil, validation("vectors[%d]: a zero vector has no cosine distance", i)
		}
		v := &vector{data: data}
		if len(wv.Metadata) > 0 && string(wv.Metadata) != "null" {
			if err := ix.checkMetadata(i, wv.Metadata, v); err != nil {
				return nil, err
			}
		}
		staged[wv.Key] = v
	}
	for k, v := range staged {
		ix.vectors[k] = v
	}
	return map[string]any{}, nil
}

// checkMetadata validates one vector's metadata and stores it in v.
func (ix *index) checkMetadata(i int, raw json.RawMessage, v *vector) *apiError {
	if len(raw) > MaxMetadataBytes {
		return validation("vectors[%d].metadata: %d bytes exceeds %d", i, len(raw), MaxMetadataBytes)
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return validation("vectors[%d].metadata must be an object: %v", i, err)
	}
	if len(m) > MaxMetadataKeys {
		return validation("vectors[%d].metadata: %d keys exceeds %d", i, len(m), MaxMetadataKeys)
	}
	filterable := 0
	for k, val := range m {
		if !ix.nonFilterable[k] {
			b, _ := json.Marshal(val)
			filterable += len(k) + len(b)
		}
	}
	if filterable > MaxFilterableBytes {
		return validation("vectors[%d].metadata: %d bytes of filterable metadata exceeds %d", i, filterable, MaxFilterableBytes)
	}
	v.meta, v.m = append(json.RawMessage(nil), raw...), m
	return nil
}

func (s *Server) deleteVectors(body map[string]json.RawMessage) (any, *apiError) {
	ix, err := s.indexOf(body)
	if err != nil {
		return nil, err
	}
	var keys []string
	if e := json.Unmarshal(body["keys"], &keys); e != nil {
		return nil, validation("keys: %v", e)
	}
	if len(keys) < 1 || len(keys) > MaxDeleteVectors {
		return nil, validation("keys: %d given, must be 1 to %d", len(keys), MaxDeleteVectors)
	}
	for _, k := range keys {
		delete(ix.vectors, k)
	}
	return map[string]any{}, nil
}

func (s *Server) getVectors(body map[string]json.RawMessage) (any, *apiError) {
	ix, err := s.indexOf(body)
	if err != nil {
		return nil, err
	}
	var keys []string
	if e := json.Unmarshal(body["keys"], &keys); e != nil {
		return nil, validation("keys: %v", e)
	}
	if len(keys) < 1 || len(keys) > MaxGetVectors {
		return nil, validation("keys: %d given, must be 1 to %d", len(keys), MaxGetVectors)
	}
	out := []wireVector{}
	for _, k := range keys {
		if v, ok := ix.vectors[k]; ok {
			out = append(out, v.wire(k, flag(body, "returnData"), flag(body, "returnMetadata")))
		}
	}
	return map[string]any{"vectors": out}, nil
}

func (v *vector) wire(key string, data, meta bool) wireVector {
	w := wireVector{Key: key}
	if data {
		w.Data = encodeData(v.data)
	}
	if meta && v.meta != nil {
		w.Metadata = v.meta
	}
	return w
}

// listVectors pages through the keys in sorted order; the token is the last
// key returned. With segmentCount, a key belongs to segment hash(key) mod n.
func (s *Server) listVectors(body map[string]json.RawMessage) (any, *apiError) {
	ix, err := s.indexOf(body)
	if err != nil {
		return nil, err
	}
	max, err := num(body, "maxResults", 500)
	if err != nil {
		return nil, err
	}
	if max < 1 || max > MaxListResults {
		return nil, validation("maxResults %d must be 1 to %d", max, MaxListResults)
	}
	segCount, err := num(body, "segmentCount", 1)
	if err != nil {
		return nil, err
	}
	segIndex, err := num(body, "segmentIndex", 0)
	if err != nil {
		return nil, err
	}
	if segCount < 1 || segCount > 16 || segIndex < 0 || segIndex >= segCount {
		return nil, validation("segmentCount %d / segmentIndex %d out of range", segCount, segIndex)
	}
	after, _ := str(body, "nextToken")
	var keys []string
	for k := range ix.vectors {
		if k > after && (segCount == 1 || int(fnv(k)%uint32(segCount)) == segIndex) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := map[string]any{}
	if len(keys) > max {
		keys = keys[:max]
		out["nextToken"] = keys[max-1]
	}
	vs := make([]wireVector, 0, len(keys))
	for _, k := range keys {
		vs = append(vs, ix.vectors[k].wire(k, flag(body, "returnData"), flag(body, "returnMetadata")))
	}
	out["vectors"] = vs
	return out, nil
}

func fnv(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

func (s *Server) queryVectors(body map[string]json.RawMessage) (any, *apiError) {
	ix, err := s.indexOf(body)
	if err != nil {
		return nil, err
	}
	k, err := num(body, "topK", 0)
	if err != nil {
		return nil, err
	}
	if k < 1 || k > MaxTopK {
		return nil, validation("topK %d must be 1 to %d", k, MaxTopK)
	}
	var qd *wireData
	if raw, ok := body["queryVector"]; ok {
		if e := json.Unmarshal(raw, &qd); e != nil {
			return nil, validation("queryVector: %v", e)
		}
	}
	q, err := decodeData("queryVector", qd, ix.dim)
	if err != nil {
		return nil, err
	}
	if ix.metric == "cosine" && norm(q) == 0 {
		return nil, validation("queryVector: a zero vector has no cosine distance")
	}
	var filter any
	if raw, ok := body["filter"]; ok {
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.UseNumber()
		if e := dec.Decode(&filter); e != nil {
			return nil, validation("filter: %v", e)
		}
	}
	type hit struct {
		key  string
		dist float64
	}
	var hits []hit
	for key, v := range ix.vectors {
		if filter != nil {
			ok, err := ix.match(filter, v.m)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		hits = append(hits, hit{key, distance(ix.metric, q, v.data)})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].dist != hits[j].dist {
			return hits[i].dist < hits[j].dist
		}
		return hits[i].key < hits[j].key
	})
	hits = hits[:min(k, len(hits))]
	out := make([]wireVector, 0, len(hits))
	for _, h := range hits {
		w := ix.vectors[h.key].wire(h.key, false, flag(body, "returnMetadata"))
		if flag(body, "returnDistance") {
			d := float32(h.dist)
			w.Distance = &d
		}
		out = append(out, w)
	}
	return map[string]any{"distanceMetric": ix.metric, "vectors": out}, nil
}

func norm(v []float32) float64 {
	var n float64
	for _, f := range v {
		n += float64(f) * float64(f)
	}
	return math.Sqrt(n)
}

// distance is 1 - cosine similarity, or the Euclidean distance.
func distance(metric string, a, b []float32) float64 {
	if metric == "cosine" {
		var ab float64
		for i := range a {
			ab += float64(a[i]) * float64(b[i])
		}
		return 1 - ab/(norm(a)*norm(b))
	}
	var d float64
	for i := range a {
		x := float64(a[i]) - float64(b[i])
		d += x * x
	}
	return math.Sqrt(d)
}
