package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tmaxmax/go-sse"

	"github.com/sandpit-dev/sandpit"
)

// Wait waits for a job to end and returns it. The API has no call that
// blocks on a job by id, so Wait asks for the job again and again, at first
// every 50 ms, then less often, up to once a second. A job submitted with
// Submit can also be waited for without polling by running the same spec
// with Run under the same idempotency key (WithIdempotencyKey).
func (c *Client) Wait(ctx context.Context, id string) (sandpit.Job, error) {
	delay := 50 * time.Millisecond
	for {
		job, err := c.Get(ctx, id)
		if err != nil || job.Status.Terminal() {
			return job, err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return job, fmt.Errorf("wait for job %s: %w", id, ctx.Err())
		case <-t.C:
		}
		delay = min(delay*2, time.Second)
	}
}

// SubmitBatch uploads a batch as JSON lines, one item per line (a job spec
// that may also carry "id" and "test"), streaming r, and returns the
// accepted batch. The upload is not retried after its answer is lost, since
// it may have been accepted; it is retried when refused with 429 or 503
// only if r is an io.Seeker, rewound for each try.
func (c *Client) SubmitBatch(ctx context.Context, r io.Reader) (sandpit.Batch, error) {
	var b sandpit.Batch
	req := request{method: http.MethodPost, path: "/v1/batches", body: r, contentType: "application/x-ndjson"}
	if s, ok := r.(io.Seeker); ok {
		start, err := s.Seek(0, io.SeekCurrent)
		if err == nil {
			req.rewind = func() error { _, err := s.Seek(start, io.SeekStart); return err }
		}
	}
	err := c.do(ctx, req, &b)
	return b, err
}

// GetBatch returns a batch's progress.
func (c *Client) GetBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	var b sandpit.Batch
	err := c.do(ctx, request{method: http.MethodGet, path: "/v1/batches/" + url.PathEscape(id)}, &b)
	return b, err
}

// CancelBatch cancels the items of a batch that have not ended.
func (c *Client) CancelBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	var b sandpit.Batch
	err := c.do(ctx, request{method: http.MethodDelete, path: "/v1/batches/" + url.PathEscape(id)}, &b)
	return b, err
}

// BatchResults yields a batch's jobs in submission order, each as soon as it
// has ended. It is BatchResultsFrom with from 0.
func (c *Client) BatchResults(ctx context.Context, id string) iter.Seq2[sandpit.Job, error] {
	return c.BatchResultsFrom(ctx, id, 0)
}

// BatchResultsFrom yields the jobs of a batch's items from index from on
// (from 0), in submission order, each as soon as it has ended: a program
// that stopped after writing n results resumes with from = n. A stream that
// breaks off is opened again, as the retry policy allows, from the first
// item not yet yielded (?from=N); each item is yielded once.
func (c *Client) BatchResultsFrom(ctx context.Context, id string, from int) iter.Seq2[sandpit.Job, error] {
	return func(yield func(sandpit.Job, error) bool) {
		next := from // the index of the next item to yield
		for broken := 0; ; {
			done, progressed, err := c.readResults(ctx, id, &next, yield)
			if done {
				return
			}
			if progressed {
				broken = 0
			}
			broken++
			if _, isAnswer := errors.AsType[*Error](err); isAnswer || ctx.Err() != nil || broken >= c.retry.MaxAttempts {
				yield(sandpit.Job{}, fmt.Errorf("batch %s results from item %d: %w", id, next, err))
				return
			}
			if c.retry.wait(ctx, broken, 0) != nil {
				yield(sandpit.Job{}, fmt.Errorf("batch %s results from item %d: %w", id, next, ctx.Err()))
				return
			}
		}
	}
}

// readResults reads one stream of a batch's results, yielding the items
// from *next on. done says that iteration is over (the stream ended whole,
// or yield asked to stop); otherwise err says why the stream broke off.
func (c *Client) readResults(ctx context.Context, id string, next *int, yield func(sandpit.Job, error) bool) (done, progressed bool, err error) {
	path := "/v1/batches/" + url.PathEscape(id) + "/results"
	if *next > 0 {
		path += "?from=" + strconv.Itoa(*next)
	}
	resp, err := c.send(ctx, request{method: http.MethodGet, path: path})
	if err != nil {
		return false, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return false, false, answerError(resp)
	}
	// The server sends a blank line now and then while no item ends; the
	// decoder skips it as it skips any space between values.
	dec := json.NewDecoder(resp.Body)
	for i := *next; ; i++ {
		var job sandpit.Job
		if err := dec.Decode(&job); errors.Is(err, io.EOF) {
			// The server also ends the stream early when it cannot go
			// on: the batch says whether every item came.
			b, err := c.GetBatch(ctx, id)
			if err != nil {
				return false, progressed, err
			}
			if b.Complete && *next >= b.Total {
				return true, progressed, nil
			}
			return false, progressed, fmt.Errorf("the results ended at item %d of %d", *next, b.Total)
		} else if err != nil {
			return false, progressed, fmt.Errorf("read results: %w", err)
		}
		index := i
		if job.Index != nil {
			index = *job.Index
		}
		if index < *next {
			continue
		}
		*next = index + 1
		progressed = true
		if !yield(job, nil) {
			return true, true, nil
		}
	}
}

// BatchEvent is one event of a batch's progress: "progress" on a change,
// and "done", the last, once every item has ended.
type BatchEvent struct {
	Type  string
	Batch sandpit.Batch
}

// BatchEvents yields a batch's progress as the server pushes it (at most
// five events a second), until the "done" event.
func (c *Client) BatchEvents(ctx context.Context, id string) iter.Seq2[BatchEvent, error] {
	return func(yield func(BatchEvent, error) bool) {
		fail := func(err error) { yield(BatchEvent{}, fmt.Errorf("batch %s events: %w", id, err)) }
		resp, err := c.send(ctx, request{method: http.MethodGet, path: "/v1/batches/" + url.PathEscape(id) + "/events"})
		if err != nil {
			fail(err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 400 {
			yield(BatchEvent{}, answerError(resp))
			return
		}
		for ev, err := range sse.Read(resp.Body, nil) {
			if err != nil {
				fail(err)
				return
			}
			if ev.Type == "" {
				continue
			}
			e := BatchEvent{Type: ev.Type}
			if err := json.Unmarshal([]byte(ev.Data), &e.Batch); err != nil {
				fail(fmt.Errorf("event %s: %w", ev.Type, err))
				return
			}
			if !yield(e, nil) || e.Type == "done" {
				return
			}
		}
		fail(io.ErrUnexpectedEOF) // the stream ended before its done event
	}
}
