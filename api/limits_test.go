package api

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/mcpserver"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/service"
)

const limitKey = "limits-key-0123456789abcdef"

// replicas are API processes on one queue, each with its own connection
// to Redis and its own services, and the queue as the first one holds it.
type replicas struct {
	q    *queue.Queue
	envs []*env
}

// newReplicas starts n APIs on one queue, with access limits, and a worker
// that runs handler.
func newReplicas(t *testing.T, n int, access service.Access, handler queue.Handler) *replicas {
	t.Helper()
	prefix := "api-limits-" + queue.NewWorkerID()
	r := &replicas{}
	for i := range n {
		q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: prefix, Logger: quiet})
		t.Cleanup(func() { q.Close() })
		svc := service.New(q, service.Config{Access: access, Logger: quiet})
		srv := httptest.NewServer(New(Config{Jobs: svc, Batches: svc, Sessions: svc, Logger: quiet,
			MCP: mcpserver.Handler(svc, mcpserver.Options{}), Access: Access{Keys: []string{limitKey}}}))
		t.Cleanup(srv.Close)
		r.envs = append(r.envs, &env{srv: srv, q: q})
		if i == 0 {
			r.q = q
		}
	}
	if handler != nil {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { r.q.Work(ctx, handler, queue.WorkerOptions{Concurrency: 4}); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	return r
}

// runTool calls run_python over MCP on e and returns its result's text
// and whether it is an error.
func runTool(t *testing.T, e *env, code string) (string, bool) {
	t.Helper()
	body := `{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "run_python", "arguments": {"code": ` +
		strconv.Quote(code) + `}}}`
	status, m := mcpCall(t, e, body, limitKey)
	res, _ := json.Marshal(m["result"])
	if status != 200 {
		t.Fatalf("POST /mcp = %d %s", status, res)
	}
	return string(res), strings.Contains(string(res), `"isError":true`)
}

// wantLimited checks an answer is 429 rate_limited with a Retry-After of
// 1 to most seconds.
func wantLimited(t *testing.T, what string, status int, retryAfter string, m map[string]any, most int) {
	t.Helper()
	n, err := strconv.Atoi(retryAfter)
	if status != 429 || errCode(m) != sandpit.ERATELIMITED || err != nil || n < 1 || n > most {
		t.Errorf("%s = %d %v, Retry-After %q; want 429 rate_limited, retry in 1 to %d s", what, status, m, retryAfter, most)
	}
}

// A key's rate is one budget for all the API processes: at 5 a minute,
// 5 calls pass in all, over HTTP and MCP, whichever process takes them,
// and the 6th is refused by each. An MCP tool call counts once, though it
// submits a job and follows its events.
func TestRateLimitHoldsAcrossReplicas(t *testing.T) {
	r := newReplicas(t, 2, service.Access{Rate: 5.0 / 60, Burst: 5}, echoHandler)
	a, b := r.envs[0], r.envs[1]
	auth := []string{"Authorization", "Bearer " + limitKey}
	for i, e := range []*env{a, b, a} {
		if status, _, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "x"}`, auth...); status != 202 {
			t.Fatalf("submission %d = %d %v", i+1, status, m)
		}
	}
	for i, e := range []*env{b, a} {
		if res, failed := runTool(t, e, "print('hi')"); failed {
			t.Fatalf("MCP run %d: %s", i+1, res)
		}
	}
	for i, e := range []*env{a, b} {
		status, h, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "x"}`, auth...)
		wantLimited(t, "the 6th call on API "+strconv.Itoa(i+1), status, h.Get("Retry-After"), m, 12)
		if res, failed := runTool(t, e, "print('hi')"); !failed || !strings.Contains(res, "rate_limited") {
			t.Errorf("MCP run past the rate on API %d: %s, want a rate_limited tool error", i+1, res)
		}
	}
}

// holder runs jobs whose code is "hold" until the test lets them end,
// and echoes the others.
type holder struct {
	started chan string // ids of the jobs holding
	mu      sync.Mutex
	finish  map[string]chan struct{}
}

func newHolder() *holder {
	return &holder{started: make(chan string, 16), finish: make(map[string]chan struct{})}
}

func (h *holder) Handle(ctx context.Context, task queue.Task) (sandpit.Result, error) {
	if task.Spec.Code != "hold" {
		return echoHandler(ctx, task)
	}
	ch := make(chan struct{})
	h.mu.Lock()
	h.finish[task.ID] = ch
	h.mu.Unlock()
	h.started <- task.ID
	select {
	case <-ch:
		return echoHandler(ctx, queue.Task{Spec: sandpit.Spec{Code: "held"}})
	case <-ctx.Done():
		return sandpit.Result{}, ctx.Err()
	}
}

// end lets job id end.
func (h *holder) end(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	close(h.finish[id])
}

// A key's requests in flight are counted for all the API processes
// together: with 2 allowed, a run waiting on each process refuses any
// other call on either, and a place frees when a run's job ends, whether
// it finishes or is cancelled.
func TestInFlightLimitHoldsAcrossReplicas(t *testing.T) {
	h := newHolder()
	r := newReplicas(t, 2, service.Access{Concurrency: 2}, h)
	a, b := r.envs[0], r.envs[1]
	auth := []string{"Authorization", "Bearer " + limitKey}
	httpRun := make(chan int, 1)
	go func() {
		status, _, _ := a.do(t, "POST", "/v1/run", "application/json", `{"code": "hold"}`, auth...)
		httpRun <- status
	}()
	mcpRun := make(chan string, 1)
	go func() {
		res, _ := runTool(t, b, "hold")
		mcpRun <- res
	}()
	jobs := []string{<-h.started, <-h.started}
	owner := sandpit.KeyID(limitKey)
	testenv.Eventually(t, 10*time.Second, func() bool { n, _ := r.q.InFlight(context.Background(), owner); return n == 2 },
		"the two runs are not both in flight")
	for i, e := range []*env{a, b} {
		status, hd, m := e.do(t, "GET", "/v1/jobs/"+jobs[0], "", "", auth...)
		wantLimited(t, "a third call on API "+strconv.Itoa(i+1), status, hd.Get("Retry-After"), m, 1)
	}
	if res, failed := runTool(t, a, "print('hi')"); !failed || !strings.Contains(res, "requests in flight") {
		t.Errorf("MCP run past the calls in flight: %s, want a rate_limited tool error", res)
	}

	// One job is cancelled (its key is at its limit, so it is cancelled
	// from the queue), the other finishes: each frees its run's place.
	ctx := context.Background()
	if _, err := r.q.Cancel(ctx, jobs[0], owner); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, func() bool { n, _ := r.q.InFlight(ctx, owner); return n == 1 },
		"the cancelled job's run still counts")
	if status, _, m := b.do(t, "GET", "/v1/jobs/"+jobs[0], "", "", auth...); status != 200 || m["status"] != "cancelled" {
		t.Errorf("a call after a cancel = %d %v", status, m)
	}
	h.end(jobs[1])
	testenv.Eventually(t, 10*time.Second, func() bool { n, _ := r.q.InFlight(ctx, owner); return n == 0 },
		"the finished job's run still counts")
	<-httpRun
	<-mcpRun
	if status, _, m := a.do(t, "POST", "/v1/run", "application/json", `{"code": "x"}`, auth...); status != 200 {
		t.Errorf("a run once both ended = %d %v", status, m)
	}
}

// A key at its open sessions gets Retry-After: when its least recently
// used session would expire idle.
func TestSessionLimitSaysWhenToRetry(t *testing.T) {
	r := newReplicas(t, 1, service.Access{}, nil)
	owner := sandpit.KeyID(limitKey)
	for range queue.DefaultMaxSessionsPerOwner {
		if _, _, err := r.q.OpenSession(context.Background(), owner, sandpit.Spec{}); err != nil {
			t.Fatal(err)
		}
	}
	status, h, m := r.envs[0].do(t, "POST", "/v1/sessions", "application/json", `{}`, "Authorization", "Bearer "+limitKey)
	ttl := int(queue.DefaultSessionTTL.Seconds())
	wantLimited(t, "a session past the most open", status, h.Get("Retry-After"), m, ttl)
	if n, _ := strconv.Atoi(h.Get("Retry-After")); n < ttl-60 {
		t.Errorf("Retry-After %d s, want about the session TTL, %d s", n, ttl)
	}
}
