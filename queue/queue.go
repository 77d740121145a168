// Package queue is sandpit's job queue on Redis: it enqueues jobs, hands them
// to workers through a Redis stream and consumer group, records each job's
// single outcome, cancels, expires finished jobs, and wakes callers waiting
// for a result. It knows nothing of Chromium or HTTP: workers run jobs
// through a Handler that the caller supplies.
package queue

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
)

// Options configure a Queue. The zero value of a field means its default.
type Options struct {
	// Prefix namespaces the keys, so that several deployments can share one
	// Redis; default "sandpit". It is the keys' hash tag (keys.go), so it
	// may not hold { or }.
	Prefix string
	// Retention is how long a finished job is kept; default 24h.
	Retention time.Duration
	// MaxDepth is how many jobs may wait or run at once; Enqueue fails with
	// ErrQueueFull past it. Default 10000.
	MaxDepth int
	// SessionTTL is how long a session may stay idle before it expires;
	// default DefaultSessionTTL.
	SessionTTL time.Duration
	// MaxSessionsPerOwner bounds the open sessions of one caller; default
	// DefaultMaxSessionsPerOwner.
	MaxSessionsPerOwner int
	// PageTTL is how long a client-side page is kept; default 24h.
	PageTTL time.Duration
	// MaxPagesPerOwner is how many live pages one API key may have;
	// CreatePage fails past it. Default 1000.
	MaxPagesPerOwner int
	// MaxQueuedPerOwner bounds the jobs of one caller waiting or running,
	// batch items and session tasks aside; default
	// DefaultMaxQueuedPerOwner(MaxDepth); negative: none.
	MaxQueuedPerOwner int
	// MaxBatchesPerOwner bounds the batches of one caller not yet
	// finished; default DefaultMaxBatchesPerOwner; negative: none.
	MaxBatchesPerOwner int
	// MaxBatchItemsPerOwner bounds the batch items of one caller waiting
	// or running; default DefaultMaxBatchItemsPerOwner; negative: none.
	MaxBatchItemsPerOwner int
	// MaxStoredBytesPerOwner bounds the bytes one caller keeps in Redis:
	// the specs of its jobs, and their results once ended, until they
	// expire, and its pages; default DefaultMaxStoredBytesPerOwner;
	// negative: none. It is checked as each record is made: jobs running
	// when it is reached may store their results past it.
	MaxStoredBytesPerOwner int64
	// WaitReplicas is how many replicas must hold a new job (a submitted
	// job, a batch item, a session's task) before it is accepted: Redis's
	// WAIT on the primary that wrote it, for at most ReplicaTimeout. A job
	// not confirmed by then is refused with ErrNotReplicated, though it may
	// run. Default 0: accepted once the primary has it.
	WaitReplicas int
	// ReplicaTimeout bounds the wait for WaitReplicas; default 5s.
	ReplicaTimeout time.Duration
	// Logger receives the queue's logs; default slog.Default().
	Logger *slog.Logger
}

// ErrQueueFull is returned by Enqueue when the queue is at its depth limit.
var ErrQueueFull = &sandpit.Error{Code: sandpit.EQUEUEFULL, Message: "the queue is full; retry later"}

// Queue is a handle on the job queue in one Redis. It is safe for concurrent
// use.
type Queue struct {
	rdb      redis.UniversalClient
	keys     keys
	opts     Options
	log      *slog.Logger
	done     *notifier // job ends
	progress *notifier // batch progress
}

// New returns a Queue on rdb. Call Close when done with it.
func New(rdb redis.UniversalClient, opts Options) *Queue {
	if opts.Retention <= 0 {
		opts.Retention = 24 * time.Hour
	}
	if opts.MaxDepth <= 0 {
		opts.MaxDepth = 10000
	}
	if opts.SessionTTL <= 0 {
		opts.SessionTTL = DefaultSessionTTL
	}
	if opts.MaxSessionsPerOwner <= 0 {
		opts.MaxSessionsPerOwner = DefaultMaxSessionsPerOwner
	}
	if opts.PageTTL <= 0 {
		opts.PageTTL = 24 * time.Hour
	}
	if opts.MaxPagesPerOwner <= 0 {
		opts.MaxPagesPerOwner = 1000
	}
	if opts.MaxQueuedPerOwner == 0 {
		opts.MaxQueuedPerOwner = DefaultMaxQueuedPerOwner(opts.MaxDepth)
	}
	if opts.MaxBatchesPerOwner == 0 {
		opts.MaxBatchesPerOwner = DefaultMaxBatchesPerOwner
	}
	if opts.MaxBatchItemsPerOwner == 0 {
		opts.MaxBatchItemsPerOwner = DefaultMaxBatchItemsPerOwner
	}
	if opts.MaxStoredBytesPerOwner == 0 {
		opts.MaxStoredBytesPerOwner = DefaultMaxStoredBytesPerOwner
	}
	if opts.ReplicaTimeout <= 0 {
		opts.ReplicaTimeout = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	q := &Queue{rdb: rdb, keys: newKeys(opts.Prefix), opts: opts, log: opts.Logger}
	q.done = newNotifier(rdb, q.keys.done(), q.log)
	q.progress = newNotifier(rdb, q.keys.batches(), q.log)
	return q
}

// Close stops the queue's subscriptions. It does not close the Redis client.
func (q *Queue) Close() error {
	return errors.Join(q.done.close(), q.progress.close())
}

// Ping checks that Redis answers.
func (q *Queue) Ping(ctx context.Context) error {
	if err := q.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("ping redis: %w", err)
	}
	return nil
}

// newID returns a random, unguessable id for a job, batch, session or page:
// 128 bits in hex.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id has the form of an id newID makes, so that
// arbitrary strings never become Redis keys.
func ValidID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// Enqueue records spec as a new queued job of owner (the submitting
// caller's ID) and returns it. A non-empty idempotency key that owner gave
// before (within the retention time) returns the job it created then, as
// it is now, and enqueues nothing.
func (q *Queue) Enqueue(ctx context.Context, owner string, spec sandpit.Spec, idempotencyKey string) (sandpit.Job, error) {
	rec, err := newRecord(ctx, KindJob, owner, spec)
	if err != nil {
		return sandpit.Job{}, err
	}
	keys := []string{q.keys.job(rec.ID), q.keys.stream(), q.keys.owner(owner), q.keys.ownerExpiries(owner)}
	if idempotencyKey != "" {
		sum := sha256.Sum256([]byte(owner + "\x00" + idempotencyKey))
		keys = append(keys, q.keys.idempotency(hex.EncodeToString(sum[:])))
	}
	argv := append([]any{rec.ID, q.opts.MaxDepth, int(q.opts.Retention.Seconds()), limitOf(q.opts.MaxQueuedPerOwner),
		limitOf(q.opts.MaxStoredBytesPerOwner), time.Now().UnixMilli(), len(rec.Spec)}, rec.values()...)
	v, err := q.runDurable(ctx, "enqueue job", enqueueScript, keys, argv...)
	if err != nil {
		return sandpit.Job{}, err
	}
	res := stringsOf(v)
	switch res[0] {
	case "full":
		return sandpit.Job{}, ErrQueueFull
	case "queued":
		return sandpit.Job{}, &OwnerLimitError{Wait: time.Second, Msg: fmt.Sprintf(
			"this API key has %s jobs waiting or running, the most allowed; retry once some have ended", res[1])}
	case "bytes":
		return sandpit.Job{}, q.bytesRefused(res)
	case "existing":
		return q.Get(ctx, res[1], owner)
	}
	return rec.job()
}

// record reads the record of job id.
func (q *Queue) record(ctx context.Context, id string) (record, error) {
	if !ValidID(id) {
		return record{}, sandpit.ErrNotFound
	}
	h, err := q.rdb.HGetAll(ctx, q.keys.job(id)).Result()
	if err != nil {
		return record{}, fmt.Errorf("get job: %w", err)
	}
	if len(h) == 0 || h[fStatus] == "" {
		return record{}, sandpit.ErrNotFound
	}
	return parseRecord(id, h), nil
}

// Get returns job id of owner as it is now, or ErrNotFound: for another
// owner's job too, so that an id alone gives nothing away.
func (q *Queue) Get(ctx context.Context, id, owner string) (sandpit.Job, error) {
	rec, err := q.record(ctx, id)
	if err != nil {
		return sandpit.Job{}, err
	}
	if rec.Owner != owner {
		return sandpit.Job{}, sandpit.ErrNotFound
	}
	return rec.job()
}

// Cancel ends a queued or running job of owner as cancelled and returns it.
// A job that has already ended gives a conflict error; an unknown one, or
// another owner's, ErrNotFound.
func (q *Queue) Cancel(ctx context.Context, id, owner string) (sandpit.Job, error) {
	if !ValidID(id) {
		return sandpit.Job{}, sandpit.ErrNotFound
	}
	res, err := encodeResult(sandpit.CancelledResult())
	if err != nil {
		return sandpit.Job{}, err
	}
	now := time.Now()
	keys := []string{q.keys.job(id), q.keys.owner(owner), q.keys.ownerExpiries(owner), q.keys.events(id),
		q.keys.ownerBatches(owner)}
	argv := []any{res, formatTime(now), int(q.opts.Retention.Seconds()), id,
		q.keys.done(), q.keys.cancel(), q.keys.batch(""), q.keys.batches(), owner, q.bucket(now.Add(q.opts.Retention)),
		now.UnixMilli(), q.keys.ownerBatches("")}
	v, err := q.runScript(ctx, "cancel job", cancelScript, keys, argv...)
	if errors.Is(err, redis.Nil) {
		return sandpit.Job{}, sandpit.ErrNotFound
	}
	if err != nil {
		return sandpit.Job{}, err
	}
	prev, _ := v.(string)
	job, err := q.Get(ctx, id, owner)
	if err != nil {
		return sandpit.Job{}, err
	}
	if sandpit.Status(prev).Terminal() {
		return job, sandpit.Errorf(sandpit.ECONFLICT, "job %s has already ended as %s", id, prev)
	}
	return job, nil
}

// Wait blocks until job id of owner reaches a terminal status or ctx ends,
// and returns the job as it is then. It is woken by the announcement of the
// job's end, not by polling.
func (q *Queue) Wait(ctx context.Context, id, owner string) (sandpit.Job, error) {
	ch, stop := q.done.watch(ctx, id)
	defer stop()
	// A slow re-read covers an announcement lost while the subscription
	// reconnected; it is not on the path of a normal wake-up.
	recheck := time.NewTicker(5 * time.Second)
	defer recheck.Stop()
	for {
		job, err := q.Get(ctx, id, owner)
		if err != nil || job.Status.Terminal() {
			return job, err
		}
		select {
		case <-ch:
		case <-recheck.C:
		case <-ctx.Done():
			return job, ctx.Err()
		}
	}
}

// Depth returns how many jobs are waiting or running.
func (q *Queue) Depth(ctx context.Context) (int64, error) {
	n, err := q.rdb.XLen(ctx, q.keys.stream()).Result()
	if err != nil {
		return 0, fmt.Errorf("queue depth: %w", err)
	}
	return n, nil
}

// OldestAge returns how long the oldest job waiting or running has been in
// the queue, 0 when it is empty.
func (q *Queue) OldestAge(ctx context.Context) (time.Duration, error) {
	msgs, err := q.rdb.XRangeN(ctx, q.keys.stream(), "-", "+", 1).Result()
	if err != nil {
		return 0, fmt.Errorf("oldest job: %w", err)
	}
	if len(msgs) == 0 {
		return 0, nil
	}
	ms, err := strconv.ParseInt(strings.SplitN(msgs[0].ID, "-", 2)[0], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("oldest job: stream id %q", msgs[0].ID)
	}
	return time.Since(time.UnixMilli(ms)), nil
}
