package client

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/tmaxmax/go-sse"

	"github.com/sandpit-dev/sandpit"
)

// maxEventBytes bounds one server-sent event of a job. Its end carries the
// whole job: its output (1 MiB a stream by default, longer once escaped in
// JSON) and its files (10 MiB by default, a third more in base64).
const maxEventBytes = 256 << 20

const eventStream = "text/event-stream"

// Events yields what happens to job id after the event with ID after (""
// for everything, beginning with the status the job has now): its changes
// of status (EventStatus, Data the status), its output as the code writes
// it (EventStdout and EventStderr, Data the text), and last its end
// (EventDone, Job the finished job). A job that has ended yields its events
// at once. A stream that breaks off is opened again after the last event
// yielded (each Event's ID), as the retry policy allows, counted afresh
// after each event, so that no output is yielded twice or missed. An
// error ends the sequence.
func (c *Client) Events(ctx context.Context, id, after string) iter.Seq2[sandpit.Event, error] {
	return func(yield func(sandpit.Event, error) bool) {
		c.follow(ctx, id, after, nil, yield)
	}
}

// RunStream runs spec as Run does, and calls fn with each event of the job
// as it happens (see Events), so that its output comes as the code writes
// it; the last is its EventDone. It returns the finished job. A stream that
// breaks off once the server has taken the job is resumed after its last
// event.
func (c *Client) RunStream(ctx context.Context, spec sandpit.Spec, fn func(sandpit.Event)) (sandpit.Job, error) {
	return c.stream(ctx, request{method: http.MethodPost, path: "/v1/run", in: spec, key: submissionKey(ctx), accept: eventStream}, fn)
}

// RunInSessionStream runs spec in a session's interpreter as RunInSession
// does, and calls fn with each event of the job as RunStream does.
func (c *Client) RunInSessionStream(ctx context.Context, id string, spec sandpit.Spec, fn func(sandpit.Event)) (sandpit.Job, error) {
	return c.stream(ctx, request{method: http.MethodPost, path: "/v1/sessions/" + url.PathEscape(id) + "/run", in: spec, accept: eventStream}, fn)
}

// SubmitInSession queues spec to run in a session's interpreter and
// returns the job at once, with its id and status; Events follows it. (The
// API runs code in a session by POST /v1/sessions/{id}/run only: asked for
// events, it answers at once with the job's id, and SubmitInSession leaves
// once it has read it. A server that does not stream answers when the run
// has ended, with the finished job.)
func (c *Client) SubmitInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	r := request{method: http.MethodPost, path: "/v1/sessions/" + url.PathEscape(id) + "/run", in: spec, accept: eventStream}
	resp, err := c.send(ctx, r)
	if err != nil {
		return sandpit.Job{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return sandpit.Job{}, answerError(resp)
	}
	if !isEventStream(resp) {
		var job sandpit.Job
		if err := json.NewDecoder(resp.Body).Decode(&job); err != nil {
			return job, fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
		}
		return job, nil
	}
	job := sandpit.Job{ID: locatedJob(resp)}
	if job.ID == "" {
		return job, fmt.Errorf("%s %s: the answer names no job (Location %q)", r.method, r.path, resp.Header.Get("Location"))
	}
	job.Status = sandpit.StatusQueued
	for ev, err := range sse.Read(resp.Body, &sse.ReadConfig{MaxEventSize: maxEventBytes}) {
		if err != nil {
			break // the job is queued whatever its first event says
		}
		if e, err := decodeEvent(ev); err == nil && e.Type == sandpit.EventStatus {
			job.Status = sandpit.Status(e.Data)
			break
		}
	}
	return job, nil
}

// stream sends r, which asks for a job's events, and follows them to the
// job's end, calling fn with each.
func (c *Client) stream(ctx context.Context, r request, fn func(sandpit.Event)) (sandpit.Job, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return sandpit.Job{}, err
	}
	if resp.StatusCode >= 400 {
		defer resp.Body.Close()
		return sandpit.Job{}, answerError(resp)
	}
	if !isEventStream(resp) {
		// A server that does not stream answers with the finished job.
		defer resp.Body.Close()
		var job sandpit.Job
		if err := json.NewDecoder(resp.Body).Decode(&job); err != nil {
			return job, fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
		}
		fn(sandpit.Event{Type: sandpit.EventDone, Job: &job})
		return job, nil
	}
	id := locatedJob(resp)
	if id == "" {
		resp.Body.Close()
		return sandpit.Job{}, fmt.Errorf("%s %s: the answer names no job (Location %q)", r.method, r.path, resp.Header.Get("Location"))
	}
	var job *sandpit.Job
	var ferr error
	c.follow(ctx, id, "", resp, func(ev sandpit.Event, err error) bool {
		if err != nil {
			ferr = err
			return false
		}
		fn(ev)
		if ev.Type == sandpit.EventDone {
			job = ev.Job
		}
		return true
	})
	if job == nil {
		return sandpit.Job{ID: id}, cmp.Or(ferr, fmt.Errorf("events of job %s ended before the job", id))
	}
	return *job, nil
}

// follow yields the events of job id after the event last, read from resp
// and then, whenever the stream breaks off, from GET /v1/jobs/{id}/events
// after the last event read, until the job's end or an error. A nil resp
// opens that stream at once.
func (c *Client) follow(ctx context.Context, id, last string, resp *http.Response, yield func(sandpit.Event, error) bool) {
	path := "/v1/jobs/" + url.PathEscape(id) + "/events"
	for broken := 0; ; {
		if resp == nil {
			var err error
			resp, err = c.send(ctx, request{method: http.MethodGet, path: path, accept: eventStream, lastEventID: last})
			if err != nil {
				yield(sandpit.Event{}, err)
				return
			}
			if resp.StatusCode >= 400 {
				err := answerError(resp)
				resp.Body.Close()
				yield(sandpit.Event{}, err)
				return
			}
		}
		done, progressed, err := readEvents(resp.Body, &last, yield)
		resp.Body.Close()
		resp = nil
		if done {
			return
		}
		if progressed {
			broken = 0
		}
		broken++
		if ctx.Err() != nil || broken >= c.retry.MaxAttempts {
			yield(sandpit.Event{}, fmt.Errorf("events of job %s: %w", id, cmp.Or(ctx.Err(), err)))
			return
		}
		if c.retry.wait(ctx, broken, 0) != nil {
			yield(sandpit.Event{}, fmt.Errorf("events of job %s: %w", id, ctx.Err()))
			return
		}
	}
}

// readEvents yields the events of one stream, and keeps in *last the ID of
// the last one. done says that iteration is over (the job's end came, an
// event could not be read, or yield asked to stop); otherwise err says why
// the stream broke off.
func readEvents(body io.Reader, last *string, yield func(sandpit.Event, error) bool) (done, progressed bool, err error) {
	for ev, err := range sse.Read(body, &sse.ReadConfig{MaxEventSize: maxEventBytes}) {
		if err != nil {
			return false, progressed, fmt.Errorf("read events: %w", err)
		}
		e, err := decodeEvent(ev)
		if err != nil {
			yield(sandpit.Event{}, err)
			return true, progressed, nil
		}
		if e.Type == sandpit.EventQuiet {
			continue // of a kind this client does not know
		}
		if e.ID != "" {
			*last = e.ID
		}
		progressed = true
		if !yield(e, nil) || e.Type == sandpit.EventDone {
			return true, true, nil
		}
	}
	return false, progressed, errors.New("the stream ended before the job did")
}

// decodeEvent reads one server-sent event of a job. An event of a type it
// does not know is returned with no type.
func decodeEvent(ev sse.Event) (sandpit.Event, error) {
	e := sandpit.Event{ID: ev.LastEventID, Type: sandpit.EventType(ev.Type)}
	var err error
	switch e.Type {
	case sandpit.EventStatus:
		var d struct {
			Status string `json:"status"`
		}
		err = json.Unmarshal([]byte(ev.Data), &d)
		e.Data = d.Status
	case sandpit.EventStdout, sandpit.EventStderr:
		var d struct {
			Data string `json:"data"`
		}
		err = json.Unmarshal([]byte(ev.Data), &d)
		e.Data = d.Data
	case sandpit.EventDone:
		e.Job = new(sandpit.Job)
		err = json.Unmarshal([]byte(ev.Data), e.Job)
	default:
		return sandpit.Event{}, nil
	}
	if err != nil {
		return sandpit.Event{}, fmt.Errorf("event %s: %w", ev.Type, err)
	}
	return e, nil
}

// isEventStream reports whether an answer is a stream of server-sent
// events.
func isEventStream(resp *http.Response) bool {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	return mt == eventStream
}

// locatedJob is the id of the job an answer's Location names.
func locatedJob(resp *http.Response) string {
	loc := resp.Header.Get("Location")
	if i := strings.LastIndex(loc, "/v1/jobs/"); i >= 0 {
		if id := loc[i+len("/v1/jobs/"):]; id != "" && !strings.Contains(id, "/") {
			return id
		}
	}
	return ""
}
