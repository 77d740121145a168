package runner

import (
	"bytes"
	"compress/gzip"
	"context"
	"iter"
	"net/http"
	"net/url"
	"path"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/time/rate"

	"github.com/sandpit-dev/sandpit/page"
)

// Origin is where a sandbox believes its page lives. Nothing answers there:
// every request of every sandbox is paused by the DevTools Fetch domain and
// either answered from the asset handler in memory or failed, so the browser
// never opens a connection of its own.
const Origin = "https://sandpit.invalid"

// What the asset cache holds, and what one job may fetch. Every answer
// crosses the DevTools pipe that all jobs share, which carries about 10 MB
// a second, so a job that fetched the same asset over and over would stall
// the others: each tab has a budget of bytes, full at the start of each job
// and refilled slowly, and a request past it is refused. Each request costs
// at least minRequestCost, so that a flood of small or refused requests is
// bounded too. A host's start (Pyodide's files) and a job that loads a few
// large packages fit in the burst.
const (
	cacheMaxBytes  = 128 << 20
	cacheMaxItems  = 4096
	fetchBurst     = 64 << 20
	fetchRate      = 1 << 20 // bytes a second
	minRequestCost = 4 << 10
)

// response is one asset, rendered once by the asset handler.
type response struct {
	status  int
	headers []*fetch.HeaderEntry
	body    []byte
}

// notFound answers what is not an asset.
var notFound = &response{status: http.StatusNotFound}

// assetCache answers the sandboxes' requests from the asset handler. It
// renders each asset once and keeps the most recently used, up to
// cacheMaxBytes; the handler's answers are fixed for the life of the
// process. It keeps each tab's fetch budget.
type assetCache struct {
	handler http.Handler

	mu       sync.Mutex
	shared   *response                         // the snapshot at page.SharedSnapshotPath, once there is one
	snapshot []byte                            // the same, as the host made it
	byPath   *simplelru.LRU[string, *response] // by canonical path
	size     int                               // bytes of the bodies held
	frames   map[cdp.FrameID]*rate.Limiter     // the fetch budget of each open tab
}

func newAssetCache(h http.Handler) *assetCache {
	c := &assetCache{handler: h, frames: make(map[cdp.FrameID]*rate.Limiter)}
	c.byPath, _ = simplelru.NewLRU(cacheMaxItems, func(_ string, r *response) { c.size -= len(r.body) })
	return c
}

// canonical reports whether p is the one spelling of a path: absolute, with
// no empty, "." or ".." element and no trailing slash. Each asset has one
// URL, so that it is rendered, cached and counted once.
func canonical(p string) bool {
	return len(p) > 1 && p[0] == '/' && path.Clean(p) == p
}

// share serves snapshot at page.SharedSnapshotPath from now on, for hosts
// to boot from; nil takes it away. It is served compressed with gzip,
// which the page undoes (see page.SharedSnapshotPath): each host's copy
// crosses the DevTools pipe in base64, and the snapshot, mostly the
// interpreter's empty heap, compresses to a fifth.
func (c *assetCache) share(snapshot []byte) {
	var shared *response
	if snapshot != nil {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(snapshot)
		zw.Close()
		shared = &response{status: http.StatusOK, body: buf.Bytes(), headers: []*fetch.HeaderEntry{
			{Name: "Content-Type", Value: "application/octet-stream"},
			{Name: "Access-Control-Allow-Origin", Value: Origin},
		}}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.shared, c.snapshot = shared, snapshot
}

// sharedSnapshot returns the snapshot that is shared, or nil.
func (c *assetCache) sharedSnapshot() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.snapshot
}

// sharing reports whether a shared snapshot is served.
func (c *assetCache) sharing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.shared != nil
}

// get returns the handler's answer for p, a canonical path.
func (c *assetCache) get(p string) *response {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p == page.SharedSnapshotPath {
		if c.shared == nil {
			return notFound
		}
		return c.shared
	}
	if r, ok := c.byPath.Get(p); ok {
		return r
	}
	req, err := http.NewRequest(http.MethodGet, Origin+p, nil)
	if err != nil {
		return notFound
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
	if r.status == http.StatusOK && len(r.body) <= cacheMaxBytes/4 {
		c.byPath.Add(p, r)
		c.size += len(r.body)
		for c.size > cacheMaxBytes {
			c.byPath.RemoveOldest()
		}
	}
	return r
}

// cached returns how many assets and bytes the cache holds.
func (c *assetCache) cached() (items, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.byPath.Len(), c.size
}

// open gives the tab frame a full fetch budget: when it opens, and at the
// start of each of its jobs.
func (c *assetCache) open(frame cdp.FrameID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frames[frame] = rate.NewLimiter(fetchRate, fetchBurst)
}

// forget drops the budget of a tab that has closed.
func (c *assetCache) forget(frame cdp.FrameID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.frames, frame)
}

// spend takes n bytes from frame's budget, and reports whether there were
// enough. A tab the cache does not know has none.
func (c *assetCache) spend(frame cdp.FrameID, n int) bool {
	c.mu.Lock()
	lim := c.frames[frame]
	c.mu.Unlock()
	return lim != nil && lim.AllowN(time.Now(), min(max(n, minRequestCost), fetchBurst))
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

// decide answers one paused request: a GET of sandpit's own origin, by the
// canonical path of an asset, within its tab's budget, gets the asset;
// everything else is refused.
func (c *assetCache) decide(ev *fetch.EventRequestPaused) (*response, bool) {
	if ev.Request == nil || ev.Request.Method != http.MethodGet {
		return nil, false
	}
	u, err := url.Parse(ev.Request.URL)
	if err != nil || u.Scheme+"://"+u.Host != Origin || u.User != nil {
		return nil, false
	}
	r := notFound
	if canonical(u.Path) {
		r = c.get(u.Path)
	}
	if !c.spend(ev.FrameID, len(r.body)) {
		return nil, false
	}
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
