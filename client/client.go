// Package client is a Go client of sandpit's HTTP API.
//
// Every submission carries an Idempotency-Key, so that a request retried
// after a lost answer never runs its code twice. Requests that fail in a
// way that may pass later (429 and 503 answers, connections refused or
// dropped) are retried with backoff, honouring Retry-After, a bounded
// number of times (see RetryPolicy). An error answer is an *Error, which
// wraps the server's *sandpit.Error: errors.Is(err, sandpit.ErrNotFound)
// and sandpit.ErrorCode(err) work on it.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/version"
)

// Client talks to one sandpit server. The zero value is not usable: make one
// with New. A Client is safe for concurrent use.
type Client struct {
	base      string
	http      *http.Client
	apiKey    string
	userAgent string
	retry     RetryPolicy
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithAPIKey sends key as a bearer token with every request.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// WithRetry sets how failed requests are retried; RetryPolicy{MaxAttempts: 1}
// turns retries off.
func WithRetry(p RetryPolicy) Option { return func(c *Client) { c.retry = p } }

// WithUserAgent names the program that uses the client, such as
// "evalrunner/2.1", before the client's own name in the User-Agent header.
func WithUserAgent(product string) Option {
	return func(c *Client) { c.userAgent = product + " " + userAgent() }
}

// userAgent is the client's own product token.
func userAgent() string { return "sandpit-go/" + version.String() }

// New returns a client of the server at baseURL, such as
// "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST:PORT or https://HOST", baseURL)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: http.DefaultClient, userAgent: userAgent()}
	for _, o := range opts {
		o(c)
	}
	c.retry = c.retry.withDefaults()
	return c, nil
}

type idempotencyKey struct{}

// WithIdempotencyKey returns a context under which Run and Submit send key
// as their Idempotency-Key instead of a fresh one: a submission repeated
// with the same key (by the same API key, within the server's retention
// time) returns the job the first one created, even from another process.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// NewIdempotencyKey returns a fresh random key for WithIdempotencyKey.
func NewIdempotencyKey() string { return rand.Text() }

// submissionKey is the key of one submission: the caller's, or a fresh one
// that every retry of the submission repeats.
func submissionKey(ctx context.Context) string {
	if k, ok := ctx.Value(idempotencyKey{}).(string); ok && k != "" {
		return k
	}
	return NewIdempotencyKey()
}

// Run runs spec and waits for the finished job.
func (c *Client) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, request{method: http.MethodPost, path: "/v1/run", in: spec, key: submissionKey(ctx)}, &job)
	return job, err
}

// Submit enqueues spec and returns the queued job at once; Wait waits for
// it to end.
func (c *Client) Submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, request{method: http.MethodPost, path: "/v1/jobs", in: spec, key: submissionKey(ctx)}, &job)
	return job, err
}

// Get returns the job as it is now.
func (c *Client) Get(ctx context.Context, id string) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, request{method: http.MethodGet, path: "/v1/jobs/" + url.PathEscape(id)}, &job)
	return job, err
}

// Cancel cancels a queued or running job. A job that has already ended
// gives an error with code conflict.
func (c *Client) Cancel(ctx context.Context, id string) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, request{method: http.MethodDelete, path: "/v1/jobs/" + url.PathEscape(id)}, &job)
	return job, err
}

// File returns the bytes of one output file of a finished job, by its path
// in the job's files (such as "figures/figure_1.png").
func (c *Client) File(ctx context.Context, id, path string) ([]byte, error) {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/v1/jobs/" + url.PathEscape(id) + "/files/" + strings.Join(segs, "/")})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return nil, answerError(resp)
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read file %q of job %s: %w", path, id, err)
	}
	return data, nil
}

// Info returns what the server is: its version, the interpreter, the limits
// in force and the packages jobs may import.
func (c *Client) Info(ctx context.Context) (sandpit.Info, error) {
	var in sandpit.Info
	err := c.do(ctx, request{method: http.MethodGet, path: "/v1/info"}, &in)
	return in, err
}

// CreateSession opens a session: one interpreter that keeps its state
// across the runs sent to it.
func (c *Client) CreateSession(ctx context.Context, spec sandpit.SessionSpec) (sandpit.Session, error) {
	var s sandpit.Session
	err := c.do(ctx, request{method: http.MethodPost, path: "/v1/sessions", in: spec}, &s)
	return s, err
}

// GetSession returns a session as it is now.
func (c *Client) GetSession(ctx context.Context, id string) (sandpit.Session, error) {
	var s sandpit.Session
	err := c.do(ctx, request{method: http.MethodGet, path: "/v1/sessions/" + url.PathEscape(id)}, &s)
	return s, err
}

// RunInSession runs spec in a session's interpreter and waits for the
// finished job. The spec's memory_mb and test must be empty: a session's
// memory is set when it is created.
func (c *Client) RunInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, request{method: http.MethodPost, path: "/v1/sessions/" + url.PathEscape(id) + "/run", in: spec}, &job)
	return job, err
}

// CloseSession ends a session and frees its interpreter.
func (c *Client) CloseSession(ctx context.Context, id string) (sandpit.Session, error) {
	var s sandpit.Session
	err := c.do(ctx, request{method: http.MethodDelete, path: "/v1/sessions/" + url.PathEscape(id)}, &s)
	return s, err
}

// CreatePage stores spec as a page that runs the code in the browser of
// whoever opens the page's URL.
func (c *Client) CreatePage(ctx context.Context, spec sandpit.Spec) (sandpit.Page, error) {
	var p sandpit.Page
	err := c.do(ctx, request{method: http.MethodPost, path: "/v1/pages", in: spec}, &p)
	return p, err
}

// request is one call of the API.
type request struct {
	method, path string
	in           any       // sent as JSON when not nil
	body         io.Reader // sent as it is when in is nil
	contentType  string    // of body
	// rewind, when set, brings body back to its start, so that the
	// request can be sent again.
	rewind func() error
	key    string // Idempotency-Key, when not empty
	// accept is the media type asked for; default application/json.
	accept string
	// lastEventID, when not empty, resumes a stream of events after it.
	lastEventID string
}

// do sends one request and decodes the JSON answer into out.
func (c *Client) do(ctx context.Context, r request, out any) error {
	resp, err := c.send(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return answerError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", r.method, r.path, err)
	}
	return nil
}

// send sends r, retrying as the client's policy allows, and returns the
// last answer, whatever its status.
func (c *Client) send(ctx context.Context, r request) (*http.Response, error) {
	var payload []byte
	if r.in != nil {
		data, err := json.Marshal(r.in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", r.method, r.path, err)
		}
		payload, r.contentType = data, "application/json"
	}
	// A body streamed from a reader is sent twice only if it rewinds.
	replayable := r.body == nil || r.rewind != nil
	// A request may be sent again after its answer was lost only when
	// sending it twice does what sending it once does.
	repeatable := r.method == http.MethodGet || r.key != ""
	for attempt := 1; ; attempt++ {
		var body io.Reader
		if r.body != nil {
			// The transport closes a body it has sent; the caller's
			// reader is the caller's to close.
			body = io.NopCloser(r.body)
		}
		if payload != nil {
			body = bytes.NewReader(payload)
		} else if attempt > 1 && r.rewind != nil {
			if err := r.rewind(); err != nil {
				return nil, fmt.Errorf("%s %s: rewind the body to send it again: %w", r.method, r.path, err)
			}
		}
		req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
		if r.contentType != "" {
			req.Header.Set("Content-Type", r.contentType)
		}
		accept := r.accept
		if accept == "" {
			accept = "application/json"
		}
		req.Header.Set("Accept", accept)
		if r.lastEventID != "" {
			req.Header.Set("Last-Event-ID", r.lastEventID)
		}
		req.Header.Set("User-Agent", c.userAgent)
		if c.apiKey != "" {
			req.Header.Set("Authorization", "Bearer "+c.apiKey)
		}
		if r.key != "" {
			req.Header.Set("Idempotency-Key", r.key)
		}
		resp, err := c.http.Do(req)
		more := replayable && attempt < c.retry.MaxAttempts
		if err != nil {
			err = fmt.Errorf("%s %s: %w", r.method, r.path, err)
			if !more || ctx.Err() != nil || !(repeatable || notSent(err)) {
				return nil, err
			}
			if werr := c.retry.wait(ctx, attempt, 0); werr != nil {
				return nil, err
			}
			continue
		}
		if !more || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
			return resp, nil
		}
		after, given := retryAfter(resp.Header)
		// A 429 without Retry-After is a limit that waiting does not lift
		// (a key's open sessions); one whose wait is longer than the
		// policy allows is the caller's to decide on.
		if (resp.StatusCode == http.StatusTooManyRequests && !given) || after > c.retry.MaxDelay {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if err := c.retry.wait(ctx, attempt, after); err != nil {
			return nil, fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
	}
}
