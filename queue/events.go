package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sandpit-dev/sandpit"
)

// A job's events are a Redis stream of their own: its status changes and
// its end, written by the scripts that make them, and its output, written
// by its worker as it comes. Readers block on the stream, and a reader that
// comes back later resumes after the last event it read; nobody waits for
// readers, so a slow or absent one never slows the job. The stream is
// bounded (maxEvents, and the output caps upstream) and expires with the
// job's record.

// maxEvents bounds the events kept of one job.
const maxEvents = 10000

// Event entry fields.
const (
	evType = "t"
	evData = "d"
)

// AppendOutput adds text that job id wrote to stream (EventStdout or
// EventStderr) to its events.
func (q *Queue) AppendOutput(ctx context.Context, id string, stream sandpit.EventType, text string) error {
	key := q.keys.events(id)
	pipe := q.rdb.Pipeline()
	pipe.XAdd(ctx, &redis.XAddArgs{Stream: key, MaxLen: maxEvents, Approx: true,
		Values: []any{evType, string(stream), evData, text}})
	pipe.Expire(ctx, key, q.opts.Retention)
	if _, err := pipe.Exec(ctx); err != nil {
		return fmt.Errorf("append output of job %s: %w", id, err)
	}
	return nil
}

// ReadEvents returns the events of job id after the event with ID after
// ("" for the first), waiting up to block for one when there is none yet.
// No events after block is no error: it returns none.
func (q *Queue) ReadEvents(ctx context.Context, id, after string, block time.Duration) ([]sandpit.Event, error) {
	if after == "" {
		after = "0-0"
	}
	res, err := q.rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{q.keys.events(id), after}, Count: 256, Block: block}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("read events of job %s: %w", id, err)
	}
	var out []sandpit.Event
	for _, s := range res {
		for _, m := range s.Messages {
			t, _ := m.Values[evType].(string)
			d, _ := m.Values[evData].(string)
			out = append(out, sandpit.Event{ID: m.ID, Type: sandpit.EventType(t), Data: d})
		}
	}
	return out, nil
}

// ValidEventID reports whether id has the form of an event's ID, so that a
// reader's Last-Event-ID never reaches Redis unchecked.
func ValidEventID(id string) bool {
	var ms, seq uint64
	n, err := fmt.Sscanf(id, "%d-%d", &ms, &seq)
	return err == nil && n == 2 && fmt.Sprintf("%d-%d", ms, seq) == id
}
