// Package mcpserver is sandpit's Model Context Protocol transport: tools
// that let an LLM agent run Python in sandpit, served over streamable HTTP
// or stdio. It runs nothing itself; every tool calls a Backend: sandpit's
// services in the API process, where the caller travels in the request's
// context, or the Go client of a remote API for `sandpit mcp`.
package mcpserver

import (
	"context"
	"iter"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// Backend is what the tools need of sandpit. A run is submitted and then
// followed through its events, so that its output reaches the agent's
// client while it runs.
type Backend interface {
	Submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error)
	SubmitInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error)
	// Events yields the job's events until its end, as
	// sandpit.JobService.Events does.
	Events(ctx context.Context, id, after string) iter.Seq2[sandpit.Event, error]
	// Get returns a job of the caller, for its files read as resources.
	Get(ctx context.Context, id string) (sandpit.Job, error)
	CreateSession(ctx context.Context, spec sandpit.SessionSpec) (sandpit.Session, error)
	CloseSession(ctx context.Context, id string) (sandpit.Session, error)
}

// Admitter is what a Backend that bounds its callers' calls may offer:
// Admit counts one call and returns the context whose calls of the
// Backend are part of it, so that a tool call counts once however many
// calls of the Backend it makes. sandpit's services are one.
type Admitter interface {
	Admit(ctx context.Context) (context.Context, func(), error)
}

// DefaultMaxText is the default of Options.MaxText: a result of this many
// characters stays well under the 25,000 tokens Claude Code takes of a
// tool's result.
const DefaultMaxText = 20000

// MinMaxText is the least Options.MaxText.
const MinMaxText = 2000

// Options configures the server. The zero value is usable.
type Options struct {
	// Logger receives the MCP transport's own errors; nil: none.
	Logger *slog.Logger
	// MaxRequestBytes bounds the body of one HTTP request to the handler;
	// 0 means the SDK's default (4 MiB).
	MaxRequestBytes int64
	// MaxText bounds the text of one tool result, in characters: output,
	// traceback and text files together. What is cut is said, with where
	// the whole is. 0 means DefaultMaxText; less than MinMaxText means
	// MinMaxText, which the notes of what was cut need.
	MaxText int
	// PublicURL is where HTTP clients reach sandpit's API, such as
	// https://sandpit.example.com, for the URLs of jobs and files a result
	// names. Empty: the scheme and host of each HTTP request to the
	// handler, and no URL at all over stdio.
	PublicURL string
	// Info is what the server tells of itself (GET /v1/info): the tool
	// descriptions state its limits and packages. Nil: they state none.
	Info *sandpit.Info
	// ProgressEvery is how often a progress notification goes out while a
	// run is quiet (when the client asked for them); default 5s.
	ProgressEvery time.Duration
}

func (o Options) withDefaults() Options {
	switch {
	case o.MaxText == 0:
		o.MaxText = DefaultMaxText
	case o.MaxText < MinMaxText:
		o.MaxText = MinMaxText
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = 5 * time.Second
	}
	o.PublicURL = strings.TrimRight(o.PublicURL, "/")
	return o
}

// instructions tell the agent what the server is for, at initialization.
const instructions = `sandpit runs Python code in an isolated sandbox: Pyodide (CPython compiled to WebAssembly) in a headless browser, with no network access. Use run_python for independent runs (a fresh interpreter every call), or create_session, run_in_session and close_session to keep variables and files across runs. Output files are also resources (sandpit://jobs/{id}/files/{path}).`

// New returns an MCP server whose tools run code through b.
func New(b Backend, opts Options) *mcp.Server {
	opts = opts.withDefaults()
	s := mcp.NewServer(&mcp.Implementation{Name: "sandpit", Title: "sandpit Python sandbox", Version: "1"},
		&mcp.ServerOptions{
			Instructions: instructions,
			Logger:       opts.Logger,
			// A run's output goes out as log messages while it runs, and
			// output files are resources.
			Capabilities: &mcp.ServerCapabilities{
				Logging:   &mcp.LoggingCapabilities{},
				Resources: &mcp.ResourceCapabilities{},
			},
		})
	t := tools{b: b, opts: opts}
	d := describe(opts.Info, opts.MaxText)
	mcp.AddTool(s, d.runPython(), once(b, t.runPython))
	mcp.AddTool(s, d.createSession(), once(b, t.createSession))
	mcp.AddTool(s, d.runInSession(), once(b, t.runInSession))
	mcp.AddTool(s, d.closeSession(), once(b, t.closeSession))
	s.AddResourceTemplate(fileTemplate, t.readFile)
	return s
}

// Handler returns the streamable HTTP transport of a server whose tools run
// code through b. It is stateless: each HTTP request stands alone, so any
// number of API processes behind a load balancer can serve one client. The
// state an agent keeps is a sandpit session, named by its id in the tool
// calls, not an MCP session. A tool call is answered with a stream of
// server-sent events, so that progress and output reach the client while
// the code runs.
func Handler(b Backend, opts Options) http.Handler {
	s := New(b, opts)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{
		Stateless:           true,
		Logger:              opts.Logger,
		MaxRequestBodyBytes: opts.MaxRequestBytes,
	})
	if opts.PublicURL != "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(withBaseURL(r.Context(), requestBase(r))))
	})
}

type baseURLKey struct{}

// withBaseURL returns a context in which the API's URL is base.
func withBaseURL(ctx context.Context, base string) context.Context {
	return context.WithValue(ctx, baseURLKey{}, base)
}

// requestBase is the scheme and host an HTTP request reached.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	return scheme + "://" + r.Host
}
