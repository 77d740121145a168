package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/canary"
	"github.com/sandpit-dev/sandpit/internal/pkgrepo"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/runner"
)

// The browser tests drive a real Chromium, the end user's browser, against
// a running `sandpit serve` with its own Redis and its own headless
// Chromium. They share one server and one browser, started by the first
// test that needs them; each test gets a tab in a browser context of its
// own.

// webKey is the API key of the shared server.
const webKey = "web-test-key-0123456789"

// The shared server's caps, small enough for tests to pass them.
const (
	webMaxOutput = 4096
	webMaxFiles  = 3
)

var (
	webOnce    sync.Once
	webErr     error
	webBase    string // the server, as http://127.0.0.1:port
	webBrowser context.Context
	webStops   []func() // run by TestMain after the tests
)

// stopShared ends what the tests started once.
func stopShared() {
	for i := len(webStops) - 1; i >= 0; i-- {
		webStops[i]()
	}
}

// startWeb starts the shared server and browser.
func startWeb() error {
	addr, err := func() (string, error) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		defer ln.Close()
		return ln.Addr().String(), nil
	}()
	if err != nil {
		return err
	}
	// A package repository, which the server's sandboxes and the end
	// users' browsers both load from.
	packages, err := os.MkdirTemp("", "sandpit-web-packages-")
	if err != nil {
		return err
	}
	webStops = append(webStops, func() { os.RemoveAll(packages) })
	err = pkgrepo.Write(packages, page.PythonVersion(), pkgrepo.Package{Name: "greet", Version: "1.0",
		Files: map[string]string{"greet/__init__.py": "def hello(name):\n    return f'hello, {name}'\n"}})
	if err != nil {
		return err
	}
	cmd := exec.Command(binary, "serve", "--addr", addr, "--pool-size", "1", "--packages-dir", packages,
		"--max-output-bytes", fmt.Sprint(webMaxOutput), "--max-files", fmt.Sprint(webMaxFiles))
	cmd.Env = append(os.Environ(), "SANDPIT_API_KEYS="+webKey)
	out := &testenv.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	webStops = append(webStops, func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	webBase = "http://" + addr
	for deadline := time.Now().Add(3 * time.Minute); ; {
		resp, err := http.Get(webBase + "/readyz/sandboxes")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("sandpit serve exited:\n%s", out.String())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sandpit serve not ready:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The end user's browser: an ordinary Chromium on this machine's
	// network, which is what makes its canary checks mean something. Only
	// here, as root, it runs without its sandbox.
	path, err := runner.FindChromium("")
	if err != nil {
		return err
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.WindowSize(1280, 900))
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, bcancel := chromedp.NewContext(actx)
	webStops = append(webStops, func() { bcancel(); acancel() })
	if err := chromedp.Do(bctx); err != nil {
		return fmt.Errorf("start chromium: %w", err)
	}
	webBrowser = bctx
	return nil
}

// ensureWeb starts the shared server and browser unless they run.
func ensureWeb(t *testing.T) {
	t.Helper()
	webOnce.Do(func() { webErr = startWeb() })
	if webErr != nil {
		t.Fatal(webErr)
	}
}

// tab opens a tab in a browser context of its own, for the length of the
// test.
func tab(t *testing.T) context.Context {
	t.Helper()
	ensureWeb(t)
	ctx, cancel := chromedp.NewContext(webBrowser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	var mu sync.Mutex
	var log []string
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			mu.Lock()
			log = append(log, fmt.Sprintf("%s:%d %s", m.URL, m.Line+1, m))
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("browser console:\n%s", strings.Join(log, "\n"))
			mu.Unlock()
		}
	})
	return ctx
}

// do runs actions with a deadline.
func do(t *testing.T, ctx context.Context, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates expr (awaiting a promise) within d.
func eval[T any](t *testing.T, ctx context.Context, d time.Duration, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80q: %v", expr, err)
	}
	return v
}

// waitStatus waits until the page's body carries an end status and returns
// it. Running Python in the test's browser starts by loading Pyodide.
func waitStatus(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, 3*time.Minute, `new Promise((resolve) => {
		const done = () => !["loading", "running", undefined].includes(document.body.dataset.status);
		if (done()) return resolve(document.body.dataset.status);
		new MutationObserver((_, o) => { if (done()) { o.disconnect(); resolve(document.body.dataset.status); } })
			.observe(document.body, { attributes: true });
	})`)
}

// apiCall sends a request to the shared server with its key.
func apiCall(t *testing.T, method, path string, body any, out any) int {
	t.Helper()
	ensureWeb(t)
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, webBase+path, strings.NewReader(string(data)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+webKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

// createPage stores spec as a client-side page and returns its URL.
func createPage(t *testing.T, spec map[string]any) string {
	t.Helper()
	var p sandpit.Page
	if status := apiCall(t, "POST", "/v1/pages", spec, &p); status != 201 {
		t.Fatalf("POST /v1/pages = %d", status)
	}
	return p.URL
}

// newCanary starts a loopback canary for the test.
func newCanary(t *testing.T) *canary.Canary {
	t.Helper()
	c, err := canary.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// appServer is an application on another origin: http://localhost:port,
// while sandpit is at http://127.0.0.1:port, so the two are different
// sites and share no cookie.
func appServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	// /embed?src=URL: a page with secrets in a cookie and in localStorage,
	// which embeds src and keeps the job a client-side page posts.
	mux.HandleFunc("/embed", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "app_httponly", Value: "cookie-SECRET-1", HttpOnly: true, Path: "/"})
		fmt.Fprintf(w, `<!doctype html><title>app</title>
<script>
document.cookie = "app_secret=cookie-SECRET-2; path=/";
localStorage.setItem("app_secret", "storage-SECRET-3");
sessionStorage.setItem("app_secret", "session-SECRET-4");
window.sandpitJob = null;
addEventListener("message", (ev) => {
  if (ev.data && ev.data.sandpit === "page" && window.sandpitJob === null) window.sandpitJob = ev.data.job;
});
</script>
<h1>an application</h1>
<iframe id="page" src="%s" width="900" height="700"></iframe>`, htmlAttr(r.URL.Query().Get("src")))
	})
	// /sdk?src=URL: a page that imports the SDK from src.
	mux.HandleFunc("/sdk", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>app</title>
<script type="module">
import * as sdk from %q;
window.sdk = sdk;
</script>`, r.URL.Query().Get("src"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
}

func htmlAttr(s string) string {
	return strings.NewReplacer(`&`, "&amp;", `"`, "&quot;", `<`, "&lt;").Replace(s)
}
