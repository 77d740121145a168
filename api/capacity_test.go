package api

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/service"
)

// queueCapacity reads a Capacity from q, as the binary does.
func queueCapacity(q *queue.Queue) func(ctx context.Context) (Capacity, error) {
	return func(ctx context.Context) (Capacity, error) {
		var c Capacity
		var err error
		if c.Workers, c.SandboxesReady, err = q.Capacity(ctx); err != nil {
			return c, err
		}
		if c.QueueDepth, err = q.Depth(ctx); err != nil {
			return c, err
		}
		c.BatchQueueDepth, err = q.BatchDepth(ctx)
		return c, err
	}
}

// TestSandboxesEndpoint checks GET /readyz/sandboxes against a real queue:
// no worker, a worker with free slots, and a worker whose every slot is
// busy, when /readyz stays 200, since jobs are still accepted.
func TestSandboxesEndpoint(t *testing.T) {
	o, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(o)
	q := queue.New(rdb, queue.Options{Prefix: fmt.Sprintf("capacity-%d", time.Now().UnixNano())})
	t.Cleanup(func() { q.Close(); rdb.Close() })
	srv := httptest.NewServer(New(Config{Jobs: service.New(q, service.Config{Logger: quiet}), Logger: quiet, Ready: q.Ping, Capacity: queueCapacity(q)}))
	t.Cleanup(srv.Close)
	e := &env{srv: srv, q: q}

	// wait polls /readyz/sandboxes until it answers status with the reason
	// and the counts, given as name, value pairs; workers publish theirs
	// with each heartbeat.
	wait := func(status int, reason string, counts ...any) map[string]any {
		t.Helper()
		var m map[string]any
		testenv.Eventually(t, 10*time.Second, func() bool {
			var got int
			got, _, m = e.do(t, "GET", "/readyz/sandboxes", "", "")
			r, _ := m["reason"].(string)
			match := got == status && r == reason
			for i := 0; i+1 < len(counts); i += 2 {
				match = match && m[counts[i].(string)] == float64(counts[i+1].(int))
			}
			return match
		}, "/readyz/sandboxes never answered %d %q with %v", status, reason, counts)
		return m
	}
	ready := func() {
		t.Helper()
		if status, _, m := e.do(t, "GET", "/readyz", "", ""); status != 200 || m["status"] != "ready" {
			t.Fatalf("/readyz = %d %v, want 200: jobs are accepted", status, m)
		}
	}

	if m := wait(503, "no worker is running", "workers", 0, "sandboxes_ready", 0); m["status"] != "not ready" {
		t.Errorf("without workers: %v", m)
	}
	ready()
	if _, err := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "block"}, ""); err != nil {
		t.Fatal(err)
	}
	wait(503, "no worker is running", "queue_depth", 1, "batch_queue_depth", 0)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		q.Work(ctx, echoHandler, queue.WorkerOptions{Concurrency: 2, Grace: time.Millisecond})
		close(done)
	}()
	t.Cleanup(func() { cancel(); <-done })
	// One slot runs the blocking job, the other is free.
	if m := wait(200, "", "workers", 1, "sandboxes_ready", 1, "queue_depth", 1); m["status"] != "ready" {
		t.Errorf("a worker with a free slot: %v", m)
	}
	// Peak load: every slot busy. The API still accepts jobs.
	if _, err := q.Enqueue(context.Background(), "", sandpit.Spec{Code: "block"}, ""); err != nil {
		t.Fatal(err)
	}
	wait(503, "no worker has a sandbox ready", "workers", 1, "sandboxes_ready", 0, "queue_depth", 2)
	ready()
	if status, _, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "queued behind"}`); status != 202 {
		t.Errorf("POST /v1/jobs at peak load = %d %v, want 202", status, m)
	}
}

// TestSandboxesWithoutRedis: both endpoints say why when Redis is gone.
func TestSandboxesWithoutRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	q := queue.New(rdb, queue.Options{})
	t.Cleanup(func() { q.Close(); rdb.Close() })
	srv := httptest.NewServer(New(Config{Jobs: service.New(q, service.Config{Logger: quiet}), Logger: quiet, Ready: q.Ping, Capacity: queueCapacity(q)}))
	t.Cleanup(srv.Close)
	e := &env{srv: srv, q: q}
	if status, _, m := e.do(t, "GET", "/readyz", "", ""); status != 503 || !strings.Contains(fmt.Sprint(m["reason"]), "redis") {
		t.Errorf("/readyz without Redis = %d %v", status, m)
	}
	if status, _, m := e.do(t, "GET", "/readyz/sandboxes", "", ""); status != 503 || m["reason"] != "redis is unreachable" {
		t.Errorf("/readyz/sandboxes without Redis = %d %v", status, m)
	}
}
