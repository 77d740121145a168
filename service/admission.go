package service

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/queue"
)

// Access bounds how much one caller may ask of the services: every call of
// a service method counts once, whichever transport it came by, so that an
// MCP tool call and an HTTP request weigh the same. The counts are kept in
// Redis, so that the bounds hold across every API process together.
type Access struct {
	// Rate is each caller's sustained calls per second, Burst its burst;
	// zero means no rate limit.
	Rate  float64
	Burst int
	// Concurrency bounds each caller's calls in flight (a waiting run
	// counts until it answers); zero means no bound.
	Concurrency int
	// Lease is how long a call in flight keeps counting once its process
	// stops renewing it, as when the process dies; default DefaultLease.
	Lease time.Duration
}

// DefaultLease is the default of Access.Lease.
const DefaultLease = 30 * time.Second

// Reasons of a LimitError.
const (
	ReasonRate     = "rate"
	ReasonInFlight = "in_flight"
)

// LimitError is the error of a call refused for its caller's limits. It is
// a rate_limited error for the caller, and says when to try again.
type LimitError struct {
	// Reason is which limit: ReasonRate or ReasonInFlight.
	Reason string
	Wait   time.Duration
	Msg    string
}

func (e *LimitError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the error its code and message for the caller.
func (e *LimitError) Unwrap() error { return sandpit.Errorf(sandpit.ERATELIMITED, "%s", e.Msg) }

// RetryAfter is when the call may succeed.
func (e *LimitError) RetryAfter() time.Duration { return e.Wait }

// LimitReason is which limit refused the call.
func (e *LimitError) LimitReason() string { return e.Reason }

// admission applies Access per caller, on the queue's Redis.
type admission struct {
	cfg Access
	q   *queue.Queue
}

func newAdmission(q *queue.Queue, cfg Access) *admission {
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	return &admission{cfg: cfg, q: q}
}

// admit counts a call of the caller ctx carries, or refuses it; release
// ends the call.
func (a *admission) admit(ctx context.Context) (release func(), err error) {
	id := sandpit.CallerFrom(ctx).ID
	if a.cfg.Rate > 0 {
		wait, err := a.q.Allow(ctx, id, queue.Rate{PerSecond: a.cfg.Rate, Burst: a.cfg.Burst})
		if err != nil {
			return nil, err
		}
		if wait > 0 {
			return nil, &LimitError{Reason: ReasonRate, Wait: ceilSecond(wait),
				Msg: "rate limit of " + formatRate(a.cfg.Rate) + " reached"}
		}
	}
	if a.cfg.Concurrency <= 0 {
		return func() {}, nil
	}
	call, err := a.q.Enter(ctx, id, a.cfg.Concurrency, a.cfg.Lease)
	if err != nil {
		return nil, err
	}
	if call == "" {
		return nil, &LimitError{Reason: ReasonInFlight, Wait: time.Second,
			Msg: "this key already has " + strconv.Itoa(a.cfg.Concurrency) + " requests in flight, the most allowed"}
	}
	return a.hold(ctx, id, call), nil
}

// hold renews the lease of a call in flight until the returned function
// is called, which ends the call, even when the caller has gone.
func (a *admission) hold(ctx context.Context, owner, call string) func() {
	ctx = context.WithoutCancel(ctx)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(a.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				rctx, cancel := context.WithTimeout(ctx, a.cfg.Lease/3)
				// A renewal that fails leaves the lease to run out: the
				// call then stops counting, which errs on the caller's side.
				_ = a.q.Renew(rctx, owner, call, a.cfg.Lease)
				cancel()
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			wg.Wait()
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			// A call that could not leave stops counting when its lease ends.
			_ = a.q.Leave(lctx, owner, call)
		})
	}
}

func ceilSecond(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(d.Seconds())) * time.Second
}

// formatRate writes a rate of r requests per second in the largest unit
// of time in which it is at least one request.
func formatRate(r float64) string {
	unit := "second"
	switch {
	case r >= 1:
	case r*60 >= 1:
		r, unit = r*60, "minute"
	default:
		r, unit = r*3600, "hour"
	}
	return strconv.FormatFloat(math.Round(r*1000)/1000, 'g', -1, 64) + " requests per " + unit
}
