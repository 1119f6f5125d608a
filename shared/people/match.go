package people

import "github.com/divinepic/pipeline/shared/vectors"

// Centroid is a person's normalised mean embedding.
type Centroid struct {
	ID  string
	Emb []float32
}

// Centroids returns the centroids of the persons of at least minFaces faces
// (emb gives a face's embedding; faces it does not know are left out).
func Centroids(persons []Person, emb func(faceID string) []float32, minFaces int) []Centroid {
	var out []Centroid
	for _, p := range persons {
		if len(p.Faces) < minFaces {
			continue
		}
		var sum []float32
		n := 0
		for _, f := range p.Faces {
			e := emb(f)
			if e == nil {
				continue
			}
			if sum == nil {
				sum = make([]float32, len(e))
			}
			for i, v := range e {
				sum[i] += v
			}
			n++
		}
		if n < minFaces {
			continue
		}
		normalise(sum)
		out = append(out, Centroid{ID: p.ID, Emb: sum})
	}
	return out
}

// Match returns the person whose centroid q matches best, if at least
// threshold ("" and 0 when none does).
func Match(q []float32, cs []Centroid, threshold float32) (string, float32) {
	best, bestS := "", float32(0)
	for _, c := range cs {
		if len(c.Emb) != len(q) {
			continue
		}
		if s := vectors.Dot(q, c.Emb); s >= threshold && (best == "" || s > bestS) {
			best, bestS = c.ID, s
		}
	}
	return best, bestS
}
