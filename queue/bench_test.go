package queue

import (
	"context"
	"testing"

	"github.com/sandpit-dev/sandpit"
)

// BenchmarkRoundTrip measures the queue's own overhead on a job: enqueue, a
// worker's blocking read, the start and finish scripts, the announcement,
// and the waiter's wake-up and read, with a handler that does nothing.
func BenchmarkRoundTrip(b *testing.B) {
	q, _ := newQueue(b, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		q.Work(ctx, HandlerFunc(func(ctx context.Context, t Task) (sandpit.Result, error) { return ok(""), nil }), WorkerOptions{})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	for b.Loop() {
		j, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "")
		if err != nil {
			b.Fatal(err)
		}
		if j, err = q.Wait(ctx, j.ID, ""); err != nil || j.Status != sandpit.StatusSucceeded {
			b.Fatalf("wait: %+v %v", j, err)
		}
	}
}

// BenchmarkEnqueue measures accepting one job.
func BenchmarkEnqueue(b *testing.B) {
	q, _ := newQueue(b, Options{MaxDepth: 1 << 30})
	for b.Loop() {
		if _, err := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "print(1)"}, ""); err != nil {
			b.Fatal(err)
		}
	}
}
