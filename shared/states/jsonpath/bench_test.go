package jsonpath_test

import (
	"testing"

	"github.com/divinepic/pipeline/shared/states/jsonpath"
)

// A state payload shaped like the pipeline's: counts and keys, a few levels deep.
const benchDoc = `{"albumId": "a1", "bucket": "b", "prefix": "p/",
  "list": {"Payload": {"manifestKey": "m.json", "counts": {"todo": 120, "skipped": 3}}},
  "items": [{"key": "k0", "status": "ok"}, {"key": "k1", "status": "failed"}, {"key": "k2", "status": "ok"}]}`

func BenchmarkGetCompiled(b *testing.B) {
	data := decode(b, benchDoc)
	p := jsonpath.MustCompile("$.list.Payload.counts.todo")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetString(b *testing.B) {
	data := decode(b, benchDoc)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jsonpath.Get(data, "$.list.Payload.counts.todo"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetFilterCompiled(b *testing.B) {
	data := decode(b, benchDoc)
	p := jsonpath.MustCompile("$.items[?(@.status == 'failed')].key")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Get(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetCompiled(b *testing.B) {
	data := decode(b, benchDoc)
	p := jsonpath.MustCompile("$.list.Payload.result")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Set(data, "done"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jsonpath.Compile("$.items[?(@.status == 'failed')].key"); err != nil {
			b.Fatal(err)
		}
	}
}
