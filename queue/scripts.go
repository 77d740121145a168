package queue

import "github.com/redis/go-redis/v9"

// enqueueScript writes a job record and its stream entry at once, unless the
// queue is at its depth limit, its owner at one of its quotas, or the
// idempotency key names a job already.
//
// KEYS[1] job hash, KEYS[2] stream, KEYS[3] owner's hash, KEYS[4] owner's
// bucket ends, KEYS[5] idempotency key (absent for none)
// ARGV[1] job id, ARGV[2] depth limit (0: none), ARGV[3] idempotency key
// TTL in seconds, ARGV[4] owner's limit of queued jobs (0: none), ARGV[5]
// owner's limit of stored bytes (0: none), ARGV[6] now (Unix ms), ARGV[7]
// bytes of the spec, ARGV[8...] the record's field/value pairs
// Returns {"new", id}, {"existing", id}, {"full"}, {"queued", count} or
// {"bytes", used, wait ms}.
var enqueueScript = redis.NewScript(ownerLua + `
if KEYS[5] then
  local existing = redis.call('GET', KEYS[5])
  if existing then
    -- A write, the key's own TTL again, so that a WAIT after this call
    -- waits for the replicas to have all that came before it, the job too.
    redis.call('PEXPIRE', KEYS[5], math.max(redis.call('PTTL', KEYS[5]), 1))
    return {'existing', existing}
  end
end
local limit = tonumber(ARGV[2])
if limit > 0 and redis.call('XLEN', KEYS[2]) >= limit then
  return {'full'}
end
local queued = tonumber(redis.call('HGET', KEYS[3], 'queued') or '0')
if tonumber(ARGV[4]) > 0 and queued >= tonumber(ARGV[4]) then
  return {'queued', tostring(queued)}
end
local spec = tonumber(ARGV[7])
local over = overBytes(KEYS[3], KEYS[4], tonumber(ARGV[6]), spec, tonumber(ARGV[5]))
if over then
  return {'bytes', over[1], over[2]}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 8))
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])
if KEYS[5] then
  redis.call('SET', KEYS[5], ARGV[1], 'EX', ARGV[3])
end
created(KEYS[3], KEYS[4], spec, true)
return {'new', ARGV[1]}
`)

// startScript marks a job running for a worker that took its stream entry.
//
// KEYS[1] job hash, KEYS[2] stream, KEYS[3] job's events
// ARGV[1] started_at, ARGV[2] worker id, ARGV[3] stream entry id, ARGV[4] group,
// ARGV[5] max attempts, ARGV[6] most events kept, ARGV[7] retention in seconds
// Returns {"run", record} when the worker should run the job, record being
// the job's hash as HGETALL gives it; {"exhausted", record} when it has
// used up its attempts; {"skip"} when the job is gone or already ended (its
// entry is removed).
var startScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then
  redis.call('XACK', KEYS[2], ARGV[4], ARGV[3])
  redis.call('XDEL', KEYS[2], ARGV[3])
  return {'skip'}
end
local attempts = tonumber(redis.call('HGET', KEYS[1], 'attempts') or '0')
if attempts >= tonumber(ARGV[5]) then
  return {'exhausted', redis.call('HGETALL', KEYS[1])}
end
redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1], 'worker', ARGV[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 't', 'status', 'd', 'running')
redis.call('EXPIRE', KEYS[3], ARGV[7])
return {'run', redis.call('HGETALL', KEYS[1])}
`)

// openSessionScript records a new session and the task that starts its
// interpreter, unless the caller already has as many open sessions as
// allowed. Sessions of the caller that have ended are forgotten first.
//
// A session still starting whose opening task has ended did not open: its
// worker marks it open before the task's end is recorded.
//
// KEYS[1] session hash, KEYS[2] caller's session set, KEYS[3] job hash,
// KEYS[4] stream, KEYS[5] owner's hash, KEYS[6] owner's bucket ends,
// KEYS[7...] the hashes of the caller's sessions and of their opening
// tasks, as the script asks for them (declare.go)
// ARGV[1] session id, ARGV[2] job id, ARGV[3] now, ARGV[4] per-caller limit
// (0: none), ARGV[5] owner, ARGV[6] memory_mb, ARGV[7] retention in seconds
// (of the caller's set), ARGV[8] owner's limit of stored bytes (0: none),
// ARGV[9] now (Unix ms), ARGV[10] bytes of the spec, ARGV[11] session key
// prefix, ARGV[12] job key prefix, ARGV[13...] the task record's
// field/value pairs
// Returns {"new"}, {"full", open count, last_used_at of each open
// session}, {"bytes", used, wait ms} or {"need", key...}.
var openSessionScript = redis.NewScript(declaredLua + ownerLua + `
local gone, used = {}, {}
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local skey = ARGV[11] .. sid
  if known(skey) then
    local s = redis.call('HMGET', skey, 'status', 'open_job', 'last_used_at')
    local live = s[1] == 'open'
    if s[1] == 'starting' then
      local jkey = ARGV[12] .. (s[2] or '')
      if known(jkey) then
        local js = redis.call('HGET', jkey, 'status')
        live = js == 'queued' or js == 'running'
      end
    end
    if live then
      used[#used + 1] = s[3] or ''
    else
      gone[#gone + 1] = sid
    end
  end
end
if #missing > 0 then
  return {'need', unpack(missing)}
end
for _, sid in ipairs(gone) do
  redis.call('SREM', KEYS[2], sid)
end
local limit = tonumber(ARGV[4])
local n = redis.call('SCARD', KEYS[2])
if limit > 0 and n >= limit then
  return {'full', tostring(n), unpack(used)}
end
local spec = tonumber(ARGV[10])
local over = overBytes(KEYS[5], KEYS[6], tonumber(ARGV[9]), spec, tonumber(ARGV[8]))
if over then
  return {'bytes', over[1], over[2]}
end
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[7])
redis.call('HSET', KEYS[1], 'status', 'starting', 'owner', ARGV[5], 'created_at', ARGV[3], 'last_used_at', ARGV[3],
  'runs', 0, 'memory_mb', ARGV[6], 'open_job', ARGV[2])
redis.call('HSET', KEYS[3], unpack(ARGV, 13))
redis.call('XADD', KEYS[4], '*', 'id', ARGV[2])
created(KEYS[5], KEYS[6], spec, false)
return {'new'}
`)

// sessionJobScript records a run of an open session (or its closing) and
// sends it to the stream of the worker that holds the session.
//
// KEYS[1] session hash, KEYS[2] job hash, KEYS[3] owner's hash, KEYS[4]
// owner's bucket ends, KEYS[5] the stream of the worker holding the
// session, once the script asks for it (declare.go)
// ARGV[1] job id, ARGV[2] now, ARGV[3] owner, ARGV[4] kind ("run" or
// "close"), ARGV[5] owner's limit of stored bytes (0: none), ARGV[6] now
// (Unix ms), ARGV[7] bytes of the spec, ARGV[8] worker stream key prefix,
// ARGV[9...] the task record's field/value pairs
// Returns {"new"}, {"missing"} for no session of this owner, {"ended",
// status} for a session that is not open, {"bytes", used, wait ms} for
// a run past its owner's stored bytes (a closing is never refused), or
// {"need", key}.
var sessionJobScript = redis.NewScript(declaredLua + ownerLua + `
local s = redis.call('HMGET', KEYS[1], 'status', 'owner', 'worker')
if not s[1] or s[2] ~= ARGV[3] then
  return {'missing'}
end
if s[1] ~= 'open' then
  return {'ended', s[1]}
end
local wkey = ARGV[8] .. (s[3] or '')
if not known(wkey) then
  return {'need', unpack(missing)}
end
local spec = tonumber(ARGV[7])
if ARGV[4] == 'run' then
  local over = overBytes(KEYS[3], KEYS[4], tonumber(ARGV[6]), spec, tonumber(ARGV[5]))
  if over then
    return {'bytes', over[1], over[2]}
  end
end
redis.call('HSET', KEYS[2], unpack(ARGV, 9))
created(KEYS[3], KEYS[4], spec, false)
if ARGV[4] == 'run' then
  redis.call('HSET', KEYS[1], 'last_used_at', ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'runs', 1)
end
redis.call('XADD', wkey, '*', 'id', ARGV[1])
return {'new'}
`)

// endSessionScript ends a session that is still open or starting.
//
// KEYS[1] session hash, KEYS[2] worker's session set (absent for none)
// ARGV[1] status, ARGV[2] message, ARGV[3] now, ARGV[4] retention in seconds,
// ARGV[5] session id
// Returns 1 when this call ended it.
var endSessionScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if KEYS[2] then
  redis.call('SREM', KEYS[2], ARGV[5])
end
if st ~= 'open' and st ~= 'starting' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'message', ARGV[2], 'ended_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
`)

// tallyLua counts a batch item's end in its batch, closes the batch when it
// was the last (and takes it from its owner's open batches), and announces
// the progress. A batch that is gone (an abandoned upload that expired) is
// not made again.
const tallyLua = `
-- batchKeys returns {items, owner's open batches} of batch bkey, the
-- latter the set at obprefix .. owner; false when the batch is gone, or
-- when they are not declared (then they are in missing).
local function batchKeys(bkey, obprefix)
  local ikey = bkey .. ':items'
  local ok = known(ikey)
  local owner = redis.call('HGET', bkey, 'owner')
  if not owner then return false end
  local obkey = obprefix .. owner
  return known(obkey) and ok and {ikey, obkey}
end

local function tally(bkey, bk, status, passed, channel, bid, retention, finished_at)
  if not bk or redis.call('EXISTS', bkey) == 0 then return end
  redis.call('HINCRBY', bkey, 'n:' .. status, 1)
  if passed == '1' then
    redis.call('HINCRBY', bkey, 'passed', 1)
  elseif passed == '0' then
    redis.call('HINCRBY', bkey, 'not_passed', 1)
  end
  local done = redis.call('HINCRBY', bkey, 'done', 1)
  local total = tonumber(redis.call('HGET', bkey, 'total') or '0')
  if redis.call('HGET', bkey, 'complete') == '1' and done >= total then
    redis.call('HSET', bkey, 'finished_at', finished_at)
    redis.call('EXPIRE', bkey, retention)
    redis.call('EXPIRE', bk[1], retention)
    redis.call('SREM', bk[2], bid)
  end
  redis.call('PUBLISH', channel, bid)
end
`

// finishScript records a job's terminal outcome once, removes its stream
// entry, counts it in its batch and announces it. A job that already ended
// (a cancelled one) keeps its first outcome.
//
// KEYS[1] job hash, KEYS[2] stream, KEYS[3] owner's hash, KEYS[4] owner's
// bucket ends, KEYS[5] job's events, KEYS[6] batch hash (absent for none),
// KEYS[7...] the batch's items and its owner's open batches (declare.go)
// ARGV[1] status, ARGV[2] result JSON, ARGV[3] finished_at, ARGV[4] retention
// in seconds, ARGV[5] stream entry id, ARGV[6] group, ARGV[7] job id,
// ARGV[8] done channel, ARGV[9] passed ("1", "0" or ""), ARGV[10] batch
// channel, ARGV[11] batch id, ARGV[12] the end of the bucket the record
// expires in (Unix ms), ARGV[13] now (Unix ms), ARGV[14] prefix of the
// owners' sets of open batches
// Returns 1 when this call recorded the outcome, 0 when one was already
// there, or {"need", key...}.
var finishScript = redis.NewScript(declaredLua + ownerLua + tallyLua + `
local bk = false
if KEYS[6] then
  bk = batchKeys(KEYS[6], ARGV[14])
  if #missing > 0 then
    return {'need', unpack(missing)}
  end
end
redis.call('XACK', KEYS[2], ARGV[6], ARGV[5])
redis.call('XDEL', KEYS[2], ARGV[5])
local st = redis.call('HGET', KEYS[1], 'status')
if st ~= 'queued' and st ~= 'running' then
  return 0
end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'result', ARGV[2], 'finished_at', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
ended(KEYS[1], KEYS[3], KEYS[4], #ARGV[2], ARGV[12], tonumber(ARGV[13]))
redis.call('XADD', KEYS[5], '*', 't', 'done', 'd', ARGV[1])
redis.call('EXPIRE', KEYS[5], ARGV[4])
redis.call('PUBLISH', ARGV[8], ARGV[7])
if KEYS[6] then
  tally(KEYS[6], bk, ARGV[1], ARGV[9], ARGV[10], ARGV[11], ARGV[4], ARGV[3])
end
return 1
`)

// requeueScript hands a running job back to the queue after an
// infrastructure failure: a new stream entry replaces the old one.
//
// KEYS[1] job hash, KEYS[2] stream, KEYS[3] job's events
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
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('XADD', KEYS[3], '*', 't', 'status', 'd', 'queued')
end
return 1
`)

// cancelScript ends a queued or running job as cancelled and tells the
// workers to stop it.
//
// KEYS[1] job hash, KEYS[2] owner's hash, KEYS[3] owner's bucket ends,
// KEYS[4] job's events, KEYS[5...] the hash of the job's batch, its items
// and its owner's open batches, as the script asks for them (declare.go)
// ARGV[1] result JSON, ARGV[2] finished_at, ARGV[3] retention in seconds,
// ARGV[4] job id, ARGV[5] done channel, ARGV[6] cancel channel, ARGV[7]
// batch key prefix, ARGV[8] batch channel, ARGV[9] the caller's owner id,
// ARGV[10] the end of the bucket the record expires in (Unix ms), ARGV[11]
// now (Unix ms), ARGV[12] prefix of the owners' sets of open batches
// Returns the status the job had before, false when there is no such job
// of that owner, or {"need", key...}.
var cancelScript = redis.NewScript(declaredLua + ownerLua + tallyLua + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st or (redis.call('HGET', KEYS[1], 'owner') or '') ~= ARGV[9] then
  return false
end
if st ~= 'queued' and st ~= 'running' then
  return st
end
local b = redis.call('HGET', KEYS[1], 'batch')
local bkey, bk = false, false
if b then
  bkey = ARGV[7] .. b
  known(bkey .. ':items')
  if known(bkey) then
    bk = batchKeys(bkey, ARGV[12])
  end
  if #missing > 0 then
    return {'need', unpack(missing)}
  end
end
redis.call('HSET', KEYS[1], 'status', 'cancelled', 'result', ARGV[1], 'finished_at', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
ended(KEYS[1], KEYS[2], KEYS[3], #ARGV[1], ARGV[10], tonumber(ARGV[11]))
redis.call('XADD', KEYS[4], '*', 't', 'done', 'd', 'cancelled')
redis.call('EXPIRE', KEYS[4], ARGV[3])
redis.call('PUBLISH', ARGV[6], ARGV[4])
redis.call('PUBLISH', ARGV[5], ARGV[4])
if b then
  local passed = ''
  if redis.call('HGET', KEYS[1], 'has_test') == '1' then passed = '0' end
  tally(bkey, bk, 'cancelled', passed, ARGV[8], b, ARGV[3], ARGV[2])
end
return st
`)

// createBatchScript records a new, empty batch of its owner, unless the
// owner has as many batches not yet finished as allowed. The batch expires
// uploadLease after its last item until its upload completes, so that an
// upload abandoned midway stops counting.
//
// KEYS[1] batch hash, KEYS[2] owner's open batches, KEYS[3] every open
// batch, KEYS[4...] the hashes of the owner's open batches, as the script
// asks for them (declare.go)
// ARGV[1] batch id, ARGV[2] created_at, ARGV[3] owner, ARGV[4] owner's
// limit of open batches (0: none), ARGV[5] upload lease in seconds, ARGV[6]
// batch key prefix
// Returns {"new"}, {"full", open count} or {"need", key...}.
var createBatchScript = redis.NewScript(declaredLua + openBatchesLua + `
local n = openBatches(KEYS[2], ARGV[6])
if not n then
  return {'need', unpack(missing)}
end
if tonumber(ARGV[4]) > 0 and n >= tonumber(ARGV[4]) then
  return {'full', tostring(n)}
end
redis.call('HSET', KEYS[1], 'created_at', ARGV[2], 'total', 0, 'done', 0, 'complete', 0, 'owner', ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[5])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('SADD', KEYS[3], ARGV[1])
return {'new'}
`)

// enqueueItemScript adds one item to a batch: its job record, its entry in
// the batch stream, and its place in the batch's order; unless the batch
// stream is full, or the owner at its quota of batch items or bytes.
//
// KEYS[1] job hash, KEYS[2] batch stream, KEYS[3] batch hash, KEYS[4]
// batch's items, KEYS[5] owner's hash, KEYS[6] owner's bucket ends,
// KEYS[7] owner's open batches, KEYS[8...] the hashes of the owner's open
// batches, as the script asks for them (declare.go)
// ARGV[1] job id, ARGV[2] depth limit of the batch stream, ARGV[3] owner's
// limit of batch items (0: none), ARGV[4] owner's limit of stored bytes (0:
// none), ARGV[5] now (Unix ms), ARGV[6] bytes of the spec, ARGV[7] upload
// lease in seconds, ARGV[8] batch key prefix, ARGV[9...] the record's
// field/value pairs
// Returns {"new"}, {"full"}, {"gone"} when the batch expired, {"items",
// count}, {"bytes", used, wait ms} or {"need", key...}.
var enqueueItemScript = redis.NewScript(declaredLua + ownerLua + openBatchesLua + `
if redis.call('EXISTS', KEYS[3]) == 0 then
  return {'gone'}
end
if redis.call('XLEN', KEYS[2]) >= tonumber(ARGV[2]) then
  return {'full'}
end
if tonumber(ARGV[3]) > 0 then
  local n, items = openBatches(KEYS[7], ARGV[8])
  if not n then
    return {'need', unpack(missing)}
  end
  if items >= tonumber(ARGV[3]) then
    return {'items', tostring(items)}
  end
end
local spec = tonumber(ARGV[6])
local over = overBytes(KEYS[5], KEYS[6], tonumber(ARGV[5]), spec, tonumber(ARGV[4]))
if over then
  return {'bytes', over[1], over[2]}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
redis.call('XADD', KEYS[2], '*', 'id', ARGV[1])
redis.call('RPUSH', KEYS[4], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'total', 1)
redis.call('EXPIRE', KEYS[3], ARGV[7])
redis.call('EXPIRE', KEYS[4], ARGV[7])
created(KEYS[5], KEYS[6], spec, false)
return {'new'}
`)

// completeBatchScript marks a batch's submission complete, keeps it until
// it finishes, and finishes it if its items have all ended already.
//
// KEYS[1] batch hash, KEYS[2] batch's items, KEYS[3] its owner's open
// batches, once the script asks for it (declare.go)
// ARGV[1] finished_at, ARGV[2] retention in seconds, ARGV[3] batch channel,
// ARGV[4] batch id, ARGV[5] prefix of the owners' sets of open batches
// Returns 1, 0 when the batch is gone, or {"need", key}.
var completeBatchScript = redis.NewScript(declaredLua + `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  return 0
end
local obkey = ARGV[5] .. owner
if not known(obkey) then
  return {'need', unpack(missing)}
end
redis.call('PERSIST', KEYS[1])
redis.call('PERSIST', KEYS[2])
redis.call('HSET', KEYS[1], 'complete', 1)
local done = tonumber(redis.call('HGET', KEYS[1], 'done') or '0')
if done >= tonumber(redis.call('HGET', KEYS[1], 'total') or '0') then
  redis.call('HSET', KEYS[1], 'finished_at', ARGV[1])
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  redis.call('SREM', obkey, ARGV[4])
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`)
