package queue

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// heartbeatEvery is how often a worker announces itself; a worker not heard
// from for three beats counts as gone.
const heartbeatEvery = time.Second

// heartbeat publishes the worker's liveness and readiness until ctx ends.
func (w *worker) heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		w.beat(ctx)
		select {
		case <-t.C:
		case <-w.opts.ReadyChanged: // a nil channel never fires
		case <-ctx.Done():
			return
		}
	}
}

func (w *worker) beat(ctx context.Context) {
	ready := w.opts.Concurrency - w.inFlight()
	if w.opts.Ready != nil {
		ready = min(ready, w.opts.Ready())
	}
	now := time.Now()
	k := w.q.keys
	pipe := w.q.rdb.TxPipeline()
	pipe.ZAdd(ctx, k.workers(), redis.Z{Score: float64(now.Add(3 * heartbeatEvery).UnixMilli()), Member: w.opts.ID})
	pipe.HSet(ctx, k.workerReady(), w.opts.ID, ready)
	if _, err := pipe.Exec(ctx); err != nil && ctx.Err() == nil {
		w.q.log.Warn("worker heartbeat", "err", err)
	}
	w.q.pruneWorkers(ctx, now)
	// Consumers of workers that died without deregistering.
	if now.Sub(w.lastPrune) > time.Minute {
		w.lastPrune = now
		idle := 10 * w.opts.Lease
		w.q.pruneConsumers(ctx, func(c redis.XInfoConsumer) bool { return c.Idle > idle && c.Inactive > idle })
	}
}

// deregister removes the worker from the registry at shutdown, and its
// consumer from the group when it holds no entry.
func (w *worker) deregister() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	pipe := w.q.rdb.TxPipeline()
	pipe.ZRem(ctx, w.q.keys.workers(), w.opts.ID)
	pipe.HDel(ctx, w.q.keys.workerReady(), w.opts.ID)
	if _, err := pipe.Exec(ctx); err != nil {
		// The others forget this worker once its heartbeat expires.
		w.q.log.Warn("deregister worker", "err", err)
	}
	w.q.pruneConsumers(ctx, func(c redis.XInfoConsumer) bool { return c.Name == w.opts.ID })
	w.q.endWorkerSessions(ctx, w.opts.ID)
}

// pruneConsumers deletes the group's consumers that hold no entry and that
// match, so that workers that come and go leave nothing behind.
func (q *Queue) pruneConsumers(ctx context.Context, match func(redis.XInfoConsumer) bool) {
	for _, stream := range q.keys.streams() {
		consumers, err := q.rdb.XInfoConsumers(ctx, stream, group).Result()
		if err != nil {
			continue
		}
		for _, c := range consumers {
			if c.Pending == 0 && match(c) {
				// A consumer left behind is pruned at the next pass.
				q.rdb.XGroupDelConsumer(ctx, stream, group, c.Name)
			}
		}
	}
}

// pruneWorkers forgets workers whose heartbeat has expired.
func (q *Queue) pruneWorkers(ctx context.Context, now time.Time) {
	max := strconv.FormatInt(now.UnixMilli(), 10)
	gone, err := q.rdb.ZRangeByScore(ctx, q.keys.workers(), &redis.ZRangeBy{Min: "-inf", Max: max}).Result()
	if err != nil || len(gone) == 0 {
		return
	}
	pipe := q.rdb.TxPipeline()
	pipe.ZRem(ctx, q.keys.workers(), toAny(gone)...)
	pipe.HDel(ctx, q.keys.workerReady(), gone...)
	if _, err := pipe.Exec(ctx); err != nil {
		return
	}
	for _, id := range gone {
		q.endWorkerSessions(ctx, id)
	}
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Capacity returns how many live workers there are and how many jobs they
// could start now, from their heartbeats.
func (q *Queue) Capacity(ctx context.Context) (workers, ready int, err error) {
	min := strconv.FormatInt(time.Now().UnixMilli(), 10)
	ids, err := q.rdb.ZRangeByScore(ctx, q.keys.workers(), &redis.ZRangeBy{Min: min, Max: "+inf"}).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("list workers: %w", err)
	}
	if len(ids) == 0 {
		return 0, 0, nil
	}
	vals, err := q.rdb.HMGet(ctx, q.keys.workerReady(), ids...).Result()
	if err != nil {
		return 0, 0, fmt.Errorf("read worker readiness: %w", err)
	}
	for _, v := range vals {
		if s, ok := v.(string); ok {
			ready += atoi(s)
		}
	}
	return len(ids), ready, nil
}
