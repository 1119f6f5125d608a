package sfnapi_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/execstore"
)

// heapAfterGC is the live heap.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// rssKB is the process's resident memory (SQLite's pages live outside the
// Go heap).
func rssKB() int {
	body, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func openFDs() int {
	entries, _ := os.ReadDir("/proc/self/fd")
	return len(entries)
}

// BenchmarkServeMemory runs 2,000 album-like executions (a Distributed Map
// of 10 photos each) through the API with the store on disk, and reports
// the live heap after 100 and after 2,000 of them (goal: within 20%), and
// the goroutines and file descriptors before and after.
func BenchmarkServeMemory(b *testing.B) {
	for b.Loop() {
		d := startDurable(b, filepath.Join(b.TempDir(), execstore.FileName), nil)
		ctx := context.Background()
		photos := `{"photos": ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]}`
		runOne := func(i int) {
			out, err := d.client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(d.arn), Name: aws.String(fmt.Sprintf("album-%d", i)), Input: aws.String(photos)})
			require.NoError(b, err)
			for {
				x := d.srv.Execution(*out.ExecutionArn)
				if x != nil {
					x.Wait()
				}
				desc, err := d.client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
				require.NoError(b, err)
				if desc.Status != types.ExecutionStatusRunning {
					require.Equal(b, types.ExecutionStatusSucceeded, desc.Status)
					return
				}
			}
		}
		for i := 0; i < 20; i++ { // warm up
			runOne(i)
		}
		g0, fd0 := runtime.NumGoroutine(), openFDs()
		for i := 20; i < 100; i++ {
			runOne(i)
		}
		h100, r100 := heapAfterGC(), rssKB()
		for i := 100; i < 2000; i++ {
			runOne(i)
		}
		h2000, r2000 := heapAfterGC(), rssKB()
		g1, fd1 := runtime.NumGoroutine(), openFDs()
		d.stop(b)
		b.ReportMetric(float64(h100)/(1<<20), "MB-heap-after-100")
		b.ReportMetric(float64(h2000)/(1<<20), "MB-heap-after-2000")
		b.ReportMetric(float64(h2000)/float64(h100), "heap-ratio")
		b.ReportMetric(float64(r100)/1024, "MB-rss-after-100")
		b.ReportMetric(float64(r2000)/1024, "MB-rss-after-2000")
		b.ReportMetric(float64(r2000)/float64(r100), "rss-ratio")
		b.ReportMetric(float64(g1-g0), "goroutines-added")
		b.ReportMetric(float64(fd1-fd0), "fds-added")
	}
}
