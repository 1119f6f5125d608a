package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/stretchr/testify/require"

	"github.com/divinepic/pipeline/shared/console"
	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/states"
)

// bigMapDef runs one child execution per item of $.items; every 100th
// item fails.
const bigMapDef = `{
  "StartAt": "Photos",
  "States": {
    "Photos": {
      "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 8, "ToleratedFailurePercentage": 5, "ResultPath": null,
      "ItemSelector": {"image": {"key.$": "States.Format('albums/big/{}.jpg', $$.Map.Item.Value)"}, "n.$": "$$.Map.Item.Value"},
      "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
        "StartAt": "Detect",
        "States": {
          "Detect": {"Type": "Task", "Resource": "arn:aws:lambda:local:000000000000:function:detect", "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "PhotoFailed"}], "End": true},
          "PhotoFailed": {"Type": "Fail", "ErrorPath": "$.error.Error", "CausePath": "$.error.Cause"}
        }
      },
      "End": true
    }
  }
}`

type Unreadable struct{}

func (Unreadable) Error() string { return "not a photo" }

// BenchmarkConsolePages10k times the console's pages (server time, through
// HTTP on loopback) for an execution whose Map Run has 10,000 items.
func BenchmarkConsolePages10k(b *testing.B) {
	const items = 10000
	e := states.New()
	e.RegisterFunc("detect", func(in struct {
		N int `json:"n"`
	}) (map[string]int, error) {
		if in.N%100 == 99 {
			return nil, Unreadable{}
		}
		return map[string]int{"faces": 1}, nil
	})
	sm, err := e.Parse("big", []byte(bigMapDef))
	require.NoError(b, err)
	st, err := execstore.Open(filepath.Join(b.TempDir(), execstore.FileName))
	require.NoError(b, err)
	defer st.Close()
	srv := sfnapi.New(sfnapi.WithoutSigV4(), sfnapi.WithStore(st))
	require.NoError(b, srv.AddStateMachine(sm, sfnapi.MachineOptions{Definition: []byte(bigMapDef)}))
	cons, err := console.New(srv, console.Options{Token: "t", ItemLabel: console.JSONField("image", "key")})
	require.NoError(b, err)
	hs := httptest.NewServer(console.Handler(srv, cons, discard()))
	defer hs.Close()
	ctx := context.Background()
	input := `{"items": [`
	for i := 0; i < items; i++ {
		if i > 0 {
			input += ","
		}
		input += fmt.Sprint(i)
	}
	input += `]}`
	client := sfn.New(sfn.Options{Region: "local", BaseEndpoint: aws.String(hs.URL), Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1})
	out, err := client.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(sm.ARN), Name: aws.String("big-album"), Input: aws.String(input)})
	require.NoError(b, err)
	deadline := time.Now().Add(5 * time.Minute)
	for {
		d, err := client.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		require.NoError(b, err)
		if d.Status != types.ExecutionStatusRunning {
			require.Equal(b, types.ExecutionStatusSucceeded, d.Status, aws.ToString(d.Cause))
			break
		}
		require.True(b, time.Now().Before(deadline))
		time.Sleep(50 * time.Millisecond)
	}
	runs, err := st.MapRuns(ctx, *out.ExecutionArn)
	require.NoError(b, err)
	require.Len(b, runs, 1)
	counts, err := st.Counts(ctx, runs[0])
	require.NoError(b, err)
	require.Equal(b, items/100, counts.Failed)
	child, _, err := st.List(ctx, execstore.Query{MapRun: runs[0].ARN, After: 5000, Limit: 1})
	require.NoError(b, err)

	run := url.QueryEscape(runs[0].ARN)
	pages := map[string]string{
		"executions":      "/console/",
		"execution":       "/console/execution?arn=" + url.QueryEscape(*out.ExecutionArn),
		"maprun":          "/console/maprun?arn=" + run,
		"maprun-failed":   "/console/maprun?arn=" + run + "&status=FAILED",
		"maprun-item9900": "/console/maprun?arn=" + run + "&from=9900",
		"child":           "/console/execution?arn=" + url.QueryEscape(child[0].ARN),
	}
	for _, name := range []string{"executions", "execution", "maprun", "maprun-failed", "maprun-item9900", "child"} {
		b.Run(name, func(b *testing.B) {
			req, _ := http.NewRequest(http.MethodGet, hs.URL+pages[name], nil)
			req.AddCookie(&http.Cookie{Name: "divinepic_console", Value: "t"})
			for b.Loop() {
				resp, err := hs.Client().Do(req)
				require.NoError(b, err)
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				require.Equal(b, http.StatusOK, resp.StatusCode)
			}
		})
	}
}
