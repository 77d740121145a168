package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/sandpit-dev/sandpit"
)

// maxBatchBody bounds one batch upload.
const maxBatchBody = 4 << 30

// submitBatch accepts a batch as {"jobs": [spec, ...]} or as JSON lines
// (application/x-ndjson), one spec per line. Items are validated as they
// stream in and spooled to a temporary file, not held in memory; the batch
// is enqueued only when every item is valid, so a bad line rejects the
// whole upload with its line number and nothing is half accepted.
func (s *server) submitBatch(c echo.Context) error {
	mt, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	body := http.MaxBytesReader(c.Response(), c.Request().Body, maxBatchBody)
	spool, err := os.CreateTemp("", "sandpit-batch-")
	if err != nil {
		return fmt.Errorf("spool batch: %w", err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()
	out := bufio.NewWriter(spool)
	enc := json.NewEncoder(out)
	n := 0
	add := func(data []byte, where string) error {
		item, err := sandpit.ParseItem(data, s.limits)
		if err != nil {
			return sandpit.Errorf(sandpit.ErrorCode(err), "%s: %s", where, sandpit.ErrorMessage(err))
		}
		n++
		return enc.Encode(item)
	}
	switch mt {
	case "application/x-ndjson", "application/jsonl", "application/json-lines":
		err = readLines(body, s.limits.WithDefaults().MaxSpecBytes, add)
	case "", echo.MIMEApplicationJSON, echo.MIMEApplicationForm, echo.MIMETextPlain:
		err = readJobsArray(body, s.limits.WithDefaults().MaxSpecBytes, add)
	default:
		return sandpit.Errorf(sandpit.EUNSUPPORTED, "Content-Type must be application/json or application/x-ndjson, not %q", mt)
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return sandpit.Errorf(sandpit.EINVALID, "jobs: the batch has no items")
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("spool batch: %w", err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool batch: %w", err)
	}
	b, err := s.batches.SubmitBatch(c.Request().Context(), spooledItems(spool))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/batches/"+b.ID)
	return c.JSON(http.StatusAccepted, b)
}

// spooledItems reads back the items of a spool file.
func spooledItems(spool io.Reader) iter.Seq2[sandpit.Item, error] {
	return func(yield func(sandpit.Item, error) bool) {
		dec := json.NewDecoder(bufio.NewReader(spool))
		for {
			var item sandpit.Item
			if err := dec.Decode(&item); errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				yield(sandpit.Item{}, fmt.Errorf("read spooled batch: %w", err))
				return
			}
			if !yield(item, nil) {
				return
			}
		}
	}
}

// readLines calls add for each non-blank line of r.
func readLines(r io.Reader, maxLine int, add func([]byte, string) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine+1)
	for line := 1; sc.Scan(); line++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		if err := add(sc.Bytes(), fmt.Sprintf("line %d", line)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return sandpit.Errorf(sandpit.ETOOLARGE, "a line is longer than %d bytes", maxLine)
		}
		return sandpit.Errorf(sandpit.EINVALID, "read batch: %v", err)
	}
	return nil
}

// itemSlack is how far past an item of the size limit the decoder of a
// batch may read: room for the separators and blanks around it, so that
// an item of exactly the limit gets ParseItem's own message.
const itemSlack = 4 << 10

// errValueTooLarge is returned by a boundedReader whose decoder would
// need more than its bound to hold the value it is reading.
var errValueTooLarge = errors.New("a JSON value is larger than the limit")

// boundedReader feeds a JSON decoder no more than limit bytes ahead of
// what the decoder has consumed. The decoder holds a value whole before it
// returns it, so this bounds the memory one item of a batch can take to
// its size limit, however large the item the client sends.
type boundedReader struct {
	r     io.Reader
	dec   *json.Decoder
	read  int64
	limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	room := b.limit - (b.read - b.dec.InputOffset())
	if room <= 0 {
		return 0, errValueTooLarge
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// readJobsArray streams the items of {"jobs": [...]} to add. No item is
// read further than maxItem bytes (and a little slack): past it, the
// upload is refused as too large, naming the item.
func readJobsArray(r io.Reader, maxItem int, add func([]byte, string) error) error {
	br := &boundedReader{r: r, limit: int64(maxItem) + itemSlack}
	dec := json.NewDecoder(br)
	br.dec = dec
	bad := func(format string, args ...any) error { return sandpit.Errorf(sandpit.EINVALID, format, args...) }
	tooLarge := func(where string) error {
		return sandpit.Errorf(sandpit.ETOOLARGE, "%s: item is larger than %d bytes", where, maxItem)
	}
	bodyTooLarge := sandpit.Errorf(sandpit.ETOOLARGE, "request body: a JSON value or run of blanks is larger than %d bytes", maxItem)
	if tok, err := dec.Token(); errors.Is(err, errValueTooLarge) {
		return bodyTooLarge
	} else if err != nil || tok != json.Delim('{') {
		return bad(`request body must be {"jobs": [...]} or JSON lines with Content-Type application/x-ndjson`)
	}
	seen := false
	for dec.More() {
		tok, err := dec.Token()
		if errors.Is(err, errValueTooLarge) {
			return bodyTooLarge
		}
		if err != nil {
			return bad("request body is not valid JSON: %v", err)
		}
		if tok != "jobs" {
			return bad("%v: unknown field", tok)
		}
		if seen {
			return bad("jobs: given twice")
		}
		seen = true
		if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
			return bad("jobs: must be an array")
		}
		n := 0 // items read
		for i := 0; dec.More(); i++ {
			var raw json.RawMessage
			if err := dec.Decode(&raw); errors.Is(err, errValueTooLarge) {
				return tooLarge(fmt.Sprintf("jobs[%d]", i))
			} else if err != nil {
				return bad("jobs[%d]: not valid JSON: %v", i, err)
			}
			if err := add(raw, fmt.Sprintf("jobs[%d]", i)); err != nil {
				return err
			}
			n = i + 1
		}
		if _, err := dec.Token(); errors.Is(err, errValueTooLarge) {
			return tooLarge(fmt.Sprintf("jobs[%d]", n))
		} else if err != nil {
			return bad("jobs: not valid JSON: %v", err)
		}
	}
	if _, err := dec.Token(); errors.Is(err, errValueTooLarge) {
		return bodyTooLarge
	} else if err != nil {
		return bad("request body is not valid JSON: %v", err)
	}
	if !seen {
		return bad("jobs: required")
	}
	return nil
}

func (s *server) getBatch(c echo.Context) error {
	b, err := s.batches.GetBatch(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

func (s *server) cancelBatch(c echo.Context) error {
	b, err := s.batches.CancelBatch(c.Request().Context(), c.Param("id"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, b)
}

// resultsHeartbeat is how long the results stream stays quiet before a
// blank line goes out, so that proxies and clients that drop an idle
// connection keep it while items run long. Readers skip blank lines.
var resultsHeartbeat = 15 * time.Second

// batchResults streams the batch's jobs as JSON lines in submission order,
// each as soon as it has ended, from item ?from=N on (0 by default), so that
// a reader whose connection dropped resumes where it was. A blank line
// comes whenever nothing else did for resultsHeartbeat.
func (s *server) batchResults(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	from := 0
	if v := c.QueryParam("from"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return sandpit.Errorf(sandpit.EINVALID, "from: must be a whole number of items, not %q", v)
		}
		from = n
	}
	if _, err := s.batches.GetBatch(ctx, id); err != nil {
		return err
	}
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	w.Flush()
	enc := json.NewEncoder(w)
	jobs, stop := pullJobs(ctx, func(ctx context.Context) iter.Seq2[sandpit.Job, error] {
		return s.batches.BatchResults(ctx, id, from)
	})
	defer stop()
	beat := time.NewTimer(resultsHeartbeat)
	defer beat.Stop()
	for {
		select {
		case r, ok := <-jobs:
			if !ok || r.err != nil {
				return nil // the answer has begun; the client sees it end early
			}
			enc.Encode(r.job)
		case <-beat.C:
			w.Write([]byte("\n"))
		}
		w.Flush()
		beat.Reset(resultsHeartbeat)
	}
}

// pulled is one value of an iter.Seq2[sandpit.Job, error].
type pulled struct {
	job sandpit.Job
	err error
}

// pullJobs reads the sequence seq gives in a goroutine of its own, so that
// its reader can wait on it and on a clock at once. The channel closes
// after the last value or the first error; stop ends the reading (the
// sequence's context ends) and waits for it.
func pullJobs(ctx context.Context, seq func(context.Context) iter.Seq2[sandpit.Job, error]) (<-chan pulled, func()) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan pulled)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for job, err := range seq(ctx) {
			select {
			case out <- pulled{job, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out, func() { cancel(); <-done }
}

// batchEvents streams the batch's progress as server-sent events: a
// "progress" event on each change (at most five a second) and a final
// "done" event.
func (s *server) batchEvents(c echo.Context) error {
	ctx := c.Request().Context()
	id := c.Param("id")
	if _, err := s.batches.GetBatch(ctx, id); err != nil {
		return err
	}
	changed, stop, err := s.batches.WatchBatch(ctx, id)
	if err != nil {
		return err
	}
	defer stop()
	w := c.Response()
	w.Header().Set(echo.HeaderContentType, "text/event-stream")
	w.Header().Set(echo.HeaderCacheControl, "no-cache")
	w.WriteHeader(http.StatusOK)
	keepAlive := time.NewTicker(15 * time.Second)
	defer keepAlive.Stop()
	for {
		b, err := s.batches.GetBatch(ctx, id)
		if err != nil {
			return nil
		}
		data, _ := json.Marshal(b)
		event := "progress"
		if b.Finished {
			event = "done"
		}
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
		w.Flush()
		if b.Finished {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			w.Flush()
			continue
		case <-changed:
		}
		select { // gather the changes of the next moment into one event
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
	}
}
