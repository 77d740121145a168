// Package service is sandpit's one service surface: what the HTTP API and
// the MCP tools call alike. It takes the caller from the request's context,
// shows each caller only what it made, validates every spec and resolves
// its limits once, when it is accepted, and then hands the work to the
// queue.
package service

import (
	"context"
	"iter"
	"log/slog"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/queue"
)

// Service implements sandpit's services on a queue.
type Service struct {
	q      *queue.Queue
	limits sandpit.Limits
	admit  *admission
	log    *slog.Logger
}

// Config configures the services. The zero value accepts specs within
// sandpit.DefaultLimits and bounds no caller.
type Config struct {
	// Limits bound every spec.
	Limits sandpit.Limits
	// Access bounds each caller's calls.
	Access Access
	Logger *slog.Logger
}

var (
	_ sandpit.JobService     = (*Service)(nil)
	_ sandpit.BatchService   = (*Service)(nil)
	_ sandpit.SessionService = (*Service)(nil)
	_ sandpit.PageService    = (*Service)(nil)
)

// New returns the services on q.
func New(q *queue.Queue, cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{q: q, limits: cfg.Limits.WithDefaults(), admit: newAdmission(q, cfg.Access), log: cfg.Logger}
}

// admittedKey marks a context whose calls are part of one call admitted
// already (Admit).
type admittedKey struct{}

// Admit counts one call of the caller ctx carries against its limits, or
// refuses it. The calls of the services made with the context it returns
// are part of that one call and count nothing more: a transport that
// answers one request with several calls (an MCP tool submits a job and
// follows its events) admits the request once. release ends the call.
func (s *Service) Admit(ctx context.Context) (context.Context, func(), error) {
	release, err := s.admit.admit(ctx)
	if err != nil {
		return ctx, nil, err
	}
	return context.WithValue(ctx, admittedKey{}, true), release, nil
}

// enter admits a call of the caller ctx carries, unless ctx is part of one
// admitted already.
func (s *Service) enter(ctx context.Context) (func(), error) {
	if ctx.Value(admittedKey{}) != nil {
		return func() {}, nil
	}
	return s.admit.admit(ctx)
}

// call runs f as one call of the caller ctx carries, once admitted.
func call[T any](s *Service, ctx context.Context, f func() (T, error)) (T, error) {
	release, err := s.enter(ctx)
	if err != nil {
		var zero T
		return zero, err
	}
	defer release()
	return f()
}

// Limits are the limits the service accepts specs within.
func (s *Service) Limits() sandpit.Limits { return s.limits }

// owner is the ID of the caller making the request ctx carries.
func owner(ctx context.Context) string { return sandpit.CallerFrom(ctx).ID }

// accept validates spec and resolves its limits.
func (s *Service) accept(spec sandpit.Spec) (sandpit.Spec, error) {
	if err := spec.Validate(s.limits); err != nil {
		return sandpit.Spec{}, err
	}
	return s.limits.Resolve(spec), nil
}

// Submit queues spec as a job of the caller.
func (s *Service) Submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	return call(s, ctx, func() (sandpit.Job, error) { return s.submit(ctx, spec) })
}

func (s *Service) submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	spec, err := s.accept(spec)
	if err != nil {
		return sandpit.Job{}, err
	}
	job, err := s.q.Enqueue(ctx, owner(ctx), spec, sandpit.IdempotencyKey(ctx))
	if err != nil {
		return sandpit.Job{}, err
	}
	s.log.Info("job submitted", "request_id", sandpit.RequestID(ctx), "job", job.ID)
	return job, nil
}

// Run submits spec and waits for the job's end. The job is accepted once
// submitted: it runs to its end whether or not the caller waits.
func (s *Service) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	return call(s, ctx, func() (sandpit.Job, error) {
		job, err := s.submit(ctx, spec)
		if err != nil {
			return sandpit.Job{}, err
		}
		return s.q.Wait(ctx, job.ID, owner(ctx))
	})
}

// Get returns a job of the caller.
func (s *Service) Get(ctx context.Context, id string) (sandpit.Job, error) {
	return call(s, ctx, func() (sandpit.Job, error) {
		return s.q.Get(ctx, id, owner(ctx))
	})
}

// Wait waits for the end of a job of the caller.
func (s *Service) Wait(ctx context.Context, id string) (sandpit.Job, error) {
	return call(s, ctx, func() (sandpit.Job, error) {
		return s.q.Wait(ctx, id, owner(ctx))
	})
}

// Cancel cancels a job of the caller.
func (s *Service) Cancel(ctx context.Context, id string) (sandpit.Job, error) {
	return call(s, ctx, func() (sandpit.Job, error) {
		return s.q.Cancel(ctx, id, owner(ctx))
	})
}

// SubmitBatch queues items as one batch of the caller.
func (s *Service) SubmitBatch(ctx context.Context, items iter.Seq2[sandpit.Item, error]) (sandpit.Batch, error) {
	return call(s, ctx, func() (sandpit.Batch, error) {
		o := owner(ctx)
		id, err := s.q.CreateBatch(ctx, o)
		if err != nil {
			return sandpit.Batch{}, err
		}
		if err := s.addItems(ctx, id, items); err != nil {
			s.abortBatch(ctx, id)
			return sandpit.Batch{}, err
		}
		return s.q.GetBatch(ctx, id, o)
	})
}

// addItems queues items as the items of batch id and completes it.
func (s *Service) addItems(ctx context.Context, id string, items iter.Seq2[sandpit.Item, error]) error {
	o := owner(ctx)
	i := 0
	for item, err := range items {
		if err != nil {
			return err
		}
		if item.Spec, err = s.accept(item.Spec); err != nil {
			return err
		}
		if err := s.q.AddItem(ctx, o, id, i, item); err != nil {
			return err
		}
		i++
	}
	if i == 0 {
		return sandpit.Errorf(sandpit.EINVALID, "jobs: the batch has no items")
	}
	return s.q.CompleteBatch(ctx, id)
}

// abortBatch cancels what a submission that failed midway had queued, so
// that nothing of it runs and it stops counting against its caller. It
// goes on when the caller has gone.
func (s *Service) abortBatch(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if err := s.q.AbortBatch(ctx, id, owner(ctx)); err != nil {
		s.log.Error("abort batch", "batch", id, "err", err)
	}
}

// GetBatch returns a batch of the caller.
func (s *Service) GetBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	return call(s, ctx, func() (sandpit.Batch, error) {
		return s.q.GetBatch(ctx, id, owner(ctx))
	})
}

// CancelBatch cancels the items of a batch of the caller that have not
// ended.
func (s *Service) CancelBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	return call(s, ctx, func() (sandpit.Batch, error) {
		o := owner(ctx)
		if _, err := s.q.CancelBatch(ctx, id, o); err != nil {
			return sandpit.Batch{}, err
		}
		return s.q.GetBatch(ctx, id, o)
	})
}

// WatchBatch watches the progress of a batch of the caller.
func (s *Service) WatchBatch(ctx context.Context, id string) (<-chan struct{}, func(), error) {
	if _, err := s.GetBatch(ctx, id); err != nil {
		return nil, nil, err
	}
	ch, stop := s.q.WatchBatch(ctx, id)
	return ch, stop, nil
}

// batchPage is how many item ids BatchResults reads at a time.
const batchPage = 256

// BatchResults yields the jobs of a batch of the caller in submission
// order, from index from, each once it has ended. It is one call of the
// caller for as long as it is read.
func (s *Service) BatchResults(ctx context.Context, id string, from int) iter.Seq2[sandpit.Job, error] {
	o := owner(ctx)
	return func(yield func(sandpit.Job, error) bool) {
		release, err := s.enter(ctx)
		if err != nil {
			yield(sandpit.Job{}, err)
			return
		}
		defer release()
		if _, err := s.q.GetBatch(ctx, id, o); err != nil {
			yield(sandpit.Job{}, err)
			return
		}
		for {
			ids, err := s.q.Items(ctx, id, from, batchPage)
			if err != nil {
				yield(sandpit.Job{}, err)
				return
			}
			for _, jid := range ids {
				if !yield(s.q.Wait(ctx, jid, o)) {
					return
				}
			}
			from += len(ids)
			b, err := s.q.GetBatch(ctx, id, o)
			if err != nil {
				yield(sandpit.Job{}, err)
				return
			}
			if b.Complete && from >= b.Total {
				return
			}
			if len(ids) == 0 {
				// The upload is still coming in: wait for its next item.
				changed, stop := s.q.WatchBatch(ctx, id)
				select {
				case <-ctx.Done():
				case <-changed:
				case <-time.After(200 * time.Millisecond):
				}
				stop()
				if ctx.Err() != nil {
					yield(sandpit.Job{}, ctx.Err())
					return
				}
			}
		}
	}
}

// CreateSession opens a session of the caller and returns once its
// interpreter is ready.
func (s *Service) CreateSession(ctx context.Context, spec sandpit.SessionSpec) (sandpit.Session, error) {
	return call(s, ctx, func() (sandpit.Session, error) {
		if err := spec.Validate(s.limits); err != nil {
			return sandpit.Session{}, err
		}
		o := owner(ctx)
		setup := sandpit.Spec{Files: spec.Files, Packages: spec.Packages, MemoryMB: spec.MemoryMB}
		setup = s.limits.Resolve(setup)
		sid, jid, err := s.q.OpenSession(ctx, o, setup)
		if err != nil {
			return sandpit.Session{}, err
		}
		job, err := s.q.Wait(ctx, jid, o)
		if err != nil {
			return sandpit.Session{}, err
		}
		if job.Status != sandpit.StatusSucceeded {
			msg := job.Reason()
			if err := s.q.EndSession(ctx, sid, "", sandpit.SessionError, "setup failed: "+msg); err != nil {
				s.log.Error("end session", "session", sid, "err", err)
			}
			if job.Status == sandpit.StatusError {
				return sandpit.Session{}, sandpit.Errorf(sandpit.EUNAVAILABLE, "could not start the session: %s", msg)
			}
			return sandpit.Session{}, sandpit.Errorf(sandpit.EINVALID, "the session's setup %s: %s", job.Status, msg)
		}
		return s.q.GetSession(ctx, sid, o)
	})
}

// GetSession returns a session of the caller.
func (s *Service) GetSession(ctx context.Context, id string) (sandpit.Session, error) {
	return call(s, ctx, func() (sandpit.Session, error) {
		return s.q.GetSession(ctx, id, owner(ctx))
	})
}

// RunInSession runs spec in a session of the caller and waits for it.
func (s *Service) RunInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	return call(s, ctx, func() (sandpit.Job, error) {
		job, err := s.submitInSession(ctx, id, spec)
		if err != nil {
			return sandpit.Job{}, err
		}
		return s.q.Wait(ctx, job.ID, owner(ctx))
	})
}

// SubmitInSession queues spec to run in a session of the caller.
func (s *Service) SubmitInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	return call(s, ctx, func() (sandpit.Job, error) { return s.submitInSession(ctx, id, spec) })
}

func (s *Service) submitInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	if spec.MemoryMB != 0 {
		return sandpit.Job{}, sandpit.Errorf(sandpit.EINVALID, "memory_mb: a session's memory is set when the session is created")
	}
	if spec.Test != "" {
		return sandpit.Job{}, sandpit.Errorf(sandpit.EINVALID, "test: not taken by a session run; run the test as code")
	}
	if err := spec.Validate(s.limits); err != nil {
		return sandpit.Job{}, err
	}
	// The memory cap is the session's own; only the timeout is resolved.
	spec.TimeoutMS = int(s.limits.Timeout(spec).Milliseconds())
	return s.q.RunInSession(ctx, id, owner(ctx), spec)
}

// CloseSession ends a session of the caller; one that has ended already
// is returned as it is.
func (s *Service) CloseSession(ctx context.Context, id string) (sandpit.Session, error) {
	return call(s, ctx, func() (sandpit.Session, error) {
		o := owner(ctx)
		job, err := s.q.CloseSession(ctx, id, o)
		switch {
		case sandpit.ErrorCode(err) == sandpit.ECONFLICT:
		case err != nil:
			return sandpit.Session{}, err
		default:
			if _, err := s.q.Wait(ctx, job.ID, o); err != nil {
				return sandpit.Session{}, err
			}
		}
		return s.q.GetSession(ctx, id, o)
	})
}

// CreatePage stores spec as a page of the caller.
func (s *Service) CreatePage(ctx context.Context, spec sandpit.Spec) (sandpit.Page, error) {
	return call(s, ctx, func() (sandpit.Page, error) {
		spec, err := s.accept(spec)
		if err != nil {
			return sandpit.Page{}, err
		}
		return s.q.CreatePage(ctx, spec, owner(ctx))
	})
}

// PageSpec returns the spec of a live page; a page is open to whoever has
// its id.
func (s *Service) PageSpec(ctx context.Context, id string) (sandpit.Spec, error) {
	return s.q.GetPage(ctx, id)
}
