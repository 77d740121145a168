package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// Kind says what a task asks of its worker.
type Kind string

// The kinds of task. A session is opened by a task any worker may take; its
// runs and its closing go to the worker that opened it.
const (
	KindJob          Kind = ""      // run a job in a fresh interpreter
	KindOpenSession  Kind = "open"  // start a session's interpreter and run its setup
	KindRunInSession Kind = "run"   // run a job in a session's interpreter
	KindCloseSession Kind = "close" // end a session's interpreter
)

// Defaults of the session options.
const (
	DefaultSessionTTL          = 10 * time.Minute
	DefaultMaxSessionsPerOwner = 4
)

// ErrSessionNotFound is returned for a session that does not exist or
// belongs to another caller.
var ErrSessionNotFound = &sandpit.Error{Code: sandpit.ENOTFOUND, Message: "no such session"}

// lostMessage is what a session that lost its interpreter says.
const lostMessage = "the worker holding the session's interpreter stopped; the session's state is lost and cannot be recovered: open a new session"

// sessionSetupSpec is the job that starts a session: it writes the
// session's files and loads its packages.
func sessionSetupSpec(s sandpit.SessionSpec) sandpit.Spec {
	return sandpit.Spec{Code: "pass", Files: s.Files, Packages: s.Packages, MemoryMB: s.MemoryMB}
}

// CreateSession opens a session for owner (the caller's identity; "" for
// anonymous callers) and waits until its interpreter is ready.
func (q *Queue) CreateSession(ctx context.Context, spec sandpit.SessionSpec, owner string) (sandpit.Session, error) {
	sid, jid := newID(), newID()
	data, err := json.Marshal(sessionSetupSpec(spec))
	if err != nil {
		return sandpit.Session{}, fmt.Errorf("encode session spec: %w", err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	res, err := openSessionScript.Run(ctx, q.rdb,
		[]string{q.keys.session(sid), q.keys.ownerSessions(owner), q.keys.job(jid), q.keys.stream(), q.keys.session(""), q.keys.job("")},
		sid, jid, data, now, q.opts.MaxSessionsPerOwner, owner, sandpit.RequestID(ctx), spec.MemoryMB,
		int(q.opts.Retention.Seconds())).StringSlice()
	if err != nil {
		return sandpit.Session{}, fmt.Errorf("create session: %w", err)
	}
	if res[0] == "full" {
		return sandpit.Session{}, sandpit.Errorf(sandpit.ERATELIMITED,
			"this caller has %s open sessions, the most allowed: close one (DELETE /v1/sessions/{id}) or let it expire", res[1])
	}
	job, err := q.Wait(ctx, jid)
	if err != nil {
		return sandpit.Session{}, err
	}
	if job.Status != sandpit.StatusSucceeded {
		msg := setupFailure(job.Result)
		q.endSession(ctx, sid, "", sandpit.SessionError, "setup failed: "+msg)
		if job.Status == sandpit.StatusError {
			return sandpit.Session{}, sandpit.Errorf(sandpit.EUNAVAILABLE, "could not start the session: %s", msg)
		}
		return sandpit.Session{}, sandpit.Errorf(sandpit.EINVALID, "the session's setup %s: %s", job.Status, msg)
	}
	return q.GetSession(ctx, sid, owner)
}

// setupFailure says why a session's setup did not succeed.
func setupFailure(r sandpit.Result) string {
	if r.Error != nil {
		return r.Error.Type + ": " + r.Error.Message
	}
	return r.Message
}

// GetSession returns a session of owner as it is now.
func (q *Queue) GetSession(ctx context.Context, id, owner string) (sandpit.Session, error) {
	if !ValidID(id) {
		return sandpit.Session{}, ErrSessionNotFound
	}
	h, err := q.rdb.HGetAll(ctx, q.keys.session(id)).Result()
	if err != nil {
		return sandpit.Session{}, fmt.Errorf("get session: %w", err)
	}
	if len(h) == 0 || h["owner"] != owner {
		return sandpit.Session{}, ErrSessionNotFound
	}
	s := sandpit.Session{
		ID:         id,
		Status:     sandpit.SessionStatus(h["status"]),
		Message:    h["message"],
		Runs:       atoi(h["runs"]),
		CreatedAt:  parseTime(h["created_at"]),
		LastUsedAt: parseTime(h["last_used_at"]),
	}
	switch s.Status {
	case "starting":
		s.Status = sandpit.SessionOpen
		fallthrough
	case sandpit.SessionOpen:
		s.ExpiresAt = s.LastUsedAt.Add(q.opts.SessionTTL)
	default:
		s.ExpiresAt = parseTime(h["ended_at"])
	}
	return s, nil
}

// RunInSession enqueues spec to run in a session's interpreter and returns
// the queued job; Wait gives its end.
func (q *Queue) RunInSession(ctx context.Context, id, owner string, spec sandpit.Spec) (sandpit.Job, error) {
	return q.sessionJob(ctx, id, owner, spec, KindRunInSession)
}

// CloseSession ends a session of owner and frees its interpreter. Closing a
// session that has already ended returns it as it is.
func (q *Queue) CloseSession(ctx context.Context, id, owner string) (sandpit.Session, error) {
	job, err := q.sessionJob(ctx, id, owner, sandpit.Spec{Code: "pass"}, KindCloseSession)
	if err != nil {
		if e, ok := err.(*sandpit.Error); !ok || e.Code != sandpit.ECONFLICT {
			return sandpit.Session{}, err
		}
	} else if _, err := q.Wait(ctx, job.ID); err != nil {
		return sandpit.Session{}, err
	}
	return q.GetSession(ctx, id, owner)
}

func (q *Queue) sessionJob(ctx context.Context, id, owner string, spec sandpit.Spec, kind Kind) (sandpit.Job, error) {
	if !ValidID(id) {
		return sandpit.Job{}, ErrSessionNotFound
	}
	data, err := json.Marshal(spec)
	if err != nil {
		return sandpit.Job{}, fmt.Errorf("encode spec: %w", err)
	}
	jid := newID()
	now := time.Now().UTC()
	res, err := sessionJobScript.Run(ctx, q.rdb,
		[]string{q.keys.session(id), q.keys.job(jid), q.keys.workerStream("")},
		jid, data, now.Format(time.RFC3339Nano), owner, sandpit.RequestID(ctx), id, string(kind)).StringSlice()
	if err != nil {
		return sandpit.Job{}, fmt.Errorf("enqueue session job: %w", err)
	}
	switch res[0] {
	case "missing":
		return sandpit.Job{}, ErrSessionNotFound
	case "ended":
		s, err := q.GetSession(ctx, id, owner)
		if err != nil {
			return sandpit.Job{}, err
		}
		msg := "the session has " + string(s.Status)
		if s.Message != "" {
			msg += ": " + s.Message
		}
		return sandpit.Job{}, &sandpit.Error{Code: sandpit.ECONFLICT, Message: msg}
	}
	return sandpit.Job{ID: jid, Result: sandpit.Result{Status: sandpit.StatusQueued}, CreatedAt: now}, nil
}

// endSession ends a session that is open or starting; worker is the worker
// that holds it, "" when none does.
func (q *Queue) endSession(ctx context.Context, id, worker string, status sandpit.SessionStatus, msg string) {
	set := ""
	if worker != "" {
		set = q.keys.workerSessions(worker)
	}
	err := endSessionScript.Run(context.WithoutCancel(ctx), q.rdb, []string{q.keys.session(id), set},
		string(status), msg, time.Now().UTC().Format(time.RFC3339Nano), int(q.opts.Retention.Seconds()), id).Err()
	if err != nil {
		q.log.Error("end session", "session", id, "err", err)
	}
}

// endWorkerSessions ends every session that worker holds as error, and ends
// the runs waiting for it: its interpreters are gone with it.
func (q *Queue) endWorkerSessions(ctx context.Context, worker string) {
	ids, err := q.rdb.SMembers(ctx, q.keys.workerSessions(worker)).Result()
	if err != nil {
		return
	}
	for _, id := range ids {
		q.endSession(ctx, id, worker, sandpit.SessionError, lostMessage)
	}
	stream := q.keys.workerStream(worker)
	msgs, err := q.rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		return
	}
	data, _ := json.Marshal(sandpit.Result{Status: sandpit.StatusError, Files: []sandpit.File{}, Message: lostMessage})
	for _, m := range msgs {
		id, _ := m.Values["id"].(string)
		if !ValidID(id) {
			continue
		}
		finishScript.Run(ctx, q.rdb, []string{q.keys.job(id), stream, ""},
			string(sandpit.StatusError), data, time.Now().UTC().Format(time.RFC3339Nano),
			int(q.opts.Retention.Seconds()), m.ID, group, id, q.keys.done(), "", q.keys.batches(), "")
	}
	q.rdb.Del(ctx, stream, q.keys.workerSessions(worker))
}

// sessions are the sessions a worker holds: when each was last used and
// how many of its tasks are in flight.
type sessions struct {
	mu   sync.Mutex
	byID map[string]*heldSession
}

type heldSession struct {
	lastUsed time.Time
	busy     int
}

// begin marks a task of session id in flight.
func (s *sessions) begin(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.byID[id]; h != nil {
		h.busy++
		h.lastUsed = time.Now()
	}
}

// end marks a task of session id done.
func (s *sessions) end(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.byID[id]; h != nil {
		h.busy--
		h.lastUsed = time.Now()
	}
}

func (s *sessions) add(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.byID[id] = &heldSession{lastUsed: time.Now()}
}

func (s *sessions) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byID, id)
}

// idle removes and returns the sessions idle for longer than ttl.
func (s *sessions) idle(ttl time.Duration) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, h := range s.byID {
		if h.busy == 0 && time.Since(h.lastUsed) > ttl {
			out = append(out, id)
			delete(s.byID, id)
		}
	}
	return out
}

// sessionOpened records that this worker holds the session that t
// opened, or ends the session when its setup failed.
func (w *worker) sessionOpened(ctx context.Context, t Task, r sandpit.Result) {
	if r.Status != sandpit.StatusSucceeded {
		w.q.endSession(ctx, t.Session, "", sandpit.SessionError, "setup failed: "+setupFailure(r))
		return
	}
	k := w.q.keys
	pipe := w.q.rdb.TxPipeline()
	pipe.HSet(ctx, k.session(t.Session), "status", string(sandpit.SessionOpen), "worker", w.opts.ID)
	pipe.SAdd(ctx, k.workerSessions(w.opts.ID), t.Session)
	if _, err := pipe.Exec(ctx); err != nil {
		w.q.log.Error("record session", "session", t.Session, "err", err)
		return
	}
	w.sessions.add(t.Session)
	w.q.log.Info("session opened", "session", t.Session)
}

// sessionUsed moves a session's last use to now.
func (w *worker) sessionUsed(ctx context.Context, id string) {
	w.q.rdb.HSet(ctx, w.q.keys.session(id), "last_used_at", time.Now().UTC().Format(time.RFC3339Nano))
}

// closeSession frees a session's interpreter and records its end.
func (w *worker) closeSession(ctx context.Context, id string, status sandpit.SessionStatus, msg string) {
	w.sessions.remove(id)
	w.h.Handle(ctx, Task{Session: id, Kind: KindCloseSession})
	w.q.endSession(ctx, id, w.opts.ID, status, msg)
}

// expireSessions closes the sessions idle for longer than the TTL.
func (w *worker) expireSessions(ctx context.Context) {
	ttl := w.q.opts.SessionTTL
	for _, id := range w.sessions.idle(ttl) {
		w.closeSession(ctx, id, sandpit.SessionExpired, "idle for longer than "+ttl.String())
		w.q.log.Info("session expired", "session", id)
	}
}

// ensureWorkerStream creates the worker's own stream of session tasks.
func (w *worker) ensureWorkerStream(ctx context.Context) error {
	err := w.q.rdb.XGroupCreateMkStream(ctx, w.q.keys.workerStream(w.opts.ID), group, "0").Err()
	if err != nil && !isBusyGroup(err) {
		return fmt.Errorf("create worker stream: %w", err)
	}
	return nil
}

func isBusyGroup(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "BUSYGROUP") }
