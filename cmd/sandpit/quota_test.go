package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"

	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// The per-key quotas reach the queue from their flags and variables: a
// key past its quota of queued jobs gets 429, another key does not.
func TestQuotaFlags(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	const a, b = "quota-key-a-0123456789", "quota-key-b-0123456789"
	addr := freeAddr(t)
	base := "http://" + addr
	p := &proc{cmd: exec.Command(binary, "api", "--addr", addr, "--redis-url", rs.URL(), "--max-batches-per-key", "1"),
		out: &testenv.Buffer{}, done: make(chan struct{})}
	p.cmd.Env = append(p.cmd.Environ(), "SANDPIT_API_KEYS="+a+","+b, "SANDPIT_MAX_QUEUED_PER_KEY=1")
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
	waitHealthy(t, base, p)

	post := func(key, path, ct, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", ct)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m struct {
			Error struct{ Code string } `json:"error"`
		}
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m.Error.Code
	}
	for _, tc := range []struct{ path, ct, body string }{
		{"/v1/jobs", "application/json", `{"code": "x"}`},
		{"/v1/batches", "application/x-ndjson", `{"code": "x"}`},
	} {
		if status, code := post(a, tc.path, tc.ct, tc.body); status != 202 {
			t.Fatalf("key A's first POST %s = %d %s", tc.path, status, code)
		}
		if status, code := post(a, tc.path, tc.ct, tc.body); status != 429 || code != "rate_limited" {
			t.Fatalf("key A's second POST %s = %d %s, want 429 rate_limited", tc.path, status, code)
		}
		if status, code := post(b, tc.path, tc.ct, tc.body); status != 202 {
			t.Fatalf("key B's POST %s = %d %s, want 202", tc.path, status, code)
		}
	}
}
