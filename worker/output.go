package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sandpit-dev/sandpit"
	"github.com/sandpit-dev/sandpit/queue"
)

// output forwards one job's output to its events as it comes. The job never
// waits for it: what is written while a write to Redis is under way is
// gathered and goes with the next one.
type output struct {
	q   *queue.Queue
	id  string
	log *slog.Logger

	mu      sync.Mutex
	pending []piece
	wake    chan struct{}
	closed  bool
	done    chan struct{}
}

type piece struct {
	stream sandpit.EventType
	text   string
}

// appendTimeout bounds one write of output to Redis.
const appendTimeout = 5 * time.Second

func newOutput(q *queue.Queue, id string, log *slog.Logger) *output {
	o := &output{q: q, id: id, log: log, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go o.run()
	return o
}

// write takes a piece of output; it never blocks on Redis.
func (o *output) write(stream sandpit.EventType, text string) {
	o.mu.Lock()
	if n := len(o.pending); n > 0 && o.pending[n-1].stream == stream {
		o.pending[n-1].text += text
	} else {
		o.pending = append(o.pending, piece{stream, text})
	}
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// close writes what is left and waits for it, so that the job's output is
// in its events before its end is.
func (o *output) close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	<-o.done
}

func (o *output) run() {
	defer close(o.done)
	for range o.wake {
		o.mu.Lock()
		pending, closed := o.pending, o.closed
		o.pending = nil
		o.mu.Unlock()
		for _, p := range pending {
			ctx, cancel := context.WithTimeout(context.Background(), appendTimeout)
			if err := o.q.AppendOutput(ctx, o.id, p.stream, p.text); err != nil {
				// The job's result keeps its output whatever happens here.
				o.log.Warn("record output", "job", o.id, "err", err)
			}
			cancel()
		}
		if closed {
			return
		}
	}
}
