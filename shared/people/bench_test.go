package people

import (
	"runtime"
	"testing"
)

// The goals (issue 12): 50,000 faces of 512 dimensions grouped on one core
// in under 5 s and 1 GB; 1,000 new faces assigned in under 200 ms. The
// album: 2,500 identities of 16 faces on average, and 10,000 strangers.
// Run with -cpu 1.
var benchAlbum = struct {
	dim, identities, per, strangers int
}{512, 2500, 16, 10000}

func BenchmarkRegroup50k(b *testing.B) {
	a := benchAlbum
	s := makeSynthetic(11, a.dim, a.identities, a.per, a.strangers)
	s.faces = s.faces[:min(len(s.faces), 50000)]
	s.label = s.label[:len(s.faces)]
	var ps []Person
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		var err error
		ps, _, err = Regroup(s.faces, nil, Corrections{}, Options{})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e9, "cpu-s/op")
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapInuse)/(1<<20), "MB-heap-after")
	p, r := bcubed(ps, labels(s))
	b.ReportMetric(float64(len(s.faces)), "faces")
	b.ReportMetric(float64(len(ps)), "persons")
	b.ReportMetric(p, "bcubed-precision")
	b.ReportMetric(r, "bcubed-recall")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "MB-alloc/op")
}

// BenchmarkAssign1000 is the People step's rerun: the stored cells
// (PeopleRecord.Cells) are given back; "retrain" is a record without them
// (written before they were stored), for the ratio.
func BenchmarkAssign1000(b *testing.B) {
	a := benchAlbum
	s := makeSynthetic(12, a.dim, a.identities, a.per, a.strangers)
	s.faces = s.faces[:min(len(s.faces), 50000)]
	old, cells, err := Regroup(s.faces[:49000], nil, Corrections{}, Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		cells *Cells
	}{{"stored-cells", cells}, {"retrain", nil}} {
		b.Run(bc.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				if _, _, err := Assign(s.faces, old, Corrections{}, Options{Cells: bc.cells}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e9, "cpu-s/op")
		})
	}
}
