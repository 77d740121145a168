package api

import (
	"net/http/httptest"
	"testing"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/service"
)

// One key that fills its quotas gets 429 with Retry-After; another key,
// on the same server, still submits. No worker runs, so what is submitted
// stays queued.
func TestOneKeyCannotFillTheQueue(t *testing.T) {
	q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: "api-quota-" + queue.NewWorkerID(),
		MaxQueuedPerOwner: 2, MaxBatchesPerOwner: 1, Logger: quiet})
	t.Cleanup(func() { q.Close() })
	svc := service.New(q, service.Config{Logger: quiet})
	srv := httptest.NewServer(New(Config{Jobs: svc, Batches: svc, Logger: quiet,
		Access: Access{Keys: []string{"key-a-0123456789abcdef", "key-b-0123456789abcdef"}}}))
	t.Cleanup(srv.Close)
	e := &env{srv: srv}
	const a, b = "Bearer key-a-0123456789abcdef", "Bearer key-b-0123456789abcdef"

	for _, tc := range []struct {
		name, path, ct, body string
		fill                 int
	}{
		{"queued jobs", "/v1/jobs", "application/json", `{"code": "x"}`, 2},
		{"open batches", "/v1/batches", "application/x-ndjson", `{"code": "x"}`, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var first string
			for i := range tc.fill {
				status, _, m := e.do(t, "POST", tc.path, tc.ct, tc.body, "Authorization", a)
				if status != 202 {
					t.Fatalf("key A's submission %d of %d = %d %v", i+1, tc.fill, status, m)
				}
				if i == 0 {
					first, _ = m["id"].(string)
				}
			}
			status, h, m := e.do(t, "POST", tc.path, tc.ct, tc.body, "Authorization", a)
			if status != 429 || errCode(m) != sandpit.ERATELIMITED || h.Get("Retry-After") == "" {
				t.Fatalf("key A past its quota = %d %v, Retry-After %q; want 429 rate_limited with Retry-After",
					status, m, h.Get("Retry-After"))
			}
			if status, _, m := e.do(t, "POST", tc.path, tc.ct, tc.body, "Authorization", b); status != 202 {
				t.Fatalf("key B beside a full key A = %d %v, want 202", status, m)
			}
			// Cancelling what key A queued frees its quota.
			if status, _, m := e.do(t, "DELETE", tc.path+"/"+first, "", "", "Authorization", a); status != 200 {
				t.Fatalf("cancel = %d %v", status, m)
			}
			if status, _, m := e.do(t, "POST", tc.path, tc.ct, tc.body, "Authorization", a); status != 202 {
				t.Fatalf("key A after a cancel = %d %v, want 202", status, m)
			}
		})
	}
}
