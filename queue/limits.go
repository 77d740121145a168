package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Per-caller limits on calls, kept in Redis so that every API process
// counts against the same budget: a caller's rate (GCRA, by redis_rate)
// and its calls in flight. A call in flight is held under a lease that its
// API process renews while the call lasts; a process that dies stops
// renewing, and its calls stop counting once their leases run out.

// Rate is a sustained rate of calls and the burst allowed above it.
type Rate struct {
	// PerSecond is the sustained rate; it must be above zero.
	PerSecond float64
	// Burst is how many calls may come at once; at least 1.
	Burst int
}

// limit is r as redis_rate takes it: one call per emission interval.
func (r Rate) limit() redis_rate.Limit {
	return redis_rate.Limit{Rate: 1, Burst: max(r.Burst, 1), Period: time.Duration(float64(time.Second) / r.PerSecond)}
}

// Allow counts one call of owner against r. It returns 0 when the call is
// allowed, else how long until one would be.
func (q *Queue) Allow(ctx context.Context, owner string, r Rate) (time.Duration, error) {
	if r.PerSecond <= 0 {
		return 0, fmt.Errorf("rate limit: %v calls per second is not a rate", r.PerSecond)
	}
	res, err := redis_rate.NewLimiter(q.rdb).Allow(ctx, q.keys.rate(owner), r.limit())
	if err != nil {
		return 0, fmt.Errorf("rate limit: %w", err)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}

// Enter holds a new call of owner in flight for lease, unless owner
// already has limit calls in flight. It returns the call's id, empty when
// it was not let in.
func (q *Queue) Enter(ctx context.Context, owner string, limit int, lease time.Duration) (string, error) {
	call := newID()
	v, err := q.runScript(ctx, "enter call", enterScript, []string{q.keys.inFlight(owner)},
		lease.Milliseconds(), limit, call)
	if err != nil {
		return "", err
	}
	if v != int64(1) {
		return "", nil
	}
	return call, nil
}

// Renew extends the lease of a call in flight that has not left.
func (q *Queue) Renew(ctx context.Context, owner, call string, lease time.Duration) error {
	_, err := q.runScript(ctx, "renew call", renewScript, []string{q.keys.inFlight(owner)}, lease.Milliseconds(), call)
	return err
}

// Leave ends a call in flight.
func (q *Queue) Leave(ctx context.Context, owner, call string) error {
	if err := q.rdb.ZRem(ctx, q.keys.inFlight(owner), call).Err(); err != nil {
		return fmt.Errorf("leave call: %w", err)
	}
	return nil
}

// InFlight returns how many calls of owner are in flight.
func (q *Queue) InFlight(ctx context.Context, owner string) (int, error) {
	n, err := q.rdb.ZCount(ctx, q.keys.inFlight(owner), "("+fmt.Sprint(time.Now().UnixMilli()), "+inf").Result()
	if err != nil {
		return 0, fmt.Errorf("count calls in flight: %w", err)
	}
	return int(n), nil
}

// nowLua is the time on Redis's clock (Unix ms), the one clock every API
// process shares.
const nowLua = `
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`

// enterScript lets a call in unless its owner is at its limit; calls
// whose lease ran out are forgotten first.
//
// KEYS[1] owner's calls in flight (sorted set, scored by lease end, Unix ms)
// ARGV[1] lease in ms, ARGV[2] limit, ARGV[3] call id
// Returns 1 if the call was let in, else 0.
var enterScript = redis.NewScript(nowLua + `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

// renewScript extends the lease of a call still in flight; a call that
// has left is not brought back.
//
// KEYS[1] owner's calls in flight
// ARGV[1] lease in ms, ARGV[2] call id
var renewScript = redis.NewScript(nowLua + `
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]), ARGV[2]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return 0
`)
