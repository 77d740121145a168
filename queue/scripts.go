package queue

import "github.com/redis/go-redis/v9"

// enqueueScript writes a job record and its stream entry at once, unless the
// queue is at its depth limit, or the idempotency key names a job already.
//
// KEYS[1] job hash, KEYS[2] stream, KEYS[3] idempotency key ("" for none)
// ARGV[1] job id, ARGV[2] spec JSON, ARGV[3] created_at, ARGV[4] depth limit
// (0: none), ARGV[5] idempotency key TTL in seconds
// Returns {"new", id}, {"existing", id}, or {"full"}.
var enqueueScript = redis.NewScript(`
if KEYS[3] ~= '' then
  local existing = redis.call('GET', KEYS[3])
  if existing then
    return {'existing', existing}
  end
end
local limit = tonumber(ARGV[4])
if limit > 0 and redis.call('XLEN', KEYS[2]) >= limit then
  return {'full'}
end
redis.call('HSET', KEYS[1], 'status', 'queued', 'spec', ARGV[2], 'created_at', ARGV[3], 'attempts', 0)
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])
if KEYS[3] ~= '' then
  redis.call('SET', KEYS[3], ARGV[1], 'EX', ARGV[5])
end
return {'new', ARGV[1]}
`)

// startScript marks a job running for a worker that took its stream entry.
//
// KEYS[1] job hash, KEYS[2] stream
// ARGV[1] started_at, ARGV[2] worker id, ARGV[3] stream entry id, ARGV[4] group,
// ARGV[5] max attempts
// Returns {"run", spec, attempt} when the worker should run the job;
// {"skip"} when the job is gone or already ended (its entry is removed);
// {"exhausted", attempts} when it has used up its attempts.
var startScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then
  redis.call('XACK', KEYS[2], ARGV[4], ARGV[3])
  redis.call('XDEL', KEYS[2], ARGV[3])
  return {'skip'}
end
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts >= tonumber(ARGV[5]) then
  return {'exhausted', tostring(attempts)}
end
attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1], 'worker', ARGV[2])
return {'run', redis.call('HGET', KEYS[1], 'spec'), tostring(attempts)}
`)

// finishScript records a job's terminal outcome once, removes its stream
// entry and announces it. A job that already ended (a cancelled one) keeps
// its first outcome.
//
// KEYS[1] job hash, KEYS[2] stream
// ARGV[1] status, ARGV[2] result JSON, ARGV[3] finished_at, ARGV[4] retention
// in seconds, ARGV[5] stream entry id, ARGV[6] group, ARGV[7] job id,
// ARGV[8] done channel
// Returns 1 when this call recorded the outcome, 0 when one was already there.
var finishScript = redis.NewScript(`
redis.call('XACK', KEYS[2], ARGV[6], ARGV[5])
redis.call('XDEL', KEYS[2], ARGV[5])
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'result', ARGV[2], 'finished_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[8], ARGV[7])
return 1
`)

// requeueScript hands a running job back to the queue after an
// infrastructure failure: a new stream entry replaces the old one.
//
// KEYS[1] job hash, KEYS[2] stream
// ARGV[1] stream entry id, ARGV[2] group, ARGV[3] job id
// Returns 1 when requeued, 0 when the job had already ended.
var requeueScript = redis.NewScript(`
redis.call('XACK', KEYS[2], ARGV[2], ARGV[1])
redis.call('XDEL', KEYS[2], ARGV[1])
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', 'queued')
redis.call('HDEL', KEYS[1], 'started_at', 'worker')
redis.call('XADD', KEYS[2], '*', 'id', ARGV[3])
return 1
`)

// cancelScript ends a queued or running job as cancelled and tells the
// workers to stop it.
//
// KEYS[1] job hash
// ARGV[1] result JSON, ARGV[2] finished_at, ARGV[3] retention in seconds,
// ARGV[4] job id, ARGV[5] done channel, ARGV[6] cancel channel
// Returns the status the job had before, or false when there is no such job.
var cancelScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then
  return false
end
if st == 'queued' or st == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'result', ARGV[1], 'finished_at', ARGV[2])
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('PUBLISH', ARGV[6], ARGV[4])
  redis.call('PUBLISH', ARGV[5], ARGV[4])
end
return st
`)
