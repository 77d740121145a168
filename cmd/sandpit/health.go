package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/runner"
)

// workerHealth answers a worker's /healthz and /readyz, beside /metrics on
// its --metrics-addr: /healthz while the process serves, /readyz while its
// browser is up, it takes jobs (from its first sandbox ready until it
// drains) and Redis answers. An orchestrator thus
// waits for a new worker to be able to work before it stops an old one, and
// sees a draining worker as not ready rather than gone.
type workerHealth struct {
	r      *runner.Runner
	q      *queue.Queue
	taking atomic.Bool
}

// takeJobs marks the worker as taking jobs, which its job loop begins
// once its first sandbox is ready (queue.WorkerOptions.Started), until
// ctx, the context of the loop, ends and the drain begins.
func (h *workerHealth) takeJobs(ctx context.Context) {
	h.taking.Store(true)
	context.AfterFunc(ctx, func() { h.taking.Store(false) })
}

func (h *workerHealth) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", h.readyz)
}

func (h *workerHealth) readyz(w http.ResponseWriter, req *http.Request) {
	ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
	defer cancel()
	if err := h.ready(ctx); err != nil {
		writeStatus(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "reason": err.Error()})
		return
	}
	writeStatus(w, http.StatusOK, map[string]any{"status": "ready", "sandboxes_ready": h.r.Ready()})
}

func (h *workerHealth) ready(ctx context.Context) error {
	if !h.taking.Load() {
		return errors.New("not taking jobs: starting or draining")
	}
	if !processAlive(h.r.BrowserPID()) {
		return errors.New("chromium is not running")
	}
	if err := h.q.Ping(ctx); err != nil {
		return errors.New("redis is unreachable")
	}
	return nil
}

// processAlive says whether the process pid exists.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	// EPERM: it exists, as another user's.
	return err == nil || errors.Is(err, syscall.EPERM)
}

func writeStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
