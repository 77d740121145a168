package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// playground drives the playground page of one tab.
type playground struct {
	t   *testing.T
	ctx context.Context
}

// setCode replaces the editor's text with code, as pasting it does.
func (p playground) setCode(code string) {
	t := p.t
	t.Helper()
	do(t, p.ctx, 10*time.Second,
		chromedp.Focus(chromedp.CSS(`#code .cm-content`)),
		chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	)
	data, _ := json.Marshal(code)
	eval[any](t, p.ctx, 5*time.Second, `(() => { const dt = new DataTransfer(); dt.setData("text/plain", `+string(data)+`);
		document.querySelector("#code .cm-content").dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true })); })()`)
	if got := p.code(); got != code {
		t.Fatalf("the editor holds %q, want %q", got, code)
	}
}

// code is the editor's text.
func (p playground) code() string {
	p.t.Helper()
	return eval[string](p.t, p.ctx, 5*time.Second, `[...document.querySelectorAll("#code .cm-line")].map((l) => l.textContent).join("\n")`)
}

// start picks mode ("server" or "browser") and runs the editor's code, by
// Ctrl+Enter in the editor or with the Run button.
func (p playground) start(mode string, keyboard bool) {
	t := p.t
	t.Helper()
	do(t, p.ctx, 10*time.Second, chromedp.Click(chromedp.CSS(`input[name="mode"][value="`+mode+`"]`)))
	eval[any](t, p.ctx, 5*time.Second, `document.body.dataset.status = "loading"`)
	if keyboard {
		do(t, p.ctx, 10*time.Second,
			chromedp.Focus(chromedp.CSS(`#code .cm-content`)),
			chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	} else {
		do(t, p.ctx, 10*time.Second, chromedp.Click(chromedp.ID("run")))
	}
}

// run runs code in mode, by Ctrl+Enter in the editor or with the Run
// button, and returns the status and the text shown.
func (p playground) run(mode, code string, keyboard bool) (string, string) {
	p.t.Helper()
	p.setCode(code)
	p.start(mode, keyboard)
	return p.finished()
}

// finished waits for the job's end and returns its status and the text
// shown.
func (p playground) finished() (string, string) {
	p.t.Helper()
	status := waitStatus(p.t, p.ctx)
	return status, eval[string](p.t, p.ctx, 5*time.Second, `document.getElementById("output").innerText`)
}

// example picks an example from the list.
func (p playground) example(name string) {
	p.t.Helper()
	eval[any](p.t, p.ctx, 5*time.Second, `(() => { const s = document.getElementById("example");
		s.value = "`+name+`"; s.dispatchEvent(new Event("change")); })()`)
}

// runExample runs the current code, with what the example set, in mode.
func (p playground) runExample(mode string) (string, string) {
	p.t.Helper()
	p.start(mode, false)
	return p.finished()
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
		h := eval[int](t, ctx, 5*time.Second, `document.documentElement.scrollHeight`)
		do(t, ctx, 10*time.Second, chromedp.EmulateViewport(1100, int64(h)))
		// Chromium paints a cross-origin frame that was off screen (the
		// HTML output's) a moment after it comes into view.
		eval[any](t, ctx, 5*time.Second, `new Promise((r) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => r(null))), 1000))`)
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

// openPlayground opens the playground in a tab of its own, with the API key
// entered.
func openPlayground(t *testing.T) playground {
	t.Helper()
	ctx := tab(t)
	do(t, ctx, time.Minute, chromedp.EmulateViewport(1100, 900), chromedp.Navigate(webBase+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#code .cm-content`)),
		chromedp.SendKeys(chromedp.ID("key"), webKey))
	return playground{t, ctx}
}

// focused names the element that has the focus.
func (p playground) focused() string {
	p.t.Helper()
	return eval[string](p.t, p.ctx, 5*time.Second, `(() => { const e = document.activeElement; return e.id || e.className; })()`)
}

// TestPlaygroundEditor checks the code editor: Tab indents and keeps the
// focus, Escape then Tab leaves it, Ctrl+Enter runs, and the code and the
// settings survive a reload, the key only when remembered.
func TestPlaygroundEditor(t *testing.T) {
	p := openPlayground(t)
	ctx := p.ctx
	p.setCode("if True:\npass")
	do(t, ctx, 10*time.Second, chromedp.KeyEvent(kb.End), chromedp.KeyEvent(kb.Home), chromedp.KeyEvent("\t"))
	if got := p.code(); got != "if True:\n    pass" {
		t.Errorf("after Tab the code is %q, want the second line indented by four spaces", got)
	}
	if f := p.focused(); f != "cm-content" {
		t.Errorf("after Tab the focus is on %q, want the editor", f)
	}
	do(t, ctx, 10*time.Second, chromedp.KeyEvent(kb.Escape), chromedp.KeyEvent("\t"))
	if f := p.focused(); f == "cm-content" {
		t.Error("Escape then Tab left the focus in the editor")
	}
	if got := p.code(); got != "if True:\n    pass" {
		t.Errorf("Escape then Tab changed the code to %q", got)
	}

	p.setCode("print('by keyboard')")
	p.start("server", true)
	if status, text := p.finished(); status != "succeeded" || !strings.Contains(text, "by keyboard") {
		t.Errorf("Ctrl+Enter: %s\n%s", status, text)
	}

	// A reload keeps the code, the mode and stdin; the key only once
	// "remember the key" is ticked.
	p.setCode("name = input()\nprint('kept', name)")
	do(t, ctx, 10*time.Second,
		chromedp.Click(chromedp.CSS(`input[name="mode"][value="browser"]`)),
		chromedp.Click(chromedp.CSS(`#more summary`)),
		chromedp.SendKeys(chromedp.ID("stdin"), "Ada"),
		chromedp.Blur(chromedp.ID("stdin")),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#code .cm-content`)))
	if got := p.code(); got != "name = input()\nprint('kept', name)" {
		t.Errorf("after a reload the code is %q", got)
	}
	kept := eval[[]any](t, ctx, 5*time.Second, `[document.querySelector('input[name="mode"]:checked').value, document.getElementById("stdin").value, document.getElementById("key").value]`)
	if fmt.Sprint(kept) != "[browser Ada ]" {
		t.Errorf("after a reload mode, stdin and key are %q, want browser, Ada and no key", kept)
	}
	do(t, ctx, 10*time.Second, chromedp.SendKeys(chromedp.ID("key"), webKey), chromedp.Click(chromedp.ID("remember")),
		chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#code .cm-content`)))
	if key := eval[string](t, ctx, 5*time.Second, `document.getElementById("key").value`); key != webKey {
		t.Errorf("with remember ticked, the key after a reload is %q", key)
	}
	do(t, ctx, 10*time.Second, chromedp.Click(chromedp.ID("remember")), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#code .cm-content`)))
	if key := eval[string](t, ctx, 5*time.Second, `document.getElementById("key").value + localStorage.getItem("sandpit.playground").includes(`+fmt.Sprintf("%q", webKey)+`)`); key != "false" {
		t.Errorf("with remember unticked, the key is still kept: %q", key)
	}
}

// TestPlaygroundLive checks, in both modes, that a job's output shows as
// the job writes it, and that Stop ends a job as cancelled.
func TestPlaygroundLive(t *testing.T) {
	p := openPlayground(t)
	for _, mode := range []string{"server", "browser"} {
		t.Run(mode, func(t *testing.T) {
			p := playground{t, p.ctx}
			p.setCode("import time\nfor i in range(3):\n print(i, flush=True); time.sleep(1)")
			p.start(mode, false)
			// The status when the first line shows.
			status := eval[string](t, p.ctx, 3*time.Minute, `new Promise((resolve) => {
				const out = document.getElementById("output");
				const shown = () => /^0$/m.test(out.innerText);
				if (shown()) return resolve(document.body.dataset.status);
				new MutationObserver((_, o) => { if (shown()) { o.disconnect(); resolve(document.body.dataset.status); } })
					.observe(out, { childList: true, subtree: true, characterData: true });
			})`)
			if status != "running" {
				t.Errorf("the first line showed once the job was %q, want while it ran", status)
			}
			if status, text := p.finished(); status != "succeeded" || !strings.Contains(text, "0\n1\n2") {
				t.Errorf("the job with pauses: %s\n%s", status, text)
			}

			p.setCode("import time\nwhile True:\n    print('tick', flush=True)\n    time.sleep(0.2)")
			p.start(mode, false)
			eval[bool](t, p.ctx, 3*time.Minute, `new Promise((resolve) => {
				const out = document.getElementById("output");
				const iv = setInterval(() => { if (out.innerText.includes("tick")) { clearInterval(iv); resolve(true); } }, 50);
			})`)
			do(t, p.ctx, 10*time.Second, chromedp.Click(chromedp.ID("stop")))
			status, text := p.finished()
			if status != "cancelled" || !strings.Contains(text, "the job was cancelled") || !strings.Contains(text, "tick") {
				t.Errorf("Stop: %s\n%s", status, text)
			}
			if hidden := eval[bool](t, p.ctx, 5*time.Second, `document.getElementById("stop").hidden`); !hidden {
				t.Error("the Stop button shows with no job running")
			}
			// The next job runs as usual.
			if status, text := p.run(mode, "print('after the stop')", false); status != "succeeded" || !strings.Contains(text, "after the stop") {
				t.Errorf("the job after a stop: %s\n%s", status, text)
			}
		})
	}
}

// TestPlaygroundShare checks that Share makes a client-side page of the
// code and shows its link, which serves the code.
func TestPlaygroundShare(t *testing.T) {
	p := openPlayground(t)
	p.setCode("print('shared from the playground')")
	do(t, p.ctx, 10*time.Second, chromedp.Click(chromedp.ID("share")), chromedp.WaitVisible(chromedp.ID("share-link")))
	link := eval[string](t, p.ctx, 5*time.Second, `document.getElementById("share-link").href`)
	if !strings.HasPrefix(link, webBase+"/p/") {
		t.Fatalf("the shared link is %q, want %s/p/…", link, webBase)
	}
	resp, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `shared from the playground`) {
		t.Errorf("GET %s = %d:\n%s", link, resp.StatusCode, body)
	}
}
