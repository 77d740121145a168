package worker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
)

// These tests run workers on a real Redis with a runner that stands in for
// Chromium: what they check is the worker's own part, the life of the
// sessions it holds. The whole way, with Chromium, is tested in
// cmd/sandpit.

var redisURL string

func TestMain(m *testing.M) { os.Exit(testenv.RunWithRedis(m, &redisURL)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fakeRunner runs a job by echoing its code; its sessions keep the codes
// they ran. A session whose code is "crash" loses its interpreter.
type fakeRunner struct {
	mu     sync.Mutex
	open   map[*fakeSession]bool
	closed int
}

type fakeSession struct {
	r   *fakeRunner
	ran []string
}

func newFakeRunner() *fakeRunner { return &fakeRunner{open: make(map[*fakeSession]bool)} }

func succeeded(stdout string) sandpit.Result {
	return sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: new(int), Stdout: stdout, Files: []sandpit.File{}}
}

func (r *fakeRunner) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Result, error) {
	return succeeded(spec.Code), nil
}

func (r *fakeRunner) OpenSession(ctx context.Context, setup sandpit.Spec) (Session, sandpit.Result, error) {
	if len(setup.Packages) > 0 {
		one := 1
		return nil, sandpit.Result{Status: sandpit.StatusFailed, ExitCode: &one, Files: []sandpit.File{},
			Error: &sandpit.PyError{Type: "ModuleNotFoundError", Message: "No module named " + setup.Packages[0]}}, nil
	}
	s := &fakeSession{r: r}
	r.mu.Lock()
	r.open[s] = true
	r.mu.Unlock()
	return s, succeeded(""), nil
}

func (r *fakeRunner) Ready() int               { return 1 }
func (r *fakeRunner) Changed() <-chan struct{} { return nil }

func (r *fakeRunner) counts() (open, closed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.open), r.closed
}

func (s *fakeSession) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Result, error) {
	if spec.Code == "crash" {
		return sandpit.Result{}, errors.New("run in sandbox: the sandbox's renderer crashed")
	}
	s.ran = append(s.ran, spec.Code)
	return succeeded(spec.Code), nil
}

func (s *fakeSession) Close() {
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.r.open[s] {
		delete(s.r.open, s)
		s.r.closed++
	}
}

// clock is a clock the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// start runs a worker on a queue of its own until the test ends.
func start(t *testing.T, opts queue.Options, r Runner, cfg Config) (*queue.Queue, *Worker) {
	t.Helper()
	rdb := testenv.Client(t, redisURL)
	opts.Prefix = "worker-" + queue.NewWorkerID()
	opts.Logger = quiet
	q := queue.New(rdb, opts)
	cfg.Logger = quiet
	w := New(q, r, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; q.Close() })
	return q, w
}

func wait(t *testing.T, q *queue.Queue, id string) sandpit.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	j, err := q.Wait(ctx, id, "")
	if err != nil {
		t.Fatalf("wait for %s: %v", id, err)
	}
	return j
}

func session(t *testing.T, q *queue.Queue, id string) sandpit.Session {
	t.Helper()
	s, err := q.GetSession(context.Background(), id, "")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// open opens a session and waits for its interpreter.
func open(t *testing.T, q *queue.Queue, setup sandpit.Spec) (string, sandpit.Job) {
	t.Helper()
	sid, jid, err := q.OpenSession(context.Background(), "", setup)
	if err != nil {
		t.Fatal(err)
	}
	return sid, wait(t, q, jid)
}

func run(t *testing.T, q *queue.Queue, sid, code string) sandpit.Job {
	t.Helper()
	job, err := q.RunInSession(context.Background(), sid, "", sandpit.Spec{Code: code})
	if err != nil {
		t.Fatal(err)
	}
	return wait(t, q, job.ID)
}

func TestJobsRunFresh(t *testing.T) {
	q, _ := start(t, queue.Options{}, newFakeRunner(), Config{})
	job, err := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "print(1)"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if j := wait(t, q, job.ID); j.Status != sandpit.StatusSucceeded || j.Stdout != "print(1)" {
		t.Fatalf("job = %+v", j)
	}
}

func TestSessionLife(t *testing.T) {
	r := newFakeRunner()
	q, w := start(t, queue.Options{}, r, Config{})
	sid, opened := open(t, q, sandpit.Spec{})
	if opened.Status != sandpit.StatusSucceeded || session(t, q, sid).Status != sandpit.SessionOpen || w.Sessions() != 1 {
		t.Fatalf("opening: %+v, session %+v, worker holds %d", opened, session(t, q, sid), w.Sessions())
	}
	for _, code := range []string{"a = 1", "a + 1"} {
		if j := run(t, q, sid, code); j.Status != sandpit.StatusSucceeded {
			t.Fatalf("run %q: %+v", code, j)
		}
	}
	closing, err := q.CloseSession(context.Background(), sid, "")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, q, closing.ID)
	if s := session(t, q, sid); s.Status != sandpit.SessionClosed || s.Runs != 2 {
		t.Errorf("closed session: %+v", s)
	}
	if open, closed := r.counts(); open != 0 || closed != 1 || w.Sessions() != 0 {
		t.Errorf("after close: %d interpreters open, %d closed, worker holds %d", open, closed, w.Sessions())
	}
}

func TestSessionSetupFailureEndsIt(t *testing.T) {
	r := newFakeRunner()
	q, w := start(t, queue.Options{}, r, Config{})
	sid, opened := open(t, q, sandpit.Spec{Packages: []string{"nosuch"}})
	if opened.Status != sandpit.StatusFailed {
		t.Fatalf("opening: %+v", opened)
	}
	s := session(t, q, sid)
	if s.Status != sandpit.SessionError || s.Message != "setup failed: ModuleNotFoundError: No module named nosuch" || w.Sessions() != 0 {
		t.Errorf("session = %+v, worker holds %d", s, w.Sessions())
	}
}

// A run that loses the interpreter ends the session as error, at once and
// for good: it is not retried, since no other interpreter has its state.
func TestLostInterpreterEndsSession(t *testing.T) {
	r := newFakeRunner()
	q, w := start(t, queue.Options{}, r, Config{MaxAttempts: 3})
	sid, _ := open(t, q, sandpit.Spec{})
	j := run(t, q, sid, "crash")
	if j.Status != sandpit.StatusError || j.Message == "" {
		t.Fatalf("crashing run: %+v", j)
	}
	if s := session(t, q, sid); s.Status != sandpit.SessionError || s.Message != j.Message {
		t.Errorf("session = %+v, want error saying %q", s, j.Message)
	}
	if open, closed := r.counts(); open != 0 || closed != 1 || w.Sessions() != 0 {
		t.Errorf("after the loss: %d interpreters open, %d closed, worker holds %d", open, closed, w.Sessions())
	}
}

// Expiry goes by the worker's clock: a session idle past the TTL is closed
// and recorded expired; one in use is not.
func TestIdleSessionExpires(t *testing.T) {
	r := newFakeRunner()
	c := &clock{now: time.Now()}
	q, w := start(t, queue.Options{SessionTTL: time.Minute}, r, Config{Now: c.Now, ExpireEvery: time.Hour})
	idle, _ := open(t, q, sandpit.Spec{})
	used, _ := open(t, q, sandpit.Spec{})

	c.advance(59 * time.Second)
	run(t, q, used, "x")
	w.Expire(context.Background())
	if session(t, q, idle).Status != sandpit.SessionOpen {
		t.Fatal("a session idle for less than the TTL expired")
	}

	c.advance(2 * time.Second)
	w.Expire(context.Background())
	if s := session(t, q, idle); s.Status != sandpit.SessionExpired || s.Message != "idle for longer than 1m0s" {
		t.Errorf("session idle past the TTL: %+v", s)
	}
	if s := session(t, q, used); s.Status != sandpit.SessionOpen {
		t.Errorf("session used 2s ago: %+v", s)
	}
	if open, closed := r.counts(); open != 1 || closed != 1 || w.Sessions() != 1 {
		t.Errorf("after expiry: %d interpreters open, %d closed, worker holds %d", open, closed, w.Sessions())
	}
	if _, err := q.RunInSession(context.Background(), idle, "", sandpit.Spec{Code: "x"}); sandpit.ErrorCode(err) != sandpit.ECONFLICT {
		t.Errorf("run in the expired session: %v, want conflict", err)
	}
}
