package sfnapi

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/execstore"
	"github.com/divinepic/pipeline/shared/sigv4"
	"github.com/divinepic/pipeline/shared/states"
)

// maxBody bounds a request body: StartExecution's input is at most 256 KiB,
// JSON-escaped inside the request.
const maxBody = 4 << 20

// MachineOptions describe a state machine as DescribeStateMachine shows it.
type MachineOptions struct {
	// Definition is the definition's JSON, with its substitutions made.
	Definition []byte
	// Type is STANDARD (the default) or EXPRESS. Only STANDARD machines
	// return the running execution when started again with the same name
	// and input.
	Type types.StateMachineType
	// RoleARN is the role the machine would run as (default: a made-up
	// role named after the machine).
	RoleARN string
	// Listener, when set, observes every execution the server starts.
	Listener states.Listener
}

// Server serves the Step Functions API for the state machines added to it.
// It is an http.Handler; it is safe for concurrent use. Executions, their
// histories and Map Runs live in an execution store (WithStore; by default
// one in memory): only running executions are held in memory.
type Server struct {
	ctx    context.Context // executions' lifetime
	cancel context.CancelFunc
	now    func() time.Time
	uuid   func() string
	store  *execstore.Store
	owned  bool          // the store was opened by New
	slots  chan struct{} // one per execution allowed to run at once
	log    *slog.Logger
	// retention: how long finished executions are kept (0: for ever).
	retention time.Duration

	mu       sync.Mutex
	machines map[string]*machine // by ARN
	order    []*machine          // in the order they were added
	running  map[string]*execution
	recent   []*execution // the last few finished, for Execution
	closed   bool
	wg       sync.WaitGroup
	auth     *sigv4.Verifier // nil: requests are not authenticated (only with WithoutSigV4)
	open     bool            // WithoutSigV4: serve unsigned requests
}

type machine struct {
	sm      *states.StateMachine
	opt     MachineOptions
	created time.Time
}

// execution is one running (or waiting to run) execution.
type execution struct {
	m      *machine
	arn    string
	input  string
	stop   chan struct{} // closed by StopExecution while it waits for a slot
	once   sync.Once
	stopEr *states.Error
	x      *states.Execution // nil while it waits for a slot
	mu     sync.Mutex
}

func (e *execution) exec() *states.Execution {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.x
}

// keepRecent is how many finished executions Execution still returns.
const keepRecent = 4

// DefaultMaxRunning is how many executions run at once by default; the
// others wait for a slot (RUNNING, as AWS's quotas make them wait).
const DefaultMaxRunning = 16

// Option configures a Server.
type Option func(*Server)

// WithNow sets the clock used for state machine creation dates (execution
// times come from the engine's clock).
func WithNow(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithUUID sets the generator of execution names for StartExecution calls
// that give none.
func WithUUID(f func() string) Option { return func(s *Server) { s.uuid = f } }

// WithSigV4 makes the server refuse every request that is not signed with
// AWS Signature Version 4 by creds for region (service "states") within 5
// minutes of the server's clock, with the errors AWS returns
// (MissingAuthenticationTokenException, UnrecognizedClientException,
// InvalidSignatureException, IncompleteSignatureException). `divinepic
// serve` always sets it.
func WithSigV4(creds Credentials, region string) Option {
	return func(s *Server) { s.auth = &sigv4.Verifier{Creds: creds, Region: region, Service: signingService} }
}

// WithoutSigV4 serves requests that are not signed: for a test that talks
// to the server in its own process. Without it or WithSigV4 the server
// refuses every request, so no caller opens an API by forgetting an option.
func WithoutSigV4() Option { return func(s *Server) { s.open = true } }

// WithStore keeps executions in st (the caller closes it after Shutdown).
func WithStore(st *execstore.Store) Option { return func(s *Server) { s.store = st } }

// WithMaxRunning caps the executions that run at once (default
// DefaultMaxRunning); the others wait in start order.
func WithMaxRunning(n int) Option {
	return func(s *Server) {
		if n > 0 {
			s.slots = make(chan struct{}, n)
		}
	}
}

// WithRetention prunes executions that finished longer ago than d from
// the store, at once and then every hour (default: never).
func WithRetention(d time.Duration) Option { return func(s *Server) { s.retention = d } }

// WithLogger logs every execution's start and end (default: none).
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// New returns a Server with no state machines.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		uuid:     newUUID,
		machines: map[string]*machine{},
		running:  map[string]*execution{},
		slots:    make(chan struct{}, DefaultMaxRunning),
		log:      slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(s)
	}
	if s.store == nil {
		st, err := execstore.Open("")
		if err != nil {
			panic("sfnapi: in-memory execution store: " + err.Error())
		}
		s.store, s.owned = st, true
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if s.retention > 0 {
		go s.prune()
	}
	return s
}

func (s *Server) prune() {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := s.store.Prune(s.ctx, time.Now().Add(-s.retention))
		if err != nil {
			s.log.Error("pruning old executions", "error", err.Error())
		} else if n > 0 {
			s.log.Info("pruned old executions", "executions", n, "retention_hours", s.retention.Hours())
		}
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Store is the server's execution store.
func (s *Server) Store() *execstore.Store { return s.store }

// AddStateMachine serves sm under its ARN (sm.ARN,
// arn:aws:states:<region>:<account>:stateMachine:<name>).
func (s *Server) AddStateMachine(sm *states.StateMachine, opt MachineOptions) error {
	if sm == nil {
		return errors.New("sfnapi: add state machine: nil state machine")
	}
	if len(opt.Definition) == 0 {
		return fmt.Errorf("sfnapi: add state machine %s: no definition (DescribeStateMachine returns it)", sm.Name)
	}
	switch opt.Type {
	case "":
		opt.Type = types.StateMachineTypeStandard
	case types.StateMachineTypeStandard, types.StateMachineTypeExpress:
	default:
		return fmt.Errorf("sfnapi: add state machine %s: unknown type %q", sm.Name, opt.Type)
	}
	if opt.RoleARN == "" {
		m, err := arn.ParseStateMachine(sm.ARN)
		if err != nil {
			return fmt.Errorf("sfnapi: add state machine: %w", err)
		}
		opt.RoleARN = m.Role()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.machines[sm.ARN]; dup {
		return fmt.Errorf("sfnapi: add state machine: %s is already served", sm.ARN)
	}
	m := &machine{sm: sm, opt: opt, created: s.now()}
	s.machines[sm.ARN] = m
	s.order = append(s.order, m)
	return nil
}

// Machine returns the state machine served under arn, with its definition
// JSON, or nil.
func (s *Server) Machine(arn string) (*states.StateMachine, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.machines[arn]; m != nil {
		return m.sm, m.opt.Definition
	}
	return nil, nil
}

// Machines returns the ARNs of the state machines served, in the order
// they were added.
func (s *Server) Machines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.order))
	for i, m := range s.order {
		out[i] = m.sm.ARN
	}
	return out
}

// Execution returns a running (or just finished) execution started
// through the API, or nil: finished ones are read from the store.
func (s *Server) Execution(arn string) *states.Execution {
	s.mu.Lock()
	e := s.running[arn]
	if e == nil {
		for _, r := range s.recent {
			if r.arn == arn {
				e = r
			}
		}
	}
	s.mu.Unlock()
	if e == nil {
		return nil
	}
	return e.exec()
}

// Shutdown refuses new executions, stops the running ones (they end
// ABORTED with the given cause) and waits for them to end or for ctx.
func (s *Server) Shutdown(ctx context.Context, cause string) error {
	s.mu.Lock()
	s.closed = true
	var running []*execution
	for _, e := range s.running {
		running = append(running, e)
	}
	s.mu.Unlock()
	for _, e := range running {
		e.abort("", cause)
	}
	defer s.cancel()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		s.mu.Lock()
		n := len(s.running)
		s.mu.Unlock()
		return fmt.Errorf("sfnapi: shutdown: %d executions still running: %w", n, ctx.Err())
	}
	if s.owned {
		s.store.Close() // an in-memory store: its executions go with the server
		return nil
	}
	if err := s.store.Flush(); err != nil {
		return fmt.Errorf("sfnapi: shutdown: execution store: %w", err)
	}
	return nil
}

// abort stops a running execution, or one waiting for a slot.
func (e *execution) abort(errName, cause string) {
	e.mu.Lock()
	x := e.x
	if x == nil {
		e.stopEr = &states.Error{Name: errName, Cause: cause}
	}
	e.mu.Unlock()
	if x != nil {
		x.Stop(errName, cause)
		return
	}
	e.once.Do(func() { close(e.stop) })
}

// ServeHTTP serves one API call.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-amzn-RequestId", s.uuid())
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, &apiError{status: http.StatusMethodNotAllowed, typ: errUnknownOperation, msg: "the Step Functions API takes POST requests"})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, clientError(errSerialization, "read request body: "+err.Error()))
		return
	}
	if len(body) > maxBody {
		writeError(w, clientError(errValidation, fmt.Sprintf("request body over %d bytes", maxBody)))
		return
	}
	switch {
	case s.auth != nil:
		if refused := s.auth.Verify(r, body, time.Now()); refused != nil {
			writeError(w, clientError(refused.Type, refused.Message))
			return
		}
	case !s.open:
		writeError(w, clientError(sigv4.ErrMissingAuthToken, "this server was started without credentials to check requests against: it serves none"))
		return
	}
	target := r.Header.Get("X-Amz-Target")
	name, ok := strings.CutPrefix(target, "AWSStepFunctions.")
	op := operations[name]
	if !ok || op == nil {
		writeError(w, clientError(errUnknownOperation, fmt.Sprintf("unknown operation %q", target)))
		return
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	out, aerr := op(s, r.Context(), body)
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, wire(out, false))
}

// decode reads a request body into one of the SDK's input structs
// (encoding/json matches the lower-case member names to its fields).
func decode(body []byte, in any) *apiError {
	if err := json.Unmarshal(body, in); err != nil {
		return clientError(errSerialization, decodeMessage(err))
	}
	return nil
}

// decodeMessage says what is wrong with a request body in the protocol's
// terms: member names and JSON types, never the server's Go types.
func decodeMessage(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		parts := strings.Split(typ.Field, ".")
		for i, p := range parts {
			parts[i] = lowerFirst(p)
		}
		return fmt.Sprintf("member '%s' cannot be a JSON %s", strings.Join(parts, "."), typ.Value)
	case errors.As(err, &typ):
		return fmt.Sprintf("the request body cannot be a JSON %s: it is an object", typ.Value)
	default:
		return "malformed request body"
	}
}

// parseARN checks that arn is a Step Functions ARN of the given resource
// kind (stateMachine, execution, express, mapRun) and returns what follows
// the kind.
func parseARN(s *string, kinds ...string) (string, *apiError) {
	if s == nil || *s == "" {
		return "", clientError(errValidation, "1 validation error detected: an ARN must not be null")
	}
	kind, resource, err := arn.States(*s)
	if err != nil {
		return "", clientError(errInvalidArn, "Invalid Arn: '"+*s+"'")
	}
	for _, k := range kinds {
		if kind == k {
			return resource, nil
		}
	}
	return "", clientError(errInvalidArn, fmt.Sprintf("Invalid Arn: 'Resource type not valid in this context: %s'", kind))
}

func newUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
