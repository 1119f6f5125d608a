package people

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// synthetic is an album of generated embeddings: identities (random unit
// vectors) photographed several times each (the identity plus Gaussian
// noise: a face's cosine with its identity is about 0.85, two faces of one
// person about 0.72, as ArcFace-style embeddings of one person in different
// photos), strangers seen once, and photos of up to four faces of
// different people.
type synthetic struct {
	faces []Face
	label []int // identity per face; strangers have their own
}

func unitVector(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	normalise(v)
	return v
}

// noisy is id plus noise of per-component sigma s, normalised.
func noisy(rng *rand.Rand, id []float32, s float64) []float32 {
	v := make([]float32, len(id))
	for i := range v {
		v[i] = id[i] + float32(s*rng.NormFloat64())
	}
	normalise(v)
	return v
}

// faceNoise gives cos(face, identity) = 1/sqrt(1 + dim*s^2) = 0.85 at 512.
func faceNoise(dim int) float64 { return math.Sqrt((1/(0.85*0.85) - 1) / float64(dim)) }

func makeSynthetic(seed uint64, dim, identities, perIdentity, strangers int) synthetic {
	rng := rand.New(rand.NewPCG(seed, 7))
	ids := make([][]float32, identities)
	for i := range ids {
		ids[i] = unitVector(rng, dim)
	}
	type pending struct {
		emb   []float32
		label int
	}
	var all []pending
	for i, id := range ids {
		n := 1 + rng.IntN(2*perIdentity-1) // 1 .. 2*perIdentity-1, mean perIdentity
		for range n {
			all = append(all, pending{noisy(rng, id, faceNoise(dim)), i})
		}
	}
	for s := range strangers {
		all = append(all, pending{unitVector(rng, dim), identities + s})
	}
	rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var out synthetic
	photo := 0
	for i := 0; i < len(all); {
		// a photo of 1..4 faces, never two of one identity
		n := 1 + rng.IntN(4)
		seen := map[int]bool{}
		for k := 0; k < n && i < len(all) && !seen[all[i].label]; k++ {
			seen[all[i].label] = true
			out.faces = append(out.faces, Face{ID: fmt.Sprintf("ph%06d/%d", photo, k), Photo: fmt.Sprintf("ph%06d", photo),
				Embedding: all[i].emb, Weight: float32(rng.Float64())})
			out.label = append(out.label, all[i].label)
			i++
		}
		photo++
	}
	return out
}
