package mcpserver

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// These tests drive the server with the SDK's client over HTTP. The backend
// is a Go value that answers from what it is given: what the tools make of
// its answers does not depend on how jobs run (the whole way, with Chromium
// and Redis, is tested in cmd/sandpit).

// step is one event of a fake job, after a pause.
type step struct {
	after time.Duration
	ev    sandpit.Event
}

// recorder is a Backend that records its calls and answers with err, or
// else with a job whose events are those finish gives for its spec (by
// default, the spec's code as stdout).
type recorder struct {
	mu     sync.Mutex
	calls  []string
	specs  []sandpit.Spec
	auth   []string // the caller of each call
	err    error
	finish func(spec sandpit.Spec) ([]step, sandpit.Job)
	jobs   map[string]ownedJob
	nextID int
}

type ownedJob struct {
	owner string
	steps []step
	job   sandpit.Job
}

func (r *recorder) record(ctx context.Context, call string, spec sandpit.Spec) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
	r.specs = append(r.specs, spec)
	r.auth = append(r.auth, sandpit.CallerFrom(ctx).ID)
}

// submit makes the job of spec, with its events.
func (r *recorder) submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	if r.err != nil {
		return sandpit.Job{}, r.err
	}
	steps, job := r.defaultFinish(spec)
	if r.finish != nil {
		steps, job = r.finish(spec)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	if job.ID == "" {
		job.ID = "j" + strconv.Itoa(r.nextID)
	}
	if r.jobs == nil {
		r.jobs = map[string]ownedJob{}
	}
	r.jobs[job.ID] = ownedJob{owner: sandpit.CallerFrom(ctx).ID, steps: steps, job: job}
	return sandpit.Job{ID: job.ID, Result: sandpit.Result{Status: sandpit.StatusQueued}}, nil
}

func (r *recorder) defaultFinish(spec sandpit.Spec) ([]step, sandpit.Job) {
	job := sandpit.Job{Result: sandpit.Result{Status: sandpit.StatusSucceeded, ExitCode: ptr(0), Stdout: spec.Code, Files: []sandpit.File{}}}
	return []step{{ev: sandpit.Event{Type: sandpit.EventStdout, Data: spec.Code}}}, job
}

func (r *recorder) Submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	r.record(ctx, "submit", spec)
	return r.submit(ctx, spec)
}

func (r *recorder) SubmitInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	r.record(ctx, "submit_in_session "+id, spec)
	return r.submit(ctx, spec)
}

// lookup returns a job of the caller.
func (r *recorder) lookup(ctx context.Context, id string) (ownedJob, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	if !ok || j.owner != sandpit.CallerFrom(ctx).ID {
		return ownedJob{}, sandpit.Errorf(sandpit.ENOTFOUND, "job not found")
	}
	return j, nil
}

func (r *recorder) Events(ctx context.Context, id, after string) iter.Seq2[sandpit.Event, error] {
	return func(yield func(sandpit.Event, error) bool) {
		j, err := r.lookup(ctx, id)
		if err != nil {
			yield(sandpit.Event{}, err)
			return
		}
		if !yield(sandpit.Event{Type: sandpit.EventStatus, Data: "running"}, nil) {
			return
		}
		for _, s := range j.steps {
			select {
			case <-time.After(s.after):
			case <-ctx.Done():
				yield(sandpit.Event{}, ctx.Err())
				return
			}
			if !yield(s.ev, nil) {
				return
			}
		}
		job := j.job
		yield(sandpit.Event{Type: sandpit.EventDone, Data: string(job.Status), Job: &job}, nil)
	}
}

func (r *recorder) Get(ctx context.Context, id string) (sandpit.Job, error) {
	j, err := r.lookup(ctx, id)
	return j.job, err
}

func (r *recorder) CreateSession(ctx context.Context, spec sandpit.SessionSpec) (sandpit.Session, error) {
	r.record(ctx, "create_session", sandpit.Spec{MemoryMB: spec.MemoryMB, Packages: spec.Packages, Files: spec.Files})
	return sandpit.Session{ID: "s1", Status: sandpit.SessionOpen, ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}, r.err
}

func (r *recorder) CloseSession(ctx context.Context, id string) (sandpit.Session, error) {
	r.record(ctx, "close_session "+id, sandpit.Spec{})
	return sandpit.Session{ID: id, Status: sandpit.SessionClosed, Runs: 2}, r.err
}

// bearer adds an Authorization header to every request.
type bearer string

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(req)
}

// heard is what a client heard besides the answers to its calls.
type heard struct {
	mu       sync.Mutex
	progress []*mcp.ProgressNotificationParams
	logs     []*mcp.LoggingMessageParams
}

func (h *heard) options() *mcp.ClientOptions {
	return &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.progress = append(h.progress, req.Params)
		},
		LoggingMessageHandler: func(_ context.Context, req *mcp.LoggingMessageRequest) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.logs = append(h.logs, req.Params)
		},
	}
}

func (h *heard) counts() (progress, logs int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.progress), len(h.logs)
}

// server serves b over HTTP, as the API does: the caller, named by its
// bearer token, in the request's context.
func server(t *testing.T, b Backend, opts Options) string {
	t.Helper()
	h := Handler(b, opts)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := sandpit.Caller{ID: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")}
		h.ServeHTTP(w, r.WithContext(sandpit.WithCaller(r.Context(), caller)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// dial opens a client session of the server at url as the caller key, in
// protocol version (the latest when empty).
func dial(t *testing.T, url, key, version string, h *heard) *mcp.ClientSession {
	t.Helper()
	var opts *mcp.ClientOptions
	if h != nil {
		opts = h.options()
	}
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, opts)
	cs, err := c.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint: url, HTTPClient: &http.Client{Transport: bearer(key)},
	}, &mcp.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// connect serves b over HTTP and returns a client session of it.
func connect(t *testing.T, b Backend) *mcp.ClientSession {
	t.Helper()
	return dial(t, server(t, b, Options{}), "k1", "", nil)
}

func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	tc, _ := res.Content[0].(*mcp.TextContent)
	if tc == nil {
		return ""
	}
	return tc.Text
}

func TestTools(t *testing.T) {
	rec := &recorder{}
	cs := connect(t, rec)

	t.Run("listing", func(t *testing.T) {
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, tool := range res.Tools {
			names = append(names, tool.Name)
			if len(tool.Description) < 100 || tool.InputSchema == nil || tool.OutputSchema == nil {
				t.Errorf("%s: description %q, input schema %v, output schema %v", tool.Name, tool.Description, tool.InputSchema, tool.OutputSchema)
			}
		}
		slices.Sort(names)
		if want := []string{"close_session", "create_session", "run_in_session", "run_python"}; !slices.Equal(names, want) {
			t.Fatalf("tools = %v, want %v", names, want)
		}
	})
	t.Run("run_python passes the spec and the caller's header", func(t *testing.T) {
		res := call(t, cs, "run_python", map[string]any{"code": "print(1)", "timeout_ms": 500, "packages": []string{"numpy"},
			"files": []map[string]any{{"path": "in.txt", "content": "aGk=", "encoding": "base64"}}})
		if res.IsError || !strings.Contains(text(res), "stdout:\nprint(1)\n") {
			t.Fatalf("result = %+v, text %q", res, text(res))
		}
		want := sandpit.Spec{Code: "print(1)", TimeoutMS: 500, Packages: []string{"numpy"},
			Files: []sandpit.File{{Path: "in.txt", Content: "aGk=", Encoding: "base64"}}}
		if got := rec.specs[len(rec.specs)-1]; !specEqual(got, want) {
			t.Errorf("spec = %+v, want %+v", got, want)
		}
		if got := rec.auth[len(rec.auth)-1]; got != "k1" {
			t.Errorf("caller's Authorization = %q, want Bearer k1", got)
		}
		var out jobOutput
		data, _ := json.Marshal(res.StructuredContent)
		if err := json.Unmarshal(data, &out); err != nil || out.ID == "" || out.Stdout != "print(1)" {
			t.Errorf("structured content = %s (%v)", data, err)
		}
	})
	t.Run("arguments checked against the schema", func(t *testing.T) {
		res := call(t, cs, "run_python", map[string]any{"timeout_ms": 5})
		if !res.IsError || !strings.Contains(text(res), "code") {
			t.Fatalf("result = %+v, text %q; want an error naming code", res, text(res))
		}
		res = call(t, cs, "run_python", map[string]any{"code": "1", "files": []map[string]any{{"path": "a", "content": "", "encoding": "latin-1"}}})
		if !res.IsError || !strings.Contains(text(res), "encoding") {
			t.Fatalf("result = %+v, text %q; want an error naming encoding", res, text(res))
		}
	})
	t.Run("session tools", func(t *testing.T) {
		res := call(t, cs, "create_session", map[string]any{"memory_mb": 256})
		if res.IsError || !strings.Contains(text(res), "session_id: s1\n") || !strings.Contains(text(res), "expires_at: 2030-01-02T03:04:05Z") {
			t.Fatalf("create_session = %q", text(res))
		}
		if got := rec.specs[len(rec.specs)-1]; got.MemoryMB != 256 {
			t.Errorf("session spec = %+v, want memory_mb 256", got)
		}
		res = call(t, cs, "run_in_session", map[string]any{"session_id": "s1", "code": "x = 1"})
		if res.IsError || rec.calls[len(rec.calls)-1] != "submit_in_session s1" {
			t.Fatalf("run_in_session = %q, calls %v", text(res), rec.calls)
		}
		res = call(t, cs, "close_session", map[string]any{"session_id": "s1"})
		if res.IsError || !strings.Contains(text(res), "status: closed") || rec.calls[len(rec.calls)-1] != "close_session s1" {
			t.Fatalf("close_session = %q, calls %v", text(res), rec.calls)
		}
		res = call(t, cs, "run_in_session", map[string]any{"session_id": "", "code": "x"})
		if !res.IsError || text(res) != "invalid: session_id: required" {
			t.Fatalf("run_in_session without an id = %q", text(res))
		}
	})
}

// TestBackendErrors checks that a call sandpit refuses is a tool error the
// agent can read, with no structured output, and never a protocol error.
func TestBackendErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"invalid", sandpit.Errorf(sandpit.EINVALID, "timeout_ms: must be at most 300000"), "invalid: timeout_ms: must be at most 300000"},
		{"not found", sandpit.Errorf(sandpit.ENOTFOUND, "session not found"), "not_found: session not found"},
		{"rate limited", sandpit.Errorf(sandpit.ERATELIMITED, "rate limit of 50 requests per second reached"), "rate_limited: rate limit of 50 requests per second reached"},
		{"unreachable", errors.New("POST /v1/run: connection refused"), "sandpit did not answer: POST /v1/run: connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := connect(t, &recorder{err: tc.err})
			for tool, args := range map[string]map[string]any{
				"run_python":     {"code": "1"},
				"create_session": {},
				"run_in_session": {"session_id": "s1", "code": "1"},
				"close_session":  {"session_id": "s1"},
			} {
				res := call(t, cs, tool, args)
				if !res.IsError || text(res) != tc.want || res.StructuredContent != nil {
					t.Errorf("%s = IsError %v, text %q, structured %v; want the error %q alone", tool, res.IsError, text(res), res.StructuredContent, tc.want)
				}
			}
		})
	}
}

// A run whose events break off before its end is an error result that
// names the job, so that the agent can look for it.
func TestEventsBreakOff(t *testing.T) {
	rec := &recorder{finish: func(spec sandpit.Spec) ([]step, sandpit.Job) {
		return nil, sandpit.Job{ID: "lost"}
	}}
	b := &brokenEvents{rec}
	cs := dial(t, server(t, b, Options{PublicURL: "https://sandpit.example.com"}), "k1", "", nil)
	res := call(t, cs, "run_python", map[string]any{"code": "1"})
	if !res.IsError || !strings.Contains(text(res), "redis went away") || len(res.Content) != 2 ||
		!strings.Contains(res.Content[1].(*mcp.TextContent).Text, "https://sandpit.example.com/v1/jobs/lost") {
		t.Fatalf("IsError %v, content %+v", res.IsError, res.Content)
	}
}

// brokenEvents is a backend whose events fail after the first.
type brokenEvents struct{ *recorder }

func (b *brokenEvents) Events(ctx context.Context, id, after string) iter.Seq2[sandpit.Event, error] {
	return func(yield func(sandpit.Event, error) bool) {
		if yield(sandpit.Event{Type: sandpit.EventStatus, Data: "queued"}, nil) {
			yield(sandpit.Event{}, errors.New("read events: redis went away"))
		}
	}
}

func specEqual(a, b sandpit.Spec) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
