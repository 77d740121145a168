package client_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/queue"
)

// These tests run against the real server of TestMain (Redis, a worker,
// Chromium). Where a test needs a failure the server does not give at will
// (a lost answer, a 503 from a proxy, a stream that breaks off), a proxy in
// front of the real server makes it.

const unknownID = "0123456789abcdef0123456789abcdef"

// observed is one request the server received.
type observed struct {
	method, path, userAgent, key, lastEventID, query string
}

// observer records the requests a handler receives.
type observer struct {
	mu   sync.Mutex
	reqs []observed
}

var seen = &observer{}

func (o *observer) observe(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.reqs = append(o.reqs, observed{r.Method, r.URL.Path, r.Header.Get("User-Agent"), r.Header.Get("Idempotency-Key"), r.Header.Get("Last-Event-ID"), r.URL.RawQuery})
		o.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// since returns the requests received after the first n.
func (o *observer) since(n int) []observed {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.reqs[n:])
}

func (o *observer) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.reqs)
}

func newClient(t *testing.T, base string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(base, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrorsCarryCodeStatusAndSentinels(t *testing.T) {
	c := newClient(t, serverURL)
	ctx := context.Background()
	_, err := c.Get(ctx, unknownID)
	if !errors.Is(err, sandpit.ErrNotFound) {
		t.Errorf("errors.Is(%v, sandpit.ErrNotFound) = false", err)
	}
	e, ok := errors.AsType[*client.Error](err)
	if !ok || e.StatusCode != http.StatusNotFound || e.Method != "GET" || e.Path != "/v1/jobs/"+unknownID || e.Err.Code != sandpit.ENOTFOUND {
		t.Errorf("error = %#v, want a *client.Error of GET /v1/jobs/%s, 404, not_found", e, unknownID)
	}
	if client.Unreachable(err) {
		t.Error("a 404 counts as unreachable")
	}
	_, err = c.Run(ctx, sandpit.Spec{Code: "x", TimeoutMS: -1})
	if !errors.Is(err, &sandpit.Error{Code: sandpit.EINVALID}) || sandpit.ErrorMessage(err) != "timeout_ms: must not be negative" {
		t.Errorf("invalid spec: %v", err)
	}
	if e, _ := errors.AsType[*client.Error](err); e == nil || e.StatusCode != http.StatusBadRequest {
		t.Errorf("invalid spec: %#v, want status 400", e)
	}
}

func TestSubmissionsCarryIdempotencyKeysAndUserAgent(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, serverURL)
	n := seen.count()
	a, err := c.Submit(ctx, sandpit.Spec{Code: "print(1)"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Submit(ctx, sandpit.Spec{Code: "print(1)"})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == b.ID {
		t.Error("two submissions gave one job")
	}
	if _, err := c.Run(ctx, sandpit.Spec{Code: "print(1)"}); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, r := range seen.since(n) {
		if !strings.HasPrefix(r.userAgent, "sandpit-go/") {
			t.Errorf("%s %s: User-Agent %q", r.method, r.path, r.userAgent)
		}
		if r.method == "POST" {
			if r.key == "" || keys[r.key] {
				t.Errorf("%s %s: Idempotency-Key %q, want a fresh one", r.method, r.path, r.key)
			}
			keys[r.key] = true
		}
	}
	if len(keys) != 3 {
		t.Errorf("%d keys for 3 submissions", len(keys))
	}

	kctx := client.WithIdempotencyKey(ctx, client.NewIdempotencyKey())
	first, err := c.Submit(kctx, sandpit.Spec{Code: "print(2)"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Run(kctx, sandpit.Spec{Code: "print(2)"})
	if err != nil || again.ID != first.ID || again.Stdout != "2\n" {
		t.Errorf("Run with the key of a submitted job = %+v, %v; want job %s, finished", again, err, first.ID)
	}

	n = seen.count()
	named := newClient(t, serverURL, client.WithUserAgent("evalrunner/2.1"))
	named.Get(ctx, a.ID)
	if r := seen.since(n); len(r) != 1 || !strings.HasPrefix(r[0].userAgent, "evalrunner/2.1 sandpit-go/") {
		t.Errorf("requests %+v, want one with User-Agent evalrunner/2.1 sandpit-go/...", r)
	}
}

func TestRetryAfterOnAFullQueue(t *testing.T) {
	// fullURL's queue holds one job, and its worker holds the job "hold"
	// until told to end it.
	ctx := context.Background()
	once := newClient(t, fullURL, client.WithRetry(client.RetryPolicy{MaxAttempts: 1}))
	first, err := once.Submit(ctx, sandpit.Spec{Code: "hold"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = once.Submit(ctx, sandpit.Spec{Code: "second"})
	e, ok := errors.AsType[*client.Error](err)
	if !ok || e.StatusCode != http.StatusTooManyRequests || e.RetryAfter != time.Second || !errors.Is(err, queue.ErrQueueFull) {
		t.Fatalf("submission to a full queue: %#v (%v), want 429 queue_full with Retry-After 1s", e, err)
	}

	// A Retry-After longer than the policy's longest wait is not waited for.
	impatient := newClient(t, fullURL, client.WithRetry(client.RetryPolicy{MaxDelay: 500 * time.Millisecond}))
	start := time.Now()
	if _, err := impatient.Submit(ctx, sandpit.Spec{Code: "second"}); !errors.Is(err, queue.ErrQueueFull) || time.Since(start) > 900*time.Millisecond {
		t.Errorf("with MaxDelay 500ms: %v after %v, want queue_full at once", err, time.Since(start))
	}

	// The default policy waits as told and tries again; the queue has
	// room by then.
	time.AfterFunc(300*time.Millisecond, func() { close(hold) })
	c := newClient(t, fullURL)
	start = time.Now()
	job, err := c.Submit(ctx, sandpit.Spec{Code: "second"})
	if err != nil {
		t.Fatalf("submission after Retry-After: %v", err)
	}
	if took := time.Since(start); took < time.Second {
		t.Errorf("the retry came after %v, before the Retry-After of 1s", took)
	}
	for _, id := range []string{first.ID, job.ID} {
		if j, err := c.Wait(ctx, id); err != nil || j.Status != sandpit.StatusSucceeded {
			t.Errorf("job %s: %+v, %v", id, j, err)
		}
	}
}

func TestRetriesARefusedConnection(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	// Nothing listens: the error says so, after a bounded number of tries.
	c := newClient(t, "http://"+addr, client.WithRetry(client.RetryPolicy{MaxAttempts: 3, MinDelay: 50 * time.Millisecond}))
	start := time.Now()
	_, err = c.Get(ctx, unknownID)
	if !client.Unreachable(err) || time.Since(start) > 5*time.Second {
		t.Fatalf("with no server: %v after %v, want unreachable soon", err, time.Since(start))
	}

	// The server comes up while the client retries.
	target, _ := url.Parse(serverURL)
	srv := httptest.NewUnstartedServer(&faultProxy{target: target})
	t.Cleanup(srv.Close)
	go func() {
		time.Sleep(400 * time.Millisecond)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		srv.Listener = l
		srv.Start()
	}()
	c = newClient(t, "http://"+addr, client.WithRetry(client.RetryPolicy{MaxAttempts: 8, MinDelay: 100 * time.Millisecond}))
	if _, err := c.Get(ctx, unknownID); !errors.Is(err, sandpit.ErrNotFound) {
		t.Errorf("once the server is up: %v, want its not_found", err)
	}
}

func TestRetriesUnavailableAndLostAnswers(t *testing.T) {
	ctx := context.Background()
	target, _ := url.Parse(serverURL)
	p := &faultProxy{target: target}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, client.WithRetry(client.RetryPolicy{MinDelay: 50 * time.Millisecond}))

	t.Run("503, then the answer", func(t *testing.T) {
		p.plan("POST /v1/run", "503")
		job, err := c.Run(ctx, sandpit.Spec{Code: "print('once')"})
		if err != nil || job.Stdout != "once\n" {
			t.Fatalf("Run = %+v, %v", job, err)
		}
		calls := p.calls("POST /v1/run")
		if len(calls) != 2 || calls[0].key == "" || calls[0].key != calls[1].key {
			t.Errorf("calls %+v, want two with one Idempotency-Key", calls)
		}
	})
	t.Run("a lost answer, sent again under the same key", func(t *testing.T) {
		p.plan("POST /v1/jobs", "drop")
		job, err := c.Submit(ctx, sandpit.Spec{Code: "print('once')"})
		if err != nil {
			t.Fatal(err)
		}
		lost := p.lostBody()
		if !strings.Contains(lost, `"id":"`+job.ID+`"`) {
			t.Errorf("the retry gave job %s; the lost answer was %.200s", job.ID, lost)
		}
	})
	t.Run("a lost answer of a request without a key is not sent again", func(t *testing.T) {
		p.plan("POST /v1/pages", "drop")
		_, err := c.CreatePage(ctx, sandpit.Spec{Code: "print(1)"})
		if err == nil || len(p.calls("POST /v1/pages")) != 1 {
			t.Errorf("CreatePage = %v after %d calls, want an error after one", err, len(p.calls("POST /v1/pages")))
		}
	})
	t.Run("a batch upload is sent again only if it rewinds", func(t *testing.T) {
		p.plan("POST /v1/batches", "503")
		b, err := c.SubmitBatch(ctx, strings.NewReader(`{"code": "print(1)"}`+"\n"))
		if err != nil || b.Total != 1 {
			t.Errorf("SubmitBatch of a strings.Reader after a 503 = %+v, %v", b, err)
		}
		p.plan("POST /v1/batches", "503")
		_, err = c.SubmitBatch(ctx, io.MultiReader(strings.NewReader(`{"code": "print(1)"}`+"\n")))
		if e, _ := errors.AsType[*client.Error](err); e == nil || e.StatusCode != http.StatusServiceUnavailable || !client.Unreachable(err) {
			t.Errorf("SubmitBatch of a reader that cannot rewind = %v, want the 503", err)
		}
	})
	t.Run("batch results resume where the stream broke off", func(t *testing.T) {
		b, err := c.SubmitBatch(ctx, strings.NewReader("{\"id\": \"a\", \"code\": \"1\"}\n{\"id\": \"b\", \"code\": \"2\"}\n{\"id\": \"c\", \"code\": \"3\"}\n"))
		if err != nil {
			t.Fatal(err)
		}
		// Once every item has ended, the stream's first line is an item,
		// not a keep-alive blank line: the cut comes after one item.
		testenv.Eventually(t, 2*time.Minute, func() bool {
			got, err := c.GetBatch(ctx, b.ID)
			return err == nil && got.Finished
		}, "batch %s did not finish", b.ID)
		p.plan("GET /v1/batches/"+b.ID+"/results", "cut")
		var got []string
		for job, err := range c.BatchResults(ctx, b.ID) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, job.ItemID)
		}
		calls := p.calls("GET /v1/batches/" + b.ID + "/results")
		if !slices.Equal(got, []string{"a", "b", "c"}) || len(calls) != 2 {
			t.Fatalf("items %v over %d streams, want a, b, c over 2", got, len(calls))
		}
		if calls[0].query != "" || calls[1].query != "from=1" {
			t.Errorf("the streams asked for %q and %q, want all and then from=1", calls[0].query, calls[1].query)
		}
		got = nil
		p.plan("GET /v1/batches/"+b.ID+"/results", "blank-lines")
		for job, err := range c.BatchResults(ctx, b.ID) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, job.ItemID)
		}
		if !slices.Equal(got, []string{"a", "b", "c"}) {
			t.Errorf("items among blank lines: %v, want a, b, c", got)
		}
		got = nil
		for job, err := range c.BatchResultsFrom(ctx, b.ID, 1) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, job.ItemID)
		}
		if !slices.Equal(got, []string{"b", "c"}) {
			t.Errorf("items from 1: %v, want b, c", got)
		}
	})
}

func TestWaitAndFiles(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, serverURL)
	job, err := c.Submit(ctx, sandpit.Spec{Code: "import os, time\ntime.sleep(0.3)\nos.makedirs('sub dir')\nopen('sub dir/a b.txt', 'w').write('hi')"})
	if err != nil {
		t.Fatal(err)
	}
	job, err = c.Wait(ctx, job.ID)
	if err != nil || job.Status != sandpit.StatusSucceeded {
		t.Fatalf("Wait = %+v, %v", job, err)
	}
	if data, err := c.File(ctx, job.ID, "sub dir/a b.txt"); err != nil || string(data) != "hi" {
		t.Errorf("File = %q, %v", data, err)
	}
	if _, err := c.File(ctx, job.ID, "missing.txt"); !errors.Is(err, sandpit.ErrNotFound) {
		t.Errorf("File of a missing file: %v, want not_found", err)
	}

	slow, err := c.Submit(ctx, sandpit.Spec{Code: "import time\ntime.sleep(30)"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Cancel(ctx, slow.ID)
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := c.Wait(wctx, slow.ID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Wait past its context: %v", err)
	}
}

func TestBatchEvents(t *testing.T) {
	ctx := context.Background()
	c := newClient(t, serverURL)
	b, err := c.SubmitBatch(ctx, strings.NewReader("{\"code\": \"import time\\ntime.sleep(0.3)\"}\n{\"code\": \"1\", \"test\": \"assert False\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var last sandpit.Batch
	for ev, err := range c.BatchEvents(ctx, b.ID) {
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, ev.Type)
		last = ev.Batch
	}
	if len(types) == 0 || types[len(types)-1] != "done" || slices.Index(types, "done") != len(types)-1 {
		t.Errorf("events %v, want progress events and then done", types)
	}
	if !last.Finished || last.Done != 2 || last.Failed != 1 {
		t.Errorf("the done event's batch = %+v", last)
	}
	for _, err := range c.BatchEvents(ctx, unknownID) {
		if !errors.Is(err, sandpit.ErrNotFound) {
			t.Errorf("events of an unknown batch: %v", err)
		}
	}
}

// faultProxy forwards requests to the real server, and fails those it is
// told to, once each: "503" answers 503 itself; "drop" forwards the request
// and then drops the connection instead of answering; "cut" forwards it and
// drops the connection after the answer's first line; "cut-after-stdout"
// forwards server-sent events and drops the connection after the first
// stdout event; "blank-lines" forwards the answer with a blank line before
// each of its lines, as the results of a batch are while no item ends.
type faultProxy struct {
	target *url.URL

	mu     sync.Mutex
	faults map[string][]string // by "METHOD path"
	log    []observed
	lost   string // the body of the last answer dropped
}

func (p *faultProxy) plan(route, fault string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.faults == nil {
		p.faults = map[string][]string{}
	}
	p.faults[route] = append(p.faults[route], fault)
}

func (p *faultProxy) calls(route string) []observed {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []observed
	for _, o := range p.log {
		if o.method+" "+o.path == route {
			out = append(out, o)
		}
	}
	return out
}

func (p *faultProxy) lostBody() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lost
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	p.mu.Lock()
	p.log = append(p.log, observed{r.Method, r.URL.Path, r.Header.Get("User-Agent"), r.Header.Get("Idempotency-Key"), r.Header.Get("Last-Event-ID"), r.URL.RawQuery})
	var fault string
	if f := p.faults[route]; len(f) > 0 {
		fault, p.faults[route] = f[0], f[1:]
	}
	p.mu.Unlock()
	if fault == "503" {
		io.Copy(io.Discard, r.Body)
		http.Error(w, "upstream unavailable", http.StatusServiceUnavailable)
		return
	}
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.RequestURI, out.Host = p.target.Scheme, p.target.Host, "", ""
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	switch fault {
	case "drop":
		data, _ := io.ReadAll(resp.Body)
		p.mu.Lock()
		p.lost = string(data)
		p.mu.Unlock()
		panic(http.ErrAbortHandler)
	case "blank-lines":
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		for rd := bufio.NewReader(resp.Body); ; {
			line, err := rd.ReadBytes('\n')
			if len(line) > 0 {
				w.Write(append([]byte("\n\n"), line...))
				w.(http.Flusher).Flush()
			}
			if err != nil {
				return
			}
		}
	case "cut-after-stdout":
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		stdout := false
		for rd := bufio.NewReader(resp.Body); ; {
			line, err := rd.ReadBytes('\n')
			w.Write(line)
			w.(http.Flusher).Flush()
			stdout = stdout || string(line) == "event: stdout\n"
			if err != nil || stdout && string(line) == "\n" {
				break
			}
		}
		panic(http.ErrAbortHandler)
	case "cut":
		line, _ := bufio.NewReader(resp.Body).ReadBytes('\n')
		w.Header().Set("Content-Type", resp.Header.Get("Content-Type"))
		w.WriteHeader(resp.StatusCode)
		w.Write(line)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(flushWriter{w}, resp.Body)
}

// flushWriter flushes each write, so that streams pass through as they
// come.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.w.(http.Flusher).Flush()
	return n, err
}
