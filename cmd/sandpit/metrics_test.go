package main

import (
	"context"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// The API's metrics: with keys, only key holders read them on --addr;
// with --metrics-addr, they are served there without a key, and no longer
// on --addr.
func TestAPIMetrics(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	const key = "metrics-key-0123456789"
	get := func(url, key string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	api := func(args ...string) string {
		addr := freeAddr(t)
		p := &proc{cmd: exec.Command(binary, append([]string{"api", "--addr", addr, "--redis-url", rs.URL()}, args...)...),
			out: &testenv.Buffer{}, done: make(chan struct{})}
		p.cmd.Env = append(p.cmd.Environ(), "SANDPIT_API_KEYS="+key)
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { p.cmd.Wait(); close(p.done) }()
		t.Cleanup(func() { p.cmd.Process.Kill(); <-p.done })
		waitHealthy(t, "http://"+addr, p)
		return "http://" + addr
	}

	base := api()
	if status, _ := get(base+"/metrics", ""); status != 401 {
		t.Errorf("/metrics without a key = %d, want 401", status)
	}
	if status, body := get(base+"/metrics", key); status != 200 || !strings.Contains(body, "sandpit_queue_depth") || !strings.Contains(body, "sandpit_redis_up 1") {
		t.Errorf("/metrics with a key = %d %.100q, want the metrics", status, body)
	}

	metricsAddr := freeAddr(t)
	base = api("--metrics-addr", metricsAddr)
	testenv.Eventually(t, 10*time.Second, func() bool {
		_, err := http.Get("http://" + metricsAddr + "/metrics")
		return err == nil
	}, "nothing listens on --metrics-addr")
	// The first API exports the queue's state for both.
	if status, body := get("http://"+metricsAddr+"/metrics", ""); status != 200 || !strings.Contains(body, "sandpit_redis_up 1") ||
		!strings.Contains(body, "sandpit_queue_exporter 0") || strings.Contains(body, "sandpit_queue_depth") {
		t.Errorf("/metrics on --metrics-addr = %d %.100q, want the metrics", status, body)
	}
	if status, _ := get(base+"/metrics", key); status != 404 {
		t.Errorf("/metrics on --addr beside --metrics-addr = %d, want 404", status)
	}
}
