package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/redisserver"
)

// getStatus fetches a health endpoint: its status code and its reason.
func getStatus(url string) (int, string, error) {
	resp, err := http.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var body struct{ Reason string }
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Reason, nil
}

// waitStatusOf polls url until it answers code with reason.
func waitStatusOf(t *testing.T, url string, code int, reason string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	var got int
	var why string
	var err error
	for time.Now().Before(deadline) {
		if got, why, err = getStatus(url); err == nil && got == code && why == reason {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s = %d %q (%v) after %v, want %d %q", url, got, why, err, within, code, reason)
}

// childWith returns the child process of pid whose command line contains s.
func childWith(t *testing.T, pid int, s string) int {
	t.Helper()
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p))
		if f[1] == strconv.Itoa(pid) && strings.Contains(string(cmd), s) {
			return p
		}
	}
	t.Fatalf("process %d has no child running %q", pid, s)
	return 0
}

// TestReadiness runs an api and a worker as separate processes and checks
// what an orchestrator's probes see: the API is ready with no worker and at
// peak load, since it accepts jobs then; /readyz/sandboxes says whether a
// sandbox is ready; a worker is ready while its browser runs and it takes
// jobs, and not ready, though alive, while it drains.
func TestReadiness(t *testing.T) {
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	addr := freeAddr(t)
	base := "http://" + addr
	start(t, "api", "--addr", addr, "--redis-url", rs.URL())
	waitStatusOf(t, base+"/readyz", 200, "", time.Minute)
	waitStatusOf(t, base+"/readyz/sandboxes", 503, "no worker is running", 10*time.Second)

	maddr := freeAddr(t)
	mbase := "http://" + maddr
	w := start(t, "worker", "--redis-url", rs.URL(), "--pool-size", "1", "--metrics-addr", maddr, "--shutdown-grace", "30s")
	// Until its first sandbox is ready, the worker takes no job, and says so.
	waitStatusOf(t, mbase+"/readyz", 503, "not taking jobs: starting or draining", time.Minute)
	waitStatusOf(t, mbase+"/readyz", 200, "", 3*time.Minute)
	waitStatusOf(t, mbase+"/healthz", 200, "", time.Second)
	waitStatusOf(t, base+"/readyz/sandboxes", 200, "", time.Minute)

	// Chromium dies: the worker is not ready until it has restarted it.
	browser := childWith(t, w.cmd.Process.Pid, "--remote-debugging-pipe")
	syscall.Kill(-browser, syscall.SIGKILL)
	syscall.Kill(browser, syscall.SIGKILL)
	waitStatusOf(t, mbase+"/readyz", 503, "chromium is not running", 10*time.Second)
	waitStatusOf(t, mbase+"/readyz", 200, "", 2*time.Minute)
	waitStatusOf(t, base+"/readyz/sandboxes", 200, "", time.Minute)

	// Peak load: the worker's one sandbox is busy. The API still accepts
	// jobs, so it stays ready.
	c, _ := client.New(base)
	job, err := c.Submit(context.Background(), sandpit.Spec{Code: "import time\ntime.sleep(4)\nprint('done')", TimeoutMS: 60000})
	if err != nil {
		t.Fatal(err)
	}
	waitStatusOf(t, base+"/readyz/sandboxes", 503, "no worker has a sandbox ready", time.Minute)
	waitStatusOf(t, base+"/readyz", 200, "", time.Second)

	// SIGTERM: the worker drains, alive but not ready, and finishes the job.
	w.cmd.Process.Signal(syscall.SIGTERM)
	waitStatusOf(t, mbase+"/readyz", 503, "not taking jobs: starting or draining", 10*time.Second)
	waitStatusOf(t, mbase+"/healthz", 200, "", time.Second)
	select {
	case <-w.done:
	case <-time.After(time.Minute):
		t.Fatal("the worker did not exit within a minute of SIGTERM")
	}
	if code := w.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("worker exited %d, want 0", code)
	}
	got, err := c.Get(context.Background(), job.ID)
	if err != nil || got.Status != sandpit.StatusSucceeded || got.Stdout != "done\n" {
		t.Fatalf("the job in flight at SIGTERM = %+v, %v; want it finished", got, err)
	}
}
