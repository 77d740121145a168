package main

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// runAPI runs the HTTP API alone; workers run elsewhere on the same Redis.
func runAPI(ctx context.Context, args []string, std stdio) error {
	f := newFlags("api", "api --redis-url URL | --redis-cluster ADDRS | --redis-sentinel NAME@ADDRS [flags]", std.err)
	var (
		rc redisConfig
		qc queueConfig
		lc limitsConfig
		ac apiConfig
	)
	rc.register(f, true)
	qc.register(f)
	qc.registerPages(f)
	lc.register(f)
	ac.register(f)
	var pc packagesConfig
	pc.register(f)
	ac.packages = &pc
	if err := f.parseNoArgs(args); err != nil {
		return err
	}
	if err := ac.check(); err != nil {
		return err
	}
	log, err := rc.logger(std.err)
	if err != nil {
		return err
	}
	limits := lc.resolve()
	b, err := openBackend(ctx, rc, qc, log)
	if err != nil {
		return err
	}
	defer b.close()
	h, err := newAPI(b, limits, &ac, log)
	if err != nil {
		return err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ac.serve(gctx, h, log) })
	g.Go(func() error { return ac.serveMetrics(gctx, b.m.Handler(), log) })
	return g.Wait()
}
