package cost

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPriceList(t *testing.T) {
	l, err := Load()
	require.NoError(t, err)
	assert.NotEmpty(t, l.Retrieved)
	for _, k := range []string{"lambda", "stepFunctions", "s3", "s3Vectors", "cloudWatchLogs", "rekognition"} {
		assert.NotEmpty(t, l.Source[k], "the source of %s's prices", k)
	}
	p, err := l.Region("us-east-1")
	require.NoError(t, err)
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		assert.Positive(t, v.Field(i).Float(), "%s is set", v.Type().Field(i).Name)
	}
	_, err = l.Region("mars-1")
	require.ErrorContains(t, err, `no prices for region "mars-1" in prices.json (known: us-east-1)`)
}

func TestSeedFigure(t *testing.T) {
	l, err := Load()
	require.NoError(t, err)
	p, _ := l.Region("us-east-1")
	assert.InDelta(t, 1.50, SeedPerThousand(p), 0.001, "the seed's $1.50 per 1,000 photos: 3 GB for 30 s")
	assert.InDelta(t, 1.00+0.02, Rekognition(1000, 2000, p), 1e-9)
}

func TestBilledMs(t *testing.T) {
	tests := []struct {
		f    Function
		want float64
	}{
		{Function{MemoryMB: 1769, CPUms: 100}, 100},
		{Function{MemoryMB: 3008, CPUms: 100}, 100},             // no faster than one vCPU: one ONNX thread
		{Function{MemoryMB: 1024, CPUms: 100}, 173},             // 100 x 1769/1024 = 172.75, rounded up
		{Function{MemoryMB: 1024, CPUms: 100, WaitMs: 30}, 203}, // waits do not stretch
		{Function{MemoryMB: 512, CPUms: 10, WaitMs: 0.2}, 35},   // 34.55 + 0.2, rounded up
		{Function{MemoryMB: 128, CPUms: 0, WaitMs: 0}, 0},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.f.BilledMs(), "%+v", tt.f)
	}
}

func TestBill(t *testing.T) {
	p := Prices{LambdaGBSecondX86: 0.0000166667, LambdaRequestsPerMillion: 0.2, SFNStandardTransitionsPerThousand: 0.025,
		S3PutPerThousand: 0.005, S3GetPerThousand: 0.0004}
	u := Usage{Photos: 1000,
		Functions:           []FunctionUsage{{Function: Function{Step: "detect", MemoryMB: 1024, CPUms: 1000}, Invocations: 1000}},
		StandardTransitions: 1005, S3Puts: 2000, S3Gets: 3000}
	items := Bill(u, p)
	byName := map[string]float64{}
	for _, it := range items {
		byName[it.What] = it.Dollars
	}
	// 1000 x 1.728 s (1000 ms x 1769/1024, rounded up) x 1 GB
	assert.InDelta(t, 1000*1.728*0.0000166667, byName["Lambda detect compute"], 1e-9)
	assert.InDelta(t, 0.0002, byName["Lambda detect requests"], 1e-12)
	assert.InDelta(t, 0.025125, byName["Step Functions Standard transitions"], 1e-12)
	assert.InDelta(t, 0.01, byName["S3 PUT and LIST requests"], 1e-12, "a PUT costs as much as 0.3 GB-s of Lambda")
	assert.InDelta(t, 0.0012, byName["S3 GET and HEAD requests"], 1e-12)
	assert.InDelta(t, 1000*1.728*0.0000166667+0.0002+0.025125+0.01+0.0012, Total(items), 1e-9)
}
