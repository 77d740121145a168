// Package sandpit holds the types every part of sandpit shares: the job spec a
// caller submits, the job it gets back, the statuses a job goes through, the
// limits that bound a spec, and the error type that carries a code and a
// message for the caller. It imports nothing of the rest of the module.
package sandpit

import "time"

// Status is where a job is in its life.
type Status string

// The statuses of a job. A job starts queued, is running while a worker holds
// it, and ends in exactly one of the others.
const (
	StatusQueued      Status = "queued"
	StatusRunning     Status = "running"
	StatusSucceeded   Status = "succeeded"    // the code ran to the end with exit code 0
	StatusFailed      Status = "failed"       // the code raised or exited non-zero
	StatusTimeout     Status = "timeout"      // the code ran past its timeout
	StatusMemoryLimit Status = "memory_limit" // the code used more memory than allowed
	StatusCancelled   Status = "cancelled"    // the caller cancelled the job
	StatusError       Status = "error"        // the sandbox itself broke
)

// Terminal reports whether s is a final status.
func (s Status) Terminal() bool {
	switch s {
	case StatusQueued, StatusRunning:
		return false
	}
	return true
}

// Valid reports whether s is one of the statuses above.
func (s Status) Valid() bool {
	switch s {
	case StatusQueued, StatusRunning, StatusSucceeded, StatusFailed, StatusTimeout,
		StatusMemoryLimit, StatusCancelled, StatusError:
		return true
	}
	return false
}

// File is an input file of a spec or an output file of a job. Content is
// text when Encoding is "utf-8" (or empty) and base64 when it is "base64".
type File struct {
	Path     string `json:"path"`
	Content  string `json:"content"`
	Encoding string `json:"encoding,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	Size     int    `json:"size,omitempty"`
}

// File encodings.
const (
	EncodingUTF8   = "utf-8"
	EncodingBase64 = "base64"
)

// Spec is what a caller asks to run.
type Spec struct {
	Code      string `json:"code"`
	Stdin     string `json:"stdin,omitempty"`
	TimeoutMS int    `json:"timeout_ms,omitempty"`
	MemoryMB  int    `json:"memory_mb,omitempty"`
	Files     []File `json:"files,omitempty"`
	// Test is Python run after Code in the same interpreter, when Code
	// succeeded; the job's Passed says whether both ran without error.
	Test string `json:"test,omitempty"`
	// Packages names packages of the server's package repository to load
	// before the code runs, besides those its imports name.
	Packages []string `json:"packages,omitempty"`
}

// PyError describes the exception that ended a failed job.
type PyError struct {
	Type      string `json:"type"`
	Message   string `json:"message"`
	Traceback string `json:"traceback"`
}

// Result is what running a spec produced. Status is terminal.
//
// The jsonschema tags describe the fields to the agents that read a job as
// an MCP tool's structured output.
type Result struct {
	Status          Status  `json:"status,omitempty" jsonschema:"succeeded, failed (the code raised or exited non-zero), timeout, memory_limit, cancelled or error (the sandbox broke)"`
	ExitCode        *int    `json:"exit_code" jsonschema:"as python main.py would exit; null after a timeout"`
	Stdout          string  `json:"stdout"`
	Stderr          string  `json:"stderr"`
	StdoutTruncated bool    `json:"stdout_truncated,omitempty" jsonschema:"stdout passed the server's cap and only its beginning is kept"`
	StderrTruncated bool    `json:"stderr_truncated,omitempty" jsonschema:"stderr passed the server's cap and only its beginning is kept"`
	Result          *string `json:"result" jsonschema:"repr() of the last line's value when it is an expression"`
	// ResultTruncated says Result passed the output cap and only its head
	// is kept.
	ResultTruncated bool     `json:"result_truncated,omitempty" jsonschema:"result passed the server's cap and only its beginning is kept"`
	Error           *PyError `json:"error" jsonschema:"the uncaught exception"`
	Files           []File   `json:"files"`
	FilesTruncated  bool     `json:"files_truncated,omitempty" jsonschema:"more files were made than the server returns"`
	// Outputs are the job's rich outputs, in the order they were made:
	// each a MIME bundle (see Output).
	Outputs []Output `json:"outputs,omitempty" jsonschema:"rich outputs of display(obj) calls, of the last line's value and of matplotlib figures, in order: each a MIME bundle {MIME type: data}, JSON types as JSON, text types as text, others (images) in base64"`
	// OutputsTruncated says outputs were left out: past the server's
	// count or bytes of outputs (the caps of output files).
	OutputsTruncated bool `json:"outputs_truncated,omitempty" jsonschema:"more rich outputs were made than the server returns"`
	// Passed is set for a spec with a Test: whether the code and then the
	// test ran without error.
	Passed *bool `json:"passed,omitempty"`
	// Message says why the job ended as timeout, memory_limit, cancelled or
	// error; empty otherwise.
	Message string `json:"message,omitempty" jsonschema:"why the job ended as timeout, memory_limit, cancelled or error"`
}

// Reason says, in a line, why a result is not a success: its exception,
// or the message sandpit gave it.
func (r Result) Reason() string {
	if r.Error != nil {
		return r.Error.Type + ": " + r.Error.Message
	}
	return r.Message
}

// Job is a submitted spec and, once it ends, its result.
type Job struct {
	ID string `json:"id"`
	// BatchID, ItemID and Index place a batch item in its batch: the
	// batch, the caller's own id for the item, and its position (from 0).
	BatchID string `json:"batch_id,omitempty"`
	ItemID  string `json:"item_id,omitempty"`
	Index   *int   `json:"index,omitempty"`
	Result
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	DurationMS *int64     `json:"duration_ms" jsonschema:"how long the code ran, in milliseconds"`
}

// Batch is a set of jobs submitted at once, and its progress.
type Batch struct {
	ID string `json:"id"`
	// Total counts the items submitted so far; Complete says the
	// submission has ended, so Total is final.
	Total    int  `json:"total"`
	Complete bool `json:"complete"`
	// Done counts the items that have ended; Counts splits them by status,
	// and Pending counts the others.
	Done    int            `json:"done"`
	Pending int            `json:"pending"`
	Counts  map[Status]int `json:"counts"`
	// Passed and Failed count the items with a test by whether it passed.
	Passed     int        `json:"passed"`
	Failed     int        `json:"failed"`
	Finished   bool       `json:"finished"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
	DurationMS *int64     `json:"duration_ms"`
}

// SessionStatus is where a session is in its life.
type SessionStatus string

// The statuses of a session. A session is open until it is closed, expires
// after being idle too long, or ends in error because its interpreter was
// lost.
const (
	SessionOpen    SessionStatus = "open"
	SessionClosed  SessionStatus = "closed"
	SessionExpired SessionStatus = "expired"
	SessionError   SessionStatus = "error"
)

// SessionSpec is what a caller asks of a new session.
type SessionSpec struct {
	// MemoryMB caps the session's interpreter; 0 means the server's
	// default.
	MemoryMB int `json:"memory_mb,omitempty"`
	// Packages are loaded when the session starts.
	Packages []string `json:"packages,omitempty"`
	// Files are written to the session's working directory at its start.
	Files []File `json:"files,omitempty"`
}

// Session is one interpreter that keeps its state (variables, imports,
// files) across the runs sent to it.
type Session struct {
	ID     string        `json:"id"`
	Status SessionStatus `json:"status"`
	// Message says why a session ended as expired or error.
	Message string `json:"message,omitempty"`
	// Runs counts the runs the session has taken.
	Runs       int       `json:"runs"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	// ExpiresAt is when the session ends unless it is used before.
	ExpiresAt time.Time `json:"expires_at"`
}

// Page is a job spec stored to run in a viewer's own browser.
type Page struct {
	ID        string    `json:"id"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Outcomes that sandpit itself gives a job, rather than its code: each is
// made here, once, so that every path that records one says the same.

// CancelledResult is the outcome of a job its caller cancelled.
func CancelledResult() Result {
	return Result{Status: StatusCancelled, Files: []File{}, Message: "the job was cancelled"}
}

// ErrorResult is the outcome of a job the sandbox could not run: msg says
// why, in words for the caller.
func ErrorResult(msg string) Result {
	return Result{Status: StatusError, Files: []File{}, Message: msg}
}

// Event is one thing that happened to a job, in the order it happened: a
// change of status, a piece of its output, or its end.
type Event struct {
	// ID is the event's place in the job's events: reading again after
	// it gives the events that followed. Empty for an event made for one
	// reader (the status a reader finds on arrival, a quiet period).
	ID   string
	Type EventType
	// Data is the status for EventStatus, the text written for
	// EventStdout and EventStderr.
	Data string
	// Job is the finished job, with EventDone.
	Job *Job
}

// EventType says what an Event is.
type EventType string

// The types of event. EventQuiet is no event at all: nothing happened for
// a while, which a reader may want to say to keep its connection open.
const (
	EventStatus EventType = "status"
	EventStdout EventType = "stdout"
	EventStderr EventType = "stderr"
	EventDone   EventType = "done"
	EventQuiet  EventType = ""
)
