package vectors

import (
	"container/heap"
	"math"
	"slices"
	"sort"
	"sync"
)

// exactIndex is the in-memory index behind the memory and the embedded local
// stores: exact cosine top-k over vectors grouped by album.
//
// Each album is a segment holding its vectors contiguously, normalized to
// unit length (so cosine similarity is a dot product), together with an int8
// copy of each vector and a bound on the error of that copy. A query first
// scans the int8 copies (a quarter of the memory traffic, an AVX2 kernel),
// which gives every vector an interval certain to hold its exact score; only
// vectors whose interval reaches the k-th best lower bound are rescored with
// the float32 vectors. The result is the exact top-k, found at a fraction of
// the cost of a float32 scan, which is bound by memory bandwidth.
//
// exactIndex is not safe for concurrent use; the stores hold a lock.
type exactIndex struct {
	dim     int
	stride  int // dim rounded up to qStride
	albums  map[string]*segment
	albumOf map[string]string // key -> album
}

type segment struct {
	album string
	slot  map[string]int // key -> row
	keys  []string
	meta  []Metadata
	vecs  []float32 // rows of dim unit-length values
	q8    []int8    // rows of stride quantized values
	scale []float32 // per row: the quantization step s (value = s * q)
	qnorm []float32 // per row: s * |q|, the norm of the quantized vector
	enorm []float32 // per row: |v - s*q|, the norm of the quantization error
}

func newExactIndex(dim int) *exactIndex {
	return &exactIndex{
		dim:     dim,
		stride:  (dim + qStride - 1) / qStride * qStride,
		albums:  map[string]*segment{},
		albumOf: map[string]string{},
	}
}

func (x *exactIndex) len() int { return len(x.albumOf) }

// putAll upserts validated vectors, growing each album's rows once.
func (x *exactIndex) putAll(vs []Vector) {
	perAlbum := map[string]int{}
	for i := range vs {
		if _, ok := x.albumOf[vs[i].Key]; !ok {
			perAlbum[vs[i].Metadata.AlbumID]++
		}
	}
	for album, n := range perAlbum {
		seg := x.albums[album]
		if seg == nil {
			seg = &segment{album: album, slot: map[string]int{}}
			x.albums[album] = seg
		}
		if n > 1 {
			seg.keys = slices.Grow(seg.keys, n)
			seg.meta = slices.Grow(seg.meta, n)
			seg.vecs = slices.Grow(seg.vecs, n*x.dim)
			seg.q8 = slices.Grow(seg.q8, n*x.stride)
			seg.scale = slices.Grow(seg.scale, n)
			seg.qnorm = slices.Grow(seg.qnorm, n)
			seg.enorm = slices.Grow(seg.enorm, n)
		}
	}
	for i := range vs {
		x.put(&vs[i])
	}
}

// put upserts one vector, which the caller has validated.
func (x *exactIndex) put(v *Vector) {
	if old, ok := x.albumOf[v.Key]; ok && old != v.Metadata.AlbumID {
		x.delete(v.Key)
	}
	seg := x.albums[v.Metadata.AlbumID]
	if seg == nil {
		seg = &segment{album: v.Metadata.AlbumID, slot: map[string]int{}}
		x.albums[v.Metadata.AlbumID] = seg
	}
	row, ok := seg.slot[v.Key]
	if !ok {
		row = len(seg.keys)
		seg.slot[v.Key] = row
		seg.keys = append(seg.keys, v.Key)
		seg.meta = append(seg.meta, Metadata{})
		seg.vecs = append(seg.vecs, make([]float32, x.dim)...)
		seg.q8 = append(seg.q8, make([]int8, x.stride)...)
		seg.scale = append(seg.scale, 0)
		seg.qnorm = append(seg.qnorm, 0)
		seg.enorm = append(seg.enorm, 0)
		x.albumOf[v.Key] = v.Metadata.AlbumID
	}
	seg.meta[row] = v.Metadata
	unit := seg.vecs[row*x.dim : (row+1)*x.dim]
	normalize(unit, v.Data)
	seg.scale[row], seg.qnorm[row], seg.enorm[row] = quantize(seg.q8[row*x.stride:(row+1)*x.stride], unit)
}

// delete removes key if present, moving the segment's last row into its place.
func (x *exactIndex) delete(key string) bool {
	album, ok := x.albumOf[key]
	if !ok {
		return false
	}
	delete(x.albumOf, key)
	seg := x.albums[album]
	row := seg.slot[key]
	delete(seg.slot, key)
	last := len(seg.keys) - 1
	if row != last {
		moved := seg.keys[last]
		seg.keys[row] = moved
		seg.slot[moved] = row
		seg.meta[row] = seg.meta[last]
		copy(seg.vecs[row*x.dim:(row+1)*x.dim], seg.vecs[last*x.dim:])
		copy(seg.q8[row*x.stride:(row+1)*x.stride], seg.q8[last*x.stride:])
		seg.scale[row], seg.qnorm[row], seg.enorm[row] = seg.scale[last], seg.qnorm[last], seg.enorm[last]
	}
	seg.keys = seg.keys[:last]
	seg.meta = seg.meta[:last]
	seg.vecs = seg.vecs[:last*x.dim]
	seg.q8 = seg.q8[:last*x.stride]
	seg.scale, seg.qnorm, seg.enorm = seg.scale[:last], seg.qnorm[:last], seg.enorm[:last]
	if last == 0 {
		delete(x.albums, album)
	}
	return true
}

// keys returns the keys of album (all when album is ""), sorted.
func (x *exactIndex) keys(album string) []string {
	out := []string{}
	for _, seg := range x.albums {
		if album == "" || seg.album == album {
			out = append(out, seg.keys...)
		}
	}
	sort.Strings(out)
	return out
}

// each calls fn for every stored vector (unit-length data), in no order.
func (x *exactIndex) each(fn func(key string, unit []float32, m *Metadata)) {
	for _, seg := range x.albums {
		for row, key := range seg.keys {
			fn(key, seg.vecs[row*x.dim:(row+1)*x.dim], &seg.meta[row])
		}
	}
}

// scoreSlack covers float32 rounding in the exact scores and in the bounds.
const scoreSlack = 1e-4

type candidate struct {
	seg   *segment
	row   int
	upper float32
}

// scratch is reused between queries to avoid allocating per query.
type scratch struct {
	dots  []int32
	cands []candidate
	q8    []int8
	q16   []int16
	lows  []float32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// query returns the exact top k by cosine similarity in album ("" = all).
// q has been validated (length dim, finite non-zero norm).
func (x *exactIndex) query(q []float32, k int, album string) []Match {
	unit := make([]float32, x.dim)
	normalize(unit, q)
	sc := scratchPool.Get().(*scratch)
	defer scratchPool.Put(sc)
	if cap(sc.q16) < x.stride {
		sc.q16 = make([]int16, x.stride)
	}
	q16 := sc.q16[:x.stride]
	if cap(sc.q8) < x.stride {
		sc.q8 = make([]int8, x.stride)
	}
	q8 := sc.q8[:x.stride]
	qs, _, qe := quantize(q8, unit)
	for i, v := range q8 {
		q16[i] = int16(v)
	}

	// Lower bounds of the best k seen so far (a min-heap); floor is the
	// k-th best, below which no vector can be in the top k.
	lows := sc.lows[:0]
	floor := float32(math.Inf(-1))
	cands := sc.cands[:0]
	scan := func(seg *segment) {
		n := len(seg.keys)
		if cap(sc.dots) < n {
			sc.dots = make([]int32, n)
		}
		dots := sc.dots[:n]
		dotsInt8(q16, seg.q8, x.stride, dots)
		for row, d := range dots {
			// exact = qs*s*d + s*dot(qe, q8) + dot(unit, e):
			// |s*dot(qe, q8)| <= |qe|*qnorm and |dot(unit, e)| <= enorm.
			approx := qs * seg.scale[row] * float32(d)
			bound := qe*seg.qnorm[row] + seg.enorm[row] + scoreSlack
			if approx+bound < floor {
				continue
			}
			cands = append(cands, candidate{seg: seg, row: row, upper: approx + bound})
			if lo := approx - bound; len(lows) < k {
				lows = pushMin(lows, lo)
				if len(lows) == k {
					floor = lows[0]
				}
			} else if lo > floor {
				lows[0] = lo
				siftDown(lows)
				floor = lows[0]
			}
		}
	}
	if album != "" {
		if seg := x.albums[album]; seg != nil {
			scan(seg)
		}
	} else {
		for _, seg := range x.albums {
			scan(seg)
		}
	}

	// Rescore the candidates that can still be in the top k, exactly.
	best := make(matchHeap, 0, k+1)
	for _, c := range cands {
		if c.upper < floor {
			continue
		}
		s := dot32(unit, c.seg.vecs[c.row*x.dim:(c.row+1)*x.dim])
		m := Match{Key: c.seg.keys[c.row], Score: s}
		if len(best) == k && !better(m, best[0]) {
			continue
		}
		m.Metadata = c.seg.meta[c.row]
		heap.Push(&best, m)
		if len(best) > k {
			heap.Pop(&best)
		}
	}
	sc.cands, sc.lows = cands[:0], lows[:0]
	out := []Match(best)
	sort.Slice(out, func(i, j int) bool { return better(out[i], out[j]) })
	return out
}

// better orders matches best first: higher score, then smaller key.
func better(a, b Match) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.Key < b.Key
}

// pushMin adds v to the min-heap h.
func pushMin(h []float32, v float32) []float32 {
	h = append(h, v)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if h[p] <= h[i] {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	return h
}

// siftDown restores the min-heap h after h[0] grew.
func siftDown(h []float32) {
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1] < h[c] {
			c++
		}
		if h[i] <= h[c] {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// matchHeap keeps the worst of the best k at the top.
type matchHeap []Match

func (h matchHeap) Len() int           { return len(h) }
func (h matchHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h matchHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *matchHeap) Push(v any)        { *h = append(*h, v.(Match)) }
func (h *matchHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}

// normalize writes src scaled to unit length into dst (norm computed in
// float64). src must have a finite non-zero norm.
func normalize(dst, src []float32) {
	var n float64
	for _, v := range src {
		n += float64(v) * float64(v)
	}
	inv := 1 / math.Sqrt(n)
	for i, v := range src {
		dst[i] = float32(float64(v) * inv)
	}
}

// quantize writes the int8 approximation q of unit (q[i]*s ≈ unit[i]; the
// padding beyond len(unit) is zero) and returns the step s, the norm of the
// approximation s*|q| and the norm of the error |unit - s*q|, each rounded
// up a little so that they remain upper bounds in float32.
func quantize(q []int8, unit []float32) (s, qnorm, enorm float32) {
	var m float64
	for _, v := range unit {
		m = math.Max(m, math.Abs(float64(v)))
	}
	clear(q)
	if m == 0 {
		return 0, 0, 0
	}
	step := m / 127
	var qq, ee float64
	for i, v := range unit {
		r := math.Round(float64(v) / step)
		r = math.Max(-127, math.Min(127, r))
		q[i] = int8(r)
		qq += r * r
		e := float64(v) - float64(float32(step))*r
		ee += e * e
	}
	const up = 1 + 1e-6
	return float32(step), float32(float64(float32(step)) * math.Sqrt(qq) * up), float32(math.Sqrt(ee) * up)
}
