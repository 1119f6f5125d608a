package states

import (
	"bytes"
	"context"
	"encoding/binary"
	mrand "math/rand/v2"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/divinepic/pipeline/shared/arn"
	"github.com/divinepic/pipeline/shared/states/intrinsic"
	"github.com/divinepic/pipeline/shared/states/jsonata"
)

// Engine holds what executions need from the outside: the handlers that
// Task states call, the object store for ItemReader/ResultWriter, the clock,
// and the region and account that ARNs are built from.
type Engine struct {
	mu        sync.RWMutex
	functions map[string]*invoker // by Lambda function name
	resources map[string]*invoker // by exact resource ARN
	objects   Objects
	clk       Clock
	region    string
	account   string
	randMu    sync.Mutex
	rand      func() float64
	uuid      func() string
	env       intrinsic.Env

	ataLibOnce sync.Once
	ataLib     *jsonata.Library // AWS's JSONata functions, see jsonataLibrary
}

// Option configures an Engine.
type Option func(*Engine)

// WithClock sets the clock (default RealClock).
func WithClock(c Clock) Option { return func(e *Engine) { e.clk = c } }

// WithObjects sets the object store that ItemReader and ResultWriter use.
func WithObjects(o Objects) Option { return func(e *Engine) { e.objects = o } }

// WithAccount sets the region and account used in ARNs (default
// "local", "000000000000").
func WithAccount(region, account string) Option {
	return func(e *Engine) { e.region, e.account = region, account }
}

// WithRand sets the random source for jitter and States.MathRandom
// (a function returning values in [0, 1)).
func WithRand(f func() float64) Option { return func(e *Engine) { e.rand = f } }

// WithUUID sets the generator of execution names, Map Run ids, request ids
// and States.UUID.
func WithUUID(f func() string) Option { return func(e *Engine) { e.uuid = f } }

// New returns an Engine with no handlers.
func New(opts ...Option) *Engine {
	e := &Engine{
		functions: map[string]*invoker{},
		resources: map[string]*invoker{},
		clk:       RealClock{},
		region:    "local",
		account:   "000000000000",
		rand:      mrand.Float64,
		uuid:      randomUUID,
	}
	for _, o := range opts {
		o(e)
	}
	e.env = intrinsic.Env{Rand: e.random, UUID: e.newUUID}
	return e
}

// Register binds a handler to a Lambda function (by name, ARN or partial
// ARN; a version or alias qualifier is ignored) or, for any other ARN such
// as arn:aws:states:::sqs:sendMessage, to that exact resource.
//
// The engine calls h one invocation at a time, like a single Lambda
// execution environment: a handler built by lambda.NewHandler reuses its
// output buffer between invocations and is not safe to invoke concurrently.
// For concurrent invocations (Map iterations, Parallel branches), register
// with RegisterFunc or RegisterFactory instead.
func (e *Engine) Register(nameOrARN string, h lambda.Handler) {
	e.bind(nameOrARN, &invoker{single: h})
}

// RegisterFunc binds lambda.NewHandler(fn) (see Register), creating one
// adapter per concurrent invocation, as Lambda runs one execution
// environment per concurrent invocation.
func (e *Engine) RegisterFunc(nameOrARN string, fn any) {
	e.RegisterFactory(nameOrARN, func() lambda.Handler { return lambda.NewHandler(fn) })
}

// RegisterFactory binds a function (see Register) whose handlers newHandler
// builds: each concurrent invocation gets a handler of its own, reused for
// later invocations once it is free.
func (e *Engine) RegisterFactory(nameOrARN string, newHandler func() lambda.Handler) {
	iv := &invoker{}
	iv.pool.New = func() any { return newHandler() }
	e.bind(nameOrARN, iv)
}

func (e *Engine) bind(nameOrARN string, iv *invoker) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if strings.HasPrefix(nameOrARN, "arn:") && !isLambdaARN(nameOrARN) {
		e.resources[nameOrARN] = iv
		return
	}
	e.functions[functionName(nameOrARN)] = iv
}

// invoker calls a registered handler safely: a single handler one
// invocation at a time, or handler instances from a pool.
type invoker struct {
	mu     sync.Mutex
	single lambda.Handler
	pool   sync.Pool
}

// invoke calls the handler and returns a copy of its output (the adapter's
// own buffer is reused by its next invocation).
func (iv *invoker) invoke(ctx context.Context, payload []byte) ([]byte, error) {
	if iv.single != nil {
		iv.mu.Lock()
		defer iv.mu.Unlock()
		out, err := iv.single.Invoke(ctx, payload)
		return bytes.Clone(out), err
	}
	h := iv.pool.Get().(lambda.Handler)
	out, err := h.Invoke(ctx, payload)
	out = bytes.Clone(out)
	iv.pool.Put(h)
	return out, err
}

func (e *Engine) lookupFunction(nameOrARN string) (*invoker, string) {
	name := functionName(nameOrARN)
	e.mu.RLock()
	h := e.functions[name]
	e.mu.RUnlock()
	return h, arn.Function{Region: e.region, Account: e.account, Name: name}.String()
}

// machineARN is the ARN of a state machine of this engine's account.
func (e *Engine) machineARN(name string) arn.StateMachine {
	return arn.StateMachine{Region: e.region, Account: e.account, Name: name}
}

func (e *Engine) lookupResource(arn string) *invoker {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.resources[arn]
}

func (e *Engine) random() float64 {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	return e.rand()
}

func (e *Engine) newUUID() string {
	e.randMu.Lock()
	defer e.randMu.Unlock()
	return e.uuid()
}

// StateMachine is a definition bound to an Engine's handlers, ready to run.
type StateMachine struct {
	*Definition
	Name   string
	ARN    string
	engine *Engine
}

// Parse parses and validates def, and binds every Task state to a
// registered handler: a Task whose resource has no handler is a problem in
// the returned *ValidationError, like any other.
func (e *Engine) Parse(name string, def []byte) (*StateMachine, error) {
	d, p := parseDefinition(def)
	if d == nil {
		return nil, p.err()
	}
	for _, t := range d.tasks {
		at := child(t.path, "Resource")
		switch t.kind {
		case kindLambda:
			t.handler, t.fnARN = e.lookupFunction(t.resource)
			t.fnARN = t.resource
			if t.handler == nil {
				p.errorf(at, "no handler registered for Lambda function %q", functionName(t.resource))
			}
		case kindLambdaInvoke:
			if t.staticFn != "" {
				t.handler, t.fnARN = e.lookupFunction(t.staticFn)
				if t.handler == nil {
					p.errorf(child(child(t.path, "Parameters"), "FunctionName"), "no handler registered for Lambda function %q", functionName(t.staticFn))
				}
			}
		case kindOther:
			t.handler = e.lookupResource(t.resource)
			t.fnARN = t.resource
			if t.handler == nil {
				p.errorf(at, "no handler registered for resource %q", t.resource)
			}
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if name == "" {
		name = "StateMachine"
	}
	return &StateMachine{
		Definition: d,
		Name:       name,
		ARN:        e.machineARN(name).String(),
		engine:     e,
	}, nil
}

// randomUUID returns a version 4 UUID from a fast, goroutine-safe source
// (names and request ids need uniqueness, not secrecy).
func randomUUID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], mrand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], mrand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(out[:])
}
