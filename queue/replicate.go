package queue

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
)

// ErrNotReplicated is returned when a new job was written on the primary
// but not confirmed by Options.WaitReplicas replicas in time: a failover
// now could lose it. It may still run; a retry with the same idempotency
// key finds it.
var ErrNotReplicated = &sandpit.Error{Code: sandpit.EUNAVAILABLE,
	Message: "the job could not be confirmed on Redis's replicas in time; retry, with the same Idempotency-Key to avoid running it twice"}

// runDurable runs a script that writes a new task, as runScript does; with
// Options.WaitReplicas, a reply {"new", ...} is returned only once that
// many replicas hold what it wrote, and {"existing", ...} (a task found by
// its idempotency key, perhaps refused before for want of replicas) once
// they hold all that was written before it.
func (q *Queue) runDurable(ctx context.Context, op string, s *redis.Script, keys []string, argv ...any) (any, error) {
	if q.opts.WaitReplicas <= 0 {
		return q.runScript(ctx, op, s, keys, argv...)
	}
	node, err := q.primaryFor(ctx, keys[0])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	// WAIT counts the replicas that have the writes made on its own
	// connection: the script runs on that connection too.
	conn := node.Conn()
	defer conn.Close()
	v, err := q.runScriptWith(ctx, op, keys, func(keys []string) (any, error) {
		return s.Run(ctx, conn, keys, argv...).Result()
	})
	if err != nil {
		return nil, err
	}
	if res := stringsOf(v); len(res) == 0 || (res[0] != "new" && res[0] != "existing") {
		return v, nil
	}
	n, err := conn.Wait(ctx, q.opts.WaitReplicas, q.opts.ReplicaTimeout).Result()
	if err != nil {
		return nil, fmt.Errorf("%s: wait for replicas: %w", op, err)
	}
	if n < int64(q.opts.WaitReplicas) {
		q.log.Warn("a new task is not on enough replicas", "op", op, "replicas", n, "want", q.opts.WaitReplicas)
		return nil, ErrNotReplicated
	}
	return v, nil
}

// primaryFor returns a client on the one primary that holds key.
func (q *Queue) primaryFor(ctx context.Context, key string) (*redis.Client, error) {
	switch c := q.rdb.(type) {
	case *redis.ClusterClient:
		node, err := c.MasterForKey(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("find the primary of %s: %w", key, err)
		}
		return node, nil
	case *redis.Client:
		return c, nil
	}
	return nil, fmt.Errorf("waiting for replicas needs a single-server, Sentinel or Cluster client, not %T", q.rdb)
}
