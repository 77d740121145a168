package api

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// fakeService stands in for sandpit's services where what a test checks is
// the HTTP transport alone (authentication, limits, error mapping, routes):
// it keeps jobs in memory, queued for good, and its Run waits until the
// request ends, as a job that never gets a worker would.
type fakeService struct {
	mu      sync.Mutex
	jobs    map[string]sandpit.Job
	owners  map[string]string // job id → caller ID
	callers []sandpit.Caller  // of every call, in order
}

func newFakeService() *fakeService {
	return &fakeService{jobs: make(map[string]sandpit.Job), owners: make(map[string]string)}
}

var (
	_ sandpit.JobService     = (*fakeService)(nil)
	_ sandpit.BatchService   = (*fakeService)(nil)
	_ sandpit.SessionService = (*fakeService)(nil)
	_ sandpit.PageService    = (*fakeService)(nil)
)

func (f *fakeService) called(ctx context.Context) sandpit.Caller {
	c := sandpit.CallerFrom(ctx)
	f.mu.Lock()
	f.callers = append(f.callers, c)
	f.mu.Unlock()
	return c
}

// calls counts the calls the service has had.
func (f *fakeService) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.callers)
}

func (f *fakeService) Submit(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	c := f.called(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	j := sandpit.Job{ID: fmt.Sprintf("%032x", len(f.jobs)+1), Result: sandpit.Result{Status: sandpit.StatusQueued},
		CreatedAt: time.Now().UTC()}
	f.jobs[j.ID], f.owners[j.ID] = j, c.ID
	return j, nil
}

func (f *fakeService) Run(ctx context.Context, spec sandpit.Spec) (sandpit.Job, error) {
	if _, err := f.Submit(ctx, spec); err != nil {
		return sandpit.Job{}, err
	}
	<-ctx.Done()
	return sandpit.Job{}, ctx.Err()
}

func (f *fakeService) Get(ctx context.Context, id string) (sandpit.Job, error) {
	c := f.called(ctx)
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[id]; ok && f.owners[id] == c.ID {
		return j, nil
	}
	return sandpit.Job{}, sandpit.ErrNotFound
}

func (f *fakeService) Wait(ctx context.Context, id string) (sandpit.Job, error) {
	return f.Get(ctx, id)
}

func (f *fakeService) Cancel(ctx context.Context, id string) (sandpit.Job, error) {
	j, err := f.Get(ctx, id)
	if err != nil {
		return j, err
	}
	j.Result = sandpit.CancelledResult()
	f.mu.Lock()
	f.jobs[id] = j
	f.mu.Unlock()
	return j, nil
}

var errFake = sandpit.Errorf(sandpit.ENOTFOUND, "not kept by the fake service")

func (f *fakeService) SubmitBatch(ctx context.Context, items iter.Seq2[sandpit.Item, error]) (sandpit.Batch, error) {
	f.called(ctx)
	n := 0
	for _, err := range items {
		if err != nil {
			return sandpit.Batch{}, err
		}
		n++
	}
	return sandpit.Batch{ID: fmt.Sprintf("%032x", 1), Total: n, Pending: n, Complete: true}, nil
}

func (f *fakeService) GetBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	f.called(ctx)
	return sandpit.Batch{}, errFake
}

func (f *fakeService) BatchResults(ctx context.Context, id string, from int) iter.Seq2[sandpit.Job, error] {
	f.called(ctx)
	return func(yield func(sandpit.Job, error) bool) { yield(sandpit.Job{}, errFake) }
}

func (f *fakeService) WatchBatch(ctx context.Context, id string) (<-chan struct{}, func(), error) {
	f.called(ctx)
	return nil, nil, errFake
}

func (f *fakeService) CancelBatch(ctx context.Context, id string) (sandpit.Batch, error) {
	f.called(ctx)
	return sandpit.Batch{}, errFake
}

func (f *fakeService) CreateSession(ctx context.Context, spec sandpit.SessionSpec) (sandpit.Session, error) {
	f.called(ctx)
	return sandpit.Session{}, errFake
}

func (f *fakeService) GetSession(ctx context.Context, id string) (sandpit.Session, error) {
	f.called(ctx)
	return sandpit.Session{}, errFake
}

func (f *fakeService) RunInSession(ctx context.Context, id string, spec sandpit.Spec) (sandpit.Job, error) {
	f.called(ctx)
	return sandpit.Job{}, errFake
}

func (f *fakeService) CloseSession(ctx context.Context, id string) (sandpit.Session, error) {
	f.called(ctx)
	return sandpit.Session{}, errFake
}

func (f *fakeService) CreatePage(ctx context.Context, spec sandpit.Spec) (sandpit.Page, error) {
	f.called(ctx)
	return sandpit.Page{ID: fmt.Sprintf("%032x", 1), ExpiresAt: time.Now().Add(time.Hour)}, nil
}

func (f *fakeService) PageSpec(ctx context.Context, id string) (sandpit.Spec, error) {
	return sandpit.Spec{}, errFake
}
