package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"

	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/mcpserver"
)

// inProcess is an http.RoundTripper that answers each request with a
// handler of this process: the way from the MCP endpoint to the API, with
// no network hop. The request carries the MCP caller's Authorization, so
// that the caller's key, and its limits, apply to what its tool calls do.
type inProcess struct{ h http.Handler }

// client returns a client of the API that p's handler serves.
func (p *inProcess) client() *client.Client {
	// No retries: a refusal goes back to the agent at once, and the call
	// holds its caller's /mcp request while it lasts.
	c, err := client.New("http://in-process", client.WithHTTPClient(&http.Client{Transport: p}),
		client.WithRetry(client.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		panic(err) // the URL is a constant
	}
	return c
}

func (p *inProcess) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer req.Body.Close()
	}
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	r.Header.Del("Authorization")
	if auth := mcpserver.CallerHeader(req.Context()).Get("Authorization"); auth != "" {
		r.Header.Set("Authorization", auth)
	}
	w := &responseBuffer{header: make(http.Header)}
	p.h.ServeHTTP(w, r)
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return &http.Response{
		Status:     fmt.Sprintf("%d %s", w.status, http.StatusText(w.status)),
		StatusCode: w.status,
		Proto:      "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// responseBuffer is an http.ResponseWriter that keeps the answer in
// memory. The API's answers to the calls the MCP tools make are bounded by
// the job limits.
type responseBuffer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseBuffer) Header() http.Header { return w.header }

func (w *responseBuffer) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseBuffer) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Flush does nothing: the whole answer is read once the handler returns.
func (w *responseBuffer) Flush() {}
