// Package mcpserver is sandpit's Model Context Protocol transport: tools
// that let an LLM agent run Python in sandpit, served over streamable HTTP
// or stdio. It runs nothing itself; every tool calls a Backend: sandpit's
// services in the API process, where the caller travels in the request's
// context, or the Go client of a remote API for `sandpit mcp`.
package mcpserver

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// Backend is what the tools need of sandpit.
type Backend interface {
	Run(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error)
	CreateSession(ctx context.Context, spec sandpit.SessionSpec) (sandpit.Session, error)
	RunInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error)
	CloseSession(ctx context.Context, id string) (sandpit.Session, error)
}

// Options configures the server. The zero value is usable.
type Options struct {
	// Logger receives the MCP transport's own errors; nil: none.
	Logger *slog.Logger
	// MaxRequestBytes bounds the body of one HTTP request to the handler;
	// 0 means the SDK's default (4 MiB).
	MaxRequestBytes int64
}

// instructions tell the agent what the server is for, at initialization.
const instructions = `sandpit runs Python code in an isolated sandbox: Pyodide (CPython compiled to WebAssembly) in a headless browser, with no network access. Use run_python for independent runs (a fresh interpreter every call), or create_session, run_in_session and close_session to keep variables and files across runs.`

// New returns an MCP server whose tools run code through b.
func New(b Backend, opts Options) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "sandpit", Title: "sandpit Python sandbox", Version: "1"},
		&mcp.ServerOptions{
			Instructions: instructions,
			Logger:       opts.Logger,
			// Tools only: no logging or other capability the SDK would add.
			Capabilities: &mcp.ServerCapabilities{},
		})
	t := tools{b: b}
	mcp.AddTool(s, runPythonTool, t.runPython)
	mcp.AddTool(s, createSessionTool, t.createSession)
	mcp.AddTool(s, runInSessionTool, t.runInSession)
	mcp.AddTool(s, closeSessionTool, t.closeSession)
	return s
}

// Handler returns the streamable HTTP transport of a server whose tools run
// code through b. It is stateless: each HTTP request stands alone, so any
// number of API processes behind a load balancer can serve one client. The
// state an agent keeps is a sandpit session, named by its id in the tool
// calls, not an MCP session.
func Handler(b Backend, opts Options) http.Handler {
	s := New(b, opts)
	return mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, &mcp.StreamableHTTPOptions{
		Stateless:           true,
		JSONResponse:        true,
		Logger:              opts.Logger,
		MaxRequestBodyBytes: opts.MaxRequestBytes,
	})
}
