// Package people groups an album's indexed faces into people: who is in
// this album. It is pure Go with no I/O: the People step (shared/steps)
// reads the face records and stores what Regroup and Assign return.
//
// The algorithm is leader (centroid) clustering with one refinement pass,
// under constraints:
//
//   - Faces are taken best first (Face.Weight, then ID). A face joins the
//     person whose centroid (the normalised mean of its faces' embeddings)
//     it matches best, if that cosine similarity is at least the threshold;
//     otherwise it starts a person. Then every face is taken out and put back
//     where it now fits best (the k-means step), which undoes most of the
//     order's accidents; a face that no longer reaches its own person's
//     threshold leaves it: split rather than merge.
//   - Two faces of one photo are never one person (cannot-link); the
//     photographer's corrections add more: Apart pairs never share a person,
//     Together pairs always do (they are placed as one unit).
//   - Comparing a face with every person is O(faces x people): at 50,000
//     faces that is too slow, so persons are filed under coarse cells (an
//     inverted file: k-means centres of the faces, about sqrt(n) of them) and
//     a face is compared, in int8 with the AVX2 kernel of shared/vectors,
//     with the persons of its nprobe nearest cells only; every candidate near
//     the threshold is then verified in full float32.
//
// Why not DBSCAN (Immich) or chinese whispers: both need each face's
// neighbours within a radius (an all-pairs or ANN graph, O(n^2) or an index
// per run), and both chain: A~B~C puts A and C together however far apart
// they are, which merges look-alikes, the error a guest minds most. A face
// matched against a person's centroid cannot chain, and the centroid grows
// more reliable as the person gains faces.
//
// Person ids are stable: Assign keeps every person's id and adds new faces
// to them; Regroup (a new pack, or on request) clusters from scratch and
// then gives each new person the id of the old person it shares most faces
// with. A new person's id is derived from its first face's id.
package people

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/vectors"
)

// Face is one indexed face to group.
type Face struct {
	ID        string    // stable across runs (the People step uses names.FaceID)
	Photo     string    // the photo's id: two faces of one photo are never one person
	Embedding []float32 // L2-normalised, all of one dimension
	Weight    float32   // how good the face is: taken first, and a person's representative
}

// Person is a group of faces: one person, the faces best first (the first
// is the representative).
type Person = domain.Person

// Cells are the coarse cells persons are filed under (Person.Cell): a
// grouping returns them to be stored beside its persons, and Assign takes
// them back (Options.Cells) instead of training new ones.
type Cells = domain.PeopleCells

// Corrections are the photographer's, by face id, so that they survive
// reruns (a face keeps its id while its photo is unchanged).
type Corrections = domain.PeopleCorrections

// DefaultThreshold is the cosine similarity a face needs with a person's
// centroid to join it. How it was chosen (BCubed precision and recall on
// the labelled set of ../shared/testdata, README.md "People") is in
// eval_test.go; the search step's single-face threshold is 0.4.
const DefaultThreshold = 0.5

// Options tune the grouping; zero values are the defaults.
type Options struct {
	Threshold float32 // DefaultThreshold when 0
	NProbe    int     // coarse cells a face is compared in; 12 when 0
	// Cells are the last grouping's (Assign only): used when they fit the
	// faces' dimension, with each old person filed under its Person.Cell;
	// otherwise, and in Regroup, new cells are trained.
	Cells *Cells
}

func (o Options) threshold() float32 {
	if o.Threshold == 0 {
		return DefaultThreshold
	}
	return o.Threshold
}

// candidateMargin is how far under the threshold an int8 similarity may be
// and still be verified in float32: int8 rounding moves a 512-d cosine by
// well under 0.01.
const candidateMargin = 0.03

// Regroup clusters faces from scratch; each new person takes the id of the
// old person it shares the most faces with (old may be nil). It returns the
// persons and the coarse cells they are filed under (nil without faces).
func Regroup(faces []Face, old []Person, c Corrections, o Options) ([]Person, *Cells, error) {
	if len(faces) == 0 {
		return []Person{}, nil, nil
	}
	o.Cells = nil
	g, err := newGrouper(faces, c, o)
	if err != nil {
		return nil, nil, err
	}
	g.place(g.order())
	g.refine()
	g.merge()
	return g.result(old, true), g.cellsOut(), nil
}

// Assign keeps the old persons (without the faces no longer given, and
// amended by the corrections) and places the faces no old person holds:
// each joins the nearest person above the threshold, or starts one. With
// the last grouping's cells (Options.Cells) it neither trains cells nor
// files the old persons anew: that is most of its time at 50,000 faces.
func Assign(faces []Face, old []Person, c Corrections, o Options) ([]Person, *Cells, error) {
	if len(faces) == 0 {
		return []Person{}, nil, nil
	}
	g, err := newGrouper(faces, c, o)
	if err != nil {
		return nil, nil, err
	}
	g.seed(old)
	var todo []int
	for u, pi := range g.personOf {
		if pi < 0 {
			todo = append(todo, u)
		}
	}
	g.place(g.sorted(todo))
	return g.result(old, false), g.cellsOut(), nil
}

// unit is what is placed: one face, or the faces the photographer put
// together.
type unit struct {
	faces  []int
	photos []int32
	emb    []float32 // normalised mean
	q16    []int16   // quantised emb, when first needed (g.quantised)
	qstep  float32
	weight float32
	first  string // the smallest face id, for a stable order
}

type person struct {
	id    string
	units []int
	// sum is the sum of the units' embeddings, cent the centroid. A person
	// seeded by Assign keeps its sum only if it has several faces, and has
	// no centroid until it is compared (centroid) or changed (add): most
	// never are, and an album has tens of thousands.
	sum   []float32
	cent  []float32
	cell  int
	row   int
	alive bool
}

type cell struct {
	rows    []int8
	steps   []float32
	persons []int
}

type grouper struct {
	o      Options
	t      float32
	dim    int
	stride int
	faces  []Face
	units  []unit
	unitOf []int         // face -> unit
	apart  map[int][]int // unit -> units it must not share a person with
	// photoFaces[photoStart[p]:photoStart[p+1]] are photo p's faces: a
	// unit may not join a person holding another face of its photos.
	photoStart []int32
	photoFaces []int32
	persons    []*person
	// personOf is unit -> person index, -1 when unplaced.
	personOf []int
	centres  []int8 // coarse centres, quantised rows
	csteps   []float32
	cells    []cell
	dots     []int32
	q8       []int8 // scratch
	near     []int  // scratch: nearestCellsOf's result
	byID     map[string]int
	stored   bool // the cells are Options.Cells: old persons keep theirs
	slab     []float32
	touched  float32 // see touch
}

// quantised returns unit u's int8 embedding (as int16, for the kernel),
// computing it on first use: Assign never compares most old faces.
func (g *grouper) quantised(u int) *unit {
	un := &g.units[u]
	if un.q16 == nil {
		if g.q8 == nil {
			g.q8 = make([]int8, g.stride)
		}
		un.qstep = quantize(g.q8, un.emb)
		un.q16 = make([]int16, g.stride)
		for j, v := range g.q8 {
			un.q16[j] = int16(v)
		}
	}
	return un
}

func newGrouper(faces []Face, c Corrections, o Options) (*grouper, error) {
	g := &grouper{o: o, t: o.threshold(), faces: faces, apart: map[int][]int{}}
	byID := make(map[string]int, len(faces))
	g.byID = byID
	if g.o.NProbe == 0 {
		g.o.NProbe = 12
	}
	photoIdx := make(map[string]int32, len(faces))
	photoOf := make([]int32, len(faces))
	for i, f := range faces {
		if i == 0 {
			g.dim = len(f.Embedding)
		}
		if len(f.Embedding) != g.dim || g.dim == 0 {
			return nil, fmt.Errorf("face %s: embedding of %d values, the others have %d", f.ID, len(f.Embedding), g.dim)
		}
		if _, dup := byID[f.ID]; dup {
			return nil, fmt.Errorf("face %s given twice", f.ID)
		}
		byID[f.ID] = i
		p, ok := photoIdx[f.Photo]
		if !ok {
			p = int32(len(photoIdx))
			photoIdx[f.Photo] = p
		}
		photoOf[i] = p
	}
	g.stride = (g.dim + vectors.QStride - 1) / vectors.QStride * vectors.QStride
	g.photoStart = make([]int32, len(photoIdx)+1)
	for _, p := range photoOf {
		g.photoStart[p+1]++
	}
	for p := range len(photoIdx) {
		g.photoStart[p+1] += g.photoStart[p]
	}
	g.photoFaces = make([]int32, len(faces))
	next := append([]int32(nil), g.photoStart[:len(photoIdx)]...)
	for i, p := range photoOf {
		g.photoFaces[next[p]] = int32(i)
		next[p]++
	}
	// Together pairs: union-find over the faces given (pairs naming a face
	// that is gone are ignored: the correction waits for its face).
	root := make([]int, len(faces))
	for i := range root {
		root[i] = i
	}
	find := func(i int) int {
		for root[i] != i {
			root[i] = root[root[i]]
			i = root[i]
		}
		return i
	}
	for _, p := range c.Together {
		a, okA := byID[p[0]]
		b, okB := byID[p[1]]
		if okA && okB {
			ra, rb := find(a), find(b)
			if ra != rb {
				root[max(ra, rb)] = min(ra, rb)
			}
		}
	}
	g.unitOf = make([]int, len(faces))
	g.units = make([]unit, 0, len(faces))
	unitOfRoot := make([]int, len(faces)) // root face -> unit + 1
	self := make([]int, len(faces))       // self[i] = i
	for i := range self {
		self[i] = i
	}
	for i := range faces {
		r := find(i)
		u := unitOfRoot[r] - 1
		if u < 0 {
			u = len(g.units)
			unitOfRoot[r] = u + 1
			g.units = append(g.units, unit{first: faces[i].ID})
		}
		un := &g.units[u]
		if un.faces == nil {
			// Most units are one face: slices of shared arrays, capped so
			// that a second face's append copies them.
			un.faces, un.photos = self[i:i+1:i+1], photoOf[i:i+1:i+1]
		} else {
			un.faces = append(un.faces, i)
			un.photos = append(un.photos, photoOf[i])
		}
		un.weight = max(un.weight, faces[i].Weight)
		if faces[i].ID < un.first {
			un.first = faces[i].ID
		}
		g.unitOf[i] = u
	}
	for u := range g.units {
		un := &g.units[u]
		if len(un.faces) == 1 {
			un.emb = faces[un.faces[0]].Embedding // already normalised
			continue
		}
		un.emb = make([]float32, g.dim)
		for _, f := range un.faces {
			for j, v := range faces[f].Embedding {
				un.emb[j] += v
			}
		}
		normalise(un.emb)
	}
	for _, p := range c.Apart {
		a, okA := byID[p[0]]
		b, okB := byID[p[1]]
		if okA && okB {
			ua, ub := g.unitOf[a], g.unitOf[b]
			if ua == ub {
				return nil, fmt.Errorf("faces %s and %s are corrected both together and apart", p[0], p[1])
			}
			g.apart[ua] = append(g.apart[ua], ub)
			g.apart[ub] = append(g.apart[ub], ua)
		}
	}
	g.personOf = make([]int, len(g.units))
	for i := range g.personOf {
		g.personOf[i] = -1
	}
	if !g.load(o.Cells) {
		g.train()
	}
	return g, nil
}

// load takes stored cells when they fit this grouping's dimension.
func (g *grouper) load(cs *Cells) bool {
	if cs == nil || cs.Dim != g.dim || len(cs.Steps) == 0 || len(cs.Centres) != len(cs.Steps)*g.stride {
		return false
	}
	g.centres = make([]int8, len(cs.Centres))
	for i, v := range cs.Centres {
		g.centres[i] = int8(v)
	}
	g.csteps = append([]float32(nil), cs.Steps...)
	g.cells = make([]cell, len(cs.Steps))
	g.stored = true
	return true
}

// cellsOut is the cells to store beside the persons.
func (g *grouper) cellsOut() *Cells {
	cs := &Cells{Dim: g.dim, Centres: make([]byte, len(g.centres)), Steps: append([]float32(nil), g.csteps...)}
	for i, v := range g.centres {
		cs.Centres[i] = byte(v)
	}
	return cs
}

func normalise(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// quantizeCentroid is quantize(q, c) of c, sum normalised (normalise),
// without writing c: the same int8 values and step. Rounding being
// monotonic, the largest |sum[i]*inv| is the largest |sum[i]| times inv,
// so one pass finds the norm and the largest value, and a second rounds.
func quantizeCentroid(q []int8, sum []float32) (step float32) {
	var s float64
	var top uint32
	for _, x := range sum {
		s += float64(x) * float64(x)
		top = max(top, math.Float32bits(x)&0x7fffffff)
	}
	if s == 0 {
		clear(q) // sum is all zero
		return 0
	}
	inv := float32(1 / math.Sqrt(s))
	if math.IsInf(s, 0) || math.IsNaN(s) || math.IsInf(float64(inv), 0) {
		c := slices.Clone(sum) // not finite: exactly as the two steps do
		normalise(c)
		return quantize(q, c)
	}
	m := math.Float32frombits(top) * inv
	if m == 0 {
		clear(q)
		return 0
	}
	inv127 := 127 / m
	q = q[:len(sum)]
	for i, x := range sum {
		q[i] = round8(float32(x*inv) * inv127)
	}
	return m / 127
}

// order is the units best first.
func (g *grouper) order() []int {
	ord := make([]int, len(g.units))
	for i := range ord {
		ord[i] = i
	}
	return g.sorted(ord)
}

// sorted sorts units best first (Weight, then the smallest face id: a
// total order, the ids being unique) and returns them.
func (g *grouper) sorted(us []int) []int {
	slices.SortFunc(us, func(i, j int) int {
		a, b := &g.units[i], &g.units[j]
		if a.weight != b.weight {
			return before(a.weight > b.weight)
		}
		return strings.Compare(a.first, b.first)
	})
	return us
}

// before is a comparison's result (for slices.SortFunc) from a less.
func before(less bool) int {
	if less {
		return -1
	}
	return 1
}

// train picks the coarse cells: about sqrt(units) k-means centres of a
// sample of the units, four Lloyd iterations in int8.
func (g *grouper) train() {
	n := len(g.units)
	c := int(math.Sqrt(float64(n)))
	c = max(1, min(c, 512))
	sample := make([]int, 0, min(n, 16*c))
	step := max(1, n/(16*c))
	for u := 0; u < n && len(sample) < 16*c; u += step {
		sample = append(sample, u)
	}
	cent := make([][]float32, c)
	for i := range cent {
		cent[i] = append([]float32(nil), g.units[sample[i*len(sample)/c]].emb...)
	}
	assign := make([]int, len(sample))
	for iter := 0; ; iter++ {
		g.setCentres(cent)
		if iter == 4 {
			break
		}
		for i, u := range sample {
			assign[i] = g.nearestCells(u, 1)[0]
		}
		sums := make([][]float32, c)
		for i, u := range sample {
			k := assign[i]
			if sums[k] == nil {
				sums[k] = make([]float32, g.dim)
			}
			for j, v := range g.units[u].emb {
				sums[k][j] += v
			}
		}
		for k := range sums {
			if sums[k] != nil {
				normalise(sums[k])
				cent[k] = sums[k]
			}
		}
	}
	g.cells = make([]cell, c)
}

func (g *grouper) setCentres(cent [][]float32) {
	g.centres = make([]int8, len(cent)*g.stride)
	g.csteps = make([]float32, len(cent))
	for k, v := range cent {
		g.csteps[k] = vectors.Quantize(g.centres[k*g.stride:(k+1)*g.stride], v)
	}
}

// dotsWith returns the int8 dot products of q16 with the n rows of rows
// (g.stride apart), in g's reused buffer (valid until the next call).
func (g *grouper) dotsWith(q16 []int16, rows []int8, n int) []int32 {
	if cap(g.dots) < n {
		g.dots = make([]int32, n)
	}
	dots := g.dots[:n]
	vectors.DotsInt8(q16, rows, g.stride, dots)
	return dots
}

// nearestCells returns the k coarse cells nearest unit u, best first.
func (g *grouper) nearestCells(u, k int) []int { return g.nearestCellsOf(g.quantised(u).q16, k) }

// nearestCellsOf returns the k coarse cells nearest a quantised vector.
func (g *grouper) nearestCellsOf(q16 []int16, k int) []int {
	n := len(g.csteps)
	dots := g.dotsWith(q16, g.centres, n)
	k = min(k, n)
	if cap(g.near) < k+1 {
		g.near = make([]int, 0, k+1)
	}
	best := g.near[:0]
	for i := range dots {
		s := float32(dots[i]) * g.csteps[i]
		j := len(best)
		for j > 0 && float32(dots[best[j-1]])*g.csteps[best[j-1]] < s {
			j--
		}
		if j < k {
			best = append(best, 0)
			copy(best[j+1:], best[j:])
			best[j] = i
			if len(best) > k {
				best = best[:k]
			}
		}
	}
	return best
}

// allowed reports whether unit u may join person pi: pi holds no face of
// u's photos and no unit an Apart pair keeps from u.
func (g *grouper) allowed(u, pi int) bool {
	for _, ph := range g.units[u].photos {
		for _, f := range g.photoFaces[g.photoStart[ph]:g.photoStart[ph+1]] {
			if g.personOf[g.unitOf[f]] == pi {
				return false
			}
		}
	}
	for _, v := range g.apart[u] {
		if g.personOf[v] == pi {
			return false
		}
	}
	return true
}

// best returns the person unit u fits best (at least the threshold, and
// allowed), or -1, and the coarse cell nearest u.
func (g *grouper) best(u int) (int, int) {
	cells := g.nearestCells(u, g.o.NProbe)
	un := g.quantised(u)
	bestP, bestS := -1, float32(0)
	for _, ci := range cells {
		c := &g.cells[ci]
		n := len(c.persons)
		if n == 0 {
			continue
		}
		dots := g.dotsWith(un.q16, c.rows, n)
		for r, d := range dots {
			if float32(d)*un.qstep*c.steps[r] < g.t-candidateMargin {
				continue
			}
			pi := c.persons[r]
			p := g.persons[pi]
			if !p.alive {
				continue
			}
			s := vectors.Dot(un.emb, g.centroid(p))
			if s >= g.t && (bestP < 0 || s > bestS) && g.allowed(u, pi) {
				bestP, bestS = pi, s
			}
		}
	}
	return bestP, cells[0]
}

// newPerson starts a person in cell ci; ci -1 files it nowhere yet (file
// does, once its faces are in).
func (g *grouper) newPerson(ci int, id string) int {
	p := &person{id: id, sum: g.vector(), cent: g.vector(), cell: ci, alive: true}
	if ci >= 0 {
		g.addRow(p, ci, len(g.persons))
	}
	g.persons = append(g.persons, p)
	return len(g.persons) - 1
}

// vector returns a zeroed vector of the dimension, cut from a slab: a
// grouping of 50,000 faces has tens of thousands of persons, two vectors
// each.
func (g *grouper) vector() []float32 {
	if len(g.slab) < g.dim {
		g.slab = make([]float32, 256*g.dim)
	}
	v := g.slab[:g.dim:g.dim]
	g.slab = g.slab[g.dim:]
	return v
}

// addRow gives person p (index pi) a row in cell ci.
func (g *grouper) addRow(p *person, ci, pi int) {
	c := &g.cells[ci]
	p.cell, p.row = ci, len(c.persons)
	c.persons = append(c.persons, pi)
	c.rows = append(c.rows, make([]int8, g.stride)...)
	c.steps = append(c.steps, 0)
}

// centroid returns person p's centroid, computing a seeded person's (and
// its sum) on first use.
func (g *grouper) centroid(p *person) []float32 {
	if p.cent == nil {
		g.resum(p)
		p.cent = g.vector()
		copy(p.cent, p.sum)
		normalise(p.cent)
	}
	return p.cent
}

// resum computes a seeded person's sum again, in join's order (the same
// floats).
func (g *grouper) resum(p *person) {
	if p.sum != nil {
		return
	}
	p.sum = g.vector()
	for _, u := range p.units {
		for _, f := range g.units[u].faces {
			addTo(p.sum, g.faces[f].Embedding)
		}
	}
}

// add puts unit u into person pi (sign 1) or takes it out (-1).
func (g *grouper) add(u, pi int, sign float32) {
	p := g.persons[pi]
	g.resum(p)
	un := &g.units[u]
	for _, f := range un.faces {
		if sign > 0 {
			addTo(p.sum, g.faces[f].Embedding)
		} else {
			subtractFrom(p.sum, g.faces[f].Embedding)
		}
	}
	if sign > 0 {
		p.units = append(p.units, u)
		g.personOf[u] = pi
	} else {
		for i, v := range p.units {
			if v == u {
				p.units = append(p.units[:i], p.units[i+1:]...)
				break
			}
		}
		g.personOf[u] = -1
	}
	if p.cent == nil {
		p.cent = g.vector()
	}
	copy(p.cent, p.sum)
	normalise(p.cent)
	c := &g.cells[p.cell]
	row := c.rows[p.row*g.stride : (p.row+1)*g.stride]
	if len(p.units) == 0 {
		clear(row)
		c.steps[p.row] = 0
		p.alive = false
		return
	}
	p.alive = true
	c.steps[p.row] = quantize(row, p.cent)
}

// addTo adds v to sum, element by element (len(sum) >= len(v)).
func addTo(sum, v []float32) {
	sum = sum[:len(v)]
	i := 0
	for ; i+8 <= len(v); i += 8 {
		s, x := sum[i:i+8:i+8], v[i:i+8:i+8]
		s[0] += x[0]
		s[1] += x[1]
		s[2] += x[2]
		s[3] += x[3]
		s[4] += x[4]
		s[5] += x[5]
		s[6] += x[6]
		s[7] += x[7]
	}
	for ; i < len(v); i++ {
		sum[i] += v[i]
	}
}

// subtractFrom subtracts v from sum, element by element.
func subtractFrom(sum, v []float32) {
	sum = sum[:len(v)]
	i := 0
	for ; i+8 <= len(v); i += 8 {
		s, x := sum[i:i+8:i+8], v[i:i+8:i+8]
		s[0] -= x[0]
		s[1] -= x[1]
		s[2] -= x[2]
		s[3] -= x[3]
		s[4] -= x[4]
		s[5] -= x[5]
		s[6] -= x[6]
		s[7] -= x[7]
	}
	for ; i < len(v); i++ {
		sum[i] -= v[i]
	}
}

// quantize is vectors.Quantize in float32, for the centroids requantised
// on every change: q[i]*step ≈ v[i], |q[i]| <= 127.
func quantize(q []int8, v []float32) (step float32) {
	var m uint32
	for _, x := range v {
		m = max(m, math.Float32bits(x)&0x7fffffff)
	}
	return quantizeWithMax(q, v, m)
}

// quantizeWithMax is quantize given the bits of v's largest magnitude.
func quantizeWithMax(q []int8, v []float32, m uint32) (step float32) {
	top := math.Float32frombits(m)
	if top == 0 {
		clear(q)
		return 0
	}
	inv := 127 / top
	q = q[:len(v)]
	for i, x := range v {
		q[i] = round8(x * inv)
	}
	return top / 127
}

// round8 is int8(math.Round(float64(y))) for |y| < 127.5, without the
// call or a branch: y ± 0.5 is exact in float64 for a float32 y (or, for
// |y| under 0.5, stays under 1 in magnitude), so truncating it toward zero
// rounds half away from zero.
func round8(y float32) int8 {
	a := float64(y)
	return int8(int32(a + math.Copysign(0.5, a)))
}

// place puts each unit, in order, into its best person or a new one.
func (g *grouper) place(order []int) {
	for _, u := range order {
		pi, ci := g.best(u)
		if pi < 0 {
			pi = g.newPerson(ci, "")
		}
		g.add(u, pi, 1)
	}
}

// refine takes every unit out and puts it back where it fits best now.
func (g *grouper) refine() {
	for _, u := range g.order() {
		cur := g.personOf[u]
		g.add(u, cur, -1)
		pi, ci := g.best(u)
		switch {
		case pi >= 0:
		case !g.persons[cur].alive:
			pi = cur // alone before, alone again
		default:
			pi = g.newPerson(ci, "")
		}
		g.add(u, pi, 1)
	}
}

// merge joins persons whose centroids match (at least the threshold, no
// photo or Apart pair in common): the same person split because its faces
// were filed under different coarse cells. A centroid is compared as a
// face is, smallest persons first, each into the person it fits best.
func (g *grouper) merge() {
	var order []int
	for pi, p := range g.persons {
		if p.alive {
			order = append(order, pi)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return len(g.persons[order[i]].units) < len(g.persons[order[j]].units) })
	probe := unit{q16: make([]int16, g.stride), emb: make([]float32, g.dim)}
	q8 := make([]int8, g.stride)
	for _, pi := range order {
		p := g.persons[pi]
		if !p.alive {
			continue
		}
		copy(probe.emb, g.centroid(p))
		probe.qstep = quantize(q8, probe.emb)
		for j, v := range q8 {
			probe.q16[j] = int16(v)
		}
		best, bestS := -1, float32(0)
		for _, ci := range g.nearestCellsOf(probe.q16, g.o.NProbe) {
			c := &g.cells[ci]
			n := len(c.persons)
			if n == 0 {
				continue
			}
			dots := g.dotsWith(probe.q16, c.rows, n)
			for r, qi := range c.persons {
				if qi == pi || float32(dots[r])*probe.qstep*c.steps[r] < g.t-candidateMargin {
					continue // moved rows are zero
				}
				o := g.persons[qi]
				if !o.alive {
					continue
				}
				s := vectors.Dot(probe.emb, g.centroid(o))
				if s >= g.t && (best < 0 || s > bestS) && g.compatible(pi, qi) {
					best, bestS = qi, s
				}
			}
		}
		if best < 0 {
			continue
		}
		for _, u := range append([]int(nil), p.units...) {
			g.add(u, pi, -1)
			g.add(u, best, 1)
		}
	}
}

// compatible reports whether persons pi and qi may be one: no photo in
// common, no Apart pair between them.
func (g *grouper) compatible(pi, qi int) bool {
	for _, u := range g.persons[pi].units {
		if !g.allowed(u, qi) {
			return false
		}
	}
	return true
}

// seed rebuilds the old persons from the faces still given, applying the
// corrections: units an Apart pair or a photo conflict excludes from their
// old person are left unplaced; a Together unit spanning persons joins the
// one holding its first face.
func (g *grouper) seed(old []Person) {
	byID := g.byID
	if g.stored {
		// Each cell's rows grow once.
		n := make([]int, len(g.cells))
		for _, op := range old {
			if op.Cell >= 0 && op.Cell < len(n) {
				n[op.Cell]++
			}
		}
		for ci, k := range n {
			g.cells[ci].rows = make([]int8, 0, (k+8)*g.stride)
			g.cells[ci].steps = make([]float32, 0, k+8)
			g.cells[ci].persons = make([]int, 0, k+8)
		}
	}
	seen := make([]int, len(g.units))        // unit -> 1 + the old person that listed it last
	held := make([]int, len(g.photoStart)-1) // photo -> 1 + the last seeded person holding a face of it
	var us []int
	// First the persons and their faces, then their centroids and rows:
	// reading the embeddings is most of the time, and the next person's
	// are touched while one is filed (see touch).
	from := len(g.persons)
	var cells []int
	for stamp, op := range old {
		us = us[:0]
		for _, id := range op.Faces {
			f, ok := byID[id]
			if !ok {
				continue // its photo left, or changed
			}
			u := g.unitOf[f]
			if seen[u] != stamp+1 && g.personOf[u] < 0 {
				seen[u] = stamp + 1
				us = append(us, u)
			}
		}
		if len(us) == 0 {
			continue
		}
		// The person's cell is its centroid's nearest; its faces go in
		// without requantising the centroid after each.
		pi := len(g.persons)
		p := &person{id: op.ID, alive: true}
		g.persons = append(g.persons, p)
		for _, u := range us {
			if g.allowedSeeding(u, pi, held) {
				g.join(u, pi)
				for _, ph := range g.units[u].photos {
					held[ph] = pi + 1
				}
			}
		}
		cell := -1
		if g.stored && op.Cell >= 0 && op.Cell < len(g.cells) {
			cell = op.Cell
		}
		cells = append(cells, cell)
	}
	for k, cell := range cells {
		if k+1 < len(cells) {
			g.touch(from + k + 1)
		}
		g.file(from+k, cell)
	}
}

// touch loads one value of every cache line of person pi's embeddings,
// so that the memory is read while the person before it is filed: the
// loads are independent and the processor keeps many in flight, where
// filing (a chain of float64 additions over each embedding) would wait for
// each line in turn. The sum is kept only so that the loads are not
// dropped.
func (g *grouper) touch(pi int) {
	var s float32
	for _, u := range g.persons[pi].units {
		for _, f := range g.units[u].faces {
			e := g.faces[f].Embedding
			for j := 0; j < len(e); j += 16 { // 64 bytes
				s += e[j]
			}
		}
	}
	g.touched += s
}

// allowedSeeding is allowed(u, pi) while seed fills person pi: held marks
// the photos of the faces joined to it so far.
func (g *grouper) allowedSeeding(u, pi int, held []int) bool {
	for _, ph := range g.units[u].photos {
		if held[ph] == pi+1 {
			return false
		}
	}
	for _, v := range g.apart[u] {
		if g.personOf[v] == pi {
			return false
		}
	}
	return true
}

// join puts unit u into seeded person pi (file computes the centroid once
// they are all in).
func (g *grouper) join(u, pi int) {
	p := g.persons[pi]
	p.units = append(p.units, u)
	g.personOf[u] = pi
}

// file gives seeded person pi, its faces joined, a row in coarse cell ci,
// or (ci -1) in the cell nearest its centroid. It keeps the sum of a
// person of several faces, not of one face, nor any centroid (see person;
// centroid and add compute them when needed, in join's order: the same
// floats).
func (g *grouper) file(pi, ci int) {
	p := g.persons[pi]
	if len(p.units) == 0 {
		p.alive = false
		return
	}
	if g.q8 == nil {
		g.q8 = make([]int8, g.stride)
	}
	var step float32
	if fs := g.units[p.units[0]].faces; len(p.units) == 1 && len(fs) == 1 {
		// One face: its embedding is the sum (0 + e is e, but for the
		// sign of a zero, which quantising does not see).
		step = quantizeCentroid(g.q8, g.faces[fs[0]].Embedding)
	} else {
		// Kept: the persons of several faces are the ones new faces join.
		p.sum = g.vector()
		for _, u := range p.units {
			for _, f := range g.units[u].faces {
				addTo(p.sum, g.faces[f].Embedding)
			}
		}
		step = quantizeCentroid(g.q8, p.sum)
	}
	if ci < 0 {
		q16 := make([]int16, g.stride)
		for j, v := range g.q8 {
			q16[j] = int16(v)
		}
		ci = g.nearestCellsOf(q16, 1)[0]
	}
	g.addRow(p, ci, pi)
	c := &g.cells[p.cell]
	copy(c.rows[p.row*g.stride:(p.row+1)*g.stride], g.q8)
	c.steps[p.row] = step
	p.alive = true
}

// result lists the live persons, with ids: kept (seeded persons), inherited
// from the old person sharing most faces (inherit), or derived from the
// first face's id.
func (g *grouper) result(old []Person, inherit bool) []Person {
	out := make([]Person, 0, len(g.persons))
	var fs []int
	for _, p := range g.persons {
		if !p.alive || len(p.units) == 0 {
			continue
		}
		fs = fs[:0]
		for _, u := range p.units {
			fs = append(fs, g.units[u].faces...)
		}
		slices.SortFunc(fs, func(i, j int) int {
			a, b := &g.faces[i], &g.faces[j]
			if a.Weight != b.Weight {
				return before(a.Weight > b.Weight)
			}
			return strings.Compare(a.ID, b.ID)
		})
		ids := make([]string, len(fs))
		for i, f := range fs {
			ids[i] = g.faces[f].ID
		}
		out = append(out, Person{ID: p.id, Faces: ids, Cell: p.cell})
	}
	used := make(map[string]bool, len(out))
	for _, p := range out {
		if p.ID != "" {
			used[p.ID] = true
		}
	}
	if inherit && len(old) > 0 {
		oldOf := map[string]string{}
		for _, op := range old {
			for _, f := range op.Faces {
				oldOf[f] = op.ID
			}
		}
		type match struct {
			n        int
			oldID    string
			newIndex int
		}
		var ms []match
		for i, p := range out {
			count := map[string]int{}
			for _, f := range p.Faces {
				if id, ok := oldOf[f]; ok {
					count[id]++
				}
			}
			for id, n := range count {
				ms = append(ms, match{n, id, i})
			}
		}
		sort.Slice(ms, func(i, j int) bool {
			if ms[i].n != ms[j].n {
				return ms[i].n > ms[j].n
			}
			if ms[i].oldID != ms[j].oldID {
				return ms[i].oldID < ms[j].oldID
			}
			return ms[i].newIndex < ms[j].newIndex
		})
		for _, m := range ms {
			if out[m.newIndex].ID == "" && !used[m.oldID] {
				out[m.newIndex].ID = m.oldID
				used[m.oldID] = true
			}
		}
	}
	// Fresh ids, by the smallest face id (unique: persons share no face),
	// in an order that does not depend on the map iteration.
	first := make([]string, len(out))
	var order []int
	for i := range out {
		if out[i].ID == "" {
			first[i] = smallest(out[i].Faces)
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(first[a], first[b]) })
	for _, i := range order {
		id := newID(first[i])
		for k := 2; used[id]; k++ {
			id = fmt.Sprintf("%s-%d", newID(first[i]), k)
		}
		used[id] = true
		out[i].ID = id
	}
	slices.SortStableFunc(out, func(a, b Person) int {
		if len(a.Faces) != len(b.Faces) {
			return before(len(a.Faces) > len(b.Faces))
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

func smallest(ids []string) string {
	s := ids[0]
	for _, id := range ids[1:] {
		if id < s {
			s = id
		}
	}
	return s
}

// newID is a person id derived from a face id.
func newID(faceID string) string {
	h := sha256.Sum256([]byte(faceID))
	return "p" + hex.EncodeToString(h[:6])
}
