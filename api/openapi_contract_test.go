package api

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/sandpit-dev/sandpit/internal/redisserver"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// TestOpenAPIContract drives a real `sandpit serve` (real Redis, real
// Chromium) through every operation of the OpenAPI document, its errors
// included, and validates each request and each answer against the
// document with kin-openapi, so that the document cannot drift from what
// the server does. A request the test sends on purpose against the
// document (a mistyped field, an unknown one) must be refused by the
// document as by the server.
func TestOpenAPIContract(t *testing.T) {
	c := startContract(t)

	t.Run("server", func(t *testing.T) {
		c.do(t, call{method: "GET", path: "/healthz", status: 200})
		c.do(t, call{method: "GET", path: "/readyz", status: 200})
		c.do(t, call{method: "GET", path: "/readyz/sandboxes", status: 200})
		c.do(t, call{method: "GET", path: "/metrics", status: 200})
		c.do(t, call{method: "GET", path: "/metrics", noKey: true, status: 401})
		if body := c.do(t, call{method: "GET", path: "/openapi.json", status: 200}); !bytes.Equal(body, openAPI) {
			t.Error("GET /openapi.json is not the embedded document")
		}
		var info struct {
			Version, PythonVersion, PyodideVersion string
			Limits                                 map[string]int64
		}
		json.Unmarshal(c.do(t, call{method: "GET", path: "/v1/info", status: 200}), &info)
		if info.Limits["max_spec_bytes"] != contractMaxSpec || info.Limits["max_timeout_ms"] != 60000 {
			t.Errorf("GET /v1/info limits = %v, want those the server was started with", info.Limits)
		}
		c.do(t, call{method: "GET", path: "/v1/info", noKey: true, status: 401})
		c.do(t, call{method: "GET", path: "/v1/info", header: http.Header{"Authorization": {"Bearer wrong"}}, noKey: true, status: 401})
	})

	t.Run("browser", func(t *testing.T) {
		c.do(t, call{method: "GET", path: "/", status: 200})
		c.do(t, call{method: "GET", path: "/sdk/sandpit.js", status: 200})
		c.do(t, call{method: "GET", path: "/sdk/frame.html", status: 200})
	})

	var finished contractJob
	t.Run("jobs", func(t *testing.T) {
		code := `import base64
open("out.txt", "w").write("hello")
open("dot.png", "wb").write(base64.b64decode("` + pngBase64 + `"))
print("hi")
class Table:
    def _repr_html_(self):
        return "<table><tr><td>1</td></tr></table>"
display(Table())
display({"application/json": {"a": [1, 2]}, "image/png": base64.b64decode("` + pngBase64 + `")}, raw=True)
6 * 7`
		spec := fmt.Sprintf(`{"code": %q, "timeout_ms": 20000}`, code)
		idem := http.Header{"Idempotency-Key": {"contract-run-1"}}
		finished = c.job(t, call{method: "POST", path: "/v1/run", body: spec, header: idem, status: 200})
		if len(finished.Outputs) != 2 || finished.Outputs[0]["text/html"] == nil {
			t.Errorf("outputs %v, want the table's HTML, then JSON and a PNG", finished.Outputs)
		}
		if again := c.job(t, call{method: "POST", path: "/v1/run", body: spec, header: idem, status: 200}); again.ID != finished.ID {
			t.Errorf("a repeated Idempotency-Key ran a new job %s, want %s", again.ID, finished.ID)
		}
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": 1}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": "x", "timout_ms": 5}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": "x", "timeout_ms": -1}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": "x", "timeout_ms": 99999999}`, status: 400})
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": "x"}`, header: http.Header{"Idempotency-Key": {"two words"}}, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/run", body: bigSpec(), status: 413})
		c.do(t, call{method: "POST", path: "/v1/run", body: `<code/>`, ctype: "application/xml", status: 415, refused: true})
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": "x"}`, noKey: true, status: 401})

		queued := c.job(t, call{method: "POST", path: "/v1/jobs", body: `{"code": "import time\ntime.sleep(30)"}`, status: 202})
		c.job(t, call{method: "GET", path: "/v1/jobs/" + queued.ID, status: 200})
		c.job(t, call{method: "DELETE", path: "/v1/jobs/" + queued.ID, status: 200})
		c.do(t, call{method: "DELETE", path: "/v1/jobs/" + queued.ID, status: 409})
		c.do(t, call{method: "POST", path: "/v1/jobs", body: `{"code": ""}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/jobs", body: bigSpec(), status: 413})
		c.do(t, call{method: "POST", path: "/v1/jobs", body: `x`, ctype: "application/xml", status: 415, refused: true})
		c.do(t, call{method: "POST", path: "/v1/jobs", body: `{"code": "x"}`, noKey: true, status: 401})
		c.do(t, call{method: "GET", path: "/v1/jobs/" + unknownID, status: 404})
		c.do(t, call{method: "DELETE", path: "/v1/jobs/" + unknownID, status: 404})
		c.do(t, call{method: "GET", path: "/v1/jobs/" + unknownID, noKey: true, status: 401})

		events := "/v1/jobs/" + finished.ID + "/events"
		c.do(t, call{method: "GET", path: events, status: 200})
		c.do(t, call{method: "GET", path: events, header: http.Header{"Last-Event-ID": {"0-0"}}, status: 200})
		c.do(t, call{method: "GET", path: events + "?after=0-0", status: 200})
		c.do(t, call{method: "GET", path: "/v1/jobs/" + unknownID + "/events", status: 404})
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": "print('streamed')"}`,
			header: http.Header{"Accept": {"text/event-stream"}}, status: 200})
		files := "/v1/jobs/" + finished.ID + "/files/"
		c.do(t, call{method: "GET", path: files + "out.txt", status: 200})
		c.do(t, call{method: "GET", path: files + "dot.png", status: 200})
		c.do(t, call{method: "GET", path: files + "missing.txt", status: 404})
		c.do(t, call{method: "GET", path: "/v1/jobs/" + queued.ID + "/files/out.txt", status: 404})
	})

	t.Run("queue full", func(t *testing.T) {
		// The queue holds contractMaxQueue jobs, waiting or running; the
		// jobs cancelled before must have left it first.
		c.waitMetric(t, "sandpit_queue_depth 0")
		var ids []string
		for range contractMaxQueue {
			ids = append(ids, c.job(t, call{method: "POST", path: "/v1/jobs", body: `{"code": "import time\ntime.sleep(60)"}`, status: 202}).ID)
		}
		c.do(t, call{method: "POST", path: "/v1/jobs", body: `{"code": "print(1)"}`, status: 429})
		c.do(t, call{method: "POST", path: "/v1/run", body: `{"code": "print(1)"}`, status: 429})
		for _, id := range ids {
			c.do(t, call{method: "DELETE", path: "/v1/jobs/" + id, status: 200})
		}
	})

	t.Run("batches", func(t *testing.T) {
		items := `{"id": "HumanEval/0", "code": "def add(a, b):\n    return a + b", "test": "assert add(2, 3) == 5"}
{"id": 1, "code": "def add(a, b):\n    return a - b", "test": "assert add(2, 3) == 5"}
`
		b := c.batch(t, call{method: "POST", path: "/v1/batches", body: items, ctype: "application/x-ndjson", status: 202})
		lines := c.do(t, call{method: "GET", path: "/v1/batches/" + b + "/results", status: 200})
		if n := bytes.Count(lines, []byte("\n")); n != 2 {
			t.Errorf("%d result lines, want 2", n)
		}
		c.do(t, call{method: "GET", path: "/v1/batches/" + b, status: 200})
		c.do(t, call{method: "GET", path: "/v1/batches/" + b + "/events", status: 200})
		c.do(t, call{method: "DELETE", path: "/v1/batches/" + b, status: 200})
		c.batch(t, call{method: "POST", path: "/v1/batches", body: `{"jobs": [{"code": "print(1)"}]}`, status: 202})
		c.do(t, call{method: "POST", path: "/v1/batches", body: `{"jobs": [{"code": "x", "timeout": 1}]}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/batches", body: "{\"code\": \"x\"}\n{\"code\": 2}\n", ctype: "application/x-ndjson", status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/batches", body: bigSpec() + "\n", ctype: "application/x-ndjson", status: 413})
		c.do(t, call{method: "POST", path: "/v1/batches", body: "x", ctype: "application/xml", status: 415, refused: true})
		c.do(t, call{method: "POST", path: "/v1/batches", body: `{"jobs": []}`, noKey: true, status: 401})
		for _, p := range []string{"", "/results", "/events"} {
			c.do(t, call{method: "GET", path: "/v1/batches/" + unknownID + p, status: 404})
			c.do(t, call{method: "GET", path: "/v1/batches/" + unknownID + p, noKey: true, status: 401})
		}
		c.do(t, call{method: "DELETE", path: "/v1/batches/" + unknownID, status: 404})
	})

	t.Run("sessions", func(t *testing.T) {
		var s struct{ ID string }
		json.Unmarshal(c.do(t, call{method: "POST", path: "/v1/sessions", body: `{"files": [{"path": "data.txt", "content": "41"}]}`, status: 201}), &s)
		base := "/v1/sessions/" + s.ID
		c.job(t, call{method: "POST", path: base + "/run", body: `{"code": "x = int(open('data.txt').read())\nx + 1"}`, status: 200})
		c.do(t, call{method: "POST", path: base + "/run", body: `{"code": "x", "memory_mb": 256}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: base + "/run", body: bigSpec(), status: 413})
		c.do(t, call{method: "POST", path: base + "/run", body: "x", ctype: "application/xml", status: 415, refused: true})
		c.do(t, call{method: "GET", path: base, status: 200})
		// One open session per key.
		c.do(t, call{method: "POST", path: "/v1/sessions", status: 429})
		c.do(t, call{method: "POST", path: "/v1/sessions", body: `{"memory_mb": 1}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/sessions", body: bigSession(), status: 413})
		c.do(t, call{method: "POST", path: "/v1/sessions", body: "x", ctype: "application/xml", status: 415, refused: true})
		c.do(t, call{method: "POST", path: "/v1/sessions", noKey: true, status: 401})
		c.do(t, call{method: "DELETE", path: base, status: 200})
		c.do(t, call{method: "POST", path: base + "/run", body: `{"code": "x"}`, status: 409})
		c.do(t, call{method: "GET", path: "/v1/sessions/" + unknownID, status: 404})
		c.do(t, call{method: "DELETE", path: "/v1/sessions/" + unknownID, status: 404})
		c.do(t, call{method: "POST", path: "/v1/sessions/" + unknownID + "/run", body: `{"code": "x"}`, status: 404})
	})

	t.Run("pages", func(t *testing.T) {
		var p struct{ ID string }
		json.Unmarshal(c.do(t, call{method: "POST", path: "/v1/pages", body: `{"code": "print('hello from your browser')"}`, status: 201}), &p)
		c.do(t, call{method: "GET", path: "/p/" + p.ID, noKey: true, status: 200})
		c.do(t, call{method: "GET", path: "/p/" + unknownID, noKey: true, status: 404})
		// One live page per key.
		c.do(t, call{method: "POST", path: "/v1/pages", body: `{"code": "print(2)"}`, status: 429})
		c.do(t, call{method: "POST", path: "/v1/pages", body: `{"code": "x", "files": "a"}`, status: 400, refused: true})
		c.do(t, call{method: "POST", path: "/v1/pages", body: bigSpec(), status: 413})
		c.do(t, call{method: "POST", path: "/v1/pages", body: "x", ctype: "application/xml", status: 415, refused: true})
		c.do(t, call{method: "POST", path: "/v1/pages", body: `{"code": "x"}`, noKey: true, status: 401})
	})

	t.Run("mcp", func(t *testing.T) {
		accept := http.Header{"Accept": {"application/json, text/event-stream"}}
		c.do(t, call{method: "POST", path: "/mcp", header: accept, status: 200,
			body: `{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "run_python", "arguments": {"code": "6 * 7"}}}`})
		c.do(t, call{method: "POST", path: "/mcp", header: accept, status: 202,
			body: `{"jsonrpc": "2.0", "method": "notifications/initialized"}`})
		c.do(t, call{method: "POST", path: "/mcp", header: accept, status: 400, body: `{"jsonrpc": `, refused: true})
		c.do(t, call{method: "POST", path: "/mcp", header: accept, status: 415, ctype: "text/plain", body: `{}`, refused: true})
		c.do(t, call{method: "POST", path: "/mcp", header: accept, status: 413, body: bigJSONRPC()})
		c.do(t, call{method: "POST", path: "/mcp", header: accept, status: 403, host: "sandpit.example.com",
			body: `{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}`})
		c.do(t, call{method: "POST", path: "/mcp", header: accept, noKey: true, status: 401, body: `{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}`})
		c.do(t, call{method: "GET", path: "/mcp", header: accept, status: 405})
		c.do(t, call{method: "DELETE", path: "/mcp", status: 405})
		c.do(t, call{method: "GET", path: "/mcp", noKey: true, status: 401})
		c.do(t, call{method: "DELETE", path: "/mcp", noKey: true, status: 401})
	})

	// Last: with Redis gone, the server answers 500 and /readyz says why.
	t.Run("redis down", func(t *testing.T) {
		c.redis.Close()
		c.do(t, call{method: "GET", path: "/readyz", status: 503})
		c.do(t, call{method: "GET", path: "/readyz/sandboxes", status: 503})
		c.do(t, call{method: "GET", path: "/v1/jobs/" + finished.ID, status: 500})
		c.do(t, call{method: "POST", path: "/v1/jobs", body: `{"code": "print(1)"}`, status: 500})
		c.do(t, call{method: "GET", path: "/v1/batches/" + unknownID, status: 500})
		c.do(t, call{method: "GET", path: "/p/" + unknownID, noKey: true, status: 500})
	})

	// Every operation of the document has been seen.
	for _, op := range c.operations() {
		if !c.seen[op] {
			t.Errorf("operation %s was not exercised", op)
		}
	}
}

// Settings of the server under test, which the test relies on.
const (
	contractMaxSpec  = 64 << 10
	contractMaxQueue = 3
	contractKey      = "contract-test-key-0123"
	unknownID        = "0123456789abcdef0123456789abcdef"
	// pngBase64 is a 1×1 PNG.
	pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR4nGNgYAAAAAMAASsJTYQAAAAASUVORK5CYII="
)

func bigSpec() string {
	return fmt.Sprintf(`{"code": "%s"}`, strings.Repeat("x", contractMaxSpec))
}

func bigSession() string {
	return fmt.Sprintf(`{"files": [{"path": "big.txt", "content": "%s"}]}`, strings.Repeat("x", contractMaxSpec))
}

func bigJSONRPC() string {
	return fmt.Sprintf(`{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "run_python", "arguments": {"code": "%s"}}}`,
		strings.Repeat("x", contractMaxSpec+2<<20))
}

// contract is a running server and the document it is checked against.
type contract struct {
	base   string
	doc    *openapi3.T
	router routers.Router
	redis  *redisserver.Server

	mu   sync.Mutex
	seen map[string]bool // operation ids called
}

// call is one request and what the test expects of it.
type call struct {
	method, path string
	body         string
	ctype        string // default application/json when there is a body
	header       http.Header
	host         string
	noKey        bool
	status       int
	// refused says that the document itself refuses the request, as the
	// server does.
	refused bool
}

// contractJob is what the test reads of a job.
type contractJob struct {
	ID      string
	Status  string
	Outputs []map[string]any
}

func startContract(t *testing.T) *contract {
	t.Helper()
	for _, ct := range []string{"text/html", "text/javascript", "text/event-stream", "application/x-ndjson"} {
		openapi3filter.RegisterBodyDecoder(ct, openapi3filter.PlainBodyDecoder)
	}
	openapi3filter.RegisterBodyDecoder("image/png", openapi3filter.FileBodyDecoder)

	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPI)
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the OpenAPI document is not valid: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	bin := filepath.Join(dir, "sandpit")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/sandpit-dev/sandpit/cmd/sandpit").CombinedOutput(); err != nil {
		t.Fatalf("build sandpit: %v\n%s", err, out)
	}
	rs, err := redisserver.Start(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--redis-url", rs.URL(), "--pool-size", "1",
		"--max-spec-bytes", fmt.Sprint(contractMaxSpec), "--max-timeout", "60s", "--max-queue", fmt.Sprint(contractMaxQueue),
		"--max-sessions-per-key", "1", "--max-pages-per-key", "1", "--rate-limit", "0", "--max-concurrent-per-key", "0",
		"--shutdown-grace", "1s")
	cmd.Env = append(os.Environ(), "SANDPIT_API_KEYS="+contractKey)
	var out testenv.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("output of sandpit serve (its end):\n%s", tail(out.String(), 4000))
		}
	})
	c := &contract{base: "http://" + addr, doc: doc, router: router, redis: rs, seen: map[string]bool{}}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		resp, err := http.Get(c.base + "/readyz/sandboxes")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return c
			}
		}
		select {
		case <-done:
			t.Fatalf("sandpit serve exited:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandpit serve never became ready:\n%s", out.String())
		}
	}
}

// do sends the call, checks its status, validates the request and the
// answer against the document, and returns the answer's body.
func (c *contract) do(t *testing.T, k call) []byte {
	t.Helper()
	name := k.method + " " + k.path
	if len(name) > 80 {
		name = name[:80] + "…"
	}
	req, err := http.NewRequest(k.method, c.base+k.path, strings.NewReader(k.body))
	if err != nil {
		t.Fatal(err)
	}
	if k.body == "" {
		req.Body, req.ContentLength = nil, 0
	} else {
		req.Header.Set("Content-Type", cmp.Or(k.ctype, "application/json"))
	}
	for h, v := range k.header {
		req.Header[h] = v
	}
	if !k.noKey {
		req.Header.Set("Authorization", "Bearer "+contractKey)
	}
	if k.host != "" {
		req.Host = k.host
	}

	// The request, against the document.
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s: no operation of the document: %v", name, err)
	}
	c.mu.Lock()
	c.seen[route.Operation.OperationID] = true
	c.mu.Unlock()
	stream := func(ct string) bool {
		return strings.HasPrefix(ct, "application/x-ndjson") || strings.HasPrefix(ct, "text/event-stream")
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true,
			ExcludeRequestBody: stream(k.ctype), SkipSettingDefaults: true}}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	if reqErr == nil && stream(k.ctype) {
		reqErr = c.validateLines(route, "Item", []byte(k.body))
	}
	switch {
	case k.refused && reqErr == nil:
		t.Errorf("%s: the document accepts the request %.200s, which the server refuses", name, k.body)
	case !k.refused && reqErr != nil:
		t.Errorf("%s: the document refuses the request: %s", name, short(reqErr))
	}
	if k.body != "" {
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(k.body)), int64(len(k.body))
	}

	// The answer.
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: read answer: %v", name, err)
	}
	if resp.StatusCode != k.status {
		t.Errorf("%s = %d %.300s, want %d", name, resp.StatusCode, body, k.status)
	}
	ct := resp.Header.Get("Content-Type")
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true, ExcludeResponseBody: stream(ct)}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s: the answer %d does not match the document: %s\n%.500s", name, resp.StatusCode, short(err), body)
	}
	switch {
	case strings.HasPrefix(ct, "application/x-ndjson"):
		if err := c.validateLines(route, "Job", body); err != nil {
			t.Errorf("%s: %s", name, short(err))
		}
	case strings.HasPrefix(ct, "text/event-stream"):
		if err := c.validateEvents(route.Operation.OperationID, body); err != nil {
			t.Errorf("%s: %s", name, short(err))
		}
	}
	return body
}

// waitMetric waits until the server's metrics have the line want.
func (c *contract) waitMetric(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequest("GET", c.base+"/metrics", nil)
		req.Header.Set("Authorization", "Bearer "+contractKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if slices.Contains(strings.Split(string(data), "\n"), want) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/metrics never had %q", want)
}

// job calls k and decodes the job it answers.
func (c *contract) job(t *testing.T, k call) contractJob {
	t.Helper()
	var j contractJob
	if err := json.Unmarshal(c.do(t, k), &j); err != nil || j.ID == "" {
		t.Fatalf("%s %s: no job in the answer (%v)", k.method, k.path, err)
	}
	return j
}

// batch calls k and returns the id of the batch it answers.
func (c *contract) batch(t *testing.T, k call) string {
	t.Helper()
	var b struct{ ID string }
	if err := json.Unmarshal(c.do(t, k), &b); err != nil || b.ID == "" {
		t.Fatalf("%s %s: no batch in the answer (%v)", k.method, k.path, err)
	}
	return b.ID
}

// validateLines checks each line of a JSON-lines body against a schema of
// the document's components.
func (c *contract) validateLines(route *routers.Route, schema string, body []byte) error {
	s := c.doc.Components.Schemas[schema]
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<22)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue // a heartbeat of the results stream
		}
		var v any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return fmt.Errorf("line %d is not JSON: %v", n, err)
		}
		if err := s.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			return fmt.Errorf("line %d does not match %s: %v", n, schema, err)
		}
	}
	return sc.Err()
}

// sse is one server-sent event.
type sse struct{ name, data string }

// readSSE splits a body of server-sent events, leaving out comments.
func readSSE(body []byte) []sse {
	var events []sse
	for _, ev := range strings.Split(strings.TrimSpace(string(body)), "\n\n") {
		var e sse
		for _, line := range strings.Split(ev, "\n") {
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				e.name = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				e.data = v
			}
		}
		if e.name != "" {
			events = append(events, e)
		}
	}
	return events
}

// validateEvents checks a body of server-sent events of the operation op:
// a batch's progress events and then one done event, each with a Batch as
// its data; or MCP messages, each a JSON-RPC message, the last the
// response.
func (c *contract) validateEvents(op string, body []byte) error {
	events := readSSE(body)
	var names []string
	for _, e := range events {
		names = append(names, e.name)
		var v any
		if err := json.Unmarshal([]byte(e.data), &v); err != nil {
			return fmt.Errorf("event %s: data is not JSON: %v", e.name, err)
		}
		switch op {
		case "postMCP":
			m, _ := v.(map[string]any)
			if e.name != "message" || m["jsonrpc"] != "2.0" {
				return fmt.Errorf("event %s: %.200s is not a JSON-RPC message", e.name, e.data)
			}
		case "getBatchEvents":
			if err := c.doc.Components.Schemas["Batch"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
				return fmt.Errorf("event %s: data does not match Batch: %v", e.name, err)
			}
		default: // a job's events
			if err := c.jobEvent(e.name, v); err != nil {
				return err
			}
		}
	}
	last := ""
	if len(names) > 0 {
		last = names[len(names)-1]
	}
	switch op {
	case "postMCP":
		var m map[string]any
		if len(events) == 0 || json.Unmarshal([]byte(events[len(events)-1].data), &m) != nil || m["id"] == nil {
			return fmt.Errorf("MCP events %v: the last is not the response", names)
		}
	default:
		if last != "done" || slices.Index(names, "done") != len(names)-1 {
			return fmt.Errorf("events %v, want progress or status and output events, and then done", names)
		}
	}
	return nil
}

// jobEvent checks one event of a job's: its status, a piece of its output,
// or its end with the Job.
func (c *contract) jobEvent(name string, v any) error {
	m, _ := v.(map[string]any)
	switch name {
	case "done":
		if err := c.doc.Components.Schemas["Job"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			return fmt.Errorf("event done: data does not match Job: %v", err)
		}
	case "status":
		if _, ok := m["status"].(string); !ok || len(m) != 1 {
			return fmt.Errorf("event status: data %v, want {\"status\": ...}", v)
		}
	case "stdout", "stderr":
		if _, ok := m["data"].(string); !ok || len(m) != 1 {
			return fmt.Errorf("event %s: data %v, want {\"data\": ...}", name, v)
		}
	default:
		return fmt.Errorf("event %s: not an event of a job", name)
	}
	return nil
}

// operations lists the operation ids of the document.
func (c *contract) operations() []string {
	var ids []string
	for _, item := range c.doc.Paths.Map() {
		for _, op := range item.Operations() {
			ids = append(ids, op.OperationID)
		}
	}
	slices.Sort(ids)
	return ids
}

// short cuts an error's message, which can quote a whole body, to a
// readable length.
func short(err error) string { return tail(err.Error(), 1500) }

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
