package client

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"time"
)

// RetryPolicy says how a Client retries a request that may pass later: one
// answered 429 with Retry-After or 503, one whose connection was refused,
// and, when sending it again is safe (a GET, or a submission with its
// Idempotency-Key), one whose answer was lost. The zero value of a field
// means its default.
type RetryPolicy struct {
	// MaxAttempts bounds the tries of one request, the first included;
	// default 4. 1 turns retries off.
	MaxAttempts int
	// MinDelay is the wait before the first retry, doubled before each
	// next one (with jitter) up to MaxDelay; default 250ms.
	MinDelay time.Duration
	// MaxDelay caps each wait, default 10s. An answer whose Retry-After
	// asks for longer is returned at once: its *Error says how long.
	MaxDelay time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.MinDelay <= 0 {
		p.MinDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 10 * time.Second
	}
	return p
}

// delay is the backoff before retry number attempt (from 1): MinDelay
// doubled each time, capped at MaxDelay, less up to half at random so that
// clients refused together do not return together.
func (p RetryPolicy) delay(attempt int) time.Duration {
	d := p.MinDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d - rand.N(d/2+1)
}

// wait sleeps before retry number attempt: for the server's Retry-After
// when it gave one, else the backoff.
func (p RetryPolicy) wait(ctx context.Context, attempt int, after time.Duration) error {
	d := after
	if d <= 0 {
		d = p.delay(attempt)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date.
func retryAfter(h http.Header) (time.Duration, bool) {
	v := h.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// notSent reports whether err says the request never reached the server
// (no connection could be made), so that sending it again is always safe.
func notSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
