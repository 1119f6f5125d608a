package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/config"
	"github.com/divinepic/pipeline/shared/domain"
	"github.com/divinepic/pipeline/shared/embedded"
	"github.com/divinepic/pipeline/shared/names"
	"github.com/divinepic/pipeline/shared/sfnapi"
	"github.com/divinepic/pipeline/shared/sfnclient"
)

func init() {
	register(command{name: "start", summary: "start an album execution on Step Functions (AWS, or `divinepic serve` with --endpoint)", run: startAlbum})
}

// sfnWatcher is what start needs of the Step Functions client.
type sfnWatcher interface {
	sfnclient.StartAPI
	DescribeExecution(ctx context.Context, in *sfn.DescribeExecutionInput, opts ...func(*sfn.Options)) (*sfn.DescribeExecutionOutput, error)
	ListMapRuns(ctx context.Context, in *sfn.ListMapRunsInput, opts ...func(*sfn.Options)) (*sfn.ListMapRunsOutput, error)
	DescribeMapRun(ctx context.Context, in *sfn.DescribeMapRunInput, opts ...func(*sfn.Options)) (*sfn.DescribeMapRunOutput, error)
}

var _ sfnWatcher = (*sfn.Client)(nil)

// localStateMachineARN is the state machine `divinepic serve` serves.
var localStateMachineARN = embedded.StateMachine.String()

func startAlbum(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("start", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: divinepic start --album ID [--bucket B] [--prefix P] [--reprocess] [--pack P] [--name NAME]")
		fmt.Fprintln(stderr, "                       [--endpoint URL] [--state-machine-arn ARN] [--wait] [--interval D] [--quiet]")
		fmt.Fprintln(stderr, "Starts one execution of the album workflow through the Step Functions API and prints its ARN;")
		fmt.Fprintln(stderr, "with --wait, follows it to the end and prints its output (exit status 1 if it did not succeed).")
		fmt.Fprintln(stderr, "AWS credentials and region come from the SDK's default configuration; with --endpoint on this")
		fmt.Fprintln(stderr, "machine, from divinepic serve's key in DATA/aws/credentials.")
		fs.PrintDefaults()
	}
	album := fs.String("album", "", "album id (letters, digits, '_' and '-')")
	bucket := fs.String("bucket", "", "bucket of the album's photos (default: the pipeline's bucket)")
	prefix := fs.String("prefix", "", "key prefix of the album's photos (default: albums/ID/)")
	reprocess := fs.Bool("reprocess", false, "redo every photo, even those already done")
	pack := fs.String("pack", "", "model pack (default: the pipeline's)")
	name := fs.String("name", "", "execution name (default: the album and the time); starting a running execution's name with the same input again returns it")
	endpoint := fs.String("endpoint", os.Getenv(names.EnvSFNEndpoint), "Step Functions endpoint URL, e.g. that of divinepic serve (default: AWS; $"+names.EnvSFNEndpoint+")")
	machineARN := fs.String("state-machine-arn", os.Getenv(names.EnvStateMachineARN), "state machine ARN (default: $"+names.EnvStateMachineARN+"; with --endpoint, "+localStateMachineARN+")")
	wait := fs.Bool("wait", false, "follow the execution until it ends")
	interval := fs.Duration("interval", 2*time.Second, "with --wait, time between two polls")
	quiet := fs.Bool("quiet", false, "with --wait, no progress display")
	data := fs.String("data", config.DefaultDataDir(), "with --endpoint on this machine: the data directory of divinepic serve, whose key signs the requests")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *album == "" {
		fs.Usage()
		return 2
	}
	if err := names.ValidateAlbumID(*album); err != nil {
		fmt.Fprintf(stderr, "divinepic start: %v\n", err)
		return 2
	}
	if *machineARN == "" {
		if *endpoint == "" {
			fmt.Fprintf(stderr, "divinepic start: no state machine: use --state-machine-arn or $%s (or --endpoint for divinepic serve)\n", names.EnvStateMachineARN)
			return 2
		}
		*machineARN = localStateMachineARN
	}
	if *name == "" {
		*name = names.StartExecutionName(*album, time.Now())
	}
	machine, err := arn.ParseStateMachine(*machineARN)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic start: %v\n", err)
		return 1
	}
	client, err := sfnclient.New(ctx, machine, *endpoint,
		sfnclient.WithLocalKey(filepath.Join(*data, "aws", sfnapi.CredentialsFile), sfnapi.Profile))
	if err != nil {
		fmt.Fprintf(stderr, "divinepic start: %v\n", err)
		return 1
	}
	in := domain.AlbumInput{AlbumID: *album, Bucket: *bucket, Prefix: *prefix, Reprocess: *reprocess, Pack: *pack}
	return startAndWatch(ctx, client, machine, *name, in, watchOptions{wait: *wait, interval: *interval, progress: !*quiet}, stdout, stderr)
}

type watchOptions struct {
	wait     bool
	interval time.Duration
	progress bool
}

// startAndWatch starts the execution, prints its ARN and, with wait,
// polls it until it ends.
func startAndWatch(ctx context.Context, c sfnWatcher, machine arn.StateMachine, name string, in domain.AlbumInput, opt watchOptions, stdout, stderr io.Writer) int {
	starter := sfnclient.Starter{Client: c, Machine: machine}
	execARN, err := starter.StartAlbum(ctx, name, in)
	if errors.Is(err, domain.ErrAlreadyStarted) {
		fmt.Fprintf(stderr, "divinepic start: an execution named %s already exists (it ended, or runs with other input); choose another --name\n", name)
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "divinepic start: %v\n", err)
		return 1
	}
	if !opt.wait {
		fmt.Fprintln(stdout, execARN)
		return 0
	}
	fmt.Fprintf(stderr, "started %s\n", execARN)
	d, err := watch(ctx, c, execARN, opt, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "divinepic start: %v\n", err)
		return 1
	}
	if d.Status != types.ExecutionStatusSucceeded {
		fmt.Fprintf(stderr, "execution %s %s", execARN, d.Status)
		if e := aws.ToString(d.Error); e != "" {
			fmt.Fprintf(stderr, ": %s", e)
		}
		if c := aws.ToString(d.Cause); c != "" {
			fmt.Fprintf(stderr, ": %s", oneLine(c))
		}
		fmt.Fprintln(stderr)
		return 1
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(aws.ToString(d.Output)), "", "  ") != nil {
		pretty.Reset()
		pretty.WriteString(aws.ToString(d.Output))
	}
	fmt.Fprintln(stdout, pretty.String())
	return 0
}

// watch polls DescribeExecution until the execution ends, drawing its
// progress (photos done, from its Map Run) on w.
func watch(ctx context.Context, c sfnWatcher, execARN string, opt watchOptions, w io.Writer) (*sfn.DescribeExecutionOutput, error) {
	bar := newPollProgress(w, opt.progress)
	defer bar.finish()
	var mapRun *string
	for {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(execARN)})
		if err != nil {
			return nil, fmt.Errorf("describe execution %s: %w", execARN, err)
		}
		ended := d.Status != types.ExecutionStatusRunning
		if opt.progress && mapRun == nil {
			// Also once it has ended: an album can start its Map Run and
			// finish between two polls, and its counts are still shown.
			// The photos' Map Run is ProcessImages' (the failed photos'
			// is ReportFailures').
			mapRun = photosMapRun(ctx, c, execARN)
		}
		if ended {
			if mapRun != nil {
				bar.reported = reportedFailures(ctx, c, execARN)
				bar.mapRun(ctx, c, mapRun)
			}
			return d, nil
		}
		if opt.progress {
			if mapRun != nil {
				bar.mapRun(ctx, c, mapRun)
			} else {
				bar.draw(d.StartDate, nil)
			}
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped watching %s (it goes on): %w", execARN, ctx.Err())
		case <-time.After(opt.interval):
		}
	}
}

// photosMapRun is the execution's ProcessImages Map Run, or nil before it
// starts.
func photosMapRun(ctx context.Context, c sfnWatcher, execARN string) *string {
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(execARN)})
	if err != nil {
		return nil
	}
	for _, r := range runs.MapRuns {
		if a, err := arn.ParseMapRun(aws.ToString(r.MapRunArn)); err == nil && a.Label == names.StateProcessImages {
			return r.MapRunArn
		}
	}
	return nil
}

// reportedFailures is how many photos ReportFailures' Map Run failed (a
// photo that fails is caught in its batch, so the photos' Map Run counts it
// done), or 0.
func reportedFailures(ctx context.Context, c sfnWatcher, execARN string) int64 {
	runs, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(execARN)})
	if err != nil {
		return 0
	}
	for _, r := range runs.MapRuns {
		if a, err := arn.ParseMapRun(aws.ToString(r.MapRunArn)); err != nil || a.Label != names.StateReportFailures {
			continue
		}
		if d, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: r.MapRunArn}); err == nil && d.ItemCounts != nil {
			return d.ItemCounts.Failed + d.ItemCounts.TimedOut + d.ItemCounts.Aborted
		}
	}
	return 0
}

// pollProgress draws a one-line progress display from polled counts: on a
// terminal in place, otherwise a line whenever the counts change.
type pollProgress struct {
	w        io.Writer
	on, tty  bool
	start    time.Time
	last     string
	printed  bool
	reported int64 // photos ReportFailures failed, once the execution ended
}

func newPollProgress(w io.Writer, on bool) *pollProgress {
	p := &pollProgress{w: w, on: on, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *pollProgress) mapRun(ctx context.Context, c sfnWatcher, arn *string) {
	d, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: arn})
	if err != nil || d.ItemCounts == nil {
		return
	}
	p.draw(d.StartDate, d.ItemCounts)
}

func (p *pollProgress) draw(since *time.Time, n *types.MapRunItemCounts) {
	if !p.on {
		return
	}
	var line, key string
	if n == nil || n.Total == 0 {
		line = "listing photos..."
		key = line
	} else {
		done := n.Succeeded + n.Failed + n.TimedOut + n.Aborted
		const width = 30
		filled := int(width * done / n.Total)
		// ReportFailures' failed photos include those of a batch that
		// failed as a whole, which the photos' Map Run counted already.
		failed := max(n.Failed+n.TimedOut+n.Aborted, p.reported)
		key = fmt.Sprintf("%d/%d photos  %d running  %d failed", done, n.Total, n.Running, failed)
		line = fmt.Sprintf("[%s%s] %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), key)
	}
	start := p.start
	if since != nil {
		start = *since
	}
	elapsed := time.Since(start).Round(time.Second)
	switch {
	case p.tty:
		fmt.Fprintf(p.w, "\r%s  %s\x1b[K", line, elapsed)
	case key != p.last:
		fmt.Fprintf(p.w, "%s  %s\n", line, elapsed)
	default:
		return
	}
	p.last = key
	p.printed = true
}

func (p *pollProgress) finish() {
	if p.on && p.tty && p.printed {
		fmt.Fprintln(p.w)
	}
}
