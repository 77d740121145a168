package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// record is one job's hash in Redis. Its fields are named here and nowhere
// else: the scripts that create a job take them as field/value pairs from
// record.values, and those that hand a job to a worker return the whole
// hash, which parseRecord reads.
type record struct {
	ID        string // the key's suffix, not a field
	Status    sandpit.Status
	Kind      Kind
	Spec      string // the spec's JSON; "" for a task with none
	Owner     string // the ID of the caller that submitted it
	RequestID string
	Session   string // the session of a session task
	Batch     string // the batch of a batch item, with its place in it
	Index     int
	ItemID    string
	HasTest   bool
	Attempts  int
	Worker    string
	Result    string // the outcome's JSON, once ended
	CreatedAt time.Time
	StartedAt time.Time
	// FinishedAt is when the outcome was recorded.
	FinishedAt time.Time
}

// The job hash's field names.
const (
	fStatus     = "status"
	fKind       = "kind"
	fSpec       = "spec"
	fOwner      = "owner"
	fRequestID  = "request_id"
	fSession    = "session"
	fBatch      = "batch"
	fIndex      = "index"
	fItemID     = "item_id"
	fHasTest    = "has_test"
	fAttempts   = "attempts"
	fWorker     = "worker"
	fResult     = "result"
	fCreatedAt  = "created_at"
	fStartedAt  = "started_at"
	fFinishedAt = "finished_at"
)

// newRecord is the record of a job about to be queued.
func newRecord(ctx context.Context, kind Kind, owner string, spec any) (record, error) {
	r := record{ID: newID(), Status: sandpit.StatusQueued, Kind: kind, Owner: owner,
		RequestID: sandpit.RequestID(ctx), CreatedAt: time.Now().UTC()}
	if spec != nil {
		data, err := json.Marshal(spec)
		if err != nil {
			return record{}, fmt.Errorf("encode spec: %w", err)
		}
		r.Spec = string(data)
	}
	if s, ok := spec.(sandpit.Spec); ok {
		r.HasTest = s.Test != ""
	}
	return r, nil
}

// values are the field/value pairs a new job's hash is created with.
func (r record) values() []any {
	v := []any{fStatus, string(r.Status), fCreatedAt, formatTime(r.CreatedAt), fAttempts, r.Attempts}
	add := func(field, value string) {
		if value != "" {
			v = append(v, field, value)
		}
	}
	add(fKind, string(r.Kind))
	add(fSpec, r.Spec)
	add(fOwner, r.Owner)
	add(fRequestID, r.RequestID)
	add(fSession, r.Session)
	if r.Batch != "" {
		v = append(v, fBatch, r.Batch, fIndex, r.Index, fItemID, r.ItemID)
	}
	if r.HasTest {
		v = append(v, fHasTest, "1")
	}
	return v
}

// parseRecord reads the hash of job id.
func parseRecord(id string, h map[string]string) record {
	return record{
		ID:         id,
		Status:     sandpit.Status(h[fStatus]),
		Kind:       Kind(h[fKind]),
		Spec:       h[fSpec],
		Owner:      h[fOwner],
		RequestID:  h[fRequestID],
		Session:    h[fSession],
		Batch:      h[fBatch],
		Index:      atoi(h[fIndex]),
		ItemID:     h[fItemID],
		HasTest:    h[fHasTest] == "1",
		Attempts:   atoi(h[fAttempts]),
		Worker:     h[fWorker],
		Result:     h[fResult],
		CreatedAt:  parseTime(h[fCreatedAt]),
		StartedAt:  parseTime(h[fStartedAt]),
		FinishedAt: parseTime(h[fFinishedAt]),
	}
}

// hashOf turns the flat field/value list HGETALL gives inside a script
// into a map.
func hashOf(flat []any) map[string]string {
	h := make(map[string]string, len(flat)/2)
	for i := 0; i+1 < len(flat); i += 2 {
		k, _ := flat[i].(string)
		v, _ := flat[i+1].(string)
		h[k] = v
	}
	return h
}

// job is the record as callers see it.
func (r record) job() (sandpit.Job, error) {
	j := sandpit.Job{ID: r.ID, CreatedAt: r.CreatedAt}
	if r.Result != "" {
		if err := json.Unmarshal([]byte(r.Result), &j.Result); err != nil {
			return sandpit.Job{}, fmt.Errorf("decode result of job %s: %w", r.ID, err)
		}
	}
	j.Status = r.Status
	if r.Batch != "" {
		j.BatchID, j.ItemID = r.Batch, r.ItemID
		j.Index = &r.Index
	}
	if !r.StartedAt.IsZero() {
		j.StartedAt = &r.StartedAt
	}
	if !r.FinishedAt.IsZero() {
		j.FinishedAt = &r.FinishedAt
		if j.StartedAt != nil {
			d := r.FinishedAt.Sub(r.StartedAt).Milliseconds()
			j.DurationMS = &d
		}
	}
	return j, nil
}

// encodeResult is the stored form of an outcome. Its status lives in the
// hash's own field, so it is left out here.
func encodeResult(r sandpit.Result) (string, error) {
	r.Status = ""
	data, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode result: %w", err)
	}
	return string(data), nil
}

// strings converts a script's array reply.
func stringsOf(v any) []string {
	arr, _ := v.([]any)
	out := make([]string, len(arr))
	for i, x := range arr {
		switch x := x.(type) {
		case string:
			out[i] = x
		case int64:
			out[i] = strconv.FormatInt(x, 10)
		}
	}
	return out
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// isRedisError reports whether err is a Redis error reply of kind, its
// first word, such as BUSYGROUP or NOGROUP.
func isRedisError(err error, kind string) bool {
	return err != nil && strings.HasPrefix(err.Error(), kind+" ")
}
