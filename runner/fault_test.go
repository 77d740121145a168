package runner

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
)

// These tests break the browser under a runner of their own, so that the
// shared one stays whole.

func newFaultRunner(t *testing.T) *Runner {
	t.Helper()
	r, err := New(context.Background(), Config{Assets: page.Handler(), PoolSize: 1, SnapshotDir: snapshotDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	waitReady(t, r)
	return r
}

func waitReady(t *testing.T, r *Runner) {
	t.Helper()
	testenv.Eventually(t, 2*time.Minute, func() bool { return r.Ready() > 0 }, "no sandbox became ready")
}

// rendererPIDs returns the browser's renderer processes.
func rendererPIDs(r *Runner) []int {
	var pids []int
	for _, pid := range groupPIDs(r.BrowserPID()) {
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if strings.Contains(string(cmd), "--type=renderer") {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestRendererCrashFailsTheJobAndIsReplaced(t *testing.T) {
	r := newFaultRunner(t)
	done := make(chan error, 1)
	go func() {
		_, err := r.Run(context.Background(), sandpit.Spec{Code: "import time\ntime.sleep(30)"})
		done <- err
	}()
	time.Sleep(time.Second) // the job is running
	for _, pid := range rendererPIDs(r) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("a job whose renderer was killed returned no error")
		}
	case <-time.After(15 * time.Second):
		t.Fatal("a job whose renderer was killed did not end")
	}
	waitReady(t, r)
	if res, err := r.Run(context.Background(), sandpit.Spec{Code: "print('after')"}); err != nil || res.Stdout != "after\n" {
		t.Fatalf("job after the crash: %+v, %v", res, err)
	}
}

func TestBrowserCrashRestartsChromium(t *testing.T) {
	r := newFaultRunner(t)
	syscall.Kill(-r.BrowserPID(), syscall.SIGKILL)
	testenv.Eventually(t, time.Minute, func() bool { return r.Restarts() > 0 }, "chromium was not restarted")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		res, err := r.Run(ctx, sandpit.Spec{Code: "print('after')"})
		if err == nil {
			if res.Stdout != "after\n" {
				t.Fatalf("job after the restart: %+v", res)
			}
			return
		}
		// A host of the dead browser may still be handed out once.
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("no job ran after the restart: %v", err)
		}
	}
}

// TestHungTabFailsTheJobAndIsReplaced wedges a host page's main thread,
// which job code cannot do but a browser fault can: the job ends in an
// error once its timeout and grace pass, and a new host takes its place.
func TestHungTabFailsTheJobAndIsReplaced(t *testing.T) {
	r := newFaultRunner(t)
	h := <-r.pool
	r.pool <- h
	if _, err := chromedp.Run(h.ctx, chromedp.Evaluate[chromedp.Void]("setTimeout(() => { for (;;) {} }, 0)")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := r.Run(context.Background(), sandpit.Spec{Code: "print(1)", TimeoutMS: 500})
	if err == nil {
		t.Fatal("a job on a hung tab returned no error")
	}
	if d := time.Since(start); d > 500*time.Millisecond+resultGrace+5*time.Second {
		t.Fatalf("a job on a hung tab took %v to fail", d)
	}
	waitReady(t, r)
	if res, err := r.Run(context.Background(), sandpit.Spec{Code: "print('after')"}); err != nil || res.Stdout != "after\n" {
		t.Fatalf("job after the hang: %+v, %v", res, err)
	}
}
