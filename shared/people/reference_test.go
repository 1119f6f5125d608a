package people

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/vectors"
)

// referenceAssign is Assign written plainly, as the package comment and
// Assign's describe it, with none of the grouper's shortcuts (kept or lazy
// sums, photo and seen marks, fused quantising, subsets sorted): every
// person's sum and centroid are recomputed from its faces after each
// change, constraints are checked against its faces, quantising uses
// math.Round. It takes the cells Assign used (the stored ones, or those it
// trained and returned) and files the old persons as Assign does: under
// their stored cell with stored cells, else under the cell nearest their
// centroid.
func referenceAssign(faces []Face, old []Person, c Corrections, cs *Cells, stored bool) []Person {
	const nprobe = 12
	t := float32(DefaultThreshold)
	dim := len(faces[0].Embedding)
	stride := (dim + vectors.QStride - 1) / vectors.QStride * vectors.QStride
	byID := map[string]int{}
	for i, f := range faces {
		byID[f.ID] = i
	}
	quant := func(v []float32) ([]int8, float32) {
		q := make([]int8, stride)
		top := float32(0)
		for _, x := range v {
			top = max(top, float32(math.Abs(float64(x))))
		}
		if top == 0 {
			return q, 0
		}
		inv := 127 / top
		for i, x := range v {
			q[i] = int8(math.Round(float64(x * inv)))
		}
		return q, top / 127
	}
	dot8 := func(a, b []int8) int32 {
		var s int32
		for i := range a {
			s += int32(a[i]) * int32(b[i])
		}
		return s
	}
	centre := func(k int) []int8 {
		row := make([]int8, stride)
		for i := range row {
			row[i] = int8(cs.Centres[k*stride+i])
		}
		return row
	}
	// nearest returns the k cells nearest q, best first (ties: lower index).
	nearest := func(q []int8, k int) []int {
		ks := make([]int, len(cs.Steps))
		score := make([]float32, len(cs.Steps))
		for i := range ks {
			ks[i], score[i] = i, float32(dot8(q, centre(i)))*cs.Steps[i]
		}
		sort.SliceStable(ks, func(a, b int) bool { return score[ks[a]] > score[ks[b]] })
		return ks[:min(k, len(ks))]
	}

	// Units: the faces Together pairs join (the smallest face index first).
	root := make([]int, len(faces))
	for i := range root {
		root[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if root[i] != i {
			root[i] = find(root[i])
		}
		return root[i]
	}
	for _, p := range c.Together {
		a, okA := byID[p[0]]
		b, okB := byID[p[1]]
		if okA && okB {
			ra, rb := find(a), find(b)
			root[max(ra, rb)] = min(ra, rb)
		}
	}
	type refUnit struct {
		faces  []int
		weight float32
		first  string
	}
	var units []refUnit
	unitOf := make([]int, len(faces))
	unitOfRoot := map[int]int{}
	for i, f := range faces {
		u, ok := unitOfRoot[find(i)]
		if !ok {
			u = len(units)
			unitOfRoot[find(i)] = u
			units = append(units, refUnit{first: f.ID})
		}
		units[u].faces = append(units[u].faces, i)
		units[u].weight = max(units[u].weight, f.Weight)
		units[u].first = min(units[u].first, f.ID)
		unitOf[i] = u
	}
	emb := func(u int) []float32 {
		if len(units[u].faces) == 1 {
			return faces[units[u].faces[0]].Embedding
		}
		e := make([]float32, dim)
		for _, f := range units[u].faces {
			for j, v := range faces[f].Embedding {
				e[j] += v
			}
		}
		normalise(e)
		return e
	}
	apart := map[[2]int]bool{}
	for _, p := range c.Apart {
		a, okA := byID[p[0]]
		b, okB := byID[p[1]]
		if okA && okB {
			apart[[2]int{unitOf[a], unitOf[b]}] = true
			apart[[2]int{unitOf[b], unitOf[a]}] = true
		}
	}

	type refPerson struct {
		id    string
		units []int
		cell  int
		// cent and its int8 row, cached until the person changes
		cent    []float32
		row     []int8
		rowStep float32
	}
	var persons []*refPerson
	personOf := make([]int, len(units))
	for i := range personOf {
		personOf[i] = -1
	}
	centroid := func(p *refPerson) []float32 {
		if p.cent != nil {
			return p.cent
		}
		sum := make([]float32, dim)
		for _, u := range p.units {
			for _, f := range units[u].faces {
				for j, v := range faces[f].Embedding {
					sum[j] += v
				}
			}
		}
		normalise(sum)
		p.cent = sum
		p.row, p.rowStep = quant(sum)
		return sum
	}
	allowed := func(u int, p *refPerson) bool {
		for _, v := range p.units {
			if apart[[2]int{u, v}] {
				return false
			}
			for _, f := range units[v].faces {
				for _, g := range units[u].faces {
					if faces[f].Photo == faces[g].Photo {
						return false
					}
				}
			}
		}
		return true
	}

	// The old persons, their faces still given, each unit once and only
	// where it is allowed.
	for _, op := range old {
		p := &refPerson{id: op.ID}
		for _, id := range op.Faces {
			f, ok := byID[id]
			if !ok {
				continue
			}
			u := unitOf[f]
			if personOf[u] < 0 && allowed(u, p) {
				p.units, p.cent = append(p.units, u), nil
				personOf[u] = len(persons)
			}
		}
		if len(p.units) == 0 {
			continue
		}
		if stored && op.Cell >= 0 && op.Cell < len(cs.Steps) {
			p.cell = op.Cell
		} else {
			q, _ := quant(centroid(p))
			p.cell = nearest(q, 1)[0]
		}
		persons = append(persons, p)
	}

	// The other units, best first, each into the best allowed person above
	// the threshold among those filed under its nearest cells (an int8
	// estimate under the threshold by more than candidateMargin is not
	// verified), or a new person under its nearest cell.
	var todo []int
	for u := range units {
		if personOf[u] < 0 {
			todo = append(todo, u)
		}
	}
	sort.Slice(todo, func(a, b int) bool {
		ua, ub := units[todo[a]], units[todo[b]]
		if ua.weight != ub.weight {
			return ua.weight > ub.weight
		}
		return ua.first < ub.first
	})
	for _, u := range todo {
		e := emb(u)
		q, step := quant(e)
		cells := nearest(q, nprobe)
		best, bestS := -1, float32(0)
		for _, ci := range cells {
			for pi, p := range persons { // filed in this order
				if p.cell != ci {
					continue
				}
				cent := centroid(p)
				if float32(dot8(q, p.row))*step*p.rowStep < t-candidateMargin {
					continue
				}
				if s := vectors.Dot(e, cent); s >= t && (best < 0 || s > bestS) && allowed(u, p) {
					best, bestS = pi, s
				}
			}
		}
		if best < 0 {
			best = len(persons)
			persons = append(persons, &refPerson{cell: cells[0]})
		}
		persons[best].units = append(persons[best].units, u)
		persons[best].cent = nil
		personOf[u] = best
	}

	var out []Person
	used := map[string]bool{}
	for _, p := range persons {
		var fs []int
		for _, u := range p.units {
			fs = append(fs, units[u].faces...)
		}
		sort.Slice(fs, func(a, b int) bool {
			fa, fb := faces[fs[a]], faces[fs[b]]
			if fa.Weight != fb.Weight {
				return fa.Weight > fb.Weight
			}
			return fa.ID < fb.ID
		})
		var ids []string
		for _, f := range fs {
			ids = append(ids, faces[f].ID)
		}
		out = append(out, Person{ID: p.id, Faces: ids, Cell: p.cell})
		used[p.id] = p.id != ""
	}
	fresh := []int{}
	for i := range out {
		if out[i].ID == "" {
			fresh = append(fresh, i)
		}
	}
	sort.Slice(fresh, func(a, b int) bool { return smallest(out[fresh[a]].Faces) < smallest(out[fresh[b]].Faces) })
	for _, i := range fresh {
		id := newID(smallest(out[i].Faces))
		for k := 2; used[id]; k++ {
			id = fmt.Sprintf("%s-%d", newID(smallest(out[i].Faces)), k)
		}
		used[id], out[i].ID = true, id
	}
	sort.SliceStable(out, func(a, b int) bool {
		if len(out[a].Faces) != len(out[b].Faces) {
			return len(out[a].Faces) > len(out[b].Faces)
		}
		return out[a].ID < out[b].ID
	})
	return out
}

// Assign gives exactly what the plain reference gives, on a realistic
// synthetic album (512-d, identities of 16 faces on average and strangers,
// 1,000 new faces into 9,000 grouped ones), with the stored cells and with
// cells trained anew, and with corrections and removed photos.
func TestAssignMatchesReference(t *testing.T) {
	s := makeSynthetic(31, 512, 550, 16, 2000)
	require.GreaterOrEqual(t, len(s.faces), 10000)
	s.faces = s.faces[:10000]
	old, cells, err := Regroup(s.faces[:9000], nil, Corrections{}, Options{})
	require.NoError(t, err)

	// Corrections: Together pairs across old persons (and one with a new
	// face), Apart pairs inside old persons; every 17th face removed.
	var c Corrections
	for i := 0; i+1 < 60; i += 2 {
		c.Together = append(c.Together, [2]string{old[i].Faces[0], old[i+1].Faces[len(old[i+1].Faces)-1]})
	}
	c.Together = append(c.Together, [2]string{old[70].Faces[0], s.faces[9500].ID})
	for i := 80; i < 140; i++ {
		if len(old[i].Faces) > 2 {
			c.Apart = append(c.Apart, [2]string{old[i].Faces[1], old[i].Faces[2]})
		}
	}
	var kept []Face
	for i, f := range s.faces {
		if i%17 != 3 {
			kept = append(kept, f)
		}
	}
	// A record that no longer fits its photos (a photo's faces found
	// anew): persons listing another person's face of one of their photos,
	// which seeding must leave out.
	photo, personAt := map[string]string{}, map[string]int{}
	for _, f := range s.faces {
		photo[f.ID] = f.Photo
	}
	for i, p := range old {
		for _, f := range p.Faces {
			personAt[f] = i
		}
	}
	stale := append([]Person(nil), old...)
	conflicts := 0
	for i := 200; i < 400; i++ {
		for _, f := range s.faces[:9000] {
			if j := personAt[f.ID]; j > i && f.Photo == photo[stale[i].Faces[0]] {
				stale[i].Faces = append(append([]string(nil), stale[i].Faces...), f.ID)
				conflicts++
				break
			}
		}
	}
	require.Greater(t, conflicts, 20)

	for _, tc := range []struct {
		name  string
		faces []Face
		old   []Person
		c     Corrections
	}{{"new faces", s.faces, old, Corrections{}}, {"corrections, removals, a stale record", kept, stale, c}} {
		t.Run(tc.name, func(t *testing.T) {
			old := tc.old
			got, gotCells, err := Assign(tc.faces, old, tc.c, Options{Cells: cells})
			require.NoError(t, err)
			assert.Equal(t, cells, gotCells)
			want := referenceAssign(tc.faces, old, tc.c, cells, true)
			require.Equal(t, len(want), len(got))
			assert.Equal(t, want, got)

			retrained, trained, err := Assign(tc.faces, old, tc.c, Options{})
			require.NoError(t, err)
			assert.Equal(t, referenceAssign(tc.faces, old, tc.c, trained, false), retrained)

			// The comparison is not vacuous: new faces joined old persons,
			// and others started persons.
			oldOf, oldIDs := personOf(old), map[string]bool{}
			for _, p := range old {
				oldIDs[p.ID] = true
			}
			joined, started := 0, 0
			for _, p := range got {
				for _, f := range p.Faces {
					if _, was := oldOf[f]; !was {
						if oldIDs[p.ID] {
							joined++
						} else {
							started++
						}
					}
				}
			}
			t.Logf("%d persons; of the new faces %d joined old persons, %d are in new ones", len(got), joined, started)
			assert.Greater(t, joined, 400)
			assert.Greater(t, started, 50)
		})
	}
}

// round8 and quantizeCentroid are the plain formulas, value for value.
func TestQuantizingShortcuts(t *testing.T) {
	for _, y := range []float32{0, float32(math.Copysign(0, -1)), 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -126.5, 127, -127,
		0.49999997, -0.49999997, 1e-30, -1e-30, math.Nextafter32(0.5, 1), math.Nextafter32(-0.5, -1)} {
		assert.Equal(t, int8(math.Round(float64(y))), round8(y), "%v", y)
	}
	rng := rand.New(rand.NewPCG(8, 8))
	for range 100000 {
		y := float32((rng.Float64()*2 - 1) * 127)
		if rng.IntN(4) == 0 {
			y = float32(math.Round(float64(y))) + 0.5 // ties
		}
		y = max(-127, min(127, y))
		require.Equal(t, int8(math.Round(float64(y))), round8(y), "%v", y)
	}
	cases := [][]float32{make([]float32, 512), unitVector(rng, 512), {3, -4}, {1e-30, 0}, {float32(math.Inf(1)), 1}, {float32(math.NaN()), 1}}
	for range 200 {
		v := unitVector(rng, 512)
		for j := range v {
			v[j] *= float32(1 + rng.IntN(20)) // sums of several faces
		}
		cases = append(cases, v)
	}
	for _, v := range cases {
		c := append([]float32(nil), v...)
		normalise(c)
		want := make([]int8, len(v)+32)
		wantStep := quantize(want, c)
		got := make([]int8, len(v)+32)
		gotStep := quantizeCentroid(got, v)
		require.Equal(t, want, got)
		if math.IsNaN(float64(wantStep)) {
			assert.True(t, math.IsNaN(float64(gotStep)))
		} else {
			assert.Equal(t, wantStep, gotStep)
		}
	}
}
