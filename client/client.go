// Package client is a Go client of sandpit's HTTP API.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"

	"github.com/sandpit-dev/sandpit"
)

// Client talks to one sandpit server. The zero value is not usable: make one
// with New.
type Client struct {
	base   string
	http   *http.Client
	apiKey string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithAPIKey sends key as a bearer token with every request.
func WithAPIKey(key string) Option { return func(c *Client) { c.apiKey = key } }

// New returns a client of the server at baseURL, such as
// "http://127.0.0.1:8080".
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("server URL %q: want http://HOST:PORT or https://HOST", baseURL)
	}
	c := &Client{base: strings.TrimRight(baseURL, "/"), http: http.DefaultClient}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// Run runs spec and waits for the finished job.
func (c *Client) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, http.MethodPost, "/v1/run", spec, &job)
	return job, err
}

// Submit enqueues spec and returns the queued job at once.
func (c *Client) Submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, http.MethodPost, "/v1/jobs", spec, &job)
	return job, err
}

// Get returns the job as it is now.
func (c *Client) Get(ctx context.Context, id string) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, http.MethodGet, "/v1/jobs/"+url.PathEscape(id), nil, &job)
	return job, err
}

// Cancel cancels a queued or running job.
func (c *Client) Cancel(ctx context.Context, id string) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, http.MethodDelete, "/v1/jobs/"+url.PathEscape(id), nil, &job)
	return job, err
}

// do sends one JSON request and decodes the JSON answer into out.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	ct := ""
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body, ct = bytes.NewReader(data), "application/json"
	}
	resp, err := c.send(ctx, method, path, ct, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return decode(resp, out)
}

// send sends one request with the client's credentials.
func (c *Client) send(ctx context.Context, method, path, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp, nil
}

// decode reads a JSON answer into out. An error answer comes back as a
// *sandpit.Error with the server's code and message.
func decode(resp *http.Response, out any) error {
	if resp.StatusCode >= 400 {
		var e struct {
			Error sandpit.Error `json:"error"`
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if json.Unmarshal(data, &e) != nil || e.Error.Code == "" {
			return fmt.Errorf("%s %s: %s", resp.Request.Method, resp.Request.URL.Path, resp.Status)
		}
		return &e.Error
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	return nil
}

// SubmitBatch uploads a batch as JSON lines, one job spec per line (each may
// carry "id" and "test"), streaming r, and returns the accepted batch.
func (c *Client) SubmitBatch(ctx context.Context, r io.Reader) (sandpit.Batch, error) {
	var b sandpit.Batch
	resp, err := c.send(ctx, http.MethodPost, "/v1/batches", "application/x-ndjson", r)
	if err != nil {
		return b, err
	}
	defer resp.Body.Close()
	return b, decode(resp, &b)
}

// GetBatch returns a batch's progress.
func (c *Client) GetBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	var b sandpit.Batch
	err := c.do(ctx, http.MethodGet, "/v1/batches/"+url.PathEscape(id), nil, &b)
	return b, err
}

// CancelBatch cancels the items of a batch that have not ended.
func (c *Client) CancelBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	var b sandpit.Batch
	err := c.do(ctx, http.MethodDelete, "/v1/batches/"+url.PathEscape(id), nil, &b)
	return b, err
}

// BatchResults yields a batch's jobs in submission order, each as soon as it
// has ended.
func (c *Client) BatchResults(ctx context.Context, id string) iter.Seq2[sandpit.Job, error] {
	return func(yield func(sandpit.Job, error) bool) {
		resp, err := c.send(ctx, http.MethodGet, "/v1/batches/"+url.PathEscape(id)+"/results", "", nil)
		if err != nil {
			yield(sandpit.Job{}, err)
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode >= 400 {
			yield(sandpit.Job{}, decode(resp, nil))
			return
		}
		dec := json.NewDecoder(resp.Body)
		for {
			var job sandpit.Job
			if err := dec.Decode(&job); errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				yield(job, fmt.Errorf("read batch results: %w", err))
				return
			}
			if !yield(job, nil) {
				return
			}
		}
	}
}

// CreateSession opens a session: one interpreter that keeps its state
// across the runs sent to it.
func (c *Client) CreateSession(ctx context.Context, spec sandpit.SessionSpec) (sandpit.Session, error) {
	var s sandpit.Session
	err := c.do(ctx, http.MethodPost, "/v1/sessions", spec, &s)
	return s, err
}

// GetSession returns a session as it is now.
func (c *Client) GetSession(ctx context.Context, id string) (sandpit.Session, error) {
	var s sandpit.Session
	err := c.do(ctx, http.MethodGet, "/v1/sessions/"+url.PathEscape(id), nil, &s)
	return s, err
}

// RunInSession runs spec in a session's interpreter and waits for the
// finished job. The spec's memory_mb and test must be empty: a session's
// memory is set when it is created.
func (c *Client) RunInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	var job sandpit.Job
	err := c.do(ctx, http.MethodPost, "/v1/sessions/"+url.PathEscape(id)+"/run", spec, &job)
	return job, err
}

// CloseSession ends a session and frees its interpreter.
func (c *Client) CloseSession(ctx context.Context, id string) (sandpit.Session, error) {
	var s sandpit.Session
	err := c.do(ctx, http.MethodDelete, "/v1/sessions/"+url.PathEscape(id), nil, &s)
	return s, err
}

// CreatePage stores spec as a page that runs the code in the browser of
// whoever opens the page's URL.
func (c *Client) CreatePage(ctx context.Context, spec sandpit.Spec) (sandpit.Page, error) {
	var p sandpit.Page
	err := c.do(ctx, http.MethodPost, "/v1/pages", spec, &p)
	return p, err
}
