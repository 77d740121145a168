package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// inputFile is a file an agent sends in.
type inputFile struct {
	Path     string `json:"path" jsonschema:"path relative to the working directory, such as data/input.csv"`
	Content  string `json:"content" jsonschema:"the file's content: text, or base64 when encoding is base64"`
	Encoding string `json:"encoding,omitempty" jsonschema:"utf-8 (the default) for text, base64 for binary content"`
}

type runInput struct {
	Code      string      `json:"code" jsonschema:"the Python program, run as __main__; the value of its last line, when that is an expression, is reported as result"`
	Files     []inputFile `json:"files,omitempty" jsonschema:"files written to the working directory before the code runs"`
	Packages  []string    `json:"packages,omitempty" jsonschema:"packages of the server's package repository to load before the code runs, such as numpy"`
	TimeoutMS int         `json:"timeout_ms,omitempty" jsonschema:"wall-clock limit in milliseconds; absent or 0: the server's default (10000 unless configured otherwise)"`
}

type createSessionInput struct {
	MemoryMB int         `json:"memory_mb,omitempty" jsonschema:"memory cap of the session's interpreter in MiB (at least 64); absent: the server's default"`
	Packages []string    `json:"packages,omitempty" jsonschema:"packages of the server's package repository to load when the session starts"`
	Files    []inputFile `json:"files,omitempty" jsonschema:"files written to the session's working directory when it starts"`
}

type runInSessionInput struct {
	SessionID string      `json:"session_id" jsonschema:"the id create_session returned"`
	Code      string      `json:"code" jsonschema:"the Python code to run in the session's interpreter; the value of its last line, when that is an expression, is reported as result"`
	Files     []inputFile `json:"files,omitempty" jsonschema:"files written to the working directory before the code runs"`
	TimeoutMS int         `json:"timeout_ms,omitempty" jsonschema:"wall-clock limit of this run in milliseconds; absent or 0: the server's default (10000 unless configured otherwise)"`
}

type closeSessionInput struct {
	SessionID string `json:"session_id" jsonschema:"the id create_session returned"`
}

// jobOutput is the structured output of a run: the job as the HTTP API gives
// it, less the files' contents, which come as image and resource content.
type jobOutput struct {
	sandpit.Job
	Files []fileInfo `json:"files" jsonschema:"files the code created or changed in its working directory"`
}

// jobOutputSchema is the schema of jobOutput. The schema inference reads
// the job's field "result" as shadowed by the embedded struct Result of the
// same Go name, which encoding/json does not, so it is put back.
func jobOutputSchema() *jsonschema.Schema {
	s := schemaFor[jobOutput]()
	if _, ok := s.Properties["result"]; !ok {
		s.Properties["result"] = &jsonschema.Schema{Types: []string{"null", "string"},
			Description: "repr() of the last line's value when it is an expression"}
	}
	return s
}

type fileInfo struct {
	Path     string `json:"path"`
	MimeType string `json:"mime_type"`
	Size     int    `json:"size"`
}

// schemaFor infers the JSON schema of T, which the tool definitions below
// then refine.
func schemaFor[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err))
	}
	return s
}

// refineFiles names the encodings a files property accepts.
func refineFiles(s *jsonschema.Schema) *jsonschema.Schema {
	s.Properties["files"].Items.Properties["encoding"].Enum = []any{sandpit.EncodingUTF8, sandpit.EncodingBase64}
	return s
}

func refineTimeout(s *jsonschema.Schema) *jsonschema.Schema {
	s.Properties["timeout_ms"].Minimum = jsonschema.Ptr(0.0)
	return s
}

var (
	no  = new(bool)
	yes = jsonschema.Ptr(true)
)

// sandboxDoc is what every run tool's description says of the sandbox;
// packages says where the tool's packages are named.
func sandboxDoc(packages string) string {
	return `The code runs in Pyodide (CPython compiled to WebAssembly) inside a sandboxed headless browser. There is no network access: no HTTP requests, no sockets, no pip installs from the internet. The standard library is available; other packages come only from the server's package repository: those the code imports load by themselves (` + packages + `), and an unknown one fails with a ModuleNotFoundError listing what the server has. The working directory is /home/pyodide: input files are written there before the code runs, and every file the code creates or changes there is returned, images (PNG, JPEG, GIF, WebP) as image content and other files as embedded resources. Matplotlib figures (shown with plt.show() or still open at the end) come back as PNG images by themselves; save other charts there as PNG files. Standard input is empty. Top-level await works. The result reports the status, stdout, stderr, the repr() of the last line's value when it is an expression (as in a notebook cell), and the traceback of an uncaught exception; a run that raises, exits non-zero, times out or runs out of memory is reported as an error result that says why. The run is stopped after timeout_ms and its memory is capped.`
}

var runPythonTool = &mcp.Tool{
	Name:  "run_python",
	Title: "Run Python in a fresh sandbox",
	Description: `Run Python 3 code in a fresh, isolated interpreter and return its output. Every call starts from nothing: no variables, imports or files carry over from earlier calls (use create_session and run_in_session for that). ` +
		sandboxDoc("name in packages those loaded without an import statement"),
	InputSchema:  refineTimeout(refineFiles(schemaFor[runInput]())),
	OutputSchema: jobOutputSchema(),
	Annotations:  &mcp.ToolAnnotations{Title: "Run Python", DestructiveHint: no, OpenWorldHint: no},
}

var createSessionTool = &mcp.Tool{
	Name:         "create_session",
	Title:        "Start a Python session",
	Description:  `Start a Python session: one sandboxed interpreter that keeps its state (variables, imports, functions, and files in its working directory) across run_in_session calls, like a notebook kernel. Returns the session_id to pass to run_in_session and close_session, and when the session expires: a session unused for a while expires and its state is lost; each run extends it. Close it with close_session when done. The sandbox is the one run_python uses: no network access, memory capped by memory_mb for the whole session.`,
	InputSchema:  refineFiles(schemaFor[createSessionInput]()),
	OutputSchema: schemaFor[sandpit.Session](),
	Annotations:  &mcp.ToolAnnotations{Title: "Start a Python session", DestructiveHint: no, OpenWorldHint: no},
}

var runInSessionTool = &mcp.Tool{
	Name:  "run_in_session",
	Title: "Run Python in a session",
	Description: `Run Python 3 code in an open session (see create_session), in the same interpreter as the session's earlier runs: the variables, imports, functions and files they left are still there. ` +
		sandboxDoc("name others in create_session's packages"),
	InputSchema:  refineTimeout(refineFiles(schemaFor[runInSessionInput]())),
	OutputSchema: jobOutputSchema(),
	Annotations:  &mcp.ToolAnnotations{Title: "Run Python in a session", DestructiveHint: no, OpenWorldHint: no},
}

var closeSessionTool = &mcp.Tool{
	Name:         "close_session",
	Title:        "Close a Python session",
	Description:  `End a session and free its interpreter: its variables and files are lost. Returns the session's final state.`,
	InputSchema:  schemaFor[closeSessionInput](),
	OutputSchema: schemaFor[sandpit.Session](),
	Annotations:  &mcp.ToolAnnotations{Title: "Close a Python session", DestructiveHint: yes, IdempotentHint: true, OpenWorldHint: no},
}

// tools are the tool handlers. Each returns its output as the structured
// result (an untyped nil when there is none), so that an error result
// carries no made-up job.
type tools struct{ b Backend }

func (t tools) runPython(ctx context.Context, req *mcp.CallToolRequest, in runInput) (*mcp.CallToolResult, any, error) {
	job, err := t.b.Run(ctx, sandpit.Spec{
		Code: in.Code, Files: specFiles(in.Files), Packages: in.Packages, TimeoutMS: in.TimeoutMS,
	})
	if err != nil {
		return failure(err), nil, nil
	}
	return jobResult(job), output(job), nil
}

func (t tools) createSession(ctx context.Context, req *mcp.CallToolRequest, in createSessionInput) (*mcp.CallToolResult, any, error) {
	s, err := t.b.CreateSession(ctx, sandpit.SessionSpec{
		MemoryMB: in.MemoryMB, Packages: in.Packages, Files: specFiles(in.Files),
	})
	if err != nil {
		return failure(err), nil, nil
	}
	text := fmt.Sprintf("session_id: %s\nstatus: %s\nexpires_at: %s (unless used before; each run extends it)\n\nRun code in it with run_in_session, and end it with close_session.",
		s.ID, s.Status, s.ExpiresAt.UTC().Format(time.RFC3339))
	return textResult(text), s, nil
}

func (t tools) runInSession(ctx context.Context, req *mcp.CallToolRequest, in runInSessionInput) (*mcp.CallToolResult, any, error) {
	if in.SessionID == "" {
		return failure(sandpit.Errorf(sandpit.EINVALID, "session_id: required")), nil, nil
	}
	job, err := t.b.RunInSession(ctx, in.SessionID, sandpit.Spec{
		Code: in.Code, Files: specFiles(in.Files), TimeoutMS: in.TimeoutMS,
	})
	if err != nil {
		return failure(err), nil, nil
	}
	return jobResult(job), output(job), nil
}

func (t tools) closeSession(ctx context.Context, req *mcp.CallToolRequest, in closeSessionInput) (*mcp.CallToolResult, any, error) {
	if in.SessionID == "" {
		return failure(sandpit.Errorf(sandpit.EINVALID, "session_id: required")), nil, nil
	}
	s, err := t.b.CloseSession(ctx, in.SessionID)
	if err != nil {
		return failure(err), nil, nil
	}
	text := fmt.Sprintf("session_id: %s\nstatus: %s\nruns: %d", s.ID, s.Status, s.Runs)
	if s.Message != "" {
		text += "\nmessage: " + s.Message
	}
	return textResult(text), s, nil
}

func specFiles(in []inputFile) []sandpit.File {
	if len(in) == 0 {
		return nil
	}
	files := make([]sandpit.File, len(in))
	for i, f := range in {
		files[i] = sandpit.File{Path: f.Path, Content: f.Content, Encoding: f.Encoding}
	}
	return files
}

// output is the structured output of a finished job.
func output(job sandpit.Job) jobOutput {
	out := jobOutput{Job: job, Files: make([]fileInfo, len(job.Files))}
	for i, f := range job.Files {
		out.Files[i] = fileInfo{Path: f.Path, MimeType: f.MimeType, Size: f.Size}
	}
	return out
}

// failure is the tool result of a call sandpit refused or could not answer.
// It is a tool error, not a protocol error, so that the agent reads why and
// can correct its call.
func failure(err error) *mcp.CallToolResult {
	var text string
	if e, ok := errors.AsType[*sandpit.Error](err); ok {
		text = e.Code + ": " + e.Message
	} else {
		text = "sandpit did not answer: " + err.Error()
	}
	res := textResult(text)
	res.IsError = true
	return res
}

func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
