package service

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/sandpit-dev/sandpit"
)

// Access bounds how much one caller may ask of the services: every call of
// a service method counts once, whichever transport it came by, so that an
// MCP tool call and an HTTP request weigh the same.
type Access struct {
	// Rate is each caller's sustained calls per second, Burst its burst;
	// zero means no rate limit.
	Rate  float64
	Burst int
	// Concurrency bounds each caller's calls in flight (a waiting run
	// counts until it answers); zero means no bound.
	Concurrency int
}

// LimitError is the error of a call refused for its caller's limits. It is
// a rate_limited error for the caller, and says when to try again.
type LimitError struct {
	Wait time.Duration
	Msg  string
}

func (e *LimitError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the error its code and message for the caller.
func (e *LimitError) Unwrap() error { return sandpit.Errorf(sandpit.ERATELIMITED, "%s", e.Msg) }

// RetryAfter is when the call may succeed.
func (e *LimitError) RetryAfter() time.Duration { return e.Wait }

// admission applies Access per caller.
type admission struct {
	cfg Access

	mu      sync.Mutex
	callers map[string]*callerState // by caller ID
}

type callerState struct {
	limiter  *rate.Limiter
	inFlight int
}

func newAdmission(cfg Access) *admission {
	return &admission{cfg: cfg, callers: make(map[string]*callerState)}
}

// admit counts a call of the caller ctx carries, or refuses it; release
// ends the call.
func (a *admission) admit(ctx context.Context) (release func(), err error) {
	id := sandpit.CallerFrom(ctx).ID
	a.mu.Lock()
	defer a.mu.Unlock()
	st := a.callers[id]
	if st == nil {
		st = &callerState{}
		if a.cfg.Rate > 0 {
			st.limiter = rate.NewLimiter(rate.Limit(a.cfg.Rate), max(a.cfg.Burst, 1))
		}
		a.callers[id] = st
	}
	if st.limiter != nil {
		if r := st.limiter.Reserve(); r.Delay() > 0 {
			r.Cancel()
			return nil, &LimitError{Wait: ceilSecond(r.Delay()),
				Msg: "rate limit of " + formatRate(a.cfg.Rate) + " requests per second reached"}
		}
	}
	if a.cfg.Concurrency > 0 && st.inFlight >= a.cfg.Concurrency {
		return nil, &LimitError{Wait: time.Second,
			Msg: "this key already has " + itoa(a.cfg.Concurrency) + " requests in flight, the most allowed"}
	}
	st.inFlight++
	var once sync.Once
	return func() {
		once.Do(func() {
			a.mu.Lock()
			st.inFlight--
			a.mu.Unlock()
		})
	}, nil
}

func ceilSecond(d time.Duration) time.Duration {
	return time.Duration(math.Ceil(d.Seconds())) * time.Second
}

func formatRate(r float64) string { return strconv.FormatFloat(r, 'g', -1, 64) }

func itoa(n int) string { return strconv.Itoa(n) }
