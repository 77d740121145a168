package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit/client"
	"github.com/sandpit-dev/sandpit/internal/testenv"
)

// These tests use sandpit as an agent does, with the MCP SDK's client: over
// streamable HTTP at /mcp of `sandpit serve`, and over stdio through
// `sandpit mcp`, with real Chromium and Redis behind.

// The API keys of TestMCP's server.
const (
	mcpKey1 = "mcp-test-key-one-0123"
	mcpKey2 = "mcp-test-key-two-0123"
)

// bearerTransport sends an API key with every request.
type bearerTransport string

func (k bearerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+string(k))
	return http.DefaultTransport.RoundTrip(req)
}

// connectMCP opens an MCP client session of the server at base over
// streamable HTTP, with key as its API key unless empty.
func connectMCP(t *testing.T, base, key string) (*mcp.ClientSession, error) {
	return connectMCPHearing(t, base, key, nil)
}

// connectMCPHearing is connectMCP with a client that tells h what it
// hears besides answers.
func connectMCPHearing(t *testing.T, base, key string, h *hearing) (*mcp.ClientSession, error) {
	t.Helper()
	hc := http.DefaultClient
	if key != "" {
		hc = &http.Client{Transport: bearerTransport(key)}
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "sandpit-test", Version: "1"}, h.options())
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: base + "/mcp", HTTPClient: hc, MaxRetries: -1}, nil)
	if err == nil {
		t.Cleanup(func() { cs.Close() })
	}
	return cs, err
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

// toolText is the text of a result's first content block.
func toolText(res *mcp.CallToolResult) string {
	if len(res.Content) > 0 {
		if tc, ok := res.Content[0].(*mcp.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

func toolNames(t *testing.T, cs *mcp.ClientSession) []string {
	t.Helper()
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// hearing records the notifications a client hears, with when.
type hearing struct {
	mu       sync.Mutex
	progress []time.Time
	messages []string // "LEVEL LOGGER: text"
	logged   []time.Time
}

func (h *hearing) options() *mcp.ClientOptions {
	if h == nil {
		return nil
	}
	return &mcp.ClientOptions{
		ProgressNotificationHandler: func(context.Context, *mcp.ProgressNotificationClientRequest) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.progress = append(h.progress, time.Now())
		},
		LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.messages = append(h.messages, fmt.Sprintf("%s %s: %v", req.Params.Level, req.Params.Logger, req.Params.Data))
			h.logged = append(h.logged, time.Now())
		},
	}
}

// callWithProgress calls a tool asking for progress and for log messages.
func callWithProgress(t *testing.T, cs *mcp.ClientSession, name string, args map[string]any) (*mcp.CallToolResult, time.Time) {
	t.Helper()
	params := &mcp.CallToolParams{Name: name, Arguments: args, Meta: mcp.Meta{mcp.MetaKeyLogLevel: "info"}}
	params.SetProgressToken("progress-1")
	res, err := cs.CallTool(context.Background(), params)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res, time.Now()
}

// pausing prints three lines with pauses between them.
const pausing = "import time\nfor i in range(3):\n    print('line', i)\n    time.sleep(0.7)"

// checkHeard checks that h heard progress and the lines of pausing while
// the call that returned at end ran.
func checkHeard(t *testing.T, h *hearing, end time.Time, wantLogs bool) {
	t.Helper()
	// The server sends every log message before the result, but the
	// client's SDK may hand the last of them to its handler after CallTool
	// has returned: give it a moment.
	for deadline := time.Now().Add(5 * time.Second); wantLogs && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		h.mu.Lock()
		n := 0
		for _, m := range h.messages {
			n += strings.Count(m, "\n")
		}
		h.mu.Unlock()
		if n >= 3 {
			break
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.progress) < 3 || end.Sub(h.progress[0]) < time.Second {
		t.Errorf("%d progress notifications, the first %v before the result; want some while the run lasts", len(h.progress), end.Sub(h.progress[0]))
	}
	if !wantLogs {
		return
	}
	// Output that comes close together may arrive as one message; what
	// the messages say, in order, is what the code printed.
	var text strings.Builder
	for _, m := range h.messages {
		line, ok := strings.CutPrefix(m, "info stdout: ")
		if !ok {
			t.Errorf("log message %q is not the job's stdout at level info", m)
		}
		text.WriteString(line)
	}
	if got := text.String(); got != "line 0\nline 1\nline 2\n" {
		t.Errorf("log messages %q, want the lines as the code printed them", h.messages)
	}
	if len(h.logged) == 0 || end.Sub(h.logged[0]) < time.Second {
		t.Errorf("the first line was heard %v before the result, want the run's pauses between", end.Sub(h.logged[0]))
	}
}

var allTools = []string{"close_session", "create_session", "run_in_session", "run_python"}

// pngBase64 is a 1×1 PNG.
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// TestMCP runs `sandpit serve` with API keys and uses its tools over /mcp
// and through `sandpit mcp`. The server checks the key on /v1 as well, so
// every tool call that succeeds shows that the in-process call to the API
// carried the MCP caller's key.
func TestMCP(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "2", "--api-keys", mcpKey1+","+mcpKey2, "--max-concurrent-per-key", "1")
	waitReady(t, base, p)

	if _, err := connectMCP(t, base, ""); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
		t.Fatalf("connect without a key: %v, want Unauthorized", err)
	}
	cs, err := connectMCP(t, base, mcpKey1)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("tool listing", func(t *testing.T) {
		if names := toolNames(t, cs); !slices.Equal(names, allTools) {
			t.Fatalf("tools = %v, want %v", names, allTools)
		}
	})
	t.Run("run_python", func(t *testing.T) {
		res := callTool(t, cs, "run_python", map[string]any{"code": "import sys\nprint('out')\nprint('err', file=sys.stderr)\n6 * 7"})
		text := toolText(res)
		for _, want := range []string{"status: succeeded (exit code 0)\n", "\nstdout:\nout\n", "\nstderr:\nerr\n", "\nresult: 42\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q:\n%s", want, text)
			}
		}
		if res.IsError {
			t.Error("IsError on a run that succeeded")
		}
		out, _ := res.StructuredContent.(map[string]any)
		if out["status"] != "succeeded" || out["stdout"] != "out\n" || out["result"] != "42" {
			t.Errorf("structured content = %v", res.StructuredContent)
		}
	})
	t.Run("rich outputs", func(t *testing.T) {
		code := "class Table:\n    def _repr_html_(self):\n        return '<table><tr><td>1</td></tr></table>'\n" +
			"display(Table())\ndisplay({'image/png': b'\\x89PNG\\r\\n', 'text/plain': 'dot'}, raw=True)\n" +
			"display({'application/vnd.plotly.v1+json': {'data': [{'type': 'bar'}]}}, raw=True)"
		res := callTool(t, cs, "run_python", map[string]any{"code": code})
		var kinds []string
		for _, c := range res.Content {
			kinds = append(kinds, fmt.Sprintf("%T", c))
		}
		want := []string{"*mcp.TextContent", "*mcp.TextContent", "*mcp.TextContent", "*mcp.ImageContent", "*mcp.TextContent"}
		if !slices.Equal(kinds, want) {
			t.Fatalf("blocks %v, want %v:\n%s", kinds, want, toolText(res))
		}
		if got := res.Content[1].(*mcp.TextContent).Text; !strings.HasPrefix(got, "output 1 of 3 (text/html, text/plain); shown as text/html:\n<table>") {
			t.Errorf("the HTML output's block is %q", got)
		}
		if img := res.Content[3].(*mcp.ImageContent); img.MIMEType != "image/png" || string(img.Data) != "\x89PNG\r\n" {
			t.Errorf("the image block is %s %q", img.MIMEType, img.Data)
		}
		if got := res.Content[4].(*mcp.TextContent).Text; got != "output 3 of 3 (application/vnd.plotly.v1+json); shown as application/vnd.plotly.v1+json:\n{\"data\":[{\"type\":\"bar\"}]}" {
			t.Errorf("the plotly output's block is %q", got)
		}
		out, _ := res.StructuredContent.(map[string]any)
		if outputs, _ := out["outputs"].([]any); len(outputs) != 3 {
			t.Errorf("structured outputs %v, want 3", out["outputs"])
		}
	})
	t.Run("a fresh interpreter every call", func(t *testing.T) {
		callTool(t, cs, "run_python", map[string]any{"code": "leftover = 1"})
		res := callTool(t, cs, "run_python", map[string]any{"code": "print('leftover' in globals())"})
		if !strings.Contains(toolText(res), "stdout:\nFalse\n") {
			t.Fatalf("second call sees the first one's variable:\n%s", toolText(res))
		}
	})
	t.Run("python error", func(t *testing.T) {
		res := callTool(t, cs, "run_python", map[string]any{"code": "def f():\n    return 1 / 0\n\nf()"})
		text := toolText(res)
		if !res.IsError {
			t.Error("IsError not set for an uncaught exception")
		}
		for _, want := range []string{"status: failed: the code raised ZeroDivisionError: division by zero (exit code 1)",
			"Traceback (most recent call last):", `line 2, in f`, "ZeroDivisionError: division by zero\n"} {
			if !strings.Contains(text, want) {
				t.Errorf("text lacks %q:\n%s", want, text)
			}
		}
	})
	t.Run("timeout", func(t *testing.T) {
		res := callTool(t, cs, "run_python", map[string]any{"code": "print('started', flush=True)\nwhile True: pass", "timeout_ms": 500})
		text := toolText(res)
		if !res.IsError || !strings.HasPrefix(text, "status: timeout: the code ran longer than its timeout of 500ms") ||
			!strings.Contains(text, "stdout:\nstarted\n") {
			t.Fatalf("IsError %v, text:\n%s", res.IsError, text)
		}
	})
	t.Run("input and output files", func(t *testing.T) {
		code := "import base64\n" +
			"open('dot.png', 'wb').write(base64.b64decode('" + pngBase64 + "'))\n" +
			"rows = open('in/data.csv').read().split()\n" +
			"open('count.txt', 'w').write(str(len(rows)))"
		res := callTool(t, cs, "run_python", map[string]any{"code": code,
			"files": []map[string]any{{"path": "in/data.csv", "content": "a\nb\nc\n"}}})
		if res.IsError || len(res.Content) != 3 {
			t.Fatalf("IsError %v, %d blocks, want 3; text:\n%s", res.IsError, len(res.Content), toolText(res))
		}
		var img *mcp.ImageContent
		var txt *mcp.EmbeddedResource
		for _, c := range res.Content[1:] {
			switch c := c.(type) {
			case *mcp.ImageContent:
				img = c
			case *mcp.EmbeddedResource:
				txt = c
			}
		}
		png, _ := base64.StdEncoding.DecodeString(pngBase64)
		if img == nil || img.MIMEType != "image/png" || !bytes.Equal(img.Data, png) {
			t.Errorf("image block = %+v, want dot.png's bytes as image/png", img)
		}
		if txt == nil || txt.Resource.Text != "3" || !strings.HasSuffix(txt.Resource.URI, "/files/count.txt") {
			t.Errorf("resource block = %+v, want count.txt with 3", txt)
		}
		if text := toolText(res); !strings.Contains(text, fmt.Sprintf("- dot.png (image/png, %d bytes)", len(png))) {
			t.Errorf("text does not list dot.png:\n%s", text)
		}
	})
	t.Run("progress and output while it runs", func(t *testing.T) {
		h := &hearing{}
		cs, err := connectMCPHearing(t, base, mcpKey1, h)
		if err != nil {
			t.Fatal(err)
		}
		res, end := callWithProgress(t, cs, "run_python", map[string]any{"code": pausing})
		if res.IsError || !strings.Contains(toolText(res), "stdout:\nline 0\nline 1\nline 2\n") {
			t.Fatalf("IsError %v, text:\n%s", res.IsError, toolText(res))
		}
		checkHeard(t, h, end, true)
	})
	t.Run("a long output is cut", func(t *testing.T) {
		res := callTool(t, cs, "run_python", map[string]any{"code": "for i in range(20000):\n    print(f'line {i:05d} of a long output')"})
		text := toolText(res)
		out, _ := res.StructuredContent.(map[string]any)
		id, _ := out["id"].(string)
		note := fmt.Sprintf("characters of stdout cut here; the whole is in job %s: GET %s/v1/jobs/%s …]", id, base, id)
		if res.IsError || len([]rune(text)) > 20000 || !strings.Contains(text, note) ||
			!strings.Contains(text, "line 00000 of") || !strings.Contains(text, "line 19999 of") {
			t.Fatalf("IsError %v, %d characters; want the head and the tail within 20000 and %q:\n%.2000s", res.IsError, len([]rune(text)), note, text)
		}
		if out["job_url"] != base+"/v1/jobs/"+id || out["stdout_omitted"] == nil {
			t.Errorf("structured output names %v, omitted %v", out["job_url"], out["stdout_omitted"])
		}
		c, _ := client.New(base, client.WithAPIKey(mcpKey1))
		if job, err := c.Get(context.Background(), id); err != nil || strings.Count(job.Stdout, "\n") != 20000 {
			t.Errorf("the whole job at its URL: %d lines, %v", strings.Count(job.Stdout, "\n"), err)
		}
	})
	t.Run("output files are resources of their caller", func(t *testing.T) {
		res := callTool(t, cs, "run_python", map[string]any{"code": "open('out.txt', 'w').write('written')"})
		var uri string
		for _, c := range res.Content[1:] {
			if r, ok := c.(*mcp.EmbeddedResource); ok {
				uri = r.Resource.URI
			}
		}
		got, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
		if err != nil || len(got.Contents) != 1 || got.Contents[0].Text != "written" {
			t.Fatalf("read %q = %+v, %v", uri, got, err)
		}
		other, err := connectMCP(t, base, mcpKey2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := other.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri}); err == nil || !strings.Contains(err.Error(), "not found") {
			t.Errorf("another key read %s: %v, want not found", uri, err)
		}
	})
	t.Run("descriptions state the server's limits and packages", func(t *testing.T) {
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tool := range res.Tools {
			if tool.Name == "run_python" && (!strings.Contains(tool.Description, "no packages beyond the standard library") ||
				!strings.Contains(tool.Description, "at most 300000") || !strings.Contains(tool.Description, "threads")) {
				t.Errorf("run_python's description:\n%s", tool.Description)
			}
		}
	})
	t.Run("refused input is a tool error", func(t *testing.T) {
		res := callTool(t, cs, "run_python", map[string]any{"code": "1", "timeout_ms": 99999999})
		if !res.IsError || toolText(res) != "invalid: timeout_ms: must be at most 300000" {
			t.Fatalf("IsError %v, text %q", res.IsError, toolText(res))
		}
	})
	t.Run("the caller's key and its limits", func(t *testing.T) {
		// A key may have 1 request in flight, and a tool call is one: its
		// /mcp request, which calls the services in process.
		long := make(chan *mcp.CallToolResult, 1)
		go func() {
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "run_python",
				Arguments: map[string]any{"code": "while True: pass", "timeout_ms": 3000}})
			if err != nil {
				res = &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}
			}
			long <- res
		}()
		defer func() {
			if res := <-long; !res.IsError || !strings.HasPrefix(toolText(res), "status: timeout") {
				t.Errorf("long call = IsError %v:\n%s", res.IsError, toolText(res))
			}
		}()
		waitMetric(t, base, mcpKey1, "sandpit_queue_depth 1")
		res := callTool(t, cs, "run_python", map[string]any{"code": "print(1)"})
		if want := "rate_limited: this key already has 1 requests in flight, the most allowed"; !res.IsError || toolText(res) != want {
			t.Errorf("second call of k1 = IsError %v, %q; want %q", res.IsError, toolText(res), want)
		}
		other, err := connectMCP(t, base, mcpKey2)
		if err != nil {
			t.Fatal(err)
		}
		if res := callTool(t, other, "run_python", map[string]any{"code": "print(2)"}); res.IsError {
			t.Errorf("a call of k2 while k1 is at its limit:\n%s", toolText(res))
		}
	})
	t.Run("sandpit mcp over stdio", func(t *testing.T) {
		cmd := exec.Command(binary, "mcp", "--server", base)
		cmd.Env = append(os.Environ(), "SANDPIT_API_KEY="+mcpKey1)
		var stderr testenv.Buffer
		cmd.Stderr = &stderr
		stdioHeard := &hearing{}
		c := mcp.NewClient(&mcp.Implementation{Name: "sandpit-test", Version: "1"}, stdioHeard.options())
		cs, err := c.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			t.Fatalf("connect: %v; stderr %q", err, stderr.String())
		}
		if names := toolNames(t, cs); !slices.Equal(names, allTools) {
			t.Errorf("tools = %v, want %v", names, allTools)
		}
		res := callTool(t, cs, "run_python", map[string]any{"code": "print('hello from stdio')\nopen('out.txt', 'w').write('over stdio')"})
		if res.IsError || !strings.Contains(toolText(res), "stdout:\nhello from stdio\n") {
			t.Errorf("IsError %v, text:\n%s", res.IsError, toolText(res))
		}
		uri := fmt.Sprintf("sandpit://jobs/%s/files/out.txt", res.StructuredContent.(map[string]any)["id"])
		if got, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri}); err != nil || got.Contents[0].Text != "over stdio" {
			t.Errorf("read %s over stdio = %+v, %v", uri, got, err)
		}
		if !strings.Contains(toolText(res), "GET "+base+"/v1/jobs/") && !strings.Contains(fmt.Sprint(res.StructuredContent), base+"/v1/jobs/") {
			t.Errorf("the result does not name the server's URL: %v", res.StructuredContent)
		}
		if err := cs.SetLoggingLevel(context.Background(), &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
			t.Fatal(err)
		}
		res, end := callWithProgress(t, cs, "run_python", map[string]any{"code": pausing})
		if res.IsError {
			t.Fatalf("over stdio:\n%s", toolText(res))
		}
		checkHeard(t, stdioHeard, end, true)
		if err := cs.Close(); err != nil {
			t.Errorf("close: %v; stderr %q", err, stderr.String())
		}
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("sandpit mcp exited %d once its stdin closed, want 0; stderr %q", code, stderr.String())
		}
	})
	if code := p.stop(t); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM, want 0", code)
	}
}

// waitMetric waits until the server's /metrics has the line want.
func waitMetric(t *testing.T, base, key, want string) {
	t.Helper()
	testenv.Eventually(t, 30*time.Second, func() bool {
		req, _ := http.NewRequest("GET", base+"/metrics", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return slices.Contains(strings.Split(string(data), "\n"), want)
	}, "/metrics never had %q", want)
}

// TestMCPSessions keeps state across runs in a session through the MCP
// tools. It needs the server's session endpoints (/v1/sessions).
func TestMCPSessions(t *testing.T) {
	addr := freeAddr(t)
	base := "http://" + addr
	p := start(t, "serve", "--addr", addr, "--pool-size", "1")
	waitReady(t, base, p)
	cs, err := connectMCP(t, base, "")
	if err != nil {
		t.Fatal(err)
	}

	res := callTool(t, cs, "create_session", map[string]any{})
	session, _ := res.StructuredContent.(map[string]any)
	id, _ := session["id"].(string)
	if res.IsError || id == "" || session["status"] != "open" || !strings.Contains(toolText(res), "session_id: "+id+"\n") {
		t.Fatalf("create_session = IsError %v, %v, text:\n%s", res.IsError, res.StructuredContent, toolText(res))
	}
	if res := callTool(t, cs, "run_in_session", map[string]any{"session_id": id, "code": "x = 41"}); res.IsError {
		t.Fatalf("x = 41:\n%s", toolText(res))
	}
	res = callTool(t, cs, "run_in_session", map[string]any{"session_id": id, "code": "print(x + 1)"})
	if res.IsError || !strings.Contains(toolText(res), "stdout:\n42\n") {
		t.Fatalf("print(x + 1) = IsError %v:\n%s", res.IsError, toolText(res))
	}
	res = callTool(t, cs, "close_session", map[string]any{"session_id": id})
	if closed, _ := res.StructuredContent.(map[string]any); res.IsError || closed["status"] != "closed" {
		t.Fatalf("close_session = IsError %v, %v:\n%s", res.IsError, res.StructuredContent, toolText(res))
	}
	if res := callTool(t, cs, "run_in_session", map[string]any{"session_id": id, "code": "x"}); !res.IsError {
		t.Fatalf("a run in a closed session is not an error:\n%s", toolText(res))
	}
}
