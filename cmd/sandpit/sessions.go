package main

import (
	"context"
	"errors"
	"sync"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/runner"
)

// errNoInterpreter is a session task for a session this worker does not
// hold.
var errNoInterpreter = errors.New("this worker holds no interpreter for the session")

// handler runs the queue's tasks on the runner: jobs each in a fresh
// interpreter, and session tasks in the interpreters of the sessions this
// worker holds.
type handler struct {
	r        *runner.Runner
	mu       sync.Mutex
	sessions map[string]*runner.Session
}

func newHandler(r *runner.Runner) *handler {
	return &handler{r: r, sessions: make(map[string]*runner.Session)}
}

func (h *handler) Handle(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	switch t.Kind {
	case queue.KindOpenSession:
		s, res, err := h.r.OpenSession(ctx, t.Spec)
		if s != nil {
			h.mu.Lock()
			h.sessions[t.Session] = s
			h.mu.Unlock()
		}
		return res, err
	case queue.KindRunInSession:
		h.mu.Lock()
		s := h.sessions[t.Session]
		h.mu.Unlock()
		if s == nil {
			return sandpit.Result{}, errNoInterpreter
		}
		return s.Run(ctx, t.Spec)
	case queue.KindCloseSession:
		h.mu.Lock()
		s := h.sessions[t.Session]
		delete(h.sessions, t.Session)
		h.mu.Unlock()
		if s != nil {
			s.Close()
		}
		return sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: new(int), Files: []sandpit.File{}}, nil
	}
	return h.r.Run(ctx, t.Spec)
}
