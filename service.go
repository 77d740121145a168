package sandpit

import (
	"context"
	"iter"
)

// The services are what every transport calls: the HTTP API and the MCP
// tools alike. Each takes the caller from its context (see WithCaller) and
// applies ownership (a caller sees only what it made), limits and quotas
// itself, so that no transport can forget them.

// JobService runs jobs, each in a fresh interpreter.
type JobService interface {
	// Run submits spec and waits for the job's end. The job runs on to its
	// end even if ctx ends first.
	Run(ctx context.Context, spec Spec) (Job, error)
	// Submit queues spec and returns the queued job.
	Submit(ctx context.Context, spec Spec) (Job, error)
	// Get returns the job as it is now.
	Get(ctx context.Context, id string) (Job, error)
	// Wait blocks until the job has ended or ctx ends.
	Wait(ctx context.Context, id string) (Job, error)
	// Cancel ends a queued or running job as cancelled; a job that has
	// already ended gives a conflict error with the job.
	Cancel(ctx context.Context, id string) (Job, error)
}

// Item is one job of a batch: a spec, and the caller's own id for it.
type Item struct {
	ID   string `json:"id,omitempty"`
	Spec Spec   `json:"spec"`
}

// BatchService runs many jobs submitted at once, behind interactive jobs.
type BatchService interface {
	// SubmitBatch queues items, in order, as one batch. The items have
	// been validated; an error from the sequence ends the submission.
	SubmitBatch(ctx context.Context, items iter.Seq2[Item, error]) (Batch, error)
	GetBatch(ctx context.Context, id string) (Batch, error)
	// BatchResults yields the batch's jobs in submission order from index
	// from, each once it has ended.
	BatchResults(ctx context.Context, id string, from int) iter.Seq2[Job, error]
	// WatchBatch returns a channel that receives a value whenever the
	// batch makes progress, and a func that stops watching.
	WatchBatch(ctx context.Context, id string) (<-chan struct{}, func(), error)
	// CancelBatch cancels the items that have not ended and returns the
	// batch.
	CancelBatch(ctx context.Context, id string) (Batch, error)
}

// SessionService keeps interpreters whose state lasts across runs.
type SessionService interface {
	// CreateSession opens a session and returns once its interpreter is
	// ready.
	CreateSession(ctx context.Context, spec SessionSpec) (Session, error)
	GetSession(ctx context.Context, id string) (Session, error)
	// RunInSession runs spec in the session's interpreter and waits for
	// the job's end.
	RunInSession(ctx context.Context, id string, spec Spec) (Job, error)
	// CloseSession ends the session; closing one that has ended returns
	// it as it is.
	CloseSession(ctx context.Context, id string) (Session, error)
}

// PageService stores specs to run in a viewer's own browser.
type PageService interface {
	// CreatePage stores spec as a page of the caller. Its URL is the
	// transport's business.
	CreatePage(ctx context.Context, spec Spec) (Page, error)
	// PageSpec returns the spec of a live page, to whoever has its id.
	PageSpec(ctx context.Context, id string) (Spec, error)
}
