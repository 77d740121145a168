package queue

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// ownerLimit checks that err is the refusal of a caller at one of its
// quotas: rate_limited, with a wait, and a message that says which.
func ownerLimit(t *testing.T, err error, says string) {
	t.Helper()
	var limit *OwnerLimitError
	if !errors.As(err, &limit) || sandpit.ErrorCode(err) != sandpit.ERATELIMITED {
		t.Fatalf("err = %v, want a rate_limited OwnerLimitError", err)
	}
	if limit.RetryAfter() <= 0 {
		t.Errorf("RetryAfter = %v, want a wait", limit.RetryAfter())
	}
	if !strings.Contains(sandpit.ErrorMessage(err), says) {
		t.Errorf("message %q does not say %q", sandpit.ErrorMessage(err), says)
	}
}

func usage(t *testing.T, q *Queue, owner string) Usage {
	t.Helper()
	u, err := q.Usage(context.Background(), owner)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Key A fills its quota of queued jobs; key B still submits, and A may
// again once its jobs end, whichever way they end.
func TestQueuedPerOwner(t *testing.T) {
	q, _ := newQueue(t, Options{MaxQueuedPerOwner: 3})
	ctx := context.Background()
	var a []sandpit.Job
	for i := range 3 {
		j, err := q.Enqueue(ctx, "key-a", sandpit.Spec{Code: "x"}, []string{"first", "", ""}[i])
		if err != nil {
			t.Fatal(err)
		}
		a = append(a, j)
	}
	_, err := q.Enqueue(ctx, "key-a", sandpit.Spec{Code: "x"}, "")
	ownerLimit(t, err, "3 jobs waiting or running")
	// A submission retried with its idempotency key still finds its job.
	if j, err := q.Enqueue(ctx, "key-a", sandpit.Spec{Code: "x"}, "first"); err != nil || j.ID != a[0].ID {
		t.Fatalf("retried submission = %v, %v; want job %s", j.ID, err, a[0].ID)
	}
	for _, owner := range []string{"key-b", ""} {
		if _, err := q.Enqueue(ctx, owner, sandpit.Spec{Code: "x"}, ""); err != nil {
			t.Fatalf("owner %q beside a full key-a: %v", owner, err)
		}
	}
	if _, err := q.Cancel(ctx, a[0].ID, "key-a"); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, q, "key-a"); u.Queued != 2 {
		t.Fatalf("queued after a cancel = %d, want 2", u.Queued)
	}
	if _, err := q.Enqueue(ctx, "key-a", sandpit.Spec{Code: "x"}, ""); err != nil {
		t.Fatalf("after a cancel: %v", err)
	}
	// A cancelled job cancelled again, or another key's cancel, counts
	// nothing.
	q.Cancel(ctx, a[0].ID, "key-a")
	q.Cancel(ctx, a[1].ID, "key-b")
	if u := usage(t, q, "key-a"); u.Queued != 3 {
		t.Fatalf("queued = %d, want 3", u.Queued)
	}
}

// The count of queued jobs follows every way a job ends: run, retried
// after an infrastructure failure, failed for good, cancelled while
// running, and stays right with several workers at once.
func TestQueuedCountAcrossRetriesAndCancels(t *testing.T) {
	q, _ := newQueue(t, Options{MaxQueuedPerOwner: 50})
	var mu sync.Mutex
	attempts := map[string]int{}
	h := HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		mu.Lock()
		attempts[task.ID]++
		n := attempts[task.ID]
		mu.Unlock()
		switch task.Spec.Code {
		case "flaky":
			if n == 1 {
				return sandpit.Result{}, errors.New("browser crashed")
			}
		case "broken":
			return sandpit.Result{}, errors.New("browser crashed")
		case "block":
			<-ctx.Done()
			return sandpit.Result{}, ctx.Err()
		}
		return ok("done"), nil
	})
	work(t, q, h, WorkerOptions{ID: "w1", Concurrency: 3, MaxAttempts: 2})
	work(t, q, h, WorkerOptions{ID: "w2", Concurrency: 3, MaxAttempts: 2})
	ctx := context.Background()
	var ids []string
	for _, code := range []string{"ok", "flaky", "broken", "block", "ok", "flaky", "ok", "broken"} {
		j, err := q.Enqueue(ctx, "key-a", sandpit.Spec{Code: code}, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	testenv.Eventually(t, 20*time.Second, func() bool {
		j, _ := q.Get(ctx, ids[3], "key-a")
		return j.Status == sandpit.StatusRunning
	}, "the blocking job never started")
	if _, err := q.Cancel(ctx, ids[3], "key-a"); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		waitAs(t, q, id, "key-a")
	}
	if u := usage(t, q, "key-a"); u.Queued != 0 {
		t.Fatalf("queued after every job ended = %d, want 0", u.Queued)
	}
}

// Key A fills its quota of open batches; key B still opens one, and A may
// again once one of its batches finishes, or its upload is abandoned.
func TestBatchesPerOwner(t *testing.T) {
	q, rdb := newQueue(t, Options{MaxBatchesPerOwner: 2})
	ctx := context.Background()
	var a []string
	for range 2 {
		id, err := q.CreateBatch(ctx, "key-a")
		if err != nil {
			t.Fatal(err)
		}
		a = append(a, id)
	}
	_, err := q.CreateBatch(ctx, "key-a")
	ownerLimit(t, err, "2 batches not yet finished")
	if _, err := q.CreateBatch(ctx, "key-b"); err != nil {
		t.Fatalf("key-b beside a full key-a: %v", err)
	}

	// A batch that finishes (here: all its items cancelled) frees its place.
	if err := q.AddItem(ctx, "key-a", a[0], 0, sandpit.Item{Spec: sandpit.Spec{Code: "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := q.CompleteBatch(ctx, a[0]); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, q, "key-a"); u.Batches != 2 || u.BatchItems != 1 {
		t.Fatalf("usage = %+v, want 2 batches, 1 item", u)
	}
	if _, err := q.CancelBatch(ctx, a[0], "key-a"); err != nil {
		t.Fatal(err)
	}
	if u := usage(t, q, "key-a"); u.Batches != 1 || u.BatchItems != 0 {
		t.Fatalf("usage after the batch finished = %+v, want 1 batch, no item", u)
	}
	b, err := q.CreateBatch(ctx, "key-a")
	if err != nil {
		t.Fatalf("after a batch finished: %v", err)
	}

	// An upload whose API died is kept only uploadLease after its last
	// item: once it expires, it no longer counts.
	if ttl := rdb.TTL(ctx, q.keys.batch(b)).Val(); ttl <= 0 || ttl > uploadLease {
		t.Fatalf("TTL of a batch being uploaded = %v, want up to %v", ttl, uploadLease)
	}
	rdb.Del(ctx, q.keys.batch(b))
	if _, err := q.CreateBatch(ctx, "key-a"); err != nil {
		t.Fatalf("after an abandoned upload expired: %v", err)
	}
	// A completed batch is kept until it finishes.
	if ttl := rdb.TTL(ctx, q.keys.batch(a[0])).Val(); ttl <= time.Hour {
		t.Errorf("TTL of a finished batch = %v, want the retention", ttl)
	}
}

// Key A fills its quota of batch items; key B still adds items, and A
// may again as its items end. A batch's submission that fails midway is
// aborted: its items are cancelled and it stops counting.
func TestBatchItemsPerOwner(t *testing.T) {
	q, _ := newQueue(t, Options{MaxBatchItemsPerOwner: 3})
	ctx := context.Background()
	a1, _ := q.CreateBatch(ctx, "key-a")
	a2, _ := q.CreateBatch(ctx, "key-a")
	bb, _ := q.CreateBatch(ctx, "key-b")
	item := sandpit.Item{Spec: sandpit.Spec{Code: "x"}}
	for i := range 2 {
		if err := q.AddItem(ctx, "key-a", a1, i, item); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.AddItem(ctx, "key-a", a2, 0, item); err != nil {
		t.Fatal(err)
	}
	ownerLimit(t, q.AddItem(ctx, "key-a", a2, 1, item), "3 batch items waiting or running")
	for i := range 3 {
		if err := q.AddItem(ctx, "key-b", bb, i, item); err != nil {
			t.Fatalf("key-b beside a full key-a: %v", err)
		}
	}
	if err := q.AbortBatch(ctx, a2, "key-a"); err != nil {
		t.Fatal(err)
	}
	if b, _ := q.GetBatch(ctx, a2, "key-a"); !b.Finished || b.Counts[sandpit.StatusCancelled] != 1 {
		t.Fatalf("aborted batch = %+v, want finished with its item cancelled", b)
	}
	if u := usage(t, q, "key-a"); u.Batches != 1 || u.BatchItems != 2 {
		t.Fatalf("usage = %+v, want 1 batch of 2 items", u)
	}
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) { return ok(""), nil }), WorkerOptions{})
	testenv.Eventually(t, 20*time.Second, func() bool { return usage(t, q, "key-a").BatchItems == 0 },
		"key-a's items did not end")
	if err := q.AddItem(ctx, "key-a", a1, 2, item); err != nil {
		t.Fatalf("after its items ended: %v", err)
	}
}

// Key A fills its quota of stored bytes (specs, results, pages); key B
// still submits; once A's records expire, so does their count, and
// nothing of the accounting is left behind.
func TestStoredBytesPerOwner(t *testing.T) {
	q, rdb := newQueue(t, Options{MaxStoredBytesPerOwner: 20_000, Retention: time.Second, PageTTL: time.Second})
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		return ok(task.Spec.Code), nil // a result as large as the spec
	}), WorkerOptions{Concurrency: 2})
	ctx := context.Background()
	big := sandpit.Spec{Code: strings.Repeat("x", 4000)}
	var err error
	var ids []string
	for range 10 {
		var j sandpit.Job
		if j, err = q.Enqueue(ctx, "key-a", big, ""); err != nil {
			break
		}
		ids = append(ids, j.ID)
		waitAs(t, q, j.ID, "key-a")
	}
	ownerLimit(t, err, "this API key keeps")
	if len(ids) < 2 || len(ids) > 3 {
		t.Fatalf("%d jobs of 8 KB each stored under a quota of 20 KB, want 2 or 3", len(ids))
	}
	// What is counted is what the job records hold.
	var held int64
	for _, id := range ids {
		held += rdb.HStrLen(ctx, q.keys.job(id), fSpec).Val() + rdb.HStrLen(ctx, q.keys.job(id), fResult).Val()
	}
	if u := usage(t, q, "key-a"); u.StoredBytes != held {
		t.Fatalf("stored bytes = %d, the records hold %d", u.StoredBytes, held)
	}
	// Every way of storing more is refused, but not another key's.
	_, err = q.CreatePage(ctx, big, "key-a")
	ownerLimit(t, err, "this API key keeps")
	batch, _ := q.CreateBatch(ctx, "key-a")
	ownerLimit(t, q.AddItem(ctx, "key-a", batch, 0, sandpit.Item{Spec: big}), "this API key keeps")
	_, _, err = q.OpenSession(ctx, "key-a", big)
	ownerLimit(t, err, "this API key keeps")
	if _, err := q.Enqueue(ctx, "key-b", big, ""); err != nil {
		t.Fatalf("key-b beside a full key-a: %v", err)
	}
	if _, err := q.CreatePage(ctx, big, "key-b"); err != nil {
		t.Fatalf("key-b's page: %v", err)
	}

	// Once the records expire (1s, counted to the end of their bucket),
	// the key may store again.
	testenv.Eventually(t, 10*time.Second, func() bool {
		_, err := q.CreatePage(ctx, sandpit.Spec{Code: "1"}, "key-a")
		return err == nil
	}, "key-a still refused after its records expired")
	testenv.Eventually(t, 10*time.Second, func() bool {
		keys := keysLike(t, rdb, q.keys.owner("*"))
		return len(keys) == 0
	}, "owner accounting left after everything it counted expired")
}

// An owner that is never at rest (a job of its own always waits), with no
// quota of bytes to check, still forgets what has expired as its jobs
// end: its accounting holds the buckets its records span, no more.
func TestStoredBytesForgottenWhileBusy(t *testing.T) {
	q, rdb := newQueue(t, Options{MaxStoredBytesPerOwner: -1, Retention: time.Second, PageTTL: time.Second})
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		if task.Spec.Code == "block" {
			<-ctx.Done()
			return sandpit.Result{}, ctx.Err()
		}
		return ok(""), nil
	}), WorkerOptions{Concurrency: 2})
	ctx := context.Background()
	blocked, err := q.Enqueue(ctx, "key-a", sandpit.Spec{Code: "block"}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer q.Cancel(ctx, blocked.ID, "key-a")
	buckets := func() int {
		fields, _ := rdb.HKeys(ctx, q.keys.owner("key-a")).Result()
		n := 0
		for _, f := range fields {
			if strings.HasPrefix(f, "b:") {
				n++
			}
		}
		return n
	}
	var last sandpit.Job
	n := 0
	for start := time.Now(); time.Since(start) < 3*time.Second; n++ {
		j, err := q.Enqueue(ctx, "key-a", sandpit.Spec{Code: "x"}, "")
		if err != nil {
			t.Fatal(err)
		}
		last = waitAs(t, q, j.ID, "key-a")
	}
	if b := buckets(); b > 3 {
		t.Fatalf("%d buckets of stored bytes after 3s of jobs kept 1s, want at most 3", b)
	}
	held := rdb.HStrLen(ctx, q.keys.job(last.ID), fSpec).Val() + rdb.HStrLen(ctx, q.keys.job(last.ID), fResult).Val()
	if u := usage(t, q, "key-a"); u.StoredBytes <= 0 || u.StoredBytes >= int64(n)*held {
		t.Fatalf("stored bytes = %d after %d jobs of %d bytes: want those of the last seconds only", u.StoredBytes, n, held)
	}
}
