package queue

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

func TestBatch(t *testing.T) {
	q, _ := newQueue(t, Options{})
	ctx := context.Background()
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		r := ok(task.Spec.Code)
		if task.Spec.Test != "" {
			p := task.Spec.Test == "pass"
			r.Passed = &p
		}
		return r, nil
	}), WorkerOptions{Concurrency: 2})
	id, err := q.CreateBatch(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	tests := []string{"pass", "fail", "pass", "", "pass"}
	for i, test := range tests {
		if err := q.AddItem(ctx, "", id, i, sandpit.Item{ID: fmt.Sprintf("item-%d", i), Spec: sandpit.Spec{Code: fmt.Sprint(i), Test: test}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.CompleteBatch(ctx, id); err != nil {
		t.Fatal(err)
	}
	ch, stop := q.WatchBatch(ctx, id)
	defer stop()
	deadline := time.After(20 * time.Second)
	var b sandpit.Batch
	for {
		if b, err = q.GetBatch(ctx, id, ""); err != nil {
			t.Fatal(err)
		}
		if b.Finished {
			break
		}
		select {
		case <-ch:
		case <-time.After(time.Second):
		case <-deadline:
			t.Fatalf("batch not finished: %+v", b)
		}
	}
	if b.Total != 5 || b.Done != 5 || b.Pending != 0 || b.Counts[sandpit.StatusSucceeded] != 5 || b.Passed != 3 || b.Failed != 1 || b.DurationMS == nil {
		t.Fatalf("batch = %+v", b)
	}
	ids, err := q.Items(ctx, id, 0, 10)
	if err != nil || len(ids) != 5 {
		t.Fatalf("items = %v, %v", ids, err)
	}
	for i, jid := range ids {
		j, _ := q.Get(ctx, jid, "")
		if j.Index == nil || *j.Index != i || j.ItemID != fmt.Sprintf("item-%d", i) || j.Stdout != fmt.Sprint(i) || j.BatchID != id {
			t.Fatalf("item %d = %+v", i, j)
		}
	}
}

func TestCancelBatch(t *testing.T) {
	q, _ := newQueue(t, Options{})
	ctx := context.Background()
	id, _ := q.CreateBatch(ctx, "")
	for i := range 3 {
		q.AddItem(ctx, "", id, i, sandpit.Item{Spec: sandpit.Spec{Code: "x", Test: "t"}})
	}
	q.CompleteBatch(ctx, id)
	n, err := q.CancelBatch(ctx, id, "")
	if err != nil || n != 3 {
		t.Fatalf("CancelBatch = %d, %v", n, err)
	}
	b, _ := q.GetBatch(ctx, id, "")
	if !b.Finished || b.Counts[sandpit.StatusCancelled] != 3 || b.Failed != 3 {
		t.Fatalf("batch after cancel = %+v", b)
	}
}

// TestBatchDoesNotStarveInteractiveJobs queues a large batch, then one
// interactive job: the job runs after at most one more batch item per slot,
// not after the batch.
func TestBatchDoesNotStarveInteractiveJobs(t *testing.T) {
	q, _ := newQueue(t, Options{})
	ctx := context.Background()
	id, _ := q.CreateBatch(ctx, "")
	for i := range 200 {
		q.AddItem(ctx, "", id, i, sandpit.Item{Spec: sandpit.Spec{Code: "batch"}})
	}
	q.CompleteBatch(ctx, id)
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		time.Sleep(20 * time.Millisecond)
		return ok(""), nil
	}), WorkerOptions{Concurrency: 1})
	for {
		if b, _ := q.GetBatch(ctx, id, ""); b.Done >= 5 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	j, _ := q.Enqueue(ctx, "", sandpit.Spec{Code: "interactive"}, "")
	before, _ := q.GetBatch(ctx, id, "")
	wait(t, q, j.ID)
	after, _ := q.GetBatch(ctx, id, "")
	if ran := after.Done - before.Done; ran > 2 {
		t.Fatalf("%d batch items ran before the interactive job, want at most 2", ran)
	}
}
