package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

func openSession(t *testing.T, setup sandpit.Spec) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, res, err := testRunner.OpenSession(ctx, setup)
	if err != nil || s == nil {
		t.Fatalf("OpenSession: %+v, %v", res, err)
	}
	t.Cleanup(s.Close)
	return s
}

func runIn(t *testing.T, s *Session, spec sandpit.Spec) sandpit.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := s.Run(ctx, spec)
	if err != nil {
		t.Fatalf("Run(%q): %v", spec.Code, err)
	}
	return res
}

func TestSessionKeepsState(t *testing.T) {
	s := openSession(t, sandpit.Spec{Code: "pass", Files: []sandpit.File{{Path: "data.txt", Content: "41"}}})
	if res := runIn(t, s, sandpit.Spec{Code: "import json\nx = int(open('data.txt').read())\nopen('out.txt', 'w').write('a')"}); res.Status != sandpit.StatusSucceeded || len(res.Files) != 1 || res.Files[0].Path != "out.txt" {
		t.Fatalf("first run: %+v", res)
	}
	res := runIn(t, s, sandpit.Spec{Code: "print(x + 1, json.dumps([1]))\nopen('more.txt', 'w').write('b')"})
	if res.Stdout != "42 [1]\n" {
		t.Fatalf("second run: stdout %q, error %+v; want the variable and import of the first", res.Stdout, res.Error)
	}
	if len(res.Files) != 1 || res.Files[0].Path != "more.txt" {
		t.Errorf("second run files %+v, want only the file it wrote", res.Files)
	}

	// A timeout interrupts the run; the state stays.
	res = runIn(t, s, sandpit.Spec{Code: "y = 1\nwhile True: pass", TimeoutMS: 500})
	if res.Status != sandpit.StatusTimeout {
		t.Fatalf("looping run: %s, want timeout", res.Status)
	}
	if res := runIn(t, s, sandpit.Spec{Code: "print(x, y)"}); res.Stdout != "41 1\n" {
		t.Fatalf("after the timeout: stdout %q, error %+v; want the state kept", res.Stdout, res.Error)
	}
}

func TestSessionsAreIsolated(t *testing.T) {
	a := openSession(t, sandpit.Spec{Code: "pass"})
	b := openSession(t, sandpit.Spec{Code: "pass"})
	runIn(t, a, sandpit.Spec{Code: "secret = 'a'\nopen('secret.txt', 'w').write('a')"})
	res := runIn(t, b, sandpit.Spec{Code: "import os\nprint('secret' in globals(), os.path.exists('secret.txt'))"})
	if res.Stdout != "False False\n" {
		t.Fatalf("session b sees session a: %q %+v", res.Stdout, res.Error)
	}
	if res := run(t, sandpit.Spec{Code: "import os\nprint(os.path.exists('secret.txt'))"}); res.Stdout != "False\n" {
		t.Fatalf("a job sees a session's file: %q", res.Stdout)
	}
}

func TestSessionLimitAndClose(t *testing.T) {
	var open []*Session
	for range testRunner.cfg.MaxSessions {
		open = append(open, openSession(t, sandpit.Spec{Code: "pass"}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, _, err := testRunner.OpenSession(ctx, sandpit.Spec{Code: "pass"}); !errors.Is(err, ErrTooManySessions) {
		t.Fatalf("OpenSession past the limit: %v, want ErrTooManySessions", err)
	}
	// Jobs still run while sessions hold hosts: the pool builds others.
	if res := run(t, sandpit.Spec{Code: "print(1)"}); res.Stdout != "1\n" {
		t.Fatalf("job beside sessions: %+v", res)
	}
	open[0].Close()
	if _, err := open[0].Run(ctx, sandpit.Spec{Code: "pass"}); !errors.Is(err, ErrSessionClosed) {
		t.Fatalf("Run after Close: %v, want ErrSessionClosed", err)
	}
	s, _, err := testRunner.OpenSession(ctx, sandpit.Spec{Code: "pass"})
	if err != nil {
		t.Fatalf("OpenSession after a Close: %v", err)
	}
	s.Close()
}

func TestSessionSetupFailure(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := testRunner.Sessions()
	s, res, err := testRunner.OpenSession(ctx, sandpit.Spec{Code: "pass", Packages: []string{"nosuch"}})
	if err != nil || s != nil || res.Status != sandpit.StatusFailed || res.Error == nil || res.Error.Type != "ModuleNotFoundError" {
		t.Fatalf("OpenSession with an unknown package: %v, %+v, %v", s, res, err)
	}
	if n := testRunner.Sessions(); n != before {
		t.Errorf("sessions %d after a failed setup, want %d", n, before)
	}
}

func TestSessionRunCancelledFreesTheSession(t *testing.T) {
	s := openSession(t, sandpit.Spec{Code: "pass"})
	runIn(t, s, sandpit.Spec{Code: "x = 1"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := s.Run(ctx, sandpit.Spec{Code: "while True: pass", TimeoutMS: 60000}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cancelled run: %v, want its context's error", err)
	}
	if res := runIn(t, s, sandpit.Spec{Code: "print(x)"}); res.Stdout != "1\n" {
		t.Fatalf("run after a cancelled one: %+v; want the session's state", res)
	}
}
