package queue

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// sessionWorker is a handler that records which session tasks it took.
type sessionWorker struct {
	mu    sync.Mutex
	tasks []Task
}

func (s *sessionWorker) Handle(ctx context.Context, t Task) (sandpit.Result, error) {
	s.mu.Lock()
	s.tasks = append(s.tasks, t)
	s.mu.Unlock()
	if len(t.Spec.Packages) > 0 {
		one := 1
		return sandpit.Result{Status: sandpit.StatusFailed, ExitCode: &one, Files: []sandpit.File{},
			Error: &sandpit.PyError{Type: "ModuleNotFoundError", Message: "no " + t.Spec.Packages[0]}}, nil
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

func TestSessionRunsGoToItsWorker(t *testing.T) {
	q, rdb := newQueue(t, Options{MaxSessionsPerOwner: 1})
	workers := []*sessionWorker{{}, {}}
	for i, w := range workers {
		work(t, q, w, WorkerOptions{ID: []string{"w1", "w2"}[i], Concurrency: 2})
	}
	ctx := context.Background()
	s, err := q.CreateSession(ctx, sandpit.SessionSpec{}, "alice")
	if err != nil || s.Status != sandpit.SessionOpen {
		t.Fatalf("CreateSession: %+v, %v", s, err)
	}
	var holder *sessionWorker
	for _, w := range workers {
		if w.took(KindOpenSession, s.ID) == 1 {
			holder = w
		}
	}
	if holder == nil {
		t.Fatal("no worker opened the session")
	}
	for range 10 {
		job, err := q.RunInSession(ctx, s.ID, "alice", sandpit.Spec{Code: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if j := wait(t, q, job.ID); j.Status != sandpit.StatusSucceeded {
			t.Fatalf("run: %+v", j)
		}
	}
	if n := holder.took(KindRunInSession, s.ID); n != 10 {
		t.Errorf("the session's worker took %d of its 10 runs", n)
	}

	if _, err := q.CreateSession(ctx, sandpit.SessionSpec{}, "alice"); code(err) != sandpit.ERATELIMITED {
		t.Errorf("second session of alice: %v, want rate_limited", err)
	}
	if _, err := q.GetSession(ctx, s.ID, "bob"); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("bob reads alice's session: %v, want not found", err)
	}
	if _, err := q.RunInSession(ctx, s.ID, "bob", sandpit.Spec{Code: "x"}); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("bob runs in alice's session: %v, want not found", err)
	}

	closed, err := q.CloseSession(ctx, s.ID, "alice")
	if err != nil || closed.Status != sandpit.SessionClosed || holder.took(KindCloseSession, s.ID) != 1 {
		t.Fatalf("CloseSession: %+v, %v", closed, err)
	}
	if _, err := q.RunInSession(ctx, s.ID, "alice", sandpit.Spec{Code: "x"}); code(err) != sandpit.ECONFLICT {
		t.Errorf("run in a closed session: %v, want conflict", err)
	}

	// A setup that fails ends the session and does not count against the
	// limit.
	if _, err := q.CreateSession(ctx, sandpit.SessionSpec{Packages: []string{"nosuch"}}, "alice"); code(err) != sandpit.EINVALID {
		t.Fatalf("session whose setup fails: %v, want invalid", err)
	}
	if _, err := q.CreateSession(ctx, sandpit.SessionSpec{}, "alice"); err != nil {
		t.Fatalf("session after a closed and a failed one: %v", err)
	}
	// Nothing of a session stays in Redis for good.
	for _, key := range []string{q.keys.session(s.ID), q.keys.ownerSessions("alice")} {
		if ttl := rdb.TTL(ctx, key).Val(); ttl <= 0 {
			t.Errorf("%s has no expiry (TTL %v)", key, ttl)
		}
	}
}

func TestIdleSessionExpires(t *testing.T) {
	q, _ := newQueue(t, Options{SessionTTL: time.Second})
	w := &sessionWorker{}
	work(t, q, w, WorkerOptions{})
	ctx := context.Background()
	s, err := q.CreateSession(ctx, sandpit.SessionSpec{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if !s.ExpiresAt.Equal(s.LastUsedAt.Add(time.Second)) {
		t.Errorf("expires_at %v, want last use %v + 1s", s.ExpiresAt, s.LastUsedAt)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, err = q.GetSession(ctx, s.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if s.Status == sandpit.SessionExpired {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %s 10s after its last use, want expired", s.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if w.took(KindCloseSession, s.ID) != 1 {
		t.Error("the worker did not free the expired session's interpreter")
	}
}
