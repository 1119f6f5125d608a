package states

import (
	"math"
	"strings"
	"time"
)

// retrier is one element of a state's Retry field.
type retrier struct {
	errorEquals []string
	interval    float64 // seconds
	maxAttempts int64
	backoffRate float64
	maxDelay    float64 // seconds, 0 = unbounded
	fullJitter  bool
}

// catcher is one element of a state's Catch field.
type catcher struct {
	errorEquals []string
	next        string
	resultPath  *refPath
	q           *queryFields // Output and Assign
}

func (p *parser) retryCatch(o *object, c *common) {
	if v, ok := o.raw("Retry"); ok {
		arr, isArr := v.([]any)
		if !isArr {
			p.errorf(o.at("Retry"), "must be an array, got %s", jsonType(v))
		}
		for i, e := range arr {
			at := index(o.at("Retry"), i)
			ro := p.object(at, e)
			r := &retrier{interval: 1, maxAttempts: 3, backoffRate: 2}
			r.errorEquals = p.errorEquals(ro, i == len(arr)-1)
			if n, ok := ro.integer("IntervalSeconds", 1, 99999999); ok {
				r.interval = float64(n)
			}
			if n, ok := ro.integer("MaxAttempts", 0, 99999999); ok {
				r.maxAttempts = n
			}
			if f, ok := ro.number("BackoffRate"); ok {
				if f < 1 {
					p.errorf(ro.at("BackoffRate"), "must be at least 1.0, got %v", f)
				}
				r.backoffRate = f
			}
			if n, ok := ro.integer("MaxDelaySeconds", 1, 31622400); ok {
				r.maxDelay = float64(n)
			}
			if js, ok := ro.str("JitterStrategy", false); ok {
				switch js {
				case "FULL":
					r.fullJitter = true
				case "NONE":
				default:
					p.errorf(ro.at("JitterStrategy"), "must be FULL or NONE, got %q", js)
				}
			}
			ro.done("a Retrier")
			c.retry = append(c.retry, r)
		}
	}
	if v, ok := o.raw("Catch"); ok {
		arr, isArr := v.([]any)
		if !isArr {
			p.errorf(o.at("Catch"), "must be an array, got %s", jsonType(v))
		}
		for i, e := range arr {
			at := index(o.at("Catch"), i)
			co := p.object(at, e)
			k := &catcher{}
			k.errorEquals = p.errorEquals(co, i == len(arr)-1)
			k.next, _ = co.str("Next", true)
			k.q = &queryFields{jsonata: p.jsonata}
			if p.jsonata {
				if co.has("ResultPath") {
					co.used["ResultPath"] = true
					p.errorf(co.at("ResultPath"), "the field \"ResultPath\" is not supported in a JSONata state (use Output)")
				}
				if v, ok := co.raw("Output"); ok {
					k.q.output = p.ataTemplate(co.at("Output"), v)
				}
			} else {
				k.resultPath = co.refPath("ResultPath")
			}
			k.q.assign = p.assignField(co, p.jsonata)
			co.done("a Catcher")
			c.catch = append(c.catch, k)
		}
	}
}

// errorEquals reads a non-empty ErrorEquals in which States.ALL, if
// present, is alone and in the last retrier or catcher.
func (p *parser) errorEquals(o *object, last bool) []string {
	names := o.strings("ErrorEquals", true)
	if o.has("ErrorEquals") && len(names) == 0 {
		p.errorf(o.at("ErrorEquals"), "must name at least one error")
	}
	for i, n := range names {
		if n == ErrAll {
			if len(names) != 1 {
				p.errorf(index(o.at("ErrorEquals"), i), "States.ALL must appear alone in ErrorEquals")
			}
			if !last {
				p.errorf(index(o.at("ErrorEquals"), i), "States.ALL must be in the last element of the array")
			}
		}
		if n == "" {
			p.errorf(index(o.at("ErrorEquals"), i), "error name must not be empty")
		}
		if strings.HasPrefix(n, "States.") && !knownErrors[n] {
			p.errorf(index(o.at("ErrorEquals"), i), "unknown predefined error name %q", n)
		}
	}
	p.errorNames = append(p.errorNames, names...)
	return names
}

// knownErrors are the error names the States Language predefines.
var knownErrors = map[string]bool{
	ErrAll: true, ErrHeartbeatTimeout: true, ErrTimeout: true, ErrTaskFailed: true, ErrPermissions: true,
	ErrResultPathMatchFailure: true, ErrParameterPathFailure: true, ErrBranchFailed: true, ErrNoChoiceMatched: true,
	ErrIntrinsicFailure: true, ErrExceedToleratedFailure: true, ErrItemReaderFailed: true, ErrResultWriterFailed: true,
	ErrRuntime: true, ErrDataLimitExceeded: true, ErrQueryEvaluationError: true, "States.Http.Socket": true,
}

// delay is the wait before retry number attempt (0 for the first retry):
// IntervalSeconds × BackoffRate^attempt, capped at MaxDelaySeconds, and with
// FULL jitter a uniformly random fraction of that.
func (r *retrier) delay(attempt int64, rnd func() float64) time.Duration {
	d := r.interval * math.Pow(r.backoffRate, float64(attempt))
	if r.maxDelay > 0 && d > r.maxDelay {
		d = r.maxDelay
	}
	if r.fullJitter {
		d *= rnd()
	}
	return time.Duration(d * float64(time.Second))
}

func (c *common) matchRetry(name string) int {
	for i, r := range c.retry {
		if matches(r.errorEquals, name) {
			return i
		}
	}
	return -1
}

func (c *common) matchCatch(name string) int {
	for i, k := range c.catch {
		if matches(k.errorEquals, name) {
			return i
		}
	}
	return -1
}
