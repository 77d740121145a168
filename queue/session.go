package queue

import (
	"context"
	"fmt"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// Sessions, as the queue keeps them: a session's record (status, owner,
// the worker holding its interpreter, times) and the routing of its tasks
// to that worker's own stream. What a session's tasks mean, and the
// interpreters themselves, belong to whoever handles them.

// Kind says what a task asks of its worker.
type Kind string

// The kinds of task. A session is opened by a task any worker may take; its
// runs and its closing go to the worker that opened it.
const (
	KindJob          Kind = ""      // run a job in a fresh interpreter
	KindOpenSession  Kind = "open"  // start a session's interpreter and set it up
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

// LostMessage is what a session that lost its interpreter says.
const LostMessage = "the worker holding the session's interpreter stopped; the session's state is lost and cannot be recovered: open a new session"

// The session hash's field names.
const (
	sStatus     = "status"
	sOwner      = "owner"
	sWorker     = "worker"
	sMessage    = "message"
	sRuns       = "runs"
	sCreatedAt  = "created_at"
	sLastUsedAt = "last_used_at"
	sEndedAt    = "ended_at"
)

// sessionStarting is the status of a session whose interpreter is not yet
// ready; callers see it as open.
const sessionStarting = "starting"

// OpenSession records a new session of owner and queues the task that
// starts its interpreter, whose spec is setup. It returns the session's
// id and the task's job id, whose end says whether the session opened.
func (q *Queue) OpenSession(ctx context.Context, owner string, setup sandpit.Spec) (session, job string, err error) {
	rec, err := newRecord(ctx, KindOpenSession, owner, setup)
	if err != nil {
		return "", "", err
	}
	rec.Session = newID()
	keys := []string{q.keys.session(rec.Session), q.keys.ownerSessions(owner), q.keys.job(rec.ID), q.keys.stream(),
		q.keys.owner(owner), q.keys.ownerExpiries(owner)}
	argv := append([]any{rec.Session, rec.ID, formatTime(rec.CreatedAt), q.opts.MaxSessionsPerOwner, owner,
		setup.MemoryMB, int(q.opts.Retention.Seconds()), limitOf(q.opts.MaxStoredBytesPerOwner), time.Now().UnixMilli(),
		len(rec.Spec), q.keys.session(""), q.keys.job("")}, rec.values()...)
	v, err := q.runDurable(ctx, "create session", openSessionScript, keys, argv...)
	if err != nil {
		return "", "", err
	}
	switch res := stringsOf(v); res[0] {
	case "full":
		return "", "", &OwnerLimitError{Reason: ReasonSessions, Wait: q.firstIdleExpiry(res[2:]), Msg: fmt.Sprintf(
			"this caller has %s open sessions, the most allowed: close one (DELETE /v1/sessions/{id}) or let it expire", res[1])}
	case "bytes":
		return "", "", q.bytesRefused(res)
	}
	return rec.Session, rec.ID, nil
}

// firstIdleExpiry is how long until the first of sessions last used at
// lastUsed would expire if left idle: when a new one may be opened without
// closing one. At least a second.
func (q *Queue) firstIdleExpiry(lastUsed []string) time.Duration {
	wait := q.opts.SessionTTL
	for _, s := range lastUsed {
		if t := parseTime(s); !t.IsZero() {
			wait = min(wait, time.Until(t.Add(q.opts.SessionTTL)))
		}
	}
	return max(wait, time.Second)
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
	if len(h) == 0 || h[sOwner] != owner {
		return sandpit.Session{}, ErrSessionNotFound
	}
	s := sandpit.Session{
		ID:         id,
		Status:     sandpit.SessionStatus(h[sStatus]),
		Message:    h[sMessage],
		Runs:       atoi(h[sRuns]),
		CreatedAt:  parseTime(h[sCreatedAt]),
		LastUsedAt: parseTime(h[sLastUsedAt]),
	}
	switch s.Status {
	case sessionStarting:
		s.Status = sandpit.SessionOpen
		fallthrough
	case sandpit.SessionOpen:
		s.ExpiresAt = s.LastUsedAt.Add(q.opts.SessionTTL)
	default:
		s.ExpiresAt = parseTime(h[sEndedAt])
	}
	return s, nil
}

// SessionTTL is how long a session may stay idle before it expires.
func (q *Queue) SessionTTL() time.Duration { return q.opts.SessionTTL }

// RunInSession queues spec to run in a session of owner and returns the
// queued job.
func (q *Queue) RunInSession(ctx context.Context, id, owner string, spec sandpit.Spec) (sandpit.Job, error) {
	return q.sessionTask(ctx, id, owner, KindRunInSession, spec)
}

// CloseSession queues the closing of a session of owner and returns the
// task's job; a session that has already ended gives a conflict error.
func (q *Queue) CloseSession(ctx context.Context, id, owner string) (sandpit.Job, error) {
	return q.sessionTask(ctx, id, owner, KindCloseSession, nil)
}

// sessionTask queues a task of kind for the worker holding session id.
func (q *Queue) sessionTask(ctx context.Context, id, owner string, kind Kind, spec any) (sandpit.Job, error) {
	if !ValidID(id) {
		return sandpit.Job{}, ErrSessionNotFound
	}
	rec, err := newRecord(ctx, kind, owner, spec)
	if err != nil {
		return sandpit.Job{}, err
	}
	rec.Session = id
	keys := []string{q.keys.session(id), q.keys.job(rec.ID), q.keys.owner(owner), q.keys.ownerExpiries(owner)}
	argv := append([]any{rec.ID, formatTime(rec.CreatedAt), owner, string(kind), limitOf(q.opts.MaxStoredBytesPerOwner),
		time.Now().UnixMilli(), len(rec.Spec), q.keys.workerStream("")}, rec.values()...)
	v, err := q.runDurable(ctx, "queue session task", sessionJobScript, keys, argv...)
	if err != nil {
		return sandpit.Job{}, err
	}
	switch res := stringsOf(v); res[0] {
	case "missing":
		return sandpit.Job{}, ErrSessionNotFound
	case "bytes":
		return sandpit.Job{}, q.bytesRefused(res)
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
	return rec.job()
}

// HoldSession records that worker holds the interpreter of session id,
// which is now open. Its runs go to that worker's stream from now on.
func (q *Queue) HoldSession(ctx context.Context, id, worker string) error {
	pipe := q.rdb.TxPipeline()
	pipe.HSet(ctx, q.keys.session(id), sStatus, string(sandpit.SessionOpen), sWorker, worker)
	pipe.SAdd(ctx, q.keys.workerSessions(worker), id)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("record session %s: %w", id, err)
	}
	return nil
}

// TouchSession moves a session's last use to now.
func (q *Queue) TouchSession(ctx context.Context, id string) error {
	if err := q.rdb.HSet(ctx, q.keys.session(id), sLastUsedAt, formatTime(time.Now())).Err(); err != nil {
		return fmt.Errorf("touch session %s: %w", id, err)
	}
	return nil
}

// EndSession ends a session that is open or starting, as status with msg
// saying why; worker is the worker that held it, "" when none did.
func (q *Queue) EndSession(ctx context.Context, id, worker string, status sandpit.SessionStatus, msg string) error {
	keys := []string{q.keys.session(id)}
	if worker != "" {
		keys = append(keys, q.keys.workerSessions(worker))
	}
	argv := []any{string(status), msg, formatTime(time.Now()), int(q.opts.Retention.Seconds()), id}
	_, err := q.runScript(context.WithoutCancel(ctx), "end session", endSessionScript, keys, argv...)
	return err
}

// endWorkerSessions ends every session that worker holds as error, and ends
// the tasks waiting for it: its interpreters are gone with it.
func (q *Queue) endWorkerSessions(ctx context.Context, worker string) {
	ids, err := q.rdb.SMembers(ctx, q.keys.workerSessions(worker)).Result()
	if err != nil {
		q.log.Warn("list a gone worker's sessions", "worker", worker, "err", err)
		return // the next worker to notice the death tries again
	}
	for _, id := range ids {
		if err := q.EndSession(ctx, id, worker, sandpit.SessionError, LostMessage); err != nil {
			q.log.Error("end session", "session", id, "err", err)
		}
	}
	stream := q.keys.workerStream(worker)
	msgs, err := q.rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		q.log.Warn("list a gone worker's session tasks", "worker", worker, "err", err)
		return
	}
	for _, m := range msgs {
		id, _ := m.Values["id"].(string)
		rec, err := q.record(ctx, id)
		if err != nil {
			continue // gone, or not an id: nothing waits for it
		}
		if _, err := q.finish(ctx, rec, entry{stream: stream, msg: m}, sandpit.ErrorResult(LostMessage)); err != nil {
			q.log.Error("end session task", "job", id, "err", err)
		}
	}
	if err := q.rdb.Del(ctx, stream, q.keys.workerSessions(worker)).Err(); err != nil {
		q.log.Warn("remove a gone worker's session stream", "worker", worker, "err", err)
	}
}

// ensureWorkerStream creates the worker's own stream of session tasks.
func (w *worker) ensureWorkerStream(ctx context.Context) error {
	err := w.q.rdb.XGroupCreateMkStream(ctx, w.q.keys.workerStream(w.opts.ID), group, "0").Err()
	if err != nil && !isRedisError(err, "BUSYGROUP") {
		return fmt.Errorf("create worker stream: %w", err)
	}
	return nil
}
