package queue

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// newQueue returns a queue with its own key prefix on the test's Redis
// (backends_test.go).
func newQueue(t testing.TB, opts Options) (*Queue, redis.UniversalClient) {
	t.Helper()
	rdb := testClient(t)
	if opts.Prefix == "" {
		opts.Prefix = "test-" + newID()[:8]
	}
	q := New(rdb, opts)
	t.Cleanup(func() { q.Close() })
	return q, rdb
}

// work runs a worker until the test ends.
func work(t *testing.T, q *Queue, h Handler, opts WorkerOptions) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { q.Work(ctx, h, opts); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func ok(stdout string) sandpit.Result {
	zero := 0
	return sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: &zero, Stdout: stdout, Files: []sandpit.File{}}
}

func wait(t *testing.T, q *Queue, id string) sandpit.Job {
	t.Helper()
	return waitAs(t, q, id, "")
}

// waitAs waits for the end of job id of owner.
func waitAs(t *testing.T, q *Queue, id, owner string) sandpit.Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	j, err := q.Wait(ctx, id, owner)
	if err != nil {
		t.Fatalf("wait for job %s: %v", id, err)
	}
	return j
}

func TestEnqueueRunWait(t *testing.T) {
	q, _ := newQueue(t, Options{})
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		return ok("ran " + task.Spec.Code), nil
	}), WorkerOptions{})
	job, err := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "x"}, "")
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != sandpit.StatusQueued || !ValidID(job.ID) {
		t.Fatalf("enqueued job = %+v", job)
	}
	got := wait(t, q, job.ID)
	if got.Status != sandpit.StatusSucceeded || got.Stdout != "ran x" {
		t.Fatalf("job = %+v", got)
	}
	if got.StartedAt == nil || got.FinishedAt == nil || got.DurationMS == nil || got.CreatedAt.IsZero() {
		t.Fatalf("job times not set: %+v", got)
	}
}

func TestTwoWorkersShareOneQueue(t *testing.T) {
	q, _ := newQueue(t, Options{})
	var mu sync.Mutex
	runs := map[string]int{}
	byWorker := map[string]int{}
	handler := func(name string) Handler {
		return HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
			mu.Lock()
			runs[task.ID]++
			byWorker[name]++
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
			return ok(name), nil
		})
	}
	// Two queues, as two processes would have, on one Redis and one prefix.
	q2, _ := newQueue(t, Options{Prefix: q.opts.Prefix})
	work(t, q, handler("a"), WorkerOptions{ID: "a"})
	work(t, q2, handler("b"), WorkerOptions{ID: "b"})
	var ids []string
	for i := range 40 {
		j, err := q.Enqueue(context.Background(), "", sandpit.Spec{Code: fmt.Sprint(i)}, "")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, j.ID)
	}
	for _, id := range ids {
		if j := wait(t, q, id); j.Status != sandpit.StatusSucceeded {
			t.Fatalf("job %s = %s", id, j.Status)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, id := range ids {
		if runs[id] != 1 {
			t.Errorf("job %s ran %d times, want 1", id, runs[id])
		}
	}
	if byWorker["a"] == 0 || byWorker["b"] == 0 {
		t.Errorf("jobs per worker = %v, want both to take some", byWorker)
	}
}

func TestCancel(t *testing.T) {
	q, _ := newQueue(t, Options{})
	ctx := context.Background()

	t.Run("queued", func(t *testing.T) {
		j, _ := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "")
		got, err := q.Cancel(ctx, j.ID, "")
		if err != nil || got.Status != sandpit.StatusCancelled {
			t.Fatalf("Cancel = %+v, %v", got, err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		if _, err := q.Cancel(ctx, newID(), ""); sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
			t.Fatalf("err = %v, want not found", err)
		}
	})
	t.Run("running, then finished", func(t *testing.T) {
		started := make(chan struct{})
		stopped := make(chan time.Time, 1)
		work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
			close(started)
			<-ctx.Done()
			stopped <- time.Now()
			return sandpit.Result{}, ctx.Err()
		}), WorkerOptions{})
		j, _ := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "")
		<-started
		at := time.Now()
		got, err := q.Cancel(ctx, j.ID, "")
		if err != nil || got.Status != sandpit.StatusCancelled {
			t.Fatalf("Cancel = %+v, %v", got, err)
		}
		select {
		case s := <-stopped:
			if d := s.Sub(at); d > time.Second {
				t.Errorf("running job stopped %v after cancel, want under 1s", d)
			}
		case <-time.After(3 * time.Second):
			t.Fatal("running job was not stopped")
		}
		if got := wait(t, q, j.ID); got.Status != sandpit.StatusCancelled {
			t.Fatalf("job = %s, want cancelled", got.Status)
		}
		if _, err := q.Cancel(ctx, j.ID, ""); sandpit.ErrorCode(err) != sandpit.ECONFLICT {
			t.Fatalf("second cancel: err = %v, want conflict", err)
		}
	})
}

func TestQueueFull(t *testing.T) {
	q, _ := newQueue(t, Options{MaxDepth: 2})
	ctx := context.Background()
	for range 2 {
		if _, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, ""); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, ""); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third enqueue: err = %v, want ErrQueueFull", err)
	}
}

func TestRetentionAndNoLeftoverKeys(t *testing.T) {
	q, rdb := newQueue(t, Options{Retention: time.Hour})
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) { return ok(""), nil }), WorkerOptions{})
	j, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "x"}, "")
	wait(t, q, j.ID)
	ttl := rdb.TTL(context.Background(), q.keys.job(j.ID)).Val()
	if ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("finished job TTL = %v, want about 1h", ttl)
	}
	if n := rdb.XLen(context.Background(), q.keys.stream()).Val(); n != 0 {
		t.Fatalf("stream holds %d entries after the job ended, want 0", n)
	}
}

func TestInfrastructureFailureRetries(t *testing.T) {
	q, _ := newQueue(t, Options{})
	var calls atomic.Int32
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		calls.Add(1)
		if task.Spec.Code == "flaky" && task.Attempt == 1 {
			return sandpit.Result{}, errors.New("browser crashed")
		}
		if task.Spec.Code == "broken" {
			return sandpit.Result{}, errors.New("browser crashed")
		}
		return ok(fmt.Sprint(task.Attempt)), nil
	}), WorkerOptions{MaxAttempts: 3})
	flaky, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "flaky"}, "")
	if j := wait(t, q, flaky.ID); j.Status != sandpit.StatusSucceeded || j.Stdout != "2" {
		t.Fatalf("flaky job = %s %q, want succeeded on attempt 2", j.Status, j.Stdout)
	}
	calls.Store(0)
	broken, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "broken"}, "")
	j := wait(t, q, broken.ID)
	if j.Status != sandpit.StatusError || calls.Load() != 3 {
		t.Fatalf("broken job = %s after %d runs, want error after 3", j.Status, calls.Load())
	}
	if j.Message == "" {
		t.Fatal("broken job has no message saying why")
	}
}

func TestPythonFailureDoesNotRetry(t *testing.T) {
	q, _ := newQueue(t, Options{})
	var calls atomic.Int32
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		calls.Add(1)
		one := 1
		return sandpit.Result{Status: sandpit.StatusFailed, ExitCode: &one, Files: []sandpit.File{}}, nil
	}), WorkerOptions{})
	j, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "raise"}, "")
	if got := wait(t, q, j.ID); got.Status != sandpit.StatusFailed || calls.Load() != 1 {
		t.Fatalf("job = %s after %d runs, want failed after 1", got.Status, calls.Load())
	}
}

func TestLeaseTakeover(t *testing.T) {
	q, rdb := newQueue(t, Options{})
	ctx := context.Background()
	if err := q.ensureGroup(ctx); err != nil {
		t.Fatal(err)
	}
	j, _ := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "")
	// A worker takes the entry and dies without a word.
	if _, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "dead",
		Streams: []string{q.keys.stream(), ">"}, Count: 1}).Result(); err != nil {
		t.Fatal(err)
	}
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) { return ok("taken over"), nil }),
		WorkerOptions{Lease: 400 * time.Millisecond})
	if got := wait(t, q, j.ID); got.Status != sandpit.StatusSucceeded || got.Stdout != "taken over" {
		t.Fatalf("job = %+v", got)
	}
}

func TestGracefulShutdownFinishesJobInFlight(t *testing.T) {
	q, _ := newQueue(t, Options{})
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Work(ctx, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
			close(started)
			time.Sleep(300 * time.Millisecond)
			return ok("finished"), nil
		}), WorkerOptions{Grace: 5 * time.Second})
		close(done)
	}()
	j, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "x"}, "")
	<-started
	cancel()
	<-done
	got, err := q.Get(context.Background(), j.ID, "")
	if err != nil || got.Status != sandpit.StatusSucceeded {
		t.Fatalf("job after shutdown = %+v, %v; want succeeded", got, err)
	}
}

func TestGracefulShutdownHandsBackAfterGrace(t *testing.T) {
	q, _ := newQueue(t, Options{})
	started := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Work(ctx, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
			close(started)
			<-ctx.Done()
			return sandpit.Result{}, ctx.Err()
		}), WorkerOptions{Grace: 200 * time.Millisecond})
		close(done)
	}()
	j, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "x"}, "")
	<-started
	cancel()
	<-done
	got, _ := q.Get(context.Background(), j.ID, "")
	if got.Status != sandpit.StatusQueued {
		t.Fatalf("job after shutdown = %s, want queued again", got.Status)
	}
}

func TestCapacity(t *testing.T) {
	q, _ := newQueue(t, Options{})
	if w, _, err := q.Capacity(context.Background()); err != nil || w != 0 {
		t.Fatalf("Capacity before any worker = %d, %v", w, err)
	}
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) { return ok(""), nil }),
		WorkerOptions{Concurrency: 3, Ready: func() int { return 2 }})
	testenv.Eventually(t, 5*time.Second, func() bool {
		w, ready, err := q.Capacity(context.Background())
		return err == nil && w == 1 && ready == 2
	}, "Capacity: want 1 worker with 2 sandboxes ready")
}

// TestWorkerTakesNoJobBeforeItCanRunOne checks that a starting worker
// whose Ready reports nothing it could start leaves a job in the queue, for
// workers that could run it now, and says it has started only once Ready
// reports one, when it takes the job.
func TestWorkerTakesNoJobBeforeItCanRunOne(t *testing.T) {
	q, _ := newQueue(t, Options{})
	var ready, started atomic.Int32
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) { return ok("ran"), nil }),
		WorkerOptions{Concurrency: 2, Ready: func() int { return int(ready.Load()) }, Started: func() { started.Add(1) }})
	j, err := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "x"}, "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * readyPoll)
	if got, _ := q.Get(context.Background(), j.ID, ""); got.Status != sandpit.StatusQueued || started.Load() != 0 {
		t.Fatalf("a worker with nothing ready took the job: it is %s, started %d times; want queued, not started", got.Status, started.Load())
	}
	ready.Store(1)
	if got := wait(t, q, j.ID); got.Status != sandpit.StatusSucceeded || got.Stdout != "ran" {
		t.Fatalf("once the worker is ready, the job = %+v", got)
	}
	if n := started.Load(); n != 1 {
		t.Fatalf("the worker said it started %d times, want once", n)
	}
}

func TestWorkerLeavesNoConsumerOrRegistration(t *testing.T) {
	q, rdb := newQueue(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Work(ctx, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) { return ok(""), nil }), WorkerOptions{ID: "w1"})
		close(done)
	}()
	j, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "x"}, "")
	wait(t, q, j.ID)
	cancel()
	<-done
	consumers, err := rdb.XInfoConsumers(context.Background(), q.keys.stream(), group).Result()
	if err != nil || len(consumers) != 0 {
		t.Fatalf("consumers after the worker stopped: %v, %v", consumers, err)
	}
	if n := rdb.ZCard(context.Background(), q.keys.workers()).Val(); n != 0 {
		t.Fatalf("%d workers registered after the worker stopped", n)
	}
}

// TestFinishedHook checks that the worker reports each outcome it records,
// once, with the job's wait and run times, and not one it did not record.
func TestFinishedHook(t *testing.T) {
	q, _ := newQueue(t, Options{})
	var mu sync.Mutex
	var got []sandpit.Status
	var ran time.Duration
	release := make(chan struct{})
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		if task.Spec.Code == "slow" {
			<-release
		}
		time.Sleep(30 * time.Millisecond)
		return ok(""), nil
	}), WorkerOptions{Concurrency: 2, Finished: func(s sandpit.Status, waited, r time.Duration) {
		mu.Lock()
		got = append(got, s)
		ran = r
		mu.Unlock()
	}})
	j, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "x"}, "")
	wait(t, q, j.ID)
	slow, _ := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "slow"}, "")
	for {
		if s, _ := q.Get(context.Background(), slow.ID, ""); s.Status == sandpit.StatusRunning {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Cancelled while the handler ignores it: its late result is not recorded.
	q.Cancel(context.Background(), slow.ID, "")
	close(release)
	time.Sleep(200 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0] != sandpit.StatusSucceeded || ran < 30*time.Millisecond {
		t.Fatalf("Finished calls: %v (ran %v); want one succeeded of at least 30ms", got, ran)
	}
}

// TestCancelSeenInTheRecord stops a running job whose cancellation was
// recorded but never announced, as when a worker misses the message during
// a Redis reconnect.
func TestCancelSeenInTheRecord(t *testing.T) {
	q, rdb := newQueue(t, Options{})
	started, stopped := make(chan struct{}), make(chan struct{})
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		close(started)
		<-ctx.Done()
		close(stopped)
		return sandpit.Result{}, ctx.Err()
	}), WorkerOptions{Lease: 300 * time.Millisecond})
	ctx := context.Background()
	j, _ := q.Enqueue(ctx, "", sandpit.Spec{Code: "x"}, "")
	<-started
	rdb.HSet(ctx, q.keys.job(j.ID), "status", string(sandpit.StatusCancelled))
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("a job cancelled in its record was not stopped")
	}
}
