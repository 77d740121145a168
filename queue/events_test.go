package queue

import (
	"context"
	"testing"
	"time"

	"github.com/sandpit-dev/sandpit"
)

// A job's events are its status changes, the output its worker appends,
// and its end, in order; a reader resumes after the last it read, and the
// stream expires with the job's record.
func TestEvents(t *testing.T) {
	q, rdb := newQueue(t, Options{Retention: time.Hour})
	ctx := context.Background()
	work(t, q, HandlerFunc(func(ctx context.Context, task Task) (sandpit.Result, error) {
		if err := q.AppendOutput(ctx, task.ID, sandpit.EventStdout, "hello\n"); err != nil {
			return sandpit.Result{}, err
		}
		return ok("hello\n"), nil
	}), WorkerOptions{})
	j, err := q.Enqueue(ctx, "", sandpit.Spec{Code: "print('hello')"}, "")
	if err != nil {
		t.Fatal(err)
	}
	wait(t, q, j.ID)
	events, err := q.ReadEvents(ctx, j.ID, "", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, string(e.Type)+":"+e.Data)
	}
	want := []string{"status:running", "stdout:hello\n", "done:succeeded"}
	if len(got) != len(want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("events %q, want %q", got, want)
		}
	}
	rest, err := q.ReadEvents(ctx, j.ID, events[1].ID, 10*time.Millisecond)
	if err != nil || len(rest) != 1 || rest[0].Type != sandpit.EventDone {
		t.Fatalf("events after the second: %+v, %v", rest, err)
	}
	if ttl := rdb.TTL(ctx, q.keys.events(j.ID)).Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Errorf("events kept for %v, want the retention of 1h", ttl)
	}
}
