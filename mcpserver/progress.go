package mcpserver

import (
	"context"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sandpit-dev/sandpit"
)

// While a run lasts, the client hears of it: a progress notification when
// it gave a progress token (clients on the TypeScript SDK give up on a
// call after 60 s unless progress resets their clock), and the output as
// log messages (notifications/message, logger "stdout" or "stderr") as
// the code writes it. Both go on the call's own response stream.

// outputEvery is how long output is gathered before it goes out as a log
// message, so that a loop printing fast does not send a message a line.
const outputEvery = 200 * time.Millisecond

// follow reads the events of job until its end, telling the client how it
// goes, and returns the finished job.
func (t tools) follow(ctx context.Context, req *mcp.CallToolRequest, job sandpit.Job) (sandpit.Job, error) {
	n := &notifier{ctx: ctx, session: req.Session, token: req.Params.GetProgressToken(), job: job.ID,
		status: string(job.Status), start: time.Now(), logBudget: t.opts.MaxText}
	events, stop := pull(ctx, func(ctx context.Context) iter.Seq2[sandpit.Event, error] {
		return t.b.Events(ctx, job.ID, "")
	})
	defer stop()
	quiet := time.NewTicker(t.opts.ProgressEvery)
	defer quiet.Stop()
	var flush <-chan time.Time
	n.progress()
	for {
		select {
		case r, ok := <-events:
			switch {
			case !ok:
				return job, fmt.Errorf("the events of job %s ended before the job did", job.ID)
			case r.err != nil:
				return job, r.err
			}
			switch ev := r.v; ev.Type {
			case sandpit.EventDone:
				n.flush()
				if ev.Job == nil {
					return job, fmt.Errorf("the end of job %s came without the job", job.ID)
				}
				return *ev.Job, nil
			case sandpit.EventStatus:
				n.status = ev.Data
				n.progress()
			case sandpit.EventStdout, sandpit.EventStderr:
				n.write(ev.Type, ev.Data)
				if flush == nil {
					flush = time.After(outputEvery)
				}
			}
		case <-flush:
			flush = nil
			n.flush()
			n.progress()
		case <-quiet.C:
			n.progress()
		}
	}
}

// notifier sends one run's notifications to the client.
type notifier struct {
	ctx     context.Context
	session *mcp.ServerSession
	token   any // the call's progress token; nil: no progress
	job     string
	status  string
	start   time.Time
	last    float64 // the last progress sent
	lines   int     // lines of output so far
	pending []piece
	// logBudget is what may still go out as log messages: as much as a
	// result holds, so that a run printing megabytes does not send them
	// all twice.
	logBudget int
}

type piece struct {
	stream sandpit.EventType
	text   string
}

// write takes output to send with the next flush.
func (n *notifier) write(stream sandpit.EventType, text string) {
	n.lines += strings.Count(text, "\n")
	if k := len(n.pending); k > 0 && n.pending[k-1].stream == stream {
		n.pending[k-1].text += text
		return
	}
	n.pending = append(n.pending, piece{stream, text})
}

// flush sends the output gathered since the last flush as log messages,
// as long as the budget lasts.
func (n *notifier) flush() {
	for _, p := range n.pending {
		if n.logBudget <= 0 {
			break
		}
		text := p.text
		if c, omitted := headOf(text, n.logBudget); omitted > 0 {
			text = c + fmt.Sprintf("\n[output goes on; the rest of job %s's output comes with its result]\n", n.job)
			n.logBudget = 0
		} else {
			n.logBudget -= runeCount(text)
		}
		level := mcp.LoggingLevel("info")
		if p.stream == sandpit.EventStderr {
			level = "warning"
		}
		// The client may have gone: its request's context ends the run's
		// reading soon after, and there is nobody to tell.
		n.session.Log(n.ctx, &mcp.LoggingMessageParams{Level: level, Logger: string(p.stream), Data: text})
	}
	n.pending = nil
}

// progress sends a progress notification, when the client asked for them.
// Its progress is the seconds since the run was submitted, which only
// grow, as the protocol asks.
func (n *notifier) progress() {
	if n.token == nil {
		return
	}
	elapsed := time.Since(n.start)
	p := max(elapsed.Seconds(), n.last+0.001)
	n.last = p
	msg := fmt.Sprintf("job %s: %s, %s", n.job, n.status, elapsed.Round(time.Second))
	if n.lines > 0 {
		msg += fmt.Sprintf(", %d lines of output", n.lines)
	}
	n.session.NotifyProgress(n.ctx, &mcp.ProgressNotificationParams{ProgressToken: n.token, Progress: p, Message: msg})
}

// pulled is one value of an iter.Seq2[T, error].
type pulled[T any] struct {
	v   T
	err error
}

// pull reads the sequence seq gives in a goroutine of its own, so that its
// reader can wait on it and on clocks at once. The channel closes after
// the last value or the first error; stop ends the reading (the sequence's
// context ends) and waits for it.
func pull[T any](ctx context.Context, seq func(context.Context) iter.Seq2[T, error]) (<-chan pulled[T], func()) {
	ctx, cancel := context.WithCancel(ctx)
	out := make(chan pulled[T])
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for v, err := range seq(ctx) {
			select {
			case out <- pulled[T]{v, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return out, func() { cancel(); <-done }
}
