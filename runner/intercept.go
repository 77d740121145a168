package runner

import (
	"bytes"
	"context"
	"iter"
	"net/http"
	"net/url"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
)

// Origin is where a sandbox believes its page lives. Nothing answers there:
// every request of every sandbox is paused by the DevTools Fetch domain and
// either answered from the asset handler in memory or failed, so the browser
// never opens a connection of its own.
const Origin = "https://sandpit.invalid"

// response is one asset, rendered once by the asset handler.
type response struct {
	status  int
	headers []*fetch.HeaderEntry
	body    []byte
}

// assetCache renders each asset path once; the handler's answers are fixed for
// the life of the process.
type assetCache struct {
	handler http.Handler
	mu      sync.Mutex
	byPath  map[string]*response
}

func newAssetCache(h http.Handler) *assetCache {
	return &assetCache{handler: h, byPath: make(map[string]*response)}
}

func (c *assetCache) get(path string) *response {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r, ok := c.byPath[path]; ok {
		return r
	}
	req, err := http.NewRequest(http.MethodGet, Origin+path, nil)
	if err != nil {
		return &response{status: http.StatusBadRequest}
	}
	rec := &recorder{header: make(http.Header), status: http.StatusOK}
	c.handler.ServeHTTP(rec, req)
	r := &response{status: rec.status, body: rec.body.Bytes()}
	for k, vs := range rec.header {
		for _, v := range vs {
			r.headers = append(r.headers, &fetch.HeaderEntry{Name: k, Value: v})
		}
	}
	r.headers = append(r.headers, &fetch.HeaderEntry{Name: "Access-Control-Allow-Origin", Value: Origin})
	if r.status == http.StatusOK {
		c.byPath[path] = r
	}
	return r
}

// recorder is an in-memory http.ResponseWriter.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.body.Write(p)
}

// decide answers one paused request: GETs of sandpit's own origin get the
// asset, everything else is refused.
func (c *assetCache) decide(ev *fetch.EventRequestPaused) (*response, bool) {
	if ev.Request == nil || ev.Request.Method != http.MethodGet {
		return nil, false
	}
	u, err := url.Parse(ev.Request.URL)
	if err != nil || u.Scheme+"://"+u.Host != Origin || u.User != nil {
		return nil, false
	}
	r := c.get(u.Path)
	return r, r.status == http.StatusOK
}

// intercept answers every request that s pauses. Call it with the iterator
// of s's Fetch.requestPaused events, made before Fetch.enable so that none is
// missed. It returns when ctx ends or the session goes away.
func (c *assetCache) intercept(ctx context.Context, s cdp.Session, events iter.Seq2[fetch.EventRequestPaused, error]) {
	for ev, err := range events {
		if err != nil {
			return
		}
		go c.answer(ctx, s, &ev)
	}
}

func (c *assetCache) answer(ctx context.Context, s cdp.Session, ev *fetch.EventRequestPaused) {
	if r, ok := c.decide(ev); ok {
		cdp.Call(ctx, s, fetch.FulfillRequest, fetch.FulfillRequestParams{
			RequestID:       ev.RequestID,
			ResponseCode:    int64(r.status),
			ResponseHeaders: r.headers,
			Body:            r.body,
		})
		return
	}
	cdp.Call(ctx, s, fetch.FailRequest, fetch.FailRequestParams{
		RequestID:   ev.RequestID,
		ErrorReason: network.ErrorReasonBlockedByClient,
	})
}
