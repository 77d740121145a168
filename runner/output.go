package runner

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/sandpit-dev/sandpit"
)

// OutputFunc takes a job's output as it is written: stream is
// sandpit.EventStdout or sandpit.EventStderr.
type OutputFunc func(stream sandpit.EventType, text string)

type outputKey struct{}

// WithOutput returns ctx asking Run and Session.Run to call fn with the
// job's output as it comes, on a goroutine of the runner's, each call
// before the run returns. fn must not block: the browser's messages wait
// for it.
func WithOutput(ctx context.Context, fn OutputFunc) context.Context {
	return context.WithValue(ctx, outputKey{}, fn)
}

func outputOf(ctx context.Context) OutputFunc {
	fn, _ := ctx.Value(outputKey{}).(OutputFunc)
	return fn
}

// outputSink passes one job's output on, at most room bytes of it: the
// page caps what a job writes, and the runner does not take its word.
type outputSink struct {
	fn   OutputFunc
	room int
}

// watch makes s the sink of the host's output; nil stops it.
func (h *host) watch(s *outputSink) {
	h.mu.Lock()
	h.sink = s
	h.mu.Unlock()
}

// output takes one message of the page's output binding: the JSON
// [fd, text].
func (h *host) output(payload string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.sink
	if s == nil || s.room <= 0 {
		return
	}
	var msg [2]any
	if err := json.Unmarshal([]byte(payload), &msg); err != nil {
		return
	}
	fd, _ := msg[0].(float64)
	text, _ := msg[1].(string)
	stream := sandpit.EventStdout
	if fd == 2 {
		stream = sandpit.EventStderr
	}
	if len(text) > s.room {
		text = strings.ToValidUTF8(text[:s.room], "")
	}
	s.room -= len(text)
	if text != "" {
		s.fn(stream, text)
	}
}
