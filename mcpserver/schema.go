package mcpserver

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/jsonschema-go/jsonschema"

	"github.com/sandpit-dev/sandpit"
)

// The schemas of the tools' inputs and outputs have one type per value,
// never a list of types: Gemini, and clients that pass schemas on to it,
// refuse "type": ["null", "string"]. A value that may be missing is left
// out of the object rather than null, and its description says when.

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
	TimeoutMS int         `json:"timeout_ms,omitempty"`
}

type createSessionInput struct {
	MemoryMB int         `json:"memory_mb,omitempty"`
	Packages []string    `json:"packages,omitempty" jsonschema:"packages of the server's package repository to load when the session starts"`
	Files    []inputFile `json:"files,omitempty" jsonschema:"files written to the session's working directory when it starts"`
}

type runInSessionInput struct {
	SessionID string      `json:"session_id" jsonschema:"the id create_session returned"`
	Code      string      `json:"code" jsonschema:"the Python code to run in the session's interpreter; the value of its last line, when that is an expression, is reported as result"`
	Files     []inputFile `json:"files,omitempty" jsonschema:"files written to the working directory before the code runs"`
	TimeoutMS int         `json:"timeout_ms,omitempty"`
}

type closeSessionInput struct {
	SessionID string `json:"session_id" jsonschema:"the id create_session returned"`
}

// jobOutput is the structured output of a run: the job as the HTTP API gives
// it, less the files' contents, which come as image and resource content,
// with its output cut as the text of the result is.
type jobOutput struct {
	ID               string         `json:"id" jsonschema:"the job's id"`
	Status           sandpit.Status `json:"status" jsonschema:"succeeded, failed (the code raised or exited non-zero), timeout, memory_limit, cancelled or error (the sandbox broke)"`
	ExitCode         *int           `json:"exit_code,omitempty" jsonschema:"as python main.py would exit; absent when the code did not end by itself (timeout, memory_limit, cancelled, error)"`
	Stdout           string         `json:"stdout" jsonschema:"what the code printed; when long, its middle is cut out (stdout_omitted says how much)"`
	Stderr           string         `json:"stderr" jsonschema:"what the code wrote to stderr, with the traceback of an uncaught exception; when long, its middle is cut out"`
	StdoutOmitted    int            `json:"stdout_omitted,omitempty" jsonschema:"characters cut out of stdout in this result; the whole is at job_url"`
	StderrOmitted    int            `json:"stderr_omitted,omitempty" jsonschema:"characters cut out of stderr in this result; the whole is at job_url"`
	StdoutTruncated  bool           `json:"stdout_truncated,omitempty" jsonschema:"stdout passed the server's cap and only its beginning was kept"`
	StderrTruncated  bool           `json:"stderr_truncated,omitempty" jsonschema:"stderr passed the server's cap and only its beginning was kept"`
	Result           *string        `json:"result,omitempty" jsonschema:"repr() of the last line's value when it is an expression; absent otherwise"`
	ResultOmitted    int            `json:"result_omitted,omitempty" jsonschema:"characters cut out of result in this result; the whole is at job_url"`
	ResultTruncated  bool           `json:"result_truncated,omitempty" jsonschema:"result passed the server's cap and only its beginning was kept"`
	Error            *errorOutput   `json:"error,omitempty" jsonschema:"the uncaught exception; absent when there was none"`
	Files            []fileInfo     `json:"files" jsonschema:"files the code created or changed in its working directory"`
	FilesTruncated   bool           `json:"files_truncated,omitempty" jsonschema:"more files were made than the server returns"`
	Outputs          []outputInfo   `json:"outputs,omitempty" jsonschema:"rich outputs (display() calls, a last value with a rich repr, matplotlib figures), in order: their MIME types and plain text; their data is in the content blocks, or whole at job_url"`
	OutputsTruncated bool           `json:"outputs_truncated,omitempty" jsonschema:"more rich outputs were made than the server returns"`
	Message          string         `json:"message,omitempty" jsonschema:"why the job ended as timeout, memory_limit, cancelled or error"`
	CreatedAt        time.Time      `json:"created_at"`
	StartedAt        *time.Time     `json:"started_at,omitempty" jsonschema:"when the code started; absent if it never did"`
	FinishedAt       *time.Time     `json:"finished_at,omitempty"`
	DurationMS       *int64         `json:"duration_ms,omitempty" jsonschema:"how long the code ran, in milliseconds"`
	JobURL           string         `json:"job_url,omitempty" jsonschema:"the whole job over sandpit's HTTP API (GET, with the same API key), output uncut; absent when the server's URL is not known"`
}

type errorOutput struct {
	Type      string `json:"type" jsonschema:"the exception's class, such as ZeroDivisionError"`
	Message   string `json:"message"`
	Traceback string `json:"traceback" jsonschema:"the traceback as Python prints it; when long, its middle is cut out"`
}

type fileInfo struct {
	Path     string `json:"path"`
	MimeType string `json:"mime_type"`
	Size     int    `json:"size" jsonschema:"in bytes"`
	URI      string `json:"uri" jsonschema:"the file as an MCP resource, to read with resources/read"`
	URL      string `json:"url,omitempty" jsonschema:"the file over sandpit's HTTP API (GET, with the same API key)"`
	Included bool   `json:"included" jsonschema:"whether the file's content is in this result; a file longer than the result holds is only linked"`
}

type outputInfo struct {
	MimeTypes []string `json:"mime_types" jsonschema:"the MIME types the output is given in, such as text/html, image/png, application/vnd.plotly.v1+json"`
	Text      string   `json:"text" jsonschema:"its text/plain (repr()), cut to 500 bytes"`
	Included  bool     `json:"included" jsonschema:"whether the result's content blocks hold the output"`
	Omitted   int      `json:"omitted,omitempty" jsonschema:"characters cut out of the output's text in the content blocks; the whole is at job_url"`
}

// sessionOutput is the structured output of the session tools.
type sessionOutput struct {
	ID         string `json:"id" jsonschema:"the session_id to pass to run_in_session and close_session"`
	Status     string `json:"status" jsonschema:"open, closed, expired (idle too long) or error (its interpreter was lost)"`
	Message    string `json:"message,omitempty" jsonschema:"why the session ended, when it expired or broke"`
	Runs       int    `json:"runs" jsonschema:"runs the session has taken"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	ExpiresAt  string `json:"expires_at" jsonschema:"when the session ends unless used before; each run extends it"`
}

func sessionOut(s sandpit.Session) sessionOutput {
	return sessionOutput{ID: s.ID, Status: string(s.Status), Message: s.Message, Runs: s.Runs,
		CreatedAt: s.CreatedAt.UTC().Format(time.RFC3339), LastUsedAt: s.LastUsedAt.UTC().Format(time.RFC3339),
		ExpiresAt: s.ExpiresAt.UTC().Format(time.RFC3339)}
}

// schemaFor infers the JSON schema of T with one type per value, which
// the tool definitions then refine.
func schemaFor[T any]() *jsonschema.Schema {
	s, err := jsonschema.For[T](nil)
	if err != nil {
		panic(fmt.Sprintf("schema of %T: %v", *new(T), err))
	}
	plainTypes(s)
	return s
}

// plainTypes gives every schema in s one type: the inference gives a
// pointer or a slice the types null and its own, and null is dropped.
func plainTypes(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if len(s.Types) > 0 {
		types := slices.DeleteFunc(slices.Clone(s.Types), func(t string) bool { return t == "null" })
		if len(types) != 1 {
			panic(fmt.Sprintf("schema with types %v: a value must have one type", s.Types))
		}
		s.Type, s.Types = types[0], nil
	}
	for _, c := range []*jsonschema.Schema{s.Items, s.AdditionalProperties, s.Not, s.Contains, s.PropertyNames} {
		plainTypes(c)
	}
	for _, cs := range [][]*jsonschema.Schema{s.PrefixItems, s.AllOf, s.AnyOf, s.OneOf} {
		for _, c := range cs {
			plainTypes(c)
		}
	}
	for _, m := range []map[string]*jsonschema.Schema{s.Properties, s.Defs, s.Definitions, s.PatternProperties} {
		for _, c := range m {
			plainTypes(c)
		}
	}
}
