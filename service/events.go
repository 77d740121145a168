package service

import (
	"context"
	"iter"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/queue"
)

// quietEvery is how long Events waits for an event before it says that
// nothing happened.
var quietEvery = 15 * time.Second

// Events yields the events of a job of the caller; see
// sandpit.JobService. It is one call of the caller for as long as it is
// read.
func (s *Service) Events(ctx context.Context, id, after string) iter.Seq2[sandpit.Event, error] {
	o := owner(ctx)
	return func(yield func(sandpit.Event, error) bool) {
		release, err := s.enter(ctx)
		if err != nil {
			yield(sandpit.Event{}, err)
			return
		}
		defer release()
		if after != "" && !queue.ValidEventID(after) {
			yield(sandpit.Event{}, sandpit.Errorf(sandpit.EINVALID, "Last-Event-ID: %q is not the id of an event of this job", after))
			return
		}
		job, err := s.q.Get(ctx, id, o)
		if err != nil {
			yield(sandpit.Event{}, err)
			return
		}
		if after == "" && !yield(sandpit.Event{Type: sandpit.EventStatus, Data: string(job.Status)}, nil) {
			return
		}
		for {
			// A job that has ended has all its events already: read them
			// without waiting.
			wait := quietEvery
			if job.Status.Terminal() {
				wait = -1
			}
			events, err := s.q.ReadEvents(ctx, id, after, wait)
			if err != nil {
				yield(sandpit.Event{}, err)
				return
			}
			for _, ev := range events {
				after = ev.ID
				if ev.Type == sandpit.EventDone {
					s.done(ctx, id, o, ev, yield)
					return
				}
				if !yield(ev, nil) {
					return
				}
			}
			if len(events) > 0 {
				continue
			}
			if job.Status.Terminal() {
				// Ended with no end event kept (it expired): the job
				// says how it ended.
				s.done(ctx, id, o, sandpit.Event{Type: sandpit.EventDone, Data: string(job.Status)}, yield)
				return
			}
			if job, err = s.q.Get(ctx, id, o); err != nil {
				yield(sandpit.Event{}, err)
				return
			}
			if !job.Status.Terminal() && !yield(sandpit.Event{Type: sandpit.EventQuiet}, nil) {
				return
			}
		}
	}
}

// done yields ev, the end of job id, with the finished job.
func (s *Service) done(ctx context.Context, id, owner string, ev sandpit.Event, yield func(sandpit.Event, error) bool) {
	job, err := s.q.Get(ctx, id, owner)
	if err != nil {
		yield(sandpit.Event{}, err)
		return
	}
	ev.Job = &job
	yield(ev, nil)
}
