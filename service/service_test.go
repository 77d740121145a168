package service

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
)

var redisURL string

func TestMain(m *testing.M) { os.Exit(testenv.RunWithRedis(m, &redisURL)) }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newService returns the services on a queue of their own, with a worker
// that runs each job by echoing the spec it was given, as stored.
func newService(t *testing.T, l sandpit.Limits) (*Service, *queue.Queue) {
	t.Helper()
	q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: "service-" + queue.NewWorkerID(), Logger: quiet})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Work(ctx, queue.HandlerFunc(func(ctx context.Context, task queue.Task) (sandpit.Result, error) {
			spec, _ := json.Marshal(task.Spec)
			return sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: new(int), Stdout: string(spec),
				Files: []sandpit.File{}}, nil
		}), queue.WorkerOptions{})
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done; q.Close() })
	return New(q, Config{Limits: l, Logger: quiet}), q
}

// as is the context of a request of caller id.
func as(id string) context.Context {
	return sandpit.WithCaller(context.Background(), sandpit.Caller{ID: id})
}

// The stored spec carries the limits the job runs under, whoever runs it.
func TestLimitsResolvedAtAdmission(t *testing.T) {
	s, _ := newService(t, sandpit.Limits{DefaultTimeout: 7 * time.Second, DefaultMemoryMB: 256})
	for _, tc := range []struct {
		name           string
		spec           sandpit.Spec
		timeout, memMB int
	}{
		{"defaults", sandpit.Spec{Code: "x"}, 7000, 256},
		{"given", sandpit.Spec{Code: "x", TimeoutMS: 1500, MemoryMB: 128}, 1500, 128},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job, err := s.Run(as("a"), tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			var ran sandpit.Spec
			if err := json.Unmarshal([]byte(job.Stdout), &ran); err != nil {
				t.Fatal(err)
			}
			if ran.TimeoutMS != tc.timeout || ran.MemoryMB != tc.memMB {
				t.Errorf("worker got timeout_ms %d, memory_mb %d; want %d, %d", ran.TimeoutMS, ran.MemoryMB, tc.timeout, tc.memMB)
			}
		})
	}
}

func TestSpecsAreValidated(t *testing.T) {
	s, _ := newService(t, sandpit.Limits{})
	for name, call := range map[string]func() error{
		"run":     func() error { _, err := s.Run(as("a"), sandpit.Spec{Code: "x", TimeoutMS: -1}); return err },
		"submit":  func() error { _, err := s.Submit(as("a"), sandpit.Spec{Code: ""}); return err },
		"page":    func() error { _, err := s.CreatePage(as("a"), sandpit.Spec{Code: "x", MemoryMB: 1}); return err },
		"session": func() error { _, err := s.CreateSession(as("a"), sandpit.SessionSpec{MemoryMB: 1}); return err },
		"run in session with memory": func() error {
			_, err := s.RunInSession(as("a"), "00000000000000000000000000000000", sandpit.Spec{Code: "x", MemoryMB: 128})
			return err
		},
	} {
		if err := call(); sandpit.ErrorCode(err) != sandpit.EINVALID {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

// Jobs and batches belong to the caller that made them: for any other
// caller they do not exist.
func TestOwnership(t *testing.T) {
	s, _ := newService(t, sandpit.Limits{})
	job, err := s.Run(as("alice"), sandpit.Spec{Code: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(as("bob"), job.ID); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
		t.Errorf("bob gets alice's job: %v", err)
	}
	if _, err := s.Wait(as("bob"), job.ID); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
		t.Errorf("bob waits for alice's job: %v", err)
	}
	if _, err := s.Get(as("alice"), job.ID); err != nil {
		t.Errorf("alice gets her job: %v", err)
	}
	queued, err := s.Submit(as("alice"), sandpit.Spec{Code: "x", TimeoutMS: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Cancel(as("bob"), queued.ID); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
		t.Errorf("bob cancels alice's job: %v", err)
	}

	b, err := s.SubmitBatch(as("alice"), items(sandpit.Item{ID: "one", Spec: sandpit.Spec{Code: "x"}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetBatch(as("bob"), b.ID); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
		t.Errorf("bob gets alice's batch: %v", err)
	}
	if _, err := s.CancelBatch(as("bob"), b.ID); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
		t.Errorf("bob cancels alice's batch: %v", err)
	}
	if _, _, err := s.WatchBatch(as("bob"), b.ID); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
		t.Errorf("bob watches alice's batch: %v", err)
	}
	for _, err := range s.BatchResults(as("bob"), b.ID, 0) {
		if sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
			t.Errorf("bob reads alice's batch results: %v", err)
		}
	}
	n := 0
	for job, err := range s.BatchResults(as("alice"), b.ID, 0) {
		if err != nil || job.ItemID != "one" || job.Status != sandpit.StatusSucceeded {
			t.Errorf("alice's batch result: %+v, %v", job, err)
		}
		n++
	}
	if n != 1 {
		t.Errorf("alice read %d results, want 1", n)
	}
}

// An idempotency key is the caller's own: the same key from another caller
// makes another job.
func TestIdempotencyKeyPerCaller(t *testing.T) {
	s, _ := newService(t, sandpit.Limits{})
	submit := func(caller string) sandpit.Job {
		job, err := s.Submit(sandpit.WithIdempotencyKey(as(caller), "k-1"), sandpit.Spec{Code: "x"})
		if err != nil {
			t.Fatal(err)
		}
		return job
	}
	first, again, other := submit("alice"), submit("alice"), submit("bob")
	if first.ID != again.ID {
		t.Errorf("alice's repeated key made jobs %s and %s", first.ID, again.ID)
	}
	if first.ID == other.ID {
		t.Error("bob's submission with alice's key gave alice's job")
	}
}

func items(its ...sandpit.Item) func(func(sandpit.Item, error) bool) {
	return func(yield func(sandpit.Item, error) bool) {
		for _, it := range its {
			if !yield(it, nil) {
				return
			}
		}
	}
}

// A caller over its rate is refused with a time to retry; another caller
// is not slowed.
func TestRateLimitPerCaller(t *testing.T) {
	q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: "service-" + queue.NewWorkerID(), Logger: quiet})
	defer q.Close()
	s := New(q, Config{Access: Access{Rate: 1, Burst: 2}, Logger: quiet})
	for i := range 2 {
		if _, err := s.Submit(as("a"), sandpit.Spec{Code: "x"}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := s.Submit(as("a"), sandpit.Spec{Code: "x"})
	var limit *LimitError
	if sandpit.ErrorCode(err) != sandpit.ERATELIMITED || !errors.As(err, &limit) || limit.RetryAfter() < time.Second {
		t.Fatalf("third call: %v, want rate_limited with a time to retry", err)
	}
	if _, err := s.Get(as("a"), "00000000000000000000000000000000"); sandpit.ErrorCode(err) != sandpit.ERATELIMITED {
		t.Errorf("a read over the rate: %v, want rate_limited", err)
	}
	if _, err := s.Submit(as("b"), sandpit.Spec{Code: "x"}); err != nil {
		t.Errorf("another caller is limited too: %v", err)
	}
}

// A waiting run holds one of its caller's calls in flight until it ends.
func TestConcurrencyLimitPerCaller(t *testing.T) {
	q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: "service-" + queue.NewWorkerID(), Logger: quiet})
	defer q.Close()
	s := New(q, Config{Access: Access{Concurrency: 1}, Logger: quiet})
	// No worker runs, so a run waits.
	ctx, cancel := context.WithCancel(as("k"))
	waiting := make(chan error, 1)
	go func() { _, err := s.Run(ctx, sandpit.Spec{Code: "x"}); waiting <- err }()
	testenv.Eventually(t, 5*time.Second, func() bool { n, _ := q.Depth(context.Background()); return n == 1 },
		"the waiting run was not queued")
	_, err := s.Submit(as("k"), sandpit.Spec{Code: "x"})
	if sandpit.ErrorCode(err) != sandpit.ERATELIMITED || !strings.Contains(err.Error(), "1 requests in flight") {
		t.Fatalf("second call while one waits: %v, want rate_limited", err)
	}
	if _, err := s.Submit(as("other"), sandpit.Spec{Code: "x"}); err != nil {
		t.Errorf("another caller while k is at its limit: %v", err)
	}
	cancel()
	<-waiting
	if _, err := s.Submit(as("k"), sandpit.Spec{Code: "x"}); err != nil {
		t.Errorf("after the waiting run ended: %v", err)
	}
}
