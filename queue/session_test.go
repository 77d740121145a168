package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// sessionWorker is a handler that records which session tasks it took, and
// keeps the session records as a real handler does: it holds the sessions
// it opens and ends those it closes.
type sessionWorker struct {
	q  *Queue
	id string

	mu    sync.Mutex
	tasks []Task
}

func (s *sessionWorker) Handle(ctx context.Context, t Task) (sandpit.Result, error) {
	s.mu.Lock()
	s.tasks = append(s.tasks, t)
	s.mu.Unlock()
	switch t.Kind {
	case KindOpenSession:
		if len(t.Spec.Packages) > 0 {
			one := 1
			return sandpit.Result{Status: sandpit.StatusFailed, ExitCode: &one, Files: []sandpit.File{},
				Error: &sandpit.PyError{Type: "ModuleNotFoundError", Message: "no " + t.Spec.Packages[0]}}, nil
		}
		if err := s.q.HoldSession(ctx, t.Session, s.id); err != nil {
			return sandpit.Result{}, err
		}
	case KindCloseSession:
		if err := s.q.EndSession(ctx, t.Session, s.id, sandpit.SessionClosed, ""); err != nil {
			return sandpit.Result{}, err
		}
	}
	return ok(t.Spec.Code), nil
}

func (s *sessionWorker) took(kind Kind, session string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, t := range s.tasks {
		if t.Kind == kind && t.Session == session {
			n++
		}
	}
	return n
}

func code(err error) string {
	if e, ok := errors.AsType[*sandpit.Error](err); ok {
		return e.Code
	}
	return ""
}

// openSession opens a session of owner and waits for its opening task.
func openSession(t *testing.T, q *Queue, owner string, setup sandpit.Spec) (string, sandpit.Job) {
	t.Helper()
	sid, jid, err := q.OpenSession(context.Background(), owner, setup)
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*1e9)
	defer cancel()
	job, err := q.Wait(ctx, jid, owner)
	if err != nil {
		t.Fatalf("wait for the opening of session %s: %v", sid, err)
	}
	return sid, job
}

func TestSessionTasksGoToItsWorker(t *testing.T) {
	q, rdb := newQueue(t, Options{MaxSessionsPerOwner: 1})
	workers := []*sessionWorker{{q: q, id: "w1"}, {q: q, id: "w2"}}
	for _, w := range workers {
		work(t, q, w, WorkerOptions{ID: w.id, Concurrency: 2})
	}
	ctx := context.Background()
	sid, opened := openSession(t, q, "alice", sandpit.Spec{})
	if s, err := q.GetSession(ctx, sid, "alice"); opened.Status != sandpit.StatusSucceeded || err != nil || s.Status != sandpit.SessionOpen {
		t.Fatalf("opened session: %+v, %v (opening task %s)", s, err, opened.Status)
	}
	var holder *sessionWorker
	for _, w := range workers {
		if w.took(KindOpenSession, sid) == 1 {
			holder = w
		}
	}
	if holder == nil {
		t.Fatal("no worker opened the session")
	}
	for range 10 {
		job, err := q.RunInSession(ctx, sid, "alice", sandpit.Spec{Code: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if j := waitAs(t, q, job.ID, "alice"); j.Status != sandpit.StatusSucceeded {
			t.Fatalf("run: %+v", j)
		}
	}
	if n := holder.took(KindRunInSession, sid); n != 10 {
		t.Errorf("the session's worker took %d of its 10 runs", n)
	}
	if s, _ := q.GetSession(ctx, sid, "alice"); s.Runs != 10 {
		t.Errorf("session counts %d runs, want 10", s.Runs)
	}

	_, _, err := q.OpenSession(ctx, "alice", sandpit.Spec{})
	if code(err) != sandpit.ERATELIMITED {
		t.Errorf("second session of alice: %v, want rate_limited", err)
	}
	// The session was used just now: it would expire idle a TTL from now.
	if e, ok := errors.AsType[*OwnerLimitError](err); !ok || e.LimitReason() != ReasonSessions ||
		e.RetryAfter() > DefaultSessionTTL || e.RetryAfter() < DefaultSessionTTL-time.Minute {
		t.Errorf("second session of alice: %#v, want a retry when the open one would expire idle, %v from now", err, DefaultSessionTTL)
	}
	if _, err := q.GetSession(ctx, sid, "bob"); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("bob reads alice's session: %v, want not found", err)
	}
	if _, err := q.RunInSession(ctx, sid, "bob", sandpit.Spec{Code: "x"}); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("bob runs in alice's session: %v, want not found", err)
	}
	if _, err := q.CloseSession(ctx, sid, "bob"); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("bob closes alice's session: %v, want not found", err)
	}

	closing, err := q.CloseSession(ctx, sid, "alice")
	if err != nil {
		t.Fatal(err)
	}
	waitAs(t, q, closing.ID, "alice")
	if s, _ := q.GetSession(ctx, sid, "alice"); s.Status != sandpit.SessionClosed || holder.took(KindCloseSession, sid) != 1 {
		t.Fatalf("closed session: %+v", s)
	}
	if closing.ID == "" || closing.Status != sandpit.StatusQueued {
		t.Errorf("closing task: %+v", closing)
	}
	if _, err := q.RunInSession(ctx, sid, "alice", sandpit.Spec{Code: "x"}); code(err) != sandpit.ECONFLICT {
		t.Errorf("run in a closed session: %v, want conflict", err)
	}
	if _, err := q.CloseSession(ctx, sid, "alice"); code(err) != sandpit.ECONFLICT {
		t.Errorf("close a closed session: %v, want conflict", err)
	}

	// A session whose opening failed does not count against the limit.
	failed, job := openSession(t, q, "alice", sandpit.Spec{Packages: []string{"nosuch"}})
	if job.Status != sandpit.StatusFailed {
		t.Fatalf("opening that fails: %+v", job)
	}
	if err := q.EndSession(ctx, failed, "", sandpit.SessionError, "setup failed"); err != nil {
		t.Fatal(err)
	}
	if _, job := openSession(t, q, "alice", sandpit.Spec{}); job.Status != sandpit.StatusSucceeded {
		t.Fatalf("session after a closed and a failed one: %+v", job)
	}
	// Nothing of a session stays in Redis for good.
	for _, key := range []string{q.keys.session(sid), q.keys.ownerSessions("alice")} {
		if ttl := rdb.TTL(ctx, key).Val(); ttl <= 0 {
			t.Errorf("%s has no expiry (TTL %v)", key, ttl)
		}
	}
}

func TestGoneWorkersSessionsEndAsError(t *testing.T) {
	q, _ := newQueue(t, Options{})
	holder := &sessionWorker{q: q, id: "holder"}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Work(ctx, holder, WorkerOptions{ID: holder.id}); close(done) }()
	sid, _ := openSession(t, q, "", sandpit.Spec{})
	stop()
	<-done
	// A run sent after the worker left ends as error, as does the session.
	s, err := q.GetSession(context.Background(), sid, "")
	if err != nil || s.Status != sandpit.SessionError || s.Message != LostMessage {
		t.Fatalf("session of a worker that stopped: %+v, %v", s, err)
	}
	if _, err := q.RunInSession(context.Background(), sid, "", sandpit.Spec{Code: "x"}); code(err) != sandpit.ECONFLICT {
		t.Errorf("run in the lost session: %v, want conflict", err)
	}
}
