package mcpserver

import (
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// describer writes the tools' definitions: what a model most needs to know
// before it writes code for the sandbox, with the server's own limits and
// packages when it knows them.
type describer struct {
	info    *sandpit.Info
	maxText int
}

func describe(info *sandpit.Info, maxText int) describer {
	return describer{info: info, maxText: maxText}
}

// listedPackages bounds the packages a description names, so that a full
// Pyodide repository does not swell every request that lists the tools.
const listedPackages = 60

// cannot is what Pyodide cannot do, which models otherwise try first.
const cannot = `Pyodide cannot start threads (threading.Thread.start raises RuntimeError), run subprocesses (subprocess, os.system, os.fork), use multiprocessing or concurrent.futures.ProcessPoolExecutor, open sockets, or reach the network at all (no HTTP requests, no pip installs from the internet); write the code single-threaded and use asyncio for concurrency.`

// sandbox is what every run tool's description says of the sandbox;
// packages says where the tool's packages are named.
func (d describer) sandbox(packages string) string {
	var b strings.Builder
	b.WriteString(`The code runs in Pyodide (CPython compiled to WebAssembly) inside a sandboxed headless browser. `)
	b.WriteString(cannot)
	b.WriteString(" The standard library is available; other packages come only from the server's package repository: those the code imports load by themselves (" + packages + "), and an unknown one fails with a ModuleNotFoundError listing what the server has. ")
	b.WriteString(d.packages())
	b.WriteString(`The working directory is /home/pyodide: input files are written there before the code runs, and every file the code creates or changes there is returned, images (PNG, JPEG, GIF, WebP) as image content and other files as embedded resources (sandpit://jobs/{id}/files/{path}, also readable with resources/read). Matplotlib figures (shown with plt.show() or still open at the end) come back as PNG images by themselves; save other charts there as PNG files. display(obj) is a builtin, as in Jupyter: each displayed object, and a last line's value with a rich repr (a pandas DataFrame, a plotly figure), comes back after the files as an output, text naming its MIME types with the one that reads best (markdown, JSON, HTML), and PNG or JPEG as image content. Standard input is empty. Top-level await works. The result reports the status, stdout, stderr, the repr() of the last line's value when it is an expression (as in a notebook cell), and the traceback of an uncaught exception; a run that raises, exits non-zero, times out or runs out of memory is reported as an error result that says why. `)
	b.WriteString(d.limits())
	return b.String()
}

// packages names the packages the server has.
func (d describer) packages() string {
	if d.info == nil {
		return ""
	}
	p := d.info.Packages
	switch {
	case len(p) == 0:
		return "This server has no packages beyond the standard library. "
	case len(p) <= listedPackages:
		return "This server has: " + strings.Join(p, ", ") + ". "
	}
	return fmt.Sprintf("This server has %d packages, among them: %s, and more. ", len(p), strings.Join(p[:listedPackages], ", "))
}

// limits states the limits in force.
func (d describer) limits() string {
	text := fmt.Sprintf("A result shows at most %d characters of output and text files; what is cut is said, with the job's id and where the whole is.", d.maxText)
	if d.info == nil {
		return "The run is stopped after timeout_ms and its memory is capped. " + text
	}
	l := d.info.Limits
	return fmt.Sprintf("Limits: a run is stopped after timeout_ms (default %d, at most %d); memory is capped at %d MiB (a session's memory_mb may ask up to %d); the server keeps the first %s of stdout and of stderr; at most %d files in and %d out, %s in all each way. %s",
		l.DefaultTimeoutMS, l.MaxTimeoutMS, l.DefaultMemoryMB, l.MaxMemoryMB, size(l.MaxOutputBytes), l.MaxFiles, l.MaxFiles, size(l.MaxFileBytes), text)
}

// size writes a number of bytes as people read it.
func size(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// timeoutDoc describes the timeout_ms argument.
func (d describer) timeoutDoc(what string) string {
	if d.info == nil {
		return "wall-clock limit of " + what + " in milliseconds; absent or 0: the server's default"
	}
	return fmt.Sprintf("wall-clock limit of %s in milliseconds; absent or 0: the server's default, %d; at most %d",
		what, d.info.Limits.DefaultTimeoutMS, d.info.Limits.MaxTimeoutMS)
}

// refineFiles names the encodings a files property accepts.
func refineFiles(s *jsonschema.Schema) *jsonschema.Schema {
	s.Properties["files"].Items.Properties["encoding"].Enum = []any{sandpit.EncodingUTF8, sandpit.EncodingBase64}
	return s
}

func (d describer) refineTimeout(s *jsonschema.Schema, what string) *jsonschema.Schema {
	s.Properties["timeout_ms"].Minimum = jsonschema.Ptr(0.0)
	s.Properties["timeout_ms"].Description = d.timeoutDoc(what)
	return s
}

var (
	no  = new(bool)
	yes = jsonschema.Ptr(true)
)

func (d describer) runPython() *mcp.Tool {
	return &mcp.Tool{
		Name:  "run_python",
		Title: "Run Python in a fresh sandbox",
		Description: `Run Python 3 code in a fresh, isolated interpreter and return its output. Every call starts from nothing: no variables, imports or files carry over from earlier calls (use create_session and run_in_session for that). ` +
			d.sandbox("name in packages those loaded without an import statement"),
		InputSchema:  d.refineTimeout(refineFiles(schemaFor[runInput]()), "the run"),
		OutputSchema: schemaFor[jobOutput](),
		Annotations:  &mcp.ToolAnnotations{Title: "Run Python", DestructiveHint: no, OpenWorldHint: no},
	}
}

func (d describer) createSession() *mcp.Tool {
	in := refineFiles(schemaFor[createSessionInput]())
	in.Properties["memory_mb"].Description = "memory cap of the session's interpreter in MiB (at least 64); absent: the server's default"
	if d.info != nil {
		l := d.info.Limits
		in.Properties["memory_mb"].Description = fmt.Sprintf("memory cap of the session's interpreter in MiB, %d to %d; absent: the server's default, %d",
			l.MinMemoryMB, l.MaxMemoryMB, l.DefaultMemoryMB)
	}
	in.Properties["memory_mb"].Minimum = jsonschema.Ptr(0.0)
	return &mcp.Tool{
		Name:         "create_session",
		Title:        "Start a Python session",
		Description:  `Start a Python session: one sandboxed interpreter that keeps its state (variables, imports, functions, and files in its working directory) across run_in_session calls, like a notebook kernel. Returns the session_id to pass to run_in_session and close_session, and when the session expires: a session unused for a while expires and its state is lost; each run extends it. Close it with close_session when done. The sandbox is the one run_python uses: no network access, no threads or subprocesses, memory capped by memory_mb for the whole session.`,
		InputSchema:  in,
		OutputSchema: schemaFor[sessionOutput](),
		Annotations:  &mcp.ToolAnnotations{Title: "Start a Python session", DestructiveHint: no, OpenWorldHint: no},
	}
}

func (d describer) runInSession() *mcp.Tool {
	return &mcp.Tool{
		Name:  "run_in_session",
		Title: "Run Python in a session",
		Description: `Run Python 3 code in an open session (see create_session), in the same interpreter as the session's earlier runs: the variables, imports, functions and files they left are still there. ` +
			d.sandbox("name others in create_session's packages"),
		InputSchema:  d.refineTimeout(refineFiles(schemaFor[runInSessionInput]()), "this run"),
		OutputSchema: schemaFor[jobOutput](),
		Annotations:  &mcp.ToolAnnotations{Title: "Run Python in a session", DestructiveHint: no, OpenWorldHint: no},
	}
}

func (d describer) closeSession() *mcp.Tool {
	return &mcp.Tool{
		Name:         "close_session",
		Title:        "Close a Python session",
		Description:  `End a session and free its interpreter: its variables and files are lost. Returns the session's final state.`,
		InputSchema:  schemaFor[closeSessionInput](),
		OutputSchema: schemaFor[sessionOutput](),
		Annotations:  &mcp.ToolAnnotations{Title: "Close a Python session", DestructiveHint: yes, IdempotentHint: true, OpenWorldHint: no},
	}
}
