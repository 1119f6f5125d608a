package intrinsic_test

import (
	"testing"

	"github.com/divinepic/pipeline/shared/states/intrinsic"
)

func BenchmarkEvalFormat(b *testing.B) {
	input := decode(b, `{"albumId": "a1", "image": {"key": "p/img.jpg"}}`)
	ctx := decode(b, `{"Execution": {"Name": "run-1"}}`)
	e := intrinsic.MustCompile(`States.Format('{}/{}/{}', $.albumId, $$.Execution.Name, $.image.key)`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Eval(input, ctx, intrinsic.Env{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompileNested(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := intrinsic.Compile(`States.Format('{}.{}', States.ArrayGetItem(States.StringSplit($.arn, '/'), 2), States.MathAdd($.n, 1))`); err != nil {
			b.Fatal(err)
		}
	}
}
