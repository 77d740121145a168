package queue

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// ErrBatchFull is returned by AddItem when the batch stream is at its limit.
var ErrBatchFull = &sandpit.Error{Code: sandpit.EQUEUEFULL, Message: "the batch queue is full; retry later"}

// maxBatchDepth bounds the items waiting in the batch stream.
const maxBatchDepth = 1_000_000

// CreateBatch records a new, empty batch of owner and returns its id.
func (q *Queue) CreateBatch(ctx context.Context, owner string) (string, error) {
	id := newID()
	if err := q.rdb.HSet(ctx, q.keys.batch(id), "created_at", formatTime(time.Now()),
		"total", 0, "done", 0, "complete", 0, "owner", owner).Err(); err != nil {
		return "", fmt.Errorf("create batch: %w", err)
	}
	return id, nil
}

// AddItem enqueues item as item index of batch, a batch of owner, behind
// all interactive jobs.
func (q *Queue) AddItem(ctx context.Context, owner, batch string, index int, item sandpit.Item) error {
	rec, err := newRecord(ctx, KindJob, owner, item.Spec)
	if err != nil {
		return err
	}
	rec.Batch, rec.Index, rec.ItemID = batch, index, item.ID
	keys := []string{q.keys.job(rec.ID), q.keys.batchStream(), q.keys.batch(batch)}
	argv := append([]any{rec.ID, maxBatchDepth}, rec.values()...)
	v, err := q.runScript(ctx, "enqueue batch item", enqueueItemScript, keys, argv...)
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n == 0 {
		return ErrBatchFull
	}
	return nil
}

// CompleteBatch marks the end of a batch's submission.
func (q *Queue) CompleteBatch(ctx context.Context, batch string) error {
	err := completeBatchScript.Run(ctx, q.rdb, []string{q.keys.batch(batch)},
		time.Now().UTC().Format(time.RFC3339Nano), int(q.opts.Retention.Seconds()), q.keys.batches(), batch).Err()
	if err != nil {
		return fmt.Errorf("complete batch: %w", err)
	}
	return nil
}

// GetBatch returns the progress of a batch of owner, or a not-found error,
// also for another owner's batch.
func (q *Queue) GetBatch(ctx context.Context, id, owner string) (sandpit.Batch, error) {
	if !ValidID(id) {
		return sandpit.Batch{}, errBatchNotFound
	}
	h, err := q.rdb.HGetAll(ctx, q.keys.batch(id)).Result()
	if err != nil {
		return sandpit.Batch{}, fmt.Errorf("get batch: %w", err)
	}
	if len(h) == 0 || h["owner"] != owner {
		return sandpit.Batch{}, errBatchNotFound
	}
	b := sandpit.Batch{ID: id, Total: atoi(h["total"]), Complete: h["complete"] == "1", Done: atoi(h["done"]),
		Passed: atoi(h["passed"]), Failed: atoi(h["not_passed"]), Counts: map[sandpit.Status]int{},
		CreatedAt: parseTime(h["created_at"])}
	for k, v := range h {
		if s, ok := strings.CutPrefix(k, "n:"); ok {
			b.Counts[sandpit.Status(s)] = atoi(v)
		}
	}
	b.Pending = b.Total - b.Done
	if t := parseTime(h["finished_at"]); !t.IsZero() {
		b.FinishedAt = &t
		b.Finished = true
		d := t.Sub(b.CreatedAt).Milliseconds()
		b.DurationMS = &d
	}
	return b, nil
}

var errBatchNotFound = &sandpit.Error{Code: sandpit.ENOTFOUND, Message: "batch not found"}

// Items returns the job ids of items [from, from+n) of a batch, in
// submission order.
func (q *Queue) Items(ctx context.Context, batch string, from, n int) ([]string, error) {
	ids, err := q.rdb.LRange(ctx, q.keys.batchItems(batch), int64(from), int64(from+n-1)).Result()
	if err != nil {
		return nil, fmt.Errorf("list batch items: %w", err)
	}
	return ids, nil
}

// CancelBatch cancels every item of a batch of owner that has not ended,
// and returns how many it cancelled.
func (q *Queue) CancelBatch(ctx context.Context, id, owner string) (int, error) {
	if _, err := q.GetBatch(ctx, id, owner); err != nil {
		return 0, err
	}
	n := 0
	for from := 0; ; from += 500 {
		ids, err := q.Items(ctx, id, from, 500)
		if err != nil {
			return n, err
		}
		for _, jid := range ids {
			if _, err := q.Cancel(ctx, jid, owner); err == nil {
				n++
			} else if sandpit.ErrorCode(err) != sandpit.ECONFLICT && sandpit.ErrorCode(err) != sandpit.ENOTFOUND {
				return n, err
			}
		}
		if len(ids) < 500 {
			return n, nil
		}
	}
}

// WatchBatch returns a channel that receives a value whenever the batch
// makes progress, and a func that stops watching.
func (q *Queue) WatchBatch(ctx context.Context, id string) (<-chan struct{}, func()) {
	return q.progress.watch(ctx, id)
}

// BatchDepth returns how many batch items are waiting or running.
func (q *Queue) BatchDepth(ctx context.Context) (int64, error) {
	n, err := q.rdb.XLen(ctx, q.keys.batchStream()).Result()
	if err != nil {
		return 0, fmt.Errorf("batch queue depth: %w", err)
	}
	return n, nil
}
