package runner

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"

	"github.com/sandpit-dev/sandpit/page"
)

func paused(frame cdp.FrameID, p string) *fetch.EventRequestPaused {
	return &fetch.EventRequestPaused{FrameID: frame, Request: &network.Request{Method: http.MethodGet, URL: Origin + p}}
}

// TestAssetsAnswerOneSpellingOnly fetches one asset under many spellings of
// its path: only the canonical one is answered, and the cache holds it
// once, where it used to hold the whole file for each spelling.
func TestAssetsAnswerOneSpellingOnly(t *testing.T) {
	c := newAssetCache(page.Handler())
	c.open("tab")
	if _, ok := c.decide(paused("tab", "/pyodide/pyodide.asm.wasm")); !ok {
		t.Fatal("the asset is refused")
	}
	answered := 0
	for i := 1; i <= 20; i++ {
		for _, p := range []string{
			"/pyodide/" + strings.Repeat("/", i) + "pyodide.asm.wasm",
			"/pyodide/" + strings.Repeat("./", i) + "pyodide.asm.wasm",
			"/pyodide/x/" + strings.Repeat("../", i) + "pyodide/pyodide.asm.wasm",
		} {
			c.open("tab") // the budget is not what refuses them
			if _, ok := c.decide(paused("tab", p)); ok {
				answered++
			}
		}
	}
	if answered != 0 {
		t.Fatalf("answered %d other spellings of the asset, want none", answered)
	}
	if items, size := c.cached(); items != 1 || size > 16<<20 {
		t.Fatalf("the cache holds %d assets, %d bytes; want the one asset", items, size)
	}
	for _, p := range []string{"/pyodide/", "/", "/sandbox.html/", "/./sandbox.html"} {
		if _, ok := c.decide(paused("tab", p)); ok {
			t.Errorf("%s answered", p)
		}
	}
	if _, ok := c.decide(paused("tab", page.SandboxPath)); !ok {
		t.Error("the sandbox page is refused")
	}
}

// bigAssets serves a 10 MiB body at every path.
type bigAssets struct{}

func (bigAssets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Write(make([]byte, 10<<20))
}

// TestAssetCacheIsBounded fetches more distinct assets than the cache may
// hold: it keeps the most recent, within its bound.
func TestAssetCacheIsBounded(t *testing.T) {
	c := newAssetCache(bigAssets{})
	for i := range 40 {
		c.open("tab")
		if _, ok := c.decide(paused("tab", "/asset"+strings.Repeat("x", i))); !ok {
			t.Fatalf("asset %d refused", i)
		}
		if _, size := c.cached(); size > cacheMaxBytes {
			t.Fatalf("after %d assets the cache holds %d bytes, over %d", i+1, size, cacheMaxBytes)
		}
	}
	if items, _ := c.cached(); items != cacheMaxBytes/(10<<20) {
		t.Fatalf("the cache holds %d assets, want the %d most recent", items, cacheMaxBytes/(10<<20))
	}
}

// TestFetchBudget: a tab fetching the same asset over and over runs out of
// its budget; another tab, and the tab's next job, have theirs; a tab the
// runner does not know has none.
func TestFetchBudget(t *testing.T) {
	c := newAssetCache(page.Handler())
	c.open("greedy")
	c.open("other")
	wasm := "/pyodide/pyodide.asm.wasm"
	answered := 0
	for range 100 {
		if _, ok := c.decide(paused("greedy", wasm)); ok {
			answered++
		}
	}
	size := len(c.get(wasm).body)
	if max := fetchBurst/size + 2; answered > max || answered == 0 {
		t.Fatalf("answered %d of 100 fetches of %d bytes, want 1 to %d", answered, size, max)
	}
	if _, ok := c.decide(paused("other", wasm)); !ok {
		t.Fatal("another tab is refused")
	}
	c.open("greedy")
	if _, ok := c.decide(paused("greedy", wasm)); !ok {
		t.Fatal("the tab's next job is refused")
	}
	c.forget("other")
	for _, frame := range []cdp.FrameID{"other", "unknown", ""} {
		if _, ok := c.decide(paused(frame, page.SandboxPath)); ok {
			t.Errorf("tab %q is answered", frame)
		}
	}
	// Refused requests cost too.
	c.open("small")
	refused := 0
	for range 100000 {
		if _, ok := c.decide(paused("small", "/nosuch")); !ok {
			if _, ok := c.decide(paused("small", page.SandboxPath)); !ok {
				refused++
			}
		}
	}
	if refused == 0 {
		t.Fatal("a flood of refused requests never ran out of budget")
	}
}
