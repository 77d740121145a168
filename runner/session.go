package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/page"
)

// ErrTooManySessions is returned by OpenSession when the runner holds
// Config.MaxSessions sessions already.
var ErrTooManySessions = errors.New("this worker holds as many sessions as it may")

// ErrSessionClosed is returned by Session.Run after Close.
var ErrSessionClosed = errors.New("session closed")

// Session is one interpreter that keeps its state across the jobs run in
// it. It has a host of its own, taken from the pool (which builds another
// in its place), so it shares nothing with jobs or other sessions.
type Session struct {
	r        *Runner
	memoryMB int

	mu     sync.Mutex // one run at a time
	h      *host
	closed bool
}

// OpenSession starts a session and runs setup in it (a job that writes the
// session's files and loads its packages; its MemoryMB caps the session).
// A setup that fails as Python returns its result with a nil session.
func (r *Runner) OpenSession(ctx context.Context, setup sandpit.Spec) (*Session, sandpit.Result, error) {
	if r.cfg.Naive != NotNaive {
		return nil, sandpit.Result{}, errors.New("a naive runner has no sessions")
	}
	r.mu.Lock()
	if r.sessions >= r.cfg.MaxSessions {
		r.mu.Unlock()
		return nil, sandpit.Result{}, ErrTooManySessions
	}
	r.sessions++
	r.mu.Unlock()
	h, err := r.take(ctx)
	if err != nil {
		r.sessionEnded()
		return nil, sandpit.Result{}, err
	}
	// The host leaves the pool for good: its slot is free for another.
	select {
	case r.slots <- struct{}{}:
	default:
	}
	s := &Session{r: r, h: h, memoryMB: r.cfg.Limits.MemoryMB(setup)}
	res, err := s.Run(ctx, setup)
	if err != nil || res.Status != sandpit.StatusSucceeded {
		s.Close()
		return nil, res, err
	}
	return s, res, nil
}

func (r *Runner) sessionEnded() {
	r.mu.Lock()
	r.sessions--
	r.mu.Unlock()
}

// Sessions returns how many sessions the runner holds.
func (r *Runner) Sessions() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions
}

// Run runs spec in the session's interpreter, after any run in flight.
// Its memory cap is the session's. An error means the interpreter is lost
// (its renderer crashed, or it had to be stopped on an earlier timeout):
// the session is of no further use.
func (s *Session) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return sandpit.Result{}, ErrSessionClosed
	}
	spec.MemoryMB = s.memoryMB
	res, err := s.h.run(ctx, page.MethodRunInSession, spec, s.r.cfg.Limits)
	if err != nil {
		if ctx.Err() != nil {
			// The caller gave up on the run (it was cancelled): stop its
			// code, so that the session is free for the next run.
			s.interrupt()
			return res, ctx.Err()
		}
		return res, fmt.Errorf("session: %w", err)
	}
	return res, nil
}

// interrupt raises KeyboardInterrupt in the code running in the session.
func (s *Session) interrupt() {
	ctx, cancel := context.WithTimeout(s.h.ctx, 5*time.Second)
	defer cancel()
	chromedp.Run(ctx, call[chromedp.Void](s.h, page.MethodInterruptSession))
}

// Close ends the session and closes its host.
func (s *Session) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	s.h.close()
	s.r.sessionEnded()
}
