package states

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock is the engine's source of time: Wait states, Retry intervals,
// TimeoutSeconds and history timestamps all go through it, so a test can run
// a workflow with hours of waiting in no real time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep blocks for d or until ctx is done, whichever comes first, and
	// returns ctx.Err() in the latter case.
	Sleep(ctx context.Context, d time.Duration) error
	// WithTimeout returns a context that is cancelled with
	// context.DeadlineExceeded once d has elapsed on this clock.
	WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
}

// RealClock is the wall clock.
type RealClock struct{}

var _ Clock = RealClock{}

func (RealClock) Now() time.Time { return time.Now().UTC() }

func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (RealClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d)
}

// FakeClock is a virtual clock for tests: Sleep advances the clock by the
// requested duration and returns at once, and records every sleep, so a test
// can assert exact Retry and Wait intervals. Timeouts created with
// WithTimeout fire when the virtual time passes their deadline.
//
// There is one timeline: sleeps in concurrent branches (Map iterations,
// Parallel branches, Distributed Map children) each advance it, so elapsed
// virtual time is the sum of their sleeps, not the longest branch.
type FakeClock struct {
	mu      sync.Mutex
	now     time.Time
	sleeps  []time.Duration
	pending []*fakeDeadline
}

type fakeDeadline struct {
	at     time.Time
	cancel context.CancelCauseFunc
}

var _ Clock = (*FakeClock)(nil)

// NewFakeClock returns a FakeClock that starts at start.
func NewFakeClock(start time.Time) *FakeClock { return &FakeClock{now: start.UTC()} }

func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the virtual time by d (and fires due timeouts).
func (c *FakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.sleeps = append(c.sleeps, d)
	c.mu.Unlock()
	c.Advance(d)
	return ctx.Err()
}

// Advance moves the virtual time forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	var due []*fakeDeadline
	keep := c.pending[:0]
	for _, p := range c.pending {
		if !p.at.After(c.now) {
			due = append(due, p)
		} else {
			keep = append(keep, p)
		}
	}
	c.pending = keep
	c.mu.Unlock()
	for _, p := range due {
		p.cancel(context.DeadlineExceeded)
	}
}

// Sleeps returns the durations of every Sleep so far, in call order.
func (c *FakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

func (c *FakeClock) WithTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithCancelCause(ctx)
	c.mu.Lock()
	p := &fakeDeadline{at: c.now.Add(d), cancel: cancel}
	c.pending = append(c.pending, p)
	sort.Slice(c.pending, func(i, j int) bool { return c.pending[i].at.Before(c.pending[j].at) })
	c.mu.Unlock()
	return cctx, func() {
		c.mu.Lock()
		for i, q := range c.pending {
			if q == p {
				c.pending = append(c.pending[:i], c.pending[i+1:]...)
				break
			}
		}
		c.mu.Unlock()
		cancel(context.Canceled)
	}
}

// timedOut reports whether ctx ended because a clock deadline passed.
func timedOut(ctx context.Context) bool {
	return context.Cause(ctx) == context.DeadlineExceeded || ctx.Err() == context.DeadlineExceeded
}
