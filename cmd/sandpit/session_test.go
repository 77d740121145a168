package main

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// sessionDeployment is a redis-server, an api and workers that share the
// session flags.
func sessionDeployment(t *testing.T, workers int, flags ...string) *deployment {
	t.Helper()
	return deployWith(t, workers, append([]string{"--max-sessions", "3"}, flags...), flags)
}

func errorCode(err error) string {
	if e, ok := errors.AsType[*sandpit.Error](err); ok {
		return e.Code
	}
	return ""
}

func TestSessions(t *testing.T) {
	// The first session must stay open through the subtests before the
	// last, which count it against the per-key limit; opening a session
	// boots a host, which on a loaded 2-core machine has taken over ten
	// seconds.
	d := sessionDeployment(t, 2, "--session-ttl", "30s", "--max-sessions-per-key", "2")
	c, ctx := d.client, context.Background()

	a, err := c.CreateSession(ctx, sandpit.SessionSpec{Files: []sandpit.File{{Path: "data.txt", Content: "41"}}})
	if err != nil || a.Status != sandpit.SessionOpen {
		t.Fatalf("CreateSession: %+v, %v", a, err)
	}
	if job, err := c.RunInSession(ctx, a.ID, sandpit.Spec{Code: "x = int(open('data.txt').read())"}); err != nil || job.Status != sandpit.StatusSucceeded {
		t.Fatalf("first run: %+v, %v", job, err)
	}
	job, err := c.RunInSession(ctx, a.ID, sandpit.Spec{Code: "print(x + 1)"})
	if err != nil || job.Stdout != "42\n" {
		t.Fatalf("second run: %+v, %v; want the state of the first", job, err)
	}
	got, err := c.GetSession(ctx, a.ID)
	if err != nil || got.Runs != 2 || got.Status != sandpit.SessionOpen || !got.ExpiresAt.After(got.LastUsedAt) {
		t.Fatalf("GetSession: %+v, %v", got, err)
	}

	t.Run("per-key limit", func(t *testing.T) {
		b, err := c.CreateSession(ctx, sandpit.SessionSpec{})
		if err != nil {
			t.Fatal(err)
		}
		// Without retries: the client would wait out the Retry-After, the
		// time until the least recently used session expires idle, and
		// open the session then.
		once, _ := client.New(d.base, client.WithRetry(client.RetryPolicy{MaxAttempts: 1}))
		_, err = once.CreateSession(ctx, sandpit.SessionSpec{})
		if e, ok := errors.AsType[*client.Error](err); errorCode(err) != sandpit.ERATELIMITED || !ok || e.RetryAfter <= 0 {
			t.Fatalf("third session: %v, want rate_limited with a Retry-After", err)
		}
		if s, err := c.CloseSession(ctx, b.ID); err != nil || s.Status != sandpit.SessionClosed {
			t.Fatalf("CloseSession: %+v, %v", s, err)
		}
		if _, err := c.RunInSession(ctx, b.ID, sandpit.Spec{Code: "pass"}); errorCode(err) != sandpit.ECONFLICT || !strings.Contains(err.Error(), "closed") {
			t.Fatalf("run in a closed session: %v, want conflict saying it is closed", err)
		}
	})

	t.Run("sessions are isolated", func(t *testing.T) {
		b, err := c.CreateSession(ctx, sandpit.SessionSpec{})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseSession(ctx, b.ID)
		job, err := c.RunInSession(ctx, b.ID, sandpit.Spec{Code: "import os\nprint(os.path.exists('data.txt'))\nx"})
		if err != nil || job.Stdout != "False\n" || job.Error == nil || job.Error.Type != "NameError" {
			t.Fatalf("run in another session: %+v, %v", job, err)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		if _, err := c.RunInSession(ctx, a.ID, sandpit.Spec{Code: "pass", MemoryMB: 128}); errorCode(err) != sandpit.EINVALID {
			t.Errorf("memory_mb in a run: %v, want invalid", err)
		}
		if _, err := c.RunInSession(ctx, strings.Repeat("0", 32), sandpit.Spec{Code: "pass"}); errorCode(err) != sandpit.ENOTFOUND {
			t.Errorf("unknown session: %v, want not_found", err)
		}
		if _, err := c.CreateSession(ctx, sandpit.SessionSpec{Packages: []string{"nosuch"}}); errorCode(err) != sandpit.EINVALID || !strings.Contains(err.Error(), "nosuch") {
			t.Errorf("unknown package: %v, want invalid naming it", err)
		}
	})

	t.Run("idle sessions expire", func(t *testing.T) {
		testenv.Eventually(t, 60*time.Second, func() bool {
			s, err := c.GetSession(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			return s.Status == sandpit.SessionExpired
		}, "session not expired 60s after its last use")
		if _, err := c.RunInSession(ctx, a.ID, sandpit.Spec{Code: "pass"}); errorCode(err) != sandpit.ECONFLICT || !strings.Contains(err.Error(), "expired") {
			t.Fatalf("run in an expired session: %v", err)
		}
	})
}

// TestSessionEndsWithItsWorker kills the worker holding a session while a
// run is in flight: the run and the session end as error, saying the state
// is lost, and other sessions go on.
func TestSessionEndsWithItsWorker(t *testing.T) {
	d := sessionDeployment(t, 2)
	c, ctx := d.client, context.Background()
	s, err := c.CreateSession(ctx, sandpit.SessionSpec{})
	if err != nil {
		t.Fatal(err)
	}
	// The workers' logs reach the test through pipes, a moment later.
	var holder *proc
	testenv.Eventually(t, 10*time.Second, func() bool {
		for _, w := range d.workers {
			if strings.Contains(w.out.String(), `"session opened","session":"`+s.ID) {
				holder = w
			}
		}
		return holder != nil
	}, "no worker logged opening the session")
	type answer struct {
		job sandpit.Job
		err error
	}
	running := make(chan answer, 1)
	go func() {
		job, err := c.RunInSession(ctx, s.ID, sandpit.Spec{Code: "while True: pass", TimeoutMS: 60000})
		running <- answer{job, err}
	}()
	time.Sleep(2 * time.Second)
	holder.cmd.Process.Signal(syscall.SIGKILL)

	select {
	case a := <-running:
		if a.err != nil || a.job.Status != sandpit.StatusError || !strings.Contains(a.job.Message, "state is lost") {
			t.Fatalf("run in flight: %+v, %v; want error saying the state is lost", a.job, a.err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("the run in flight did not end within 45s of its worker's death")
	}
	got, err := c.GetSession(ctx, s.ID)
	if err != nil || got.Status != sandpit.SessionError || !strings.Contains(got.Message, "cannot be recovered") {
		t.Fatalf("session after its worker died: %+v, %v", got, err)
	}
	if _, err := c.RunInSession(ctx, s.ID, sandpit.Spec{Code: "pass"}); errorCode(err) != sandpit.ECONFLICT {
		t.Fatalf("run in the lost session: %v, want conflict", err)
	}
	// The surviving worker takes new sessions.
	s2, err := c.CreateSession(ctx, sandpit.SessionSpec{})
	if err != nil {
		t.Fatal(err)
	}
	if job, err := c.RunInSession(ctx, s2.ID, sandpit.Spec{Code: "print(1)"}); err != nil || job.Stdout != "1\n" {
		t.Fatalf("run in a new session: %+v, %v", job, err)
	}
}
