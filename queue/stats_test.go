package queue

import (
	"context"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// TestStats reads the queue's state with a live worker, an open batch and
// a live page: the script asks for the worker's session set and the
// batch's hash, which it finds in the data, and counts them.
func TestStats(t *testing.T) {
	q, _ := newQueue(t, Options{})
	ctx := context.Background()
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		<-ctx.Done()
		return sandpit.Result{}, ctx.Err()
	}), WorkerOptions{Concurrency: 1, Grace: 10 * time.Millisecond})
	id, err := q.CreateBatch(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := q.AddItem(ctx, "alice", id, i, sandpit.Item{Spec: sandpit.Spec{Code: "1"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.CreatePage(ctx, sandpit.Spec{Code: "1"}, "alice"); err != nil {
		t.Fatal(err)
	}
	var s Stats
	testenv.Eventually(t, 10*time.Second, func() bool {
		s, err = q.Stats(ctx)
		return err == nil && s.Workers == 1 && s.BatchPending == 1
	}, "stats %+v, %v: want one worker holding one item", s, err)
	if s.BatchesOpen != 1 || s.BatchItemsOpen != 2 || s.PagesLive != 1 || s.SessionsOpen != 0 || s.Depth != 0 {
		t.Errorf("stats %+v: want one open batch of two items, one live page, no session, no interactive job", s)
	}
}

// TestClaimExporter gives the exporter's role to one process at a time:
// the holder keeps it by claiming again, another gets it once the holder
// stops claiming for the role's time.
func TestClaimExporter(t *testing.T) {
	q, _ := newQueue(t, Options{})
	ctx := context.Background()
	const ttl = 300 * time.Millisecond
	for _, c := range []struct {
		id   string
		want bool
	}{{"a", true}, {"b", false}, {"a", true}, {"b", false}} {
		if got, err := q.ClaimExporter(ctx, c.id, ttl); err != nil || got != c.want {
			t.Fatalf("ClaimExporter(%s) = %v, %v; want %v", c.id, got, err, c.want)
		}
	}
	testenv.Eventually(t, 5*time.Second, func() bool {
		got, err := q.ClaimExporter(ctx, "b", ttl)
		return err == nil && got
	}, "b never took the role over from a, which stopped claiming it")
	if got, _ := q.ClaimExporter(ctx, "a", ttl); got {
		t.Error("a took the role back from b, which holds it")
	}
}
