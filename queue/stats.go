package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Stats is the state of the whole queue, as every process shares it: what
// one process exports for the fleet (ClaimExporter).
type Stats struct {
	// Depth is the interactive jobs waiting or running, Pending those of
	// them a worker has taken.
	Depth, Pending int64
	// BatchDepth is the batch items waiting or running, BatchPending those
	// of them a worker has taken.
	BatchDepth, BatchPending int64
	// OldestAge is how long the oldest interactive job waiting or running
	// has been in the queue.
	OldestAge time.Duration
	// Workers is the live workers, SandboxesReady the jobs they could
	// start now.
	Workers, SandboxesReady int
	// SessionsOpen is the sessions whose interpreter a live worker holds.
	SessionsOpen int
	// PagesLive is the client-side pages not yet expired.
	PagesLive int
	// BatchesOpen is the batches not yet finished, BatchItemsOpen their
	// items waiting or running.
	BatchesOpen, BatchItemsOpen int
}

// Stats reads the queue's state.
func (q *Queue) Stats(ctx context.Context) (Stats, error) {
	keys := []string{q.keys.stream(), q.keys.batchStream(), q.keys.workers(), q.keys.workerReady(),
		q.keys.livePages(), q.keys.openBatches()}
	v, err := q.runScript(ctx, "read queue stats", statsScript, keys, group, q.keys.workerSessions(""), q.keys.batch(""))
	if err != nil {
		return Stats{}, err
	}
	n, _ := v.([]any)
	if len(n) != 11 {
		return Stats{}, fmt.Errorf("read queue stats: unexpected answer %v", v)
	}
	i := func(k int) int64 { x, _ := n[k].(int64); return x }
	return Stats{Depth: i(0), Pending: i(1), BatchDepth: i(2), BatchPending: i(3),
		OldestAge: time.Duration(i(4)) * time.Millisecond, Workers: int(i(5)), SandboxesReady: int(i(6)),
		SessionsOpen: int(i(7)), PagesLive: int(i(8)), BatchesOpen: int(i(9)), BatchItemsOpen: int(i(10))}, nil
}

// statsScript reads the queue's state in one step; it forgets the pages
// and batches that have ended on the way.
//
// KEYS[1] stream, KEYS[2] batch stream, KEYS[3] workers, KEYS[4] workers'
// readiness, KEYS[5] every live page, KEYS[6] every open batch, KEYS[7...]
// the live workers' session sets and the open batches' hashes, as the
// script asks for them (declare.go)
// ARGV[1] consumer group, ARGV[2] worker sessions key prefix, ARGV[3]
// batch key prefix
// Returns {depth, pending, batch depth, batch pending, oldest age ms,
// workers, sandboxes ready, sessions open, pages live, batches open,
// batch items open}, or {"need", key...}.
var statsScript = redis.NewScript(declaredLua + nowLua + openBatchesLua + `
local function pending(stream)
  local p = redis.pcall('XPENDING', stream, ARGV[1])
  if type(p) ~= 'table' or p.err then return 0 end
  return tonumber(p[1]) or 0
end
local oldest = 0
local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if first[1] then
  oldest = math.max(now - tonumber(string.match(first[1][1], '^(%d+)')), 0)
end
local workers = redis.call('ZRANGEBYSCORE', KEYS[3], now, '+inf')
local ready, sessions = 0, 0
for _, w in ipairs(workers) do
  ready = ready + tonumber(redis.call('HGET', KEYS[4], w) or '0')
  local skey = ARGV[2] .. w
  if known(skey) then
    sessions = sessions + redis.call('SCARD', skey)
  end
end
local batches, items = openBatches(KEYS[6], ARGV[3])
if #missing > 0 then
  return {'need', unpack(missing)}
end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now)
return {redis.call('XLEN', KEYS[1]), pending(KEYS[1]), redis.call('XLEN', KEYS[2]), pending(KEYS[2]), oldest,
  #workers, ready, sessions, redis.call('ZCARD', KEYS[5]), batches, items}
`)

// ClaimExporter makes process id the one that exports the queue's state
// for ttl, unless another holds that role; it reports whether id holds
// it. The holder renews it with each claim, so that the fleet exports the
// queue's state once, and another process takes over within ttl of the
// holder's death.
func (q *Queue) ClaimExporter(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	v, err := q.runScript(ctx, "claim the metrics exporter", claimScript, []string{q.keys.exporter()}, id, ttl.Milliseconds())
	if err != nil {
		return false, err
	}
	return v == int64(1), nil
}

// claimScript gives KEYS[1] to ARGV[1] for ARGV[2] ms, unless another
// holds it. Returns 1 if ARGV[1] holds it.
var claimScript = redis.NewScript(`
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)
