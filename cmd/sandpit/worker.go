package main

import (
	"context"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
)

// runWorker runs a worker alone: it takes jobs from Redis and runs them in
// its own Chromium.
func runWorker(ctx context.Context, args []string, std stdio) error {
	f := newFlags("worker", "worker --redis-url URL | --redis-cluster ADDRS | --redis-sentinel NAME@ADDRS [flags]", std.err)
	var (
		rc    redisConfig
		qc    queueConfig
		lc    limitsConfig
		wc    workerConfig
		grace time.Duration
		mc    apiConfig
	)
	rc.register(f, true)
	qc.register(f)
	lc.register(f)
	wc.register(f)
	var pc packagesConfig
	pc.register(f)
	wc.packages = &pc
	f.DurationVar(&grace, "shutdown-grace", 30*time.Second, "how long jobs in flight may run on after SIGTERM before they are handed back")
	f.envVar("shutdown-grace", "SANDPIT_SHUTDOWN_GRACE")
	f.StringVar(&mc.addr, "metrics-addr", "", "HOST:PORT to serve Prometheus metrics at /metrics, and /healthz and /readyz (its browser is up and it takes jobs); empty: none")
	f.envVar("metrics-addr", "SANDPIT_METRICS_ADDR")
	if err := f.parseNoArgs(args); err != nil {
		return err
	}
	wc.resolveIsolation(f, true)
	log, err := rc.logger(std.err)
	if err != nil {
		return err
	}
	limits := lc.resolve()
	if err := wc.check(); err != nil {
		return err
	}
	b, err := openBackend(ctx, rc, qc, log)
	if err != nil {
		return err
	}
	defer b.close()
	q, m := b.q, b.m
	r, err := wc.startRunner(ctx, limits, m, log)
	if err != nil {
		return err
	}
	defer r.Close()
	g, gctx := errgroup.WithContext(ctx)
	// The metrics and health server outlives the drain, so that a draining
	// worker answers "not ready" rather than nothing.
	srvCtx, stopSrv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSrv()
	health := &workerHealth{r: r, q: q}
	if mc.addr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		health.register(mux)
		mc.grace = time.Second
		g.Go(func() error { return mc.serve(srvCtx, mux, log) })
	}
	g.Go(func() error {
		defer stopSrv()
		return wc.work(gctx, q, r, grace, m, log, func() { health.takeJobs(gctx) })
	})
	return g.Wait()
}
