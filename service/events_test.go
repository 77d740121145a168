package service

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
)

// printer is a handler that writes its spec's code, line by line, to the
// job's output, waiting for a signal before each line, as a job printing
// with pauses does.
type printer struct {
	q    *queue.Queue
	step chan struct{}
}

func (p *printer) Handle(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	out := ""
	for _, line := range strings.SplitAfter(t.Spec.Code, "\n") {
		if line == "" {
			continue
		}
		select {
		case <-p.step:
		case <-ctx.Done():
			return sandpit.Result{}, ctx.Err()
		}
		if err := p.q.AppendOutput(ctx, t.ID, sandpit.EventStdout, line); err != nil {
			return sandpit.Result{}, err
		}
		out += line
	}
	return sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: new(int), Stdout: out, Files: []sandpit.File{}}, nil
}

func TestEventsAsTheyHappen(t *testing.T) {
	defer func(d time.Duration) { quietEvery = d }(quietEvery)
	quietEvery = 200 * time.Millisecond
	q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: "events-" + queue.NewWorkerID(), Logger: quiet})
	p := &printer{q: q, step: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Work(ctx, p, queue.WorkerOptions{}); close(done) }()
	t.Cleanup(func() { cancel(); <-done; q.Close() })
	s := New(q, Config{Logger: quiet})

	job, err := s.Submit(as("a"), sandpit.Spec{Code: "one\ntwo\nthree\n"})
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan sandpit.Event, 100)
	go func() {
		defer close(events)
		for ev, err := range s.Events(as("a"), job.ID, "") {
			if err != nil {
				t.Errorf("events: %v", err)
				return
			}
			events <- ev
		}
	}()
	next := func(want sandpit.EventType) sandpit.Event {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("the events ended before a %s event", want)
				}
				if ev.Type == sandpit.EventQuiet || ev.Type == sandpit.EventStatus && want != sandpit.EventStatus {
					continue
				}
				if ev.Type != want {
					t.Fatalf("event %+v, want %s", ev, want)
				}
				return ev
			case <-deadline:
				t.Fatalf("no %s event", want)
			}
		}
	}
	if ev := next(sandpit.EventStatus); ev.Data != string(sandpit.StatusQueued) && ev.Data != string(sandpit.StatusRunning) {
		t.Errorf("first status %q", ev.Data)
	}
	// Each line is seen before the job writes the next.
	var firstID string
	for i, line := range []string{"one\n", "two\n", "three\n"} {
		p.step <- struct{}{}
		ev := next(sandpit.EventStdout)
		if ev.Data != line || ev.ID == "" {
			t.Fatalf("line %d: %+v, want %q", i, ev, line)
		}
		if i == 0 {
			firstID = ev.ID
		}
	}
	end := next(sandpit.EventDone)
	if end.Job == nil || end.Job.Status != sandpit.StatusSucceeded || end.Job.Stdout != "one\ntwo\nthree\n" {
		t.Fatalf("done: %+v", end.Job)
	}

	// A reader that comes back after the first line misses nothing after
	// it, and one that comes after the end gets the rest at once.
	var got []string
	for ev, err := range s.Events(as("a"), job.ID, firstID) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(ev.Type)+":"+ev.Data)
	}
	if want := []string{"stdout:two\n", "stdout:three\n", "done:succeeded"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("resumed events %q, want %q", got, want)
	}

	// Another caller has no such job; a malformed position is refused.
	for _, err := range s.Events(as("b"), job.ID, "") {
		if sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
			t.Errorf("another caller's events: %v, want not found", err)
		}
	}
	for _, err := range s.Events(as("a"), job.ID, "0-0'; DROP") {
		if sandpit.ErrorCode(err) != sandpit.EINVALID {
			t.Errorf("bad Last-Event-ID: %v, want invalid", err)
		}
	}
}

// Nobody reads: the job runs to its end all the same, and its events are
// there for a reader who comes later.
func TestEventsNeedNoReader(t *testing.T) {
	s, q := newService(t, sandpit.Limits{})
	job, err := s.Run(as("a"), sandpit.Spec{Code: "x"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ev, err := range s.Events(as("a"), job.ID, "") {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if ev.Type == sandpit.EventDone && (ev.Job == nil || ev.Job.ID != job.ID) {
			t.Errorf("done event %+v", ev)
		}
	}
	if n < 2 {
		t.Errorf("%d events of a finished job, want its status and its end", n)
	}
	_ = q
}
