package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// playground drives the playground page of one tab.
type playground struct {
	t   *testing.T
	ctx context.Context
}

// run runs code in mode ("server" or "browser"), by Ctrl+Enter in the code
// box or with the Run button, and returns the status and the text shown.
func (p playground) run(mode, code string, keyboard bool) (string, string) {
	t := p.t
	t.Helper()
	do(t, p.ctx, 10*time.Second,
		chromedp.Click(chromedp.CSS(`input[name="mode"][value="`+mode+`"]`)),
		chromedp.SetValue(chromedp.ID("code"), code),
		chromedp.Focus(chromedp.ID("code")),
	)
	eval[any](t, p.ctx, 5*time.Second, `document.body.dataset.status = "loading"`)
	if keyboard {
		do(t, p.ctx, 10*time.Second, chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	} else {
		do(t, p.ctx, 10*time.Second, chromedp.Click(chromedp.ID("run")))
	}
	status := waitStatus(t, p.ctx)
	return status, eval[string](t, p.ctx, 5*time.Second, `document.getElementById("output").innerText`)
}

// example picks an example from the list.
func (p playground) example(name string) {
	p.t.Helper()
	eval[any](p.t, p.ctx, 5*time.Second, `(() => { const s = document.getElementById("example");
		s.value = "`+name+`"; s.dispatchEvent(new Event("change")); })()`)
}

// runExample runs the current code, with what the example set, in mode.
func (p playground) runExample(mode string) (string, string) {
	code := eval[string](p.t, p.ctx, 5*time.Second, `document.getElementById("code").value`)
	return p.run(mode, code, false)
}

// TestPlayground runs code on the server and in the browser from the
// playground, by keyboard and by button, and checks what it shows: stdout,
// the result, a traceback, a timeout, files in and out, and the errors of a
// missing API key and of a server out of reach. It also checks that a narrow screen needs no sideways
// scrolling, and takes the screenshot in README (written to the file named
// by $SANDPIT_SCREENSHOT, as `make screenshot` does).
func TestPlayground(t *testing.T) {
	ctx := tab(t)
	p := playground{t, ctx}
	do(t, ctx, time.Minute, chromedp.EmulateViewport(1100, 1000), chromedp.Navigate(webBase+"/"))

	// The server has API keys: the playground asks for one, and says so
	// clearly when it is missing.
	if hidden := eval[bool](t, ctx, 5*time.Second, `document.getElementById("key-field").hidden`); hidden {
		t.Error("the API key field is hidden on a server with keys")
	}
	status, text := p.run("server", "print(1)", true)
	if status != "problem" || !strings.Contains(text, "The server needs an API key.") {
		t.Fatalf("without a key: %s\n%s", status, text)
	}
	do(t, ctx, 5*time.Second, chromedp.SendKeys(chromedp.ID("key"), webKey))

	for _, mode := range []string{"server", "browser"} {
		t.Run(mode, func(t *testing.T) {
			p := playground{t, ctx}
			status, text := p.run(mode, "print('hello from the playground')\n6 * 7", true)
			if status != "succeeded" || !strings.Contains(text, "hello from the playground") || !strings.Contains(text, "42") {
				t.Errorf("stdout and result: %s\n%s", status, text)
			}
			where := map[string]string{"server": "on the server", "browser": "in this browser"}[mode]
			if !strings.Contains(text, where) || !strings.Contains(text, "exit code 0") || !strings.Contains(text, " ms") {
				t.Errorf("the status line lacks where, exit code or timing:\n%s", text)
			}
			status, text = p.run(mode, "def f():\n    raise ValueError('bad value')\n\nf()", false)
			tb := eval[string](t, ctx, 5*time.Second, `(document.querySelector(".traceback") || {}).textContent || ""`)
			if status != "failed" || !strings.Contains(tb, "Traceback (most recent call last)") ||
				!strings.Contains(tb, `line 4, in <module>`) || !strings.Contains(tb, "ValueError: bad value") {
				t.Errorf("traceback: %s\n%s", status, text)
			}
			p.example("loop")
			status, text = p.runExample(mode)
			if status != "timeout" || !strings.Contains(text, "timed out") || !strings.Contains(text, "the code ran longer than its timeout of 2s") {
				t.Errorf("the endless loop: %s\n%s", status, text)
			}
			p.example("files")
			status, text = p.runExample(mode)
			if status != "succeeded" || !strings.Contains(text, "4 cities, 410 visitors") {
				t.Errorf("files in and out: %s\n%s", status, text)
			}
			if n := eval[int](t, ctx, 5*time.Second, `[...document.querySelectorAll("figure.image img")].filter((i) => i.naturalWidth > 0).length`); n != 1 {
				t.Errorf("%d images shown, want the chart", n)
			}
			if n := eval[int](t, ctx, 5*time.Second, `document.querySelectorAll("iframe.html[sandbox='']").length`); n != 1 {
				t.Errorf("%d HTML frames shown, want the table", n)
			}
		})
	}

	// The server out of reach: the browser fails the request.
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := chromedp.Call(cctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(cctx, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: webBase + "/v1/run", Block: true}}}); err != nil {
		t.Fatal(err)
	}
	status, text = p.run("server", "print(1)", true)
	if status != "problem" || !strings.Contains(text, "The server is unreachable.") {
		t.Errorf("with the server out of reach: %s\n%s", status, text)
	}
	if _, err := chromedp.Call(cctx, network.SetBlockedURLs, network.SetBlockedURLsParams{}); err != nil {
		t.Fatal(err)
	}
	p.example("files")
	if status, _ := p.runExample("browser"); status != "succeeded" {
		t.Fatalf("the files example for the screenshot: %s", status)
	}

	if path := os.Getenv("SANDPIT_SCREENSHOT"); path != "" {
		// The viewport takes the whole page, so that the frames of the
		// output are drawn too.
		h := eval[int](t, ctx, 5*time.Second, `document.getElementById("code").scrollTop = 0; document.documentElement.scrollHeight`)
		do(t, ctx, 10*time.Second, chromedp.EmulateViewport(1100, int64(h)))
		eval[any](t, ctx, 5*time.Second, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(null))))`)
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		shot, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}

	// A phone's width: everything fits, nothing scrolls sideways.
	do(t, ctx, 10*time.Second, chromedp.EmulateViewport(360, 740))
	if w := eval[int](t, ctx, 5*time.Second, `document.documentElement.scrollWidth`); w > 360 {
		wide := eval[string](t, ctx, 5*time.Second, `[...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > 361).map((e) => e.tagName + "." + e.className + "#" + e.id + " " + Math.round(e.getBoundingClientRect().right)).join("; ")`)
		t.Errorf("the page is %d px wide on a 360 px screen: %s", w, wide)
	}
}
