// A job a worker holds, from its task's start to its end: the lease
// renewed while it runs, a cancellation that stops it, and the one path
// that records its outcome, or hands it back to the queue.

package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
)

// outcome is how a task ended, for the one path that records it.
type outcome struct{ result sandpit.Result }

// completed is the outcome of a task that ran to an end of its own, or
// that the handler ended for good.
func completed(r sandpit.Result) outcome { return outcome{result: r} }

// abandoned is the outcome of a task whose every attempt ended in an
// infrastructure failure.
func abandoned(attempts int) outcome {
	return outcome{result: sandpit.ErrorResult(fmt.Sprintf(
		"the job was abandoned after %d attempts that each ended in an infrastructure failure", attempts))}
}

// PublicMessage is the part of an internal error fit for a caller: its last
// clause, which keeps host details out, at most 200 bytes.
func PublicMessage(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// finish records o as the outcome of the job rec, held as entry e.
func (w *worker) finish(rec record, e entry, o outcome) {
	recorded, err := w.q.finish(w.hardStop, rec, e, o.result)
	if err != nil {
		// The entry stays pending; after the lease another worker runs the
		// job again and records its outcome.
		w.redisError()
		w.q.log.Error("record job result", "job", rec.ID, "err", err)
		return
	}
	if recorded && w.opts.Finished != nil && !rec.StartedAt.IsZero() {
		w.opts.Finished(o.result.Status, rec.StartedAt.Sub(rec.CreatedAt), time.Since(rec.StartedAt))
	}
}

// finish records r as the outcome of the job rec, held as entry e, once: it
// removes the entry, counts the job in its batch and announces its end. It
// reports whether this call recorded the outcome; a job that had already
// ended (a cancelled one) keeps its first.
func (q *Queue) finish(ctx context.Context, rec record, e entry, r sandpit.Result) (bool, error) {
	if rec.HasTest && r.Passed == nil {
		r.Passed = new(bool)
	}
	data, err := encodeResult(r)
	if err != nil {
		return false, err
	}
	passed := ""
	if r.Passed != nil {
		passed = map[bool]string{true: "1", false: "0"}[*r.Passed]
	}
	now := time.Now()
	keys := []string{q.keys.job(rec.ID), e.stream, q.keys.owner(rec.Owner), q.keys.ownerExpiries(rec.Owner),
		q.keys.events(rec.ID)}
	if rec.Batch != "" {
		keys = append(keys, q.keys.batch(rec.Batch), q.keys.batchItems(rec.Batch), q.keys.ownerBatches(rec.Owner))
	}
	argv := []any{string(r.Status), data, formatTime(now), int(q.opts.Retention.Seconds()),
		e.msg.ID, group, rec.ID, q.keys.done(), passed, q.keys.batches(), rec.Batch, q.bucket(now.Add(q.opts.Retention)),
		now.UnixMilli(), q.keys.ownerBatches("")}
	v, err := q.runScript(ctx, "record job result", finishScript, keys, argv...)
	if err != nil {
		return false, err
	}
	n, _ := v.(int64)
	return n == 1, nil
}

func (w *worker) requeue(id string, e entry) {
	keys := []string{w.q.keys.job(id), e.stream, w.q.keys.events(id)}
	_, err := w.q.runScript(context.WithoutCancel(w.hardStop), "requeue job", requeueScript, keys, e.msg.ID, group, id)
	if err != nil {
		w.q.log.Error("requeue job", "job", id, "err", err)
	}
}

// renewLease keeps the entry's idle time low while the job runs, so that no
// other worker takes it over. It also stops a job found cancelled in its
// record, should the announcement have been missed (a Redis reconnect). It
// returns a func that stops renewing.
func (w *worker) renewLease(ctx context.Context, id string, e entry) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(w.opts.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				// A failed renewal is retried at the next tick; should Redis
				// stay away past the lease, another worker may take the
				// job over, and the first outcome recorded is kept.
				w.q.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
					Stream: e.stream, Group: group, Consumer: w.opts.ID,
					MinIdle: 0, Messages: []string{e.msg.ID},
				})
				if w.q.rdb.HGet(ctx, w.q.keys.job(id), fStatus).Val() == string(sandpit.StatusCancelled) {
					w.stop(id)
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (w *worker) track(id string, cancel context.CancelFunc) {
	w.mu.Lock()
	w.running[id] = cancel
	w.mu.Unlock()
}

// stop cancels the run of job id, if this worker runs it.
func (w *worker) stop(id string) {
	w.mu.Lock()
	cancel := w.running[id]
	w.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (w *worker) untrack(id string) {
	w.mu.Lock()
	delete(w.running, id)
	w.mu.Unlock()
}

func (w *worker) inFlight() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running)
}

// listenCancels stops running jobs that the queue announces as cancelled.
func (w *worker) listenCancels(ctx context.Context, ps *redis.PubSub) {
	defer ps.Close()
	ch := ps.Channel()
	for {
		select {
		case msg, ok := <-ch:
			if !ok {
				return
			}
			w.stop(msg.Payload)
		case <-ctx.Done():
			return
		}
	}
}
