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

// CreateBatch records a new, empty batch of owner and returns its id,
// unless owner has as many batches not yet finished as allowed.
func (q *Queue) CreateBatch(ctx context.Context, owner string) (string, error) {
	id := newID()
	keys := []string{q.keys.batch(id), q.keys.ownerBatches(owner), q.keys.openBatches()}
	argv := []any{id, formatTime(time.Now()), owner, limitOf(q.opts.MaxBatchesPerOwner), int(uploadLease.Seconds()),
		q.keys.batch("")}
	v, err := q.runScript(ctx, "create batch", createBatchScript, keys, argv...)
	if err != nil {
		return "", err
	}
	if res := stringsOf(v); res[0] == "full" {
		return "", &OwnerLimitError{Wait: 5 * time.Second, Msg: fmt.Sprintf(
			"this API key has %s batches not yet finished, the most allowed; retry once one has finished, or cancel one", res[1])}
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
	keys := []string{q.keys.job(rec.ID), q.keys.batchStream(), q.keys.batch(batch), q.keys.batchItems(batch),
		q.keys.owner(owner), q.keys.ownerExpiries(owner), q.keys.ownerBatches(owner)}
	argv := append([]any{rec.ID, maxBatchDepth, limitOf(q.opts.MaxBatchItemsPerOwner), limitOf(q.opts.MaxStoredBytesPerOwner),
		time.Now().UnixMilli(), len(rec.Spec), int(uploadLease.Seconds()), q.keys.batch("")}, rec.values()...)
	v, err := q.runDurable(ctx, "enqueue batch item", enqueueItemScript, keys, argv...)
	if err != nil {
		return err
	}
	switch res := stringsOf(v); res[0] {
	case "full":
		return ErrBatchFull
	case "gone":
		return fmt.Errorf("enqueue batch item: batch %s has expired", batch)
	case "items":
		return &OwnerLimitError{Wait: 5 * time.Second, Msg: fmt.Sprintf(
			"this API key has %s batch items waiting or running, the most allowed; retry once some have ended", res[1])}
	case "bytes":
		return q.bytesRefused(res)
	}
	return nil
}

// CompleteBatch marks the end of a batch's submission.
func (q *Queue) CompleteBatch(ctx context.Context, batch string) error {
	v, err := q.runScript(ctx, "complete batch", completeBatchScript, []string{q.keys.batch(batch), q.keys.batchItems(batch)},
		formatTime(time.Now()), int(q.opts.Retention.Seconds()), q.keys.batches(), batch, q.keys.ownerBatches(""))
	if err != nil {
		return err
	}
	if n, _ := v.(int64); n == 0 {
		return fmt.Errorf("complete batch: batch %s has expired", batch)
	}
	return nil
}

// AbortBatch ends a batch of owner whose submission failed midway: it
// cancels the items already queued and marks the batch complete, so that
// it finishes and stops counting against its owner.
func (q *Queue) AbortBatch(ctx context.Context, batch, owner string) error {
	if _, err := q.CancelBatch(ctx, batch, owner); err != nil {
		return fmt.Errorf("abort batch: %w", err)
	}
	return q.CompleteBatch(ctx, batch)
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
