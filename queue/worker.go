// The worker's loop: Work runs a worker's slots; each slot runs one job at
// a time, taking a stream entry whose lease ran out or a new one (the
// worker's own sessions' runs first, then interactive jobs, then batch
// items), starting its job and handing its task to the Handler. The rest of
// a held job's way, its lease and its recorded end, is in lease.go.

package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
)

// Task is one job handed to a Handler.
type Task struct {
	ID      string
	Spec    sandpit.Spec
	Attempt int // 1 for the first run, more after infrastructure failures
	// Kind says what the task asks; Session names the session of the
	// session kinds. What they mean is the Handler's business: the queue
	// only routes them.
	Kind    Kind
	Session string
	// Owner is the ID of the caller that submitted the task.
	Owner string
}

// Handler runs tasks. A returned error means the infrastructure failed and
// the job may be retried; a Python failure is a Result, not an error, and so
// is any outcome the handler decides is final.
type Handler interface {
	Handle(ctx context.Context, t Task) (sandpit.Result, error)
}

// HandlerFunc adapts a func to a Handler.
type HandlerFunc func(ctx context.Context, t Task) (sandpit.Result, error)

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, t Task) (sandpit.Result, error) { return f(ctx, t) }

// WorkerOptions configure Work. The zero value of a field means its default.
type WorkerOptions struct {
	// ID names the worker in Redis; default a random id.
	ID string
	// Concurrency is how many jobs run at once; default 1.
	Concurrency int
	// Lease is how long a job may go without a heartbeat before another
	// worker takes it over; default 30s.
	Lease time.Duration
	// MaxAttempts bounds runs of one job that end in an infrastructure
	// failure; default 3.
	MaxAttempts int
	// Grace is how long jobs in flight may run on after ctx ends before they
	// are handed back to the queue; default 30s.
	Grace time.Duration
	// Ready reports how many jobs the worker could start now; it is
	// published for readiness checks. Default: Concurrency minus jobs running.
	Ready func() int
	// Finished, when set, is called as each job's outcome is recorded, with
	// how long it waited in the queue and how long it ran; for metrics.
	Finished func(status sandpit.Status, waited, ran time.Duration)
	// RedisError, when set, is called on each failed Redis operation of the
	// worker's loops; for metrics.
	RedisError func()
	// Started, when set, is called once the worker takes jobs: at once, or
	// with Ready, once Ready reports a job it could start; for readiness
	// checks.
	Started func()
	// ReadyChanged, when set, receives a value whenever Ready may have
	// changed, so that the change is published at once rather than at the
	// next heartbeat.
	ReadyChanged <-chan struct{}
}

// NewWorkerID returns a random id for a worker.
func NewWorkerID() string { return newID()[:12] }

func (o WorkerOptions) withDefaults() WorkerOptions {
	if o.ID == "" {
		o.ID = NewWorkerID()
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 1
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	return o
}

// worker is one running Work call.
type worker struct {
	q    *Queue
	h    Handler
	opts WorkerOptions

	mu      sync.Mutex
	running map[string]context.CancelFunc // job id → cancel of its run

	hardStop  context.Context // ends Grace after the worker's ctx ends
	lastPrune time.Time       // of dead workers' consumers, by heartbeat
}

// Work takes jobs from the queue and runs them with h until ctx ends. Then it
// takes no new jobs, lets those in flight finish within the grace period,
// hands back the rest, and returns nil. With opts.Ready, it takes its first
// job only once Ready reports one it could start: a worker still starting
// (its first sandbox booting) leaves the queue's jobs to workers that can
// run them now.
func (q *Queue) Work(ctx context.Context, h Handler, opts WorkerOptions) error {
	w := &worker{q: q, h: h, opts: opts.withDefaults(), running: make(map[string]context.CancelFunc)}
	if err := q.ensureGroup(ctx); err != nil {
		return err
	}
	if err := w.ensureWorkerStream(ctx); err != nil {
		return err
	}
	hardStop, stopNow := context.WithCancel(context.WithoutCancel(ctx))
	defer stopNow()
	w.hardStop = hardStop
	graceTimer := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(w.opts.Grace, stopNow)
		context.AfterFunc(hardStop, func() { t.Stop() })
	})
	defer graceTimer()

	var wg sync.WaitGroup
	bg, stopBG := context.WithCancel(hardStop)
	defer stopBG()
	// The subscription to cancellations is confirmed before any job is
	// taken, so that a job cancelled just after it starts is stopped.
	cancels := q.rdb.Subscribe(bg, q.keys.cancel())
	if _, err := cancels.Receive(ctx); err != nil {
		q.log.Warn("subscribe to cancellations", "err", err)
	}
	wg.Go(func() { w.listenCancels(bg, cancels) })
	wg.Go(func() { w.heartbeat(bg) })

	if !w.awaitReady(ctx) {
		stopBG()
		wg.Wait()
		w.deregister()
		return nil
	}
	if w.opts.Started != nil {
		w.opts.Started()
	}
	var slots sync.WaitGroup
	for range w.opts.Concurrency {
		slots.Go(func() { w.slot(ctx) })
	}
	slots.Wait()
	stopBG()
	wg.Wait()
	w.deregister()
	return nil
}

// readyPoll is how often a starting worker asks whether it could start a
// job yet.
const readyPoll = 50 * time.Millisecond

// awaitReady waits until the worker could start a job (opts.Ready), and
// reports false if ctx ended first.
func (w *worker) awaitReady(ctx context.Context) bool {
	if w.opts.Ready == nil {
		return true
	}
	t := time.NewTicker(readyPoll)
	defer t.Stop()
	for w.opts.Ready() <= 0 {
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// ensureGroup creates the streams and their consumer groups if missing.
func (q *Queue) ensureGroup(ctx context.Context) error {
	for _, stream := range q.keys.streams() {
		err := q.rdb.XGroupCreateMkStream(ctx, stream, group, "0").Err()
		if err != nil && !isRedisError(err, "BUSYGROUP") {
			return fmt.Errorf("create consumer group: %w", err)
		}
	}
	return nil
}

// entry is a stream entry a worker holds.
type entry struct {
	stream string
	msg    redis.XMessage
}

// slot runs one job at a time until ctx ends.
func (w *worker) slot(ctx context.Context) {
	lastClaim := time.Time{}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		var msgs []entry
		var err error
		if time.Since(lastClaim) > w.opts.Lease/4 {
			lastClaim = time.Now()
			msgs, err = w.claimStale(ctx)
		}
		if err == nil && len(msgs) == 0 {
			msgs, err = w.read(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			w.redisError()
			w.q.log.Warn("read jobs", "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return
			}
			backoff = min(2*backoff, 5*time.Second)
			if isRedisError(err, "NOGROUP") {
				// Redis lost the groups (a restart without persistence):
				// make them again. A failure shows at the next read.
				w.q.ensureGroup(ctx)
				w.ensureWorkerStream(ctx)
			}
			continue
		}
		backoff = 100 * time.Millisecond
		for _, e := range msgs {
			w.process(e)
		}
	}
}

// read blocks for new entries: at most one from each stream, the runs of
// the worker's own sessions first, then interactive jobs. So a batch never
// holds a slot for more than one item while an interactive job waits.
func (w *worker) read(ctx context.Context) ([]entry, error) {
	streams := append([]string{w.q.keys.workerStream(w.opts.ID)}, w.q.keys.streams()...)
	args := append([]string{}, streams...)
	for range streams {
		args = append(args, ">")
	}
	res, err := w.q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group:    group,
		Consumer: w.opts.ID,
		Streams:  args,
		Count:    1,
		Block:    time.Second,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, stream := range streams {
		for _, r := range res {
			if r.Stream != stream {
				continue
			}
			for _, m := range r.Messages {
				out = append(out, entry{stream: stream, msg: m})
			}
		}
	}
	return out, nil
}

// claimStale takes over one entry whose worker stopped renewing its lease,
// interactive jobs first.
func (w *worker) claimStale(ctx context.Context) ([]entry, error) {
	for _, stream := range w.q.keys.streams() {
		msgs, _, err := w.q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
			Stream:   stream,
			Group:    group,
			Consumer: w.opts.ID,
			MinIdle:  w.opts.Lease,
			Start:    "0-0",
			Count:    1,
		}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		if len(msgs) > 0 {
			return []entry{{stream: stream, msg: msgs[0]}}, nil
		}
	}
	return nil, nil
}

// process runs one stream entry's task to its recorded end: start, handle,
// then finish or hand back. It uses the worker's hard-stop context, not the
// slot's, so that a task in flight is finished or handed back even while
// the worker shuts down.
func (w *worker) process(e entry) {
	ctx := w.hardStop
	id, _ := e.msg.Values["id"].(string)
	if !ValidID(id) {
		// Not an entry the queue wrote: drop it. Should that fail, the
		// entry comes back after the lease and is dropped then.
		w.q.rdb.XAck(ctx, e.stream, group, e.msg.ID)
		w.q.rdb.XDel(ctx, e.stream, e.msg.ID)
		return
	}
	log := w.q.log.With("job", id)
	rec, verdict, err := w.start(ctx, id, e)
	if err != nil {
		w.redisError()
		log.Warn("start job", "err", err)
		return // the entry stays pending and is taken over after the lease
	}
	switch verdict {
	case "skip":
		return
	case "exhausted":
		w.finish(rec, e, abandoned(rec.Attempts))
		return
	}
	if rec.RequestID != "" {
		log = log.With("request_id", rec.RequestID)
	}
	task := Task{ID: id, Attempt: rec.Attempts, Kind: rec.Kind, Session: rec.Session, Owner: rec.Owner}
	if rec.Spec != "" {
		if err := json.Unmarshal([]byte(rec.Spec), &task.Spec); err != nil {
			w.finish(rec, e, completed(sandpit.ErrorResult("the stored job spec is unreadable")))
			return
		}
	}

	jctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.track(id, cancel)
	defer w.untrack(id)
	stopBeat := w.renewLease(jctx, id, e)
	log.Info("job started", "attempt", task.Attempt)
	result, err := w.h.Handle(jctx, task)
	stopBeat()
	switch {
	case err == nil:
		w.finish(rec, e, completed(result))
		log.Info("job finished", "status", result.Status)
	case jctx.Err() != nil && ctx.Err() == nil:
		// Cancelled through the queue: the record already says so.
		w.finish(rec, e, completed(sandpit.CancelledResult()))
		log.Info("job cancelled")
	case ctx.Err() != nil:
		w.requeue(id, e)
		log.Info("job handed back at shutdown")
	case task.Attempt >= w.opts.MaxAttempts:
		w.finish(rec, e, completed(sandpit.ErrorResult(fmt.Sprintf("the sandbox failed %d times; last: %s", task.Attempt, PublicMessage(err)))))
		log.Warn("job failed for good", "attempt", task.Attempt, "err", err)
	default:
		log.Warn("job failed, retrying", "attempt", task.Attempt, "err", err)
		select {
		case <-time.After(time.Duration(task.Attempt) * 500 * time.Millisecond):
		case <-ctx.Done():
		}
		w.requeue(id, e)
	}
}

// start marks job id running for this worker and returns its record, with
// the script's verdict: "run", "skip" or "exhausted".
func (w *worker) start(ctx context.Context, id string, e entry) (record, string, error) {
	keys := []string{w.q.keys.job(id), e.stream, w.q.keys.events(id)}
	argv := []any{formatTime(time.Now()), w.opts.ID, e.msg.ID, group, w.opts.MaxAttempts, maxEvents,
		int(w.q.opts.Retention.Seconds())}
	v, err := w.q.runScript(ctx, "start job", startScript, keys, argv...)
	if err != nil {
		return record{}, "", err
	}
	res, _ := v.([]any)
	verdict, _ := res[0].(string)
	if verdict == "skip" {
		return record{}, verdict, nil
	}
	flat, _ := res[1].([]any)
	return parseRecord(id, hashOf(flat)), verdict, nil
}

func (w *worker) redisError() {
	if w.opts.RedisError != nil {
		w.opts.RedisError()
	}
}
