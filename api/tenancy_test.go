package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/mcpserver"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/service"
)

// What a key makes (a job, its files, a batch, a session) is its own: to
// any other key it does not exist, over HTTP and MCP alike, whatever the
// other key does with its id.
func TestTenantsSeeOnlyTheirOwn(t *testing.T) {
	const keyA, keyB = "tenant-a-0123456789abcdef", "tenant-b-0123456789abcdef"
	q := queue.New(testenv.Client(t, redisURL), queue.Options{Prefix: "api-tenancy-" + queue.NewWorkerID(), Logger: quiet})
	t.Cleanup(func() { q.Close() })
	svc := service.New(q, service.Config{Logger: quiet})
	srv := httptest.NewServer(New(Config{Jobs: svc, Batches: svc, Sessions: svc, Logger: quiet,
		MCP: mcpserver.Handler(svc, mcpserver.Options{}), Access: Access{Keys: []string{keyA, keyB}}}))
	t.Cleanup(srv.Close)
	e := &env{srv: srv}
	as := func(key string) []string { return []string{"Authorization", "Bearer " + key} }

	// Key A's job and batch, queued (no worker runs them), and a session
	// of A's, recorded as opening.
	_, _, job := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "x"}`, as(keyA)...)
	_, _, batch := e.do(t, "POST", "/v1/batches", "application/x-ndjson", `{"code": "x"}`, as(keyA)...)
	jid, _ := job["id"].(string)
	bid, _ := batch["id"].(string)
	sid, _, err := q.OpenSession(context.Background(), sandpit.KeyID(keyA), sandpit.Spec{Code: "pass"})
	if err != nil || jid == "" || bid == "" {
		t.Fatalf("key A's job %v, batch %v, session %v", job, batch, err)
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/jobs/" + jid},
		{"GET", "/v1/jobs/" + jid + "/files/out.txt"},
		{"GET", "/v1/batches/" + bid},
		{"GET", "/v1/batches/" + bid + "/results"},
		{"GET", "/v1/batches/" + bid + "/events"},
		{"GET", "/v1/sessions/" + sid},
		{"POST", "/v1/sessions/" + sid + "/run"},
		{"DELETE", "/v1/jobs/" + jid},
		{"DELETE", "/v1/batches/" + bid},
		{"DELETE", "/v1/sessions/" + sid},
	} {
		if status, _, m := e.do(t, c.method, c.path, "application/json", `{"code": "x"}`, as(keyB)...); status != 404 || errCode(m) != sandpit.ENOTFOUND {
			t.Errorf("key B: %s %s = %d %v, want 404 not_found", c.method, c.path, status, m)
		}
	}
	for tool, more := range map[string]string{"run_in_session": `, "code": "x"`, "close_session": ""} {
		body := fmt.Sprintf(`{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": %q, "arguments": {"session_id": %q%s}}}`, tool, sid, more)
		status, m := mcpCall(t, e, body, keyB)
		res, _ := json.Marshal(m["result"])
		if status != 200 || !strings.Contains(string(res), `"isError":true`) || !strings.Contains(string(res), "not_found: ") {
			t.Errorf("key B over MCP: %s = %d %s, want a not_found tool error", tool, status, res)
		}
	}
	// Key A still has them all, untouched.
	for _, path := range []string{"/v1/jobs/" + jid, "/v1/batches/" + bid, "/v1/sessions/" + sid} {
		if status, _, m := e.do(t, "GET", path, "", "", as(keyA)...); status != 200 || m["status"] == "cancelled" || m["status"] == "closed" {
			t.Errorf("key A: GET %s = %d %v", path, status, m)
		}
	}
}

// mcpCall posts one JSON-RPC message to /mcp as key and returns the answer's
// status and its message, from a JSON body or the last event of a stream.
func mcpCall(t *testing.T, e *env, body, key string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.srv.URL+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		last := ""
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				last = v
			}
		}
		data = []byte(last)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("POST /mcp: answer %q is not a JSON-RPC message", data)
	}
	return resp.StatusCode, m
}
