package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/internal/testenv"
	"github.com/sandpit-dev/sandpit/page"
	"github.com/sandpit-dev/sandpit/queue"
	"github.com/sandpit-dev/sandpit/service"
)

// These tests run the API on a real Redis queue. Jobs are run by a worker
// with a Go handler: the API's behaviour does not depend on what runs them
// (the browser is tested in runner and end to end in cmd/sandpit).

var redisURL string

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestMain(m *testing.M) { os.Exit(testenv.RunWithRedis(m, &redisURL)) }

type env struct {
	srv *httptest.Server
	q   *queue.Queue
}

// echoHandler answers each job with its code as stdout, or blocks on
// "block" until cancelled.
var echoHandler = queue.HandlerFunc(func(ctx context.Context, t queue.Task) (sandpit.Result, error) {
	if t.Spec.Code == "block" {
		<-ctx.Done()
		return sandpit.Result{}, ctx.Err()
	}
	zero := 0
	res := sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: &zero, Stdout: t.Spec.Code, Files: []sandpit.File{}}
	if t.Spec.Code == "files" {
		res.Files = testFiles
	}
	return res, nil
})

// testFiles are the output files of the echo handler's job "files".
var testFiles = []sandpit.File{
	{Path: "out/chart.png", Content: base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n")), Encoding: sandpit.EncodingBase64, MimeType: "image/png", Size: 6},
	{Path: "page.html", Content: base64.StdEncoding.EncodeToString([]byte("<script>alert(1)</script>")), Encoding: sandpit.EncodingBase64, MimeType: "text/html; charset=utf-8", Size: 25},
	{Path: "d/%41 b.txt", Content: "percent", MimeType: "text/plain", Size: 7},
	{Path: "d/A b.txt", Content: "plain", MimeType: "text/plain", Size: 5},
}

func newEnv(t *testing.T, opts queue.Options, withWorker bool) *env {
	t.Helper()
	o, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(o)
	opts.Prefix = fmt.Sprintf("api-%d", time.Now().UnixNano())
	q := queue.New(rdb, opts)
	ready := func(ctx context.Context) error {
		w, r, err := q.Capacity(ctx)
		if err != nil || w == 0 || r == 0 {
			return errors.New("no worker has a sandbox ready")
		}
		return nil
	}
	limits := sandpit.Limits{MaxSpecBytes: 1 << 10, MaxTimeout: time.Minute}
	svc := service.New(q, service.Config{Limits: limits, Logger: quiet})
	srv := httptest.NewServer(New(Config{Jobs: svc, Batches: svc, Ready: ready, Logger: quiet, Limits: limits}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	if withWorker {
		go func() { q.Work(ctx, echoHandler, queue.WorkerOptions{Concurrency: 2}); close(done) }()
	} else {
		close(done)
	}
	t.Cleanup(func() { srv.Close(); cancel(); <-done; q.Close(); rdb.Close() })
	return &env{srv: srv, q: q}
}

// do sends a request, with headers given as name, value pairs, and decodes
// the JSON object of the answer.
func (e *env) do(t *testing.T, method, path, contentType, body string, headers ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %q", method, path, data)
	}
	return resp.StatusCode, resp.Header, m
}

func errCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func errMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	c, _ := e["message"].(string)
	return c
}

func TestStatusCodes(t *testing.T) {
	e := newEnv(t, queue.Options{}, true)
	const jsonCT = "application/json"
	tests := []struct {
		name, method, path, ct, body string
		status                       int
		code                         string
	}{
		{"run", "POST", "/v1/run", jsonCT, `{"code": "hi"}`, 200, ""},
		{"run with curl's default type", "POST", "/v1/run", "application/x-www-form-urlencoded", `{"code": "hi"}`, 200, ""},
		{"run without a type", "POST", "/v1/run", "", `{"code": "hi"}`, 200, ""},
		{"submit", "POST", "/v1/jobs", jsonCT, `{"code": "hi"}`, 202, ""},
		{"not JSON", "POST", "/v1/run", jsonCT, `code=1`, 400, sandpit.EINVALID},
		{"missing code", "POST", "/v1/jobs", jsonCT, `{}`, 400, sandpit.EINVALID},
		{"wrong type", "POST", "/v1/jobs", jsonCT, `{"code": []}`, 400, sandpit.EINVALID},
		{"negative timeout", "POST", "/v1/run", jsonCT, `{"code": "x", "timeout_ms": -5}`, 400, sandpit.EINVALID},
		{"excessive timeout", "POST", "/v1/run", jsonCT, `{"code": "x", "timeout_ms": 99999999}`, 400, sandpit.EINVALID},
		{"too large", "POST", "/v1/run", jsonCT, `{"code": "` + strings.Repeat("x", 2000) + `"}`, 413, sandpit.ETOOLARGE},
		{"unsupported type", "POST", "/v1/run", "application/xml", `<code/>`, 415, sandpit.EUNSUPPORTED},
		{"unknown job", "GET", "/v1/jobs/0123456789abcdef0123456789abcdef", "", "", 404, sandpit.ENOTFOUND},
		{"malformed job id", "GET", "/v1/jobs/..%2f..%2fetc", "", "", 404, sandpit.ENOTFOUND},
		{"cancel unknown job", "DELETE", "/v1/jobs/0123456789abcdef0123456789abcdef", "", "", 404, sandpit.ENOTFOUND},
		{"unknown route", "GET", "/v2/nothing", "", "", 404, sandpit.ENOTFOUND},
		{"wrong method", "PUT", "/v1/run", jsonCT, `{}`, 405, sandpit.EMETHOD},
		{"healthz", "GET", "/healthz", "", "", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, m := e.do(t, tc.method, tc.path, tc.ct, tc.body)
			if status != tc.status || errCode(m) != tc.code {
				t.Fatalf("%s %s = %d %v, want %d %q", tc.method, tc.path, status, m, tc.status, tc.code)
			}
			if tc.code != "" {
				if msg, _ := m["error"].(map[string]any)["message"].(string); msg == "" {
					t.Fatalf("error without a message: %v", m)
				}
			}
		})
	}
}

func TestRunReturnsFinishedJob(t *testing.T) {
	e := newEnv(t, queue.Options{}, true)
	status, h, m := e.do(t, "POST", "/v1/run", "application/json", `{"code": "hello"}`)
	if status != 200 || m["status"] != "succeeded" || m["stdout"] != "hello" || m["exit_code"] != float64(0) {
		t.Fatalf("run = %d %v", status, m)
	}
	for _, field := range []string{"id", "status", "exit_code", "stdout", "stderr", "result", "error", "files", "created_at", "started_at", "finished_at", "duration_ms"} {
		if _, ok := m[field]; !ok {
			t.Errorf("job lacks %q: %v", field, m)
		}
	}
	if h.Get("Location") != "/v1/jobs/"+m["id"].(string) {
		t.Errorf("Location = %q", h.Get("Location"))
	}
}

func TestSubmitThenGet(t *testing.T) {
	e := newEnv(t, queue.Options{}, true)
	status, _, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "later"}`)
	if status != 202 || m["status"] != "queued" || m["id"] == "" {
		t.Fatalf("submit = %d %v", status, m)
	}
	id := m["id"].(string)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := e.q.Wait(ctx, id, ""); err != nil {
		t.Fatal(err)
	}
	status, _, m = e.do(t, "GET", "/v1/jobs/"+id, "", "")
	if status != 200 || m["status"] != "succeeded" || m["stdout"] != "later" {
		t.Fatalf("get = %d %v", status, m)
	}
}

func TestCancelRunningThenConflict(t *testing.T) {
	e := newEnv(t, queue.Options{}, true)
	_, _, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "block"}`)
	id := m["id"].(string)
	testenv.Eventually(t, 10*time.Second, func() bool {
		j, _ := e.q.Get(context.Background(), id, "")
		return j.Status == sandpit.StatusRunning
	}, "job never started")
	status, _, m := e.do(t, "DELETE", "/v1/jobs/"+id, "", "")
	if status != 200 || m["status"] != "cancelled" {
		t.Fatalf("cancel = %d %v", status, m)
	}
	status, _, m = e.do(t, "DELETE", "/v1/jobs/"+id, "", "")
	if status != 409 || errCode(m) != sandpit.ECONFLICT {
		t.Fatalf("second cancel = %d %v", status, m)
	}
}

func TestQueueFullIs429WithRetryAfter(t *testing.T) {
	e := newEnv(t, queue.Options{MaxDepth: 1}, false)
	if status, _, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "a"}`); status != 202 {
		t.Fatalf("first = %d %v", status, m)
	}
	status, h, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "b"}`)
	if status != 429 || errCode(m) != sandpit.EQUEUEFULL || h.Get("Retry-After") == "" {
		t.Fatalf("second = %d %v Retry-After %q", status, m, h.Get("Retry-After"))
	}
}

func TestReadyz(t *testing.T) {
	idle := newEnv(t, queue.Options{}, false)
	if status, _, m := idle.do(t, "GET", "/readyz", "", ""); status != 503 || m["status"] != "not ready" {
		t.Fatalf("readyz without workers = %d %v", status, m)
	}
	busy := newEnv(t, queue.Options{}, true)
	var status int
	var m map[string]any
	testenv.Eventually(t, 5*time.Second, func() bool {
		status, _, m = busy.do(t, "GET", "/readyz", "", "")
		return status == 200 && m["status"] == "ready"
	}, "readyz with a worker = %d %v", status, m)
}

func newAuthEnv(t *testing.T, access Access) *env {
	t.Helper()
	// The MCP handler only says it was reached: what is tested here is the
	// access in front of it.
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"mcp": %q}`, r.Method)
	})
	srv := httptest.NewServer(New(Config{Jobs: newFakeService(), Access: access, MCP: mcp, Logger: quiet}))
	t.Cleanup(srv.Close)
	return &env{srv: srv}
}

func (e *env) doAuth(t *testing.T, method, path, key string) (int, http.Header, map[string]any) {
	t.Helper()
	if key == "" {
		return e.do(t, method, path, "", `{"code": "x"}`)
	}
	return e.do(t, method, path, "", `{"code": "x"}`, "Authorization", "Bearer "+key)
}

func TestAPIKeys(t *testing.T) {
	e := newAuthEnv(t, Access{Keys: []string{"k1", "k2"}})
	tests := []struct {
		name, method, path, key string
		status                  int
	}{
		{"no key", "POST", "/v1/jobs", "", 401},
		{"wrong key", "POST", "/v1/jobs", "nope", 401},
		{"first key", "POST", "/v1/jobs", "k1", 202},
		{"second key", "POST", "/v1/jobs", "k2", 202},
		{"job lookup needs a key too", "GET", "/v1/jobs/0123456789abcdef0123456789abcdef", "", 401},
		{"healthz is open", "GET", "/healthz", "", 200},
		{"mcp needs a key", "POST", "/mcp", "", 401},
		{"mcp with a wrong key", "POST", "/mcp", "nope", 401},
		{"mcp with a key", "POST", "/mcp", "k1", 200},
		{"mcp stream needs a key", "GET", "/mcp", "", 401},
		{"mcp stream with a key", "GET", "/mcp", "k2", 200},
		{"mcp session end with a key", "DELETE", "/mcp", "k1", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, m := e.doAuth(t, tc.method, tc.path, tc.key)
			if status != tc.status {
				t.Fatalf("%s %s with key %q = %d %v, want %d", tc.method, tc.path, tc.key, status, m, tc.status)
			}
			if status == 401 && (errCode(m) != sandpit.EUNAUTH || h.Get("WWW-Authenticate") == "") {
				t.Fatalf("401 answer: %v, WWW-Authenticate %q", m, h.Get("WWW-Authenticate"))
			}
			if tc.path == "/mcp" && status == 200 && m["mcp"] != tc.method {
				t.Fatalf("the MCP handler saw %v, want %s", m, tc.method)
			}
		})
	}
}

// The caller the key names reaches the services in the request's context:
// the key's ID, never the key.
func TestCallerReachesTheService(t *testing.T) {
	fake := newFakeService()
	srv := httptest.NewServer(New(Config{Jobs: fake, Access: Access{Keys: []string{"key-a", "key-b"}}, Logger: quiet}))
	defer srv.Close()
	e := &env{srv: srv}
	for _, key := range []string{"key-a", "key-b"} {
		if status, _, m := e.doAuth(t, "POST", "/v1/jobs", key); status != 202 {
			t.Fatalf("submit with %s = %d %v", key, status, m)
		}
	}
	want := []sandpit.Caller{{ID: sandpit.KeyID("key-a")}, {ID: sandpit.KeyID("key-b")}}
	if !slices.Equal(fake.callers, want) {
		t.Errorf("callers = %v, want %v", fake.callers, want)
	}
	if sandpit.KeyID("key-a") == "key-a" || len(sandpit.KeyID("key-a")) != 32 {
		t.Errorf("KeyID(key-a) = %q: the key itself, or not 128 bits of hex", sandpit.KeyID("key-a"))
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t, queue.Options{}, false)
	post := func(key, body string) (int, map[string]any) {
		status, _, m := e.do(t, "POST", "/v1/jobs", "application/json", body, "Idempotency-Key", key)
		return status, m
	}
	s1, first := post("order-1", `{"code": "a"}`)
	s2, again := post("order-1", `{"code": "a"}`)
	s3, other := post("order-2", `{"code": "a"}`)
	if s1 != 202 || s2 != 202 || s3 != 202 {
		t.Fatalf("statuses %d %d %d", s1, s2, s3)
	}
	if first["id"] != again["id"] {
		t.Fatalf("same key gave jobs %v and %v", first["id"], again["id"])
	}
	if first["id"] == other["id"] {
		t.Fatal("different keys gave the same job")
	}
	if n, _ := e.q.Depth(context.Background()); n != 2 {
		t.Fatalf("queue holds %d jobs, want 2", n)
	}
	if s, m := post("bad key", `{"code": "a"}`); s != 400 {
		t.Fatalf("malformed key: %d %v", s, m)
	}
}

// FuzzAPI sends arbitrary requests to the API on a real queue: whatever the
// method, path, content type and body, the answer is never a 5xx, and is
// always JSON.
func FuzzAPI(f *testing.F) {
	o, _ := redis.ParseURL(redisURL)
	rdb := redis.NewClient(o)
	q := queue.New(rdb, queue.Options{Prefix: "fuzz", MaxDepth: 1 << 20, Retention: time.Minute})
	limits := sandpit.Limits{MaxSpecBytes: 64 << 10}
	h := New(Config{Jobs: service.New(q, service.Config{Limits: limits, Logger: quiet}), Limits: limits, Logger: quiet})
	f.Cleanup(func() { q.Close(); rdb.Close() })
	for _, seed := range []struct{ method, path, ct, body string }{
		{"POST", "/v1/jobs", "application/json", `{"code": "print(1)"}`},
		{"POST", "/v1/jobs", "application/json", `{"code": "x", "files": [{"path": "a", "content": "aGk=", "encoding": "base64"}]}`},
		{"POST", "/v1/jobs", "text/plain", `{"code": 1}`},
		{"POST", "/v1/jobs", "application/json; charset=utf-8", `{"code": "x", "timeout_ms": -1}`},
		{"POST", "/v1/jobs", "multipart/form-data", `--x`},
		{"GET", "/v1/jobs/0123456789abcdef0123456789abcdef", "", ""},
		{"GET", "/v1/jobs/%00", "", ""},
		{"DELETE", "/v1/jobs/zz", "", ""},
		{"PATCH", "/v1/run", "", ""},
		{"GET", "/readyz", "", ""},
	} {
		f.Add(seed.method, seed.path, seed.ct, []byte(seed.body))
	}
	f.Fuzz(func(t *testing.T, method, path, ct string, body []byte) {
		if strings.HasPrefix(path, "/v1/run") {
			return // waits for a worker; covered by the tests above
		}
		req, err := http.NewRequest(method, "http://sandpit"+path, strings.NewReader(string(body)))
		if err != nil || !strings.HasPrefix(req.URL.Path, "/") {
			return
		}
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %q (%q, %q) = %d %s", method, path, ct, body, rec.Code, rec.Body)
		}
		if method != "HEAD" && rec.Body.Len() > 0 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %q answered non-JSON: %q", method, path, rec.Body)
		}
	})
}

func TestJobFiles(t *testing.T) {
	e := newEnv(t, queue.Options{}, true)
	_, _, job := e.do(t, "POST", "/v1/run", "", `{"code": "files"}`)
	id, _ := job["id"].(string)
	get := func(path string) (int, http.Header, []byte) {
		t.Helper()
		resp, err := http.Get(e.srv.URL + "/v1/jobs/" + id + "/files/" + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, data
	}
	code, h, body := get("out/chart.png")
	if code != 200 || h.Get("Content-Type") != "image/png" || string(body) != "\x89PNG\r\n" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") {
		t.Errorf("image: %d %v %q", code, h, body)
	}
	// A page the code wrote must not run as sandpit's own.
	code, h, body = get("page.html")
	if code != 200 || string(body) != "<script>alert(1)</script>" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("html: %d %v %q", code, h, body)
	}
	// A name is asked for escaped once, as url.PathEscape escapes each
	// segment, whatever the name holds: a percent sign is not an escape.
	for name, want := range map[string]string{"d/%2541%20b.txt": "percent", "d/A%20b.txt": "plain", "d/%41%20b.txt": "plain", "d%2FA%20b.txt": "plain"} {
		if code, _, body := get(name); code != 200 || string(body) != want {
			t.Errorf("GET files/%s: %d %q, want %q", name, code, body, want)
		}
	}
	for _, p := range []string{"nosuch.txt", "out", "out/../page.html", "..%2Fpage.html", "d/%252541%2520b.txt"} {
		if code, _, _ := get(p); code != 404 {
			t.Errorf("GET files/%s: %d, want 404", p, code)
		}
	}
	if code, _, _ := get(""); code != 404 {
		t.Errorf("GET files/: %d, want 404", code)
	}
	// A job that has not ended has no files yet, and says so.
	_, _, queued := e.do(t, "POST", "/v1/jobs", "", `{"code": "block"}`)
	qid, _ := queued["id"].(string)
	code, _, m := e.do(t, "GET", "/v1/jobs/"+qid+"/files/x.txt", "", "")
	if msg, _ := m["error"].(map[string]any)["message"].(string); code != 404 || !strings.Contains(msg, "has not ended") {
		t.Errorf("file of a running job: %d %v", code, m)
	}
	e.do(t, "DELETE", "/v1/jobs/"+qid, "", "")
}

// Without keys, a request from another site, or under a name that is not
// the server's own, is refused; the server's own pages and local programs
// are not.
func TestKeylessServerRefusesOtherSites(t *testing.T) {
	web, err := page.NewWeb(page.WebConfig{})
	if err != nil {
		t.Fatal(err)
	}
	fake := newFakeService()
	mcp := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) })
	srv := httptest.NewServer(New(Config{Jobs: fake, Web: web, MCP: mcp, PublicURL: "https://sandpit.example.com", Logger: quiet}))
	defer srv.Close()
	e := &env{srv: srv}
	own := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	for _, tc := range []struct {
		name, method, path, host, origin string
		status                           int
	}{
		{"a local program", "POST", "/v1/jobs", "", "", 202},
		{"the playground", "POST", "/v1/jobs", "", srv.URL, 202},
		{"localhost by name", "POST", "/v1/jobs", strings.TrimPrefix(own, "http://"), own, 202},
		{"the public URL", "POST", "/v1/jobs", "sandpit.example.com", "https://sandpit.example.com", 202},
		{"another site's page", "POST", "/v1/jobs", "", "https://evil.example", 403},
		{"an opaque origin", "POST", "/v1/jobs", "", "null", 403},
		{"another site over MCP", "POST", "/mcp", "", "https://evil.example", 403},
		{"DNS rebinding", "POST", "/v1/jobs", "rebind.evil.example:8080", "http://rebind.evil.example:8080", 403},
		{"DNS rebinding, a page", "GET", "/", "rebind.evil.example:8080", "", 403},
		{"another site reads the API document", "GET", "/openapi.json", "", "https://app.example", 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			headers := []string{}
			if tc.host != "" {
				headers = append(headers, "Host", tc.host)
			}
			if tc.origin != "" {
				headers = append(headers, "Origin", tc.origin)
			}
			status, _, m := e.do(t, tc.method, tc.path, "text/plain", `{"code": "x"}`, headers...)
			if status != tc.status {
				t.Fatalf("%s %s = %d %v, want %d", tc.method, tc.path, status, m, tc.status)
			}
			if status == 403 && errCode(m) != sandpit.EFORBIDDEN {
				t.Errorf("403 answer %v, want code forbidden", m)
			}
		})
	}
}

// With keys, the key is what counts: a page elsewhere that holds one may
// call the API.
func TestKeyedServerTakesOtherOrigins(t *testing.T) {
	srv := httptest.NewServer(New(Config{Jobs: newFakeService(), Access: Access{Keys: []string{"k"}}, Logger: quiet}))
	defer srv.Close()
	e := &env{srv: srv}
	status, _, m := e.do(t, "POST", "/v1/jobs", "application/json", `{"code": "x"}`,
		"Authorization", "Bearer k", "Origin", "https://app.example", "Host", "sandpit.internal:8080")
	if status != 202 {
		t.Fatalf("keyed request from another origin = %d %v", status, m)
	}
}
