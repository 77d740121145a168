package main

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/sandpit-dev/sandpit/internal/redisserver"
)

// runServe runs the API and a worker in one process, with a private
// redis-server when no Redis URL is given.
func runServe(ctx context.Context, args []string, std stdio) error {
	f := newFlags("serve", "serve [flags]", std.err)
	var (
		rc redisConfig
		qc queueConfig
		lc limitsConfig
		ac apiConfig
		wc workerConfig
	)
	rc.register(f, false)
	qc.register(f)
	qc.registerPages(f)
	lc.register(f)
	ac.register(f)
	wc.register(f)
	var pc packagesConfig
	pc.register(f)
	ac.packages = &pc
	wc.packages = &pc
	if err := f.parseNoArgs(args); err != nil {
		return err
	}
	if err := ac.check(); err != nil {
		return err
	}
	wc.resolveIsolation(f, !ac.loopback())
	log, err := rc.logger(std.err)
	if err != nil {
		return err
	}
	limits := lc.resolve()
	if err := wc.check(); err != nil {
		return err
	}
	if !rc.given() {
		if rc.waitReplicas > 0 {
			return errors.New("--redis-wait-replicas needs a Redis with replicas (--redis-sentinel, --redis-cluster or --redis-url); the private redis-server has none")
		}
		if rc.tlsAsked() {
			return errors.New("the --redis-tls flags are for a Redis of your own (--redis-url, --redis-cluster or --redis-sentinel); the private redis-server is reached on a Unix socket of its own")
		}
		srv, err := redisserver.Start(ctx, "")
		if err != nil {
			return err
		}
		defer srv.Close()
		rc.url = srv.URL()
		log.Info("started private redis-server", "url", rc.url)
	}
	b, err := openBackend(ctx, rc, qc, log)
	if err != nil {
		return err
	}
	defer b.close()
	q, m := b.q, b.m
	h, err := newAPI(b, limits, &ac, log)
	if err != nil {
		return err
	}

	r, err := wc.startRunner(ctx, limits, m, log)
	if err != nil {
		return err
	}
	defer r.Close()

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ac.serve(gctx, h, log) })
	g.Go(func() error { return ac.serveMetrics(gctx, m.Handler(), log) })
	g.Go(func() error {
		if err := wc.work(gctx, q, r, ac.grace, m, log, nil); err != nil {
			return fmt.Errorf("worker: %w", err)
		}
		return nil
	})
	return g.Wait()
}
