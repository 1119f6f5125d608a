// Package emulator runs a Lambda function's bootstrap as Lambda does, under
// the Lambda Runtime Interface Emulator (github.com/aws/aws-lambda-runtime-
// interface-emulator, built from its Go module), and invokes it over the
// Lambda invoke protocol. A Process is a lambda.Handler, so the local States
// Language engine can call the real processes in place of the in-process
// handlers; it keeps each invocation's REPORT (Init Duration on the first,
// Duration on every one). A FunctionURL serves HTTP in front of a process
// as a Lambda Function URL does (payload format 2.0, response streaming),
// for the web app's Lambda.
//
// It owns the emulator's installation and the processes it starts. It does
// not build bootstraps or decide their environment: the caller gives the
// directory of an unpacked zip and the function's environment (in the
// project's tests, read from the synthesized CloudFormation template).
package emulator

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
)

// Module and Version pin the emulator: `go install Module/cmd/aws-lambda-rie@Version`.
const (
	Module  = "github.com/aws/aws-lambda-runtime-interface-emulator"
	Version = "v0.0.0-20261030222936-bef5c4ba774d"
	binName = "aws-lambda-rie"
)

// Install builds the emulator from the Go module proxy into
// dir/<Version>/aws-lambda-rie unless it is already there, and returns its
// path.
func Install(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, Version)
	path := filepath.Join(bin, binName)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		return path, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", Module+"/cmd/"+binName+"@"+Version)
	cmd.Env = append(os.Environ(), "GOBIN="+bin, "CGO_ENABLED=0", "GOFLAGS=")
	cmd.Dir = os.TempDir() // outside any module: go install pkg@version
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("installing the Lambda Runtime Interface Emulator (%s@%s): %w\n%s", Module, Version, err, out)
	}
	return path, nil
}

// Function is what the emulator runs: an unpacked zip and its configuration.
type Function struct {
	Name     string            // AWS_LAMBDA_FUNCTION_NAME
	Dir      string            // holds bootstrap (and what the zip has beside it)
	Env      map[string]string // the function's whole environment
	MemoryMB int
	Timeout  time.Duration
}

// Report is one invocation's REPORT line, and what the caller measured.
type Report struct {
	// HasInit: the invocation started the runtime. The emulator's Init
	// Duration is then the time it took to start the bootstrap process; the
	// function's own initialisation up to its first request is inside the
	// first Duration (the emulator starts the process when the first
	// invocation arrives, as Lambda does on a cold start).
	HasInit  bool
	Init     time.Duration
	Duration time.Duration // the emulator's: request to response
	Wall     time.Duration // the caller's: from sending the request to reading the response
}

// Process is one running emulator with its function. It serves one
// invocation at a time, as one Lambda execution environment does.
type Process struct {
	fn     Function
	cmd    *exec.Cmd
	url    string
	client *http.Client

	mu      sync.Mutex // one invocation at a time
	logMu   sync.Mutex
	reports []Report
	log     bytes.Buffer // the function's and the emulator's output
	done    chan struct{}
}

var _ lambda.Handler = (*Process)(nil)

// Start runs rie with fn on loopback ports and waits until it accepts
// invocations. The function starts (Init) on its first invocation, as on
// Lambda.
func Start(ctx context.Context, rie string, fn Function) (*Process, error) {
	// Ports are picked free and then given to the emulator, so another
	// process may take one in between: then the emulator cannot bind, and
	// it is started again on new ones.
	for attempt := 1; ; attempt++ {
		p, err := start(ctx, rie, fn)
		if err == nil || attempt == 3 || !errors.Is(err, errAddressInUse) {
			return p, err
		}
	}
}

// errAddressInUse: the emulator could not bind a port picked for it.
var errAddressInUse = errors.New("address already in use")

func start(ctx context.Context, rie string, fn Function) (*Process, error) {
	addrs, err := freeLoopbackAddrs(2)
	if err != nil {
		return nil, err
	}
	invokeAddr, runtimeAddr := addrs[0], addrs[1]
	cmd := exec.Command(rie,
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		"--log-level", "error",
		filepath.Join(fn.Dir, "bootstrap"))
	cmd.Dir = fn.Dir
	// Its own process group, so that Close ends the emulator and the
	// function it started together.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	env := []string{
		"AWS_LAMBDA_FUNCTION_NAME=" + fn.Name,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=" + strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_FUNCTION_TIMEOUT=" + strconv.Itoa(int(fn.Timeout/time.Second)),
	}
	for k, v := range fn.Env {
		env = append(env, k+"="+v)
	}
	cmd.Env = env
	p := &Process{fn: fn, cmd: cmd, url: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		client: &http.Client{Timeout: fn.Timeout + 30*time.Second}, done: make(chan struct{})}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = &lockedWriter{p: p}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emulator for %s: %w", fn.Name, err)
	}
	go p.readStdout(stdout)
	go func() { cmd.Wait(); close(p.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", invokeAddr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return p, nil
		}
		select {
		case <-p.done:
			if strings.Contains(p.Log(), "address already in use") {
				return nil, fmt.Errorf("emulator for %s exited: %w: %s", fn.Name, errAddressInUse, p.Log())
			}
			return nil, fmt.Errorf("emulator for %s exited: %s", fn.Name, p.Log())
		case <-ctx.Done():
			p.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Close()
			return nil, fmt.Errorf("emulator for %s does not listen on %s: %s", fn.Name, invokeAddr, p.Log())
		}
	}
}

// reportLine matches the emulator's REPORT line.
var reportLine = regexp.MustCompile(`^REPORT RequestId: \S+\s+(?:Init Duration: ([0-9.]+) ms\s+)?Duration: ([0-9.]+) ms`)

func (p *Process) readStdout(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		p.logMu.Lock()
		p.log.WriteString(line + "\n")
		if m := reportLine.FindStringSubmatch(line); m != nil {
			var rep Report
			if m[1] != "" {
				rep.HasInit, rep.Init = true, millis(m[1])
			}
			rep.Duration = millis(m[2])
			p.reports = append(p.reports, rep)
		}
		p.logMu.Unlock()
	}
}

func millis(s string) time.Duration {
	f, _ := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Millisecond))
}

type lockedWriter struct{ p *Process }

func (w *lockedWriter) Write(b []byte) (int, error) {
	w.p.logMu.Lock()
	defer w.p.logMu.Unlock()
	return w.p.log.Write(b)
}

// Invoke sends one invocation and waits for its result. A function error
// comes back as messages.InvokeResponse_Error with the errorType the
// runtime reported, which is how the engine (and Step Functions) names it.
func (p *Process) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking %s: %w", p.fn.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("invoking %s: %w", p.fn.Name, err)
	}
	p.noteWall(time.Since(start))
	if resp.StatusCode != http.StatusOK {
		return nil, messages.InvokeResponse_Error{Type: "Lambda.ServiceException",
			Message: fmt.Sprintf("%s: emulator answered %s: %s", p.fn.Name, resp.Status, strings.TrimSpace(string(body)))}
	}
	if fe, ok := functionError(body); ok {
		return nil, fe
	}
	return body, nil
}

// functionError recognises the runtime's error document:
// {"errorMessage": "...", "errorType": "..."} and nothing else.
func functionError(body []byte) (messages.InvokeResponse_Error, bool) {
	var doc map[string]json.RawMessage
	if json.Unmarshal(body, &doc) != nil || doc["errorType"] == nil || doc["errorMessage"] == nil {
		return messages.InvokeResponse_Error{}, false
	}
	for k := range doc {
		if k != "errorType" && k != "errorMessage" && k != "stackTrace" {
			return messages.InvokeResponse_Error{}, false
		}
	}
	var e messages.InvokeResponse_Error
	if json.Unmarshal(body, &e) != nil {
		return messages.InvokeResponse_Error{}, false
	}
	return e, true
}

// noteWall records the caller's time of the invocation whose REPORT the
// emulator printed before answering.
func (p *Process) noteWall(d time.Duration) {
	deadline := time.Now().Add(time.Second)
	for {
		p.logMu.Lock()
		n := len(p.reports)
		if n > 0 && p.reports[n-1].Wall == 0 {
			p.reports[n-1].Wall = d
			p.logMu.Unlock()
			return
		}
		p.logMu.Unlock()
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// Reports returns the REPORT of every invocation so far, in order.
func (p *Process) Reports() []Report {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return append([]Report(nil), p.reports...)
}

// Log is what the function and the emulator have written so far.
func (p *Process) Log() string {
	p.logMu.Lock()
	defer p.logMu.Unlock()
	return p.log.String()
}

// Close stops the emulator and its function.
func (p *Process) Close() error {
	if p.cmd.Process == nil {
		return nil
	}
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	<-p.done
	return nil
}

// freeLoopbackAddrs returns n distinct free loopback addresses: each
// listener stays open until all are picked, so no two are the same port.
func freeLoopbackAddrs(n int) ([]string, error) {
	var out []string
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		out = append(out, l.Addr().String())
	}
	return out, nil
}
