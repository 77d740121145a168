package queue

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
)

// Per-owner quotas. The queue's depth, the batch stream and Redis's memory
// are shared by every caller; these bound one caller's part of them, so
// that one key at its limits leaves room for the others. Each owner's
// accounting lives beside the job records, in the same hash slot, and is
// kept by the same scripts that move a job from one state to the next, so
// a count changes exactly when the state does:
//
//   - queued: the owner's interactive jobs waiting or running: one more
//     when enqueueScript writes one, one less when finishScript or
//     cancelScript ends it. A retry (requeueScript) changes nothing.
//   - open batches: the set of the owner's batches not yet finished,
//     pruned of those that finished or whose abandoned upload expired; its
//     batch items waiting or running are the sum of total - done over them.
//   - bytes: 'live' holds the bytes of the specs of the owner's records not
//     yet ended; when one ends, its spec and result move to the bucket of
//     the time its record expires ('b:' .. Unix ms), and the buckets whose
//     time has passed are dropped as the owner's records expire with them,
//     so that what is stored is counted until Redis lets it go. A page
//     goes to the bucket of its own expiry when it is made.

// Defaults of the per-owner quotas.
const (
	// DefaultMaxBatchesPerOwner is the default of Options.MaxBatchesPerOwner.
	DefaultMaxBatchesPerOwner = 4
	// DefaultMaxBatchItemsPerOwner, a quarter of the batch stream, is the
	// default of Options.MaxBatchItemsPerOwner.
	DefaultMaxBatchItemsPerOwner = maxBatchDepth / 4
	// DefaultMaxStoredBytesPerOwner is the default of
	// Options.MaxStoredBytesPerOwner: 1 GiB.
	DefaultMaxStoredBytesPerOwner = 1 << 30
	// minQueuedPerOwner is the least default of Options.MaxQueuedPerOwner:
	// above a key's default requests in flight (64), so that a key that
	// waits for each of its runs is never refused for its queued jobs.
	minQueuedPerOwner = 100
)

// DefaultMaxQueuedPerOwner is the default of Options.MaxQueuedPerOwner for
// a queue of depth maxDepth: a tenth of it, at least 100, at most all of it.
func DefaultMaxQueuedPerOwner(maxDepth int) int {
	return max(maxDepth/10, min(maxDepth, minQueuedPerOwner))
}

// uploadLease is how long a batch whose upload has not completed is kept
// after its last item: an upload its API abandoned (it died) expires then,
// and stops counting against its owner's open batches.
const uploadLease = 10 * time.Minute

// OwnerLimitError is returned when a caller is at one of its quotas. It is
// a rate_limited error for that caller, and says when to try again.
type OwnerLimitError struct {
	// Reason is which quota: ReasonQuota or ReasonSessions.
	Reason string
	// Msg says which quota, in the caller's terms.
	Msg  string
	Wait time.Duration
}

// Reasons of an OwnerLimitError.
const (
	// ReasonQuota is a quota of jobs queued, batches, batch items or
	// stored bytes.
	ReasonQuota = "quota"
	// ReasonSessions is the bound on open sessions.
	ReasonSessions = "sessions"
)

// LimitReason is which quota refused the call.
func (e *OwnerLimitError) LimitReason() string {
	if e.Reason == "" {
		return ReasonQuota
	}
	return e.Reason
}

func (e *OwnerLimitError) Error() string { return e.Unwrap().Error() }

// Unwrap gives the error its code and message for the caller.
func (e *OwnerLimitError) Unwrap() error { return sandpit.Errorf(sandpit.ERATELIMITED, "%s", e.Msg) }

// RetryAfter is when the call may succeed.
func (e *OwnerLimitError) RetryAfter() time.Duration { return e.Wait }

// ownerLua is the owners' accounting, shared by the scripts that create
// and end records. okey is an owner's hash, zkey the sorted set of the
// ends of its buckets (member and score alike).
const ownerLua = `
-- forget drops the buckets whose time has passed, and their bytes.
local function forget(okey, zkey, now)
  local ends = redis.call('ZRANGEBYSCORE', zkey, '-inf', now)
  if #ends == 0 then return end
  local fields = {}
  for i, e in ipairs(ends) do fields[i] = 'b:' .. e end
  local gone = 0
  for _, v in ipairs(redis.call('HMGET', okey, unpack(fields))) do
    gone = gone + tonumber(v or '0')
  end
  redis.call('HDEL', okey, unpack(fields))
  redis.call('HINCRBY', okey, 'stored', -gone)
  redis.call('ZREMRANGEBYSCORE', zkey, '-inf', now)
end

-- overBytes returns nil when the owner may store add more bytes within
-- limit (0: none), else {bytes used, ms until some are let go}.
local function overBytes(okey, zkey, now, add, limit)
  if limit <= 0 then return nil end
  forget(okey, zkey, now)
  local used = tonumber(redis.call('HGET', okey, 'stored') or '0') + tonumber(redis.call('HGET', okey, 'live') or '0')
  if used + add <= limit then return nil end
  local wait = 1000
  local first = redis.call('ZRANGE', zkey, 0, 0, 'WITHSCORES')
  if first[2] then wait = math.max(tonumber(first[2]) - now, 1000) end
  return {tostring(used), tostring(wait)}
end

-- keep counts bytes stored until the bucket ending at bucket (Unix ms).
local function keep(okey, zkey, bytes, bucket)
  if bytes <= 0 then return end
  redis.call('HINCRBY', okey, 'b:' .. bucket, bytes)
  redis.call('HINCRBY', okey, 'stored', bytes)
  redis.call('ZADD', zkey, bucket, bucket)
end

-- tidy gives the owner's keys the life of what they count: kept while a
-- record of the owner has not ended, else until its last bucket ends.
local function tidy(okey, zkey)
  local last = redis.call('ZRANGE', zkey, -1, -1, 'WITHSCORES')
  local busy = tonumber(redis.call('HGET', okey, 'queued') or '0') ~= 0 or tonumber(redis.call('HGET', okey, 'live') or '0') ~= 0
  if busy then
    redis.call('PERSIST', okey)
  elseif last[2] then
    redis.call('PEXPIREAT', okey, last[2])
  else
    redis.call('DEL', okey)
  end
  if last[2] then redis.call('PEXPIREAT', zkey, last[2]) end
end

-- created counts a new record of spec bytes, and an interactive job.
local function created(okey, zkey, spec, interactive)
  if interactive then redis.call('HINCRBY', okey, 'queued', 1) end
  if spec > 0 then redis.call('HINCRBY', okey, 'live', spec) end
  tidy(okey, zkey)
end

-- ended moves an ended job's bytes, its spec and result, from live to the
-- bucket it expires in, and counts an interactive job out. It forgets the
-- buckets whose time has passed (now, Unix ms), so that an owner that is
-- never at rest keeps no more buckets than its records span.
local function ended(jkey, okey, zkey, resultBytes, bucket, now)
  local f = redis.call('HMGET', jkey, 'kind', 'batch')
  if not f[1] and not f[2] then redis.call('HINCRBY', okey, 'queued', -1) end
  local spec = redis.call('HSTRLEN', jkey, 'spec')
  if spec > 0 then redis.call('HINCRBY', okey, 'live', -spec) end
  forget(okey, zkey, now)
  keep(okey, zkey, spec + resultBytes, bucket)
  tidy(okey, zkey)
end
`

// bucketWidth is the span of one bucket of an owner's stored bytes: a
// record is counted until the end of the bucket it expires in, at most
// this long after it is gone. A sixtieth of the shorter of the retention
// and the page TTL, between 1s and 1h.
func (q *Queue) bucketWidth() time.Duration {
	w := min(q.opts.Retention, q.opts.PageTTL) / 60
	return min(max(w, time.Second), time.Hour)
}

// bucket is the end (Unix ms) of the bucket of what expires at t.
func (q *Queue) bucket(t time.Time) string {
	w := q.bucketWidth().Milliseconds()
	ms := t.UnixMilli()
	return strconv.FormatInt((ms+w-1)/w*w, 10)
}

// limitOf is a quota as the scripts take it: 0 for none.
func limitOf[T int | int64](n T) T { return max(n, 0) }

// bytesRefused is the error of a record refused for its owner's stored
// bytes; res is the script's {"bytes", used, wait ms}.
func (q *Queue) bytesRefused(res []string) error {
	used, _ := strconv.ParseInt(res[1], 10, 64)
	ms, _ := strconv.ParseInt(res[2], 10, 64)
	wait := time.Duration(ms) * time.Millisecond
	return &OwnerLimitError{Wait: wait, Msg: fmt.Sprintf(
		"this API key keeps %s of job specs, results and pages, and may keep %s; the oldest expire in %v",
		formatBytes(used), formatBytes(q.opts.MaxStoredBytesPerOwner), wait.Round(time.Second))}
}

// formatBytes writes n in the largest binary unit it fills.
func formatBytes(n int64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift {
			v := float64(n) / float64(int64(1)<<u.shift)
			return strings.TrimSuffix(strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64), ".0") + " " + u.name
		}
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// Usage is what one owner holds of the queue, as its quotas count it.
type Usage struct {
	// Queued is its interactive jobs waiting or running.
	Queued int
	// Batches is its batches not yet finished, and BatchItems their items
	// waiting or running.
	Batches    int
	BatchItems int
	// StoredBytes is the bytes of its job specs, results and pages kept in
	// Redis.
	StoredBytes int64
}

// Usage returns what owner holds now.
func (q *Queue) Usage(ctx context.Context, owner string) (Usage, error) {
	v, err := q.runScript(ctx, "read usage", usageScript,
		[]string{q.keys.owner(owner), q.keys.ownerExpiries(owner), q.keys.ownerBatches(owner)},
		time.Now().UnixMilli(), q.keys.batch(""))
	if err != nil {
		return Usage{}, err
	}
	res := stringsOf(v)
	stored, _ := strconv.ParseInt(res[3], 10, 64)
	return Usage{Queued: atoi(res[0]), Batches: atoi(res[1]), BatchItems: atoi(res[2]), StoredBytes: stored}, nil
}

// usageScript reads an owner's usage.
//
// KEYS[1] owner's hash, KEYS[2] owner's bucket ends, KEYS[3] owner's open
// batches, KEYS[4...] the hashes of the owner's open batches, as the script
// asks for them (declare.go)
// ARGV[1] now (Unix ms), ARGV[2] batch key prefix
// Returns {queued, open batches, batch items, stored bytes} or {"need",
// key...}.
var usageScript = redis.NewScript(declaredLua + ownerLua + openBatchesLua + `
local n, items = openBatches(KEYS[3], ARGV[2])
if not n then
  return {'need', unpack(missing)}
end
forget(KEYS[1], KEYS[2], tonumber(ARGV[1]))
local h = redis.call('HMGET', KEYS[1], 'queued', 'stored', 'live')
return {h[1] or '0', tostring(n), tostring(items), tostring(tonumber(h[2] or '0') + tonumber(h[3] or '0'))}
`)

// openBatchesLua counts an owner's batches not yet finished, and their
// items waiting or running, from its set of open batches; it forgets
// those that finished or whose upload was abandoned. It returns nil, and
// writes nothing, when some of the batches' hashes are not declared.
const openBatchesLua = `
local function openBatches(set, prefix)
  local n, items, gone = 0, 0, {}
  for _, b in ipairs(redis.call('SMEMBERS', set)) do
    local bkey = prefix .. b
    if known(bkey) then
      local h = redis.call('HMGET', bkey, 'total', 'done', 'finished_at', 'created_at')
      if not h[4] or h[3] then
        gone[#gone + 1] = b
      else
        n = n + 1
        items = items + tonumber(h[1] or '0') - tonumber(h[2] or '0')
      end
    end
  end
  if #missing > 0 then return nil end
  for _, b in ipairs(gone) do
    redis.call('SREM', set, b)
  end
  return n, items
end
`
