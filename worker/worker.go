// Package worker runs the queue's tasks in Chromium: every job in a fresh
// interpreter of the runner, and every session's interpreter from its
// opening, through its runs, to its close or expiry. It is the one owner of
// the sessions a process holds; the queue only routes their tasks and
// keeps their records.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/runner"
)

// Runner is what a worker needs of the runner; Chromium gives it.
type Runner interface {
	// Run runs spec in a fresh interpreter.
	Run(ctx context.Context, spec sandpit.Spec) (sandpit.Result, error)
	// OpenSession starts an interpreter of its own and runs setup in it;
	// a setup that fails as Python gives its result and no session.
	OpenSession(ctx context.Context, setup sandpit.Spec) (Session, sandpit.Result, error)
	// Ready is how many jobs could start now; Changed signals when it may
	// have changed.
	Ready() int
	Changed() <-chan struct{}
}

// Session is one interpreter a session keeps.
type Session interface {
	// Run runs spec in the interpreter; an error means it is lost.
	Run(ctx context.Context, spec sandpit.Spec) (sandpit.Result, error)
	Close()
}

// Chromium is the Runner of a runner.Runner.
func Chromium(r *runner.Runner) Runner { return chromium{r} }

type chromium struct{ *runner.Runner }

func (c chromium) OpenSession(ctx context.Context, setup sandpit.Spec) (Session, sandpit.Result, error) {
	s, res, err := c.Runner.OpenSession(ctx, setup)
	if s == nil {
		return nil, res, err // not a typed nil in the interface
	}
	return s, res, err
}

// Config configures a Worker. Zero values mean the queue's defaults.
type Config struct {
	// Concurrency is how many tasks run at once: the runner's pool size.
	Concurrency int
	// Lease, MaxAttempts and Grace are the queue's (see
	// queue.WorkerOptions).
	Lease       time.Duration
	MaxAttempts int
	Grace       time.Duration
	// Finished and RedisError feed the metrics, and Started the readiness
	// check (see queue.WorkerOptions).
	Finished   func(status sandpit.Status, waited, ran time.Duration)
	RedisError func()
	Started    func()
	// Now is the clock sessions' idleness is measured by; default
	// time.Now.
	Now func() time.Time
	// ExpireEvery is how often idle sessions are looked for; default 1s.
	ExpireEvery time.Duration
	Logger      *slog.Logger
}

// Worker takes tasks from a queue and runs them on a runner.
type Worker struct {
	id  string
	q   *queue.Queue
	r   Runner
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	sessions map[string]*held // by session id
}

// held is a session whose interpreter this worker holds.
type held struct {
	s        Session
	busy     int // its tasks in flight
	lastUsed time.Time
}

// New returns a worker of q running tasks on r. Run starts it.
func New(q *queue.Queue, r Runner, cfg Config) *Worker {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ExpireEvery <= 0 {
		cfg.ExpireEvery = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Worker{id: queue.NewWorkerID(), q: q, r: r, cfg: cfg, log: cfg.Logger,
		sessions: make(map[string]*held)}
}

// ID names the worker in the queue.
func (w *Worker) ID() string { return w.id }

// Run takes and runs tasks until ctx ends, then lets those in flight finish
// within the grace period, hands back the rest and returns. The sessions it
// held end with it.
func (w *Worker) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	ectx, stop := context.WithCancel(ctx)
	wg.Go(func() { w.expireLoop(ectx) })
	err := w.q.Work(ctx, w, queue.WorkerOptions{
		ID:           w.id,
		Concurrency:  w.cfg.Concurrency,
		Lease:        w.cfg.Lease,
		MaxAttempts:  w.cfg.MaxAttempts,
		Grace:        w.cfg.Grace,
		Ready:        w.r.Ready,
		ReadyChanged: w.r.Changed(),
		Finished:     w.cfg.Finished,
		RedisError:   w.cfg.RedisError,
		Started:      w.cfg.Started,
	})
	stop()
	wg.Wait()
	w.closeAll()
	return err
}

// Handle runs one task: it is the queue's handler. A job's output goes to
// its events as it is written.
func (w *Worker) Handle(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	switch t.Kind {
	case queue.KindOpenSession:
		return w.open(ctx, t)
	case queue.KindCloseSession:
		return w.close(ctx, t)
	}
	out := newOutput(w.q, t.ID, w.log)
	defer out.close()
	ctx = runner.WithOutput(ctx, out.write)
	ctx = runner.WithTenant(ctx, t.Owner)
	if t.Kind == queue.KindRunInSession {
		return w.runIn(ctx, t)
	}
	return w.r.Run(ctx, t.Spec)
}

// open starts a session's interpreter and records that this worker holds
// it. An infrastructure failure is returned, so that the queue retries the
// opening, on any worker.
func (w *Worker) open(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	s, res, err := w.r.OpenSession(runner.WithTenant(ctx, t.Owner), t.Spec)
	if err != nil {
		return res, err
	}
	if s == nil {
		w.end(ctx, t.Session, "", sandpit.SessionError, "setup failed: "+res.Reason())
		return res, nil
	}
	if err := w.q.HoldSession(ctx, t.Session, w.id); err != nil {
		s.Close()
		return sandpit.Result{}, err
	}
	w.mu.Lock()
	w.sessions[t.Session] = &held{s: s, lastUsed: w.cfg.Now()}
	w.mu.Unlock()
	w.log.Info("session opened", "session", t.Session)
	return res, nil
}

// runIn runs a task in its session's interpreter. A run that breaks the
// interpreter ends the session: its state cannot be had elsewhere, so the
// run is not retried and ends as error.
func (w *Worker) runIn(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	h := w.begin(t.Session)
	if h == nil {
		w.end(ctx, t.Session, w.id, sandpit.SessionError, queue.LostMessage)
		return sandpit.ErrorResult(queue.LostMessage), nil
	}
	defer w.done(t.Session)
	res, err := h.s.Run(ctx, t.Spec)
	if err != nil {
		if ctx.Err() != nil {
			return res, err // cancelled, or the worker is stopping: the queue's call
		}
		msg := "the session's interpreter was lost (" + queue.PublicMessage(err) +
			"); the session has ended and its state cannot be recovered: open a new session"
		w.drop(t.Session)
		w.end(ctx, t.Session, w.id, sandpit.SessionError, msg)
		w.log.Warn("session lost", "session", t.Session, "err", err)
		return sandpit.ErrorResult(msg), nil
	}
	if err := w.q.TouchSession(ctx, t.Session); err != nil {
		w.log.Warn("record session use", "session", t.Session, "err", err)
	}
	return res, nil
}

// close frees a session's interpreter and records the session closed.
func (w *Worker) close(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	w.drop(t.Session)
	w.end(ctx, t.Session, w.id, sandpit.SessionClosed, "")
	return sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: new(int), Files: []sandpit.File{}}, nil
}

// expireLoop closes the sessions idle for longer than the queue's session
// TTL until ctx ends.
func (w *Worker) expireLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.ExpireEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			w.Expire(ctx)
		case <-ctx.Done():
			return
		}
	}
}

// Expire closes, now, the sessions idle for longer than the session TTL by
// the worker's clock.
func (w *Worker) Expire(ctx context.Context) {
	ttl := w.q.SessionTTL()
	now := w.cfg.Now()
	w.mu.Lock()
	var idle []string
	for id, h := range w.sessions {
		if h.busy == 0 && now.Sub(h.lastUsed) > ttl {
			idle = append(idle, id)
		}
	}
	w.mu.Unlock()
	for _, id := range idle {
		w.drop(id)
		w.end(ctx, id, w.id, sandpit.SessionExpired, "idle for longer than "+ttl.String())
		w.log.Info("session expired", "session", id)
	}
}

// Sessions returns how many sessions the worker holds.
func (w *Worker) Sessions() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sessions)
}

// begin marks a task of session id in flight and returns the session, or
// nil when this worker does not hold it.
func (w *Worker) begin(id string) *held {
	w.mu.Lock()
	defer w.mu.Unlock()
	h := w.sessions[id]
	if h != nil {
		h.busy++
		h.lastUsed = w.cfg.Now()
	}
	return h
}

// done marks a task of session id ended.
func (w *Worker) done(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if h := w.sessions[id]; h != nil {
		h.busy--
		h.lastUsed = w.cfg.Now()
	}
}

// drop forgets session id and closes its interpreter.
func (w *Worker) drop(id string) {
	w.mu.Lock()
	h := w.sessions[id]
	delete(w.sessions, id)
	w.mu.Unlock()
	if h != nil {
		h.s.Close()
	}
}

// closeAll closes every interpreter the worker holds, at its end.
func (w *Worker) closeAll() {
	w.mu.Lock()
	all := w.sessions
	w.sessions = make(map[string]*held)
	w.mu.Unlock()
	for _, h := range all {
		h.s.Close()
	}
}

// end records the end of session id.
func (w *Worker) end(ctx context.Context, id, worker string, status sandpit.SessionStatus, msg string) {
	if err := w.q.EndSession(ctx, id, worker, status, msg); err != nil {
		w.log.Error("end session", "session", id, "err", err)
	}
}
