package main

import "context"

// runAPI runs the HTTP API alone; workers run elsewhere on the same Redis.
func runAPI(ctx context.Context, args []string, std stdio) error {
	f := newFlags("api", "api --redis-url URL [flags]", std.err)
	var (
		rc redisConfig
		qc queueConfig
		lc limitsConfig
		ac apiConfig
	)
	rc.register(f, true)
	qc.register(f)
	lc.register(f)
	ac.register(f)
	if err := f.parse(args); err != nil {
		return err
	}
	if err := f.noArgs(); err != nil {
		return err
	}
	if err := ac.check(); err != nil {
		return err
	}
	log, err := rc.logger(std.err)
	if err != nil {
		return err
	}
	rdb, err := rc.connect(ctx)
	if err != nil {
		return err
	}
	defer rdb.Close()
	q := qc.open(rdb, rc, log)
	defer q.Close()
	m := newMetrics()
	m.watchQueue(q)
	return ac.serve(ctx, newAPI(q, lc.l, ac.apiAccess(), m, log), log)
}
